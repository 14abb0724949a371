"""The generated forward-mode code: golden lines, loops kept as loops, exec'd from the
text shown, and `adjoint show --mode jvp`; the Newton example (slow)."""
import inspect
import os

import numpy as np
import pytest

import adjoint
import higher_functions as hf
from adjoint.pipeline import compile_forward
from helpers import load_example, run_cli

NEURON = os.path.join("examples", "neuron.py")
WRT = "w0,x0,w1,x1,w2"

NEURON_TANGENTS = [
    "dot_s0 = dot_w0 * x0 + dot_x0 * w0",
    "dot_s1 = dot_w1 * x1 + dot_x1 * w1",
    "dot_s2 = dot_s0 + dot_s1",
    "dot_s3 = dot_s2 + dot_w2",
    "dot_L = dot_s3 * (1 - L) * L",
]


def _lines(text, prefix):
    return [line.strip() for line in text.splitlines() if line.strip().startswith(prefix)]


def test_show_mode_jvp_prints_a_tangent_line_beside_each_primal_line():
    result = run_cli("show", f"{NEURON}:f", "--wrt", WRT, "--mode", "jvp")
    assert result.returncode == 0, result.stderr
    assert _lines(result.stdout, "dot_") == NEURON_TANGENTS
    assert "def jvp_f(w0, x0, w1, x1, w2, dot_w0, dot_x0, dot_w1, dot_x1, dot_w2):" in result.stdout
    assert "# s3 = s2 + w2  [neuron.py:26]" in result.stdout


def test_source_mode_jvp_is_deterministic_and_is_the_code_that_runs():
    first = adjoint.source(hf.rnn, "x", mode="jvp")
    assert first == adjoint.source(hf.rnn, "x", mode="jvp")
    compiled = compile_forward(hf.rnn, ("x",))
    assert inspect.getsource(compiled.function) in compiled.source


def test_loops_stay_loops_without_tapes_or_unbroadcast():
    text = adjoint.source(hf.rnn, "x", mode="jvp")
    assert "for t in range(4):" in text
    assert "_tape" not in text and "unbroadcast" not in text
    assert "dot_h = dot_s3 * (1 - h * h)" in text


def test_calls_through_user_functions_get_a_jvp_callee():
    text = adjoint.source(hf.calls, "x", mode="jvp")
    assert "= jvp__dense_x(x, W, dot_x)" in text and "def jvp__dense_x(x, W, dot_x):" in text


def test_only_tangents_of_active_values_are_computed():
    text = adjoint.source(hf.tanh_layers, "W", mode="jvp")
    assert "dot_x" not in text  # x is a constant here: no tangent, no zeros


def test_mode_must_be_grad_or_jvp():
    with pytest.raises(adjoint.BadArguments, match="mode"):
        adjoint.source(hf.rnn, "x", mode="hessian")


@pytest.mark.slow
def test_newton_example_minimizes_rosenbrock_with_exact_hessians():
    exact, newton_cg = load_example("newton_rosenbrock").solve()
    np.testing.assert_allclose(exact.x, np.ones(10), atol=1e-4)
    np.testing.assert_allclose(newton_cg.x, np.ones(10), atol=1e-6)
    assert exact.fun < 1e-8 and newton_cg.fun < 1e-12
