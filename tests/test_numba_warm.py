"""`adjoint numba-warm` and numba's disk cache: after the command, a new gradient in a
fresh process compiles none of adjoint's helpers (it loads them) and gives the default
backend's numbers; a cached helper is found again by a process that made numba types in
another order."""
import os
import subprocess
import sys

import pytest

from adjoint.errors import AdjointError

pytest.importorskip("numba")
pytest.importorskip("scipy")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# prints the adjoint helpers numba compiled (cache misses; the object-mode blocks numba
# lifts out of a cached helper are compiled in every process), then the largest
# difference from the default backend
RECORD_COMPILES = """
import numba
from numba.core import event

compiled = []

class Record(event.Listener):
    def on_start(self, ev):
        pass

    def on_end(self, ev):
        dispatcher = ev.data["dispatcher"]
        module = getattr(getattr(dispatcher, "py_func", None), "__module__", "") or ""
        if module.startswith("adjoint.") and "ObjModeLifted" not in type(dispatcher).__name__:
            compiled.append(dispatcher.py_func.__qualname__ + str(ev.data["args"]))

event.register("numba:compile", Record())
"""

NEW_GRADIENT = RECORD_COMPILES + """
import numpy as np
import adjoint

def model(X, Y, W, b, V):  # not one of numba-warm's programs
    H = np.tanh(X @ W + b)
    Z = H @ V
    P = np.exp(Z - np.max(Z, axis=1, keepdims=True))
    P = P / np.sum(P, axis=1, keepdims=True)
    return np.mean((P - Y) ** 2) + 0.5 * np.sum(W * W)

rng = np.random.default_rng(1)
args = (rng.standard_normal((20, 6)), rng.random((20, 3)), rng.standard_normal((6, 16)),
        rng.standard_normal(16), rng.standard_normal((16, 3)))
wrt = ("W", "b", "V")
value, grads = adjoint.value_and_grad(model, wrt=wrt, backend="numba")(*args)
ref_value, ref_grads = adjoint.value_and_grad(model, wrt=wrt)(*args)
worst = max(float(np.max(np.abs(g - r)) / np.max(np.abs(r))) for g, r in zip(grads, ref_grads))
print(compiled)
print(max(worst, abs(value - ref_value) / abs(ref_value)))
"""

TANH = RECORD_COMPILES + """
import sys
import numpy as np
from numba import types
from adjoint.backends.numba_ufuncs import NUMPY

for ndim in range(int(sys.argv[1])):  # numba types made first: other per-process numbers
    types.Array(types.int16, ndim + 1, "A")
tanh = numba.njit(lambda x: NUMPY.tanh(x))
x = np.linspace(-2.0, 2.0, 400).reshape(20, 20)
assert np.array_equal(tanh(x), np.tanh(x))
print(compiled)
"""


def run(code: str, cache, *args: str) -> str:
    """stdout of `code` run from a file (adjoint reads the functions' source) in a fresh
    process whose numba cache is the folder `cache`."""
    script = cache / "script.py"
    script.write_text(code)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, str(script), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_a_cached_ufunc_helper_is_found_by_another_process(tmp_path):
    first = run(TANH, tmp_path, "0").splitlines()
    assert "impl" in first[-1]  # an empty cache: compiled
    again = run(TANH, tmp_path, "5").splitlines()
    assert again[-1] == "[]"


@pytest.mark.slow  # numba-warm compiles for a minute
def test_after_numba_warm_a_new_gradient_compiles_no_helper(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, "-m", "adjoint", "numba-warm"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "numba-warm: 5 programs differentiated" in done.stdout
    compiled, difference = run(NEW_GRADIENT, tmp_path).splitlines()[-2:]
    assert compiled == "[]"
    assert float(difference) <= 1e-12


def test_numba_warm_refuses_without_a_cache(monkeypatch, capsys):
    from adjoint.backends import numba_cache
    from adjoint.tools import cli, numba_warm
    monkeypatch.setattr(numba_cache, "CACHE", False)
    with pytest.raises(AdjointError, match="nowhere to write its cache"):
        numba_warm.warm()
    assert cli.main(["numba-warm"]) == 1
    assert "nowhere to write its cache" in capsys.readouterr().err


def test_numba_warm_refuses_a_program_whose_numbers_differ(monkeypatch):
    from adjoint import api
    from adjoint.tools import numba_warm

    real = api.value_and_grad

    def off_by_a_little(function, wrt=None, backend="python"):
        exact = real(function, wrt=wrt)
        if backend != "numba":
            return exact
        return lambda *args: (exact(*args)[0], tuple(g * (1 + 1e-9) for g in exact(*args)[1]))

    monkeypatch.setattr(numba_warm.api, "value_and_grad", off_by_a_little)
    function, wrt, args = numba_warm.programs()[3]  # reductions: arrays only
    with pytest.raises(AdjointError, match="differs from the default backend"):
        numba_warm.run_program(function, wrt, args)
    monkeypatch.setattr(numba_warm.api, "value_and_grad",
                        lambda function, wrt=None, backend="python": real(function, wrt=wrt))
    numba_warm.run_program(function, wrt, args)  # the same numbers pass
