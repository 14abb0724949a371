"""Whole generated sources, as exact inline strings, and their determinism.

The provenance comments carry line numbers of the example files; they are looked up by
reading those files (so the goldens survive edits above the functions), everything else is
literal.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

import adjoint
from helpers import EXAMPLES, ROOT, load_example


def example_line(name: str, statement: str) -> int:
    """1-based line of `statement` (stripped, exact) in examples/<name>.py."""
    lines = (EXAMPLES / f"{name}.py").read_text().splitlines()
    hits = [k + 1 for k, line in enumerate(lines) if line.strip() == statement]
    assert len(hits) == 1, (statement, hits)
    return hits[0]


def test_add_mul_value_and_grad_at_scalars():
    add_mul = load_example("add_mul")
    ret = example_line("add_mul", "return q * z")
    q = example_line("add_mul", "q = x + y")
    expected = f"""\
# gradient of f with respect to x, y, z
def value_and_grad_f(x, y, z):
    q = x + y
    out = q * z
    # return q * z  [add_mul.py:{ret}]
    grad_q = z
    grad_z = q
    # q = x + y  [add_mul.py:{q}]
    grad_x = grad_q
    grad_y = grad_q
    return (out, (grad_x, grad_y, grad_z))
"""
    df = adjoint.value_and_grad(add_mul.f, wrt=("x", "y", "z"))
    assert df(-2.0, 5.0, -4.0) == (-12.0, (-4.0, -4.0, 3.0))
    assert df.source == expected
    assert adjoint.source(add_mul.f, ("x", "y", "z"), -2.0, 5.0, -4.0, value=True) == expected


def _neuron_lines():
    return {stmt: example_line("neuron", stmt) for stmt in (
        "return L", "L = sigmoid(s3)", "s3 = s2 + w2", "s2 = s0 + s1", "s1 = w1 * x1",
        "s0 = w0 * x0")}


def test_neuron_value_and_grad_at_scalars():
    neuron = load_example("neuron")
    n = _neuron_lines()
    expected = f"""\
# gradient of f with respect to w0, x0, w1, x1, w2
def value_and_grad_f(w0, x0, w1, x1, w2):
    s0 = w0 * x0
    s1 = w1 * x1
    s2 = s0 + s1
    s3 = s2 + w2
    L = sigmoid(s3)
    L_float = float(L)
    # L = sigmoid(s3)  [neuron.py:{n['L = sigmoid(s3)']}]
    grad_s3 = (1 - L_float) * L_float
    # s3 = s2 + w2  [neuron.py:{n['s3 = s2 + w2']}]
    grad_w2 = grad_s3
    # s1 = w1 * x1  [neuron.py:{n['s1 = w1 * x1']}]
    grad_w1 = grad_s3 * x1
    grad_x1 = grad_s3 * w1
    # s0 = w0 * x0  [neuron.py:{n['s0 = w0 * x0']}]
    grad_w0 = grad_s3 * x0
    grad_x0 = grad_s3 * w0
    return (L, (grad_w0, grad_x0, grad_w1, grad_x1, grad_w2))
"""
    df = adjoint.value_and_grad(neuron.f, wrt=("w0", "x0", "w1", "x1", "w2"))
    value, grads = df(2.0, -1.0, -3.0, -2.0, -3.0)
    assert df.source == expected
    # the backward ran on Python floats: each gradient a float, the value sigmoid's float64
    assert type(value) is np.float64 and all(type(g) is float for g in grads)
    s = value * (1 - value)
    assert grads == (s * -1.0, s * 2.0, s * -2.0, s * -3.0, s)


def test_neuron_grad_unoptimized_at_scalars():
    neuron = load_example("neuron")
    n = _neuron_lines()
    expected = f"""\
# gradient of f with respect to w0, x0, w1, x1, w2
def grad_f(w0, x0, w1, x1, w2):
    s0 = w0 * x0
    s1 = w1 * x1
    s2 = s0 + s1
    s3 = s2 + w2
    L = sigmoid(s3)
    # return L  [neuron.py:{n['return L']}]
    grad_L = 1.0
    # L = sigmoid(s3)  [neuron.py:{n['L = sigmoid(s3)']}]
    grad_s3 = grad_L * (1 - L) * L
    # s3 = s2 + w2  [neuron.py:{n['s3 = s2 + w2']}]
    grad_s2 = grad_s3
    grad_w2 = grad_s3
    # s2 = s0 + s1  [neuron.py:{n['s2 = s0 + s1']}]
    grad_s0 = grad_s2
    grad_s1 = grad_s2
    # s1 = w1 * x1  [neuron.py:{n['s1 = w1 * x1']}]
    grad_w1 = grad_s1 * x1
    grad_x1 = grad_s1 * w1
    # s0 = w0 * x0  [neuron.py:{n['s0 = w0 * x0']}]
    grad_w0 = grad_s0 * x0
    grad_x0 = grad_s0 * w0
    return (float(grad_w0), float(grad_x0), float(grad_w1), float(grad_x1), float(grad_w2))
"""
    text = adjoint.source(neuron.f, ("w0", "x0", "w1", "x1", "w2"), 2.0, -1.0, -3.0, -2.0, -3.0,
                          optimize=False)
    assert text == expected


# -- determinism ---------------------------------------------------------------------------

_SCRIPT = """
import sys
sys.path.insert(0, {examples!r})
import numpy as np
import adjoint
import neuron, add_mul
out = [
    adjoint.source(neuron.f, ("w0", "x0", "w1", "x1", "w2"), 2.0, -1.0, -3.0, -2.0, -3.0),
    adjoint.source(neuron.f, ("w0", "x0", "w1", "x1", "w2"), 2.0, -1.0, np.ones(2), -2.0, -3.0),
    adjoint.source(neuron.f, ("w0", "x0", "w1", "x1", "w2"), 2.0, -1.0, -3.0, -2.0, -3.0, optimize=False),
    adjoint.source(add_mul.f, ("x", "y", "z"), -2.0, 5.0, -4.0, value=True),
    adjoint.source(add_mul.f, ("z", "x")),
]
sys.stdout.write("\\n=====\\n".join(out))
"""


def _sources_in_this_process():
    neuron = load_example("neuron")
    add_mul = load_example("add_mul")
    wrt = ("w0", "x0", "w1", "x1", "w2")
    return [
        adjoint.source(neuron.f, wrt, 2.0, -1.0, -3.0, -2.0, -3.0),
        adjoint.source(neuron.f, wrt, 2.0, -1.0, np.ones(2), -2.0, -3.0),  # w1 an array
        adjoint.source(neuron.f, wrt, 2.0, -1.0, -3.0, -2.0, -3.0, optimize=False),
        adjoint.source(add_mul.f, ("x", "y", "z"), -2.0, 5.0, -4.0, value=True),
        adjoint.source(add_mul.f, ("z", "x")),
    ]


def test_same_source_twice_in_one_process():
    first = _sources_in_this_process()
    second = _sources_in_this_process()
    assert first == second
    assert len(set(first)) == len(first)  # the variants really differ


def test_same_source_in_fresh_processes():
    script = _SCRIPT.format(examples=str(EXAMPLES))
    outputs = []
    for hash_seed in ("1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=hash_seed)
        result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                                capture_output=True, timeout=60)
        assert result.returncode == 0, result.stderr.decode()
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    # and identical to what this process generates
    assert outputs[0].decode() == "\n=====\n".join(_sources_in_this_process())
