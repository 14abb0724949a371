"""Reverse mode: a lowered function -> one function computing value and gradients.

Input: the structured IR of the user's function, the parameters to differentiate
(`wrt`) and which parameters are scalars. Output: an `ir.Function` whose body is the
forward (the user's code, plus tape pushes), then the backward: the seed
`grad_<result> = 1.0`, then every forward statement in reverse order, each pasting its
rule with names substituted. Branches replay their decision; loops run backwards
(`for t in reversed(range(...))`), a while loop as many times as it ran.

The backward reads forward values in place. A value that the forward overwrites (a
name assigned in a loop or in several branches) is pushed onto a plainly named list
before it is overwritten and popped back at the same point of the backward, so every
backward line sees the values its forward line saw:

    for t in range(n):                       for t in reversed(range(n)):
        h_tape.append(h)                         grad_s3 = grad_h * (1 - h * h)
        h = np.tanh(s3)                          h = h_tape.pop()

Gradients are assigned at their first contribution and accumulated after
(`grad_x = grad_x + ...`); a zero is built only where a path or a loop needs one.
"""
from __future__ import annotations

import itertools
import operator
from dataclasses import replace

from .. import ir
from . import shapes
from .handback import handed_back
from .aliases import check_callee_writes, check_in_place, in_place_problems, written_params
from .memory import integer_valued, user_effects
from .refresh import resolve_in_place
from .restores import drop_unread_restores
from .branches import path_locals
from .calls import backprop_call, differentiable_through, refuse_starred, rewrite_calls
from .activity import active_vars, differentiable, useful_vars
from .complex_values import complex_rule_for, complex_vars
from .proofs import check_set_item, no_gradient_slot, rule_for, tuple_shares
from .shares import bind_rule, element_share, operand_share
from ..errors import NonScalarOutput, UnsupportedSyntax
from ..names import Namer
from ..rules.registry import Rule
from ..runtime.containers import grads_of
from ..runtime.core import seed, zero_grad
from ..runtime.writes import copied, put_back
from .rematerialize import rematerialize
from .simplify import simplify
from .tapes import TapeBookkeeping, without_pops
from .writes import WriteReversal
from .template import instantiate, template_of

SEED_REF = ir.Ref("seed", seed, (), seed)
ZERO_REF = ir.Ref("zero_grad", zero_grad, (), zero_grad)
COPIED_REF = ir.Ref("copied", copied, (), copied)
GRADS_OF_REF = ir.Ref("grads_of", grads_of, (), grads_of)


def differentiate(fn: ir.Function, wrt: list, scalar_params: frozenset, namer: Namer,
                  return_value: bool, single: bool = True,
                  seed: ir.Var | None = None, has_aux: bool = False, compile_callee=None,
                  number_types: dict | None = None):
    """-> (the value-and-gradient function, the VJPs of functions it calls through).

    `single`: return one gradient rather than a tuple (wrt named one parameter).
    `seed`: a parameter holding the output's gradient, instead of 1.0 (for callees).
    `has_aux`: the function returns (loss, aux); aux is passed through untouched.
    `compile_callee(func, wrt_names, scalar_params, call_site)`: compiles a user function
    called through into its forward/backward pair (a VJP); the pipeline hands it down.
    `number_types`: parameter name -> the type of its number argument (float, np.float32),
    which the gradients handed back take (handback.py).
    """
    rev = ReverseSweep(fn, wrt, scalar_params, namer, compile_callee)
    rev.number_types = number_types or {}
    return rev.run(return_value, single, seed, has_aux), rev.callees


class ReverseSweep(TapeBookkeeping, WriteReversal):
    def __init__(self, fn, wrt, scalar_params, namer, compile_callee=None):
        classes = shapes.infer(fn, scalar_params)
        given = fn  # reads after in-place writes made right where they can be (refresh.py)
        fn, self.numbers, self.refreshed = resolve_in_place(fn, classes, namer, user_effects, scalar_params)
        self.fn = fn
        self.compile_callee = compile_callee
        self.callees: list = []  # VJPs of the user functions called through
        self.call_sites: dict = {}  # id(rewritten forward call) -> calls.CallSite
        self.wrt = wrt
        self.namer = namer
        self.classes = classes if fn is given else shapes.infer(fn, scalar_params)
        self.scalar_params = frozenset(scalar_params)
        self.number_types: dict = {}  # parameter name -> its number argument's type
        self.integers = integer_valued(fn)
        self.dynamic = set(fn.dynamic)
        self.grads: dict = {}  # primal Var -> its gradient Var
        self.tapes: dict = {}  # Var -> the list its overwritten values go to
        self.slot_tapes: dict = {}  # Var -> the list of entries x[i] = v overwrote
        self.dropped_sites: set = set()  # restores nothing reads (restores.py): no pushes
        self.sites = itertools.count(1)
        self.pop_sites: dict = {}  # (id(forward statement), variable) -> site of its pop
        self.counters: dict = {}  # id(loop) -> (trips Var, tape Var or None)
        self.prev_of: dict = {}  # x_prev -> x (old values popped before a rule)
        self.loop_targets: list = []  # targets of the loops being reversed, innermost last
        self.recomputed: set = set()  # id(forward statement) recomputed instead of taped
        self.copied: list = []  # parameters written into: copied at entry (see aliases.py)
        self.entry_checks: set = set()  # x[i] read after a write into x: checked to be copies

    def run(self, return_value: bool, single: bool, seed=None, has_aux=False) -> ir.Function:
        *forward, ret = self.fn.body
        result, aux = self.result_of(ret, has_aux)
        self.analyze(forward, [result])
        self.check(forward)
        forward = rewrite_calls(self, forward)
        self.fn = replace(self.fn, body=forward + [ret])
        forward = self.count_trips(forward, nested=False)
        assigned: set = set()
        backward = []
        if isinstance(result, ir.Var) and result in self.useful:
            backward.append(self.seed(result, ret.origin, assigned, seed))
            backward += self.reverse_block(forward, assigned)
        elif seed is None:  # the output does not depend on wrt, but it must still be a scalar
            backward.append(ir.ExprStmt(ir.Call(SEED_REF, (result,)), ret.origin))
        grads = [self.final_grad(p, assigned, backward) for p in self.wrt]
        grads_expr, given = handed_back(self, grads, single, callee=seed is not None)
        for stmt in ir.walk(backward):
            stmt.backward = True
        backward = drop_unread_restores(self, forward, backward)
        kept = self.restored_vars(backward)
        backward = without_pops(backward, kept, {t: v for v, t in self.tapes.items()})
        forward = self.add_pushes(forward, kept)
        # The backward rewinds names (kept) and writes old entries back into arrays: what
        # the caller gets must be the values the forward ended with.
        rewrites = any(isinstance(stmt, ir.SetItem) or isinstance(stmt, ir.ExprStmt) and isinstance(
            stmt.value, ir.Call) and stmt.value.func.value is put_back for stmt in ir.walk(backward))
        if return_value and (result in kept or rewrites):
            result = self.keep_final(result, "value", forward, ret.origin, rewrites)
        if aux is not None and (set(ir.vars_in(aux)) & kept or rewrites):
            aux = self.keep_final(aux, "aux", forward, ret.origin, rewrites)
        if aux is not None:
            result = ir.TupleExpr((result, aux))
            grads_expr = grads_expr if return_value else ir.TupleExpr((grads_expr, aux))
        value = ir.TupleExpr((result, grads_expr)) if return_value else grads_expr
        prelude = self.prelude(forward, kept)
        body = prelude + given + forward + backward + [ir.Return(value, ret.origin)]
        return replace(self.fn, body=body, dynamic=frozenset(self.dynamic))

    # checks ------------------------------------------------------------------------
    def keep_final(self, value, name: str, forward: list, origin, copy: bool) -> ir.Var:
        final = ir.Var(self.namer.fresh(name), ir.Kind.TEMP)
        forward.append(ir.Assign(final, ir.Call(COPIED_REF, (value,)) if copy else value, origin))
        return final

    def result_of(self, ret: ir.Return, has_aux: bool):
        """(the value to differentiate, the auxiliary value or None)."""
        value = ret.value
        if has_aux:
            if not (isinstance(value, ir.TupleExpr) and len(value.elts) == 2):
                raise NonScalarOutput.at(ret.origin, f"with has_aux=True, {self.fn.name} must "
                                         "return a pair (loss, aux)", "return loss, aux")
            value, aux = value.elts
            return self.result_of(ir.Return(value, ret.origin), False)[0], aux
        if isinstance(value, ir.TupleExpr):
            raise NonScalarOutput.at(ret.origin, f"grad needs a scalar output; {self.fn.name} "
                                     f"returns a tuple of {len(value.elts)} values",
                                     "return only the scalar to differentiate, or pass "
                                     "has_aux=True to return (loss, aux)")
        if isinstance(value, ir.Const) and value.value is None:
            raise NonScalarOutput.at(ret.origin or self.fn.origin, f"grad needs a scalar output; "
                                     f"{self.fn.name} returns None", "return the scalar to differentiate")
        return value, None

    def analyze(self, forward: list, results: list) -> None:
        """Which values depend on wrt (active) and which of those reach a result (useful)."""
        self.active = active_vars(forward, self.wrt)
        self.useful = set()
        for result in results:
            self.useful |= useful_vars(forward, self.active, result)
        self.complex = complex_vars(forward)  # values that may be complex (complex_values.py)

    def needs_gradient(self, stmt) -> bool:
        """A statement the backward differentiates: through a rule or a user function."""
        if not isinstance(stmt, ir.Assign) or isinstance(stmt.value, (ir.Var, ir.TupleExpr)):
            return False  # (a, b = b, a was lowered to copies; a, b = (x, y) is kept whole)
        return any(t in self.useful for t in ir.targets(stmt)) and differentiable(stmt) \
            and any(v in self.useful for v in ir.vars_in(stmt.value))

    def in_place_problems(self) -> list:
        """Every in-place update of an array another name may share (see aliases.py)."""
        return in_place_problems(self.fn, self.classes, user_effects, self.scalar_params, self.numbers)

    def check_complex(self, stmt) -> None:
        """Refuse a real-only rule (or a user function) applied to complex values."""
        complex_rule_for(stmt, self.complex)

    def check_rule(self, stmt) -> None:
        """The statement has a rule, and the rule takes the call as written."""
        self.bind(stmt, complex_rule_for(stmt, self.complex) or self.rule_for(stmt))

    def check(self, forward) -> None:
        """Every useful statement has a rule; no in-place update of a shared array."""
        self.memory = check_in_place(self.fn, self.classes, user_effects, self.entry_checks,
                                     self.scalar_params, self.numbers, self.refreshed)
        self.copied = written_params(self.fn, self.memory)
        self.entry_checks |= self.memory.entry_ops
        check_callee_writes(self.memory, self.useful)
        for stmt in ir.walk(forward):
            if isinstance(stmt, ir.SetItem):
                check_set_item(stmt, self.useful)
            if not self.needs_gradient(stmt):
                continue
            self.check_complex(stmt)
            if not differentiable_through(stmt.value):
                self.rule_for(stmt)

    def rule_for(self, stmt) -> Rule:
        return rule_for(stmt)

    # the backward -------------------------------------------------------------------
    def reverse_block(self, block: list, assigned: set) -> list:
        out = [self.recompute(stmt) for stmt in block if self.recomputable(stmt)]
        parts = {k: self.reverse_stmt(block[k], assigned) for k in reversed(range(len(block)))}
        return out + rematerialize(self, block, parts)

    def recomputable(self, stmt) -> bool:
        """A loop's xs[t] (a read of a value the loop never changes, at the loop index)
        is recomputed at the start of the iteration's backward instead of taped. Not a
        parameter: its first value is the caller's, restored so its gradient has its shape."""
        if not (isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var)
                and isinstance(stmt.value, (ir.Subscript, ir.Attr)) and stmt.target in self.dynamic
                and stmt.target.kind is not ir.Kind.PARAM and self.loop_targets):
            return False
        assignments, written = self.assignments_and_writes()
        if assignments.get(stmt.target) != 1:
            return False
        if any(self.memory.of(v) & written for v in ir.vars_in(stmt.value)):
            return False  # acc[0] of memory the function writes: its values change, tape them
        return all(v not in self.dynamic or v in self.loop_targets for v in ir.vars_in(stmt.value))

    def assignments_and_writes(self) -> tuple:
        """(var -> how many statements assign it, the memory x[i] = v writes) in the
        function: found once per body, not once per statement asking."""
        if getattr(self, "_facts_body", None) is not self.fn.body:
            assignments: dict = {}
            for s in ir.walk(self.fn.body):
                for t in set(ir.targets(s)):
                    assignments[t] = assignments.get(t, 0) + 1
            written = set().union(*[self.memory.owned(s.target) for s in ir.walk(self.fn.body)
                                     if isinstance(s, ir.SetItem)])
            self._facts_body, self._facts = self.fn.body, (assignments, written)
        return self._facts

    def recompute(self, stmt) -> ir.Assign:
        self.recomputed.add(id(stmt))
        return ir.Assign(stmt.target, stmt.value, stmt.origin)

    def reverse_stmt(self, stmt, assigned: set) -> list:
        if isinstance(stmt, ir.Assign):
            return self.reverse_assign(stmt, assigned)
        if isinstance(stmt, ir.SetItem):
            return self.reverse_set_item(stmt, assigned)
        if isinstance(stmt, ir.If):
            then_assigned, else_assigned = set(assigned), set(assigned)
            body = self.reverse_block(stmt.body, then_assigned)
            orelse = self.reverse_block(stmt.orelse, else_assigned)
            # a gradient first assigned on one path gets a zero on the other
            local = path_locals(self, stmt)  # (their gradients are not read after it: branches.py)
            for g in sorted(then_assigned - else_assigned, key=lambda v: v.name):
                if self.primal_of(g) not in local:
                    orelse.append(ir.Assign(g, self.zero(self.primal_of(g)), stmt.origin))
            for g in sorted(else_assigned - then_assigned, key=lambda v: v.name):
                if self.primal_of(g) not in local:
                    body.append(ir.Assign(g, self.zero(self.primal_of(g)), stmt.origin))
            assigned |= then_assigned | else_assigned
            if not body and not orelse:
                return []
            return [ir.If(stmt.test, body, orelse, stmt.origin)]
        if isinstance(stmt, (ir.For, ir.While)):
            return self.reverse_loop(stmt, assigned)
        return []  # break, continue, pushes and expression statements need nothing

    def reverse_loop(self, loop, assigned: set) -> list:
        inits = []
        for var in self.carried(loop):
            g = self.grad_var(var)
            if g not in assigned:
                inits.append(ir.Assign(g, self.zero(var), loop.origin))
                assigned.add(g)
        target = loop.target if isinstance(loop, ir.For) else None
        self.loop_targets.append(target)
        body = self.reverse_block(loop.body, set(assigned))
        self.loop_targets.pop()
        if not body:
            return inits
        trips, tape = self.counters.get(id(loop), (None, None))
        restore = [ir.Pop(trips, tape, loop.origin)] if tape is not None else []
        if isinstance(loop, ir.For):
            back = ir.For(loop.target, loop.start, loop.stop, loop.step, body, loop.origin,
                          reverse=True, trips=trips)
        else:
            back = ir.For(None, ir.Const(0), trips, ir.Const(1), body, loop.origin)
        return inits + restore + [back]

    def carried(self, loop) -> list:
        """Useful values whose gradients flow between iterations: those the loop uses but
        does not define, and those defined both inside and outside it."""
        body = list(ir.walk(loop.body))
        inside_ids = {id(s) for s in body}
        inside = {t for s in body for t in ir.targets(s)}
        outside = set(self.fn.params) | {t for s in ir.walk(self.fn.body)
                                         if id(s) not in inside_ids and s is not loop
                                         for t in ir.targets(s)}
        used = set()
        for s in body:
            if isinstance(s, ir.SetItem) and s.target in self.useful:  # x[i] = v: x's too
                used |= {s.target} | set(ir.vars_in(s.value))
            elif isinstance(s, ir.Assign) and differentiable(s) \
                    and any(t in self.useful for t in ir.targets(s)):
                used |= set(ir.vars_in(s.value))
        needed = ((used - inside) | (inside & outside)) & self.useful
        return sorted(needed, key=lambda v: v.name)

    def reverse_assign(self, stmt: ir.Assign, assigned: set) -> list:
        """Rule, then restore: x = x_tape.pop(), and the old x starts with gradient 0.

        For x = f(x, ...) (x reassigned from itself) the rule may need the old x and the
        new one: the old value is popped first into x_prev, and x = x_prev restores."""
        targets = ir.targets(stmt)
        restored = [t for t in targets if t in self.dynamic and t.kind is not ir.Kind.FLAG
                    and id(stmt) not in self.recomputed]
        self_read = [t for t in restored if t in ir.vars_in(stmt.value) and isinstance(stmt.target, ir.Var)
                     and not isinstance(stmt.value, ir.Var)]
        prev = {t: ir.Var(self.namer.fresh(t.name + "_prev"), ir.Kind.LOCAL) for t in self_read}
        for t, p in prev.items():  # the old value has t's shape only if the line keeps it
            kept = shapes.expr_class(stmt.value, self.classes) == self.classes.get(t, t)
            self.classes[p] = self.classes.get(t, t) if kept else p
        out, own = [], {t: [] for t in targets}
        if any(t in self.useful for t in targets) and differentiable(stmt) \
                and any(v in self.useful for v in ir.vars_in(stmt.value)):
            for t in targets:
                if t in self.useful and self.grad_var(t) not in assigned:
                    out.append(ir.Assign(self.grad_var(t), self.zero(t), stmt.origin))
                    assigned.add(self.grad_var(t))
            if id(stmt) in self.call_sites:
                out += backprop_call(self, stmt, self.call_sites[id(stmt)], assigned, own)
            else:
                out += self.backprop(stmt, assigned, prev, own)
        resets = []  # the old value's gradient, from this line only
        for t in targets:
            if t not in self.useful or t.kind is ir.Kind.FLAG or t not in self.dynamic:
                continue
            if own[t]:  # read before the restore: the terms may read the new value
                out.append(ir.Assign(self.grad_var(t), _sum(own[t]), stmt.origin))
            elif t in restored:  # zeros shaped like the old value: after it is restored
                resets.append(ir.Assign(self.grad_var(t), self.zero(t), stmt.origin))
            else:  # recomputed (w = ws[i]): the old value is not at hand; 0.0 fits any shape
                resets.append(ir.Assign(self.grad_var(t), ir.Const(0.0), stmt.origin))
        for t in restored:
            site = self.pop_sites.setdefault((id(stmt), t), next(self.sites))
            if t in prev and any(prev[t] in _reads_all(s) for s in out):
                self.prev_of[prev[t]] = t
                out.insert(0, ir.Pop(prev[t], self.tape(t), stmt.origin, site=site))
                out.append(ir.Assign(t, prev[t], stmt.origin))
            else:
                out.append(ir.Pop(t, self.tape(t), stmt.origin, site=site))
        return out + resets

    def backprop(self, stmt: ir.Assign, assigned: set, prev: dict, own: dict) -> list:
        """The rule's statements and every operand's contribution. Contributions to a
        reassigned target (x = x * y) are collected in `own`, with the operand read as
        its old value prev[x]."""
        out = []
        if isinstance(stmt.target, tuple):  # a, b = f(x): the rule gets g and y as tuples
            g = ir.TupleExpr(tuple(self.grad_var(t) if t in self.useful else self.zero(t)
                                   for t in stmt.target))
            target = ir.TupleExpr(stmt.target)
        else:
            g, target = self.grad_var(stmt.target), stmt.target
        if isinstance(stmt.value, ir.Var) and isinstance(stmt.target, tuple):  # a, b = t
            parts = tuple(self.grad_var(t) if t in self.useful else self.zero(t) for t in stmt.target)
            self.contribute(stmt.value, ir.Call(GRADS_OF_REF, parts, (("like", stmt.value),)),
                            stmt.origin, assigned, out)
            return out
        if isinstance(stmt.value, ir.Var):
            self.contribute(stmt.value, g, stmt.origin, assigned, out)
            return out
        if isinstance(stmt.value, ir.TupleExpr):  # t = (a, (b, c)): each element its share
            refuse_starred(self, stmt, stmt.value.elts)
            for element, share in tuple_shares(stmt.value, g, self.useful, stmt.origin):
                if element in own and element in prev:
                    own[element].append(share)
                else:
                    self.contribute(element, share, stmt.origin, assigned, out)
            return out
        r = complex_rule_for(stmt, self.complex) or self.rule_for(stmt)
        operands, bindings = self.bind(stmt, r)
        bindings = {name: ir.substitute(value, prev) for name, value in bindings.items()}
        bindings[r.func_params[0]] = g
        bindings[r.func_params[1]] = target
        locals_, returns = instantiate(template_of(r), bindings, self.namer.fresh)
        for local in locals_:
            local.origin = stmt.origin
            if isinstance(local, (ir.Assign, ir.ExprStmt)):
                local.value = simplify(local.value, self.classes)
            out.append(local)
            if isinstance(local, ir.Assign) and isinstance(local.target, ir.Var):
                self.classes[local.target] = shapes.expr_class(local.value, self.classes) or local.target
        for name, operand, expr in zip(r.inputs, operands, returns):
            if expr is None and any(v in self.useful for v in ir.vars_in(operand)):
                out += no_gradient_slot(stmt, r, name, stmt.origin)  # proven, checked, or refused
                continue
            expr = operand_share(self, stmt, r, name, operand, expr)
            if expr is None:
                continue
            expr = simplify(expr, self.classes)
            if isinstance(operand, ir.Var) and operand in own and operand in prev:
                own[operand].append(expr)
            elif isinstance(operand, ir.Var):
                self.contribute(operand, expr, stmt.origin, assigned, out)
            elif isinstance(operand, ir.TupleExpr):  # np.array([[a, b], [c, 1.0]]), einsum's operands
                parts = ir.Var(self.namer.fresh("grads"), ir.Kind.LOCAL)
                out.append(ir.Assign(parts, expr, stmt.origin))
                for k, element in enumerate(operand.elts):
                    if isinstance(element, ir.Var):
                        share = element_share(self, stmt, r, k, element, parts)
                        if element in own and element in prev:
                            own[element].append(share)  # x = f([.., x]): the old x's share
                        else:
                            self.contribute(element, share, stmt.origin, assigned, out)
                    elif isinstance(element, ir.TupleExpr):  # a nested list: each entry its share
                        for inner, share in tuple_shares(element, ir.Subscript(parts, ir.Const(k)),
                                                         self.useful, stmt.origin):
                            self.contribute(inner, share, stmt.origin, assigned, out)
                    elif any(v in self.useful for v in ir.vars_in(element)):
                        raise UnsupportedSyntax.at(stmt.origin, "a differentiable value inside a "
                                                   f"{type(element).__name__} is not supported "
                                                   "here", "assign it to a name first")
            else:  # never drop a gradient silently
                raise UnsupportedSyntax.at(stmt.origin, "a differentiable value nested inside "
                                           "an argument is not supported here",
                                           "assign it to a name first")
        return out

    def bind(self, stmt, r: Rule):
        """The primal's operands in rule-input order, and every rule parameter's value."""
        if isinstance(stmt.value, ir.Call):
            refuse_starred(self, stmt, stmt.value.args)
        return bind_rule(stmt, r, self.useful)

    def contribute(self, var: ir.Var, expr, origin, assigned: set, out: list) -> None:
        if var not in self.useful:
            return
        g = self.grad_var(var)
        if g in assigned:
            out.append(ir.Assign(g, ir.BinOp(operator.add, g, expr), origin))
        else:
            out.append(ir.Assign(g, expr, origin))
            assigned.add(g)

    # names and values ---------------------------------------------------------------
    def seed(self, result: ir.Var, origin, assigned: set, seed=None) -> ir.Assign:
        if seed is not None:
            value = seed
        elif self.classes.get(result) == shapes.SCALAR:
            value = ir.Const(1.0)
        else:
            value = ir.Call(SEED_REF, (result,))
        assigned.add(self.grad_var(result))
        return ir.Assign(self.grad_var(result), value, origin)

    def grad_var(self, var: ir.Var) -> ir.Var:
        if var not in self.grads:
            g = ir.Var(self.namer.fresh("grad_" + var.name), ir.Kind.GRAD, of=var.kind)
            self.grads[var] = g
            self.classes[g] = self.classes.get(var, var)
        return self.grads[var]

    def primal_of(self, g: ir.Var) -> ir.Var:
        return next(v for v, gv in self.grads.items() if gv == g)

    def zero(self, var: ir.Var):
        if self.classes.get(var) == shapes.SCALAR:
            return ir.Const(0.0)
        return ir.Call(ZERO_REF, (var,))

    def final_grad(self, param: ir.Var, assigned: set, backward: list):
        g = self.grad_var(param)
        if g not in assigned:
            backward.append(ir.Assign(g, self.zero(param), None))
        return g

def _sum(terms: list):
    total = terms[0]
    for term in terms[1:]:
        total = ir.BinOp(operator.add, total, term)
    return total


def _reads_all(stmt) -> set:
    return {v for s in ir.walk([stmt]) for v in ir.reads(s)}


