"""Errors adjoint raises at users.

Every error a user sees derives from `AdjointError`. Errors about the user's code carry
`Location`s, and the message names the real file, line and column, quotes the source line
and says what to do instead. One error may list several problems (the fence reports every
unsupported construct in a function at once).
"""
from __future__ import annotations

from dataclasses import dataclass


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
        problem = Problem(location, what, fix)
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
