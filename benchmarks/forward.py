"""Forward mode and second derivatives: how their cost compares with what they build on.

    python benchmarks/forward.py            # about a minute
    python benchmarks/forward.py --quick    # a few seconds, rougher numbers

- jvp / primal: adjoint.jvp (value and tangent along every parameter of WRT) against
  the plain function, on the MLP and RNN workloads of workloads.py (goal: <= 3x);
- hvp / gradient: adjoint.hvp (reverse mode over the forward-mode code) against
  adjoint.value_and_grad of the function (goal: <= 4x);
- hessian / hvp: adjoint.hessian of a 10-d Rosenbrock against one hvp (goal: <= 15;
  the Hessian is one HVP per coordinate, in a Python loop over the basis vectors).

Each jvp and hvp is first checked against central finite differences. Timings are
interleaved (timing.py): the ratios are medians of same-round ratios.
"""
from __future__ import annotations

import argparse
import inspect
import os
import sys

import numpy as np

import adjoint

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import workloads  # noqa: E402
from timing import Candidate, measure, paired_ratio  # noqa: E402


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def _tangents(args, names, params, rng):
    return tuple(rng.standard_normal(np.shape(a)) * 0.1 if p in names else None
                 for p, a in zip(params, args))


def _check_jvp(f, args, tangents):
    _, tangent = adjoint.jvp(f, args, tangents)
    eps = 1e-6
    moved = [[a + s * eps * t if t is not None else a for a, t in zip(args, tangents)] for s in (1, -1)]
    expected = (f(*moved[0]) - f(*moved[1])) / (2 * eps)
    assert abs(tangent - expected) <= 1e-5 * max(1.0, abs(expected)), (tangent, expected)


def _check_hvp(f, args, tangents, names, params):
    got = adjoint.hvp(f, args, tangents)
    gradient = adjoint.grad(f, wrt=names)
    eps = 1e-6
    moved = [[a + s * eps * t if t is not None else a for a, t in zip(args, tangents)] for s in (1, -1)]
    plus, minus = gradient(*moved[0]), gradient(*moved[1])
    for name, gp, gm in zip(names, plus, minus):
        expected = (gp - gm) / (2 * eps)
        scale = max(1.0, float(np.max(np.abs(expected))))
        assert np.max(np.abs(got[params.index(name)] - expected)) <= 1e-4 * scale, name


def workload_rows(name, f, args, names, target, repeats):
    params = list(inspect.signature(f).parameters)
    rng = np.random.default_rng(0)
    tangents = _tangents(args, names, params, rng)
    _check_jvp(f, args, tangents)
    _check_hvp(f, args, tangents, names, params)
    primal = Candidate("primal", f, args)
    jvp = Candidate("jvp", adjoint.jvp, (f, args, tangents))
    gradient = Candidate("value_and_grad", adjoint.value_and_grad(f, wrt=names), args)
    hvp = Candidate("hvp", adjoint.hvp, (f, args, tangents))
    measure([primal, jvp, gradient, hvp], target, repeats)
    return [(name, "jvp / primal", paired_ratio(jvp, primal), 3.0, jvp.median, primal.median),
            (name, "hvp / gradient", paired_ratio(hvp, gradient), 4.0, hvp.median, gradient.median)]


def rosenbrock_rows(target, repeats):
    x = np.linspace(-0.5, 1.5, 10)
    v = np.random.default_rng(1).standard_normal(10)
    hessian = adjoint.hessian(rosenbrock)
    H = hessian(x)
    assert np.allclose(H @ v, adjoint.hvp(rosenbrock, (x,), (v,))[0], rtol=1e-10)
    full = Candidate("hessian", hessian, (x,))
    one = Candidate("hvp", adjoint.hvp, (rosenbrock, (x,), (v,)))
    measure([one, full], target, repeats)
    return [("rosenbrock10", "hessian / hvp", paired_ratio(full, one), 15.0, full.median, one.median)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, rougher numbers")
    args = parser.parse_args(argv)
    target, repeats = (0.05, 5) if args.quick else (0.3, 15)
    rows = workload_rows("mlp", workloads.mlp, workloads.mlp_inputs(), workloads.MLP_WRT,
                         target, repeats)
    rows += workload_rows("rnn", workloads.rnn_loss, workloads.rnn_inputs(), workloads.RNN_WRT,
                          target, repeats)
    rows += rosenbrock_rows(target, repeats)
    print(f"{'workload':14s}{'ratio':18s}{'measured':>10s}{'goal':>8s}{'time':>12s}{'baseline':>12s}")
    for name, label, ratio, goal, time, base in rows:
        mark = "ok" if ratio <= goal else "OVER"
        print(f"{name:14s}{label:18s}{ratio:10.2f}x{goal:7.1f}x{time * 1e3:10.3f}ms{base * 1e3:10.3f}ms  {mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
