"""check_finite: generated code that stops at the first gradient holding nan or inf and
says where it comes from (adjoint/debug.py), and costs nothing when off."""
import inspect
import re

import numpy as np
import pytest

import adjoint
from adjoint.runtime import debug


def line_of(func, text: str) -> int:
    """The file line of the first line of `func` containing `text`."""
    lines, start = inspect.getsourcelines(func)
    return start + next(k for k, line in enumerate(lines) if text in line)


def root(x):
    y = np.sqrt(x)
    return np.sum(y)


def root_of_zero(x):
    z = x * 0.0
    return np.sum(np.sqrt(z) + x)


def inner(x, w):
    return np.tanh(np.sqrt(x) * w)


def outer(x, w):
    return np.sum(inner(x, w) + x)


def shadows(x):
    check_finite = np.sin(x)
    return np.sum(check_finite * x)


def test_nan_from_sqrt_at_zero_names_the_user_line():
    with pytest.raises(adjoint.NonFiniteGradient) as info:
        adjoint.grad(root, check_finite=True)(np.array([0.0, 4.0]))
    message = str(info.value)
    line = line_of(root, "np.sqrt(x)")
    assert f"{__file__}:{line}:" in message
    assert "y = np.sqrt(x)" in message
    assert "grad_x is not finite, in the backward of this line" in message
    # the generated line, and the values it read, summarized
    assert "grad_x = safe_div(grad_y, 2 * y); check_finite(grad_x)" in message
    assert "grad_x = array(2,) float64, 1 inf of 2; e.g. [0]=inf" in message
    assert "y = array(2,) float64, all finite; first entries [0.0, 2.0]" in message
    error = info.value
    assert error.variables == ("grad_x",)
    assert (error.origin.filename, error.origin.line) == (__file__, line)
    filename, generated_line, text = error.generated
    assert filename.startswith("<adjoint grad_root")
    assert adjoint.source(root, check_finite=True).splitlines()[generated_line - 1].strip() == text
    assert set(error.values) == {"grad_x", "grad_y", "y"}


def test_nan_in_the_middle_of_the_backward_is_caught_where_it_appears():
    with pytest.raises(adjoint.NonFiniteGradient) as info:
        adjoint.grad(root_of_zero, check_finite=True)(np.array([1.0, 2.0]))
    message = str(info.value)
    assert f"{__file__}:{line_of(root_of_zero, 'np.sqrt(z)')}:" in message
    assert "grad_z is not finite" in message
    assert "2 inf of 2" in message


def test_value_and_grad_and_source_take_the_flag():
    with pytest.raises(adjoint.NonFiniteGradient):
        adjoint.value_and_grad(root, check_finite=True)(np.array([0.0, 1.0]))
    text = adjoint.source(root, check_finite=True)
    assert "grad_x = safe_div(grad_y, 2 * y); check_finite(grad_x)\n" in text
    assert "grad_out = 1.0\n" in text  # constants need no check


def test_finite_gradients_pass_unchanged():
    x = np.array([0.5, 4.0])
    checked = adjoint.value_and_grad(root, check_finite=True)(x)
    plain = adjoint.value_and_grad(root)(x)
    assert checked[0] == plain[0]
    np.testing.assert_array_equal(checked[1], plain[1])
    assert adjoint.grad(root, check_finite=True)(4.0) == 0.25  # scalars too


def test_off_by_default_and_byte_identical(monkeypatch):
    monkeypatch.delenv(debug.ENV_CHECK_FINITE, raising=False)
    plain = adjoint.source(root)
    assert "check_finite" not in plain
    assert adjoint.source(root, check_finite=False) == plain
    monkeypatch.setenv(debug.ENV_CHECK_FINITE, "0")
    assert adjoint.source(root) == plain
    assert adjoint.grad(root)(np.array([0.0, 1.0]))[0] == np.inf  # no check: inf comes out
    # the checks sit on the lines they check: removing them gives the plain code back
    checked = adjoint.source(root, check_finite=True)
    assert re.sub(r"; check_finite\(\w+\)", "", checked) == plain


def test_environment_variable_turns_checks_on(monkeypatch):
    monkeypatch.setenv(debug.ENV_CHECK_FINITE, "1")
    assert "check_finite(grad_x)" in adjoint.source(root)
    with pytest.raises(adjoint.NonFiniteGradient):
        adjoint.grad(root)(np.array([0.0, 1.0]))
    # an explicit flag wins over the environment
    assert adjoint.grad(root, check_finite=False)(np.array([0.0, 1.0]))[0] == np.inf


def test_environment_is_read_when_the_gradient_is_compiled(monkeypatch):
    monkeypatch.delenv(debug.ENV_CHECK_FINITE, raising=False)
    droot = adjoint.grad(root)
    x = np.array([0.0, 1.0])
    assert droot(x)[0] == np.inf  # compiled without checks
    monkeypatch.setenv(debug.ENV_CHECK_FINITE, "1")
    assert droot(x)[0] == np.inf  # the compiled code is kept: the fast path reads nothing
    assert "check_finite" in adjoint.grad(root).source  # a new gradient compiles with checks
    with pytest.raises(adjoint.NonFiniteGradient):
        droot(0.0)  # new argument types compile anew, with checks


def test_functions_differentiated_through_are_checked_at_their_own_lines():
    with pytest.raises(adjoint.NonFiniteGradient) as info:
        adjoint.grad(outer, check_finite=True)(np.array([0.0, 1.0]), 2.0)
    message = str(info.value)
    assert f"{__file__}:{line_of(inner, 'np.sqrt(x)')}:" in message
    assert "<adjoint fwd_inner" in message
    text = adjoint.source(outer, check_finite=True, callees=True)
    assert "check_finite(grad_x)" in text.split("def bwd_inner")[1]
    # and the plain pair is a different one, cached apart
    assert "check_finite" not in adjoint.source(outer, callees=True)


def test_a_user_name_check_finite_is_not_shadowed():
    text = adjoint.source(shadows, check_finite=True)
    assert "check_finite_1(grad_x)" in text
    x = np.array([0.3, 0.7])
    np.testing.assert_allclose(adjoint.grad(shadows, check_finite=True)(x),
                               adjoint.grad(shadows)(x))


def test_summaries():
    assert debug.summarize(np.array([[1.0, np.nan], [np.inf, -np.inf]])) == \
        "array(2, 2) float64, 1 nan, 2 inf of 4; e.g. [0, 1]=nan, [1, 0]=inf, [1, 1]=-inf"
    assert debug.summarize(np.arange(6.0)) == \
        "array(6,) float64, all finite; first entries [0.0, 1.0, 2.0, 3.0, ...]"
    assert debug.summarize(np.arange(4.0)) == \
        "array(4,) float64, all finite; first entries [0.0, 1.0, 2.0, 3.0]"
    assert debug.summarize(float("nan")) == "nan (not finite)"
    assert debug.summarize(np.float64(np.inf)) == "float64 inf (not finite)"
    assert debug.summarize((1.0, np.zeros(2))).startswith("tuple of 2: (1.0, array(2,) float64")
    assert debug.summarize(np.arange(3)) == "array(3,) int64: [0, 1, 2]"


@pytest.mark.parametrize("value, finite", [
    (1.0, True), (float("inf"), False), (float("nan"), False), (np.float32(np.nan), False),
    (np.array([1.0, 2.0]), True), (np.array([1.0, np.nan]), False), (np.arange(3), True),
    ((1.0, np.array([np.inf])), False), ({"a": 1.0}, True), ({"a": np.nan}, False),
    (None, True), (3, True), (complex(1, np.inf), False),
])
def test_check_finite_values(value, finite):
    assert debug._finite(value) is finite
