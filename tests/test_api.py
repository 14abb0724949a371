"""The public API: grad, value_and_grad, source, rule, nondiff, and their options.

Expected numbers are derived by hand in the comments (or by finite differences).
"""
from __future__ import annotations

import sys

import numpy as np
import pytest

import adjoint
from adjoint.testing import GradientMismatch, check_grads, numerical_grad

THIS = sys.modules[__name__]


def poly(x, y):
    # f = x^2 y + 3y;  df/dx = 2xy, df/dy = x^2 + 3
    return x * x * y + 3.0 * y


# -- decorator forms and wrt -------------------------------------------------------------------

def test_grad_plain_call_defaults_to_first_parameter():
    assert adjoint.grad(poly)(2.0, 5.0) == 20.0


def test_grad_as_bare_decorator():
    @adjoint.grad
    def f(x, y):
        return x * x * y

    assert f(2.0, 5.0) == 20.0
    assert isinstance(f, adjoint.GradientFunction)
    assert f.__name__ == "f"


def test_grad_decorator_with_wrt_name():
    @adjoint.grad(wrt="y")
    def f(x, y):
        return x * x * y + 3.0 * y

    assert f(2.0, 5.0) == 7.0


def test_grad_decorator_with_wrt_tuple():
    @adjoint.grad(wrt=("y", "x"))
    def f(x, y):
        return x * x * y + 3.0 * y

    assert f(2.0, 5.0) == (7.0, 20.0)


def test_value_and_grad_decorator_forms():
    @adjoint.value_and_grad
    def f(x, y):
        return x * x * y

    @adjoint.value_and_grad(wrt=(0, 1))
    def g(x, y):
        return x * x * y

    assert f(2.0, 5.0) == (20.0, 20.0)
    assert g(2.0, 5.0) == (20.0, (20.0, 4.0))


@pytest.mark.parametrize("wrt,expected", [
    (0, 20.0), ("x", 20.0), (1, 7.0), ("y", 7.0), (-1, 7.0), (-2, 20.0),
    ((0,), (20.0,)), (("y",), (7.0,)), ((0, 1), (20.0, 7.0)), (("y", "x"), (7.0, 20.0)),
    ((1, "x"), (7.0, 20.0)), ([0, 1], (20.0, 7.0)),
])
def test_wrt_names_indices_and_tuples(wrt, expected):
    got = adjoint.grad(poly, wrt=wrt)(2.0, 5.0)
    assert got == expected
    assert type(got) is type(expected)  # a single wrt gives one gradient, a tuple a tuple


def test_wrt_attribute_reports_names():
    assert adjoint.grad(poly, wrt=(1, 0)).wrt == ("y", "x")
    assert adjoint.grad(poly).wrt == ("x",)


@pytest.mark.parametrize("wrt", ["x", ("x", "y"), ("y",)])
def test_value_and_grad_returns_value_and_the_same_grads(wrt):
    value, grads = adjoint.value_and_grad(poly, wrt=wrt)(2.0, 5.0)
    assert value == poly(2.0, 5.0)
    assert grads == adjoint.grad(poly, wrt=wrt)(2.0, 5.0)


def test_value_and_grad_on_arrays():
    x = np.array([0.5, -1.0, 2.0])

    def loss(x, w):
        return np.sum(w * np.tanh(x))

    w = np.array([1.0, 2.0, -3.0])
    value, (gx, gw) = adjoint.value_and_grad(loss, wrt=(0, 1))(x, w)
    assert value == pytest.approx(loss(x, w))
    np.testing.assert_allclose(gx, w * (1 - np.tanh(x) ** 2))
    np.testing.assert_allclose(gw, np.tanh(x))


# -- source --------------------------------------------------------------------------------

def scaled_sum(x, y):
    return x * y + x


def test_source_scalar_specialization_has_no_unbroadcast():
    text = adjoint.source(scaled_sum, "x", 1.0, 2.0)
    assert "unbroadcast" not in text
    assert "def grad_scaled_sum(x, y):" in text
    compile(text, "<source>", "exec")


def test_source_without_examples_is_array_code():
    text = adjoint.source(scaled_sum, "x")
    assert "unbroadcast" in text
    compile(text, "<source>", "exec")


def test_source_with_python_ints_is_scalar_code():
    assert "unbroadcast" not in adjoint.source(scaled_sum, "x", 1, 2)


def test_source_value_flag_and_optimize_flag():
    text = adjoint.source(scaled_sum, ("x", "y"), 1.0, 2.0, value=True)
    assert "def value_and_grad_scaled_sum(x, y):" in text
    plain = adjoint.source(scaled_sum, ("x", "y"), 1.0, 2.0, optimize=False)
    optimized = adjoint.source(scaled_sum, ("x", "y"), 1.0, 2.0)
    assert plain != optimized
    assert len(plain.splitlines()) > len(optimized.splitlines())


def test_dot_source_is_the_code_that_ran_last():
    dg = adjoint.grad(scaled_sum, wrt=("x", "y"))
    assert "unbroadcast" in dg.source  # before any call: array code, compiled when read
    assert str(dg.source) == adjoint.source(scaled_sum, ("x", "y"))
    assert dg.source.splitlines()[1].startswith("def grad_scaled_sum(")
    assert dg(1.0, 2.0) == (3.0, 1.0)
    assert "unbroadcast" not in dg.source
    gx, gy = dg(np.array(1.0), 3.0)  # a 0-d array: array code
    assert (gx, gy) == (4.0, 1.0)
    assert "unbroadcast" in dg.source
    dg(1.0, 2.0)
    assert "unbroadcast" not in dg.source
    assert len(dg.sources) == 2
    # .source is exactly the code that runs: executing it gives the same gradients
    namespace = {"unbroadcast": adjoint.unbroadcast}
    exec(dg.source, namespace)
    assert namespace["grad_scaled_sum"](1.5, -2.0) == (-1.0, 1.5)


def test_source_matches_adjoint_source():
    dg = adjoint.grad(scaled_sum)
    dg(1.0, 2.0)
    assert dg.source == adjoint.source(scaled_sum, "x", 1.0, 2.0)


# -- user rules ----------------------------------------------------------------------------

def cube(x):
    return x * x * x


@adjoint.rule(cube)
def d_cube(g, y, x):
    return g * 3.0 * x * x


def uses_cube(x, y):
    return cube(x) * y


def test_user_rule_is_pasted_into_generated_code():
    text = adjoint.source(uses_cube, "x", 2.0, 3.0)
    assert "3.0 * x * x" in text  # the rule's formula, with names substituted
    assert "d_cube" not in text  # pasted, not called


def test_user_rule_gives_correct_gradients():
    # d/dx (x^3 y) = 3x^2 y; d/dy = x^3
    assert adjoint.grad(uses_cube, wrt=("x", "y"))(2.0, 3.0) == (36.0, 8.0)
    check_grads(sum_uses_cube, np.array([0.5, -1.5, 2.0]), np.array([1.0, 2.0, 3.0]), wrt=(0, 1))


def sum_uses_cube(x, w):
    return np.sum(cube(x) * w)


def test_rule_functions_run_on_their_own():
    assert d_cube(1.0, 8.0, 2.0) == 12.0


def blend(a, b, t):
    return a * t + b * (1.0 - t)


@adjoint.rule(blend)
def d_blend(g, y, a, b, t):
    return g * t, g * (1.0 - t), None


def uses_blend(a, b, t):
    return blend(a, b, t) ** 2


def test_rule_with_several_inputs_and_none():
    a, b, t = 1.0, 2.0, 0.25
    s = a * t + b * (1 - t)
    ga, gb = adjoint.grad(uses_blend, wrt=(0, 1))(a, b, t)
    assert ga == pytest.approx(2 * s * t)
    assert gb == pytest.approx(2 * s * (1 - t))
    # the rule says t gets no gradient, but t's gradient is not 0: refused, never a silent 0
    with pytest.raises(adjoint.MissingRule, match="no gradient for its argument t"):
        adjoint.grad(uses_blend, wrt=(0, 1, 2))(a, b, t)
    text = adjoint.source(uses_blend, (0, 1), a, b, t)
    assert "(1.0 - t)" in text


def scaled(x, k=2.0):
    return x * k


@adjoint.rule(scaled)
def d_scaled(g, y, x, k=2.0):
    return g * k


def uses_scaled(x):
    return scaled(x, k=3.0) + scaled(x) * x


def test_rule_options_by_keyword_and_default():
    # 3x + 2x^2 -> 3 + 4x
    assert adjoint.grad(uses_scaled)(2.0) == 11.0


def stop(x):
    return x + 0.0


adjoint.nondiff(stop)


def uses_stop(x):
    return x * stop(x)


def test_nondiff_call_has_no_gradient():
    # stop(x) is treated as a constant: d/dx (x * c) = c = x
    assert adjoint.grad(uses_stop)(3.0) == 3.0
    np.testing.assert_allclose(adjoint.grad(sum_stop)(np.array([1.0, -2.0])), [1.0, -2.0])


def sum_stop(x):
    return np.sum(x * stop(x))


# -- staleness: rebinding what the function reads ---------------------------------------------

K = 2.0


def uses_K(x):
    return K * x * x


def test_rebinding_a_global_constant_is_picked_up(monkeypatch):
    dg = adjoint.grad(uses_K)
    assert dg(1.0) == 4.0
    monkeypatch.setattr(THIS, "K", 5.0)
    assert dg(1.0) == 10.0
    monkeypatch.setattr(THIS, "K", 2.0)
    assert dg(1.0) == 4.0


def sum_K(x):
    return np.sum(K * x * x)


def test_rebinding_a_global_between_array_calls(monkeypatch):
    dg = adjoint.grad(sum_K)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(dg(x), [4.0, 8.0])
    monkeypatch.setattr(THIS, "K", -1.0)
    np.testing.assert_allclose(dg(x), [-2.0, -4.0])
    # rebinding to an array of another shape: broadcasting code must now be used
    monkeypatch.setattr(THIS, "K", np.array([1.0, -1.0]))
    np.testing.assert_allclose(dg(x), [2.0, -4.0])


def test_rebinding_a_scalar_global_to_an_array(monkeypatch):
    # scalar code compiled while K was a float must not be reused once K is an array
    dg = adjoint.grad(sum_K)
    assert dg(1.5) == 6.0
    monkeypatch.setattr(THIS, "K", np.array([1.0, -1.0, 2.0]))
    assert dg(1.5) == pytest.approx(2 * 1.5 * 2.0)


def square_helper(x):
    return x * x


@adjoint.rule(square_helper)
def d_square_helper(g, y, x):
    return g * 2.0 * x


def cube_helper(x):
    return x * x * x


@adjoint.rule(cube_helper)
def d_cube_helper(g, y, x):
    return g * 3.0 * x * x


helper = square_helper


def uses_helper(x):
    return helper(x) * 2.0


def test_rebinding_a_helper_with_a_rule_is_picked_up(monkeypatch):
    dg = adjoint.grad(uses_helper)
    assert dg(3.0) == 12.0  # 2 * 2x
    assert "2.0 * x" in dg.source
    monkeypatch.setattr(THIS, "helper", cube_helper)
    assert dg(3.0) == 54.0  # 2 * 3x^2
    assert "3.0 * x * x" in dg.source


def make_counter_model():
    c = 1.0

    def model(x):
        return c * x * x

    def set_c(value):
        nonlocal c
        c = value

    return model, set_c


def test_rebinding_a_closure_cell_is_picked_up():
    model, set_c = make_counter_model()
    dg = adjoint.grad(model)
    assert dg(2.0) == 4.0
    set_c(3.0)
    assert dg(2.0) == 12.0


def make_model(c):
    def model(x):
        return c * np.sin(x)
    return model


def test_closures_from_one_factory_keep_their_own_constants():
    d1 = adjoint.grad(make_model(2.0))
    d2 = adjoint.grad(make_model(-3.0))
    assert d1(0.0) == 2.0
    assert d2(0.0) == -3.0
    assert d1(0.0) == 2.0


# -- signatures --------------------------------------------------------------------------------

def with_defaults(x, y=2.0, *, z=3.0):
    # f = x y z + z^2; df/dx = yz, df/dy = xz, df/dz = xy + 2z
    return x * y * z + z * z


def test_default_arguments_are_used():
    assert adjoint.grad(with_defaults)(1.0) == 6.0
    assert adjoint.grad(with_defaults, wrt="y")(1.0) == 3.0


def test_keyword_only_parameter_can_be_differentiated():
    dg = adjoint.grad(with_defaults, wrt=("x", "z"))
    assert dg(1.0) == (6.0, 8.0)
    assert dg(1.0, 4.0, z=5.0) == (20.0, 14.0)
    assert adjoint.grad(with_defaults, wrt=2)(1.0, z=2.0) == 6.0
    with pytest.raises(TypeError):
        dg(1.0, 2.0, 3.0)  # z is keyword-only, as in the original


def test_keyword_argument_calls():
    dg = adjoint.grad(with_defaults, wrt=("x", "y", "z"))
    expected = (2.0 * 5.0, 1.5 * 5.0, 1.5 * 2.0 + 10.0)
    assert dg(1.5, 2.0, z=5.0) == expected
    assert dg(x=1.5, y=2.0, z=5.0) == expected
    assert dg(z=5.0, y=2.0, x=1.5) == expected
    assert dg(1.5, z=5.0) == expected  # y defaults to 2.0
    value, grads = adjoint.value_and_grad(with_defaults, wrt=("x", "y", "z"))(y=2.0, x=1.5, z=5.0)
    assert value == with_defaults(1.5, 2.0, z=5.0)
    assert grads == expected


def test_gradient_function_signature_errors_like_the_original():
    dg = adjoint.grad(poly)
    with pytest.raises(TypeError):
        dg(1.0)
    with pytest.raises(TypeError):
        dg(1.0, 2.0, 3.0)
    with pytest.raises(TypeError):
        dg(1.0, 2.0, w=3.0)


def positional_only(x, /, y):
    return x * y


def test_positional_only_parameters():
    assert adjoint.grad(positional_only, wrt=(0, 1))(2.0, 5.0) == (5.0, 2.0)


def with_docstring(x):
    """A docstring and an annotation do not get in the way."""
    y: float = x * 2.0
    return y * x


def test_docstring_and_annotated_assignment():
    assert adjoint.grad(with_docstring)(3.0) == 12.0


# -- check_grads itself can fail ---------------------------------------------------------------

def test_check_grads_raises_on_a_wrong_gradient():
    wrong = adjoint.grad(poly, wrt=(0,))

    def bad_grad(*args):
        (g,) = wrong(*args)
        return (g + 1.0,)

    with pytest.raises(GradientMismatch) as info:
        check_grads(poly, 2.0, 5.0, wrt=0, grad_fn=bad_grad)
    assert "x" in str(info.value)


def test_check_grads_raises_on_a_wrong_shape():
    def flat_grad(x):
        return (np.ones(6),)

    with pytest.raises(GradientMismatch):
        check_grads(lambda_free_sum, np.ones((2, 3)), grad_fn=flat_grad)


def lambda_free_sum(x):
    return np.sum(x * x)


def test_numerical_grad_matches_hand_derivative():
    x = np.array([0.5, -1.0])
    np.testing.assert_allclose(numerical_grad(lambda_free_sum, [x], 0), 2 * x, rtol=1e-8)


def test_gradients_of_gradients_are_second_derivatives():
    # f = x^2 y + 3y: d2f/dx2 = 2y, d2f/dydx = 2x
    assert adjoint.grad(adjoint.grad(poly))(1.5, 2.0) == pytest.approx(4.0)
    assert adjoint.grad(adjoint.grad(poly), wrt="y")(1.5, 2.0) == pytest.approx(3.0)


def test_gradient_of_a_tuple_gradient_is_refused_cleanly():
    with pytest.raises(adjoint.AdjointError, match="not one scalar"):
        adjoint.grad(adjoint.grad(poly, wrt=("x", "y")))


def test_neuron_calls_run_one_frame_that_checks_types_and_guards_inline():
    """A call runs the entry (adjoint/entry.py): the generated gradient's own lines
    behind an inline check of the argument types, the free name `sigmoid` and f's
    `__code__`, and what the Python-float facts read of sigmoid's code (its `__code__`,
    its `np`, np's `exp`: passes/python_floats.py); nothing else is checked per call, and
    the entry is reused."""
    from helpers import load_example
    module = load_example("neuron")
    df = adjoint.value_and_grad(module.f, wrt=(0, 1, 2, 3, 4))
    value, grads = df(2.0, -1.0, -3.0, -2.0, -3.0)
    spec = df._specializer
    entry = spec.state
    # the gradient function is one plain function passing the call on to the entry
    assert df is spec.dispatcher and df.__code__.co_names == (spec.prefix + "current",)
    (_, guards), = spec.cache.values()
    assert sorted(key for _, key, _ in guards) == ["__code__", "__code__", "exp", "np", "sigmoid"]
    # the entry is compiled under the shown text's name, its body on the shown lines
    assert entry.__code__.co_filename == spec.last.function.__code__.co_filename
    assert entry.__code__.co_firstlineno == 2 and df.source.splitlines()[1].startswith("def ")
    df(1.0, -1.0, -3.0, -2.0, -3.0)
    assert spec.state is entry
    np.testing.assert_allclose(value, 1 / (1 + np.exp(-(2.0 * -1.0 + -3.0 * -2.0 - 3.0))))
    s = value * (1 - value)  # the lecture's numbers: sigmoid's slope times each other input
    np.testing.assert_allclose(grads, (s * -1.0, s * 2.0, s * -2.0, s * -3.0, s))
