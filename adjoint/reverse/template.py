"""Rule templates: a rule function's body as IR, ready to paste into a backward.

Input: a registered `Rule`. Output: a `Template` with placeholder Vars for the rule's
parameters, the body's statements (expression trees, not flattened) and one returned
expression (or None) per input. `instantiate` substitutes real operands and gives the
rule's locals fresh names.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from ..errors import AdjointError, NoSource, UnsupportedSyntax
from ..lowering.fence import check_supported
from ..lowering.frontend import parse_function
from ..lowering.lower import lower


@dataclass
class Template:
    params: list  # placeholder Vars, in the rule's parameter order (g, y, inputs, options)
    body: list  # statements before the return
    returns: tuple  # one Expr or None per input


_TEMPLATES: dict = {}  # rule function -> its Template (a rule body is parsed once)


def template_of(rule) -> Template:
    """The rule's body lowered to IR, parsed on first use (or the template adjoint made
    for a rule of its own)."""
    if rule.backward_template is not None:
        return rule.backward_template
    template = _TEMPLATES.get(rule.func)
    if template is None:
        template = _TEMPLATES[rule.func] = parse_template(rule)
    return template


def parse_template(rule) -> Template:
    try:
        parsed = parse_function(rule.func)
        check_supported(parsed)
        fn = lower(parsed, flatten=False)
    except (NoSource, UnsupportedSyntax):
        return call_template(rule)
    *body, ret = fn.body
    n = len(rule.inputs)
    value = ret.value
    if n == 1 and not (isinstance(value, ir.TupleExpr) and len(value.elts) == 1):
        returns = (value,)
    elif isinstance(value, ir.TupleExpr) and len(value.elts) == n:
        returns = tuple(value.elts)
    elif isinstance(value, ir.Call):  # return norm_grads(...): a helper's tuple, one per input
        grads = ir.Var("grads", ir.Kind.LOCAL)
        body.append(ir.Assign(grads, value, ret.origin))
        returns = tuple(ir.Subscript(grads, ir.Const(k)) for k in range(n))
    else:
        raise AdjointError(
            f"rule {rule.func.__qualname__} ({parsed.filename}:{ret.origin.line if ret.origin else '?'}) "
            f"must return {n} gradient expressions, one per input ({', '.join(rule.inputs)}); "
            "return None for an input that gets no gradient")
    returns = tuple(None if isinstance(r, ir.Const) and r.value is None else r for r in returns)
    return Template(fn.params, body, returns)


def call_template(rule) -> Template:
    """A rule that cannot be pasted (no source, or syntax beyond straight-line code) is
    called instead: grads = d_rule(g, y, x, ...)."""
    names = rule.func_params + rule.params
    params = [ir.Var(name, ir.Kind.PARAM) for name in names]
    call = ir.Call(ir.Ref(rule.func.__name__, rule.func, (), rule.func), tuple(params))
    if len(rule.inputs) == 1:
        return Template(params, [], (call,))
    result = ir.Var(rule.func.__name__.lstrip("_") + "_grads", ir.Kind.USER)
    returns = tuple(ir.Subscript(result, ir.Const(k)) for k in range(len(rule.inputs)))
    return Template(params, [ir.Assign(result, call)], returns)


def instantiate(template: Template, bindings: dict, fresh_name) -> tuple[list, tuple]:
    """Paste a template: `bindings` maps parameter names to operands.

    Returns (statements, returned expressions). Rule locals are renamed with
    `fresh_name(preferred) -> str` so they never clash with the function's names.
    """
    mapping = {p: bindings[p.name] for p in template.params}
    statements = []
    for stmt in template.body:
        if isinstance(stmt, ir.Assign):
            new_targets = []
            for var in ir.targets(stmt):
                new = ir.Var(fresh_name(var.name), ir.Kind.LOCAL)
                new_targets.append(new)
            value = ir.substitute(stmt.value, mapping)
            for var, new in zip(ir.targets(stmt), new_targets):
                mapping[var] = new
            target = tuple(new_targets) if isinstance(stmt.target, tuple) else new_targets[0]
            statements.append(ir.Assign(target, value))
        elif isinstance(stmt, ir.SetItem):
            statements.append(ir.SetItem(mapping[stmt.target], ir.substitute(stmt.index, mapping),
                                         ir.substitute(stmt.value, mapping)))
        else:
            statements.append(ir.ExprStmt(ir.substitute(stmt.value, mapping)))
    returns = tuple(None if r is None else ir.substitute(r, mapping) for r in template.returns)
    return statements, returns
