"""The training examples run end to end in their `--quick` mode, each in a fresh Python.

Each example checks its gradient against finite differences and asserts that training
lowered its loss; these tests add that the process exits cleanly, prints what its
docstring promises and writes a real PNG where asked.
"""
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

import adjoint

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
# The adjoint under test, not whichever one is installed: the example's own directory
# comes first on its sys.path, so the package root has to be named explicitly.
PACKAGE_ROOT = str(pathlib.Path(adjoint.__file__).resolve().parent.parent)


def needs(*modules):
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    return pytest.mark.skipif(bool(missing), reason=f"example needs {', '.join(missing)}: "
                              "pip install '.[examples]'")


def run_example(name: str, *args, cwd) -> str:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [PACKAGE_ROOT, os.environ.get("PYTHONPATH")])))
    done = subprocess.run([sys.executable, str(EXAMPLES / name), "--quick", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert "gradient check against finite differences: ok" in done.stdout
    return done.stdout


def assert_png(path: pathlib.Path) -> None:
    assert path.is_file() and path.stat().st_size > 1000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
@needs("sklearn", "tqdm", "matplotlib")
def test_train_digits_quick(tmp_path):
    plot = tmp_path / "curves.png"
    out = run_example("train_digits.py", "--plot", str(plot), cwd=tmp_path)
    assert "def grad_loss(params, X, y, reg):" in out  # the generated code is shown first
    before, after = map(float, re.search(r"training loss: (\S+) -> (\S+)", out).groups())
    assert after < before
    accuracy = float(re.search(r"test accuracy: (\S+)", out).group(1))
    assert 0.5 < accuracy <= 1.0  # three epochs of a small net; the full run reaches 0.95+
    assert re.search(r"training time: \S+ s for 3 epochs", out)
    assert "the class variant (grad(model.loss, wrt='self')) matches the dict variant: ok" in out
    assert "class variant: training loss" in out
    assert_png(plot)


@pytest.mark.slow
def test_char_rnn_quick(tmp_path):
    out = run_example("char_rnn.py", cwd=tmp_path)
    assert "def grad_sequence_loss(params, inputs, targets, h):" in out
    assert "for t in reversed(range(" in out  # the 25-step loop runs backwards in the code
    before, after = map(float, re.search(r"characters: (\S+) -> (\S+)", out).groups())
    assert after < 0.9 * before
    assert out.count("--- step ") == 4  # samples at steps 0, 100, 200, 300


@pytest.mark.slow
@needs("scipy", "matplotlib")
def test_ode_fit_quick(tmp_path):
    plot = tmp_path / "fit.png"
    out = run_example("ode_fit.py", "--plot", str(plot), cwd=tmp_path)
    errors = [float(e) for e in re.findall(r"^[abcd] .* ([+-]\d+\.\d+)%$", out, re.MULTILINE)]
    assert len(errors) == 4 and max(map(abs, errors)) < 5
    assert_png(plot)


@pytest.mark.slow
@needs("sklearn", "tqdm", "matplotlib", "dask", "distributed")
def test_train_digits_on_a_dask_cluster_quick(tmp_path):
    out = run_example("train_digits_dask.py", cwd=tmp_path)
    parallel, single = map(float, re.search(r"test accuracy: (\S+) on 2 Dask workers .*, (\S+) on one", out).groups())
    assert parallel == single > 0.5
    assert float(re.search(r"largest weight difference between the two: (\S+)", out).group(1)) < 1e-9
