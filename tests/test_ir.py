"""Lowering to SSA IR: flattening into temporaries, versions of reassigned names, verify()."""
from __future__ import annotations

import operator

import numpy as np
import pytest

import adjoint
from adjoint.codegen import function_source
from adjoint import ir
from adjoint.lowering.frontend import parse_function
from adjoint.lowering.lower import lower


def ir_text(func) -> str:
    fn = lower(parse_function(func))
    ir.verify(fn)  # every lowering is valid SSA
    return function_source(fn)


def nested(x, W, b):
    h = np.tanh(x @ W + b)
    return np.sum(h * h)


def test_nested_expression_is_flattened_into_temporaries_in_order():
    assert ir_text(nested) == """\
def nested(x, W, b):
    s0 = x @ W
    s1 = s0 + b
    h = np.tanh(s1)
    s2 = h * h
    out = np.sum(s2)
    return out
"""


def arithmetic(x, y):
    return (x + y) * (x - y) / -y


def test_evaluation_order_left_to_right():
    assert ir_text(arithmetic) == """\
def arithmetic(x, y):
    s0 = x + y
    s1 = x - y
    s2 = s0 * s1
    s3 = -y
    out = s2 / s3
    return out
"""


def reassigned(x):
    h = x * 2.0
    h = h + x
    h = np.tanh(h)
    return h


def test_reassigned_name_gets_versions():
    assert ir_text(reassigned) == """\
def reassigned(x):
    h = x * 2.0
    h_1 = h + x
    h_2 = np.tanh(h_1)
    return h_2
"""


def reassigned_param(x, y):
    x = x * y
    return x + y


def test_reassigned_parameter_gets_a_version():
    assert ir_text(reassigned_param) == """\
def reassigned_param(x, y):
    x_1 = x * y
    out = x_1 + y
    return out
"""


def user_took_s0(x, s0):
    s2 = x * s0 + x
    return s2 * (s0 - x)


def test_temporaries_skip_names_the_user_took():
    text = ir_text(user_took_s0)
    assert text == """\
def user_took_s0(x, s0):
    s1 = x * s0
    s2 = s1 + x
    s3 = s0 - x
    out = s2 * s3
    return out
"""


def user_took_h_1(x):
    h_1 = x * 3.0
    h = x + 1.0
    h = h * h_1
    return h


def test_versions_skip_names_the_user_took():
    text = ir_text(user_took_h_1)
    lines = text.splitlines()
    assert lines[1:3] == ["    h_1 = x * 3.0", "    h = x + 1.0"]
    # the second version of h must not be called h_1 (the user's variable)
    assert lines[3] == "    h_2 = h * h_1"
    assert lines[4] == "    return h_2"


def test_kinds_are_recorded_explicitly():
    fn = lower(parse_function(user_took_s0))
    kinds = {}
    for stmt in fn.body:
        for var in ir.targets(stmt):
            kinds[var.name] = var.kind
    assert kinds["s2"] is ir.Kind.USER  # the user's s2, though it looks like a temporary
    assert kinds["s1"] is ir.Kind.TEMP
    assert kinds["s3"] is ir.Kind.TEMP
    assert [p.kind for p in fn.params] == [ir.Kind.PARAM, ir.Kind.PARAM]


def swap_and_chain(x, y):
    a = b = x * y
    a, b = b + 1.0, a
    return a * b


def test_swap_and_chained_assignment_lowering():
    assert ir_text(swap_and_chain) == """\
def swap_and_chain(x, y):
    s0 = x * y
    a = s0
    b = s0
    s1 = b + 1.0
    a_1 = s1
    b_1 = a
    out = a_1 * b_1
    return out
"""


def test_gradient_with_user_named_s0():
    # f = (x s0 + x)(s0 - x); df/dx = (s0 + 1)(s0 - x) - (x s0 + x); df/ds0 = x (s0 - x) + x s0 + x
    x, s0 = 0.7, 1.9
    gx, gs0 = adjoint.grad(user_took_s0, wrt=(0, 1))(x, s0)
    assert gx == pytest.approx((s0 + 1) * (s0 - x) - (x * s0 + x))
    assert gs0 == pytest.approx(x * (s0 - x) + x * s0 + x)


@pytest.mark.parametrize("func,args", [
    (user_took_s0, (0.7, 1.9)), (user_took_h_1, (0.5,)), (swap_and_chain, (0.7, 1.9)),
    (reassigned, (0.3,)), (nested, (np.ones((2, 3)), np.ones((3, 2)), np.ones(2))),
])
@pytest.mark.parametrize("optimize", [True, False])
def test_every_stage_prints_valid_python(func, args, optimize):
    from adjoint.pipeline import compile_gradient
    compiled = compile_gradient(func, (func.__code__.co_varnames[0],), frozenset(),
                                return_value=True, optimize=optimize)
    for name, text in compiled.stages.items():
        compile(text, f"<{name}>", "exec")
    # the generated gradient's user-visible names follow the conventions
    assert f"def value_and_grad_{func.__name__}(" in compiled.source


def test_gradient_with_user_named_h_1():
    # h_1 = 3x, h = x + 1, h' = h h_1 = 3x^2 + 3x  ->  6x + 3
    assert adjoint.grad(user_took_h_1)(0.5) == pytest.approx(6.0)


# -- verify ----------------------------------------------------------------------------------

def _var(name, kind=ir.Kind.TEMP):
    return ir.Var(name, kind)


def test_verify_accepts_valid_ssa():
    x = _var("x", ir.Kind.PARAM)
    s0 = _var("s0")
    fn = ir.Function("f", [x], [ir.Assign(s0, ir.BinOp(operator.mul, x, x)), ir.Return(s0)])
    ir.verify(fn)
    assert function_source(fn) == "def f(x):\n    s0 = x * x\n    return s0\n"


def test_verify_rejects_double_assignment():
    x = _var("x", ir.Kind.PARAM)
    s0 = _var("s0")
    fn = ir.Function("f", [x], [
        ir.Assign(s0, ir.BinOp(operator.mul, x, x)),
        ir.Assign(s0, ir.BinOp(operator.add, x, x)),
        ir.Return(s0),
    ])
    with pytest.raises(ir.IRError, match="s0"):
        ir.verify(fn)


def test_verify_rejects_assigning_a_parameter():
    x = _var("x", ir.Kind.PARAM)
    fn = ir.Function("f", [x], [ir.Assign(_var("x", ir.Kind.USER), ir.Const(1.0)), ir.Return(x)])
    with pytest.raises(ir.IRError):
        ir.verify(fn)


def test_verify_rejects_double_assignment_through_tuple_target():
    x = _var("x", ir.Kind.PARAM)
    a, b = _var("a", ir.Kind.USER), _var("b", ir.Kind.USER)
    fn = ir.Function("f", [x], [
        ir.Assign(a, x),
        ir.Assign((b, a), ir.TupleExpr((x, x))),
        ir.Return(a),
    ])
    with pytest.raises(ir.IRError, match="a"):
        ir.verify(fn)


def test_verify_rejects_use_before_definition():
    x = _var("x", ir.Kind.PARAM)
    s0, s1 = _var("s0"), _var("s1")
    fn = ir.Function("f", [x], [
        ir.Assign(s0, ir.BinOp(operator.mul, s1, x)),
        ir.Assign(s1, ir.BinOp(operator.add, x, x)),
        ir.Return(s0),
    ])
    with pytest.raises(ir.IRError, match="s1"):
        ir.verify(fn)


def test_verify_allows_gradient_accumulation_only_after_definition():
    x = _var("x", ir.Kind.PARAM)
    g = _var("grad_x", ir.Kind.GRAD)
    ok = ir.Function("f", [x], [
        ir.Assign(g, x),
        ir.Assign(g, ir.BinOp(operator.add, g, x)),
        ir.Return(g),
    ])
    ir.verify(ok)
    bad = ir.Function("f", [x], [
        ir.Assign(g, ir.BinOp(operator.add, g, x)),
        ir.Return(g),
    ])
    with pytest.raises(ir.IRError):
        ir.verify(bad)
