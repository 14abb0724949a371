"""Entry points: the one Python function a call of a gradient runs.

For each signature of argument types, the Specializer (dispatch.py) makes an entry: a
function with the user's own parameters whose first statement checks, inline, that the
arguments have the types the code was compiled for and that nothing the code assumed
has been rebound since (guards.py); if anything differs, the call goes to the slow path,
which finds or compiles the right code. Otherwise the entry runs the gradient itself:
for generated Python code, the generated statements are spliced into the entry, so one
frame does both the check and the work. (A separate dispatcher frame with a generic
check cost as much as a few-line gradient of floats: the lecture neuron ran 1.4x its
hand-written backward.) Other backends get an entry that calls the compiled function.

The spliced statements keep the lines and columns they have in the text `.source`
shows, and the entry is compiled under that text's file name, so tracebacks, pdb and
the notes on exceptions (runtime/debug.py) point at exactly the shown lines; the
entry's own statements (the check, the exception handlers) all sit on the `def` line.
"""
from __future__ import annotations

import ast
import inspect
import sys
import types

import numpy as np

from .errors import AdjointError, NonScalarOutput
from .guards import AttributeTable, CellTable
from .lowering.frontend import MISSING
from .lowering.statics import key_ranks
from .runtime.debug import internal_error, note_origin
from .runtime.python import left_open

# raised while checking when a guarded name was deleted, a cell emptied, an attribute removed
GUARD_ERRORS = (LookupError, ValueError, AttributeError)


class EntryWriter:
    """Writes entries for one user function: its signature, and the private prefix no
    name of the entry's (its parameters, the generated code's names) starts with."""

    def __init__(self, func, name: str, slow, located):
        self.func = func
        signature = inspect.signature(func)
        self.name = name
        self.slow, self.located = slow, located
        self.params = [p.replace(default=p.empty, annotation=p.empty)
                       for p in signature.parameters.values()]
        self.param_text = str(signature.replace(parameters=self.params,
                                                return_annotation=inspect.Signature.empty))[1:-1]
        self.call_text = ", ".join(_passed(p) for p in self.params)

    def front_text(self, prefix: str, bound: int) -> str:
        """A function with f's signature less its first `bound` parameters (a method's
        object, passed as {prefix}bound0, ...), passing each call on to {prefix}current."""
        params = self.params[bound:]
        text = str(inspect.Signature(params))[1:-1]
        passed = ", ".join([f"{prefix}bound{k}" for k in range(bound)] + [_passed(p) for p in params])
        return f"def {self.name}({text}):\n    return {prefix}current({passed})\n"

    def write(self, prefix: str, checks: list, impl, body_of=None, scope=None) -> types.FunctionType:
        """An entry that runs `impl` (or, with `body_of` = (source, filename), the
        statements of the function `impl` is, spliced in) when every check holds.
        `scope`: the names the checks read (prefixed), added to impl's namespace."""
        P = prefix
        text = (f"def {self.name}({self.param_text}):\n"
                f"    try:\n"
                f"        {P}fresh = {' and '.join(checks) or 'True'}\n"
                f"    except {P}GUARD_ERRORS:\n"
                f"        {P}fresh = False\n"
                f"    if not {P}fresh:\n"
                f"        return {P}slow({self.call_text})\n"
                f"    try:\n"
                f"        return {P}impl({self.call_text})\n"
                f"    except {P}NonScalarOutput as {P}error:\n"
                f"        raise {P}located({P}error, {P}impl) from None\n"
                f"    except Exception as {P}error:\n"
                f"        {P}left_open({P}error)\n"
                f"        {P}note({P}error)\n"
                f"        {P}bug = {P}internal({P}error)\n"
                f"        if {P}bug is not None:\n"
                f"            raise {P}bug from {P}error\n"
                f"        raise\n")
        namespace = dict(impl.__globals__) if body_of else {}
        namespace.update(scope or {})
        namespace.update({P + "GUARD_ERRORS": GUARD_ERRORS, P + "slow": self.slow,
                          P + "impl": impl, P + "located": self.located,
                          P + "NonScalarOutput": NonScalarOutput, P + "left_open": left_open,
                          P + "note": note_origin, P + "internal": internal_error})
        tree = ast.parse(text)
        filename = f"<adjoint entry {self.name}>"
        if body_of is not None:
            spliced = _splice(tree.body[0], *body_of, impl.__name__)
            if spliced:
                filename = body_of[1]
        exec(compile(tree, filename, "exec"), namespace)
        entry = namespace[self.name]
        entry.__defaults__ = getattr(self.func, "__defaults__", None)
        entry.__kwdefaults__ = getattr(self.func, "__kwdefaults__", None)
        return entry


def _splice(entry: ast.FunctionDef, source: str, filename: str, name: str) -> bool:
    """Put the statements of the generated function `name` (from `source`) in place of
    the entry's call of it, keeping their positions; the entry's own nodes move to the
    generated `def` line. False (and nothing changed) if the parameters differ."""
    generated = next((node for node in ast.parse(source, filename).body
                      if isinstance(node, ast.FunctionDef) and node.name == name), None)
    if generated is None or ast.dump(generated.args) != ast.dump(entry.args):
        return False
    line = generated.lineno
    width = len(source.splitlines()[line - 1])
    for node in ast.walk(entry):
        if hasattr(node, "lineno"):
            node.lineno = node.end_lineno = line
            node.col_offset, node.end_col_offset = 0, width
    entry.body[-1].body = generated.body  # the try's `return impl(...)`
    return True


def type_checks(prefix: str, params: list, key: tuple, scalar_types: tuple, wrt: dict,
                packed: dict) -> tuple:
    """(checks, scope): that each argument has the type in `key`, and that each argument
    differentiated that is not a number holds floats (as check_differentiable says).
    `packed`: parameter name -> its part of the key, for those the code spreads (f(*xs),
    f(**d)), whose lengths or keys are in the key too."""
    P, checks = prefix, []
    scope = {P + "type": type}
    ndims = key_ranks(key)
    for k, (param, kind) in enumerate(zip(params, key)):
        scope[f"{P}t{k}"] = kind
        if param.name in packed:
            scope[f"{P}packed{k}"] = packed[param.name]
            checks.append(f"{P}packed{k}({param.name}) == {P}t{k}")
        elif param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue  # always a tuple, a dict: their contents are not in the key
        else:
            checks.append(f"{P}type({param.name}) is {P}t{k}")
        if k < len(ndims) and ndims[k] is not None:  # the code may rely on it (an array
            checks.append(f"{param.name}.ndim == {ndims[k]}")  # spread, f(*x), too)
        if param.name not in wrt or isinstance(kind, type) and issubclass(kind, scalar_types):
            continue
        if kind is np.ndarray:
            checks.append(f"{param.name}.dtype.kind == 'f'")
        else:  # containers, duck arrays, objects: the full check (slow, but rare)
            scope[f"{P}valid{k}"] = wrt[param.name]
            checks.append(f"{P}valid{k}({param.name})")
    return checks, scope


def guard_checks(prefix: str, guards) -> tuple:
    """(checks, scope): that each guard's (table, key) still reads its object."""
    P, checks = prefix, []
    scope = {P + "M": MISSING, P + "getattr": getattr}
    for k, (table, key, obj) in enumerate(guards):
        scope[f"{P}g{k}"], scope[f"{P}o{k}"] = table, obj
        if isinstance(table, CellTable):
            scope[f"{P}g{k}"] = table.cell
            checks.append(f"{P}g{k}.cell_contents is {P}o{k}")
        elif isinstance(table, AttributeTable):
            scope[f"{P}g{k}"] = table.owner
            checks.append(f"{P}getattr({P}g{k}, {key!r}, {P}M) is {P}o{k}"
                          if not key.isidentifier() or obj is MISSING else f"{P}g{k}.{key} is {P}o{k}")
        elif obj is not MISSING and _plain_module(table) is not None and key.isidentifier():
            scope[f"{P}g{k}"] = _plain_module(table)  # mod.name: Python caches where it is
            checks.append(f"{P}g{k}.{key} is {P}o{k}")
        elif obj is not MISSING and isinstance(table, (dict, types.MappingProxyType)):
            checks.append(f"{P}g{k}[{key!r}] is {P}o{k}")  # a subscript is cheaper than .get
        else:  # a builtin, or a name not defined yet
            checks.append(f"{P}g{k}.get({key!r}, {P}M) is {P}o{k}")
    return checks, scope


def _plain_module(table):
    """The module whose namespace `table` is, when reading its attributes is a plain
    namespace lookup (no module __getattr__, which Python cannot cache past): else None."""
    if not isinstance(table, dict) or "__getattr__" in table:
        return None
    module = sys.modules.get(table.get("__name__"))
    return module if isinstance(module, types.ModuleType) and vars(module) is table else None


def valid_check(check):
    """check(value) raises AdjointError for a value that cannot be differentiated: as a
    test that is True or False (the slow path then raises the error)."""
    def valid(value) -> bool:
        try:
            check(value)
        except AdjointError:
            return False
        return True
    return valid


def _passed(p: inspect.Parameter) -> str:
    """How an entry passes a parameter on: x, k=k, *args, **kwargs."""
    if p.kind is p.KEYWORD_ONLY:
        return f"{p.name}={p.name}"
    return {p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name
