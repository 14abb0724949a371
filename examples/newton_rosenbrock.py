"""Newton's method on the Rosenbrock function with adjoint's exact derivatives.

    python examples/newton_rosenbrock.py

scipy.optimize.minimize gets the gradient (reverse mode), the Hessian (one
Hessian-vector product per coordinate: reverse mode over the forward-mode code) and, for
Newton-CG, Hessian-vector products alone. Prints the minimum each method finds (1, ..., 1)
and how many iterations it took.
"""
import numpy as np
from scipy.optimize import minimize

import adjoint


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


gradient = adjoint.grad(rosenbrock)
hessian = adjoint.hessian(rosenbrock)


def hessian_times(x, v):
    return adjoint.hvp(rosenbrock, (x,), (v,))[0]


def solve(n: int = 10):
    start = np.linspace(0.2, 1.6, n)
    exact = minimize(rosenbrock, start, method="trust-exact", jac=gradient, hess=hessian)
    newton_cg = minimize(rosenbrock, start, method="Newton-CG", jac=gradient, hessp=hessian_times,
                         options={"xtol": 1e-10})
    return exact, newton_cg


if __name__ == "__main__":
    for name, result in zip(("trust-exact", "Newton-CG"), solve()):
        print(f"{name:12s} f = {result.fun:.3e} after {result.nit} iterations; x = {np.round(result.x, 6)}")
    print(adjoint.source(rosenbrock, mode="jvp"))
