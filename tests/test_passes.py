"""Each optimization pass, before and after, on short functions (golden strings), and the
rule that passes decide by a variable's kind, never by its spelling."""
from __future__ import annotations

import math
import operator

import numpy as np

import adjoint
from adjoint import ir, passes
from adjoint.codegen import function_source
from adjoint.pipeline import lower_function
from adjoint.reverse.sweep import differentiate


def _reverse(func, wrt=("x",), scalars=frozenset({"x"})):
    lowered = lower_function(func)
    params = [p for name in wrt for p in lowered.fn.params if p.name == name]
    grad_fn, _ = differentiate(lowered.fn, params, scalars, lowered.namer(), return_value=False,
                               number_types={name: float for name in scalars})
    return grad_fn


def _body(fn) -> str:
    """The function's statements, without provenance comments."""
    lines = function_source(fn).splitlines()[1:]
    return "\n".join(line.strip() for line in lines if not line.strip().startswith("#"))


def _ir_function(*body) -> ir.Function:
    x = ir.Var("x", ir.Kind.PARAM)
    return ir.Function("f", [x], list(body))


GRAD_X = ir.Var("grad_x", ir.Kind.GRAD, of=ir.Kind.PARAM)
X = ir.Var("x", ir.Kind.PARAM)


def test_fold_zero_starts():
    before = _ir_function(ir.Assign(GRAD_X, ir.Const(0.0)),
                          ir.Assign(GRAD_X, ir.BinOp(operator.add, GRAD_X, ir.BinOp(operator.mul, X, X))),
                          ir.Return(GRAD_X))
    assert _body(before) == "grad_x = 0.0\ngrad_x = grad_x + x * x\nreturn grad_x"
    assert _body(passes.fold_zero_starts(before)) == "grad_x = x * x\nreturn grad_x"


def test_fold_zero_starts_keeps_a_zero_read_before_the_first_contribution():
    before = _ir_function(ir.Assign(GRAD_X, ir.Const(0.0)),
                          ir.Assign(ir.Var("y", ir.Kind.USER), ir.BinOp(operator.mul, GRAD_X, X)),
                          ir.Assign(GRAD_X, ir.BinOp(operator.add, GRAD_X, X)),
                          ir.Return(GRAD_X))
    assert _body(passes.fold_zero_starts(before)) == _body(before)


def copy(x):
    y = x * 2.0
    z = y
    return math.sin(z)


COPY_REVERSED = """y = x * 2.0
z = y
out = math.sin(z)
grad_out = 1.0
grad_z = grad_out * math.cos(z)
grad_y = grad_z
grad_x = grad_y * 2.0
return float(grad_x)"""


def test_propagate_copies():
    before = _reverse(copy)
    assert _body(before) == COPY_REVERSED
    assert _body(passes.propagate_copies(before)) == COPY_REVERSED.replace(
        "grad_y = grad_z\ngrad_x = grad_y * 2.0", "grad_x = grad_z * 2.0")


def test_propagate_local_copies_rewrites_readers_and_leaves_the_copy_to_dead_code():
    after = _body(passes.propagate_local_copies(_reverse(copy)))
    assert after == COPY_REVERSED.replace("grad_x = grad_y * 2.0", "grad_x = grad_z * 2.0")


def test_remove_dead_code():
    def unused(x):
        y = np.exp(x)
        return x * 2.0
    before = _reverse(unused)
    assert _body(before) == ("y = np.exp(x)\nout = x * 2.0\ngrad_out = 1.0\n"
                             "grad_x = grad_out * 2.0\nreturn float(grad_x)")
    assert _body(passes.remove_dead_code(before)) == "grad_out = 1.0\ngrad_x = grad_out * 2.0\nreturn float(grad_x)"


def loop(x):
    for _ in range(3):
        x = x + 0.01 * math.sin(x)
    return x


def test_inline_in_loops():
    before = _reverse(loop)
    for optimization in passes.OPTIMIZATIONS[:-1]:  # what reaches inline_in_loops
        before = optimization(before)
    backward = "grad_x = 1.0\nfor _ in reversed(range(3)):\nx = x_tape.pop()\n"
    assert backward + "grad_s0 = grad_x * 0.01\ngrad_x = grad_x + grad_s0 * math.cos(x)" in _body(before)
    after = _body(passes.inline_in_loops(before))
    assert backward + "grad_x = grad_x + grad_x * 0.01 * math.cos(x)\nreturn float(grad_x)" in after


def _loop_with(name: str) -> str:
    source = (f"def f(x, ws):\n    for {name} in ws:\n        x = x * 0.5 + {name} * math.sin(x)\n"
              "    return x\n")
    namespace = {"math": math}
    exec(compile(source, f"<spelling {name}>", "exec"), namespace)
    import linecache
    linecache.cache[f"<spelling {name}>"] = (len(source), None, source.splitlines(True), f"<spelling {name}>")
    return adjoint.source(namespace["f"], "x", 0.3, np.ones(3))


def test_two_spellings_of_a_loop_variable_give_the_same_code():
    """`scale` starts like a temporary's gradient (grad_s...) would; the passes must not care."""
    weight = _loop_with("weight").replace("weight", "NAME")
    scale = _loop_with("scale").replace("scale", "NAME")
    assert weight == scale
