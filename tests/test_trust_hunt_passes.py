"""An adversarial hunt against the optimizations that pick one of two forms of the same
computation (passes/ranks.py, tape_loops.py, forward_temps.py, float_kinds.py +
python_floats.py, the entry's guards), and what the hunt found elsewhere.

Each program is compiled as shipped and with optimize=False: the two must agree exactly
(values, gradients, their types, the exception raised), and the gradients must match
finite differences. Programs that once gave a wrong answer or crashed say so.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads

RNG = np.random.default_rng(11)


def outcome(f, args, wrt, optimize: bool):
    """value_and_grad on copies of the arguments, or the exception's type and first line."""
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return adjoint.value_and_grad(f, wrt=wrt, optimize=optimize)(*copies)
    except Exception as exc:  # noqa: BLE001 -- the same exception both ways is the check
        return ("raised", type(exc).__name__, str(exc).splitlines()[0])


def same(a, b) -> bool:
    """Equal, of the same types, dtypes and shapes (nan equal to nan; -0.0 equal to 0.0:
    folding `grad = 0.0 + e` into `grad = e` keeps e's sign of zero, IEEE's sum does not)."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if type(a) is not type(b):
        return False
    if isinstance(a, (np.ndarray, np.generic, float, complex)):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    return a == b


def agree(f, args, wrt=0, fd=True):
    """The optimized and plain gradients agree; both match finite differences."""
    optimized, plain = outcome(f, args, wrt, True), outcome(f, args, wrt, False)
    assert same(optimized, plain), (optimized, plain)
    assert not (isinstance(plain, tuple) and plain[0] == "raised"), plain
    value = f(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    assert same(np.asarray(optimized[0]), np.asarray(value)) or np.allclose(optimized[0], value)
    if fd:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_grads(f, *args, wrt=wrt)
    return optimized


# tuple assignments inside loops and branches (found here: lowering/swaps.py) -----------------
def swap_in_loop(x, y):
    for i in range(2):
        x, y = y * 1.1 + math.sin(x), x  # once: y read the new x (value and gradient wrong)
    return x * y * y


def swap_in_branch(x, y, c):
    if c > 0:
        x, y = y * 2.0, x
    return x * y * y


def plain_swap(x, y):
    for i in range(3):
        x, y = y, x
    return x * y * y


def swap_in_while(x, y):
    while x < 5.0:
        x, y = y + 1.0, x
    return x * y * y


def rotate_arrays(a, b, c):
    for i in range(2):
        a, (b, c) = b, (c * 1.5, a)
    return np.sum(a * b * b * c * c * c)


@pytest.mark.parametrize("f, args, wrt", [
    (swap_in_loop, (0.3, 0.6), (0, 1)), (swap_in_branch, (0.3, 0.7, 1), (0, 1)),
    (swap_in_branch, (0.3, 0.7, -1), (0, 1)), (plain_swap, (0.3, 0.5), (0, 1)),
    (swap_in_while, (0.3, 0.5), (0, 1)),
    (rotate_arrays, (np.array([0.3, 0.4]), np.array([0.5, 0.6]), np.array([0.7, 0.8])), (0, 1, 2)),
])
def test_tuple_assignment_reads_every_value_first(f, args, wrt):
    agree(f, args, wrt)


# backward loops walking their tape (passes/tape_loops.py) -------------------------------------
def early_return(x, n):
    for i in range(n):
        x = x * 1.1 + math.sin(x)
        if x > 3.0:
            return x * x  # once: optimize=False crashed (a push read `returned` unbound)
    return x


def while_return(x):
    while x < 50.0:
        x = x * 1.5 + math.sin(x)
        if x > 30.0:
            return x - 1.0
    return x


def appends(x, n):
    out = []
    for i in range(n):
        x = math.sin(x) + x
        out.append(x)  # once: optimize=False crashed (a push read `out` unbound)
    return sum(out)


def pushed_on_one_branch(x, n):
    for i in range(n):
        if i % 2 == 0:
            x = math.sin(x) * 1.3 + x
    return x


def while_true_break(x):
    k = 0
    while True:
        x = x * 1.2 + math.sin(x)
        k = k + 1
        if k > 4:
            break
    return x


def while_grows(x, c):
    while x < 20.0:
        x = x * c + math.cos(x)
    return x


def counted_while(x):
    i = 0
    while i < 5:
        x = x * 1.1 + math.sin(x)
        i += 1
    return x


def nested_shared(x):
    for i in range(3):
        x = x * 1.05 + math.sin(x)
        for j in range(2):
            x = math.cos(x) + x
    return x


def zero_trips(x, n):
    for i in range(n):
        x = math.sin(x) + x
    return x * 2.0


def bound_rebound(x, n):
    m = n
    for i in range(m):
        x = math.sin(x) + x
    m = 2  # the backward of the first loop must not run twice
    for i in range(m):
        x = math.cos(x) * x
    return x


def two_loops(x, y, n):
    for i in range(n):
        x = x * y + math.sin(x)
    for i in range(n):
        y = y * x + math.cos(y)
    return x + y


def stepped(x, n):
    for i in range(n, 0, -2):
        x = x * 0.9 + math.sin(x * i)
    return x


def counter_read_after(x, n):
    for i in range(n):
        x = x * 0.9 + math.sin(x)
    return x * i


def counter_reassigned(x):
    for i in range(5):
        x = math.sin(x * i) + x
        i = i * 2
        x = x + i * 0.1
    return x


def over_a_list(x, ws):
    for w in ws:
        x = math.tanh(x * w) + x
    return x


def over_rows(x, W):
    s = 0.0
    for row in W:
        x = np.tanh(x * row) + x
        s = s + np.sum(x)
    return s


def inner_break(x):
    for i in range(4):
        for j in range(3):
            x = x * 1.1 + math.sin(x)
            if x > 4.0:
                break
        x = x + math.cos(x)
    return x


def loop_per_branch(x, n, flag):
    if flag:
        for i in range(n):
            x = math.sin(x) + x * 1.1
    else:
        for i in range(n):
            x = math.cos(x) + x
    return x


TAPE_PROGRAMS = [
    (early_return, (0.5, 10), 0), (early_return, (0.5, 0), 0), (early_return, (0.1, 3), 0),
    (while_return, (0.5,), 0), (while_return, (60.0,), 0), (appends, (0.2, 4), 0), (appends, (0.2, 0), 0),
    (pushed_on_one_branch, (0.4, 7), 0), (while_true_break, (0.3,), 0),
    (while_grows, (0.5, 2.0), (0, 1)), (while_grows, (25.0, 2.0), (0, 1)), (counted_while, (0.3,), 0),
    (nested_shared, (0.2,), 0), (zero_trips, (0.3, 0), 0), (zero_trips, (0.3, 4), 0),
    (bound_rebound, (0.3, 3), 0), (two_loops, (0.3, 0.7, 4), (0, 1)), (stepped, (0.2, 7), 0),
    (counter_read_after, (0.2, 3), 0), (counter_reassigned, (0.3,), 0),
    (over_a_list, (0.3, [0.5, 1.5, -0.3]), (0, 1)),
    (over_rows, (np.array([0.1, 0.2]), np.array([[0.3, 0.1], [0.2, 0.5], [0.4, 0.3]])), (0, 1)),
    (inner_break, (0.5,), 0), (loop_per_branch, (0.3, 4, True), 0), (loop_per_branch, (0.3, 4, False), 0),
]


@pytest.mark.parametrize("f, args, wrt", TAPE_PROGRAMS)
def test_tape_walks_agree_with_pops(f, args, wrt):
    agree(f, args, wrt)


# ranks (passes/ranks.py) and the entry's ndim checks ------------------------------------------
def set_shape(a):
    setattr(a, "shape", (a.size,))  # (a user's function could do the same: a.shape = ...)


def reshaped_in_place(a, W):
    set_shape(a)  # once: a was taken for a matrix all along: grad_W = a.T @ g, a number
    return np.sum((a @ W) * np.arange(1.0, 5.0))


def setattr_shape(a, W):
    setattr(a, "shape", (4,))
    return np.sum((a @ W) * np.arange(1.0, 5.0))


def resized(a, W):
    np.ndarray.resize(a, (4,), refcheck=False)
    return np.sum((a @ W) * np.arange(1.0, 5.0))


@pytest.mark.parametrize("f", [reshaped_in_place, setattr_shape, resized])
def test_an_array_reshaped_in_place_keeps_the_general_helpers(f):
    a, W = RNG.normal(size=(2, 2)), RNG.normal(size=(4, 4))
    grads = agree(f, (a, W), (0, 1), fd=False)[1]
    assert np.shape(grads[1]) == (4, 4)
    assert np.allclose(grads[1], np.outer(a.reshape(-1), np.arange(1.0, 5.0)))
    assert "matmul_right" in adjoint.source(f, (0, 1), a.copy(), W)


def where_of_one(M, W):
    idx = np.where(M)  # a tuple of index arrays (not np.where(c, a, b): no rank of M's)
    return np.sum((idx @ W) * np.arange(1.0, 7.0).reshape(2, 3))


def test_np_where_of_one_argument_is_not_taken_for_elementwise():
    M, W = np.eye(3) > 0, RNG.normal(size=(3, 3))  # once: 'tuple' object has no attribute 'T'
    grad = agree(where_of_one, (M, W), 1, fd=False)[1]
    assert np.allclose(grad, np.array(np.where(M)).T @ np.arange(1.0, 7.0).reshape(2, 3))


def pair(*ab):
    return ab[0] * ab[1]


def spread_array(x, W):
    s = pair(*x)  # x is spread: the entry checks it by type, and by ndim too
    return np.sum((x @ W) * np.linspace(0.5, 2.0, 2)) + np.sum(s * s)


def test_an_array_spread_over_a_call_has_its_ndim_checked():
    df = adjoint.grad(spread_array, wrt=(0, 1))
    W = RNG.normal(size=(3, 2))
    for x in (RNG.normal(size=(2, 3)), RNG.normal(size=(2, 2, 3)), RNG.normal(size=(2, 3))):
        check_grads(spread_array, x, W, wrt=(0, 1), grad_fn=df)  # once: 3-d ran the 2-d code
    assert len(df.sources) == 2


# a user's function adjoint does not read (reverse/unread.py; found here) ----------------------
def validate(a):
    if a.ndim != 2:  # (raise: the fence refuses it, so adjoint never lowers validate)
        raise ValueError(f"expected a matrix, got shape {a.shape}")
    return np.linalg.norm(a) + a.mean() + len(a)


def triple_in_place(a):
    a *= 3.0
    if a.ndim == 0:
        raise ValueError("a number")


def validated(a, W):
    validate(a)  # reads only: runs as written, nothing refused
    return np.sum((a @ W) * np.arange(1.0, 3.0))


def tripled_copy(a, W):
    triple_in_place(np.copy(a))  # the fix the refusal names
    return np.sum((a @ W) * np.arange(1.0, 3.0))


def tripled(a, W):
    triple_in_place(a)  # once: run as written, unseen: every gradient of a 3x too small
    return np.sum((a @ W) * np.arange(1.0, 3.0))


def tripled_after(a, W):
    y = np.sum((a @ W) * np.arange(1.0, 3.0))
    triple_in_place(a)  # the backward reads a (grad_W = a.T @ g): written here
    return y


def checked_each(a, W):
    checks_each([a, W], a)  # iterates over the arrays and reads them: runs as written
    return np.sum((a @ W) * np.arange(1.0, 3.0))


@pytest.mark.parametrize("f", [validated, tripled_copy, checked_each])
def test_an_unread_function_that_only_reads_runs_as_written(f):
    agree(f, (np.full((2, 2), 0.5), np.eye(2) + 0.1), (0, 1))


@pytest.mark.parametrize("f", [tripled, tripled_after])
def test_an_unread_function_that_may_write_its_argument_is_refused(f):
    with pytest.raises(adjoint.UnsupportedSyntax, match="triple_in_place.*does not read.*write into its argument a"):
        adjoint.grad(f, wrt=(0, 1))(np.full((2, 2), 0.5), np.eye(2) + 0.1)


@pytest.mark.parametrize("name, written", [("validate", set()), ("triple_in_place", {"a"}),
                                           ("assigns_shape", {"a"}), ("aliases", {"b"}),
                                           ("hands_on", {"a", "b"}), ("sorts", {"a"}),
                                           ("spreads", {"xs", "kw"}), ("checks_each", set()),
                                           ("scales_each", {"arrs"}), ("zeroes_each", {"arrs"}),
                                           ("writes_a_view", {"a"}), ("scales_a_copy", set()),
                                           ("stores_it", {"a", "box"})])
def test_which_parameters_an_unread_function_may_write(name, written):
    from adjoint.reverse.unread import unread_writes
    assert unread_writes(globals()[name]) == written


def assigns_shape(a, b):
    a.shape = (a.size,)
    raise ValueError(b.shape)


def aliases(a, b):
    c = b  # (c is b: what c's uses do is not followed)
    print(a.T.shape, np.sum(a), a[0] > 1, f"{a}")
    raise ValueError(c)


def hands_on(a, b):
    np.copyto(a, b.T)
    np.add(b, 1.0, b)  # out by position
    raise ValueError


def sorts(a):
    a.sort()
    raise ValueError


def checks_each(arrs, a):
    for x in arrs:  # x is each array itself: its uses are followed, and only read
        if x.size == 0 or not np.isfinite(x).all():
            raise ValueError("empty or not finite")
    b = a.T
    if b.shape[0] != len(arrs):
        raise ValueError(b.shape)


def scales_each(arrs):
    for x in arrs:
        x *= 2.0
    raise ValueError


def zeroes_each(arrs):
    for k, x in enumerate(arrs):
        x.fill(float(k))
    raise ValueError


def writes_a_view(a):
    b = a.T
    b[0] = 1.0
    raise ValueError


def scales_a_copy(a):
    out = a.copy()  # a new array: what is done to it does not reach a
    out /= out.std()
    raise ValueError(out)


def stores_it(a, box):
    box.item = a  # (whoever holds box may write a later)
    raise ValueError


def spreads(*xs, **kw):
    xs[0][0] = 1.0
    kw["k"].fill(0.0)
    raise ValueError


# optimize=False on branches returning early (reverse/branches.py; found here) -----------------
W4 = np.array([0.52, 0.57, 0.43, 0.24])


def returns_in_both(x, a):
    a = a * (0.9 + 0.1 * np.tanh(-1.33))
    if a < 0.27:  # once, unoptimized: zero_grad(s22) of the other path's value, never made
        return 1.08 * a + 0.31 * np.sum(x * W4)
    t = np.outer(x, W4)
    return -0.86 * a + -1.36 * np.sum(t * x)


def made_on_one_path(x, a):
    if np.sum(x) > 0.0:
        b = a * 2.0
        y = np.sin(x) * b
    else:
        c = a * 3.0
        y = np.cos(x) * c
    return np.sum(y * W4)


@pytest.mark.parametrize("f, args", [
    (returns_in_both, (np.array([0.1, 0.2, 0.3, 0.4]), 0.2)),
    (returns_in_both, (np.array([0.1, 0.2, 0.3, 0.4]), 0.5)),
    (made_on_one_path, (np.array([0.1, 0.2, 0.3, 0.4]), 0.5)),
    (made_on_one_path, (np.array([-0.1, -0.2, 0.3, -0.4]), 0.5)),
])
def test_unoptimized_branches_read_only_their_own_values(f, args):
    agree(f, args, (0, 1))


@pytest.mark.slow
@pytest.mark.parametrize("start", range(0, 400, 100))
def test_random_programs_give_the_same_bits_without_the_passes(start, tmp_path):
    import random_programs as rp
    for seed in range(start, start + 100):
        program = rp.generate(seed)
        f = rp.load(program, str(tmp_path))
        optimized = outcome(f, rp.copy_args(program.args), program.wrt, True)
        plain = outcome(f, rp.copy_args(program.args), program.wrt, False)
        assert same(optimized, plain), (seed, optimized, plain, program.source)
