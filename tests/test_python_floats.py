"""The backward's arithmetic on Python floats (adjoint/passes/python_floats.py).

Each program is compiled twice: as shipped, and with optimize=False (no passes, so no
rewrite: the code computing on numpy scalars as before). Both must give the same
gradients bit for bit -- nan and inf where they were, the same exception where one was
raised -- and of the same types; the gradients are also checked by finite differences.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import adjoint
from adjoint.passes.float_kinds import ANY, DOUBLE, FLOAT, INTEGRAL, CalleeKinds, infer
from adjoint.pipeline import lower_function
from adjoint.testing import check_grads


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@adjoint.rule(sigmoid)
def d_sigmoid(g, y, x):
    return g * (1 - y) * y


def neuron(w0, x0, w1, x1, w2):
    s0 = w0 * x0
    s1 = w1 * x1
    s2 = s0 + s1
    s3 = s2 + w2
    L = sigmoid(s3)
    return L


def exp_times_sqrt(x, y):
    return np.exp(x) * np.sqrt(y)  # at y = 0: sqrt's slope divides by 0


def math_sqrt_scaled(x, y):
    return math.sqrt(x) * y * np.exp(y)


def quotient(x, y):
    return np.sin(x) / y


def powers(x, y):
    return np.exp(x) ** 2 * y ** 3 + x ** 0.5


def gated(x, y):
    return np.exp(x) * (x > y) + np.tanh(y) * (y <= x)


def relu_chain(x, w):
    h = np.maximum(x * w, 0.0)
    return np.log1p(h) * w


def mixed_math(x, n):
    return math.sin(x) * n + math.exp(-x) * np.cos(x)


def float32_sum(a, b, A):
    # the gradient of the Python float a * b is a float32 (np.sum of float32 values): it
    # must not be computed on as a Python float (float32 arithmetic would become double)
    return np.sum(a * b * A)


def loop_sum(x, y, n):
    s = 0.0
    for i in range(n):
        s = s + np.sin(x * i) * y
    return s


def walk_loop(x, y):
    for i in range(5):
        x = x - 0.01 * math.sin(x) * y
    return x


W32 = np.array([0.1, 0.2, 0.3], dtype=np.float32)

PROGRAMS = [
    (neuron, (2.0, -1.0, -3.0, -2.0, -3.0)),
    (neuron, (0.0, 0.0, 0.0, 0.0, 0.0)),
    (neuron, (1e308, 10.0, 0.0, 0.0, 0.0)),  # overflow: exp(-inf), slope 0
    (exp_times_sqrt, (0.5, 2.0)),
    (exp_times_sqrt, (0.5, 0.0)),  # inf where numpy divides by 0
    (math_sqrt_scaled, (4.0, 0.7)),
    (quotient, (0.3, 2.0)),
    (quotient, (0.3, -0.0)),
    (powers, (0.4, 1.3)),
    (powers, (0.0, -2.0)),
    (gated, (0.5, 0.2)),
    (gated, (0.1, 0.2)),
    (relu_chain, (0.5, 2.0)),
    (relu_chain, (-0.5, 2.0)),
    (mixed_math, (0.6, 3)),
    (loop_sum, (0.3, 1.7, 4)),
    (walk_loop, (2.0, 0.1)),
]


def _outcome(f, args, optimize):
    """(value, gradients) of f at args, or the exception type it raised."""
    wrt = tuple(range(len(args) - (1 if f in (mixed_math, loop_sum) else 0)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return adjoint.value_and_grad(f, wrt=wrt, optimize=optimize)(*args)
        except Exception as error:  # noqa: BLE001 -- the same exception both ways
            return type(error)


def _same(a, b) -> bool:
    """Equal bit for bit (nan where nan), and of the same types."""
    if isinstance(a, tuple):
        return isinstance(b, tuple) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, type):
        return a is b
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True) and \
        np.array_equal(np.signbit(a), np.signbit(b))


@pytest.mark.parametrize("f, args", PROGRAMS, ids=lambda v: getattr(v, "__name__", ""))
def test_same_gradients_as_the_numpy_scalar_code(f, args):
    optimized, plain = _outcome(f, args, True), _outcome(f, args, False)
    assert _same(optimized, plain), (optimized, plain)


@pytest.mark.parametrize("f, args", [p for p in PROGRAMS if all(
    np.isfinite(a) and abs(a) < 1e300 for a in p[1]) and 0.0 not in p[1][:2]],
    ids=lambda v: getattr(v, "__name__", ""))
def test_gradients_match_finite_differences(f, args):
    if f in (mixed_math, loop_sum):
        check_grads(f, *args, wrt=tuple(range(len(args) - 1)))
    else:
        check_grads(f, *args, wrt=tuple(range(len(args))))


def test_neuron_computes_on_python_floats():
    df = adjoint.value_and_grad(neuron, wrt=(0, 1, 2, 3, 4))
    value, grads = df(2.0, -1.0, -3.0, -2.0, -3.0)
    backward = df.source.split("L = sigmoid(s3)\n", 1)[1]
    assert "L_float = float(L)" in backward and "grad_s3 = (1 - L_float) * L_float" in backward
    assert "grad_L" not in backward  # the seed 1.0 is folded into the first rule
    assert df.source.rstrip().endswith("return (L, (grad_w0, grad_x0, grad_w1, grad_x1, grad_w2))")
    assert type(value) is np.float64 and all(type(g) is float for g in grads)
    s = value * (1 - value)
    assert grads == (s * -1.0, s * 2.0, s * -2.0, s * -3.0, s)


@pytest.mark.parametrize("kind, expected", [
    (float, float), (np.float64, np.float64), (np.float32, np.float32), (int, float)])
@pytest.mark.parametrize("f", [neuron, relu_chain, mixed_math, powers])
def test_gradient_types_follow_the_arguments(f, kind, expected):
    if kind is int and f is powers:
        pytest.skip("x ** 0.5 of an int is a float: fine, but not the case here")
    n = 5 if f is neuron else 2
    values = [2, -1, -3, -2, -3][:n] if f is neuron else [1, 3]
    args = [kind(v) for v in values]
    wrt = tuple(range(n - 1 if f is mixed_math else n))
    if f is mixed_math:
        args[-1] = 3  # n stays an int
    grads = adjoint.grad(f, wrt=wrt)(*args)
    assert all(type(g) is expected for g in grads)
    plain = adjoint.grad(f, wrt=wrt, optimize=False)(*args)
    assert _same(grads, plain)


def test_arrays_keep_their_dtype():
    x32 = np.array([0.5, -1.0], dtype=np.float32)
    g = adjoint.grad(lambda_free, wrt=(0, 1))(x32, 2.0)
    assert g[0].dtype == np.float32 and type(g[1]) is float
    assert _same(g, adjoint.grad(lambda_free, wrt=(0, 1), optimize=False)(x32, 2.0))


def lambda_free(x, w):
    return np.sum(np.tanh(x) * w) * w


def test_a_walked_tape_of_python_floats_gives_python_floats():
    # for x in reversed(x_tape) (passes/tape_loops.py): x is what was pushed, a float
    df = adjoint.value_and_grad(walk_loop, wrt=(0, 1))
    value, grads = df(2.0, 0.1)
    assert "for x in reversed(x_tape):" in df.source
    assert df.source.rstrip().endswith("return (value, (grad_x, grad_y))")
    assert all(type(g) is float for g in grads)


def test_a_float32_gradient_of_a_python_float_keeps_float32_arithmetic():
    df = adjoint.grad(float32_sum, wrt=(0, 1))
    grads = df(0.3, 1.7, W32)
    assert _same(grads, adjoint.grad(float32_sum, wrt=(0, 1), optimize=False)(0.3, 1.7, W32))
    backward = df.source.split("# return")[1].rsplit("return", 1)[0]
    assert "float(" not in backward


def test_no_conversion_where_a_division_reads_the_gradient():
    # grad_s1 is divided (sqrt's slope): a Python float would raise where numpy gives inf
    text = adjoint.source(exp_times_sqrt, (0, 1), 0.5, 2.0)
    assert "grad_s1 = s0\n" in text and "safe_div(grad_s1, 2 * s1)" in text
    assert "return (grad_x, float(grad_y))" in text  # grad_y may be numpy's: converted
    value, (gx, gy) = adjoint.value_and_grad(exp_times_sqrt, wrt=(0, 1))(0.5, 0.0)
    assert gy == math.inf and type(gy) is float


def scale_by_int(x, n):
    return x * n


def test_the_seed_is_not_folded_into_an_int():
    df = adjoint.grad(scale_by_int, wrt=(0, 1))
    gx, gn = df(2.0, 3)
    assert (gx, gn) == (3.0, 2.0) and type(gx) is float and type(gn) is float
    assert "= grad_out * n" in df.source  # 1.0 * n: a float, where n alone is an int


def test_comparison_gradient_keeps_bool_operands():
    # g * (x > y): the seed is not folded into a bool, which numpy could not negate
    text = adjoint.source(gated, (0, 1), 0.5, 0.2)
    assert "grad_" in text
    check_grads(gated, 0.5, 0.2)


def test_kinds_of_a_small_program():
    lowered = lower_function(mixed_math)
    kinds = infer(lowered.fn, {"x": FLOAT, "n": INTEGRAL}, CalleeKinds(lower_function))
    by_name = {v.name: k for v, k in kinds.items()}
    assert by_name["x"] == FLOAT and by_name["n"] == INTEGRAL
    assert FLOAT in by_name.values() and DOUBLE in by_name.values()  # math.sin; np.cos
    lowered = lower_function(neuron)
    kinds = infer(lowered.fn, {n: FLOAT for n in ("w0", "x0", "w1", "x1", "w2")}, CalleeKinds(lower_function))
    assert {v.name: k for v, k in kinds.items()}["L"] == DOUBLE  # sigmoid's np.exp of a float
    kinds = infer(lowered.fn, {n: FLOAT for n in ("w0", "x0", "w1", "x1", "w2")})
    assert {v.name: k for v, k in kinds.items()}["L"] == ANY  # without reading sigmoid


def test_a_swapped_callee_is_compiled_again():
    df = adjoint.value_and_grad(neuron_of_helper, wrt=(0, 1))
    first = df(0.3, 0.8)
    original = helper.__code__
    try:
        helper.__code__ = helper32.__code__  # (as IPython's %autoreload does)
        swapped = df(0.3, 0.8)
        assert type(swapped[0]) is np.float32 and "float(s1)" not in df.source
        assert _same(swapped, adjoint.value_and_grad(neuron_of_helper, wrt=(0, 1), optimize=False)(0.3, 0.8))
    finally:
        helper.__code__ = original
    assert _same(df(0.3, 0.8), first)


def helper(x):
    return np.exp(x)


def helper32(x):
    return np.float32(np.exp(x))


@adjoint.rule(helper)
def d_helper(g, y, x):
    return g * y


def neuron_of_helper(x, w):
    return helper(x * w) * w


OFFSET = 1.5


def times_offset(x):
    return x * OFFSET


def test_a_module_global_guard_sees_rebinding_and_deletion(monkeypatch):
    # the entry reads guarded module globals as attributes (entry.py): a rebound or
    # deleted one must still reach the slow path
    df = adjoint.grad(times_offset)
    assert df(2.0) == 1.5
    monkeypatch.setattr(f"{__name__}.OFFSET", 2.5)
    assert df(2.0) == 2.5
    monkeypatch.delattr(f"{__name__}.OFFSET")
    with pytest.raises(Exception) as info:
        df(2.0)
    assert "OFFSET" in str(info.value)
    monkeypatch.undo()
    assert df(2.0) == 1.5
