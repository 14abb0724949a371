"""Functions whose output has no gradient: declared with `nondiff`, never a silent zero.

A call to one of these on a differentiable value simply ends the gradient's path there
(the output is piecewise constant, an integer, a boolean, or describes the array rather
than its values). Calling any other function without a rule on a differentiable value is
an error naming the function and the line.
"""
import builtins
import math

import numpy as np

from .registry import nondiff

PIECEWISE = "its output is piecewise constant (its derivative is 0 almost everywhere)"
INDEX = "its output is an index or a count, not a differentiable value"
PREDICATE = "its output is boolean"
DESCRIBE = "its output describes the array (shape, size, type), not its values"
CONSTANT = "its output depends only on the shape or dtype of its input, not on its values"


def _all(*names, module=np):
    """The named functions that exist in this numpy (names vary between versions)."""
    return [getattr(module, name) for name in names if hasattr(module, name)]


nondiff(*_all("floor", "ceil", "round", "around", "rint", "trunc", "fix", "sign", "signbit",
              "heaviside", "floor_divide", "spacing"),
        math.floor, math.ceil, math.trunc, builtins.round, reason=PIECEWISE)
nondiff(*_all("argmax", "argmin", "nanargmax", "nanargmin", "argsort", "argpartition",
              "argwhere", "nonzero", "flatnonzero", "count_nonzero", "searchsorted",
              "digitize", "unravel_index", "ravel_multi_index", "tril_indices",
              "triu_indices", "diag_indices", "indices"),
        builtins.len, builtins.int, reason=INDEX)
nondiff(*_all("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "intp",
              "uintp", "bool_"),
        reason="its output is an integer or a boolean (a cast that truncates: piecewise constant)")
nondiff(*_all("isnan", "isfinite", "isinf", "isneginf", "isposinf", "isclose", "allclose",
              "array_equal", "array_equiv", "greater", "less", "greater_equal", "less_equal",
              "equal", "not_equal", "logical_and", "logical_or", "logical_not", "logical_xor",
              "any", "all", "isreal", "iscomplex", "isin", "iscomplexobj", "isrealobj",
              "isscalar"),
        math.isnan, math.isinf, math.isfinite, math.isclose, builtins.bool, reason=PREDICATE)
nondiff(*_all("shape", "size", "ndim", "result_type", "can_cast", "min_scalar_type",
              "iscomplexobj"), reason=DESCRIBE)
nondiff(*_all("zeros_like", "ones_like", "empty_like"), reason=CONSTANT)
