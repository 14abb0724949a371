"""Rules for scipy.linalg's solve_triangular, sqrtm, solve_sylvester and solve_banded,
and scipy.signal.convolve (registered only when scipy is installed).

Limits: real matrices; solve_triangular and solve_banded read one triangle or band of a,
so only those entries get a gradient (0 elsewhere, and on the diagonal with
unit_diagonal=True); sqrtm needs a matrix with a real square root whose eigenvalues do
not sum to 0 in pairs (the Sylvester equation is then solvable); convolve handles every
mode and dimension (not complex inputs).
"""
import inspect

try:
    import scipy.linalg as linalg
    import scipy.signal as signal
except ImportError:  # scipy is optional
    linalg = None

if linalg is not None:
    from ..runtime.scipy_linalg import (convolve_grads, solve_banded_grads,
                                        solve_triangular_grads, sqrtm_grad, sylvester_grads)
    from .registry import rule

    @rule(linalg.solve_triangular, elementwise=False)
    def d_solve_triangular(g, y, a, b, trans=0, lower=False, unit_diagonal=False,
                           overwrite_b=False, check_finite=True):
        return solve_triangular_grads(g, y, a, b, trans, lower, unit_diagonal)

    if "disp" in inspect.signature(linalg.sqrtm).parameters:  # scipy < 1.18
        @rule(linalg.sqrtm, elementwise=False)
        def d_sqrtm(g, y, A, disp=True, blocksize=64):
            return sqrtm_grad(g, y, A)
    else:  # scipy 1.18 removed disp and blocksize
        @rule(linalg.sqrtm, elementwise=False)
        def d_sqrtm(g, y, A):
            return sqrtm_grad(g, y, A)

    @rule(linalg.solve_sylvester, elementwise=False)
    def d_solve_sylvester(g, y, a, b, q):
        return sylvester_grads(g, y, a, b, q)

    @rule(linalg.solve_banded, elementwise=False)
    def d_solve_banded(g, y, l_and_u, ab, b, overwrite_ab=False, overwrite_b=False,
                       check_finite=True):
        grads = solve_banded_grads(g, y, l_and_u, ab, b)
        return None, grads[0], grads[1]

    @rule(signal.convolve, elementwise=False)
    def d_signal_convolve(g, y, in1, in2, mode="full", method="auto"):
        return convolve_grads(g, in1, in2, mode)
