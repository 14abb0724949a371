"""In-place numpy programs as scientists write them (used by test_inplace_programs.py;
adjoint reads the source, so they live in a file). Many write into their arguments on
purpose: adjoint must give the function's value and gradient and leave the caller's
arrays alone."""
import numpy as np


# -- stencils ----------------------------------------------------------------------------
def heat_1d(u0):
    u = u0.copy()
    for t in range(4):
        u[1:-1] = u[1:-1] + 0.1 * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u * u)


def reaction_diffusion_1d(u0):
    u = u0.copy()
    for t in range(4):
        lap = u[2:] - 2.0 * u[1:-1] + u[:-2]
        u[1:-1] += 0.1 * (lap + u[1:-1] - u[1:-1] ** 3)
    return np.sum(u * u)


def heat_1d_laplacian_augassign(u0):
    u = u0.copy()
    for t in range(4):
        lap = u[2:] - 2 * u[1:-1] + u[:-2]
        u[1:-1] += 0.1 * lap
    return np.sum(u ** 3)


def heat_1d_in_the_argument(u, k):
    for t in range(3):
        u[1:-1] = u[1:-1] + k * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u * u)


def heat_1d_ghost_cells_periodic(u0, k):
    n = u0.shape[0]
    u = np.zeros(n + 2)
    u[1:-1] = u0
    for t in range(5):
        u[0] = u[-2]
        u[-1] = u[1]
        u[1:-1] = u[1:-1] + k * (u[2:] - 2.0 * u[1:-1] + u[:-2])
    return np.sum(u[1:-1] ** 2)


def heat_2d(u0):
    u = u0.copy()
    for t in range(3):
        u[1:-1, 1:-1] = u[1:-1, 1:-1] + 0.1 * (
            u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4.0 * u[1:-1, 1:-1])
    return np.sum(u * u)


def heat_2d_periodic_roll(u0, k):
    u = u0.copy()
    for t in range(3):
        lap = np.roll(u, 1, 0) + np.roll(u, -1, 0) + np.roll(u, 1, 1) + np.roll(u, -1, 1) - 4 * u
        u += k * lap
    return np.sum(u ** 2)


def wave_1d(u0, c):
    u_prev = u0.copy()
    u = u0.copy()
    u_next = np.zeros_like(u0)
    for t in range(4):
        u_next[1:-1] = 2 * u[1:-1] - u_prev[1:-1] + c * (u[2:] - 2 * u[1:-1] + u[:-2])
        u_prev[:] = u
        u[:] = u_next
    return np.sum(u * u)


def advection_upwind_periodic(u0, c):
    u = u0.copy()
    for t in range(4):
        flux = u.copy()
        u[1:] -= c * (flux[1:] - flux[:-1])
        u[0] -= c * (flux[0] - flux[-1])
    return np.sum(u ** 2)


def jacobi(f, u0):
    u = u0.copy()
    for sweep in range(4):
        new = u.copy()
        new[1:-1] = 0.5 * (u[:-2] + u[2:] + 0.1 * f[1:-1])
        u = new
    return np.sum(u * u)


def gauss_seidel(f, u0):
    u = u0.copy()
    n = u.shape[0]
    for sweep in range(3):
        for i in range(1, n - 1):
            u[i] = 0.5 * (u[i - 1] + u[i + 1] + 0.1 * f[i])
    return np.sum(u * u)


def gauss_seidel_2d(u0):
    u = u0.copy()
    for sweep in range(2):
        for i in range(1, 3):
            for j in range(1, 3):
                u[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])
    return np.sum(u ** 2)


# -- recurrences, time stepping -------------------------------------------------------------
def iir_filter(x, a, b):
    y = np.zeros_like(x)
    y[0] = b * x[0]
    for i in range(1, x.shape[0]):
        y[i] = a * y[i - 1] + b * x[i]
    return np.sum(y * y)


def rk4_stages_preallocated(y0, dt):
    y = y0.copy()
    k = np.zeros((4, y0.shape[0]))
    for step in range(3):
        k[0] = -y * y
        k[1] = -(y + 0.5 * dt * k[0]) ** 2
        k[2] = -(y + 0.5 * dt * k[1]) ** 2
        k[3] = -(y + dt * k[2]) ** 2
        y = y + dt / 6.0 * (k[0] + 2 * k[1] + 2 * k[2] + k[3])
    return np.sum(y)


def forces(pos):
    return -pos * np.sum(pos * pos)


def particles(pos0, vel0, dt):
    pos = pos0.copy()
    vel = vel0.copy()
    for step in range(4):
        f = forces(pos)
        vel += f * dt
        pos += vel * dt
    return np.sum(pos * pos) + 0.5 * np.sum(vel * vel)


def particles_force_read_after_update(pos0, vel0, dt):
    pos = pos0.copy()
    vel = vel0 * 1.0
    for step in range(3):
        f = forces(pos)
        pos += vel * dt
        vel += f * dt
    return np.sum(pos * vel)


def column_normalise(X):
    for j in range(X.shape[1]):
        mean = np.mean(X[:, j])
        X[:, j] -= mean
    return np.sum(X ** 3)


def column_standardise(X):
    Z = X.copy()
    for j in range(Z.shape[1]):
        Z[:, j] -= np.mean(Z[:, j])
        Z[:, j] /= np.sqrt(np.mean(Z[:, j] ** 2) + 1.0)
    return np.sum(Z * X)


# -- masks, repeats, shifts ------------------------------------------------------------------
def mask_clamp(x):
    y = x * 2.0
    y[y > 0.5] = 0.5
    return np.sum(y * x)


def mask_scale(x, s):
    y = x.copy()
    y[y < 0.0] *= s
    return np.sum(y ** 2)


def repeated_index_write(x, v):
    out = x * 1.0
    out[np.array([0, 0])] = v
    return np.sum(out * out)


def repeated_index_add(c, w):
    idx = np.array([1, 1, 3])
    c[idx] += w
    return np.sum(c * c)


def add_at_repeats(x, w):
    a = x * 1.0
    np.add.at(a, np.array([0, 0, 2]), w)
    return np.sum(a * a)


def shift_right(y):
    y = y * 1.0
    y[1:] = y[:-1] * 0.5
    return np.sum(y * y)


def reverse_in_place(x):
    x[:] = x[::-1]
    return np.sum(x * np.arange(4.0))


def self_assignment(h):
    h[0:3] = h
    return np.sum(h * h)


def overlapping_shift_left(x):
    z = x * 1.0
    z[:-1] = z[1:] + z[:-1]
    return np.sum(z ** 2)


# -- writes into arguments, op= anywhere -----------------------------------------------------
def tangent_writes_argument(x):
    a = x[0]
    b = x[1]
    x[0] = a * b
    return np.sum(x)


def augassign_parameter_in_loop(x):
    for i in range(3):
        x *= 1.1
        x += 0.1 * x[0]
    return np.sum(x ** 2)


def helper_loss(x):
    return np.sum(x * x)


def augassign_helper_result(x):
    loss = helper_loss(x)
    loss += 1.0
    return loss + np.sum(x)


def scale(x, s):
    return x * s


def augassign_helper_array(x):
    y = scale(x, 2.0)
    y += x
    return np.sum(y * x)


def augassign_after_passed_to_helper(x):
    z = x * 1.0
    a = helper_loss(z)
    z += 1.0
    return a + np.sum(z * z)


def augassign_container_entry(params, x):
    W = params["W"]
    W += x
    return np.sum(W * W)


def nested_subscript_grid(x):
    grid = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            grid[i][j] = x[i] * x[j]
    return np.sum(grid * grid)


def dict_entry_write(params, x):
    params["W"][0] = x[0] * 3.0
    return np.sum(params["W"] * x)


def writes_in_branches(x, c):
    y = x.copy()
    if c > 0.0:
        y[0] = c * y[1]
    else:
        y[1:] *= c
    return np.sum(y ** 2)


def writes_in_while(x):
    y = x.copy()
    i = 0
    while i < 3:
        y[i + 1] += y[i] * 0.5
        i += 1
    return np.sum(y * y)


# -- numpy functions writing into an argument ------------------------------------------------
def exp_out_same(S):
    S = S * 1.0
    np.exp(S, out=S)
    return np.sum(S * S)


def multiply_out_parameter(x):
    np.multiply(x, 2.0, out=x)
    return np.sum(x * x)


def add_out_other(x, y):
    z = np.empty_like(x)
    np.add(x, y, out=z)
    return np.sum(z * x)


def copyto_parameter(x, y):
    np.copyto(x, y)
    return np.sum(x * x)


def copyto_where(x, y):
    z = x * 1.0
    np.copyto(z, y, where=x > 0.0)
    return np.sum(z ** 2)


def fill_after_use(x):
    z = x * 2.0
    t = np.sum(z * z)
    z.fill(3.0)
    return t + np.sum(z * x)


def sort_method(x):
    z = x * 1.0
    z.sort()
    return np.sum(z * np.arange(4.0))


def put_values(x, v):
    np.put(x, np.array([1, 3]), v)
    return np.sum(x * x)


def fill_diagonal(M, v):
    np.fill_diagonal(M, v)
    return np.sum(M * M)


def place_values(x, v):
    np.place(x, x > 0.0, v)
    return np.sum(x * x)


def putmask_values(x, v):
    np.putmask(x, x < 0.0, v)
    return np.sum(x ** 2)


def view_inside_a_ufunc(M):
    # (was refused: z.T inside np.tanh looked like a view kept past the write)
    z = M.copy()
    t = np.tanh(z.T)
    z[0, 1] -= 0.44
    return np.sum(z * t)


def float_op_assign_then_rebound_in_a_loop(a, x):
    # (was refused: the later a = e made every version of a look like a view of x)
    a -= 1.0
    for e in x:
        a = e
    return a * 2.0


# -- refused: a name made before a write into its memory, read after it -----------------------
def view_read_after_write(M):
    r = M[0]  # <view-made>
    M[0, :] *= 2.0  # <view-write>
    return np.sum(r)


def add_(X, b):
    X += b  # <helper-adds>


def calls_add_(A, b):
    A = A * 1.0
    add_(A, b)
    return np.sum(A)


def clamp_(a):
    a[a > 0.5] = 0.5  # <helper-clamps>


def calls_clamp_(x):
    y = x * 2.0
    clamp_(y)
    return np.sum(y)


def copy_last_(p, r):
    p[0] = r[-1]


def calls_with_an_alias(x):
    u = x * 1.0
    copy_last_(u, u[1:])  # <helper-alias>
    return np.sum(u)


def view_in_loop_read_next_iteration(x):
    u = x.copy()
    left = u[:-1]
    for t in range(2):
        u[1:] = u[1:] + left  # <loop-view-write>
    return np.sum(u)


def grid_rows_by_index_array(x):
    grid = np.zeros((3, 3))
    rows = np.array([0, 2])
    grid[rows][0] = x[0]  # <copy-write>
    return np.sum(grid) + np.sum(x)


def loop_reads_an_entry_then_writes_it(x):
    xs = x * 1.0
    acc = 0.0
    for t in range(3):
        a = xs[t]
        xs[t] = a * 2.0
        acc = acc + a * a
    return acc + np.sum(xs * xs)


def swap_entries(x):
    y = x * 1.0
    for i in range(2):
        tmp = y[i]
        y[i] = y[3 - i]
        y[3 - i] = tmp
    return np.sum(y * np.arange(1.0, 5.0))


def heat_1d_with_the_field(u0):
    u = u0.copy()
    for t in range(3):
        u[1:-1] = u[1:-1] + 0.1 * (u[2:] - 2 * u[1:-1] + u[:-2])
    return np.sum(u * u), u
