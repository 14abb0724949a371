"""A callee's backward returning its gradients without `separate` where each is a new array
of its own (adjoint/passes/fresh_returns.py): the code expected, gradients checked against
finite differences at several ranks, and the backward's outputs checked never to share
memory with each other, with the cotangent or with anything saved."""
import inspect
import operator

import numpy as np
import pytest

import adjoint
from adjoint import ir
from adjoint.passes.fresh_returns import hand_back_fresh
from adjoint.pipeline import cached_callees
from adjoint.runtime.core import separate
from adjoint.testing import check_grads

RNG = np.random.default_rng(1414)


def cell(h, x, Wh, Wx):
    return np.tanh(h @ Wh + x @ Wx)


def rnn(h, Wh, Wx, xs):
    for t in range(xs.shape[0]):
        h = cell(h, xs[t], Wh, Wx)
    return np.sum(h * h * np.arange(1.0, h.shape[-1] + 1))  # a non-uniform cotangent


def affine(x, W):
    return np.sin(x @ W) * 1.5


def weighted(y):
    return np.sum(y * np.linspace(0.5, 2.0, y.size).reshape(np.shape(y)))


def affine_loss(x, W):
    return weighted(affine(x, W))


def mixed_ranks(v, M, B):
    """One callee called with a vector, a matrix and a stack of matrices."""
    return weighted(affine(v, M)) + weighted(affine(M, M)) + weighted(affine(B, M))


def added(a, b):  # both gradients from one array: separate must stay
    return np.cos(a + b)


def added_loss(a, b):
    return weighted(added(a, b))


def scaled_plus(a, b):  # grad_a = g * b + g: a + stays unproven
    return a * b + a


def scaled_plus_loss(a, b):
    return weighted(scaled_plus(a, b))


def bwd_source(func, wrt, *args, name):
    text = adjoint.source(func, wrt, *args, callees=True)
    return text.split(f"def bwd_{name}")[1].split("\ndef ")[0]


def rnn_args(batch=3, hidden=4, inputs=2, steps=4):
    return (RNG.normal(size=(batch, hidden)), RNG.normal(size=(hidden, hidden)) / 2,
            RNG.normal(size=(inputs, hidden)) / 2, RNG.normal(size=(steps, batch, inputs)))


def test_the_rnn_cells_backward_hands_back_its_products():
    text = bwd_source(rnn, (0, 1, 2), *rnn_args(), name="cell")
    assert "separate(" not in text
    assert "return (grad_h, grad_Wh, grad_Wx)" in text
    # the pair compiled for matrices (the caller proves h, xs[t], Wh, Wx are): products
    for product in ("grad_Wx = x.T @ grad_s1", "grad_h = grad_s0 @ Wh.T", "grad_Wh = h.T @ grad_s0"):
        assert product in text
    assert "matmul_" not in text
    check_grads(rnn, *rnn_args(), wrt=(0, 1, 2))


@pytest.mark.parametrize("x_shape, W_shape", [((4,), (4, 3)), ((2, 4), (4, 3)), ((2, 4), (4,)),
                                              ((5, 2, 4), (4, 3)), ((4,), (4,))])
def test_callee_gradients_at_several_ranks(x_shape, W_shape):
    x, W = RNG.normal(size=x_shape), RNG.normal(size=W_shape)
    check_grads(affine_loss, x, W, wrt=(0, 1))
    assert "separate(" not in bwd_source(affine_loss, (0, 1), x, W, name="affine")


def test_one_callee_called_with_different_ranks():
    v, M, B = RNG.normal(size=3), RNG.normal(size=(3, 3)), RNG.normal(size=(2, 3, 3))
    check_grads(mixed_ranks, v, M, B, wrt=(0, 1, 2))
    sources = {key[-1]: vjp.source for key, vjp in cached_callees() if vjp.name == "affine"}
    for x_rank in (1, 2, 3):  # one pair per ranks; only the matrices' writes the products out
        text = sources[(("W", 2), ("x", x_rank))].split("def bwd_")[1]
        assert ("x.T @ grad_s0" in text) is (x_rank == 2)
        assert ("matmul_right(grad_s0, x, W)" in text) is (x_rank != 2)


def reshaped(x, W):
    y = np.reshape(x, (x.shape[0], -1))  # a rank the ranks pass does not follow
    return weighted(affine(y, W))


def linear(x, W):
    return x @ W


def linear_loss(x, W):
    return weighted(np.sin(linear(x, W)))


def inner(x, W):
    return np.sin(x @ W)


def nested(x, W):
    return np.tanh(inner(x, W) * 2.0)


def nested_loss(x, W):
    return weighted(nested(x, W) * x[:, :1])


def test_arguments_of_unproven_rank_get_none():
    x, W = RNG.normal(size=(2, 3, 2)), RNG.normal(size=(6, 4))
    check_grads(reshaped, x, W, wrt=(0, 1))
    key = next(key for key, vjp in cached_callees() if vjp.name == "affine" and key[-1] == (("W", 2),))
    assert "matmul_left(grad_s0, x, W)" in dict(cached_callees())[key].source


def test_a_seed_of_unproven_rank_keeps_the_helpers():
    """bwd_linear's seed may be a scalar zero (a value nothing used): its helpers stay."""
    x, W = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4))
    check_grads(linear_loss, x, W, wrt=(0, 1))
    text = bwd_source(linear_loss, (0, 1), x, W, name="linear")
    assert "matmul_left(grad_value, x, W)" in text and "matmul_right(grad_value, x, W)" in text


def test_a_callee_inside_a_callee_gets_the_ranks():
    x, W = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 3))
    check_grads(nested_loss, x, W, wrt=(0, 1))
    text = adjoint.source(nested_loss, (0, 1), x, W, callees=True)
    inner_bwd = text.split("def bwd_inner")[1]
    assert "grad_x = grad_s0 @ W.T" in inner_bwd and "matmul_" not in inner_bwd


def test_rank_specialized_backwards_take_a_scalar_zero_seed():
    """A caller may hand a pair 0.0 for a gradient nothing flowed into: every pair compiled
    for known ranks must give zeros then."""
    check_grads(rnn, *rnn_args(), wrt=(0, 1, 2))
    ours = (cell, affine, linear, inner)
    pairs = [(key, vjp) for key, vjp in cached_callees() if key[-1] and any(key[0] is f for f in ours)]
    assert pairs
    for key, vjp in pairs:
        ranks = dict(key[-1])
        names = list(inspect.signature(vjp.fwd_ref.value).parameters)
        args = [RNG.normal(size=(3,) * ranks.get(n, 2)) for n in names]
        _, saved = vjp.fwd_ref.value(*args)
        for g in vjp.bwd_ref.value(0.0, saved):
            assert not np.any(g)


@pytest.mark.parametrize("loss, name", [(added_loss, "added"), (scaled_plus_loss, "scaled_plus")])
def test_unproven_gradients_keep_separate(loss, name):
    a, b = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    assert "separate(" in bwd_source(loss, (0, 1), a, b, name=name)
    check_grads(loss, a, b, wrt=(0, 1))


@pytest.mark.parametrize("func, name, shapes", [
    (affine, "affine", [(2, 4), (4, 3)]), (affine, "affine", [(4,), (4,)]),
    (added, "added", [(2, 3), (2, 3)]), (added, "added", [(2, 3), (3,)]),
    (scaled_plus, "scaled_plus", [(2, 3), (2, 3)]),
    (cell, "cell", [(2, 4), (2, 3), (4, 4), (3, 4)])])
def test_backward_outputs_share_no_memory(func, name, shapes):
    """Run each cached pair itself: no gradient it returns shares memory with another, with
    the cotangent, or with a value the forward saved (each is updated in place later)."""
    args = [RNG.normal(size=s) for s in shapes]
    adjoint.grad(globals()["_loss_of_" + name], wrt=tuple(range(len(args))))(*args)
    wrt = func.__code__.co_varnames[:len(args)]
    ranks = tuple(sorted((p, np.ndim(a)) for p, a in zip(wrt, args)))  # (the pair for these)
    pairs = [vjp for key, vjp in cached_callees() if vjp.name == name and key[1] == wrt and key[-1] == ranks]
    assert pairs
    for vjp in pairs:
        value, saved = vjp.fwd_ref.value(*args)
        cotangent = RNG.normal(size=np.shape(value))
        grads = vjp.bwd_ref.value(cotangent, saved)
        held = [cotangent, *args, *(s for s in saved if isinstance(s, np.ndarray))]
        for k, g in enumerate(grads):
            assert isinstance(g, np.ndarray) and g.flags.writeable
            assert not any(np.shares_memory(g, other) for other in grads[k + 1:] + tuple(held))


def _loss_of_affine(x, W):
    return weighted(affine(x, W))


def _loss_of_added(a, b):
    return weighted(added(a, b))


def _loss_of_scaled_plus(a, b):
    return weighted(scaled_plus(a, b))


def _loss_of_cell(h, x, Wh, Wx):
    return weighted(cell(h, x, Wh, Wx))


def _function(body: list) -> ir.Function:
    return ir.Function("bwd", [ir.Var("a", ir.Kind.PARAM), ir.Var("b", ir.Kind.PARAM)], body)


SEPARATE = ir.Ref("separate", separate, (), separate)


def _var(name):
    return ir.Var(name, ir.Kind.LOCAL)


def _product(x, y):
    return ir.BinOp(operator.mul, x, y)


@pytest.mark.parametrize("body, freed", [
    ([ir.Assign(_var("p"), _product(_var("a"), _var("b"))),
      ir.Assign(_var("q"), ir.BinOp(operator.matmul, _var("a"), _var("b")))], True),
    # a copy: p and q are one array
    ([ir.Assign(_var("p"), _product(_var("a"), _var("b"))), ir.Assign(_var("q"), _var("p"))], False),
    # assigned twice (a loop's or a branch's): the pass does not follow which value it holds
    ([ir.Assign(_var("p"), _product(_var("a"), _var("b"))), ir.Assign(_var("q"), _product(_var("a"), _var("a"))),
      ir.Assign(_var("q"), _var("a"))], False),
    # + of gradients of containers returns one of them
    ([ir.Assign(_var("p"), _product(_var("a"), _var("b"))),
      ir.Assign(_var("q"), ir.BinOp(operator.add, _var("a"), ir.Const(0)))], False),
    # a parameter handed back as it came
    ([ir.Assign(_var("p"), _product(_var("a"), _var("b"))), ir.Assign(_var("q"), ir.Const(None))], False),
])
def test_the_pass_frees_only_proven_new_values(body, freed):
    fn = _function(body + [ir.Return(ir.Call(SEPARATE, (_var("p"), _var("q"))))])
    out = hand_back_fresh(fn)
    assert isinstance(out.body[-1].value, ir.TupleExpr) is freed


def test_one_array_handed_back_twice_keeps_separate():
    body = [ir.Assign(_var("p"), _product(_var("a"), _var("b")))]
    fn = _function(body + [ir.Return(ir.Call(SEPARATE, (_var("p"), _var("p"))))])
    assert hand_back_fresh(fn) is fn
    fn = _function(body + [ir.Return(ir.Call(SEPARATE, (_var("p"), _var("a"))))])
    assert hand_back_fresh(fn) is fn


def scaled_copy(v):
    return v * 1.0


def cell_reading_a_helper(h, W, x):
    return np.tanh(h @ W) * np.sum(scaled_copy(x))  # x is not differentiated: no pair


def loop_reading_a_helper(h, W, xs):
    for t in range(xs.shape[0]):
        h = cell_reading_a_helper(h, W, xs[t])
    return np.sum(h ** 2)


def test_functions_the_rank_facts_read_are_guarded():
    """The ranks of cell's pair rest on what scaled_copy returns: its code (replaced in
    place, as IPython's autoreload does) is checked on every call, with the pair's."""
    from adjoint.pipeline import pair_guards
    rng = np.random.default_rng(3)
    args = rng.standard_normal((3, 4)), rng.standard_normal((4, 4)) / 2, rng.standard_normal((2, 3, 4))
    dg = adjoint.grad(loop_reading_a_helper, wrt=(0, 1))
    dg(*args)
    compiled, = dg._specializer.compiled.values()
    guarded = [obj for _, key, obj in pair_guards(compiled.callees) if key == "__code__"]
    assert any(obj is scaled_copy.__code__ for obj in guarded)
    check_grads(loop_reading_a_helper, *args, wrt=(0, 1))
