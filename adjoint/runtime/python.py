"""Helpers for the plain Python a differentiated function may contain: dict.get,
float(x), sorted(xs), star unpacking. Each is the operation it is named for; the ones
with a gradient have their backward helper beside them."""
from __future__ import annotations

import threading

import numpy as np

from .containers import GradDict, Grads
from .core import unbroadcast, unindex, zero_grad


def dict_get(d, key, default=None):
    """d.get(key, default) (printed as the method call it was)."""
    return d.get(key, default)


def got_back(g, d, key):
    """The gradient of d from d.get(key, ...): g at key when d has it, zeros elsewhere."""
    return unindex(g, d, key) if key in d else zero_grad(d)


def default_share(g, d, key, default):
    """The gradient of the default of d.get(key, default): g when d lacks key."""
    return zero_grad(default) if key in d else g


def as_float(g, x):
    """The gradient of float(x): x may be a size-1 array."""
    if isinstance(x, np.ndarray):
        return np.full(x.shape, g, dtype=np.result_type(x.dtype, np.float64) if x.dtype.kind != "f"
                       else x.dtype)
    return g


def unsorted(g, items):
    """The gradient of sorted(items): each item gets the gradient of where it went (a
    dict's sorted keys carry no gradient)."""
    if isinstance(items, dict):
        return zero_grad(items)
    order = sorted(range(len(items)), key=lambda k: items[k])
    parts = [None] * len(items)
    for position, k in enumerate(order):
        parts[k] = g[position]
    if isinstance(items, np.ndarray):
        return np.array(parts, dtype=np.result_type(items, 0.0))
    return Grads(parts, type(items))


def largest(items):
    """max(items) of one iterable (and max(a, b, c): largest((a, b, c))), as Python
    computes it: the first of equal largest entries."""
    return max(items)


def smallest(items):
    """min(items) of one iterable; see largest."""
    return min(items)


def position_of(items, picked) -> int:
    """Where max/min(items) found `picked`: the first entry equal to it."""
    return next(k for k, item in enumerate(items) if item is picked or item == picked)


def as_tuple(g, items):
    """The gradient of tuple(items) (or list(items)): the same parts, in items' kind."""
    if isinstance(items, np.ndarray):
        return np.array(list(g), dtype=np.result_type(items, 0.0)).reshape(items.shape)
    if isinstance(items, dict):
        return GradDict()  # tuple(d) holds d's keys: no gradient
    return Grads(g, type(items))


def rest_of(items, before: int, after: int) -> list:
    """The starred part of `a, *rest, z = items`: a list, as Python makes it."""
    if len(items) < before + after:
        raise ValueError(f"not enough values to unpack (expected at least {before + after}, "
                         f"got {len(items)})")
    return list(items[before:len(items) - after])


def unrest(g, items, before: int, after: int):
    """The gradient of items from that of rest_of(items, before, after)."""
    grads = zero_grad(items)
    stop = len(items) - after
    if isinstance(items, np.ndarray):
        grads = np.array(grads)
        if stop > before:
            grads[before:stop] = np.stack(list(g))
        return grads
    parts = list(grads)
    parts[before:stop] = list(g)
    return Grads(parts, type(items))


def joined(parts) -> tuple:
    """The tuple of every part's items, in order: what f(h, *rest) passes to *args."""
    return tuple(item for part in parts for item in part)


def concatenated(a, b):
    """a + b of two tuples or lists (printed as the + it is): the parts' gradients are
    split back by position (split_back)."""
    return a + b


def joined_back(g, y, a, b, side: int):
    """The gradient of a (side 0) or b (side 1) in concatenated(a, b): its own entries
    when the + joined sequences, else (numbers, arrays) the + of numpy."""
    if isinstance(y, (tuple, list)):
        return split_back(g, (a, b))[side]
    return unbroadcast(g, (a, b)[side])


def split_back(g, parts) -> "Grads":
    """The gradient of each part from that of joined(parts)."""
    out, start = [], 0
    for part in parts:
        out.append(Grads(g[start:start + len(part)], type(part)) if len(part) else Grads((), type(part)))
        start += len(part)
    return Grads(out, tuple)


def transposed(sequences) -> list:
    """zip(*sequences), as a list of tuples (what zip(a, b) and zip(*pairs) compile to)."""
    return list(zip(*sequences))


def untransposed(g, sequences):
    """The gradient of each sequence from that of transposed(sequences)."""
    out = []
    for k, sequence in enumerate(sequences):
        grads = zero_grad(sequence)
        if isinstance(sequence, np.ndarray):
            grads = np.array(grads)
            for i in range(len(g)):
                grads[i] = grads[i] + g[i][k]
        else:
            grads = list(grads)
            for i in range(len(g)):
                grads[i] = grads[i] + g[i][k]
            grads = Grads(grads, type(sequence))
        out.append(grads)
    return Grads(out, type(sequences)) if isinstance(sequences, (tuple, list)) else np.stack(out)


def with_default(d, key, default=None):
    """d.setdefault(key, default) as a new dict (what the statement compiles to, so every
    version of d stays intact for the backward)."""
    out = dict(d)
    out.setdefault(key, default)
    return out


def kept_entries(g, d):
    """The gradient of d from that of with_default(d, ...): its own entries."""
    if not isinstance(g, dict):
        return g
    return GradDict({key: value for key, value in g.items() if key in d})


def default_entry(g, d, key, default):
    """The gradient of the default of with_default(d, key, default): g[key] if d lacked key."""
    if key in d or not isinstance(g, dict):
        return zero_grad(default)
    return g[key]


def failed(message=None):
    """What a failing `assert test, message` does."""
    raise AssertionError(*(() if message is None else (message,)))


# with statements: entered and left in the forward, where they were written -------------
_OPEN = threading.local()


def enter_context(manager):
    """manager.__enter__(), remembered so that an exception leaving the generated code
    can still leave it (see left_open)."""
    value = manager.__enter__()
    stack = getattr(_OPEN, "managers", None)
    if stack is None:
        stack = _OPEN.managers = []
    stack.append(manager)
    return value


def exit_context(manager):
    """manager.__exit__(None, None, None) at the end of its with block."""
    stack = _OPEN.managers
    stack.remove(manager)
    manager.__exit__(None, None, None)


def left_open(error) -> None:
    """Leave every with block an exception jumped out of (innermost first), as Python
    would have on the way out."""
    stack = getattr(_OPEN, "managers", None) or []
    while stack:
        stack.pop().__exit__(type(error), error, error.__traceback__)
