"""The numba backend's gradients call adjoint's helpers by address and compute array
expressions one cached operation at a time (backends/numba_calls.py,
numba_elementwise.py): same numbers as the default backend, no helper code compiled
into the gradient, and no array leaked by the temporaries."""
import os
import subprocess
import sys

import numpy as np
import pytest

import adjoint
from adjoint.testing import check_grads

pytest.importorskip("numba")
pytest.importorskip("scipy")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def expressions(a, b, c):
    """Array expressions with every kind of operand and temporary: (b - c) is a (3, 4)
    temporary the next operation writes into; (a * 2.0) is a (3, 1) one, too small for
    the (3, 4) results after it (the helper then makes a new array)."""
    u = np.sqrt(np.abs(a * (b - c)) + 1.0) * np.maximum(a, c) / (1.0 + b ** 2)
    v = ((a * 2.0) * b) + c - (-b) ** 3 // 2.0
    w = np.minimum(u, v) * np.sign(b - 0.1) + (b > c) * a
    return np.sum(w * (1.0 - u * u)) + np.sum(v % 1.5)


def _args():
    rng = np.random.default_rng(7)
    return (rng.uniform(0.5, 1.5, (3, 1)), rng.uniform(-1.0, 1.0, (3, 4)),
            rng.uniform(-1.0, 1.0, 4))


def _same(a, b, tol=1e-12):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    scale = max(1.0, float(np.max(np.abs(b))))
    assert float(np.max(np.abs(a - b))) <= tol * scale


@pytest.mark.slow  # numba compiles each operation's helper for these types once (cached)
def test_array_expressions_match_default_backend_and_finite_differences():
    args = _args()
    value, grads = adjoint.value_and_grad(expressions, (0, 1, 2), backend="numba")(*args)
    ref_value, ref_grads = adjoint.value_and_grad(expressions, (0, 1, 2))(*args)
    _same(value, ref_value)
    for g, r in zip(grads, ref_grads):
        _same(g, r)
    check_grads(expressions, *args, wrt=(0, 1, 2),
                grad_fn=adjoint.grad(expressions, (0, 1, 2), backend="numba"))


def test_gradient_module_holds_no_helper_code():
    """A gradient's machine code calls the helpers where numba compiled them: none of
    their code is linked (and optimised again) into the gradient's module."""
    import numba

    from adjoint.backends import numba as backend  # noqa: F401 - registers the overloads
    from adjoint.backends import numba_calls
    from adjoint.runtime import core

    if not numba_calls.SUPPORTED:
        pytest.skip("this numba's internals differ: gradients use numba's own lowering")

    def backward(g, x):
        return core.unbroadcast(g * (1.0 - x * x), x) + 2.0 * x

    jitted = numba.njit(backward, pipeline_class=numba_calls.GradientCompiler)
    g, x = np.ones((2, 3)), np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    np.testing.assert_array_equal(jitted(g, x), backward(g, x))
    text = jitted.inspect_llvm(jitted.signatures[0])
    defined = [line for line in text.splitlines() if line.startswith("define")]
    assert defined and not [line for line in defined if "adjoint8backends" in line]


def test_an_operation_writes_into_a_temporary_only_where_the_result_fits():
    import numba

    from adjoint.backends import numba_elementwise as ops

    # the helpers have no wrapper for calls from Python (numba_cache.py): call them from numba
    sub = numba.njit(lambda a, b, out: ops.sub_into(a, b, out))
    add = numba.njit(lambda a, b, out: ops.add_into(a, b, out))
    b, c = np.arange(12.0).reshape(3, 4), np.arange(4.0)
    spare = np.zeros((3, 4))
    result = sub(b, c, spare)
    assert result is spare and np.array_equal(result, b - c)
    small = np.zeros((3, 1))
    result = add(b, c, small)  # (3, 4) does not fit in (3, 1): a new array
    assert result is not small and np.array_equal(result, b + c) and not small.any()
    assert np.array_equal(numba.njit(lambda a: ops.neg(a, None))(b), -b)
    assert numba.njit(lambda x, out: ops.fits(x, out))(2.0, small)


@pytest.mark.parametrize("a_shape, b_shape, out_shape", [
    ((3, 1), (4,), (1, 4)), ((1, 4), (3, 1), (3, 1)), ((), (2, 3), (1, 1)), ((5,), (), (1,)),
    ((1, 1), (2, 1), (1, 3)),
])
def test_an_operation_that_does_not_fit_gets_the_shape_numpy_gives(a_shape, b_shape, out_shape):
    import numba

    from adjoint.backends import numba_elementwise as ops

    rng = np.random.default_rng(3)
    a = rng.random(a_shape) + 0.5 if a_shape else 1.5
    b = rng.random(b_shape) + 0.5 if b_shape else 0.75
    for name, numpy_op in (("mul", np.multiply), ("truediv", np.true_divide),
                           ("power", np.power), ("gt", np.greater)):
        into, plain = getattr(ops, name + "_into"), getattr(ops, name)
        jitted = numba.njit(lambda a, b, out, into=into: into(a, b, out))
        expected = numba.njit(lambda a, b, plain=plain: plain(a, b, None))(a, b)
        out = np.zeros(out_shape, expected.dtype)
        result = jitted(a, b, out)
        assert result is not out and not out.any()
        assert result.shape == expected.shape and np.array_equal(result, expected)
        np.testing.assert_allclose(result, numpy_op(a, b), rtol=1e-15)


def test_operands_that_do_not_broadcast_raise_as_in_numpy():
    import numba

    from adjoint.backends import numba_elementwise as ops

    add = numba.njit(lambda a, b, out: ops.add_into(a, b, out))
    with pytest.raises(ValueError, match="broadcast"):
        add(np.ones((3, 4)), np.ones((2, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="broadcast"):
        add(np.ones((2, 4)), np.ones((3, 1)), np.zeros((1, 1)))


LEAK_CHECK = """
import numpy as np, adjoint
from numba.core.runtime import rtsys
from tests.test_numba_calls import expressions, _args
df = adjoint.value_and_grad(expressions, (0, 1, 2), backend="numba")
args = _args()
df(*args)
before = rtsys.get_allocation_stats()
for _ in range(20):
    df(*args)
after = rtsys.get_allocation_stats()
print(after.alloc - before.alloc, after.free - before.free)
"""


@pytest.mark.slow  # a fresh process compiles the gradient again
def test_temporaries_are_released():
    env = dict(os.environ, NUMBA_NRT_STATS="1", PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, "-c", LEAK_CHECK], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    allocated, freed = map(int, done.stdout.split())
    assert allocated > 0 and allocated == freed
