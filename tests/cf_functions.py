"""Control-flow functions under test (adjoint reads source with inspect, so they live at
module level). Each docstring-less function is small and exercises one construct; the
tests in test_control_flow.py pick inputs away from every branch boundary and kink.
"""
from __future__ import annotations

import math

import numpy as np

W4 = np.array([1.3, -0.7, 2.1, 0.4])
COEFS = [0.5, -1.5, 2.0]
PAIRS = (1.25, -0.75, 0.6)


# -- branches ------------------------------------------------------------------------------

def if_elif_else(x):
    if x > 0.3:
        y = x * x
    elif x < -0.3:
        y = np.sin(x) * 3.0
    else:
        y = x ** 3 + x
    return y * 2.0


def if_no_else_reassign(x, y):
    z = x * y
    if x > 0.3:
        z = z * x + y
    return np.sum(z * z)


def if_on_int(x, k):
    if k > 2:
        r = x * x * k
    else:
        r = np.sin(x) + k
    return r


def if_on_shape(x):
    if x.shape[0] > 2:
        r = np.sum(W4[:x.shape[0]] * x ** 2)
    else:
        r = np.sum(np.sin(x))
    return r


def if_on_ndim(x):
    if x.ndim == 1:
        r = np.sum(x * x * x)
    else:
        r = np.sum(np.tanh(x) * x)
    return r


def if_and_or_not(x, y):
    if x > 0.0 and y < 1.0 or not y > -2.0:
        r = x * y
    else:
        r = x + y * y
    if not x > 1.0:
        r = r * x
    return r


def if_chained(x, y):
    if 0 < x < 1:
        r = x * y * y
    elif -1 < x <= 0:
        r = np.exp(x) + y
    else:
        r = x * x - y
    return r


def if_boolop_on_calls(x):
    if np.sum(x) > 0.0 and np.max(x) < 3.0:
        r = np.sum(x * W4)
    else:
        r = np.sum(x * x)
    return r


def ifexp(x, y):
    a = x * y if x > 0.3 else x - y
    b = a * a if y < 0.0 else np.sin(a)
    return a + b


def ifexp_array(x):
    s = np.sum(x)
    m = x * x if s > 0.5 else np.sin(x)
    return np.sum(m * W4)


def one_branch_name(x, y):
    if x > 0.3:
        extra = x * y
    r = x * 2.0
    if x > 0.3:
        r = r + extra * extra
    return r


def nested_ifs(x, y):
    if x > 0.0:
        if y > 0.0:
            r = x * y
        else:
            r = x - y * y
    else:
        if y > 1.0:
            r = np.exp(x) * y
        else:
            r = x * x * y
    return r


def branch_overwrites_test_var(x):
    if x > 0.3:
        x = x * 0.1
    else:
        x = x * 3.0
    return x * x


def if_on_array_data(x):
    if np.sum(x * W4) > 0.3:
        out = np.sum(np.sin(x) * x)
    else:
        out = np.sum(x ** 3)
    return out


def branch_golden(x, y):
    if x > 0.3:
        z = x * y
    else:
        z = np.sin(y)
    return z * 2.0


def elif_overwrites_test_var(x):
    if x > 1.0:
        x = x * 0.1
    elif x > 0.0:
        x = x * 5.0
    else:
        x = x * x
    return x


def lazy_ifexp(x):
    r = math.sqrt(x) if x > 0 else -x
    return r * 2.0


def lazy_and(x, k):
    if k < x.shape[0] and x[k] > 0.0:
        r = np.sum(x * x)
    else:
        r = np.sum(x * W4[:np.size(x)])
    return r


def param_in_one_branch(x, y):
    if y > 0.0:
        x = x * y
    return x * x + y


# -- for loops ---------------------------------------------------------------------------------

def loop_scalar(x, w, n):
    for i in range(n):
        x = x * w + 1.0
    return x


def loop_affine_sum(x, w, n):
    for i in range(n):
        x = x * w + 1.0
    return np.sum(x * x)


def range_start_stop_step(x):
    acc = x
    for i in range(1, 8, 3):
        acc = acc * x + i
    return np.sum(acc)


def range_negative_step(x):
    acc = x * 0.5
    for i in range(5, 0, -2):
        acc = np.sin(acc) * i + x
    return np.sum(acc)


def range_negative_step_array(x):
    acc = x * 0.5
    for i in range(x.shape[0] - 1, -1, -1):
        acc = acc * x[i] + W4[i]
    return np.sum(acc * W4)


def range_from_shape(x):
    total = 0.0
    for i in range(x.shape[0]):
        total = total + x[i] * x[i] * W4[i]
    return total


def range_from_data_int(x, n):
    total = x * 0.0
    for i in range(n + 1):
        total = total * 0.5 + x ** (i + 1)
    return np.sum(total * W4[:np.size(x)])


def for_rows(X, v):
    total = 0.0
    for row in X:
        total = total + np.sum(np.tanh(row * v))
    return total


def for_tuple_consts(x):
    r = x
    for c in (1.5, -0.5, 2.0):
        r = r * c + np.sin(r)
    return np.sum(r)


def for_list_consts(x):
    acc = x * 0.0
    for c in COEFS:
        acc = acc + c * x * x
    return np.sum(acc)


def for_tuple_diff(x, y, z):
    total = 0.0
    for v in (x, y * 2.0, z):
        total = total + v * v * x
    return total


def for_list_diff(x, y):
    total = x
    for v in [x, y, x * y]:
        total = total * v
    return total


def for_enumerate(x):
    total = 0.0
    for i, c in enumerate(COEFS):
        total = total + c * x ** (i + 1)
    return np.sum(total)


def for_enumerate_rows(X):
    total = 0.0
    for i, row in enumerate(X):
        total = total + (i + 1.0) * np.sum(row * row)
    return total


def for_zip(X, Y):
    total = 0.0
    for a, b in zip(X, Y):
        total = total + np.sum(a * b * b)
    return total


def for_zip_consts(x):
    acc = x
    for c, d in zip(COEFS, PAIRS):
        acc = acc * c + d * np.sin(acc)
    return np.sum(acc * W4[:np.size(x)])


def for_reversed_range(x):
    acc = x
    for i in reversed(range(4)):
        acc = acc * (i + 1.0) - np.sin(acc)
    return np.sum(acc)


def for_reversed_rows(X):
    h = X[0] * 0.0
    for row in reversed(X):
        h = np.tanh(h + row)
    return np.sum(h * W4[:np.size(h)])


def for_reversed_list(x):
    acc = x
    for c in reversed(COEFS):
        acc = acc * c + np.cos(acc)
    return np.sum(acc)


def loop_carried_pair(x, n):
    a = x
    b = x * 0.5
    for i in range(n):
        a, b = b, a * b + 0.1
    return np.sum(a + b)


def loop_multi_carried(x, y):
    a = x
    b = y
    c = 0.0
    for i in range(3):
        c = c + a * b
        a = a * 0.9 + b
        b = np.sin(b) * a
    return np.sum(a * 1.5 + b + c)


def loop_uses_index(x):
    total = x * 0.0
    for i in range(4):
        total = total + x ** i * (i + 0.5)
    return np.sum(total * W4[:np.size(x)])


def rows_reassigned(X):
    total = 0.0
    for row in X:
        total = total + np.sum(row * X)
        X = X * 0.5
    return total


def range_bound_reassigned(x, n):
    for i in range(n):
        x = x * 1.5 + 0.1 * n
        n = n - 1
    return x


def target_overwritten(x):
    for i in range(1, 4):
        i = i * 2.0
        x = x * i + np.sin(x)
    return x


def index_after_loop(x):
    for i in range(3):
        x = x * 1.2
    return np.sum(x * i)


def ifexp_in_loop(x):
    acc = x
    for i in range(5):
        acc = acc * 0.5 if acc > 1.0 else acc * 3.0 + 0.1
    return acc


def first_iter_branch(x):
    for i in range(4):
        if i == 0:
            h = x * 1.0
        else:
            h = np.sin(h) * x
    return np.sum(h)


def inner_depends_on_outer(x):
    acc = x
    for i in range(4):
        for j in range(i):
            acc = acc * 0.9 + np.sin(acc) * j
    return np.sum(acc)


def tuple_swap_loop(x, y):
    for i in range(3):
        x, y = y * 1.1, x * y
    return np.sum(x + y)


def bool_flag_loop(x):
    found = False
    acc = x
    for i in range(5):
        acc = acc * 1.3
        if not found and acc > 2.0:
            found = True
            acc = acc * 0.1
    return acc


# -- while loops --------------------------------------------------------------------------------

def while_data_exit(x):
    t = 1.0
    n = 0
    while t < 10.0 and n < 100:
        t = t * x + 0.5
        n = n + 1
    return t


def while_halving(x):
    y = x
    while y > 1.0:
        y = y * 0.5 + 0.1
    return y * y


def while_array_norm(x):
    v = x
    while np.sum(v * v) < 30.0:
        v = v * 1.7 + W4[:np.size(v)] * 0.1
    return np.sum(v * W4[:np.size(v)])


def while_break(x):
    t = x
    k = 0
    while True:
        t = t * 1.3 + 0.2
        k = k + 1
        if t > 5.0:
            break
    return t * k


def continue_in_while(x):
    k = 0
    acc = x
    while k < 6:
        k = k + 1
        if k % 2 == 0:
            continue
        acc = acc * x + 0.1
    return np.sum(acc)


def return_in_while(x):
    t = x
    while t < 100.0:
        t = t * 1.7 + 0.2
        if t > 4.0:
            return t * t
    return t


def while_call_and(v):
    k = 0
    while np.sum(v * v) < 20.0 and k < 10:
        v = v * 1.5
        k = k + 1
    return np.sum(v * W4[:np.size(v)])


def while_counter(x, n):
    k = 0
    acc = x
    while k < n:
        acc = np.sin(acc) + x * k
        k += 1
    return np.sum(acc)


# -- break, continue, return -------------------------------------------------------------------

def loop_break(x):
    acc = x
    for i in range(10):
        acc = acc * 1.5 + 0.1
        if acc > 4.0:
            break
        acc = acc + np.sin(acc)
    return acc


def loop_continue(x):
    acc = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        acc = acc + x ** i
    return np.sum(acc)


def loop_continue_data(x):
    acc = x
    for i in range(5):
        acc = np.sin(acc) * 2.0 + 0.3
        if acc < 0.5:
            continue
        acc = acc * x
    return acc


def early_return_loop(x):
    acc = x
    for i in range(10):
        acc = acc * 1.4 + 0.2
        if acc > 3.0:
            return acc * acc
    return acc - 1.0


def early_return_rows(X):
    total = 0.0
    for row in X:
        total = total + np.sum(row * row)
        if total > 2.0:
            return total * 3.0
    return total


def break_then_use_index(x):
    for i in range(10):
        x = x * 1.5
        if x > 3.0:
            break
    return x * i


def early_return_top(x):
    if x > 0.5:
        return x * x
    y = np.sin(x)
    for i in range(3):
        y = y * x
    return y


def nested_return_in_while(x):
    for i in range(3):
        t = x
        while t < 5.0:
            t = t * 2.0
            if t > 3.0 + i:
                return t * x
    return x


def many_returns(x, y):
    if x > 1.0:
        return x * y
    if x > 0.0:
        if y > 0.0:
            return x + y * y
        return x - y
    if y < -1.0:
        return np.sin(x) * y
    return x * x * x


def nested_break_continue(x):
    acc = x
    for i in range(4):
        if i == 1:
            continue
        for j in range(5):
            if j == 3:
                break
            if j == 1:
                continue
            acc = acc * 0.8 + x * (i + j)
    return np.sum(acc)


def nested_data_break(x):
    acc = x
    for i in range(3):
        for j in range(6):
            acc = acc * 1.2 + 0.1
            if acc > 2.0 + i:
                break
        acc = acc * 0.5
    return acc


def nested_return(X):
    total = 0.0
    for i in range(X.shape[0]):
        for j in range(X.shape[1]):
            total = total + X[i, j] ** 2
            if total > 3.0:
                return total * 2.0
    return total


def loop_in_branch(x, n):
    if x > 0.5:
        for i in range(n):
            x = x * 0.9 + 0.3
    else:
        for i in range(n + 1):
            x = np.sin(x) + x
    return x * x


def branch_in_loop(x):
    acc = x
    for i in range(6):
        if acc > 1.0:
            acc = acc * 0.7
        elif i % 2 == 0:
            acc = acc * acc + 0.4
        else:
            acc = acc + np.sin(acc)
    return acc


def branch_in_loop_array(x):
    h = x
    for i in range(4):
        if np.sum(h) > 0.5:
            h = np.tanh(h) * x
        else:
            h = h + x * x
    return np.sum(h * W4)


def nested_loops(X):
    acc = 0.0
    for i in range(X.shape[0]):
        row_acc = 1.0
        for j in range(X.shape[1]):
            row_acc = row_acc * (1.0 + 0.1 * X[i, j])
        acc = acc + row_acc * row_acc
    return acc


def while_in_for(x):
    acc = x
    for i in range(3):
        while acc < 4.0:
            acc = acc * 1.5 + 0.1
        acc = acc * 0.3
    return acc


# -- augmented assignment ----------------------------------------------------------------------

def aug_scalar(x, y):
    a = x * 1.0
    a += y
    a -= x * 0.5
    a *= y
    a /= x
    a **= 2
    return a


def aug_array_local(x):
    acc = np.zeros(x.shape)
    acc += x * W4
    acc -= np.sin(x)
    acc *= x
    acc /= 1.5 + x * x
    acc **= 2
    return np.sum(acc)


def aug_array_fresh_binop(x):
    acc = x * 1.0
    acc += x * W4
    acc *= np.sin(x)
    return np.sum(acc)


def pow_aug_loop(x):
    acc = x * 1.0
    for i in range(2):
        acc **= 1.5
        acc /= 1.2
        acc -= 0.1
    return np.sum(acc)


def aug_param_after_rebind(x):
    x = x * 2.0
    x += 1.0
    return np.sum(x * x)


# x += ... where x may be another name's array: Python changes both names; adjoint must
# either follow that or refuse, never differentiate as if the other name were unchanged

def aug_alias_local(x):
    acc = x * 1.0
    b = acc
    acc += x
    return np.sum(b * acc)


def aug_branch_alias(x, c):
    if c > 0:
        acc = x
    else:
        acc = x * 1.0
    acc += 1.0
    return np.sum(acc * x)


def aug_loop_back_edge_alias(x):
    acc = x * 1.0
    total = 0.0
    for i in range(2):
        acc += 1.0
        total = total + np.sum(acc * x)
        acc = x
    return total


def aug_in_loop(x):
    acc = x * 0.0
    s = 0.0
    for i in range(3):
        acc += x * (i + 1.0)
        acc *= 0.9
        s += np.sum(acc * acc)
    return s


def aug_param_scalar(x, y):
    x += y
    x *= y
    return x * x


def aug_array_param(x):
    x += 1.0  # <aug-param>
    return np.sum(x)


def aug_array_param_in_loop(x):
    acc = 0.0
    for i in range(2):
        x *= 1.5  # <aug-param-loop>
        acc = acc + np.sum(x * x)
    return acc


def aug_param_via_local(x):
    acc = x
    for i in range(2):
        acc **= 1.5  # <aug-param-via-local>
    return np.sum(acc)


def aug_array_param_in_branch(x, c):
    if c > 0:
        x -= 1.0  # <aug-param-branch>
    return np.sum(x * x)


# -- required cases ---------------------------------------------------------------------------

def conv1d(x, w):
    k = w.shape[0]
    out = 0.0
    for i in range(x.shape[0] - k + 1):
        out = out + np.sum(x[i:i + k] * w) ** 2
    return out


def rnn(h, Wh, Wx, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t] @ Wx)
    return np.sum(h)


def rnn_mean(h, Wh, Wx, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(h @ Wh + xs[t] @ Wx)
    return np.mean(h * h)


def newton_sqrt(a):
    x = a
    k = 0
    while np.abs(x * x - a) > 1e-10 and k < 50:
        x = 0.5 * (x + a / x)
        k = k + 1
    return x


def switching(x):
    if x > 0.0:
        r = x * x * 3.0
    else:
        r = np.sin(x) * x
    return r


def zero_trips_carried(x, n):
    acc = x * 1.0
    for i in range(n):
        acc = acc * x
    return np.sum(acc * W4[:np.size(acc)])


def zero_trips_body_only(x, n):
    total = 0.0
    for i in range(n):
        total = total + np.sum(x * x)
    return total


def zero_rows(X, v):
    total = 0.0
    for row in X:
        total = total + np.sum(row * v)
    return total


def zero_trips_while(x):
    t = 5.0
    while t < 1.0:
        t = t + np.sum(x)
    return t


# -- unsupported constructs -----------------------------------------------------------------

def bad_for_else(x):
    for i in range(3):  # <for-else>
        x = x * 2.0
    else:
        x = x + 1.0
    return x


def bad_while_else(x):
    while x < 3.0:  # <while-else>
        x = x * 2.0
    else:
        x = x + 1.0
    return x


def bad_try_in_loop(x):
    for i in range(3):
        try:  # <try-loop>
            x = x * 2.0
        except ValueError:
            x = x + 1.0
    return x
