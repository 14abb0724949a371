"""`adjoint.tools.check` and `adjoint check`: every problem in a function and its callees, at once,
each with its file, line and fix."""
from __future__ import annotations

import argparse
import os

import pytest

import adjoint
from adjoint.tools import cli
from adjoint.tools.check import add_check, report, run_check
from adjoint.errors import AdjointError, BadArguments

import check_functions as cf
from helpers import line_of

HERE = os.path.dirname(os.path.abspath(__file__))
FUNCTIONS = os.path.join(HERE, "check_functions.py")
HELPERS = os.path.join(HERE, "check_helpers.py")


def _places(problems):
    return [(p.location.filename, p.location.line) for p in problems]


def test_three_different_problems_are_all_listed_with_their_lines():
    problems = adjoint.check(cf.three_problems, wrt=("x", "y"))
    assert _places(problems) == [(FUNCTIONS, line_of(FUNCTIONS, tag))
                                 for tag in ("check-with", "check-gamma", "check-setitem")]
    with_, gamma, setitem = problems
    assert "try/except" in with_.what and with_.fix
    assert "math.gamma" in gamma.what and "@adjoint.rule(math.gamma)" in gamma.fix
    assert "x[...] = ..." in setitem.what and "'v'" in setitem.what and "np.copy" in setitem.fix
    assert all(p.location.col >= 4 for p in problems)


def test_a_clean_function_has_no_problems():
    assert adjoint.check(cf.clean) == []
    assert adjoint.check(cf.clean, wrt=("x", "y")) == []


def test_a_problem_in_a_called_helper_names_the_helpers_file_and_line():
    problems = adjoint.check(cf.calls_bad_helper)
    assert _places(problems) == [(HELPERS, line_of(HELPERS, "check-helper-lgamma"))]
    assert "math.lgamma" in problems[0].what


def test_problems_inside_a_loop_do_not_stop_the_check():
    problems = adjoint.check(cf.in_loop)
    assert _places(problems) == [(FUNCTIONS, line_of(FUNCTIONS, tag))
                                 for tag in ("check-method", "check-loop-with", "check-keyword")]
    assert "foo=" in problems[2].what


def test_operations_on_values_not_differentiated_need_no_rule():
    assert adjoint.check(cf.unused_problem, wrt="x") == []
    assert _places(adjoint.check(cf.unused_problem, wrt="y")) == \
        [(FUNCTIONS, line_of(FUNCTIONS, "check-unused-gamma"))]


def test_the_normal_pipeline_still_stops_at_its_first_problem():
    with pytest.raises(AdjointError) as info:
        adjoint.grad(cf.three_problems, wrt=("x", "y"))(1.0, 2.0)
    assert len(info.value.problems) == 1  # the fence's error: the try statement


def test_a_bad_wrt_is_a_usage_error():
    with pytest.raises(BadArguments):
        adjoint.check(cf.clean, wrt="nope")


def test_report_counts_and_renders_every_problem():
    problems = adjoint.check(cf.three_problems, wrt=("x", "y"))
    text = report(cf.three_problems, problems)
    assert text.startswith("3 problems in three_problems")
    assert text.count("  fix: ") == 3


# -- the command ---------------------------------------------------------------------------

def _main(monkeypatch, *argv):
    """cli.main, which registers the check command."""
    assert cli.COMMANDS["check"] == (add_check, run_check)
    return cli.main(list(argv))


def test_cli_check_lists_every_problem_and_exits_1(monkeypatch, capsys):
    status = _main(monkeypatch, "check", f"{FUNCTIONS}:three_problems", "--wrt", "x,y")
    out, err = capsys.readouterr()
    assert status == 1
    for tag in ("check-with", "check-gamma", "check-setitem"):
        assert f"{FUNCTIONS}:{line_of(FUNCTIONS, tag)}:" in err
    assert "3 problems" in err and "Traceback" not in err


def test_cli_check_of_a_clean_function_exits_0(monkeypatch, capsys):
    status = _main(monkeypatch, "check", f"{FUNCTIONS}:clean")
    out, err = capsys.readouterr()
    assert status == 0
    assert "no problems found" in out


def test_cli_check_parser():
    parser = argparse.ArgumentParser()
    add_check(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["check", "f.py:g", "--wrt", "a,b"])
    assert args.target == "f.py:g" and args.wrt == "a,b"
