"""Reverse mode: a lowered SSA function -> one function computing value and gradients.

Input: the lowered `ir.Function`, the parameters to differentiate (`wrt`), and which
parameters are scalars. Output: an `ir.Function` whose body is the forward statements,
then the backward: the seed `grad_<result> = 1.0`, then, for each forward statement in
reverse order whose result carries a gradient, its rule pasted with names substituted.
Gradients accumulate as `grad_x = grad_x + ...`; no zeros are built except for a `wrt`
parameter the result does not depend on. The backward reads forward values directly, so
nothing is stored on a tape for straight-line code.

Only "active" values get gradients: those computed from a `wrt` parameter by a
differentiable operation. A call with no rule on an active value is an error naming the
line; a call on inactive values needs no rule.
"""
from __future__ import annotations

import dataclasses
import inspect
import operator

from . import ir, shapes
from .errors import MissingRule, NonScalarOutput, UnsupportedSyntax
from .names import Namer
from .registry import Rule, display_name, is_nondiff, lookup
from .runtime import seed, unbroadcast, zero_grad
from .template import instantiate

SEED_REF = ir.Ref("seed", seed, (), seed)
ZERO_REF = ir.Ref("zero_grad", zero_grad, (), zero_grad)


def primal_key(value):
    """The registry key of the operation an expression performs."""
    if isinstance(value, (ir.BinOp, ir.UnaryOp)):
        return value.op
    if isinstance(value, ir.Call):
        return value.func.value
    if isinstance(value, ir.Attr):
        return "." + value.name
    if isinstance(value, ir.Subscript):
        return operator.getitem
    return None


def differentiate(fn: ir.Function, wrt: list, scalar_params: frozenset, namer: Namer,
                  return_value: bool, single: bool = True) -> ir.Function:
    """`single`: return one gradient rather than a tuple (wrt named one parameter)."""
    return _Reverse(fn, wrt, scalar_params, namer).run(return_value, single)


class _Reverse:
    def __init__(self, fn, wrt, scalar_params, namer):
        self.fn = fn
        self.wrt = wrt
        self.namer = namer
        self.classes = shapes.infer(fn, scalar_params)
        self.grads: dict = {}  # primal Var -> its gradient Var
        self.backward: list = []

    def run(self, return_value: bool, single: bool) -> ir.Function:
        *forward, ret = self.fn.body
        active = self.activity(forward)
        result = self.result_of(ret)
        if isinstance(result, ir.Var) and result in active:
            self.seed(result, ret.origin)
            for stmt in reversed(forward):
                self.backprop(stmt, active)
        else:
            # the output does not depend on wrt, but it must still be a scalar
            check = ir.ExprStmt(ir.Call(SEED_REF, (result,)), ret.origin)
            self.backward.append(check)
        grads = [self.final_grad(p) for p in self.wrt]
        grads_expr = grads[0] if single else ir.TupleExpr(tuple(grads))
        value = ir.TupleExpr((result, grads_expr)) if return_value else grads_expr
        for stmt in self.backward:
            stmt.backward = True
        body = forward + self.backward + [ir.Return(value, ret.origin)]
        return dataclasses.replace(self.fn, body=body)

    # which values carry gradients -----------------------------------------------
    def activity(self, forward) -> set:
        active = set(self.wrt)
        for stmt in forward:
            if not isinstance(stmt, ir.Assign):
                continue
            if not any(v in active for v in ir.vars_in(stmt.value)):
                continue
            value = stmt.value
            if isinstance(value, ir.Var):
                active.update(ir.targets(stmt))
                continue
            if isinstance(value, ir.Compare) or is_nondiff(primal_key(value)):
                continue
            if isinstance(value, (ir.TupleExpr, ir.Slice)):
                raise UnsupportedSyntax.at(stmt.origin, "a tuple or list holding differentiable "
                                           "values is not supported here yet", "pass the values "
                                           "directly to the function that uses them")
            self.rule_for(stmt)
            active.update(ir.targets(stmt))
        return active

    def rule_for(self, stmt) -> Rule:
        key = primal_key(stmt.value)
        found = lookup(key)
        if found is None:
            name = _written_name(stmt.value) or display_name(key)
            if isinstance(stmt.value, ir.Attr):
                raise MissingRule.at(stmt.origin, f"no gradient rule for the attribute {name}",
                                     f"register one with @adjoint.rule(\"{name}\")")
            raise MissingRule.at(
                stmt.origin, f"no gradient rule for {name}, and adjoint cannot differentiate "
                "through it", f"register a rule: @adjoint.rule({name}) above a function "
                f"d_{getattr(key, '__name__', 'f')}(g, y, x) returning the input's gradient; "
                "or, if it has no gradient, adjoint.nondiff(...)")
        return found

    def result_of(self, ret: ir.Return):
        value = ret.value
        if isinstance(value, ir.TupleExpr):
            raise NonScalarOutput.at(ret.origin, f"grad needs a scalar output; {self.fn.name} "
                                     f"returns a tuple of {len(value.elts)} values",
                                     "return only the scalar to differentiate")
        if isinstance(value, ir.Const) and value.value is None:
            raise NonScalarOutput.at(ret.origin or self.fn.origin, f"grad needs a scalar output; "
                                     f"{self.fn.name} returns None", "return the scalar to differentiate")
        return value

    # the backward -----------------------------------------------------------------
    def seed(self, result: ir.Var, origin) -> None:
        if self.classes.get(result) == shapes.SCALAR:
            value = ir.Const(1.0)
        else:
            value = ir.Call(SEED_REF, (result,))
        self.grads[result] = self.new_grad(result)
        self.backward.append(ir.Assign(self.grads[result], value, origin))

    def backprop(self, stmt, active) -> None:
        if not isinstance(stmt, ir.Assign):
            return
        if isinstance(stmt.target, tuple):  # a, b = f(x): the rule gets g and y as tuples
            if not any(t in self.grads for t in stmt.target):
                return
            target = ir.TupleExpr(stmt.target)
            g = ir.TupleExpr(tuple(self.grads[t] if t in self.grads else ir.Call(ZERO_REF, (t,))
                                   for t in stmt.target))
        else:
            target = stmt.target
            if target not in active or target not in self.grads:
                return
            g = self.grads[target]
        if isinstance(stmt.value, ir.Var):
            self.contribute(stmt.value, g, stmt.origin)
            return
        r = self.rule_for(stmt)
        operands, bindings = self.bind(stmt, r)
        bindings[r.func_params[0]] = g
        bindings[r.func_params[1]] = target
        locals_, returns = instantiate(r.template, bindings, self.namer.fresh)
        for local in locals_:
            local.origin = stmt.origin
            self.backward.append(local)
            if isinstance(local, ir.Assign) and isinstance(local.target, ir.Var):
                self.classes[local.target] = shapes.expr_class(local.value, self.classes) or local.target
        for operand, expr in zip(operands, returns):
            if expr is None or not any(v in active for v in ir.vars_in(operand)):
                continue
            if isinstance(operand, ir.Var):
                self.contribute(operand, self.simplify(expr), stmt.origin)
            elif isinstance(operand, ir.TupleExpr) and all(isinstance(e, (ir.Var, ir.Const, ir.Ref))
                                                           for e in operand.elts):
                self.contribute_each(operand, self.simplify(expr), stmt.origin, active)
            else:  # never drop a gradient silently
                raise UnsupportedSyntax.at(stmt.origin, "a differentiable value nested inside "
                                           "an argument is not supported here",
                                           "assign it to a name first")

    def contribute_each(self, operand: ir.TupleExpr, expr, origin, active) -> None:
        """np.stack((a, b)): the rule returns one gradient per element."""
        parts = ir.Var(self.namer.fresh("grads"), ir.Kind.LOCAL)
        self.backward.append(ir.Assign(parts, expr, origin))
        for k, element in enumerate(operand.elts):
            if isinstance(element, ir.Var) and element in active:
                self.contribute(element, ir.Subscript(parts, ir.Const(k)), origin)

    def bind(self, stmt, r: Rule):
        """The primal's operands in rule-input order, and every rule parameter's value."""
        value = stmt.value
        if isinstance(value, ir.Call):
            given = dict(zip(r.params, value.args))
            for name, arg in value.kwargs:
                if name not in r.params:
                    raise MissingRule.at(stmt.origin, f"the gradient rule for "
                                         f"{display_name(r.primal)} does not handle the "
                                         f"keyword argument {name}=", "leave it out, or register "
                                         "a rule that takes it")
                given[name] = arg
            if len(value.args) > len(r.params):
                raise MissingRule.at(stmt.origin, f"the gradient rule for {display_name(r.primal)} "
                                     f"takes {len(r.params)} arguments; got {len(value.args)}")
        else:
            given = dict(zip(r.params, _operands(value)))
        for name in r.inputs:
            if name not in given:
                raise MissingRule.at(stmt.origin, f"{display_name(r.primal)} is called without "
                                     f"its argument {name}", "pass it explicitly")
        bindings = {name: given.get(name, ir.Const(r.options.get(name))) for name in r.params}
        operands = [given[name] for name in r.inputs]
        return operands, bindings

    def contribute(self, var: ir.Var, expr, origin) -> None:
        if var in self.grads:
            g = self.grads[var]
            self.backward.append(ir.Assign(g, ir.BinOp(operator.add, g, expr), origin))
        else:
            g = self.grads[var] = self.new_grad(var)
            self.backward.append(ir.Assign(g, expr, origin))

    def new_grad(self, var: ir.Var) -> ir.Var:
        g = ir.Var(self.namer.fresh("grad_" + var.name), ir.Kind.GRAD)
        self.classes[g] = self.classes.get(var, var)
        return g

    def final_grad(self, param: ir.Var):
        if param in self.grads:
            return self.grads[param]
        g = self.new_grad(param)
        zero = ir.Const(0.0) if self.classes.get(param) == shapes.SCALAR \
            else ir.Call(ZERO_REF, (param,))
        self.backward.append(ir.Assign(g, zero, None))
        return g

    # simplification of pasted rule expressions ----------------------------------
    def simplify(self, expr):
        """Drop unbroadcast where shapes provably agree; fold constant arithmetic."""
        if isinstance(expr, ir.Call):
            args = tuple(self.simplify(a) for a in expr.args)
            if expr.func.value is unbroadcast and len(args) == 2:
                c = shapes.expr_class(args[0], self.classes)
                if c is not None and c == shapes.expr_class(args[1], self.classes):
                    return args[0]
            args = _without_default_tail(expr.func.value, args)
            return ir.Call(expr.func, args, tuple((k, self.simplify(v)) for k, v in expr.kwargs))
        if isinstance(expr, ir.BinOp):
            left, right = self.simplify(expr.left), self.simplify(expr.right)
            if isinstance(left, ir.Const) and isinstance(right, ir.Const) and _numbers(left, right):
                try:
                    return ir.Const(expr.op(left.value, right.value))
                except ArithmeticError:
                    pass
            if expr.op is operator.pow and isinstance(right, ir.Const) and right.value == 1 \
                    and not isinstance(right.value, bool):
                return left
            return ir.BinOp(expr.op, left, right)
        if isinstance(expr, ir.UnaryOp):
            return ir.UnaryOp(expr.op, self.simplify(expr.operand))
        if isinstance(expr, ir.Subscript):
            value = self.simplify(expr.value)
            if isinstance(value, ir.TupleExpr) and isinstance(expr.index, ir.Const) \
                    and isinstance(expr.index.value, int):
                return value.elts[expr.index.value]  # (grad_a, grad_b)[1] -> grad_b
            return ir.Subscript(value, self.simplify(expr.index))
        return expr


def _without_default_tail(func, args: tuple) -> tuple:
    """expand_to(g, x, None, False) -> expand_to(g, x): trailing arguments equal to the
    defaults of one of adjoint's own helpers say nothing a reader needs."""
    if getattr(func, "__module__", "") != "adjoint.runtime":
        return args
    params = list(inspect.signature(func).parameters.values())
    while args and len(args) <= len(params):
        default = params[len(args) - 1].default
        last = args[-1]
        if not (isinstance(last, ir.Const) and default is not inspect.Parameter.empty
                and type(last.value) is type(default) and last.value == default):
            break
        args = args[:-1]
    return args


def _operands(value) -> tuple:
    if isinstance(value, ir.BinOp):
        return (value.left, value.right)
    if isinstance(value, ir.UnaryOp):
        return (value.operand,)
    if isinstance(value, ir.Attr):
        return (value.value,)
    if isinstance(value, ir.Subscript):
        return (value.value, value.index)
    return ()


def _numbers(*consts) -> bool:
    return all(isinstance(c.value, (int, float)) and not isinstance(c.value, bool) for c in consts)


def _written_name(value) -> str | None:
    """The callee as the user wrote it (helper, np.linalg.inv), for messages."""
    if isinstance(value, ir.Call):
        return ".".join((value.func.root_name,) + tuple(value.func.path))
    return None
