"""Programs that crashed inside adjoint (issue 10, "internal crashes"): each now gives the
gradient, checked against finite differences.

- `is` / `is not` / `in` / `not in` had no entry in the comparison table (KeyError).
- Structuring copies the statements after a branch that may return into each path that
  stays; those copies defined the same SSA variable twice (IRError).
- `a, b = np.exp(p)` handed the exp rule the unpacked rows as if exp returned a tuple.
- The shape-only tapes did not record the shape of a parameter or of a value assigned
  without a push (r = 0.0 before a loop): a callee's backward read None as a shape.
- Python floats raised ZeroDivisionError in the slope of x ** 0 at 0 (it is 0).
"""
from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads

RNG = np.random.default_rng(11)


# is, is not, in, not in ----------------------------------------------------------------
def masked(x, mask=None):
    if mask is not None:
        x = x * mask
    if mask is None:
        x = x * 2.0
    return np.sum(x * x)


def by_name(x, names):
    y = x
    if "double" in names:
        y = y * 2.0
    if "triple" not in names:
        y = y * 3.0
    return np.sum(y * x)


def test_identity_and_membership_conditions():
    x = RNG.standard_normal(3)
    check_grads(masked, x)
    check_grads(masked, x, RNG.standard_normal(3), wrt=(0, 1))
    check_grads(by_name, x, ("double",))
    check_grads(by_name, x, ["triple"])


def test_show_and_check_handle_is_not(tmp_path):
    module = tmp_path / "mask_module.py"
    module.write_text("import numpy as np\n\n\ndef masked(x, mask=None):\n"
                      "    if mask is not None:\n        x = x * mask\n    return np.sum(x * x)\n")
    for command in ("show", "check"):
        done = subprocess.run([sys.executable, "-m", "adjoint", command, f"{module}:masked"],
                              capture_output=True, text=True, timeout=120,
                              cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == 0, done.stdout + done.stderr


# early returns in nested branches ------------------------------------------------------
def nested_return(x, y):
    if x > 0.0:
        if y > 0.0:
            return y * x
        x = x * 3.0
    return y + x


def nested_break(x, ys):
    s = 0.0
    for y in ys:
        if y > 0.0:
            if x > 1.0:
                break
            s = s + np.sin(x * y)
        s = s * y + x
    return s


@pytest.mark.parametrize("point", [(0.3, -0.2), (0.3, 0.2), (-0.3, 0.2), (-0.3, -0.2)])
def test_nested_early_return_then_outer_assignment(point):
    check_grads(nested_return, *point, wrt=(0, 1))


@pytest.mark.parametrize("x, ys", [(0.3, [0.5, -0.2, 0.4]), (1.3, [-0.5, 0.2, 0.4]),
                                   (1.3, [-0.5, -0.2, -0.4])])
def test_nested_break_then_outer_assignment(x, ys):
    check_grads(nested_break, x, np.array(ys), wrt=(0, 1))


# unpacking a computed value ------------------------------------------------------------
def unpack_exp(p):
    a, b = np.exp(p)
    return a * b + a


def unpack_rows(m):
    top, bottom = np.tanh(m)
    return np.sum(top * np.array([1.0, 2.0])) + np.sum(bottom ** 2)


def unpack_eigh(m):
    w, v = np.linalg.eigh(m + m.T)
    return np.sum(w * np.array([1.0, 3.0])) + np.sum(v[:, 0] ** 4)


def test_unpacking_a_computed_array():
    check_grads(unpack_exp, np.array([0.1, 0.2]))
    check_grads(unpack_rows, RNG.standard_normal((2, 2)))


def test_unpacking_a_computed_tuple_still_works():
    check_grads(unpack_eigh, np.array([[1.0, 0.3], [0.2, 2.0]]))


# shapes kept for callees' backwards ----------------------------------------------------
def horner(cs, x):
    r = 0.0
    for c in cs:
        r = r * x + c
    return r


def horner_at_first(cs, xs):
    return horner(cs, xs[0])


def swapped(z):
    return np.array([z[1], z[0]])


def two_stage_steps(z, dt):
    for _ in range(3):
        k1 = swapped(z)
        k2 = swapped(z + dt * k1)
        z = z + dt * k2
    return z


def integrate(z):
    return np.sum(two_stage_steps(z, 0.1) * np.array([1.0, -2.0]))


def test_loop_carried_scalar_in_a_callee_given_an_array_element():
    cs, xs = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.7])
    for wrt in (0, 1, (0, 1)):
        check_grads(horner_at_first, cs, xs, wrt=wrt)


def test_runge_kutta_style_helper_feeding_one_call_into_the_next():
    check_grads(integrate, np.array([1.0, 2.0]))


# powers and means at the edges ---------------------------------------------------------
def power_zero(x):
    return x ** 0.0


def np_power_zero(x):
    return np.sum(np.power(x, 0.0) * x)


def power_of_array(x, b):
    return np.sum(np.power(x, b))


def test_zero_exponent_at_zero_has_slope_zero():
    assert adjoint.grad(power_zero)(0.0) == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no spurious divide-by-zero warning either
        check_grads(np_power_zero, np.array([0.0, 1.5]))
        g = adjoint.grad(power_of_array)(np.array([0.0, 2.0]), np.array([0.0, 3.0]))
    np.testing.assert_allclose(g, [0.0, 12.0])


def test_square_root_slope_at_zero_is_inf_as_in_numpy():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = adjoint.grad(power_of_array)(np.array([0.0, 4.0]), 0.5)
    assert g[0] == np.inf and g[1] == pytest.approx(0.25)


def mean_of(x):
    return np.mean(x)


def test_mean_of_an_empty_array_warns_like_numpy():
    with pytest.warns(RuntimeWarning):
        g = adjoint.grad(mean_of)(np.zeros(0))
    assert g.shape == (0,)


def times_nan(x):
    return np.sum(x) * np.nan


def test_check_grads_accepts_nan_where_finite_differences_give_nan():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = check_grads(times_nan, np.array([1.0, 2.0]))
    assert np.all(np.isnan(g[0]))
