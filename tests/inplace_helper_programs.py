"""Programs whose helpers write into an array argument the caller reads afterwards, and
updates of rows and views (tests/test_inplace_helpers.py). Helpers are called as numpy
code calls them: for what they do to the array, not for what they return."""
import numpy as np


def set_first(p, q):
    p[0] = q


def add_into(p, q):
    p += q * 0.25
    return np.sum(p)


def double_tail(p):
    p[1:] *= 2.0


def step(pos, vel, dt):
    pos += vel * dt


def both(p, r, q):
    p[0] = q
    r[-1] = q * 2.0


def outer_writes(p, q):
    set_first(p, q)
    return np.sum(p * p)


def writes_and_returns(p, q):
    p[0] = q
    return p


def writes_then_rebinds(p, q):
    p[0] = q
    p = p * 2.0  # <rebinds>
    return np.sum(p)


def set_first_twice(p, r):
    p[0] = r[1]


# callers ----------------------------------------------------------------------------------
def reads_after_set(x, a):
    u = x * 1.0
    set_first(u, a)
    return np.sum(u ** 3)


def reads_after_op(x, a):
    u = np.copy(x)
    total = add_into(u, a)
    return np.sum(u * x) + total


def writes_into_a_row_of_the_base(x):
    A = np.outer(x, x + 1.0)
    row = A[1]
    double_tail(row)
    return np.sum(np.sin(A))


def particles(pos, vel):
    for t in range(3):
        step(pos, vel, 0.1)
        vel = vel - 0.1 * pos
    return np.sum(pos ** 2) + np.sum(vel)


def two_arguments_written(x, y, a):
    u, w = x * 1.0, y * 1.0
    both(u, w, a)
    return np.sum(u * w)


def helper_through_helper(x, a):
    u = x + 0.0
    s = outer_writes(u, a)
    return s + np.sum(u * x)


def view_made_before_the_call(x, a):
    u = x * 1.0
    tail = u[1:]
    set_first(u[1:], a)  # writes tail[0]
    return np.sum(tail ** 2) + np.sum(u)


def result_rebinds_the_argument(x, a):
    u = x * 1.0
    v = u
    u = add_into(u, a)  # u: the sum now; v: the array, written into
    return u + np.sum(v ** 2)


def helper_writes_a_constant_array(x):
    buf = np.zeros(3)
    set_first(buf, 2.0)
    return np.sum(x * buf)


def number_in_a_dict(d, x):
    t = d["w"]
    step(t, x, 0.1)  # t is a float: step rebinds its own name, t is unchanged
    return t * np.sum(x ** 2)


def row_updated(x):
    A = np.outer(x, x)
    row = A[1]
    row += x
    return np.sum(A ** 2)


def entry_updated_in_a_loop(x):
    y = x * 1.0
    for i in range(1, 4):
        e = y[i - 1]
        e *= 0.5
        y[i] = y[i] + e
    return np.sum(y ** 2)


def row_updated_by_a_helper(x):
    A = np.outer(x, x)
    row = A[0]
    add_into(row, np.sum(x))
    return np.sum(A ** 2) + np.sum(row)


def write_into_a_stale_alias(x):
    A = np.outer(x, x)
    top = A[0:2]
    w = A
    top[:, 1] = 0.5 * np.sum(x)
    s = np.sum(w * 1.5)
    w[:, 0] = np.tanh(np.sum(x))
    return s + np.sum(A ** 2) + np.sum(top) + np.sum(w)


def write_into_a_transpose(x):
    A = np.outer(x, x + 1.0)
    At = A.T
    np.multiply(At, 1.5, out=At)
    return np.sum(np.sin(A))


# refused: a name the helper's copy would not follow -----------------------------------------
def same_array_twice(x):
    u = x * 1.0
    set_first_twice(u, u)  # <same-array>
    return np.sum(u)


def helper_rebinds_its_parameter(x, a):
    u = x * 1.0
    writes_then_rebinds(u, a)  # <rebinding-helper>
    return np.sum(u)


def returns_its_argument(x, a):
    u = x * 1.0
    y = writes_and_returns(u, a)
    return np.sum(y * x) + np.sum(u)


# views made in branches, lists appended after a write -------------------------------------
def view_made_in_a_branch(x, c):
    u = x * 1.0
    if c > 0:
        v = u[1:]
    else:
        v = u[:-1]
    u[0] = np.tanh(c) * 3.0
    u[-1] = np.sum(x) * 0.5
    return np.sum(v ** 2) + np.sum(u)


def view_made_in_a_branch_in_a_loop(x):
    u = x * 1.0
    for t in range(2):
        if u[0] > 0:  # (decided again each time around: not known to hold at the read)
            v = u[1:]
        else:
            v = u[:-1]
        u[0] = u[0] - 0.5  # <branch-in-loop>
        u[2] = np.sum(v * v)
    return np.sum(u * u)


def list_appended_after_a_write(x):
    u = x * 1.0
    xs = [u]
    u[0] = np.sum(x ** 2)
    xs.append(u * 2.0)
    return np.sum(xs[0] ** 2) + np.sum(xs[1] * x)


# helpers whose result is not differentiated (it only decides a branch) -------------------
def scaled_first(p):
    p *= 2.0
    return p[0]


def helper_decides_a_branch(x):
    if scaled_first(x * 1.5) > 0:  # writes only into the new x * 1.5
        return np.sum(x ** 2)
    return np.sum(x)


def helper_writes_what_the_backward_reads(x):
    s = x * 1.5
    y = np.sum(x * s)  # (its backward reads s)
    if scaled_first(s) > 0:  # <backward-reads>
        y = y + 1.0
    return y
