"""A user function that writes into an array argument, called so that the caller makes
the write itself.

`h(p, q)` with `def h(p, q): p[0] = q` changes the caller's array p. adjoint compiles the
call as

    h_result, p_written = h_writes_p(p, q)     # h run on a copy of p: p is unchanged
    p[...] = p_written                         # the caller's own write

so the write is one the caller's backward follows like any other (it keeps the values
it overwrites and puts them back, and every view of p sees it). `WritesReturned` is
`h_writes_p`: it runs h on copies of the written arguments and returns h's result with
those copies. Differentiated through, the pair compiled for it does the same
(pipeline.compile_callee_pair, lowering/written.py).
"""
from __future__ import annotations

import inspect
import numbers

import numpy as np

from ..errors import UnsupportedSyntax
from .writes import copied


class WritesReturned:
    """`function`, returning (its result, the final value of each `written` parameter),
    run on copies of those arguments."""

    def __init__(self, function, written: tuple):
        self.function = function
        self.written = tuple(written)
        self.__signature__ = inspect.signature(function)
        self.__name__ = f"{function.__name__}_writes_{'_'.join(self.written)}"
        self.__qualname__ = self.__name__
        self.__module__ = function.__module__

    def __call__(self, *args, **kwargs):
        bound = self.__signature__.bind(*args, **kwargs)
        bound.apply_defaults()
        for name in self.written:
            bound.arguments[name] = copied(bound.arguments[name])
        result = self.function(*bound.args, **bound.kwargs)
        return (result,) + tuple(bound.arguments[name] for name in self.written)

    def __eq__(self, other):
        return isinstance(other, WritesReturned) and (other.function, other.written) == \
            (self.function, self.written)

    def __hash__(self):
        return hash((WritesReturned, self.function, self.written))

    def __repr__(self):
        return f"<{self.__name__}: {self.function.__qualname__} returning what it writes>"


def unwrapped(func) -> tuple:
    """(the user's function, the parameters whose final values it also returns)."""
    if isinstance(func, WritesReturned):
        return func.function, func.written
    return func, ()


def argument_written(value, text: str):
    """The argument a helper writes into is an array, into which the caller writes the
    helper's result (what adjoint compiled); anything else is refused when it happens."""
    if not isinstance(value, np.ndarray):
        raise UnsupportedSyntax(f"{text}: adjoint compiled this call as a write into the "
                                f"array passed, but a {type(value).__name__} is passed\n  fix: "
                                "have the function return what it changes and assign what it "
                                "returns (a = f(a, ...)), or pass a numpy array")
    return None


def passes_numbers(*values) -> bool:
    """Every value is a number: a helper's `p op= v` rebinds it and writes nothing."""
    return all(isinstance(v, (numbers.Number, np.generic)) for v in values)
