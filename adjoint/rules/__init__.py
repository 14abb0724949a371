"""Gradient rules, grouped by domain. Importing this package registers them all.

    operators   + - * / ** @ and unary -, + (Python's operators)
    scalar      math.* and the builtins abs, max, min on Python numbers
    unary       numpy's elementwise functions of one array (exp, log, sin, ...)
    binary      numpy's elementwise functions of several arrays, where, clip
    reductions  sum, mean, prod, max, var, std, cumsum, nan* reductions, median, ...
    linalg      dot, matmul, einsum, tensordot, diagonals, numpy.linalg
    shaping     reshape, transpose, stacking, splitting, tile, pad, np.array, .T
    selection   x[i], take, take_along_axis, sort, select, compress, extract
    signal      diff, interp, convolve, correlate, polyval, trapezoid, linspace
    special     scipy.special (when scipy is installed)
    nondiff     functions with no gradient (floor, argmax, comparisons, ...)
    containers  xs.append(v) and builtin sum
    forward_*   forward-mode (JVP) rules: linear/multilinear declarations, reductions,
                linalg, the others; forward_helpers: rules of what forward code calls

`python -m adjoint.tools.coverage` lists them all in docs/coverage.md.
"""
from . import (operators, scalar, unary, binary, reductions, linalg, shaping, selection,  # noqa: F401
               signal, special, nondiff, containers)
from . import (forward_helpers, forward_linear, forward_reductions,  # noqa: F401,E402 (forward rules)
               forward_linalg, forward_other)

from .registry import NONDIFF as _NONDIFF, RULES as _RULES

# adjoint's own rules and nondiff declarations, before any user adds theirs (the coverage
# table and the registry tests are about these)
BUILTIN_RULES = dict(_RULES)
BUILTIN_NONDIFF = dict(_NONDIFF)
