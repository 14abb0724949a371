"""The ranks pass (ranks.py) looking into the user's functions a gradient calls through.

    def cell(h, x, Wh, Wx):                    for t in range(xs.shape[0]):
        return np.tanh(h @ Wh + x @ Wx)            h = cell(h, xs[t], Wh, Wx)

With h, Wh, Wx matrices and xs a stack of them, cell's arguments are matrices on every
call, so its pair is compiled for matrices (their ranks are part of the pair's cache key)
and its backward writes out matmul's helpers. To know that, the caller's ranks must be
carried through the call: `result_rank` lowers the callee and infers the rank of what it
returns for its arguments' ranks; `keeps_shapes` checks that the callee, and what it calls
in turn, never sets an array's shape (as ranks.py asks of every call). A function whose
code cannot be read, or that calls itself, gets no ranks.
"""
from __future__ import annotations

import inspect

from .. import ir
from ..errors import AdjointError
from ..origin import is_user_code
from ..rules.registry import is_nondiff, lookup
from .ranks import return_rank, shapes_kept


class CalleeRanks:
    """What the ranks pass knows of the user's functions called; `lower(func)` gives a
    function's IR (the pipeline's lowering, handed in: passes sit below it)."""

    def __init__(self, lower):
        self.lower = lower
        self.lowered: dict = {}  # function -> its IR, or None where it cannot be lowered
        self.open: set = set()  # functions being looked into (a cycle: nothing known)

    def through(self, func) -> bool:
        """Is func one the gradient differentiates through (the user's, without a rule)?"""
        return inspect.isfunction(func) and is_user_code(func) and lookup(func) is None \
            and not is_nondiff(func)

    def keeps_shapes(self, func) -> bool:
        fn = self._lowered(func) if self.through(func) and func not in self.open else None
        if fn is None:
            return False
        self.open.add(func)
        try:
            return shapes_kept(fn, self)
        finally:
            self.open.discard(func)

    def result_rank(self, call: ir.Call, arg_ranks: list):
        """The rank of what call returns, its positional arguments having these ranks."""
        func = call.func.value
        fn = self._lowered(func) if func not in self.open else None
        if fn is None or call.kwargs or fn.vararg or fn.kwarg or len(arg_ranks) > len(fn.params) - fn.kwonly \
                or any(isinstance(a, ir.Starred) for a in call.args) or not self.keeps_shapes(func):
            return None
        known = {p.name: r for p, r in zip(fn.params, arg_ranks) if isinstance(r, int)}
        self.open.add(func)
        try:
            return return_rank(fn, known, self)
        finally:
            self.open.discard(func)

    def _lowered(self, func):
        if func not in self.lowered:
            try:
                self.lowered[func] = self.lower(func)
            except AdjointError:  # (compiling the call itself reports it)
                self.lowered[func] = None
        return self.lowered[func]
