"""Backward loops that walk their tape (passes/tape_loops.py) and forward temporaries
written into their reader inside loops (passes/forward_temps.py): the code each gives,
the loops where each must not apply, and every gradient checked against finite
differences (or numbers worked out by hand)."""
from __future__ import annotations

import math
import operator
import re

import numpy as np
import pytest

import adjoint
from adjoint import ir, passes
from adjoint.codegen import function_source
from adjoint.errors import Location
from adjoint.testing import check_grads


def loop(x, y):
    for i in range(50):
        x = x - 0.01 * math.sin(x) * y
    return x


def several(x, y):
    for i in range(6):
        a = x * y
        x = math.sin(a) + x
        y = y * 0.9 + math.cos(x)
    return x + y


def nested(x):
    for i in range(3):
        for j in range(2):
            x = math.sin(x) * 1.2 + x
    return x


def grows(x, c):
    while x < 10.0:
        x = x * c + 0.5
    return x * x


def breaks(x):
    for i in range(20):
        if x > 5.0:
            break
        x = x * 1.3 + math.sin(x)
    return x


def skips(x):
    for i in range(9):
        if i % 3 == 0:
            continue
        x = x * 1.01 + math.sin(x)
    return x


def pushes_on_a_branch(x):
    for i in range(6):
        if x > 0.5:
            x = math.sin(x) * 1.1
    return x


def reads_its_counter(x, ys):
    for i in range(3):
        x = math.sin(x) * ys[i]
    return x


def carried(x, n):
    z = x * 2.0
    w = z * z  # its gradient needs z as it was before the loop: the first value pushed
    for i in range(n):
        z = math.sin(z) * 0.5 + z
    return z + w


def arrays(x, w):
    for i in range(4):
        x = x + 0.1 * np.sin(x) * w
    return np.sum(x * x)


def rnn(h, Wh, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t])
    return np.sum(h * h)


def matrices(x, W):
    for i in range(3):
        x = x + 0.5 * (x @ W)
    return np.sum(x * x)


def helper(x):
    for i in range(3):
        x = x * 0.9 + math.sin(x)
    return x


def calls_helper(x):
    return helper(x) * helper(x * 2.0)


def softsign(x):
    return x / (1.0 + abs(x))


@adjoint.rule(softsign)
def d_softsign(g, y, x):
    return g / (1.0 + abs(x)) ** 2


def calls_a_rule(x):
    for i in range(3):
        x = softsign(x) * 0.5 + x
    return x


def straight(x, y):
    return x - 0.01 * math.sin(x) * y


def _source(f, wrt, *args, **options) -> str:
    return adjoint.source(f, wrt, *args, **options)


# the walk --------------------------------------------------------------------------------

def test_the_scalar_loop_walks_its_tape_and_gives_the_hand_written_numbers():
    src = _source(loop, ("x", "y"), 2.0, 0.1)
    assert "    for x in reversed(x_tape):\n" in src and ".pop()" not in src, src
    assert "        x_tape.append(x)\n        x = x - 0.01 * math.sin(x) * y\n" in src, src
    xs, x, y = [], 2.0, 0.1
    for _ in range(50):
        xs.append(x)
        x = x - 0.01 * math.sin(x) * y
    gx, gy = 1.0, 0.0
    for x_i in reversed(xs):
        gy -= gx * 0.01 * math.sin(x_i)
        gx *= 1.0 - 0.01 * y * math.cos(x_i)
    got = adjoint.grad(loop, (0, 1))(2.0, 0.1)
    assert got == pytest.approx((gx, gy), rel=1e-13)
    check_grads(loop, 2.0, 0.1, wrt=(0, 1))


def test_of_several_tapes_the_one_popped_before_any_read_is_walked():
    src = _source(several, ("x", "y"), 0.4, 0.7)
    assert "for y in reversed(y_tape):" in src, src
    assert "x = x_tape.pop()" in src, src  # x is read before its pop: the old x
    check_grads(several, 0.4, 0.7, wrt=(0, 1))


def test_a_while_loop_walks_its_tape_and_drops_its_trip_counter():
    src = _source(grows, ("x", "c"), 1.0, 1.5)
    assert "for x in reversed(x_tape):" in src and "trips" not in src, src
    check_grads(grows, 1.0, 1.5, wrt=(0, 1))
    assert adjoint.grad(grows, (0, 1))(20.0, 1.5) == (40.0, 0.0)  # no trips at all


def test_an_empty_walk_leaves_the_value_as_it_was():
    src = _source(carried, "x", 0.3, 3)
    assert "for z in reversed(z_tape):" in src, src
    for n in (0, 1, 4):
        check_grads(carried, 0.3, n, wrt=0)
    assert adjoint.grad(carried)(0.3, 0) == pytest.approx(2.0 + 8.0 * 0.3, rel=1e-14)


def test_a_loop_of_arrays_walks_its_tape():
    x, w = np.linspace(-1.0, 1.5, 5), np.linspace(0.5, 2.0, 5)
    assert "in reversed(x_tape):" in _source(arrays, ("x", "w"), x, w)
    check_grads(arrays, x, w, wrt=(0, 1))


def test_a_walked_matrix_keeps_its_rank_for_the_matmul_helpers():
    x, W = np.arange(6.0).reshape(2, 3) / 7, np.eye(3) * 0.3 + 0.1
    src = _source(matrices, ("x", "W"), x, W)
    assert "for x_prev in reversed(x_tape):" in src, src
    assert "@ W.T" in src and "x.T @ " in src and "matmul_left" not in src, src  # (passes/ranks.py)
    check_grads(matrices, x, W, wrt=(0, 1))


def test_a_function_differentiated_through_walks_its_tape_in_its_backward_half():
    src = _source(calls_helper, "x", 0.3, callees=True)
    backward = src[src.index("def bwd_helper"):]
    assert "for x in reversed(x_tape):" in backward, src
    check_grads(calls_helper, 0.3)


@pytest.mark.parametrize("f, args, wrt", [
    (nested, (0.3,), 0),  # one tape for every outer iteration: popped across them
    (breaks, (0.5,), 0),  # the last trip pushes nothing
    (breaks, (0.1,), 0),
    (skips, (0.2,), 0),  # skipped trips push nothing
    (pushes_on_a_branch, (0.9,), 0),
    (reads_its_counter, (0.4, np.array([1.1, 0.9, 1.3])), (0, 1)),  # i is read in the backward
    (rnn, (np.full((2, 3), 0.1), np.eye(3) * 0.5, np.ones((4, 2, 3)) * 0.2), (0, 1, 2)),  # h read first
])
def test_where_a_walk_is_not_proved_the_pop_stays(f, args, wrt):
    src = _source(f, wrt if isinstance(wrt, tuple) else (wrt,), *args)
    assert re.search(r"= \w+_tape\.pop\(\)", src) and not re.search(r"in reversed\(\w+_tape\)", src), src
    check_grads(f, *args, wrt=wrt)


# forward temporaries -------------------------------------------------------------------

def test_outside_loops_the_forward_keeps_one_line_per_operation():
    src = _source(straight, ("x", "y"), 2.0, 0.1)
    assert "s0 = math.sin(x)" in src and "s1 = 0.01 * s0" in src, src


def test_a_call_of_the_users_own_function_keeps_its_line():
    src = _source(calls_a_rule, "x", 0.3)
    assert re.search(r"\n\s+s\d+ = softsign\(x\)\n", src), src
    check_grads(calls_a_rule, 0.3)


def test_a_temporary_the_backward_reads_keeps_its_line():
    def exp_loop(x, w):
        for i in range(3):
            x = np.exp(x * w) * 0.1 + x
        return np.sum(x)
    x, w = np.array([0.3, -0.2]), np.array([0.7, 1.1])
    src = _source(exp_loop, ("x", "w"), x, w)
    assert re.search(r"\n\s+s\d+ = np\.exp\(x \* w\)\n", src), src  # its rule reads exp's value
    check_grads(exp_loop, x, w, wrt=(0, 1))


X, Y = ir.Var("x", ir.Kind.PARAM), ir.Var("y", ir.Kind.USER)
S0, S1 = ir.Var("s0", ir.Kind.TEMP), ir.Var("s1", ir.Kind.TEMP)
SIN, COS = (ir.Ref("math", math, (name,), getattr(math, name)) for name in ("sin", "cos"))
PRINT = ir.Ref("print", print, (), print)
HERE, ELSEWHERE = Location("f.py", 3, 4, "y = ..."), Location("f.py", 4, 4, "y = ...")


def _folded_loop(*body) -> str:
    loop = ir.For(ir.Var("i", ir.Kind.USER), ir.Const(0), ir.Const(3), ir.Const(1), list(body))
    fn = ir.Function("f", [X], [loop, ir.Return(Y)])
    lines = function_source(passes.inline_forward_in_loops(fn)).splitlines()[2:-1]
    return "\n".join(line.strip() for line in lines)


def test_temporaries_go_into_their_reader_in_the_order_it_reads_them():
    text = _folded_loop(ir.Assign(S0, ir.Call(SIN, (X,)), HERE), ir.Assign(S1, ir.Call(COS, (X,)), HERE),
                        ir.Assign(Y, ir.BinOp(operator.add, S0, S1), HERE))
    assert text == "y = math.sin(x) + math.cos(x)"


def test_a_reader_that_would_change_the_order_of_evaluation_gets_nothing():
    body = (ir.Assign(S0, ir.Call(SIN, (X,)), HERE), ir.Assign(S1, ir.Call(COS, (X,)), HERE),
            ir.Assign(Y, ir.BinOp(operator.add, S1, S0), HERE))
    assert _folded_loop(*body) == "s0 = math.sin(x)\ns1 = math.cos(x)\ny = s1 + s0"


def test_a_temporary_moves_within_its_line_past_pushes_of_plain_variables_only():
    other_line = (ir.Assign(S0, ir.Call(SIN, (X,)), ELSEWHERE), ir.Assign(Y, ir.BinOp(operator.mul, S0, X), HERE))
    assert _folded_loop(*other_line) == "s0 = math.sin(x)\ny = s0 * x"
    printing = (ir.Assign(S0, ir.Call(SIN, (X,)), HERE), ir.ExprStmt(ir.Call(PRINT, (X,)), HERE),
                ir.Assign(Y, ir.BinOp(operator.mul, S0, X), HERE))
    assert _folded_loop(*printing) == "s0 = math.sin(x)\nprint(x)\ny = s0 * x"
    tape, copy = ir.Var("x_tape", ir.Kind.TAPE), ir.Ref("np", np, ("copy",), np.copy)
    plain = (ir.Assign(S0, ir.Call(SIN, (X,)), HERE), ir.Push(tape, X, HERE),
             ir.Assign(Y, ir.BinOp(operator.mul, S0, X), HERE))
    assert _folded_loop(*plain) == "x_tape.append(x)\ny = math.sin(x) * x"
    copying = (plain[0], ir.Push(tape, ir.Call(copy, (X,)), HERE), plain[2])  # a copy computes
    assert _folded_loop(*copying) == "s0 = math.sin(x)\nx_tape.append(np.copy(x))\ny = s0 * x"


# the numba backend ---------------------------------------------------------------------

@pytest.mark.slow  # numba compiles each gradient: seconds
@pytest.mark.parametrize("f, args, wrt", [(loop, (2.0, 0.1), (0, 1)), (several, (0.4, 0.7), (0, 1)),
                                          (grows, (1.0, 1.5), (0, 1))])
def test_the_numba_backend_walks_the_same_tapes(f, args, wrt):
    pytest.importorskip("numba")
    pytest.importorskip("scipy")
    assert "[::-1]:" in _source(f, wrt, *args, backend="numba")
    grad_fn = adjoint.grad(f, wrt, backend="numba")
    assert grad_fn(*args) == pytest.approx(adjoint.grad(f, wrt)(*args), rel=1e-12)
    check_grads(f, *args, wrt=wrt, grad_fn=grad_fn)
