"""Forward-mode rules: each registry entry's JVP, kept beside its reverse rule.

A forward rule says how the tangent of a primal's output follows from the tangents of
its inputs. It lives on the same registry entry as the reverse rule (`Rule.forward`,
declared in rules/registry.py), so the two directions cannot drift into two tables.
This module reads them: it derives the missing elementwise ones, makes their templates
and pastes them. Four kinds:

- written: a runnable function `j(dx, ..., y, x, ..., options)`: one tangent per input,
  then the output y and the inputs under the reverse rule's names. It returns one
  contribution per input, each linear in that input's tangent alone; the compiler
  pastes its body (as it does reverse rules) and sums the contributions of the inputs
  that carry tangents, dropping the others unevaluated:

      @d_inv.forward
      def j_inv(da, y, a):
          return -(y @ da @ y)

- elementwise, derived for every rule declared (or found) elementwise: the reverse
  template with g replaced by the input's tangent and unbroadcast dropped, because an
  elementwise Jacobian is diagonal (d_mul's `unbroadcast(g * b, a)` gives `dot_a * b`);
- linear, declared with `linear(...)`: the primal applied to the tangents
  (`np.sum(dot_x, axis=1)`), for functions linear in their inputs jointly;
- multilinear, declared with `multilinear(...)`: the product rule, one term per input
  with that input replaced by its tangent (`dot_a @ b + a @ dot_b`).

tests/forward_harness.py compiles every rule case of tests/test_rules_*.py through the
forward-mode pipeline, so each forward rule gets its own finite-difference test.
"""
from __future__ import annotations

import inspect
import operator

from .. import ir
from ..errors import AdjointError, NoSource, UnsupportedSyntax
from ..lowering.fence import check_supported
from ..lowering.frontend import parse_function
from ..lowering.lower import lower
from ..reverse.shapes import is_elementwise_rule
from ..reverse.template import Template, template_of as reverse_template
from ..rules.registry import ForwardRule, Rule, lookup
from ..runtime.core import unbroadcast


def forward_of(r: Rule) -> ForwardRule | None:
    """The forward rule of a registry entry: the one declared, else derived when the
    rule is elementwise, else None."""
    if r.forward is None and _is_elementwise(r) and _linear_in_g(r):
        r.forward = ForwardRule("elementwise")
    return r.forward


def _linear_in_g(r: Rule) -> bool:
    """Is every path from g to a returned gradient elementwise (g * slope, unbroadcast at
    the top, elementwise functions of it)? Then the reverse formula is the diagonal
    Jacobian, and g := the tangent gives the forward rule. A helper called with g (which
    may unbroadcast inside: norm_grads) makes it unknown: no derived rule, refused."""
    rev = reverse_template(r)
    reads_g = {rev.params[0]}
    for stmt in rev.body:
        if not reads_g & set(ir.reads(stmt)):
            continue
        if not (isinstance(stmt, ir.Assign) and _elementwise_in(stmt.value, reads_g)):
            return False
        reads_g.update(ir.targets(stmt))
    return all(ret is None or _elementwise_in(ret, reads_g) for ret in rev.returns)


def _elementwise_in(expr, reads_g: set) -> bool:
    if not reads_g & set(ir.vars_in(expr)) or isinstance(expr, ir.Var):
        return True  # a slope computed without g, or g itself
    if isinstance(expr, ir.BinOp):
        found = lookup(expr.op)
        return bool(found and found.elementwise) and _elementwise_in(expr.left, reads_g) \
            and _elementwise_in(expr.right, reads_g)
    if isinstance(expr, ir.UnaryOp):
        return _elementwise_in(expr.operand, reads_g)
    if isinstance(expr, ir.Call) and expr.func.value is unbroadcast and len(expr.args) == 2:
        return _elementwise_in(expr.args[0], reads_g) and not reads_g & set(ir.vars_in(expr.args[1]))
    if isinstance(expr, ir.Call):
        found = lookup(expr.func.value)
        return bool(found and found.elementwise) and all(
            _elementwise_in(a, reads_g) for a in list(expr.args) + [v for _, v in expr.kwargs])
    return False


def linear_inputs(r: Rule) -> tuple:
    """The inputs a linear or multilinear rule has contributions for: those declared, else
    every input whose reverse gradient is not None (not an index, shape or condition)."""
    fr = r.forward
    if fr.over is not None:
        return fr.over
    return tuple(name for name, ret in zip(r.inputs, reverse_template(r).returns) if ret is not None)


def _is_elementwise(r: Rule) -> bool:
    if r.elementwise:
        return True
    if r.elementwise is None:
        return is_elementwise_rule(r)
    return False


# templates --------------------------------------------------------------------------
def template_of(r: Rule) -> Template:
    """The pasteable template of a written or elementwise forward rule: params are the
    tangents (one per input), y, then the reverse rule's parameters."""
    fr = r.forward
    if fr.template is None:
        fr.template = _written_template(r, fr.func) if fr.kind == "written" else _derived_template(r)
    return fr.template


def _written_template(r: Rule, func) -> Template:
    n = len(r.inputs)
    try:
        parsed = parse_function(func)
        check_supported(parsed)
        fn = lower(parsed, flatten=False)
    except (NoSource, UnsupportedSyntax):
        return _call_template(func, n)
    *body, ret = fn.body
    value = ret.value
    if n == 1 and not (isinstance(value, ir.TupleExpr) and len(value.elts) == 1):
        returns = (value,)
    elif isinstance(value, ir.TupleExpr) and len(value.elts) == n:
        returns = tuple(value.elts)
    else:
        raise AdjointError(f"forward rule {func.__qualname__} ({parsed.filename}:"
                           f"{ret.origin.line if ret.origin else '?'}) must return {n} "
                           f"contributions, one per input ({', '.join(r.inputs)}); return None "
                           "for an input that contributes nothing")
    returns = tuple(None if isinstance(e, ir.Const) and e.value is None else e for e in returns)
    return Template(fn.params, body, returns)


def _call_template(func, n: int) -> Template:
    """A written rule that cannot be pasted is called: its contributions come back summed."""
    params = [ir.Var(name, ir.Kind.PARAM) for name in inspect.signature(func).parameters]
    call = ir.Call(ir.Ref(func.__name__, func, (), func), tuple(params))
    out = ir.Var(func.__name__.lstrip("_") + "_terms", ir.Kind.USER)
    returns = tuple(ir.Subscript(out, ir.Const(k)) for k in range(n)) if n > 1 else (call,)
    template = Template(params, [ir.Assign(out, call)] if n > 1 else [], returns)
    template.called = True  # every tangent must be bound (zeros for constants)
    return template


def _derived_template(r: Rule) -> Template:
    """An elementwise rule's reverse template, once per input with g := that input's
    tangent: locals that read g are copied per input, the others shared."""
    rev = reverse_template(r)
    g, y, *params = rev.params
    dots = [ir.Var(f"dot_{name}", ir.Kind.PARAM) for name in r.inputs]
    reads_g = {g}
    for stmt in rev.body:
        if isinstance(stmt, ir.Assign) and reads_g & set(ir.vars_in(stmt.value)):
            reads_g.update(ir.targets(stmt))
    body, maps = [], [{g: dot} for dot in dots]
    for stmt in rev.body:
        if not (isinstance(stmt, ir.Assign) and reads_g & set(ir.vars_in(stmt.value))):
            body.append(stmt)
            continue
        for k, mapping in enumerate(maps):
            copies = tuple(ir.Var(f"{t.name}_{k}", t.kind) for t in ir.targets(stmt))
            value = ir.substitute(stmt.value, mapping)
            mapping.update(zip(ir.targets(stmt), copies))
            body.append(ir.Assign(copies if isinstance(stmt.target, tuple) else copies[0], value))
    returns = tuple(None if ret is None else _without_unbroadcast(ir.substitute(ret, mapping))
                    for ret, mapping in zip(rev.returns, maps))
    return Template(dots + [y] + params, body, returns)


def _without_unbroadcast(expr):
    """unbroadcast(e, x) -> e everywhere in expr: a tangent keeps its broadcast shape."""
    if isinstance(expr, ir.Call) and expr.func.value is unbroadcast and len(expr.args) == 2:
        return _without_unbroadcast(expr.args[0])
    if isinstance(expr, ir.Call):
        return ir.Call(expr.func, tuple(_without_unbroadcast(a) for a in expr.args),
                       tuple((k, _without_unbroadcast(v)) for k, v in expr.kwargs))
    if isinstance(expr, ir.BinOp):
        return ir.BinOp(expr.op, _without_unbroadcast(expr.left), _without_unbroadcast(expr.right))
    if isinstance(expr, ir.UnaryOp):
        return ir.UnaryOp(expr.op, _without_unbroadcast(expr.operand))
    if isinstance(expr, ir.Subscript):
        return ir.Subscript(_without_unbroadcast(expr.value), expr.index)
    if isinstance(expr, ir.TupleExpr):
        return ir.TupleExpr(tuple(_without_unbroadcast(e) for e in expr.elts), expr.is_list)
    return expr


def instantiate(template: Template, bindings: dict, carried: tuple, fresh_name):
    """Paste a forward template. `bindings` maps parameter names to expressions;
    `carried[k]` says whether input k has a tangent. Statements that read the tangent of
    an input without one are dropped, with everything computed from them.

    Returns (statements, one contribution or None per input)."""
    n = len(carried)
    mapping = {p: bindings[p.name] for p in template.params if p.name in bindings}
    dropped = {p for k, p in enumerate(template.params[:n]) if not carried[k]}
    statements = []
    for stmt in template.body:
        if dropped & _reads(stmt):
            dropped.update(ir.targets(stmt))
            continue
        if isinstance(stmt, ir.Assign):
            new = tuple(ir.Var(fresh_name(v.name), ir.Kind.LOCAL) for v in ir.targets(stmt))
            value = ir.substitute(stmt.value, mapping)
            mapping.update(zip(ir.targets(stmt), new))
            statements.append(ir.Assign(new if isinstance(stmt.target, tuple) else new[0], value))
        else:
            statements.append(ir.ExprStmt(ir.substitute(stmt.value, mapping)))
    terms = []
    for k, ret in enumerate(template.returns):
        if ret is None or not carried[k]:
            terms.append(None)
            continue
        if dropped & set(ir.vars_in(ret)):
            raise AdjointError(f"a forward rule's contribution for input {k} reads the tangent "
                               "of another input; write each contribution from its own tangent")
        terms.append(ir.substitute(ret, mapping))
    return statements, tuple(terms)


def _reads(stmt) -> set:
    return set(ir.reads(stmt))


def add_terms(terms):
    """term_1 + term_2 + ..., with a + -b written a - b."""
    total = None
    for term in terms:
        if total is None:
            total = term
        elif isinstance(term, ir.UnaryOp) and term.op is operator.neg:
            total = ir.BinOp(operator.sub, total, term.operand)
        else:
            total = ir.BinOp(operator.add, total, term)
    return total
