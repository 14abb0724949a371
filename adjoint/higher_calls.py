"""Calls of grad(f) inside a function being differentiated: MAML's inner step
(w_1 = w - lr * dloss(w, x)), a gradient penalty (np.sum(dloss(w, x) ** 2)).

Such a call gets a rule built for its GradientFunction (registry.lookup finds it through
RULE_MAKERS, filled below). Its backward is a Hessian-vector product of f, computed by
reverse mode over f's forward code (adjoint/higher.py). Its forward is a call of a
GradTangent: the tangent of grad f along the arguments' tangents, which is the gradient
of f's forward code (tangent output) with respect to f's wrt, so itself a gradient
function, of the parameters and their tangents together. In the generated code:

    grads_w = grad_call_vjp(dloss, grad_s0, w, x)           # backward of g = dloss(w, x)
    dot_g = tangent_of_loss(w, x, dot_w, zero_tangent(x))    # forward

Calls of a GradTangent get a rule made the same way (backward: an HVP of f's forward
code; forward: the GradTangent of the GradTangent), so the code of any order built on a
gradient call can be differentiated again: jvp, hessian and hvp of a MAML loss are
reverse over forward over reverse.
"""
from __future__ import annotations

import inspect

import numpy as np

from . import ir
from .api import GradientFunction, grad, value_and_grad
from .errors import AdjointError
from .higher import forward_code, is_float, tangent_gradient
from .lowering.frontend import definition_location
from .reverse.template import Template
from .rules.registry import RULE_MAKERS, ForwardRule, Rule


class GradTangent:
    """tangent(*args, *dots): the tangent of inner(*args) along `dots`, one per input
    of inner (its parameters without a default), zeros for constants. `inner` is a
    GradientFunction or another GradTangent."""

    def __init__(self, inner):
        self.inner = inner
        names, self.options, inputs = layout(inner)
        dots = []
        for name in inputs:
            dot = "dot_" + name
            while dot in names or dot in dots:
                dot += "_"
            dots.append(dot)
        self.inner_names, self.inner_inputs = names, inputs
        self.names, self.inputs = names + tuple(dots), inputs + tuple(dots)
        self.__name__ = "tangent_of_" + inner.__name__
        self.__qualname__ = self.__name__

    def __call__(self, *args):
        return self.resolve(args)(*args)

    def resolve(self, args) -> GradientFunction:
        """This tangent as a gradient function: grad of the inner function's forward code
        (with a tangent for every input) with respect to the inner gradient's wrt."""
        primals = args[:len(self.inner_names)]
        spec = gradient_function(self.inner, primals)._specializer
        names = list(inspect.signature(spec.func).parameters)  # (a forward code's own dot names)
        wrt = tuple(names[self.inner_names.index(n)] for n in self.inner_inputs)
        tangent = forward_code(spec.func, wrt, primals, "tangent").function
        key = (tangent, spec.wrt_names, spec.single, spec.return_value)
        made = _TANGENT_GRADIENTS.get(key)
        if made is None:
            make = value_and_grad if spec.return_value else grad
            made = _TANGENT_GRADIENTS[key] = make(tangent, wrt=spec.wrt_names[0] if spec.single
                                                  else spec.wrt_names)
        return made


_TANGENT_GRADIENTS: dict = {}  # (forward code, wrt, single, value) -> its GradientFunction


def gradient_function(callee, args) -> GradientFunction:
    return callee if isinstance(callee, GradientFunction) else callee.resolve(args)


def layout(callee) -> tuple:
    """(parameter names, {option: default}, inputs: the parameters without a default)."""
    if isinstance(callee, GradTangent):
        return callee.names, callee.options, callee.inputs
    spec = callee._specializer
    where = definition_location(spec.func)
    if spec.has_aux:
        raise AdjointError.at(where, f"calls of grad(..., has_aux=True) of {spec.func.__name__} "
                              "cannot be differentiated", "call grad without has_aux inside the function")
    signature = inspect.signature(spec.func).parameters.values()
    if spec.bound or any(p.kind is not p.POSITIONAL_OR_KEYWORD for p in signature):
        raise AdjointError.at(where, f"calls of grad({spec.func.__name__}) cannot be differentiated: "
                              "it has bound, keyword-only or variadic parameters",
                              "give the function plain parameters (def f(w, x, lr=0.1))")
    options = {p.name: p.default for p in signature if p.default is not p.empty}
    names = tuple(p.name for p in signature)
    return names, options, tuple(n for n in names if n not in options)


def grad_call_rule(callee) -> Rule:
    """The rule of calls of `callee`, a GradientFunction or GradTangent (made once each)."""
    made = callee.__dict__.get("_call_rule")
    if made is not None:
        return made
    names, options, inputs = layout(callee)
    g, y = ir.Var("g__", ir.Kind.PARAM), ir.Var("y__", ir.Kind.PARAM)
    args = [ir.Var(name, ir.Kind.PARAM) for name in names]
    me = _ref(callee)
    grads = ir.Var("grads_" + callee.__name__, ir.Kind.LOCAL)
    backward = Template([g, y] + args, [ir.Assign(grads, ir.Call(_ref(grad_call_vjp), (me, g, *args)))],
                        tuple(ir.Subscript(grads, ir.Const(names.index(n))) for n in inputs))
    made = Rule(callee, grad_call_vjp, ("g__", "y__"), names, inputs, options, False,
                backward_template=backward)
    tangent = callee.__dict__.get("_tangent") or GradTangent(callee)
    callee.__dict__["_tangent"] = tangent
    dots = [ir.Var(f"dot_{name}__", ir.Kind.PARAM) for name in inputs]
    forward = Template(dots + [y] + args, [], (ir.Call(_ref(tangent), tuple(args + dots)),)
                       + (None,) * (len(inputs) - 1))
    forward.called, forward.combined = True, True  # one call gives the whole tangent
    made.forward = ForwardRule("written", func=tangent, template=forward)
    callee.__dict__["_call_rule"] = made
    return made


def _ref(func) -> ir.Ref:
    return ir.Ref(func.__name__, func, (), func)


def grad_call_vjp(callee, g, *args):
    """The gradients of <callee(*args), g> with respect to each argument (0.0 where none):
    for callee = grad(f), the Hessian-vector product of f along g."""
    spec = gradient_function(callee, args)._specializer
    params = list(inspect.signature(spec.func).parameters)[:len(args)]
    value_g = None
    if spec.return_value:  # value_and_grad: g = (gradient of the value, of the gradients)
        value_g, g = g
    parts = (g,) if spec.single else tuple(g)
    floats = tuple(p for p, a in zip(params, args) if is_float(a))
    tangents = [np.broadcast_to(part, np.shape(args[params.index(n)])) if np.ndim(part) == 0
                and np.ndim(args[params.index(n)]) else part for n, part in zip(spec.wrt_names, parts)]
    gradient, names = tangent_gradient(spec.func, spec.wrt_names, args, floats)
    by_name = dict(zip(floats, gradient(*args, **dict(zip(names, tangents)))))
    if value_g is not None and np.any(value_g):
        plain = grad(spec.func, wrt=floats)(*args)
        for name, extra in zip(floats, plain):
            by_name[name] = by_name[name] + value_g * extra
    return tuple(by_name.get(p, 0.0) for p in params)


RULE_MAKERS[GradientFunction] = grad_call_rule  # registry.lookup finds calls of grad(f) here
RULE_MAKERS[GradTangent] = grad_call_rule  # and the calls of their tangents in forward code
