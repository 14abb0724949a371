"""`adjoint show --dump STAGE` and syntax highlighting."""
from __future__ import annotations

import re

import pytest

from adjoint.tools.show import STAGES, dump_stage, highlight
from helpers import EXAMPLES, run_cli

NEURON = str(EXAMPLES / "neuron.py")
AT = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _show(*args):
    result = run_cli("show", f"{NEURON}:f", "--wrt", "w0,x0", *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_dump_lower_is_the_ssa_of_the_function():
    out = _show("--dump", "lower")
    assert out.startswith("# gradient of f with respect to w0, x0: IR after lower\n")
    assert "s0 = w0 * x0" in out and "L = sigmoid(s3)" in out and "return L" in out
    assert "grad_" not in out


def test_dump_reverse_has_the_backward_with_copies():
    out = _show("--dump", "reverse", "--at", AT)
    assert "grad_L = 1.0" in out
    assert "grad_s3 = grad_L * (1 - L) * L" in out
    assert "grad_s2 = grad_s3" in out  # not yet propagated away


def test_dump_optimize_has_propagated_copies():
    out = _show("--dump", "optimize", "--at", AT)
    assert "grad_s3 = grad_L * (1 - L) * L" in out
    assert "grad_s2 = grad_s3" not in out
    assert "grad_w0 = grad_s3 * x0" in out


def test_dump_of_an_unknown_stage_is_a_usage_error_listing_the_stages():
    result = run_cli("show", f"{NEURON}:f", "--dump", "parse")
    assert result.returncode == 2
    assert all(stage in result.stderr for stage in STAGES)
    help_text = run_cli("show", "--help").stdout
    assert "--dump STAGE" in help_text and "lower, reverse, optimize" in help_text


def test_dump_optimize_without_optimization_is_a_usage_error():
    result = run_cli("show", f"{NEURON}:f", "--dump", "optimize", "--no-optimize")
    assert result.returncode == 2
    assert "--no-optimize" in result.stderr


def test_the_header_saying_what_the_gradient_is_taken_with_respect_to_stays():
    assert _show().startswith("# gradient of f with respect to w0, x0\n")


def test_piped_output_has_no_ansi_escapes():
    assert not ANSI.search(_show())
    assert not ANSI.search(_show("--dump", "reverse"))
    assert not ANSI.search(_show("--no-color"))


def test_forced_color_highlights_when_pygments_is_installed():
    pytest.importorskip("pygments")
    out = _show("--color")
    assert ANSI.search(out)
    assert ANSI.sub("", out) == _show()  # the same text, only colored


def test_highlight_is_plain_without_a_terminal_or_when_refused(monkeypatch):
    text = "def f(x):\n    return x\n"
    assert highlight(text, False) == text
    assert highlight(text) == text  # pytest captures stdout: not a terminal
    monkeypatch.setenv("NO_COLOR", "1")

    class Terminal:
        def isatty(self):
            return True
    monkeypatch.setattr("sys.stdout", Terminal())
    assert highlight(text) == text  # NO_COLOR wins over a terminal


def test_highlight_without_pygments_is_plain(monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_pygments(name, *args, **kwargs):
        if name.startswith("pygments"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_pygments)
    assert highlight("x = 1\n", True) == "x = 1\n"


def test_dump_stage_in_process():
    import importlib.util
    spec = importlib.util.spec_from_file_location("neuron_for_dump", NEURON)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    text = dump_stage(module.f, ("w0",), (), "lower")
    assert "s3 = s2 + w2" in text
