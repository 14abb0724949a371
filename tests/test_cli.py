"""`python -m adjoint show FILE.py:FUNC ...`, run in a fresh interpreter."""
from __future__ import annotations

import os

import pytest

from helpers import EXAMPLES, run_cli

NEURON = os.path.join("examples", "neuron.py")
CLI_TARGETS = os.path.join("tests", "cli_targets.py")
WRT = "w0,x0,w1,x1,w2"
AT = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"

# the lecture's backward pass, one line per forward operation
LECTURE_BACKWARD = [
    "grad_L = 1.0",
    "grad_s3 = grad_L * (1 - L) * L",
    "grad_s2 = grad_s3",
    "grad_w2 = grad_s3",
    "grad_s0 = grad_s2",
    "grad_s1 = grad_s2",
    "grad_w1 = grad_s1 * x1",
    "grad_x1 = grad_s1 * w1",
    "grad_w0 = grad_s0 * x0",
    "grad_x0 = grad_s0 * w0",
]


def _code_lines(text):
    return [line.strip() for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def _backward_lines(text):
    return [line for line in _code_lines(text) if line.startswith("grad_")]


def test_show_neuron_unoptimized_has_exactly_the_lecture_lines():
    result = run_cli("show", f"{NEURON}:f", "--wrt", WRT, "--at", AT, "--no-optimize")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert _backward_lines(result.stdout) == LECTURE_BACKWARD
    lines = _code_lines(result.stdout)
    assert lines[0] == "def grad_f(w0, x0, w1, x1, w2):"
    assert lines[-1] == "return (float(grad_w0), float(grad_x0), float(grad_w1), float(grad_x1), float(grad_w2))"
    # no broadcasting bookkeeping in scalar code
    assert "unbroadcast" not in result.stdout


def test_show_neuron_optimized():
    result = run_cli("show", f"{NEURON}:f", "--wrt", WRT, "--at", AT)
    assert result.returncode == 0, result.stderr
    backward = _backward_lines(result.stdout)
    assert "grad_s3 = grad_L * (1 - L) * L" in backward
    assert "grad_w1 = grad_s3 * x1" in backward
    # copies are propagated away
    assert "grad_s2 = grad_s3" not in backward
    assert len(backward) < len(LECTURE_BACKWARD)


def test_show_neuron_without_at_follows_its_float_annotations():
    # examples/neuron.py annotates its parameters `: float`, so the plain command prints
    # the lecture's scalar code, exactly as with --at
    plain = run_cli("show", f"{NEURON}:f", "--wrt", WRT)
    assert plain.returncode == 0, plain.stderr
    # Python floats: the backward computes on Python floats (passes/python_floats.py)
    assert "grad_s3 = (1 - L_float) * L_float" in _backward_lines(plain.stdout)
    assert "grad_w1 = grad_s3 * x1" in _backward_lines(plain.stdout)
    assert "unbroadcast" not in plain.stdout
    at_floats = AT.replace("=2", "=2.0").replace("=-1", "=-1.0").replace("=-3", "=-3.0").replace("=-2", "=-2.0")
    assert plain.stdout == run_cli("show", f"{NEURON}:f", "--wrt", WRT, "--at", at_floats).stdout


def test_show_without_at_or_annotations_is_array_code():
    result = run_cli("show", f"{EXAMPLES}/add_mul.py:f", "--wrt", "x,y,z")
    assert result.returncode == 0, result.stderr
    assert "unbroadcast" in result.stdout


def test_show_default_wrt_is_first_parameter():
    result = run_cli("show", f"{NEURON}:f", "--at", AT)
    assert result.returncode == 0, result.stderr
    assert "# gradient of f with respect to w0" in result.stdout
    assert _code_lines(result.stdout)[-1] == "return float(grad_w0)"


def test_show_accepts_absolute_path_and_other_cwd(tmp_path):
    result = run_cli("show", f"{EXAMPLES / 'add_mul.py'}:f", "--wrt", "x,y,z", "--at", "x=-2,y=5,z=-4",
                     cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert _backward_lines(result.stdout) == [
        "grad_out = 1.0", "grad_q = grad_out * z", "grad_z = grad_out * q",
        "grad_x = grad_q", "grad_y = grad_q"]


def test_show_output_compiles():
    result = run_cli("show", f"{CLI_TARGETS}:poly", "--wrt", "x,y", "--at", "x=1.5,y=-2")
    assert result.returncode == 0, result.stderr
    compile(result.stdout, "<shown>", "exec")


@pytest.mark.parametrize("args", [
    ("show", "examples/neuron.py"),             # no :FUNC
    ("show", ":f"),                             # no file
    ("show", "examples/neuron.py:"),            # empty function name
    ("show", "examples/no_such_file.py:f"),     # missing file
    ("show", "examples/neuron.py:no_such_function"),
    ("show", "examples/neuron.py:f", "--at", "w0=2"),          # not every parameter
    ("show", "examples/neuron.py:f", "--at", "w0=2,x0"),       # not NAME=VALUE
    ("show", "examples/neuron.py:f", "--at", "w0=abc,x0=1,w1=1,x1=1,w2=1"),
    ("show", "examples/neuron.py:f", "--at", "w0=1,x0=1,w1=1,x1=1,w2=1,zz=3"),
    ("frobnicate",),
    (),
])
def test_bad_usage_exits_2(args):
    result = run_cli(*args)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert result.stderr.strip()


@pytest.mark.parametrize("target,text", [
    ("uses_helper", "no gradient rule for math.gamma"),
    ("unsupported", "try/except"),
])
def test_adjoint_error_exits_1(target, text):
    result = run_cli("show", f"{CLI_TARGETS}:{target}")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert text in result.stderr
    # a short message: no more than a dozen lines
    assert len(result.stderr.splitlines()) <= 12


def test_help_exits_0():
    result = run_cli("show", "--help")
    assert result.returncode == 0
    assert "--no-optimize" in result.stdout and "--wrt" in result.stdout
