"""Calls of grad(f) inside a function being differentiated: MAML's inner step
(w_1 = w - lr * dloss(w, x)), a gradient penalty (np.sum(dloss(w, x) ** 2)).

Such a call gets a rule built for its GradientFunction (registry.lookup finds it through
RULE_MAKERS, filled below):
its backward is a Hessian-vector product of f, computed by reverse mode over f's forward
code (adjoint/higher.py), and its forward (jvp) the tangent of grad f, the same HVP seen
from the other side. In the generated code:

    w_1_grads = grad_call_vjp(dloss, grad_s0, w, x)        # backward of g = dloss(w, x)
    dot_g = grad_call_jvp(dloss, (w, x), (dot_w, 0.0))      # forward
"""
from __future__ import annotations

import inspect

import numpy as np

from . import ir
from .api import GradientFunction, grad
from .errors import AdjointError
from .higher import forward_code, is_float, tangent_gradient
from .reverse.template import Template
from .rules.registry import RULE_MAKERS, ForwardRule, Rule


def grad_call_rule(gf) -> Rule:
    """The rule of calls of `gf` (made once per GradientFunction)."""
    made = gf.__dict__.get("_call_rule")
    if made is not None:
        return made
    spec = gf._specializer
    if spec.has_aux:
        raise AdjointError(f"calls of grad(..., has_aux=True) of {spec.func.__name__} cannot be "
                           "differentiated yet; call grad without has_aux inside the function")
    signature = inspect.signature(spec.func).parameters.values()
    params = tuple(p.name for p in signature)
    options = {p.name: p.default for p in signature if p.default is not p.empty}
    inputs = tuple(name for name in params if name not in options)
    g, y = ir.Var("g__", ir.Kind.PARAM), ir.Var("y__", ir.Kind.PARAM)
    args = [ir.Var(name, ir.Kind.PARAM) for name in params]
    me = ir.Ref("grad_" + spec.func.__name__, gf, (), gf)
    grads = ir.Var(spec.func.__name__ + "_grads", ir.Kind.LOCAL)
    backward = Template([g, y] + args, [ir.Assign(grads, ir.Call(_ref(grad_call_vjp), (me, g, *args)))],
                        tuple(ir.Subscript(grads, ir.Const(params.index(n))) for n in inputs))
    made = Rule(gf, grad_call_vjp, ("g__", "y__"), params, inputs, options, False,
                backward_template=backward)
    dots = [ir.Var(f"dot_{name}__", ir.Kind.PARAM) for name in inputs]
    tangent = ir.Call(_ref(grad_call_jvp), (me, ir.TupleExpr(tuple(args)), ir.TupleExpr(tuple(dots))))
    forward = Template(dots + [y] + args, [], (tangent,) + (None,) * (len(inputs) - 1))
    forward.called, forward.combined = True, True  # one call gives the whole tangent
    made.forward = ForwardRule("written", func=grad_call_jvp, template=forward)
    gf.__dict__["_call_rule"] = made
    return made


def _ref(func) -> ir.Ref:
    return ir.Ref(func.__name__, func, (), func)


def grad_call_vjp(gf, g, *args):
    """The gradients of <gf(*args), g> with respect to each argument (0.0 where none):
    for gf = grad(f), the Hessian-vector product of f along g."""
    spec = gf._specializer
    params = list(inspect.signature(spec.func).parameters)[:len(args)]
    value_g = None
    if spec.return_value:  # value_and_grad: g = (gradient of the value, of the gradients)
        value_g, g = g
    parts = (g,) if spec.single else tuple(g)
    floats = tuple(p for p, a in zip(params, args) if is_float(a))
    tangents = [np.broadcast_to(part, np.shape(args[params.index(n)])) if np.ndim(part) == 0
                and np.ndim(args[params.index(n)]) else part for n, part in zip(spec.wrt_names, parts)]
    gradient, names = tangent_gradient(spec.func, spec.wrt_names, args, floats)
    grads = gradient(*args, **dict(zip(names, tangents)))
    grads = (grads,) if len(floats) == 1 else tuple(grads)
    by_name = dict(zip(floats, grads))
    if value_g is not None and np.any(value_g):
        plain = grad(spec.func, wrt=floats)(*args)
        for name, extra in zip(floats, (plain,) if len(floats) == 1 else plain):
            by_name[name] = by_name[name] + value_g * extra
    return tuple(by_name.get(p, 0.0) for p in params)


def grad_call_jvp(gf, args, dots):
    """The tangent of gf(*args) along `dots`: for gf = grad(f), the derivative of grad f,
    the gradient of f's tangent output with respect to gf's own parameters."""
    spec = gf._specializer
    params = list(inspect.signature(spec.func).parameters)[:len(args)]
    carried = [(p, d) for p, a, d in zip(params, args, dots) if is_float(a)]
    wrt = tuple(p for p, _ in carried)
    gradient, names = tangent_gradient(spec.func, wrt, args, spec.wrt_names)
    tangent = gradient(*args, **dict(zip(names, [d for _, d in carried])))
    if not spec.return_value:
        return tangent
    function = forward_code(spec.func, wrt, args, "tangent").function
    value_tangent = function(*args, **dict(zip(function.dot_names, [d for _, d in carried])))
    return value_tangent, tangent


RULE_MAKERS[GradientFunction] = grad_call_rule  # registry.lookup finds calls of grad(f) here
