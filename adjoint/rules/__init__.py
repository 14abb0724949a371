"""Gradient rules, grouped by domain. Importing this package registers them (two lazily).

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
    fft         np.fft's transforms and shifts (complex intermediates)
    complex     np.angle, .imag, and products of complex values (reverse/complex_values.py)
    arrays      np.r_, np.c_, row_stack, partition, gradient, rollaxis, astype
    decompositions  np.linalg.svd, eig, eigvals
    special_more    more of scipy.special: incomplete gamma and beta, Bessel functions, ...
    stats       scipy.stats distributions: logpdf, pdf, cdf, ...
    scipy_linalg    scipy.linalg's solvers and sqrtm, scipy.signal.convolve
    writes      what np.add.at and np.fill_diagonal lower to
    forward_*   forward-mode (JVP) rules: linear/multilinear declarations, reductions,
                linalg, the others; forward_helpers, second_order: rules of what forward
                code calls

stats and scipy_linalg register lazily, on the first lookup of a primal from scipy.stats,
scipy.linalg or scipy.signal (registry.LAZY_FAMILIES): importing scipy.stats (which
scipy.signal imports) takes about a second, so `import adjoint` does not.

`python -m adjoint.tools.coverage` lists them all in docs/coverage.md.
"""
from . import (operators, scalar, unary, binary, reductions, linalg, shaping, selection,  # noqa: F401
               signal, special, nondiff, containers, fft, complex, arrays, decompositions,
               special_more, objects, writes)
from . import (forward_helpers, forward_linear, forward_reductions,  # noqa: F401,E402 (forward rules)
               forward_linalg, forward_other, second_order)

from .registry import (BUILTIN_NONDIFF, BUILTIN_RULES, NONDIFF as _NONDIFF, RULES as _RULES,  # noqa: F401
                       load_lazy_families)

# adjoint's own rules and nondiff declarations, before any user adds theirs; the lazy
# families add theirs when they load (load_lazy_families() loads them all)
BUILTIN_RULES.update(_RULES)
BUILTIN_NONDIFF.update(_NONDIFF)
