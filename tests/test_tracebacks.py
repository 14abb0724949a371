"""An exception raised inside generated code keeps its generated traceback and gets a note
naming the user's file, line and statement the failing line comes from (adjoint/debug.py);
the generated lines are in linecache, so tracebacks, inspect and pdb show them."""
import inspect
import io
import linecache
import pdb
import traceback

import numpy as np
import pytest

import adjoint
from adjoint.runtime import debug


def line_of(func, text: str) -> int:
    lines, start = inspect.getsourcelines(func)
    return start + next(k for k, line in enumerate(lines) if text in line)


def solve_sum(A, b):
    B = np.linalg.inv(A)
    return np.sum(B @ b)


def stretch(x):
    return x * 2.0


@adjoint.rule(stretch)
def d_stretch(g, y, x):
    return g * np.ones(3)  # wrong on purpose: a gradient of the wrong shape


def uses_stretch(x):
    y = stretch(x)
    return np.sum(y)


def inverts(A):
    return np.linalg.inv(A)


def calls_through(A):
    C = inverts(A)
    return np.sum(C)


def notes(error) -> str:
    return "\n".join(getattr(error, "__notes__", ()))


def deepest_generated(error):
    """(filename, line) of the deepest traceback frame in generated code."""
    found = None
    for frame, line in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename.startswith("<adjoint grad_"):
            found = (frame.f_code.co_filename, line, frame)
    return found


def test_forward_error_names_the_user_line():
    with pytest.raises(np.linalg.LinAlgError) as info:  # the error's type is kept
        adjoint.grad(solve_sum)(np.zeros((2, 2)), np.ones(2))
    line = line_of(solve_sum, "np.linalg.inv(A)")
    note = notes(info.value)
    assert f"(forward of {__file__}:{line}):" in note
    assert "    B = np.linalg.inv(A)" in note
    # the generated traceback is still there, and linecache shows its lines
    filename, generated_line, _ = deepest_generated(info.value)
    assert linecache.getline(filename, generated_line).strip() == "B = np.linalg.inv(A)"
    assert f"generated line {generated_line} of {filename}" in note
    printed = "".join(traceback.format_exception(info.value))
    assert f'File "{filename}", line {generated_line}, in grad_solve_sum' in printed
    assert "B = np.linalg.inv(A)" in printed


def test_backward_error_in_a_user_rule_names_the_call_site():
    with pytest.raises(ValueError, match="could not be broadcast") as info:
        adjoint.grad(uses_stretch)(np.ones(2))
    note = notes(info.value)
    assert f"(backward of {__file__}:{line_of(uses_stretch, 'y = stretch(x)')}):" in note
    assert "    y = stretch(x)" in note
    filename, generated_line, frame = deepest_generated(info.value)
    assert "np.ones(3)" in linecache.getline(filename, generated_line)
    # inspect finds the generated source too
    assert "def grad_uses_stretch(x):" in inspect.getsource(frame.f_code)


def test_error_in_a_function_differentiated_through_names_both_lines():
    with pytest.raises(np.linalg.LinAlgError) as info:
        adjoint.grad(calls_through)(np.zeros((2, 2)))
    note = notes(info.value)
    assert f"(forward of {__file__}:{line_of(inverts, 'np.linalg.inv(A)')}):" in note
    assert "of <adjoint fwd_inverts, bwd_inverts #" in note
    assert "    return np.linalg.inv(A)" in note
    called = note.splitlines()[2]
    assert called.startswith("  called from generated line 3 of <adjoint grad_calls_through #")
    assert called.endswith(f"({__file__}:{line_of(calls_through, 'C = inverts(A)')}): C = inverts(A)")


def test_the_note_is_added_once_and_on_every_path():
    dsolve = adjoint.value_and_grad(solve_sum)
    for _ in range(2):  # the compiling call, then the dispatcher's fast path
        with pytest.raises(np.linalg.LinAlgError) as info:
            dsolve(np.zeros((2, 2)), np.ones(2))
        assert len(info.value.__notes__) == 1
    debug.note_origin(info.value)
    assert len(info.value.__notes__) == 1


def test_errors_outside_generated_code_get_no_note():
    with pytest.raises(adjoint.BadArguments) as info:
        adjoint.grad(solve_sum)(np.zeros((2, 2), dtype=int), np.ones(2))
    assert not notes(info.value)


def test_without_add_note_the_note_still_reaches_adjoint_errors(monkeypatch):
    """Python 3.10 has no add_note: __notes__ is set by hand, and adjoint's own errors
    carry the note in their message."""
    monkeypatch.setattr(debug, "HAS_ADD_NOTE", False)
    with pytest.raises(np.linalg.LinAlgError) as info:
        adjoint.grad(solve_sum)(np.zeros((2, 2)), np.ones(2))
    assert "B = np.linalg.inv(A)" in notes(info.value)
    error = adjoint.AdjointError("inside")
    debug._add_note(error, "adjoint: from here")
    assert str(error) == "inside\nadjoint: from here"
    assert error.__notes__ == ["adjoint: from here"]


def test_pdb_steps_through_the_generated_lines():
    def f(x):
        y = np.sin(x)
        return y * x
    df = adjoint.grad(f)
    df(1.0)  # compiled: the next call takes the fast path straight into the code
    out = io.StringIO()
    debugger = pdb.Pdb(stdin=io.StringIO("step\n" * 30 + "continue\n"), stdout=out)
    debugger.use_rawinput = False
    assert debugger.runcall(df, 2.0) == pytest.approx(np.sin(2.0) + 2.0 * np.cos(2.0))
    shown = out.getvalue()
    assert "-> y = np.sin(x)" in shown
    assert "-> grad_y = x" in shown
