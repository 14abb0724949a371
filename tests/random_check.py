"""Run one generated program (tests/random_programs.py) through adjoint and classify it.

Outcomes:
  OK       value and every gradient agree with f itself and with finite differences
           (and with autograd, where autograd can run the program).
  REFUSED  adjoint raised an AdjointError that is not an internal error.
  WRONG    a value, gradient, gradient structure or the caller's arrays came out wrong.
  CRASH    any other exception, or an AdjointError saying "internal error".

Finite differences are central, in float64, entry by entry, with step 1e-6; a gradient
only counts as wrong when it also disagrees with steps 1e-4 and 1e-7 (the generator keeps
every data-dependent condition at least 1e-3 from flipping, so no step crosses a branch).
"""
from __future__ import annotations

import numpy as np

import adjoint
import random_programs as rp

OK, REFUSED, WRONG, CRASH = "OK", "REFUSED", "WRONG", "CRASH"
RTOL = 1e-5


def classify(program: rp.Program, directory: str) -> tuple[str, str]:
    """(outcome, detail) for one program; detail is "" for OK."""
    f = rp.load(program, directory)
    args = rp.copy_args(program.args)
    try:
        value, grads = adjoint.value_and_grad(f, wrt=program.wrt)(*args)
    except adjoint.AdjointError as error:
        text = str(error)
        kind = CRASH if text.lower().startswith("internal error") else REFUSED
        return kind, f"{type(error).__name__}: {text}"
    except Exception as error:  # noqa: BLE001 - anything else is a crash by definition
        return CRASH, f"{type(error).__name__}: {error}"
    problem = _wrong(program, f, args, value, grads)
    return (WRONG, problem) if problem else (OK, "")


def _wrong(program, f, args, value, grads) -> str:
    for before, after in zip(program.args, args):
        if not np.array_equal(before, after):
            return "the caller's array was changed"
    expected = f(*rp.copy_args(program.args))
    if not np.isclose(value, expected, rtol=1e-9, atol=1e-12):
        return f"value {value!r}, but f returns {expected!r}"
    grads = grads if isinstance(grads, tuple) else (grads,)
    for position, (name, g) in enumerate(zip(program.wrt, grads)):
        given = program.args[position]
        if np.shape(g) != np.shape(given) or np.asarray(g).dtype != np.float64:
            return (f"gradient for {name} has shape {np.shape(g)} dtype {np.asarray(g).dtype}; "
                    f"{name} has shape {np.shape(given)}")
        if isinstance(given, float) and isinstance(g, np.ndarray):
            return f"gradient for the float {name} is a 0-d array, not a float"
    scale = max(1.0, abs(float(expected)))
    for position, (name, g) in enumerate(zip(program.wrt, grads)):
        mismatch = None
        for eps in (1e-6, 1e-4, 1e-7):
            fd = numerical_gradient(f, program.args, position, eps)
            mismatch = _mismatch(name, np.asarray(g, float), fd, scale)
            if mismatch is None:
                break
        if mismatch:
            return mismatch
    return _against_autograd(program, grads)


def _mismatch(name, got, expected, scale):
    atol = RTOL * max(scale, float(np.max(np.abs(expected), initial=0.0)))
    bad = ~np.isclose(got, expected, rtol=RTOL, atol=atol)
    if not np.any(bad):
        return None
    where = tuple(int(i) for i in np.argwhere(bad)[0]) if got.shape else ()
    return (f"gradient for {name}{list(where) if where else ''}: adjoint {got[where]!r}, "
            f"finite difference {expected[where]!r} ({int(np.sum(bad))} of {max(got.size, 1)} entries wrong)")


def numerical_gradient(f, args, position, eps):
    x = np.array(args[position], dtype=np.float64)
    out = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        values = []
        for sign in (1.0, -1.0):
            moved = rp.copy_args(args)
            if x.shape:
                moved[position] = x.copy()
                moved[position][index] += sign * eps
            else:
                moved[position] = float(x) + sign * eps
            values.append(float(f(*moved)))
        out[index] = (values[0] - values[1]) / (2 * eps)
    return out


def _against_autograd(program, grads) -> str:
    """Where autograd runs the program and agrees with finite differences, adjoint must
    agree with autograd to 1e-8: that catches errors too small for differences to see."""
    reference = autograd_gradients(program)
    if reference is None:
        return ""
    for name, got, want in zip(program.wrt, grads, reference):
        if not np.allclose(got, want, rtol=1e-8, atol=1e-10):
            return f"gradient for {name}: adjoint {got!r}, autograd {want!r}"
    return ""


def autograd_gradients(program):
    """autograd's gradients of the program, or None where autograd cannot run it (in-place
    writes, math.* on its boxes, ...) or disagrees with finite differences itself."""
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError:
        return None
    namespace = {}
    try:
        exec(compile(program.source, "<autograd copy>", "exec"), namespace)
        namespace["np"] = anp
        f = namespace["f"]
        out = [np.asarray(autograd.grad(f, k)(*rp.copy_args(program.args)), dtype=float)
               for k in range(len(program.wrt))]
    except Exception:  # noqa: BLE001 - autograd's own limits are not adjoint's problem
        return None
    for k, g in enumerate(out):
        fd = numerical_gradient(f, program.args, k, 1e-6)
        if not np.allclose(g, fd, rtol=1e-4, atol=1e-4 * max(1.0, float(np.max(np.abs(fd))))):
            return None
    return out
