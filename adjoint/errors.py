"""Errors adjoint raises at users.

Every error a user sees derives from `AdjointError`. Errors about the user's code carry
`Location`s, and the message names the real file, line and column, quotes the source line
and says what to do instead. One error may list several problems (the fence reports every
unsupported construct in a function at once).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .loader import LINE_MAPS


@dataclass(frozen=True)
class Location:
    """A place in the user's source: real file name, 1-based line, 0-based column."""

    filename: str
    line: int
    col: int
    text: str  # the whole source line, for quoting

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}:{self.col + 1}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong at one place, with the fix to suggest."""

    location: Location | None
    what: str
    fix: str = ""

    def render(self) -> str:
        lines = []
        head = f"{self.location}: {self.what}" if self.location else self.what
        lines.append(head)
        if self.location and self.location.text.strip():
            text = self.location.text.rstrip()
            stripped = text.lstrip()
            indent = len(text) - len(stripped)
            lines.append("    " + stripped)
            caret_col = max(self.location.col - indent, 0)
            lines.append("    " + " " * caret_col + "^")
        if self.fix:
            lines.append("  fix: " + self.fix)
        return "\n".join(lines)


class AdjointError(Exception):
    """Base of every error adjoint raises about a user's code or call."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()):
        self.problems = tuple(problems)
        super().__init__(message)

    @classmethod
    def at(cls, location: Location | None, what: str, fix: str = "") -> "AdjointError":
        problem = higher_order_problem(location, what) or Problem(location, what, fix)
        return cls(problem.render(), (problem,))

    @classmethod
    def from_problems(cls, header: str, problems: list[Problem]) -> "AdjointError":
        body = "\n\n".join(p.render() for p in problems)
        return cls(f"{header}\n\n{body}", tuple(problems))


class UnsupportedSyntax(AdjointError):
    """The function uses Python that adjoint cannot differentiate (yet)."""


class MissingRule(AdjointError):
    """A call has no gradient rule and nothing to differentiate through."""


class NoSource(AdjointError):
    """The function's source code cannot be retrieved."""


class BadArguments(AdjointError):
    """`wrt`, the inputs or the output do not fit what grad needs."""


class NonScalarOutput(BadArguments):
    """grad was asked of a function whose result is not a scalar."""


class InternalError(AdjointError):
    """A bug in adjoint, not a refusal: something other than an AdjointError escaped while
    compiling. The message starts with "internal error in adjoint", names the user's
    function and line, and the original exception is chained (`__cause__`)."""


class NonFiniteGradient(AdjointError):
    """With check_finite on, a gradient came out nan or inf. Names the generated line,
    the user's line it comes from and the values it read (see adjoint/debug.py)."""


def higher_order_problem(location: Location | None, what: str) -> Problem | None:
    """A refusal at a line of forward-mode code adjoint generated (being differentiated
    again: Hessians, hvp, grad of grad), told at the user's line it comes from."""
    # (forward code made from forward code maps straight to the user's lines: the order
    # is not known here)
    user, hops, generated = location, 0, None
    while user is not None and user.filename in LINE_MAPS:
        entry = LINE_MAPS[user.filename].get(user.line)
        if entry is None:
            break
        generated, user, hops = user.filename, entry[0], hops + 1
    if not hops or user.filename in LINE_MAPS:
        return None
    label = generated.removeprefix("<adjoint ").rsplit(" #", 1)[0]
    function = label.split("_", 1)[-1]  # tangent_loss, jvp_loss -> loss
    called = re.match(r"[A-Za-z_][\w.]*(?=\()", user.text[user.col:])
    construct = called.group(0) if called else "the operation here"
    return Problem(user, f"derivatives of this order (hessian, hvp, grad of grad and higher) through {construct} "
                   f"in {function} are not supported: the forward-mode code adjoint writes for it "
                   f"({location.text.strip()}) cannot be differentiated again: {what}",
                   "take this derivative one order lower with adjoint (for example finite "
                   "differences of adjoint.grad), or write this step with operations whose "
                   "higher derivatives adjoint has")
