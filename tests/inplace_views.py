"""Views, aliases and lists made before a write into their memory and read after it, and
op= on values that may be numbers: programs adjoint differentiates with numpy's semantics
(the view sees the write), see adjoint/reverse/refresh.py."""
import numpy as np


def view_read_after_write(x, y):
    x = x.copy()
    v = x[1:]
    x[0] = 2 * y
    x[2] = y * y
    return np.sum(v * x[1:]) + np.sum(v ** 2)


def row_read_after_its_update(A, b):
    A = A.copy()
    s = 0.0
    for i in range(2):
        row = A[i]
        A[i] += b
        s = s + np.sum(row * row)
    return s + np.sum(A ** 2)


def iterate_while_writing(z, a):
    z6 = z.copy()
    for e in z6:
        z6[:2] *= a * e
    return np.sum(z6 ** 2)


def float_op_assign_after_alias(x, a):
    t = a
    a += 1.0
    return np.sum(x) * a * t


def write_into_a_row_then_read_the_matrix(A, b):
    A = A.copy()
    row = A[1]
    row[0] = b[0] * 3
    row[2:] = row[2:] * b[2:]
    return np.sum(A ** 2)


def op_assign_then_read_an_alias(x, y):
    t = x.copy()
    u = t
    t += y
    return np.sum(u * u)


def list_holding_a_written_array(x, y):
    z2 = x.copy()
    c = [y, z2]
    z2[:2] = y * 2
    return np.sum(c[1] ** 2) + c[0] * 2


def view_read_in_the_next_iteration(x):
    u = x.copy()
    left = u[:-1]
    for t in range(2):
        u[1:] = u[1:] + left
    return np.sum(u * u)


def transpose_read_after_write(M):
    z = M * 2.0
    v = z.T
    z[0] = z[1] * z[2]
    return np.sum(v * v * np.arange(1.0, 4.0))


def write_through_a_slice_view(x):
    z = x * 2.0
    v = z[1:3]
    v[0] = v[1] * 3.0
    return np.sum(z * z)


def row_of_a_matrix_read_after_write(M):
    M = M.copy()
    r = M[0]
    M[0, :] *= 2.0
    return np.sum(r * r)


def entry_read_after_write_is_a_copy(x):
    x = x.copy()
    e = x[1]
    x[1] = x[2] * 3.0
    return e * np.sum(x * x)


def helper_updates_a_number(p, q):
    p += q * 2.0
    return p * p


def calls_helper_with_a_number(x, a):
    s = np.sum(x * x)
    t = helper_updates_a_number(s, a)
    return t + s * a


def stencil_with_a_view_of_the_interior(u0, k):
    u = u0.copy()
    inner = u[1:-1]
    for t in range(3):
        lap = u[2:] - 2.0 * inner + u[:-2]
        inner += k * lap
    return np.sum(u * u)


def calls_helper_with_an_array(x):
    s = x * 2.0
    helper_updates_a_number(s, 1.0)
    return np.sum(s * s)


def write_through_an_alias(x, a):
    u = x.copy()
    w = u
    w[1:3] = np.tanh(w[0:2]) * a
    return np.sum(u * u)
