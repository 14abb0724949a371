"""Forward mode: a lowered function -> one function computing its value and tangent.

Input: the structured SSA IR of the user's function (what the reverse sweep gets), the
parameters that carry tangents (`wrt`) and which parameters are scalars. Output: an
`ir.Function` in which every primal line that an active value flows through is followed
by its tangent line, pasted from the operation's forward rule (adjoint/forward/rules.py):

    s0 = h @ W                          s0 = h @ W
                                 ->     dot_s0 = dot_h @ W + h @ dot_W
    h_1 = np.tanh(s0)                   h_1 = np.tanh(s0)
                                        dot_h_1 = dot_s0 * (1 - h_1 * h_1)

No tapes: loops and branches stay as they are, each carrying its tangents along.
Only values that depend on `wrt` and reach the result get a tangent; an operand without
one contributes nothing (no zeros are built, except where a name that carries a tangent
is reassigned from a constant). A tangent may be smaller than its primal (the tangent
of a + b is dot_a when only a carries one); `broadcast_like` spreads it where a
non-elementwise operation needs the full shape (see runtime/tangents.py).
"""
from __future__ import annotations

import copy
from dataclasses import replace

from .. import ir
from ..errors import MissingRule
from ..reverse import shapes
from ..reverse.activity import active_vars, differentiable, primal_key, useful_vars
from ..reverse.aliases import check_in_place
from ..reverse.calls import differentiable_through
from ..reverse.complex_values import complex_vars
from ..rules.registry import display_name, lookup
from . import rules as forward_rules
from .calls import call_through
from .expressions import (BROADCAST, UNIT, WRITABLE, ZERO, forward_fix, simplify,
                          with_operands, written_name)


def forward(fn: ir.Function, wrt: list, scalar_params: frozenset, namer, mode: str,
            compile_callee) -> tuple[ir.Function, list]:
    """mode "pair": f(params, dot_<wrt>...) -> (value, tangent); "tangent": -> tangent;
    "unit": f(params) -> the tangent along the single (scalar) wrt, seeded with 1.0.
    `compile_callee(func, wrt, scalars, call_site) -> (ref, wrt, compiled)` compiles each
    user function called through (adjoint/pipeline.py). Returns (the function, the
    compiled forward functions it calls).

    A reassigned name's tangent has its primal's full shape only if every assignment
    gives it that: assumed for all, then dropped for each name a trial sweep finds
    broken, until the assumption holds."""
    assumed = set(fn.dynamic)
    for _ in range(len(assumed) + 1):
        trial = ForwardSweep(fn, wrt, scalar_params, copy.deepcopy(namer), compile_callee, assumed)
        trial.run(mode)
        if not trial.broken:
            break
        assumed -= trial.broken
    sweep = ForwardSweep(fn, wrt, scalar_params, namer, compile_callee, assumed)
    return sweep.run(mode), sweep.callees


class ForwardSweep:
    def __init__(self, fn, wrt, scalar_params, namer, compile_callee, assumed=frozenset()):
        self.fn = fn
        self.wrt = wrt
        self.scalar_params = scalar_params
        self.namer = namer
        self.compile_callee = compile_callee
        self.callees: list = []  # compiled forward functions of the functions called through
        self.classes = shapes.infer(fn, scalar_params)
        self.tangents: dict = {}  # primal Var -> its tangent Var
        self.exact: set = set()  # tangent Vars known to have their primal's shape
        self.written = {s.target for s in ir.walk(fn.body) if isinstance(s, ir.SetItem)}
        self.dynamic: set = set()  # variables the sweep adds that are assigned in loops
        self.assumed = assumed  # reassigned names whose tangents are taken to be full-shape
        self.broken: set = set()  # ... of which an assignment was not

    def run(self, mode: str) -> ir.Function:
        *body, ret = self.fn.body
        self.active = active_vars(body, self.wrt)
        self.useful = set()
        for result in set(ir.vars_in(ret.value)):
            self.useful |= useful_vars(body, self.active, result)
        check_in_place(self.fn, self.classes)
        self.refuse_complex(body)
        prelude, dots = [], []
        for p in self.wrt:
            dot = self.tangent_var(p, ir.Kind.GRAD if mode == "unit" else ir.Kind.PARAM)
            if mode == "unit":
                prelude.append(ir.Assign(dot, ir.Call(UNIT, (p,)), ret.origin))
            else:
                dots.append(dot)
            if p in self.written:
                prelude.append(ir.Assign(dot, ir.Call(WRITABLE, (dot, p)), ret.origin))
            if p not in self.fn.dynamic or p in self.assumed:
                self.exact.add(dot)
        for var in sorted(self.fn.dynamic & self.active & self.useful, key=lambda v: v.name):
            if var not in self.tangents:
                self.tangent_var(var)
                if var in self.assumed:
                    self.exact.add(self.tangents[var])
                if var in self.fn.params:  # reassigned later from an active value
                    prelude.append(ir.Assign(self.tangents[var], self.zero(var), ret.origin))
        body = prelude + self.block(body)
        tangent = self.exact_tangent(ret.value)
        value = tangent if mode in ("tangent", "unit") else ir.TupleExpr((ret.value, tangent))
        for stmt in ir.walk(body):
            stmt.backward = True  # printed with the user's line above each group
        params = list(self.fn.params) + dots
        kwonly = self.fn.kwonly + len(dots) if self.fn.kwonly else 0
        dynamic = self.fn.dynamic | self.dynamic | \
            {t for v, t in self.tangents.items() if v in self.fn.dynamic or v in self.wrt}
        return replace(self.fn, params=params, kwonly=kwonly, dynamic=frozenset(dynamic),
                       body=body + [ir.Return(value, ret.origin)])

    def refuse_complex(self, body) -> None:
        """Forward rules are written for real values (the derived ones would be wrong for
        np.abs of a complex value): a tangent that would pass through a complex value is
        refused (see reverse/complex_values.py for where they come from)."""
        found = complex_vars(body)
        for stmt in ir.walk(body):
            written = (stmt.target,) if isinstance(stmt, ir.SetItem) else ir.targets(stmt)
            if any(t in found and t in self.active for t in written):
                raise MissingRule.at(stmt.origin, "forward mode (jvp, jacfwd, Hessians, grad of "
                                     "grad) cannot follow a complex value yet",
                                     "use adjoint.grad or adjoint.jacrev, or compute with the "
                                     "real and imaginary parts as real arrays")

    # statements ---------------------------------------------------------------------
    def block(self, block: list) -> list:
        out = []
        for stmt in block:
            out += self.statement(stmt)
        return out

    def statement(self, stmt) -> list:
        if isinstance(stmt, ir.Assign):
            return self.assign(stmt)
        if isinstance(stmt, ir.SetItem):
            return self.set_item(stmt)
        if isinstance(stmt, ir.If):
            return [replace(stmt, body=self.block(stmt.body), orelse=self.block(stmt.orelse))]
        if isinstance(stmt, (ir.For, ir.While)):
            return [replace(stmt, body=self.block(stmt.body))]
        return [stmt]

    def assign(self, stmt: ir.Assign) -> list:
        wanted = [t for t in ir.targets(stmt) if t in self.active and t in self.useful]
        if not wanted:
            return [stmt]
        if differentiable_through(stmt.value):
            return call_through(self, stmt)
        read_back = [t for t in ir.targets(stmt) if t in ir.vars_in(stmt.value)]
        if read_back:  # x = f(x): the tangent line reads the old x, kept as x_prev
            return self.self_assign(stmt, read_back)
        out = [stmt]
        if isinstance(stmt.target, tuple):
            return out + self.unpack(stmt)
        expr, exact, lines = self.tangent_of(stmt)
        out += lines
        self.define(stmt.target, expr, exact, stmt.origin, out)
        return out

    def self_assign(self, stmt: ir.Assign, read_back: list) -> list:
        prev = {t: ir.Var(self.namer.fresh(t.name + "_prev"), ir.Kind.LOCAL) for t in read_back}
        for t, p in prev.items():
            self.classes[p] = self.classes.get(t, t)
            self.dynamic.add(p)
            if t in self.tangents:
                self.tangents[p] = self.tangents[t]
        renamed = ir.Assign(stmt.target, ir.substitute(stmt.value, prev), stmt.origin)
        lines = self.assign(renamed)[1:]
        reads = {v for line in ir.walk(lines) for v in ir.reads(line)}
        saves = [ir.Assign(p, t, stmt.origin) for t, p in prev.items() if p in reads]
        return saves + [stmt] + lines

    def define(self, target: ir.Var, expr, exact: bool, origin, out: list) -> None:
        """dot_target = expr (None: no contribution), where target carries a tangent."""
        known = target in self.tangents  # a reassigned name: its tangent always exists
        if expr is None and not known and target not in self.written:
            return
        if expr is None:
            expr, exact = self.zero(target), True
        if target in self.written:  # x[i] = v follows: a private, full-shape tangent
            expr, exact = ir.Call(WRITABLE, (expr, target)), True
        dot = self.tangent_var(target)
        out.append(ir.Assign(dot, expr, origin))
        if known and target in self.assumed and not exact and \
                self.classes.get(target) != shapes.SCALAR:
            self.broken.add(target)
        if exact and (not known or self.classes.get(target) == shapes.SCALAR):
            self.exact.add(dot)

    def unpack(self, stmt: ir.Assign) -> list:
        """a, b = value: the tangent of the whole, then each part's."""
        if isinstance(stmt.value, ir.Var):
            whole, lines = self.exact_tangent(stmt.value), []
            if whole is None:
                whole = None
        else:
            expr, _, lines = self.tangent_of(stmt)
            whole = expr
        if whole is not None and not isinstance(whole, ir.Var):
            packed = ir.Var(self.namer.fresh("dot_" + "_".join(t.name for t in stmt.target)),
                            ir.Kind.LOCAL)
            lines.append(ir.Assign(packed, whole, stmt.origin))
            whole = packed
        for k, target in enumerate(stmt.target):
            if target in self.active and target in self.useful:
                part = None if whole is None else ir.Subscript(whole, ir.Const(k))
                self.define(target, part, True, stmt.origin, lines)
        return lines

    def set_item(self, stmt: ir.SetItem) -> list:
        if stmt.target not in self.tangents:
            return [stmt]
        value = self.raw_tangent(stmt.value) if isinstance(stmt.value, ir.Var) else None
        dot = self.tangents[stmt.target]
        return [stmt, ir.SetItem(dot, stmt.index, value if value is not None else ir.Const(0.0),
                                 stmt.origin)]

    # one operation's tangent ----------------------------------------------------------
    def tangent_of(self, stmt: ir.Assign):
        """(tangent expression or None, whether it has the result's full shape, the rule's
        local statements)."""
        value = stmt.value
        if isinstance(value, ir.Var):
            if value not in self.tangents:
                return None, True, []
            return self.tangents[value], self.tangents[value] in self.exact, []
        if isinstance(value, ir.TupleExpr):
            if not any(self.carries(e) for e in value.elts):
                return None, True, []
            return self.exact_tangent(value), True, []
        if not differentiable(stmt) or not any(self.carries(v) for v in ir.vars_in(value)):
            return None, True, []
        r = self.rule_for(stmt)
        fr = forward_rules.forward_of(r)
        if fr is None:
            raise MissingRule.at(stmt.origin, f"no forward-mode rule for {written_name(stmt.value, r)}",
                                 forward_fix(r))
        if r.variadic:
            return self.variadic(stmt, r, fr) + ([],)
        given = self.bind(stmt, r)
        carried = tuple(name in given and self.carries(given[name]) for name in r.inputs)
        if fr.kind in ("linear", "multilinear"):
            return self.linear(stmt, r, fr, given, carried) + ([],)
        return self.pasted(stmt, r, fr, given, carried)

    def refuse_dropped(self, stmt, r, names) -> None:
        """A rule with no tangent contribution for an input that carries one would be a
        silent zero: refused, unless the input can only hold an index or key."""
        dropped = [n for n in names if n not in r.indices]
        if dropped:
            raise MissingRule.at(stmt.origin, f"the forward-mode rule for {written_name(stmt.value, r)} "
                                 f"gives no tangent for its argument {dropped[0]}, which depends on "
                                 "the values being differentiated", f"pass a constant for {dropped[0]}")

    def linear(self, stmt, r, fr, given, carried):
        over = forward_rules.linear_inputs(r)
        self.refuse_dropped(stmt, r, [n for n, c in zip(r.inputs, carried) if c and n not in over])
        names = [n for n, c in zip(r.inputs, carried) if c and n in over]
        if not names:
            return None, True
        if fr.kind == "linear":
            swapped = {n: self.exact_tangent(given[n]) for n in over if n in given}
            return simplify(with_operands(stmt.value, r, swapped), self.classes), True
        terms = [with_operands(stmt.value, r, {n: self.exact_tangent(given[n])}) for n in names]
        return forward_rules.add_terms(simplify(t, self.classes) for t in terms), True

    def variadic(self, stmt, r, fr):
        """A rule taking *args (np.einsum, np.gradient), declared linear or multilinear in
        its first `variadic` positional arguments: one term per argument with a tangent."""
        call, name = stmt.value, written_name(stmt.value, r)
        count = len(call.args) if r.variadic is True else r.variadic
        if fr.kind not in ("linear", "multilinear"):
            raise MissingRule.at(stmt.origin, f"no forward-mode rule for {name} (it takes *args)",
                                 "declare it linear(...) or multilinear(...) in rules/forward_linear.py")
        if any(self.carries(a) for a in call.args[count:]) or any(self.carries(v) for _, v in call.kwargs):
            raise MissingRule.at(stmt.origin, f"the forward-mode rule for {name} has no derivative "
                                 "for arguments after the first " + str(count), "pass constants there")
        carried = [k for k, a in enumerate(call.args[:count]) if self.carries(a)]
        if not carried:
            return None, True

        def swapped(positions):
            args = [self.exact_tangent(a) if k in positions else a for k, a in enumerate(call.args)]
            return simplify(ir.Call(call.func, tuple(args), call.kwargs), self.classes)
        if fr.kind == "linear":  # the others' tangents are zeros
            return swapped(set(range(min(count, len(call.args))))), True
        return forward_rules.add_terms(swapped({k}) for k in carried), True

    def pasted(self, stmt, r, fr, given, carried):
        template = forward_rules.template_of(r)
        called = getattr(template, "called", False)
        n = len(r.inputs)
        defaults = {**r.options, **r.input_defaults}  # (norm.logpdf's loc and scale)
        bindings = {p.name: given.get(name, ir.Const(defaults.get(name)))
                    for p, name in zip(template.params[n + 1:], r.params)}
        bindings[template.params[n].name] = ir.TupleExpr(stmt.target) \
            if isinstance(stmt.target, tuple) else stmt.target
        elementwise = fr.kind == "elementwise"
        for p, name, has in zip(template.params, r.inputs, carried):
            if has:
                bindings[p.name] = self.raw_tangent(given[name]) if elementwise \
                    else self.exact_tangent(given[name])
            elif called:
                bindings[p.name] = self.exact_tangent(given.get(name, ir.Const(0.0)))
        lines, terms = forward_rules.instantiate(template, bindings, (True,) * n if called else carried,
                                                 self.namer.fresh)
        for line in lines:
            line.origin = stmt.origin
            line.value = simplify(line.value, self.classes)
        self.refuse_dropped(stmt, r, [name for name, has, t in zip(r.inputs, carried, terms)
                                      if has and t is None and not getattr(template, "combined", False)])
        kept = [simplify(t, self.classes) for t, has in zip(terms, carried) if has and t is not None]
        if getattr(template, "combined", False):  # one term holds every input's contribution
            kept = [terms[0]]
        if not kept:
            return None, True, lines
        exact = not elementwise or self.covers(stmt.target, r, given, carried, terms)
        return forward_rules.add_terms(kept), exact, lines

    def covers(self, target, r, given, carried, terms) -> bool:
        """Does an elementwise tangent have the result's full shape? Yes when the result
        is a scalar, when a full-shape tangent comes from an operand of the result's
        shape class, or when every operand that may be an array contributes a full-shape
        tangent (their broadcast is the result's shape)."""
        y_class = self.classes.get(target)
        if y_class == shapes.SCALAR:
            return True
        full = [given[n] for n, has, t in zip(r.inputs, carried, terms)
                if has and t is not None and isinstance(given[n], ir.Var)
                and self.tangents.get(given[n]) in self.exact]
        if self.trusted(y_class) and any(self.classes.get(v) == y_class for v in full):
            return True
        present = [given[n] for n in r.inputs if n in given]
        return all(shapes.expr_class(e, self.classes) == shapes.SCALAR or e in full for e in present)

    def trusted(self, shape_class) -> bool:
        """A shape class that means one shape: not a name assigned more than once (whose
        class may stand for its shape before and after a reassignment that changed it)."""
        return shape_class is not None and not (isinstance(shape_class, ir.Var)
                                                and shape_class in self.fn.dynamic)

    def rule_for(self, stmt):
        key = primal_key(stmt.value)
        found = lookup(key)
        if found is None:
            raise MissingRule.at(stmt.origin, f"no rule for {written_name(stmt.value, None, key)}, "
                                 "and adjoint cannot differentiate through it",
                                 f"register one with @adjoint.rule({written_name(stmt.value, None, key)}) "
                                 "(and its forward rule), or declare it adjoint.nondiff(...)")
        return found

    def bind(self, stmt, r) -> dict:
        """Rule parameter name -> the operand given for it."""
        value = stmt.value
        if isinstance(value, ir.Call):
            if len(value.args) > len(r.params):
                raise MissingRule.at(stmt.origin, f"the rule for {display_name(r.primal)} takes "
                                     f"{len(r.params)} arguments; got {len(value.args)}")
            given = dict(zip(r.params, value.args))
            given.update(value.kwargs)
        else:
            given = dict(zip(r.params, ir.operator_operands(value)))
        for name in r.options:
            if name in given and self.carries(given[name]):
                raise MissingRule.at(stmt.origin, f"the rule for {display_name(r.primal)} has no "
                                     f"derivative for its argument {name}=, which depends on the "
                                     "values being differentiated", f"pass a constant for {name}=")
        unknown = [k for k, _ in getattr(value, "kwargs", ()) if k not in r.params]
        if unknown:
            raise MissingRule.at(stmt.origin, f"the rule for {display_name(r.primal)} does not "
                                 f"handle the keyword argument {unknown[0]}=", "leave it out")
        return given

    # tangents of operands -------------------------------------------------------------
    def carries(self, expr) -> bool:
        return any(v in self.tangents for v in ir.vars_in(expr))

    def raw_tangent(self, expr):
        """The tangent as it is (possibly smaller than expr), or None."""
        if isinstance(expr, ir.Var):
            return self.tangents.get(expr)
        return self.exact_tangent(expr) if self.carries(expr) else None

    def exact_tangent(self, expr):
        """The tangent with expr's full shape and structure (zeros where it has none)."""
        if isinstance(expr, ir.TupleExpr):
            return ir.TupleExpr(tuple(self.exact_tangent(e) for e in expr.elts), expr.is_list)
        if isinstance(expr, ir.Var) and expr in self.tangents:
            dot = self.tangents[expr]
            if dot in self.exact or self.classes.get(expr) == shapes.SCALAR:
                return dot
            return ir.Call(BROADCAST, (dot, expr))
        return self.zero(expr)

    def zero(self, expr):
        if shapes.expr_class(expr, self.classes) == shapes.SCALAR:
            return ir.Const(0.0)
        if isinstance(expr, ir.Const) and expr.value is None:
            return expr
        return ir.Call(ZERO, (expr,))

    def tangent_var(self, var: ir.Var, kind=ir.Kind.GRAD) -> ir.Var:
        if var not in self.tangents:
            self.tangents[var] = ir.Var(self.namer.fresh("dot_" + var.name), kind)
        return self.tangents[var]
