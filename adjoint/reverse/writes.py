"""The backward of a write into an array: `x[i] = v` (and what lowers to it: x[i] += v,
np.copyto, out=, x.fill, x.sort(), x[i][j] = v).

A mixin of the reverse sweep. The value written gets the gradient of the entries it
landed in; those entries get no gradient from before the write; then the values the write
overwrote are put back from the list the forward kept them on, so the statements before
it see the array as it was:

    grad_s8 = grad_u[1:-1]                 (what u[1:-1] = s8 wrote)
    grad_u = zeroed(grad_u, slice(1, -1))
    u_old = u_overwritten.pop()
    u[1:-1] = u_old
"""
from __future__ import annotations

from .. import ir
from ..runtime.core import unbroadcast, zeroed
from ..runtime.writes import assigned_part, put_back
from .memory import is_basic_index_expr
from .simplify import simplify

UNBROADCAST_REF = ir.Ref("unbroadcast", unbroadcast, (), unbroadcast)
ZEROED_REF = ir.Ref("zeroed", zeroed, (), zeroed)
ASSIGNED_PART_REF = ir.Ref("assigned_part", assigned_part, (), assigned_part)
PUT_BACK_REF = ir.Ref("put_back", put_back, (), put_back)


class WriteReversal:
    def reverse_set_item(self, stmt: ir.SetItem, assigned: set) -> list:
        """x[i] = v: v gets grad_x[i] (where a repeated index was written again later,
        only the last write's entry), the overwritten entries get no gradient, and the
        values the forward overwrote are put back (x[i] = x_old). A write-back (x[i] = s
        after s = x[i] was written into) changes no memory: only gradients move."""
        array, out = stmt.target, []
        if array in self.useful:
            g = self.grad_var(array)
            if g not in assigned:
                out.append(ir.Assign(g, self.zero(array), stmt.origin))
                assigned.add(g)
            value = stmt.value
            if isinstance(value, ir.Var) and value in self.useful:
                part = ir.Subscript(g, stmt.index) if is_basic_index_expr(stmt.index, self.integers) \
                    else ir.Call(ASSIGNED_PART_REF, (g, stmt.index))
                share = simplify(ir.Call(UNBROADCAST_REF, (part, value)), self.classes)
                if value == array:  # h[0:3] = h: h's gradient is what is left, plus the share
                    kept = ir.Var(self.namer.fresh("grad_written"), ir.Kind.LOCAL)
                    out.append(ir.Assign(kept, share, stmt.origin))
                    share = kept
                else:
                    self.contribute(value, share, stmt.origin, assigned, out)
            out.append(ir.Assign(g, ir.Call(ZEROED_REF, (g, stmt.index)), stmt.origin))
            if value == array and value in self.useful:
                self.contribute(value, share, stmt.origin, assigned, out)
        if stmt.writeback:
            return out
        tape = self.slot_tape(array)
        old = ir.Var(self.namer.fresh(array.name + "_old"), ir.Kind.LOCAL)
        site = self.pop_sites.setdefault((id(stmt), array), next(self.sites))
        restore = ir.ExprStmt(ir.Call(PUT_BACK_REF, (array, stmt.index, old)), stmt.origin) \
            if self.may_add_key(stmt) else ir.SetItem(array, stmt.index, old, stmt.origin)
        out += [ir.Pop(old, tape, stmt.origin, site=site), restore]
        return out

