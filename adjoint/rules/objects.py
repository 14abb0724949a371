"""Rules for objects and plain Python: field reads, dict.get, float(x), sorted, tuple,
and the calls that carry no gradient (strings, isinstance, random draws, print).

A field read `self.W` is `getfield(self, 'W')`; its gradient is the object's gradient
with only that field set (runtime/pytrees.py). Random draws are constants and impure:
they run in the forward exactly as written and are never dropped or run again.
"""
import builtins

import numpy as np

from ..runtime.containers import Grads
from ..runtime.pytrees import getfield, getsetting, make_record, record_values_grad, unfield
from ..runtime.python import (concatenated, default_entry, joined_back, enter_context, exit_context, failed, kept_entries,
                              with_default, as_float, as_tuple, default_share, dict_get, got_back, joined, rest_of,
                              split_back, transposed, untransposed, unrest,
                              unsorted, largest, smallest, position_of)
from ..runtime.core import unindex
from .registry import forward_rule, impure, nondiff, rule


@rule(getfield)
def d_getfield(g, y, obj, name):
    return unfield(g, obj, name), None


@rule(concatenated)
def d_concatenated(g, y, a, b):
    return joined_back(g, y, a, b, 0), joined_back(g, y, a, b, 1)


@rule(make_record)
def d_make_record(g, y, cls, names, values):
    return None, None, Grads(record_values_grad(g, names, values))


@rule(dict_get)
def d_dict_get(g, y, d, key, default):
    return got_back(g, d, key), None, default_share(g, d, key, default)


@rule(joined)
def d_joined(g, y, parts):
    return split_back(g, parts)


@rule(transposed)
def d_transposed(g, y, sequences):
    return untransposed(g, sequences)


@rule(rest_of)
def d_rest_of(g, y, items, before, after):
    return unrest(g, items, before, after), None, None


@rule(with_default)
def d_with_default(g, y, d, key, default):
    return kept_entries(g, d), None, default_entry(g, d, key, default)


@rule(builtins.float)
def d_float(g, y, x):
    return as_float(g, x)


@rule(builtins.sorted)
def d_sorted(g, y, iterable):
    return unsorted(g, iterable)


@rule(largest)
def d_largest(g, y, items):
    """All of g to the entry Python's max returned (the first of equal largest ones)."""
    return unindex(g, items, position_of(items, y))


@rule(smallest)
def d_smallest(g, y, items):
    return unindex(g, items, position_of(items, y))


@forward_rule(largest)
def j_largest(ditems, y, items):
    return ditems[position_of(items, y)]


@forward_rule(smallest)
def j_smallest(ditems, y, items):
    return ditems[position_of(items, y)]


@rule(builtins.tuple)
def d_tuple(g, y, iterable):
    return as_tuple(g, iterable)


@rule(builtins.list)
def d_list(g, y, iterable):
    return as_tuple(g, iterable)


nondiff(position_of, reason="it returns a position (an int)")
nondiff(getsetting, reason="it reads a field that carries no gradient (an int, a string, a function)")
nondiff(*(getattr(str, name) for name in dir(str) if not name.startswith("_")),
        reason="strings carry no gradient")
nondiff(builtins.isinstance, builtins.issubclass, builtins.callable, builtins.hasattr, builtins.type,
        builtins.id, builtins.repr, builtins.str, builtins.ascii, builtins.format, builtins.print,
        reason="its output is not a differentiable value")

_DRAWS = [getattr(cls, name) for cls in (np.random.Generator, np.random.RandomState)
          for name in dir(cls) if not name.startswith("_")
          and name not in ("shuffle", "permuted", "set_state", "seed", "bit_generator", "spawn")
          and callable(getattr(cls, name))]
_MODULE_DRAWS = [getattr(np.random, name) for name in dir(np.random)
                 if not name.startswith("_") and callable(getattr(np.random, name))
                 and getattr(getattr(np.random, name), "__self__", None) is not None
                 and name not in ("shuffle", "set_state", "seed")]
nondiff(*_DRAWS, *_MODULE_DRAWS, reason="a random draw is a constant: it has no gradient")
impure(*_DRAWS, *_MODULE_DRAWS, builtins.print, failed, enter_context, exit_context)
