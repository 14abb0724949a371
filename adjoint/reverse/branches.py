"""Which gradients a branch's backward must set to zero on the path that did not assign them.

    if c:                      if c:
        s1 = x * 2                 grad_x = grad_s1 * 2
        out = s1                   (no grad_s2 = zero_grad(s2): s2 is the other path's own)
    else:            ->        else:
        s2 = x * 3                 grad_x = grad_s2 * 3
        out = s2

A gradient first assigned on one path gets a zero on the other, so that what runs after
the branch (the backward of the code before it) finds it set. That zero is made from its
value (`zero_grad(s2)`: zeros of its shape), which the other path never computed: reading
it there would fail. It is needed only when something outside the branch uses the value;
a value every use of which (each assignment, each read) lies inside one path has no use
the backward reaches after the branch, and gets no zero.
"""
from __future__ import annotations

from .. import ir


def path_locals(sweep, branch: ir.If) -> set:
    """The variables (not parameters) every use of which lies inside one of the two paths."""
    uses = getattr(sweep, "uses_by_var", None)
    if uses is None or uses[0] is not sweep.fn.body:  # (counted once per forward function)
        uses = (sweep.fn.body, _uses(sweep.fn.body))
        sweep.uses_by_var = uses
    return {var for path in (branch.body, branch.orelse)  # (a parameter is made before it)
            for var, count in _uses(path).items() if count == uses[1].get(var)} - set(sweep.fn.params)


def _uses(body: list) -> dict:
    """var -> how many times statements assign or read it (the statements may be copies
    of sweep.fn's, as count_trips makes them: counted, not identified)."""
    found: dict = {}
    for stmt in ir.walk(body):
        for var in list(ir.targets(stmt)) + list(ir.reads(stmt)):
            found[var] = found.get(var, 0) + 1
    return found
