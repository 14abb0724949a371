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
from collections.abc import Hashable

from .. import ir
from ..errors import AdjointError
from ..origin import is_user_code
from ..rules.registry import is_nondiff, lookup
from .ranks import return_rank, shapes_kept

# how many calls deep the facts follow the user's functions (each level nests ~10 Python
# frames: a chain of 300 functions would exhaust the stack); deeper: no rank known
MAX_DEPTH = 12


class CalleeRanks:
    """What the ranks pass knows of the user's functions called; `lower(func)` gives a
    function's IR (the pipeline's lowering, handed in: passes sit below it)."""

    def __init__(self, lower):
        self.lower = lower
        self.lowered: dict = {}  # function -> its IR, or None where it cannot be lowered
        self.open: set = set()  # functions being looked into (a cycle: nothing known)
        # answers found, each once: asked again at every step of the callers' fixed points,
        # a chain of calls would be walked again per level (exponential in its depth). An
        # answer cut short by a cycle is "not known", which stays true, only weaker.
        self.kept: dict = {}  # function -> keeps_shapes
        self.results: dict = {}  # (function, argument ranks) -> result_rank

    def through(self, func) -> bool:
        """Is func one the gradient differentiates through (the user's, without a rule)?"""
        return inspect.isfunction(func) and is_user_code(func) and lookup(func) is None \
            and not is_nondiff(func)

    def keeps_shapes(self, func) -> bool:
        if not isinstance(func, Hashable):
            return False
        if func not in self.kept:
            self.kept[func] = self._keeps_shapes(func)
        return self.kept[func]

    def _keeps_shapes(self, func) -> bool:
        if len(self.open) >= MAX_DEPTH:
            return False
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
        if call.kwargs or any(isinstance(a, ir.Starred) for a in call.args):
            return None
        func = call.func.value
        if not isinstance(func, Hashable) or len(self.open) >= MAX_DEPTH:
            return None  # (not the user's function; or calls nested too deep to follow)
        key = (func, len(call.args), tuple(arg_ranks))
        if key not in self.results:
            self.results[key] = self._result_rank(call, arg_ranks)
        return self.results[key]

    def _result_rank(self, call: ir.Call, arg_ranks: list):
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
