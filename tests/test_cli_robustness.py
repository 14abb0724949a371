"""Bad command lines and unruly user modules: exit 1 with a message, 2 on bad usage, never a
traceback, and stdout holds only what the command writes."""
from __future__ import annotations

import textwrap

import pytest

from adjoint.tools import cli

GOOD = "def f(x, y):\n    return x * y + x\n"


def _module(tmp_path, text: str, name: str = "model.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def _main(*argv):
    return cli.main(list(argv))


@pytest.mark.parametrize("argv,message", [
    (["show", "{dir}/model.txt:f"], "ending in .py"),
    (["show", "{dir}/model.py:nothing"], "has no function 'nothing'"),
    (["show", "{dir}/model.py:CONSTANT"], "not a function"),
    (["show", "{dir}/model.py:f", "--at", "x=abc,y=1"], "not a number"),
    (["show", "{dir}/model.py:f", "--at", "x=1,x=2,y=1"], "gives x twice"),
    (["show", "{dir}/model.py:f", "--at", "x=1"], "missing y"),
    (["show", "{dir}/model.py:f", "--at", "x=(1, 2),y=1"], "not a number"),
    (["show", "{dir}/model.py:f", "--at", "x=True,y=1"], "not a number"),
    (["show", "{dir}/model.py:f", "--wrt", "z"], "no parameter named 'z'"),
])
def test_bad_usage_exits_2_with_a_message(tmp_path, capsys, argv, message):
    _module(tmp_path, GOOD + "CONSTANT = 3\n")
    (tmp_path / "model.txt").write_text(GOOD)
    status = _main(*[a.format(dir=tmp_path) for a in argv])
    out, err = capsys.readouterr()
    assert status == 2 and message in err and "Traceback" not in err and out == ""


def test_at_accepts_nan_and_inf(tmp_path, capsys):
    path = _module(tmp_path, GOOD)
    assert _main("show", f"{path}:f", "--at", "x=nan,y=-inf") == 0
    assert "def grad_f(x, y):" in capsys.readouterr().out


@pytest.mark.parametrize("body,what", [
    ("import sys\nsys.exit(3)\n", "SystemExit"),
    ("raise KeyboardInterrupt\n", "KeyboardInterrupt"),
    ("raise ValueError('boom')\n", "ValueError: boom"),
])
def test_a_module_that_exits_or_raises_at_import_is_reported(tmp_path, capsys, body, what):
    path = _module(tmp_path, GOOD + body)
    status = _main("show", f"{path}:f")
    err = capsys.readouterr().err
    assert status == 1 and f"importing {path} failed: {what}" in err


def test_prints_at_import_go_to_stderr_so_eject_output_stays_python(tmp_path, capsys):
    path = _module(tmp_path, "print('hello from the model')\n" + GOOD)
    assert _main("eject", f"{path}:f", "--wrt", "x,y") == 0
    out, err = capsys.readouterr()
    assert "hello from the model" in err and "hello" not in out
    compile(out, "ejected.py", "exec")  # valid Python


@pytest.mark.parametrize("target", ["missing/dir/out.py", "."])
def test_output_into_a_missing_directory_or_onto_a_directory_exits_1(tmp_path, capsys, monkeypatch, target):
    path = _module(tmp_path, GOOD)
    monkeypatch.chdir(tmp_path)
    status = _main("eject", f"{path}:f", "-o", target)
    err = capsys.readouterr().err
    assert status == 1 and err.startswith("adjoint: ") and "Traceback" not in err
