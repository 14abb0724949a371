"""Functions defined inside the differentiated function, and lambdas bound to a name
there, are inlined where they are called:

    def loss(W, x):                          h_1 = x
        def layer(h):                        s0 = h_1 @ W
            return np.tanh(h @ W)      ->    s1 = np.tanh(s0)
        return np.sum(layer(x))              out = np.sum(s1)

A call reads the enclosing function's variables as they are at the call, which is what a
Python closure sees. The inlined function's own names get fresh names, so they never
touch the caller's. Such a function may return only at its end and may not call itself.
"""
from __future__ import annotations

import copy

import gast

from .. import ir


class LocalFunctionLowering:
    """A mixin of the lowering (`lower._Lowering`)."""

    def define_local_function(self, node) -> None:
        if node.decorator_list:
            raise self.unsupported(node, "a decorated nested function",
                                   "move it to module level")
        args = node.args
        if args.vararg or args.kwarg:
            raise self.unsupported(node, "*args or **kwargs in a nested function",
                                   "name each parameter")
        returns = [n for n in gast.walk(node) if isinstance(n, gast.Return)]
        if any(r is not node.body[-1] for r in returns):
            raise self.unsupported(returns[0], "a return before the end of a nested function",
                                   "return once, at its end (or move it to module level)")
        if not hasattr(node, "adjoint_parsed"):
            node.adjoint_parsed = self.parsed  # its lines and names are this file's
        self.local_functions[node.name] = node

    def inline_call(self, fdef, call: gast.Call):
        if fdef.name in self.inlining:
            raise self.unsupported(call, f"the nested function {fdef.name} calling itself",
                                   "move it to module level, where recursion is supported")
        params = [a.id for a in fdef.args.posonlyargs + fdef.args.args + fdef.args.kwonlyargs]
        return self.inline_bound(fdef, self.bind_call(fdef, call, params), self.at(call))

    def inline_bound(self, fdef, bound: list, at):
        """fdef's body lowered here, its parameters bound to `bound` ((name, lowered
        argument) pairs); the atom it returns."""
        params = [name for name, _ in bound]
        stored = {n.id for s in fdef.body for n in gast.walk(s)
                  if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        renames = {name: self.namer.fresh(name) for name in params + sorted(stored - set(params))}
        for new in renames.values():
            self.assigned.add(new)
        in_blocks = {renames[n.id] for s in fdef.body if isinstance(s, (gast.If, gast.For, gast.While))
                     for n in gast.walk(s) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)
                     and n.id in renames}
        for name in sorted(in_blocks):  # assigned in a branch or loop: one variable
            self.merged.add(name)
            self.current[name] = ir.Var(name, ir.Kind.USER)
            self.dynamic.add(self.current[name])
        for param, value in bound:
            if isinstance(value, gast.FunctionDef):  # a local function passed in: inlined too
                self.local_functions[renames[param]] = value
            else:
                self.assign_name(renames[param], value, at)
        body = [renamed(s, renames) for s in fdef.body]
        self.inlining.add(fdef.name)
        # a function a factory returned reads its own module and quotes its own file
        saved, self.parsed = self.parsed, getattr(fdef, "adjoint_parsed", self.parsed)
        try:
            for stmt in body:
                if isinstance(stmt, gast.Return):
                    if stmt.value is None:
                        return ir.Const(None)
                    return self.operand(stmt.value)
                self.statement(stmt)
        finally:
            self.inlining.discard(fdef.name)
            self.parsed = saved
        return ir.Const(None)

    def argument(self, node):
        """A lowered argument, or the local function a name refers to."""
        if isinstance(node, gast.Name) and node.id in self.local_functions:
            return self.local_functions[node.id]
        return self.operand(node)

    def bind_call(self, fdef, call: gast.Call, params: list) -> list:
        """(parameter, lowered argument) pairs, defaults included."""
        args = fdef.args
        positional = [a.id for a in args.posonlyargs + args.args]
        if any(isinstance(a, gast.Starred) for a in call.args) or len(call.args) > len(positional):
            raise self.unsupported(call, f"this call of the nested function {fdef.name}",
                                   "pass its parameters one by one")
        given = {name: self.argument(value) for name, value in zip(positional, call.args)}
        for keyword in call.keywords:
            if keyword.arg not in params or keyword.arg in given:
                raise self.unsupported(call, f"the keyword {keyword.arg}= in a call of {fdef.name}")
            given[keyword.arg] = self.argument(keyword.value)
        defaults = dict(zip(positional[len(positional) - len(args.defaults):], args.defaults))
        defaults.update({a.id: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
        for name in params:
            if name not in given:
                if name not in defaults:
                    raise self.unsupported(call, f"a call of {fdef.name} without its argument {name}")
                given[name] = self.operand(defaults[name])
        return [(name, given[name]) for name in params]


def renamed(node, renames: dict):
    """A copy of `node` with every name in `renames` replaced (inlined functions' locals,
    comprehension variables, which Python scopes apart). The one renamer of the lowering."""
    node = copy.deepcopy(node)
    for child in gast.walk(node):
        if isinstance(child, gast.Name) and child.id in renames:
            child.id = renames[child.id]
    return node


def lambda_as_def(name: str, node: gast.Lambda):
    """f = lambda x: e  ->  def f(x): return e"""
    body = gast.copy_location(gast.Return(value=node.body), node)
    return gast.copy_location(gast.FunctionDef(name=name, args=node.args, body=[body],
                                               decorator_list=[], returns=None, type_comment=None,
                                               type_params=[]), node)
