"""Passes over the differentiated function: each makes the code shorter, never different.

- `fold_zero_starts`: a gradient set to zero and then only added to gets the addition
  directly:   grad_h = zero_grad(h); ...; grad_h = grad_h + e   ->   grad_h = e
- `propagate_copies`: a gradient that is a plain copy of another is replaced by it,
      grad_s2 = grad_s3; grad_w1 = grad_s2 * x1   ->   grad_w1 = grad_s3 * x1
  except for the gradients the function returns (grad_w2 = grad_s3 stays, named).
- `propagate_local_copies`: within straight runs, b is read where a = b was copied.
- `remove_dead_code`: drops assignments nothing reads (liveness through branches and
  loops), as long as computing them has no effect (calls without a rule or a nondiff
  declaration are kept: they may print). A tape pop nothing reads goes together with
  the push it undoes.
- `inline_in_loops`: in loop bodies, a temporary's gradient read once is written into
  its reader.
- `inline_forward_in_loops`: in loop bodies, a forward temporary read once (pure: operators,
  numpy/math calls with rules) is written into its reader.
- `tape_shapes_only` (after those): a tape read only for shapes keeps only the shapes.
- `iterate_tapes` (last): a backward loop popping a tape once per iteration walks it
  instead:  for i in reversed(range(n)): x = x_tape.pop()  ->  for x in reversed(x_tape):
- `resolve_matmul_helpers` (run by the pipeline when array ranks are known):
  matmul_left(g, a, b) -> g @ b.T and matmul_right(g, a, b) -> a.T @ g for matrices;
  `resolve_in_callee` does it in a callee pair compiled for its arguments' ranks, which
  the caller proves (callee_ranks.py).
- `python_floats` (run by the pipeline last, for a top-level gradient with its argument
  types known): the backward's arithmetic on double scalars runs on Python floats
  (python_floats.py; the type facts it rests on: float_kinds.py).
- `hand_back_fresh` (run by the pipeline on a callee's backward): `return separate(a, b)`
  -> `return (a, b)` where each gradient is a new array of its own (fresh_returns.py).

One pass per module, each with a before/after example; common.py holds what several
share. The pipeline is the explicit list `OPTIMIZATIONS`, run until nothing changes, then
`FINISHING` once; `--no-optimize` skips it all.
"""
from __future__ import annotations

from .. import ir
from .copies import propagate_copies
from .dead_code import remove_dead_code
from .fresh_returns import hand_back_fresh
from .forward_temps import inline_forward_in_loops
from .inline_loops import inline_in_loops
from .local_copies import propagate_local_copies
from .python_floats import python_floats
from .callee_ranks import CalleeRanks
from .ranks import argument_ranks, resolve_in_callee, resolve_matmul_helpers, return_rank
from .shape_tapes import tape_shapes_only
from .tape_loops import iterate_tapes
from .zero_starts import fold_zero_starts

__all__ = ["OPTIMIZATIONS", "optimize", "fold_zero_starts", "propagate_copies",
           "propagate_local_copies", "remove_dead_code", "inline_in_loops", "tape_shapes_only",
           "inline_forward_in_loops", "iterate_tapes", "FINISHING", "resolve_matmul_helpers",
           "python_floats", "hand_back_fresh", "CalleeRanks", "argument_ranks",
           "resolve_in_callee", "return_rank"]


OPTIMIZATIONS = [fold_zero_starts, propagate_copies, propagate_local_copies, remove_dead_code,
                 inline_in_loops]
# once, in this order: shapes need the pops iterate_tapes removes, and every pass the
# reads and pops dead code leaves
FINISHING = [tape_shapes_only, remove_dead_code, inline_forward_in_loops, iterate_tapes]


def optimize(fn: ir.Function) -> ir.Function:
    """Run the passes until the code stops changing (dead code can unblock a copy); then
    the finishing ones (shapes-only tapes, forward temporaries, tape walks)."""
    settled = _Settled()
    for _ in range(4):
        before = fn.body
        for optimization in OPTIMIZATIONS:
            fn = settled.run(optimization, fn)
        if fn.body == before:
            break
    for finishing in FINISHING:
        fn = settled.run(finishing, fn)
    return fn


class _Settled:
    """remove_dead_code reads nothing but the body, so on a body it left as it was it
    would again change nothing: the finishing run is skipped when the passes between left
    the body as the last run found it (a tenth of optimizing long straight-line code)."""

    def __init__(self):
        self.body = None  # the last body remove_dead_code left as it was

    def run(self, optimization, fn: ir.Function) -> ir.Function:
        if optimization is not remove_dead_code:
            return optimization(fn)
        if self.body is not None and fn.body == self.body:
            return fn
        out = remove_dead_code(fn)
        self.body = fn.body if out.body == fn.body else None
        return out
