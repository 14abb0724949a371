"""How the numba backend's gradients call adjoint's numba helpers: through the address
of the helper's machine code, not by linking the helper's code into the gradient.

numba compiles each helper (unbroadcast, expand_to, the reductions, ...) on its own,
caches it on disk (numba_cache.py), and, by default, then links a copy of the helper's
LLVM code into every function that calls it, to let LLVM inline it there: the gradient's
module is then several times its own size, and LLVM optimises and generates machine code
for all of it again on every first call (measured: 60-70% of the first call). A helper
that takes or returns an array does work that dwarfs a call, so the gradient calls such
a helper where numba already put its machine code, as numba's first-class functions do
(same calling convention: arrays, reference counts and exceptions work as in a linked
call). Calls on numbers only stay linked, so LLVM can still inline them in a loop.

The address is fixed for the life of the process: that is sound because the gradients
are never cached (numba.py) and the helper's dispatcher, which owns the machine code,
is kept alive by numba for as long as its overload is registered (for ever). The helpers
themselves call one another the usual way, so what numba caches holds no address.

This leans on numba's internals (Lower._lower_call_normal and lower_expr, the overload
templates' _impl_cache and _overload_func, CompileResult.library; written for numba
0.68). Where they are not as expected, the gradients are compiled with numba's own
pipeline (slower first calls, same numbers): SUPPORTED is False when they are missing
at import, and a call whose helper cannot be found the expected way is lowered by numba.
"""
from __future__ import annotations

from typing import NamedTuple

import numba
from numba.core import cgutils, types

from .numba_elementwise import plan

try:
    from numba.core.compiler import CompilerBase, DefaultPassBuilder
    from numba.core.compiler_machinery import register_pass
    from numba.core.imputils import fix_returning_optional, impl_ret_new_ref
    from numba.core.lowering import Lower
    from numba.core.typed_passes import NativeLowering
    SUPPORTED = all(hasattr(Lower, name) for name in (
        "_lower_call_normal", "lower_expr", "fold_call_args", "loadvar", "decref", "typeof")) \
        and isinstance(getattr(NativeLowering, "lowering_class", None), property)
except ImportError:  # another numba's layout: its own pipeline (module docstring)
    SUPPORTED = False

OURS = "adjoint.backends."
NO_CFUNC = {"no_cfunc_wrapper": True}  # called from Python and numba code, never from C  # the modules whose helpers are called by address


def njit(function):
    """numba.njit(function), with the pipeline below where numba's internals allow it."""
    if SUPPORTED:
        return numba.njit(function, pipeline_class=GradientCompiler, **NO_CFUNC)
    return numba.njit(function, **NO_CFUNC)


class GradientLower(Lower if SUPPORTED else object):
    """numba's lowering, except for calls of adjoint's array helpers (module docstring)."""

    def _lower_call_normal(self, fnty, expr, signature):
        callee = _quietly(lambda: callee_of(helper_compiled(fnty, signature)))
        if callee is None:
            return super()._lower_call_normal(fnty, expr, signature)
        args = self.fold_call_args(fnty, signature, expr.args, expr.vararg, expr.kws)
        return call_by_address(self.context, self.builder, callee, signature, args)

    def lower_expr(self, resty, expr):
        if expr.op == "arrayexpr":
            steps = _quietly(lambda: plan(expr.expr, self.typeof))
            callees = _quietly(lambda: [callee_of(step.compiled) for step in steps or ()])
            if steps and callees and None not in callees and steps[-1].type == expr.ty:
                return self._lower_steps(steps, callees)
        return super().lower_expr(resty, expr)

    def _lower_steps(self, steps: list, callees: list):
        """The result of an array expression's steps (numba_elementwise.plan), a new
        reference; the temporaries it made on the way are released."""
        results, owned = [], set()
        for index, step in enumerate(steps):
            args = [self._lower_operand(operand, results) for operand in step.operands]
            args.append(self.context.get_constant_generic(self.builder, types.none, None)
                        if step.out is None else results[step.out])
            results.append(call_by_address(self.context, self.builder, callees[index],
                                           callees[index].signature, args))
            owned.add(index)
            if step.out is not None:  # the result holds its own reference to it
                self.decref(steps[step.out].type, results[step.out])
                owned.discard(step.out)
        for index in sorted(owned - {len(steps) - 1}):
            self.decref(steps[index].type, results[index])
        return results[-1]

    def _lower_operand(self, operand, results: list):
        if operand.kind == "step":
            return results[operand.what]
        if operand.kind == "const":
            return self.context.get_constant_generic(self.builder, operand.type, operand.what)
        value = self.loadvar(operand.what)
        return self.context.cast(self.builder, value, self.typeof(operand.what), operand.type)


def _quietly(find):
    """find(), or None where it fails: numba's internals are not what this module
    expects, and numba's own lowering then does the call (nothing emitted yet)."""
    try:
        return find()
    except Exception:  # noqa: BLE001 - any failure: numba's lowering, same numbers
        return None


if SUPPORTED:
    @register_pass(mutates_CFG=True, analysis_only=False)
    class GradientLowering(NativeLowering):
        _name = "adjoint_gradient_lowering"

        @property
        def lowering_class(self):
            return GradientLower

    class GradientCompiler(CompilerBase):
        """numba's nopython pipeline with GradientLowering in place of its lowering pass
        (numba's documented way to customise the compiler: njit(pipeline_class=...))."""

        def define_pipelines(self):
            manager = DefaultPassBuilder.define_nopython_pipeline(self.state)
            manager.passes = [(GradientLowering if cls is NativeLowering else cls, text)
                              for cls, text in manager.passes]
            manager.finalize()
            return [manager]


def helper_compiled(fnty, signature):
    """The compile result a call runs when it is an adjoint helper's on arrays; else None."""
    if not any(isinstance(t, types.Array) for t in (*signature.args, signature.return_type)):
        return None
    if isinstance(fnty, types.Dispatcher):
        dispatchers = [fnty.dispatcher]
    elif isinstance(fnty, types.Function):
        dispatchers = [disp for template in fnty.templates
                       if _is_ours(getattr(template, "_overload_func", None))
                       for disp, _ in getattr(template, "_impl_cache", {}).values()
                       if disp is not None]
    else:
        return None
    key = fnty.get_impl_key(signature)
    for dispatcher in dispatchers:
        if not _is_ours(getattr(dispatcher, "py_func", None)):
            continue
        for compiled in dispatcher.overloads.values():
            if compiled.entry_point is key:
                return compiled
    return None


def _is_ours(function) -> bool:
    return getattr(function, "__module__", "").startswith(OURS)


class Callee(NamedTuple):
    """What a call by address needs of a helper's compile result, read from numba's
    internals before the call's code is emitted (so a failure emits nothing)."""
    address: int
    restype: object
    argtypes: tuple
    signature: object


def callee_of(compiled) -> Callee | None:
    if compiled is None:
        return None
    fndesc = compiled.fndesc
    address = compiled.library.get_pointer_to_function(fndesc.llvm_func_name)
    if not isinstance(address, int) or not address:
        return None
    return Callee(address, fndesc.restype, tuple(fndesc.argtypes), compiled.signature)


def call_by_address(context, builder, callee: Callee, signature, args):
    """A call of `callee` through its machine code's address, as numba calls a linked
    function (status check, optional return, a new reference for the caller)."""
    pointer_type = context.call_conv.get_function_type(callee.restype, callee.argtypes).as_pointer()
    function = builder.inttoptr(context.get_constant(types.uintp, callee.address), pointer_type)
    status, value = context.call_conv.call_function(builder, function, callee.restype,
                                                    callee.argtypes, args)
    with cgutils.if_unlikely(builder, status.is_error):
        context.call_conv.return_status_propagate(builder, status)
    value = fix_returning_optional(context, builder, signature, status, value)
    return impl_ret_new_ref(context, builder, callee.restype, value)
