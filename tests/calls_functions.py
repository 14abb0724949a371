"""Functions under test for test_calls.py: calls into the user's own functions.

adjoint reads source with inspect, so everything lives at module level. Helpers here call
helpers (here and in calls_other_module), recurse, close over values, are lambdas, carry
inactive arguments (ints, mode strings), and use array methods. Reduced results use fixed
non-uniform weights (W3, W4, ...) so a transposed or broadcast gradient cannot hide.
"""
from __future__ import annotations

import functools
import math

import numpy as np

import adjoint
import calls_other_module as other
from calls_other_module import smooth_abs, softplus

W3 = np.array([0.9, -1.4, 0.6])
W4 = np.array([1.3, -0.7, 2.1, 0.4])
W23 = np.array([[0.5, -1.1, 0.8], [1.6, 0.3, -0.9]])
W33 = np.array([[0.2, -1.3, 0.7], [1.1, 0.4, -0.6], [-0.8, 1.5, 0.9]])
W32 = np.array([[1.2, -0.3], [0.6, 1.9], [-1.4, 0.8]])
SCALE = 1.7


# -- depth ---------------------------------------------------------------------------------

def sq(x):
    return x * x


def quad(x):
    return sq(sq(x))


def level4(x):
    return np.sin(x) * x


def level3(x, y):
    return level4(x) + y * x


def level2(x, y):
    a = level3(x, y)
    return a * level4(y)


def level1(x, y):
    return level2(x, y) - level3(y, x)


def deep(x, y):
    return np.sum(level1(x, y) * 1.5)


def deep_array(x, y):
    return np.sum(level1(x, y) * W3)


def quad_weighted(x):
    return np.sum(quad(x) * W3)


def same_helper_twice(x, y):
    return np.sum(sq(x) * sq(y) + sq(x + y))


def nested_args(x, y):
    return np.sum(sq(level4(sq(x)) + y))


# -- another module --------------------------------------------------------------------------

def via_module_attribute(x):
    return np.sum(other.softplus(x) * other.scaled(x))


def via_imported_names(x):
    return np.sum(softplus(x) + smooth_abs(x))


def via_other_chain(x):
    return np.sum(other.chain(x) * W3)


def via_other_globals(v):
    return other.weighted(v) * SCALE


# -- helper defined after its caller ---------------------------------------------------------

def calls_later_helper(x):
    return np.sum(defined_later(x) * x)


def defined_later(x):
    return np.cos(x) + x * x


@adjoint.grad
def decorated_before_helper(x):
    return np.sum(helper_after_decorator(x) * W3)


def helper_after_decorator(x):
    return np.exp(x * 0.5) * x


# -- default, keyword, positional-only and keyword-only arguments ------------------------------

def affine(x, a=2.0, b=0.5):
    return a * x + b


def uses_defaults(x, y):
    return np.sum(affine(x) * affine(y, 3.0) * affine(x, b=y))


def keyword_call(x, y):
    return np.sum(affine(b=x, a=y, x=x * y))


def special_params(x, /, y, *, z=1.5):
    return x * y + z * x * x


def calls_special_params(x, y, w):
    return np.sum(special_params(x, y, z=w) + special_params(y, x))


def kwonly_defaults(x, *, scale=2.0, shift=0.5):
    return x * scale + shift


def calls_kwonly_defaults(x, s):
    return np.sum(kwonly_defaults(x) + kwonly_defaults(x, shift=s) * kwonly_defaults(s, scale=x))


# -- one helper, scalar and array arguments in one function --------------------------------------

def scalar_and_array(s, v):
    return sq(s) * np.sum(sq(v) * W3) + level4(s) + np.sum(level4(v))


# -- helpers in loops and branches ----------------------------------------------------------------

def cell(h, x, W):
    return np.tanh(h @ W + x)


def rnn(h, xs, W):
    for t in range(len(xs)):
        h = cell(h, xs[t], W)
    return np.sum(h * W3)


def rnn_outputs(h, xs, W):
    total = 0.0
    for t in range(len(xs)):
        h = cell(h, xs[t], W)
        total = total + np.sum(h * W3) * (t + 1)
    return total


def step(x):
    return np.sin(x) * 1.3 + x * 0.5


def self_assign(x):
    x = step(x)
    x = step(x)
    return np.sum(x * x)


def self_assign_loop(x, n):
    for i in range(n):
        x = step(x)
    return np.sum(x * W3)


def helper_in_branch(x, y):
    if np.sum(x) > 0.0:
        z = sq(x) * y
    else:
        z = level4(x) + y
    return np.sum(z)


def helper_in_while(x):
    k = 0
    while k < 3:
        x = step(x) * 0.9
        k = k + 1
    return np.sum(x)


def helper_in_data_branch_in_loop(x):
    for i in range(4):
        if np.sum(x) > 0.0:
            x = step(x) - 0.4
        else:
            x = sq(x) + 0.3
    return np.sum(x * W3)


def helper_in_nested_loops(x):
    for i in range(2):
        for j in range(3):
            x = step(x) * 0.9
    return np.sum(x)


def helper_before_break(x):
    for i in range(10):
        x = step(x)
        if np.sum(x * x) > 3.0:
            break
    return np.sum(x * W3)


def helper_accumulated(x):
    acc = 0.0
    for i in range(3):
        acc = acc + sq(x * (i + 1))
    return np.sum(acc * W3)


def helper_in_ifexp(x):
    return np.sum(sq(x) if np.sum(x) > 0 else step(x))


def caller_returns_early(x):
    for i in range(5):
        x = step(x)
        if np.sum(x) > 2.0:
            return np.sum(sq(x))
    return np.sum(x)


def two_carried_through_helpers(x):
    a = x
    b = x * 0.5
    for i in range(3):
        a = step(b)
        b = sq(a) * 0.5
    return np.sum(a * b)


# -- control flow inside helpers -------------------------------------------------------------------

def loop_helper(x, n):
    acc = x
    for i in range(n):
        acc = acc * x + 0.5
    return acc


def calls_loop_helper(x):
    return np.sum(loop_helper(x, 3) * W3)


def early_return_helper(x):
    if np.sum(x) > 1.0:
        return x * 2.0
    for i in range(3):
        if np.sum(x * x) > 4.0:
            return x * x
        x = x * 1.7
    return x - 1.0


def calls_early_return_helper(x):
    return np.sum(early_return_helper(x) * x)


def while_helper(x):
    t = x
    while np.sum(t * t) < 5.0:
        t = t * 1.5 + 0.1
    return t


def calls_while_helper(x):
    return np.sum(while_helper(x))


def identity(x):
    return x


def ignores_second(x, y):
    return x * 2.0


def trivial_helpers(x, y):
    z = identity(x)
    return np.sum(z * z * W3 + ignores_second(x, y) * y)


def method_on_helper_result(x):
    return sq(x).sum() * 2.0 + step(x).max()


# -- inactive arguments -----------------------------------------------------------------------------

def activate(x, mode, k):
    if mode == "tanh":
        y = np.tanh(x) * k
    elif mode == "square":
        y = x * x + k
    else:
        y = x
    return y


def uses_modes(x):
    return np.sum(activate(x, "tanh", 2) + activate(x, "square", 3) * activate(x, "none", 0))


def with_constant(x):
    return np.sum(affine(x, 3.0, W3) + activate(W3, "tanh", 1) * x)


def int_count_helper(x, n):
    return x * n + n


def uses_int_count(x, n):
    return np.sum(int_count_helper(x, n) * int_count_helper(x, 2))


# -- recursion --------------------------------------------------------------------------------------

def power(x, n):
    return 1.0 if n == 0 else x * power(x, n - 1)


def power_stmt(x, n):
    if n == 0:
        return 1.0
    else:
        return x * power_stmt(x, n - 1)


def power_halving(x, n):
    if n == 0:
        return 1.0
    half = power_halving(x, n // 2)
    if n % 2 == 0:
        return half * half
    return half * half * x


def fib_like(x, n):
    # two recursive calls in one body
    if n < 2:
        return x
    return fib_like(x, n - 1) * 0.5 + np.sin(fib_like(x, n - 2))


def recursion_in_loop(x, n):
    if n == 0:
        return x
    total = 0.0
    for i in range(2):
        total = total + recursion_in_loop(x * 0.5, n - 1) * (i + 1.5)
    return total + np.sin(x)


def calls_recursion_in_loop(x):
    return np.sum(recursion_in_loop(x, 3) * W3)


def calls_power(x):
    return np.sum(power(x, 3) * W3) + np.sum(power_stmt(x, 2))


def no_base_case(x):  # <no-base-case>
    return no_base_case(x * 0.5) + x


def calls_no_base_case(x):
    return no_base_case(x) * 2.0


def swap_rec(x, y, n):
    # only x is active at the top; the recursive call passes it as y
    if n == 0:
        return x * y
    return swap_rec(y, x, n - 1) + x


def calls_swap_rec(x):
    return swap_rec(x, 2.0, 3)


# -- closures ---------------------------------------------------------------------------------------

def make_model(scale):
    def model(x, w):
        return np.sum(np.tanh(x @ w) * scale)
    return model


def make_array_closure(bias):
    def shifted(x):
        return np.sin(x + bias) * bias
    return shifted


def make_settable(c):
    def settable(x):
        return c * x * x

    def set_c(value):
        nonlocal c
        c = value
    return settable, set_c


MODEL = make_model(1.3)
SETTABLE, SET_C = make_settable(2.0)
SHIFTED = make_array_closure(np.array([0.3, -0.5, 1.1]))


def calls_model(x, w):
    return MODEL(x, w) * 2.0 + np.sum(SHIFTED(w[0]))


def make_lambda(a):
    return lambda x: a * x * x


MADE_LAMBDA = make_lambda(3.0)


def make_applier(fn):
    def apply(x):
        return fn(x) * 2.0
    return apply


APPLY_STEP = make_applier(step)


def calls_made_closures(x):
    return np.sum(MADE_LAMBDA(x) * W3 + APPLY_STEP(x))


def calls_settable(x):
    return SETTABLE(x) + x


def calls_array_closure(x):
    return np.sum(SHIFTED(x) * W3)


# -- lambdas ----------------------------------------------------------------------------------------

act = lambda z: np.tanh(z) * 1.5  # noqa: E731
mix = lambda a, b=2.0: a * b + np.sin(a)  # noqa: E731


def calls_lambda(x):
    return np.sum(act(x) * mix(x) + mix(x, b=0.5))


evaluated = eval("lambda z: z * z")


def calls_evaluated(x):
    return evaluated(x) + x  # <calls-evaluated>


# -- array methods --------------------------------------------------------------------------------------

def m_T(x):
    return np.sum(x.T @ W23 * W33) + np.sum(x.T * x.T * W32)


def m_shape_ndim_size(x):
    n, m = x.shape
    return np.sum(x * x) * n / x.size + np.sum(x) * x.ndim + m


def m_sum_axis(x):
    return np.sum(x.sum(axis=0) * W3) + np.sum(x.sum(axis=1) * np.array([1.2, -0.4]))


def m_sum_all(x):
    return x.sum() * x.sum()


def m_mean(x):
    return x.mean() * np.sum(x * W23)


def m_max(x):
    return x.max() * 2.0 + np.sum(x.max(axis=1) * np.array([0.7, -1.3]))


def m_min(x):
    return x.min() * 2.0


def m_reshape_args(x):
    return np.sum(x.reshape(2, 3) * W23)


def m_reshape_tuple(x):
    return np.sum(x.reshape((3, 2)).T * W23)


def m_dot(x, y):
    return np.sum(x.dot(y) * np.array([0.4, -1.1]))


def m_transpose(x):
    return np.sum(x.transpose(1, 0) @ W23 * W33) + np.sum(x.transpose((1, 0)) * W32)


def m_ravel_flatten(x):
    return np.sum(x.ravel() * np.arange(6.0)) + np.sum(x.flatten() * x.ravel())


def m_astype_copy(x):
    y = x.astype(float)
    z = x.copy()
    return np.sum(y * z * W23)


def m_clip(x):
    return np.sum(x.clip(-0.5, 0.5) * W23)


def m_squeeze(x):
    return np.sum(x.squeeze() * W3)


def m_prod_std(x):
    return x.prod() + x.std() * 3.0


def m_len_range(x):
    total = 0.0
    for i in range(len(x)):
        total = total + x[i] * (i + 1.5)
    return total


def m_chain(x):
    return x.reshape(3, 2).T.sum(axis=1).dot(np.array([1.5, -0.5]))


def m_in_helper(x):
    return np.sum(method_helper(x) * W3)


def method_helper(x):
    return x.T.sum(axis=1) * x.mean()


# -- has_aux ------------------------------------------------------------------------------------------

def aux_array(x):
    y = np.tanh(x)
    return np.sum(y * W3), y * 2.0


def aux_int(x, n):
    return np.sum(x * x) * n, n + 1


def aux_loop(x):
    count = 0
    total = 0.0
    for i in range(len(x)):
        if x[i] > 0.0:
            count = count + 1
        total = total + x[i] * x[i] * (i + 1)
    return total, count


def aux_with_helper(x):
    return np.sum(sq(x) * W3), sq(x)


def not_a_pair(x):
    return np.sum(x * x)


def triple(x):
    return np.sum(x), x, 1


def returns_pair(x):
    return np.sum(x * x), x


# -- a two-layer MLP whose layers are helpers --------------------------------------------------------------

def dense(x, W, b):
    return x @ W + b


def relu(z):
    return np.maximum(z, 0.0)


def softmax_xent(logits, labels):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(logp * labels, axis=1))


def mlp_loss(W1, b1, W2, b2, x, labels):
    h = relu(dense(x, W1, b1))
    logits = dense(h, W2, b2)
    return softmax_xent(logits, labels)


# -- staleness ----------------------------------------------------------------------------------------

STALE_K = 2.0


def reads_stale_k(x):
    return STALE_K * x * x


def calls_reads_stale_k(x):
    return reads_stale_k(x) + x


def swappable(x):
    return x * x


def calls_swappable(x):
    return np.sum(swappable(x) * 2.0)


def swappable_v2(x):
    return x * x * x


def calls_other_scaled(x):
    return other.scaled(x) + x


def ten_x(x):
    return 10.0 * x


def times_ten(f):
    @functools.wraps(f)
    def wrapper(x):
        return f(x) * 10.0
    return wrapper


@times_ten
def decorated_square(x):
    return x * x


def calls_decorated(x):
    return decorated_square(x) + x


# -- errors -----------------------------------------------------------------------------------------------

def uses_gamma(x):
    return math.gamma(x) * 2.0  # <direct-gamma>


def gamma_helper(x):
    return math.gamma(x) + x  # <helper-gamma>


def calls_gamma_helper(x):
    return gamma_helper(x) * 3.0


def uses_nextafter(x):
    return np.sum(np.nextafter(x, 2.0) * x)  # <nextafter>


def pair(x):
    return x * 2.0, x * x  # <pair-return>


def index_pair(x):
    p = pair(x)  # <index-pair>
    return p[0] * p[1]


def unpack_pair(x):
    a, b = pair(x)  # <unpack-pair>
    return a * b


def ping(x, n):
    if n <= 0:
        return x
    return pong(x * 1.5, n - 1)


def pong(x, n):
    if n <= 0:
        return x * x
    return np.sin(ping(x, n - 1))


def calls_ping(x):
    return ping(x, 3) * 2.0


def star_args(x, *rest):  # <star-args>
    return x * 2.0


def calls_star_args(x):
    return star_args(x, 1.0, 2.0)  # <calls-star-args>


def star_kwargs(x, **options):  # <star-kwargs>
    return x * 2.0


def calls_star_kwargs(x):
    return star_kwargs(x, a=1.0)


# -- golden ----------------------------------------------------------------------------------------------

def golden_layer(x, w):
    z = x * w
    return np.tanh(z)


def golden_net(x, w):
    h = golden_layer(x, w)
    return np.sum(h * W3)


def golden_twice(x, w1, w2):
    h = golden_layer(x, w1)
    return np.sum(golden_layer(h, w2))
