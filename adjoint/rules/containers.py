"""Rules for building and reducing Python containers: xs.append(v), {k: v} and builtin sum."""
import builtins

from ..runtime.containers import (appended, dict_items, dict_values, dict_values_grad, gather_back,
                          iterated, make_dict, through_iterated, without_last)
from ..runtime.core import spread
from .registry import rule


@rule(appended)
def d_appended(g, y, items, item):
    return without_last(g), g[-1]


@rule(builtins.sum)
def d_builtin_sum(g, y, iterable, start=0):
    return spread(g, iterable)


@rule(make_dict)
def d_make_dict(g, y, keys, values):
    return None, dict_values_grad(g, keys)


@rule(iterated)
def d_iterated(g, y, items):
    return through_iterated(g, items)


@rule(dict_values)
def d_dict_values(g, y, d):
    return gather_back(g, d)


@rule(dict_items)
def d_dict_items(g, y, d):
    return gather_back(g, d, 1)
