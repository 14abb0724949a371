"""Functions under test for test_containers_mutation.py: containers and mutation.

adjoint reads source with inspect, so everything lives at module level. Containers come in
as arguments (a dict of parameters, a list of layers, a tuple to unpack, nested mixes),
are built along the way (literals, comprehensions, generators, appended lists), and arrays
are changed in place (x[i] = v in loops, recurrences, slices, rows, columns, branches).
Reduced results use fixed non-uniform weights (W3, W4, ...) so a transposed or broadcast
gradient cannot hide. Lines that adjoint must refuse carry a `# <tag>` marker.
"""
from __future__ import annotations

import numpy as np

W2 = np.array([0.7, -1.6])
W3 = np.array([0.9, -1.4, 0.6])
W4 = np.array([1.3, -0.7, 2.1, 0.4])
W5 = np.array([0.8, -1.2, 0.5, 1.7, -0.3])
W33 = np.array([[0.2, -1.3, 0.7], [1.1, 0.4, -0.6], [-0.8, 1.5, 0.9]])
W34 = np.array([[0.5, -1.1, 0.8, 0.3], [1.6, 0.3, -0.9, -0.4], [-0.2, 0.7, 1.2, -1.5]])


# -- containers as arguments ----------------------------------------------------------------

def dict_params(params, x):
    h = np.tanh(x @ params["W1"] + params["b1"])
    return np.sum(h * W3) + params["scale"] * np.sum(x * x)


def dict_unused_entry(params, x):
    # params["unused"] and params["also_unused"] get zeros of their own shapes
    return np.sum(np.sin(params["w"] * x) * W3)


def list_for_layers(layers, x):
    for W in layers:
        x = np.tanh(x @ W)
    return np.sum(x * W3)


def list_indexed_layers(layers, x):
    for i in range(len(layers)):
        x = np.tanh(x @ layers[i])
    return np.sum(x * W3)


def list_enumerate_layers(layers, x):
    total = 0.0
    for i, W in enumerate(layers):
        x = np.tanh(x @ W) * (i + 1.0)
        total = total + np.sum(x * W3)
    return total


def list_zip_layers(Ws, bs, x):
    for W, b in zip(Ws, bs):
        x = np.tanh(x @ W + b)
    return np.sum(x * W3)


def list_last_only(layers, x):
    # layers[0] is not used: its gradient is zeros of its shape
    return np.sum(np.tanh(x @ layers[1]) * W3)


def tuple_unpack(ab, x):
    a, b = ab
    return np.sum(a * x + np.sin(b) * W3)


def tuple_unpack_scalars(ab):
    a, b = ab
    return a * a * b + np.sin(b)


def tuple_indexed(ab, x):
    return np.sum(ab[0] * np.cos(ab[1] * x) * W3)


def list_of_dicts(layers, x):
    for layer in layers:
        x = np.tanh(x @ layer["W"] + layer["b"])
    return np.sum(x * W3)


def list_of_dicts_indexed(layers, x):
    h = np.tanh(x @ layers[0]["W"] + layers[0]["b"])
    return np.sum(np.tanh(h @ layers[1]["W"] + layers[1]["b"]) * W3)


def dict_holding_tuple(p, x):
    w, c = p["pair"]
    return np.sum(p["scale"] * w * x * W3) + c * c


def dict_holding_tuple_indexed(p, x):
    return np.sum(np.sin(p["pair"][0] * x) * W3) + p["pair"][1] * p["scale"]


def dict_of_lists(p, x):
    total = 0.0
    for w in p["ws"]:
        total = total + np.sum(np.tanh(w * x) * W3)
    return total * p["gain"]


def tuple_of_tuples(t):
    ab, c = t
    a, b = ab
    return np.sum(a * b * W3) + c * c * c


def nested_unpacking(t):
    (a, b), c = t  # <nested-unpack>
    return np.sum(a * b * W3) + c * c * c


def dict_keys_loop(params):
    total = 0.0
    for k in params:
        total = total + np.sum(np.sin(params[k]) * params[k])
    return total


def dict_values_loop(params):
    return sum(np.sum(W * W) for W in params.values())  # <dict-values>


def dict_items_loop(params):
    total = 0.0
    for k, W in params.items():  # <dict-items>
        total = total + np.sum(W * W)
    return total


def layers_after_first(layers, x):
    h = np.tanh(x @ layers[0])
    for W in layers[1:]:
        h = np.tanh(h @ W)
    return np.sum(h * W3)


def list_of_dicts_float32(layers, x):
    for layer in layers:
        x = np.tanh(x @ layer["W"] + layer["b"])
    return np.sum(x * x)


def dict_float32(params, x):
    return np.sum(np.tanh(x @ params["W"]) * params["v"])


# -- a 2-layer MLP with its parameters in a dict -------------------------------------------

def dense(x, W, b):
    return x @ W + b


def softmax_cross_entropy(logits, labels):
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(labels * log_probs, axis=1))


def mlp_loss(params, x, labels):
    h = np.tanh(dense(x, params["W1"], params["b1"]))
    logits = dense(h, params["W2"], params["b2"])
    return softmax_cross_entropy(logits, labels)


# -- containers as intermediate values ------------------------------------------------------

def tuple_literal_indexed(x, y):
    t = (x * y, np.sin(x), y)
    return np.sum(t[0] * t[1] * W3) + np.sum(t[2])


def list_literal_unpacked(x, y):
    a, b = [x * 2.0, np.cos(y)]
    return np.sum(a * b * W3)


def pair_sum(pair):
    a, b = pair
    return np.sum(a * b * W3)


def tuple_to_helper(x, y):
    pair = (np.sin(x), y * y)
    return pair_sum(pair)


def make_stats(x):
    return {"mean": np.mean(x), "sq": x * x}  # <dict-literal-helper>


def dict_from_helper(x):
    stats = make_stats(x)
    return np.sum(stats["sq"] * W3) * stats["mean"]


def dict_literal(x, y):
    d = {"a": np.tanh(x), "b": y * x}  # <dict-literal>
    return np.sum(d["a"] * d["b"] * W3)


def list_comprehension(xs, w):
    hs = [np.tanh(x * w) for x in xs]
    return np.sum(hs[0] * W3) + np.sum(hs[1] * hs[2])


def list_comprehension_range(x):
    terms = [x[i] * x[i + 1] for i in range(len(x) - 1)]
    return sum(terms)


def generator_with_filter(xs):
    return sum(np.sum(x * x * W3) for x in xs if np.sum(x) > 0.0)


def generator_over_range(x, w):
    return sum(np.sin(x[i] * w) for i in range(3))


def append_then_stack(x, W):
    hs = []
    h = x
    for _ in range(3):
        h = np.tanh(h @ W)
        hs.append(h)
    return np.sum(np.stack(hs) * W33)


def append_then_sum(x, w):
    terms = []
    for i in range(4):
        terms.append(np.sin(x * w * (i + 1.0)))
    return np.sum(sum(terms) * W3)


def append_then_concatenate(x, y):
    parts = []
    parts.append(x * y)
    parts.append(np.exp(y))
    for i in range(2):
        parts.append(x * (i + 0.5))
    return np.sum(np.concatenate(parts) * np.arange(1.0, 13.0))


def append_scalars(x):
    ys = []
    for i in range(len(x)):
        ys.append(x[i] * x[i] * (i + 1.0))
    return sum(ys)


def has_aux_dict(x, w):
    h = np.tanh(x * w)
    loss = np.sum(h * W3)
    return loss, {"h": h, "norm": np.sum(h * h), "steps": 3}  # <aux-dict>


def has_aux_tuple(x, w):
    h = np.sin(x * w)
    return np.sum(h * h * W3), (h, [np.max(h), np.min(h)], ("steps", 3))


def list_item_assign(x, y):
    hs = [x, y]
    hs[0] = x * 2.0  # <list-item-assign>
    return np.sum(hs[0] * hs[1] * W3)


# -- mutation ---------------------------------------------------------------------------------

def fill_loop(x):
    y = np.zeros(len(x))
    for i in range(len(x)):
        y[i] = x[i] * x[i] + np.sin(x[i])
    return np.sum(y * W4)


def fill_zeros_like(x, w):
    y = np.zeros_like(x)
    for i in range(len(x)):
        y[i] = w * x[i]
    return np.sum(np.tanh(y) * W4)


def recurrence(x, a):
    y = np.zeros(len(x))
    y[0] = x[0]
    for i in range(1, len(x)):
        y[i] = y[i - 1] * a + x[i]
    return np.sum(y * W4)


def recurrence_nonlinear(x, a):
    y = np.zeros(len(x))
    y[0] = np.tanh(x[0])
    for i in range(1, len(x)):
        y[i] = np.tanh(y[i - 1] * a + x[i])
    return np.sum(y * W4)


def overwrite_same_slot(x):
    acc = np.ones(2)
    for i in range(len(x)):
        acc[0] = acc[0] * x[i] + 0.5
        acc[1] = acc[1] + acc[0] * x[i]
    return acc[0] * 1.3 - acc[1] * 0.7


def slice_add(x, v):
    z = x.copy()
    z[1:3] += v
    return np.sum(z * z * W4)


def slice_sub_scalar_index(x, v):
    z = np.copy(x)
    z[2] -= v * v
    return np.sum(np.sin(z) * W4)


def column_scale(M):
    z = M.copy()
    z[:, 0] *= 2.0
    return np.sum(z * z * W34)


def copy_then_slice_assign(x):
    z = x.copy()
    z[2:] = np.sin(x[2:]) * 3.0
    return np.sum(z * z * W4)


def row_assign(M, row):
    out = np.zeros((3, 4))
    for i in range(3):
        out[i] = row * (i + 1.0) + M[i]
    return np.sum(np.tanh(out) * W34)


def row_assign_copy(M, row):
    z = M.copy()
    z[1] = np.sin(row)
    return np.sum(z * z * W34)


def element_assign_2d(M, v):
    z = M.copy()
    z[1, 2] = v * v
    z[0, 3] = z[1, 2] * M[2, 0]
    return np.sum(z * W34)


def mutation_in_branches(x, w):
    z = x.copy()
    if np.sum(x) > 0.0:
        z[0] = w * 3.0
    else:
        z[1] = w * w
    return np.sum(np.sin(z) * W4)


def mutation_in_loop_branch(x, w):
    z = np.zeros(len(x))
    for i in range(len(x)):
        if x[i] > 0.0:
            z[i] = x[i] * w
        else:
            z[i] = x[i] * x[i]
    return np.sum(z * W4)


def mutation_after_use(x, w):
    z = x * 1.5
    a = np.sum(z * z)
    z[0] = 5.0 * w
    return a + np.sum(z)


def mutation_after_use_zeros(x, w):
    z = np.zeros(3)
    z[1] = x * 2.0
    a = np.sum(np.sin(z) * W3)
    z[1] = w * 5.0
    z[0] = z[1] * x
    return a + np.sum(z * z * W3)


def weighted_tanh(v):
    return np.sum(np.tanh(v) * W4)


def mutation_then_helper(x, w):
    z = x.copy()
    z[1] = w * 2.0
    z[3] = z[3] * w
    return weighted_tanh(z)


def mutation_then_ufunc(x, w):
    z = x.copy()
    z[1] = w * 2.0
    return np.sum(np.tanh(z) * W4)


def loop_reads_then_writes(x, w):
    z = x.copy()
    total = 0.0
    for i in range(len(x)):
        total = total + np.sum(np.sin(z * w) * W4)
        z[i] = z[i] * w + 0.2
    return total + np.sum(z * z * W4)


def slice_read_open_end(x):
    return np.sum(np.sin(x[2:]) * W2)


def fill_in_helper(x, w):
    return np.sum(filled(x, w) * W4)


def filled(x, w):
    y = np.zeros(len(x))
    for i in range(len(x)):
        y[i] = np.sin(x[i] * w)
    return y


def mask_assign(x):
    z = x * 2.0
    z[z < 0.0] = 0.0
    return np.sum(z * z * W4)


def mutation_in_while(x, w):
    z = x.copy()
    i = 0
    while i < len(x):
        z[i] = z[i] * w + 0.1
        i = i + 2
    return np.sum(z * z * W4)


def mutation_scalar_param_into_zeros(a, b):
    z = np.zeros(2)
    z[0] = a * b
    z[1] = a - b
    return np.sum(z * z * W2)


# -- refusals ---------------------------------------------------------------------------------

def writes_parameter(x):
    x[0] = 1.0  # <writes-param>
    return np.sum(x * x)


def writes_parameter_slice(x):
    x[1:3] += 1.0  # <writes-param-slice>
    return np.sum(x * x)


def writes_through_slice_view(x):
    z = x * 2.0
    v = z[1:3]
    v[0] = 1.0  # <writes-view>
    return np.sum(z * z)


def writes_under_transpose(M):
    z = M * 2.0
    v = z.T
    z[0] = 1.0  # <writes-under-transpose>
    return np.sum(v * v)


def writes_after_rename(x):
    z = x * 2.0
    y = z
    z[0] = 1.0  # <writes-renamed>
    return np.sum(y * z)


def appends_to_aliased_list(x):
    xs = [x]
    ys = xs
    xs.append(x * 2.0)  # <append-aliased>
    return np.sum(sum(ys) * W3)


def appends_to_parameter(xs, x):
    xs.append(x * 2.0)  # <append-param>
    return np.sum(sum(xs) * W3)


def mutating_helper(a):
    a[0] = 0.0  # <helper-writes>
    return np.sum(a * a)


def calls_mutating_helper(x):
    return mutating_helper(x) + np.sum(x)


def writes_into_container_entry(params, x):
    W = params["W"]
    W[0] = 0.0  # <writes-entry>
    return np.sum(W * x)


def writes_into_dict_parameter(params, x):
    params["W"] = params["W"] * 2.0  # <writes-dict-param>
    return np.sum(params["W"] * x)


def inplace_add_parameter(x):
    x += 1.0  # <iadd-param>
    return np.sum(x * x)
