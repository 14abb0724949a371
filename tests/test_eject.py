"""`adjoint eject`: the gradient code as a standalone module that needs only numpy.

The ejected modules run in a fresh interpreter where `import adjoint` fails (python -I -S,
with only numpy's directory added to sys.path: no .pth file, so not the editable install
either) and must give the gradients adjoint gives. Ejecting is deterministic, and a
one-line edit of the function gives a small diff.
"""
from __future__ import annotations

import argparse
import difflib
import os
import pickle
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers import EXAMPLES

import adjoint
from adjoint.tools import cli, targets
from adjoint.tools.eject import add_eject, eject, run_eject
from adjoint.errors import AdjointError

MODEL = '''\
"""A small model: no import of adjoint, so the ejected module may import from it."""
import math

import numpy as np

SCALE = 1.5
W = np.array([[0.5, -1.0, 0.3], [2.0, 0.25, -0.7]])


class Config:
    shift = 0.25


CONFIG = Config()


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def layer(x, b):
    return np.tanh(x @ W + b)


def loss(x, b, c):
    h = layer(x, b)
    p = sigmoid(h) * SCALE
    return np.sum(p) + np.mean(h ** 2) * c


def scalar(x, y):
    q = math.sin(x) * y
    return q * CONFIG.shift + x ** 2


def params(p, x):
    h = np.tanh(x @ p["W"] + p["b"])
    return np.sum(h * h) + p["s"] * np.sum(h)
'''

# python -I -S: no PYTHONPATH, no site (so no .pth: the editable install is not active);
# numpy's directory is added by hand, then the directory of the ejected module. A regular
# install of adjoint sits in that same directory, so adjoint is blocked outright:
# sys.modules["adjoint"] = None makes every `import adjoint` fail.
BOOT = r'''
import importlib, pickle, sys
numpy_dir, ejected_dir, extra_dir, module, inputs, function = sys.argv[1:7]
sys.modules["adjoint"] = None
sys.path.append(numpy_dir)
sys.path.insert(0, ejected_dir)
if extra_dir:
    sys.path.insert(1, extra_dir)
try:
    import adjoint
except ImportError:
    pass
else:
    raise SystemExit("adjoint can be imported: the test would prove nothing")
mod = importlib.import_module(module)
assert sys.modules["adjoint"] is None  # still blocked: nothing imported adjoint
args = pickle.load(open(inputs, "rb"))
pickle.dump(getattr(mod, function)(*args), open(inputs + ".out", "wb"))
'''
NUMPY_DIR = os.path.dirname(os.path.dirname(np.__file__))


def _cli(argv) -> str:
    """Run the eject command as cli.main would once it is registered."""
    parser = argparse.ArgumentParser(prog="adjoint")
    add_eject(parser.add_subparsers(dest="command", required=True))
    return run_eject(parser.parse_args(["eject", *argv]))


def _write_model(directory, name="model", text=MODEL):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.py"
    path.write_text(text)
    return path


def _run_isolated(ejected_path, function, args, extra_dir=""):
    inputs = ejected_path.parent / f"{ejected_path.stem}_inputs.pkl"
    inputs.write_bytes(pickle.dumps(args))
    done = subprocess.run([sys.executable, "-I", "-S", "-c", BOOT, NUMPY_DIR,
                           str(ejected_path.parent), str(extra_dir), ejected_path.stem,
                           str(inputs), function],
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr + done.stdout
    return pickle.loads((inputs.parent / (inputs.name + ".out")).read_bytes())


def _assert_same(got, want):
    if isinstance(want, dict):
        assert type(got) is dict and set(got) == set(want)
        for key in want:
            _assert_same(got[key], want[key])
    elif isinstance(want, (tuple, list)):
        assert type(got) is type(want) and len(got) == len(want)
        for a, b in zip(got, want):
            _assert_same(a, b)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def test_the_isolated_interpreter_cannot_import_adjoint(tmp_path):
    done = subprocess.run([sys.executable, "-I", "-S", "-c", "import adjoint"],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    assert done.returncode != 0 and "No module named 'adjoint'" in done.stderr


def test_neuron_ejected_runs_without_adjoint(tmp_path):
    out = tmp_path / "grad_f.py"
    message = _cli([f"{EXAMPLES}/neuron.py:f", "--wrt", "w0,x0,w1,x1,w2",
                    "--at", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "-o", str(out)])
    assert message == f"wrote {out}\n"
    text = out.read_text()
    assert "import adjoint" not in text and "from adjoint" not in text
    assert "def sigmoid(x):" in text  # copied, since neuron.py itself imports adjoint
    assert "from neuron import" not in text and "sys.path" not in text
    got = _run_isolated(out, "grad_f", (2.0, -1.0, -3.0, -2.0, -3.0))
    assert [f"{g:.2f}" for g in got] == ["-0.20", "0.39", "-0.39", "-0.59", "0.20"]
    _assert_same(got, adjoint.grad(_load(f"{EXAMPLES}/neuron.py:f"), wrt=(0, 1, 2, 3, 4))(
        2.0, -1.0, -3.0, -2.0, -3.0))


def _load(target):
    return targets.load_function(target)


def test_array_model_with_callee_constants_and_helpers(tmp_path):
    model = _write_model(tmp_path / "src", "ej_array_model")
    out = tmp_path / "out" / "grad_loss.py"
    out.parent.mkdir()
    _cli([f"{model}:loss", "--wrt", "x,b,c", "-o", str(out)])
    text = out.read_text()
    assert "def fwd_layer(" in text and "def bwd_layer(" in text  # the pair, copied in
    assert "def unbroadcast(g, x):" in text  # runtime helpers, copied in
    assert "SCALE = 1.5" in text and "W = np.array([[0.5, -1.0, 0.3], [2.0, 0.25, -0.7]]" in text
    assert "def fwd_sigmoid(x):" in text  # differentiated through, as the code shows
    assert "import ej_array_model" not in text  # everything of the model's is copied
    rng = np.random.default_rng(7)
    args = (rng.normal(size=(4, 2)), rng.normal(size=3), 0.7)
    got = _run_isolated(out, "grad_loss", args)
    want = adjoint.grad(_load(f"{model}:loss"), wrt=(0, 1, 2))(*args)
    _assert_same(got, want)


def test_containers_value_and_grad(tmp_path):
    model = _write_model(tmp_path / "src", "ej_params_model")
    out = tmp_path / "grad_params.py"
    _cli([f"{model}:params", "--wrt", "p", "--value", "-o", str(out)])
    text = out.read_text()
    assert "class Grads(tuple):" in text and "def value_and_grad_params(p, x):" in text
    rng = np.random.default_rng(3)
    p = {"W": rng.normal(size=(2, 3)), "b": rng.normal(size=3), "s": 0.3}
    x = rng.normal(size=(5, 2))
    got = _run_isolated(out, "value_and_grad_params", (p, x))
    _assert_same(got, adjoint.value_and_grad(_load(f"{model}:params"), wrt=("p",))(p, x))


def test_user_object_is_imported_from_the_users_module(tmp_path):
    model = _write_model(tmp_path / "src", "ej_object_model")
    out = tmp_path / "grad_scalar.py"
    _cli([f"{model}:scalar", "--wrt", "x,y", "--at", "x=0.3,y=-1.2", "-o", str(out)])
    text = out.read_text()
    assert "from ej_object_model import CONFIG\n" in text
    assert "sys.path" in text.split("from __future__")[0]  # the header says what is needed
    assert "import math\n" in text
    got = _run_isolated(out, "grad_scalar", (0.3, -1.2), extra_dir=model.parent)
    _assert_same(got, adjoint.grad(_load(f"{model}:scalar"), wrt=(0, 1))(0.3, -1.2))


def test_eject_twice_is_byte_identical(tmp_path):
    model = _write_model(tmp_path / "src", "ej_twice_model")
    first, second = tmp_path / "a.py", tmp_path / "b.py"
    for out in (first, second):
        _cli([f"{model}:loss", "--wrt", "x,b", "-o", str(out)])
    assert first.read_bytes() == second.read_bytes()
    assert eject(_load(f"{model}:loss"), ("x", "b")) == first.read_text()


def test_a_one_line_edit_gives_a_small_diff(tmp_path):
    before = _write_model(tmp_path / "v1", "ej_edit_model")
    after = _write_model(tmp_path / "v2", "ej_edit_model", MODEL.replace("h ** 2", "h ** 3"))
    texts = []
    for model in (before, after):
        out = model.parent / "grad_loss.py"
        _cli([f"{model}:loss", "--wrt", "x,b,c", "-o", str(out)])
        texts.append(out.read_text().splitlines())
    changed = [line for line in difflib.unified_diff(*texts, lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert 0 < len(changed) <= 8, "\n".join(changed)
    assert all("h" in line or "3" in line or "2" in line for line in changed)


def test_printed_when_no_output_and_compiles():
    text = _cli([f"{EXAMPLES}/add_mul.py:f", "--wrt", "x,y,z", "--at", "x=-2,y=5,z=-4"])
    assert text.startswith("# Gradient of add_mul.py:f with respect to x, y, z")
    namespace = {}
    exec(compile(text, "grad_f.py", "exec"), namespace)
    assert namespace["grad_f"](-2.0, 5.0, -4.0) == (-4.0, -4.0, 3.0)


def test_defaults_are_written_out(tmp_path):
    model = _write_model(tmp_path, "ej_defaults_model", textwrap.dedent('''\
        def f(x, scale=2.0, *, power=3):
            return scale * x ** power
        '''))
    text = eject(_load(f"{model}:f"), "x", 1.5)
    namespace = {}
    exec(compile(text, "grad_f.py", "exec"), namespace)
    assert "grad_f.__defaults__ = (2.0,)" in text
    assert namespace["grad_f"](1.5) == pytest.approx(2.0 * 3 * 1.5 ** 2)


def test_a_name_meaning_two_objects_is_refused(tmp_path):
    model = _write_model(tmp_path, "ej_clash_model", textwrap.dedent('''\
        import numpy

        np = 3.0

        def f(x):
            return numpy.sin(x) * np
        '''))
    with pytest.raises(AdjointError, match="'np' means two different objects"):
        eject(_load(f"{model}:f"), "x", 1.0)


@pytest.mark.skipif("eject" not in cli.COMMANDS, reason="eject is not registered in cli.py yet")
def test_registered_command(tmp_path):
    out = tmp_path / "grad_f.py"
    done = subprocess.run([sys.executable, "-m", "adjoint", "eject", f"{EXAMPLES}/add_mul.py:f",
                           "--wrt", "x,y,z", "-o", str(out)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert out.read_text().startswith("# Gradient of add_mul.py:f")
