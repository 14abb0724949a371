"""Gradients of tuples, lists and dicts: the same structure, holding the gradients.

A function may take its parameters as `params = {"W1": ..., "b1": ...}` or a list of
layers; the gradient comes back with the same structure (`grads["W1"]`, as JAX does for
pytrees). In generated code gradients accumulate with `+`, so the containers here add
entry by entry (a plain tuple would concatenate):

    grad_params = unindex(grad_W1, params, 'W1')             # {'W1': grad_W1, 'b1': 0, ...}
    grad_params = grad_params + unindex(grad_b1, params, 'b1')
"""
from __future__ import annotations

import numpy as np

from .pytrees import GradObject


class Grads(tuple):
    """One gradient per element of a list or tuple value; `kind` is list or tuple."""

    def __new__(cls, items=(), kind=tuple):
        out = super().__new__(cls, items)
        out.kind = kind
        return out

    def __add__(self, other):
        if _is_zero(other):
            return self
        if isinstance(other, GradObject):  # a NamedTuple read both as a tuple and by field
            return other + self
        return Grads((a + b for a, b in zip(self, other)), self.kind)

    __radd__ = __add__


class GradDict(dict):
    """One gradient per entry of a dict value."""

    def __add__(self, other):
        if _is_zero(other):
            return self
        out = GradDict(self)
        for key, value in other.items():
            out[key] = out[key] + value if key in out else value
        return out

    __radd__ = __add__


def is_container(x) -> bool:
    return isinstance(x, (tuple, list, dict))


def zero_like(x, zero):
    """Zeros with x's structure; `zero(leaf)` makes each leaf's zero."""
    if isinstance(x, dict):
        return GradDict({key: zero_like(value, zero) for key, value in x.items()})
    if isinstance(x, (tuple, list)):
        return Grads((zero_like(value, zero) for value in x), type(x))
    return zero(x)


def unindex_container(g, x, index, zero):
    """Gradient of x[index] for a tuple, list or dict x: g there, zeros elsewhere."""
    grads = zero_like(x, zero)
    if isinstance(x, dict):
        grads[index] = grads[index] + g
        return grads
    parts = list(grads)
    if isinstance(index, slice):
        for k, part in zip(range(*index.indices(len(x))), g):
            parts[k] = parts[k] + part
    else:
        parts[index] = parts[index] + g
    return Grads(parts, type(x))


def zero_entry(g, index, zero):
    """A container's gradient with the entry at index zeroed (xs[i] = v overwrote it)."""
    if isinstance(g, GradDict):
        out = GradDict(g)
        out[index] = zero_like(out[index], zero)
        return out
    parts = list(g)
    parts[index] = zero_like(parts[index], zero)
    return Grads(parts, g.kind)


def grads_of(*parts, like=None):
    """The gradient of t unpacked as a, b = t (`like` is t): one part per element; for an
    array t, whose unpacking iterates its first axis, the parts stacked into one array."""
    if isinstance(like, np.ndarray):
        rows = [np.broadcast_to(part, like.shape[1:]) for part in parts]
        return np.array(rows, dtype=like.dtype if like.dtype.kind in "fc" else np.float64)
    return Grads(parts, list if isinstance(like, list) else tuple)


def plain(g, leaf):
    """A gradient handed back to the caller: containers become plain tuples, lists and
    dicts again; `leaf` finishes each array."""
    if isinstance(g, GradDict):
        return {key: plain(value, leaf) for key, value in g.items()}
    if isinstance(g, Grads):
        return g.kind(plain(value, leaf) for value in g)
    return leaf(g)


def _is_zero(other) -> bool:
    if isinstance(other, (tuple, list, dict)):
        return False
    return np.ndim(other) == 0 and not np.any(other)


def appended(items, item):
    """items.append(item), as a new list: what `xs.append(v)` compiles to, so that every
    version of xs stays intact for the backward."""
    return items + (item,) if isinstance(items, tuple) else items + [item]


def without_last(g):
    """The gradient of a list before its last element was appended."""
    return Grads(g[:-1], getattr(g, "kind", list))


def make_dict(keys, values):
    """{k: v, ...} with differentiable values (printed as the dict display it is)."""
    return dict(zip(keys, values))


def dict_values_grad(g, keys):
    """The gradients of a dict display's values, in the display's order."""
    if _is_zero(g):
        return Grads(g for _ in keys)
    return Grads(g[key] if key in g else 0.0 for key in keys)


def iterated(items):
    """What `for v in items` visits, as something indexable: arrays, lists and tuples as
    they are; a dict's keys (as Python iterates a dict)."""
    return list(items) if isinstance(items, dict) else items


def dict_values(d):
    """d.values(), as a list."""
    return list(d.values())


def dict_items(d):
    """d.items(), as a list of (key, value) pairs."""
    return list(d.items())


def gather_back(g, d, position=None):
    """The gradient of d from the gradient of a list made of its values (position None)
    or of its (key, value) pairs (position 1)."""
    if _is_zero(g):
        return g
    parts = g if position is None else [pair[position] for pair in g]
    return GradDict(zip(d.keys(), parts))


def through_iterated(g, items):
    """The gradient of `items` from that of iterated(items): the same, except a dict,
    whose keys carry no gradient."""
    return zero_like(items, lambda leaf: 0.0) if isinstance(items, dict) else g
