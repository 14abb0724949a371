"""Tape memory of in-place stencils: adjoint's generated code against a hand-written
backward (`python benchmarks/stencil.py [--n N] [--steps T]`).

Two explicit 1-D stencils with their update written in place, as in a numerical-methods
course. adjoint's backward puts back, step by step, the slice each update overwrote; the
hand-written backward below keeps exactly what its own math needs. Both are run with
every tape replaced by a recording list (benchmarks/tapes.py), and the peak bytes the
tapes held are compared; both gradients are checked against each other.

- reaction-diffusion, u[1:-1] += dt * (lap(u) + u - u**3): the backward needs the
  interior before each step (the cubic's derivative), so a hand-written backward keeps
  u[1:-1] per step.
- heat, u[1:-1] = u[1:-1] + k * lap(u): linear, so a hand-written backward keeps nothing;
  neither does adjoint's: its backward reads u only for its shape, so the overwritten
  slices are not put back (reverse/restores.py) and only the shapes are kept.
"""
from __future__ import annotations

import argparse
import ast
import sys

import numpy as np

import adjoint
import tapes


def reaction_diffusion(u0, dt):
    u = u0.copy()
    for t in range(STEPS):
        lap = u[2:] - 2.0 * u[1:-1] + u[:-2]
        u[1:-1] += dt * (lap + u[1:-1] - u[1:-1] ** 3)
    return np.sum(u * u)


def reaction_diffusion_by_hand(u0, dt, book):
    """Forward keeping u[1:-1] before each step; backward of the same loop."""
    u = u0.copy()
    kept = tapes.Recorder("interior", book)
    for t in range(STEPS):
        kept.append(u[1:-1].copy())
        lap = u[2:] - 2.0 * u[1:-1] + u[:-2]
        u[1:-1] += dt * (lap + u[1:-1] - u[1:-1] ** 3)
    g = 2.0 * u
    for t in reversed(range(STEPS)):
        inner = kept.pop()
        gi = g[1:-1].copy()  # the step's output gradient on the interior
        step = dt * gi
        g[1:-1] = gi + step * (1.0 - 3.0 * inner ** 2) - 2.0 * step
        g[2:] += step
        g[:-2] += step
    return g


def heat(u0, k):
    u = u0.copy()
    for t in range(STEPS):
        u[1:-1] = u[1:-1] + k * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u * u)


def heat_by_hand(u0, k, book):
    u = u0.copy()
    for t in range(STEPS):
        u[1:-1] = u[1:-1] + k * (u[2:] - 2 * u[1:-1] + u[:-2])
    g = 2.0 * u
    for t in range(STEPS):  # linear: nothing kept
        gi = g[1:-1].copy()
        g[1:-1] = gi - 2.0 * k * gi
        g[2:] += k * gi
        g[:-2] += k * gi
    return g


STEPS = 100


def recorded_gradient(df, args, book):
    """Run adjoint's generated code with each list it starts empty recording its bytes."""
    df(*args)
    tree = ast.parse(df.source)
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef))
    for stmt in fn.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.List) and not stmt.value.elts:
            name = stmt.targets[0].id
            stmt.value = ast.Call(ast.Name("_recorder", ast.Load()),
                                  [ast.Constant(name), ast.Name("_book", ast.Load())], [])
    scope = tapes.generated_globals(df, args, sys.modules[__name__])
    scope.update(_recorder=tapes.Recorder, _book=book)
    exec(compile(ast.fix_missing_locations(tree), f"<recorded {fn.name}>", "exec"), scope)
    return scope[fn.name](*args)


def compare(label, func, by_hand, args) -> list:
    ours, theirs = tapes.Book(), tapes.Book()
    g_adjoint = recorded_gradient(adjoint.grad(func), args, ours)
    g_hand = by_hand(*args, theirs)
    if not np.allclose(g_adjoint, g_hand, rtol=1e-9, atol=1e-12):
        raise AssertionError(f"{label}: adjoint's gradient and the hand-written one differ")
    ratio = f"{ours.peak / theirs.peak:.3f}x" if theirs.peak else "(hand-written keeps nothing)"
    return [f"{label}: adjoint's tapes at their fullest {tapes.kib(ours.peak)}, hand-written "
            f"{tapes.kib(theirs.peak)}: {ratio}",
            "  adjoint keeps: " + "; ".join(f"{name} {tapes.runs(d)}" for name, d in ours.pushed.items())]


def main(argv=None) -> int:
    global STEPS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="grid points")
    parser.add_argument("--steps", type=int, default=100, help="time steps")
    args = parser.parse_args(argv)
    STEPS = args.steps
    u0 = np.sin(np.linspace(0.0, np.pi, args.n)) * 0.5
    lines = compare("reaction-diffusion", reaction_diffusion, reaction_diffusion_by_hand, (u0, 0.1))
    lines += compare("heat", heat, heat_by_hand, (u0, 0.2))
    print(f"{args.n} points, {args.steps} steps")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
