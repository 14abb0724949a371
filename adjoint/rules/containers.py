"""Rules for building and reducing Python containers: xs.append(v), {k: v} and builtin sum."""
import builtins

from ..containers import appended, dict_values_grad, make_dict, spread, without_last
from ..registry import rule


@rule(appended)
def d_appended(g, y, items, item):
    return without_last(g), g[-1]


@rule(builtins.sum)
def d_builtin_sum(g, y, iterable, start=0):
    return spread(g, iterable)


@rule(make_dict)
def d_make_dict(g, y, keys, values):
    return None, dict_values_grad(g, keys)
