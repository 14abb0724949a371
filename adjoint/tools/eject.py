"""Eject: a gradient as a standalone module that needs only numpy.

`adjoint eject model.py:loss --wrt W,b -o grad_loss.py` writes the generated code (the
gradient function and the forward/backward pair of every function it differentiates
through) together with everything that code reads:

    runtime helpers (unbroadcast, seed, Grads, ...)   copied from adjoint, with the
                                                      helpers they call, transitively
    adjoint's errors                                   small stand-in classes
    modules and library objects (np, math, erf ...)   imported
    the user's plain functions (sigmoid)               copied from the user's file
    the user's constants (SCALE = 1.7, small arrays)   written out
    anything else of the user's (a class, a big array) imported by name from the user's
                                                       module (its directory on sys.path)

The text is deterministic: imports sorted, copied definitions in dependency order from
the sorted names the code reads, the gradient function last. A one-line change of the
user's function changes a few lines of the ejected module.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import math
import os
import sys
import textwrap
import types

import numpy as np

from ..pipeline import cached_callees
from ..dispatch import Specializer
from ..loader import KEEPER
from ..errors import AdjointError
from ..origin import is_installed_module, module_of
from .targets import add_target_arguments, resolve_target

_MISSING = object()
MAX_INLINE_ARRAY = 1000  # larger user arrays are imported from the user's module


def add_eject(commands) -> None:
    eject = commands.add_parser("eject", help="write the gradient code as a standalone "
                                "module that needs only numpy")
    add_target_arguments(eject)
    eject.add_argument("-o", "--output", metavar="FILE.py",
                       help="where to write the module (default: print it)")
    eject.add_argument("--value", action="store_true",
                       help="eject value_and_grad_FUNC (value and gradients) instead of grad_FUNC")
    eject.add_argument("--no-optimize", action="store_true",
                       help="keep one backward line per forward operation")


def run_eject(args) -> str:
    func, wrt, examples = resolve_target(args)
    text = eject(func, wrt, *examples, value=args.value, optimize=not args.no_optimize)
    if not args.output:
        return text
    with open(args.output, "w", encoding="utf-8") as out:
        out.write(text)
    return f"wrote {args.output}\n"


def eject(func, wrt=None, *example_args, value: bool = False, optimize: bool = True,
          label: str | None = None) -> str:
    """The source of a standalone module defining the gradient of `func` (as
    `adjoint.source(func, wrt, *example_args)` shows it) and all it needs but numpy."""
    spec = Specializer(func, wrt, optimize, value)
    key = spec.key_of(example_args) if example_args else spec.default_key()
    compiled = spec.compile_for(key)
    pieces = [_Piece(compiled.source, [compiled.function], _home_of(func))]
    for vjp in _callees(compiled.callees):
        fwd, bwd = vjp.fwd_ref.value, vjp.bwd_ref.value
        pieces.insert(len(pieces) - 1, _Piece(vjp.source, [fwd, bwd], _home_of(_user_function(vjp))))
    ejector = _Ejector({id(f): f.__name__ for p in pieces for f in p.functions})
    ejector.bind("np", np, None)  # every ejected module imports numpy as np
    for piece in pieces:
        scope = piece.functions[0].__globals__
        defined = {f.__name__ for f in piece.functions}
        for name in sorted(scope):
            if name not in ("__builtins__", KEEPER) and name not in defined:
                ejector.bind(name, scope[name], piece.home)
    label = label or f"{os.path.basename(inspect.getsourcefile(func) or '?')}:{func.__qualname__}"
    return ejector.render(pieces, label, spec.wrt_names, specialized=bool(example_args))


class _Piece:
    """One generated text, the live functions it defines, and the user's module it
    comes from (whose globals its free names were read from)."""

    def __init__(self, source: str, functions: list, home):
        self.source = source
        self.functions = functions
        self.home = home


def _callees(callees) -> list:
    """Every function differentiated through, each once, in the order `show --all` prints."""
    seen, out, pending = set(), [], list(callees)
    while pending:
        vjp = pending.pop(0)
        if id(vjp) not in seen and vjp.source:
            seen.add(id(vjp))
            out.append(vjp)
            pending += vjp.callees
    return out


def _user_function(vjp):
    for key, cached in cached_callees():
        if cached is vjp:
            return key[0]
    return None


def _home_of(func):
    """(module name, globals) of the module a user function was defined in."""
    if func is None:
        return None
    return getattr(func, "__module__", None), getattr(func, "__globals__", {})


class _Ejector:
    def __init__(self, generated: dict):
        self.generated = generated  # id(live generated function) -> its name
        self.bound: dict = {}  # name -> object
        self.imports: set = set()  # import lines
        self.user_imports: dict = {}  # user module -> sorted import names
        self.blocks: list = []  # copied definitions, dependencies first
        self.aliases: list = []  # name = other_name, after the generated functions
        self.visiting: set = set()

    # binding a name --------------------------------------------------------------------
    def bind(self, name: str, obj, home) -> None:
        """Make `name` mean `obj` in the ejected module. `home` = (module name, globals)
        where the name was read, for user objects that can only be imported."""
        if name in self.bound:
            if self.bound[name] is obj or _same_constant(self.bound[name], obj):
                return
            raise AdjointError(f"cannot eject: the name {name!r} means two different objects "
                               f"({_describe(self.bound[name])} and {_describe(obj)}); "
                               "rename one of them")
        self.bound[name] = obj
        if getattr(builtins, name, _MISSING) is obj:  # float, len: already there
            return
        if id(obj) in self.generated:
            if self.generated[id(obj)] != name:
                self.aliases.append(f"{name} = {self.generated[id(obj)]}")
        elif isinstance(obj, types.ModuleType):
            self.bind_module(name, obj)
        elif _is_literal(obj):
            self.blocks.append(f"{name} = {_literal(obj)}")
        elif module_of(obj).startswith("adjoint"):
            self.bind_adjoint(name, obj)
        elif is_installed_module(module_of(obj)) and self.bind_library(name, obj):
            pass
        elif isinstance(obj, np.ndarray) and obj.size <= MAX_INLINE_ARRAY and obj.dtype.kind in "biuf":
            self.bind("np", np, None)
            self.blocks.append(f"{name} = np.array({obj.tolist()!r}, dtype=np.{obj.dtype.name})")
        elif isinstance(obj, types.FunctionType) and self.copy_user_function(name, obj):
            pass
        else:
            self.import_from_user(name, obj, home)

    def bind_module(self, name: str, module) -> None:
        full = module.__name__
        if full.startswith("adjoint"):
            raise AdjointError(f"cannot eject: the code uses the module {full} ({name})")
        if full == name:
            self.imports.add(f"import {full}")
        elif "." in full and full.rpartition(".")[2] == name:
            self.imports.add(f"from {full.rpartition('.')[0]} import {name}")
        else:
            self.imports.add(f"import {full} as {name}")

    def bind_library(self, name: str, obj) -> bool:
        """from numpy import exp (as name); False if obj cannot be found by its names."""
        module_name = module_of(obj)
        qualname = getattr(obj, "__qualname__", getattr(obj, "__name__", None))
        for candidate in (module_name, module_name.partition(".")[0]):
            try:
                module = importlib.import_module(candidate)
            except ImportError:
                continue
            if qualname and "." not in qualname and getattr(module, qualname, None) is obj:
                as_ = "" if qualname == name else f" as {name}"
                self.imports.add(f"from {candidate} import {qualname}{as_}")
                return True
        return False

    def bind_adjoint(self, name: str, obj) -> None:
        own = getattr(obj, "__name__", name)
        if own != name:  # bound under another name: define it under its own, then alias
            self.bind(own, obj, None)
            self.blocks.append(f"{name} = {own}")
            return
        module = sys.modules[module_of(obj)]
        if isinstance(obj, type) and issubclass(obj, BaseException) and module.__name__ == "adjoint.errors":
            base = obj.__bases__[0]
            if base.__module__ == "adjoint.errors":
                self.bind(base.__name__, base, None)
            doc = (obj.__doc__ or "").strip().splitlines()[0] if obj.__doc__ else ""
            self.blocks.append(f"class {name}({base.__name__}):\n    \"\"\"Stand-in for "
                               f"adjoint's {name}: {doc}\"\"\"")
            return
        if isinstance(obj, (types.FunctionType, type)):
            source, deps, imported = _definition_source(obj)
        else:
            source, deps, imported = _assignment_source(module, name)
        self.copy(f"{module.__name__}.{name}", source, deps, {**module.__dict__, **imported}, None)

    def copy_user_function(self, name: str, func) -> bool:
        """Copy a plain user function's source (decorators of adjoint's, such as
        @adjoint.nondiff, dropped); False if it cannot be copied as it is."""
        if func.__name__ != name or func.__name__ == "<lambda>" or hasattr(func, "__wrapped__") \
                or func.__closure__:
            return False
        try:
            source, deps, _ = _definition_source(func, strip_decorator=lambda d: _from_adjoint(d, func))
        except (OSError, TypeError, _CannotCopy):
            return False
        self.copy(f"{os.path.basename(func.__code__.co_filename)}", source, deps,
                  func.__globals__, _home_of(func))
        return True

    def copy(self, where: str, source: str, deps: list, scope: dict, home) -> None:
        """Add a copied definition after the definitions it needs."""
        for dep in deps:
            if dep in scope:
                self.bind(dep, scope[dep], home)
            elif not hasattr(builtins, dep):
                raise AdjointError(f"cannot eject: {where} reads {dep!r}, which is not defined")
        self.blocks.append(f"# from {where}\n{source}")

    def import_from_user(self, name: str, obj, home) -> None:
        module_name, scope = home or (None, {})
        attr = name if scope.get(name) is obj else next(
            (k for k, v in sorted(scope.items()) if v is obj), None)
        if module_name is None or attr is None:
            raise AdjointError(f"cannot eject: do not know where {name} ({_describe(obj)}) comes from")
        if module_name.startswith("adjoint"):
            raise AdjointError(f"cannot eject: {name} is part of adjoint ({_describe(obj)})")
        self.user_imports.setdefault(module_name, set()).add(
            attr if attr == name else f"{attr} as {name}")

    # the text --------------------------------------------------------------------------
    def render(self, pieces: list, label: str, wrt: tuple, specialized: bool = False) -> str:
        lines = [f"# Gradient of {label} with respect to {', '.join(wrt)}, ejected by adjoint.",
                 "# Standalone: needs numpy, not adjoint. Generated code: edit the source and",
                 "# eject again rather than editing this file."]
        if specialized:
            lines.append("# Written for arguments like the examples (their types, and each array's "
                         "number of dimensions).")
        if self.user_imports:
            modules = ", ".join(sorted(self.user_imports))
            lines.append(f"# It imports from {modules}: put the directory of that file on "
                         "sys.path (e.g. run from it).")
        lines += ["from __future__ import annotations", ""]
        plain = sorted(i for i in self.imports if i.startswith("import "))
        froms = sorted(i for i in self.imports if i.startswith("from "))
        lines += plain + froms
        if self.user_imports:
            lines.append("")
            for module in sorted(self.user_imports):
                lines.append(f"from {module} import {', '.join(sorted(self.user_imports[module]))}")
        parts = ["\n".join(lines)] + self.blocks
        for piece in pieces:
            text = piece.source.rstrip("\n")
            for func in piece.functions:
                text += _defaults_lines(func)
            parts.append(text)
        parts += self.aliases
        return "\n\n\n".join(parts) + "\n"


class _CannotCopy(Exception):
    pass


def _definition_source(obj, strip_decorator=None):
    """(source text, names it reads, {name: object} of the relative imports in its body
    that the copy drops) of a function or class."""
    source = textwrap.dedent(inspect.getsource(obj))
    tree = ast.parse(source)
    node = tree.body[0]
    if not isinstance(node, (ast.FunctionDef, ast.ClassDef)) or node.name != obj.__name__:
        raise _CannotCopy(obj)
    lines = source.splitlines()
    drop = set()
    if node.decorator_list:
        if strip_decorator is None or not all(strip_decorator(d) for d in node.decorator_list):
            raise _CannotCopy(obj)
        drop.update(range(node.decorator_list[0].lineno - 1, node.lineno - 1))
    imported = {}
    for inner in ast.walk(node):  # `from .runtime import unbroadcast` in a body: the
        if isinstance(inner, ast.ImportFrom) and inner.level > 0:  # copied definition instead
            base = obj.__module__.rsplit(".", inner.level)[0]
            module = importlib.import_module(base + (f".{inner.module}" if inner.module else ""))
            for alias in inner.names:
                imported[alias.asname or alias.name] = getattr(module, alias.name)
            drop.update(range(inner.lineno - 1, inner.end_lineno))
    text = "\n".join(line for k, line in enumerate(lines) if k not in drop)
    try:
        ast.parse(text)
    except SyntaxError:
        raise _CannotCopy(obj) from None
    return text, sorted(set(_free_names(ast.parse(text).body[0])) | set(imported)), imported


def _assignment_source(module, name: str):
    """(source, names read) of a module-level `name = ...` in one of adjoint's modules."""
    source = inspect.getsource(module)
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                text = ast.get_source_segment(source, node)
                return text, sorted(set(_free_names(node)) - {name}), {}
    raise AdjointError(f"cannot eject: cannot find the definition of {module.__name__}.{name}")


def _free_names(node) -> list:
    """Names a definition reads from its module: read, but bound neither by itself nor
    by an enclosing function (annotations are skipped: the module never evaluates them)."""
    free: set = set()

    def walk(n, visible: frozenset) -> None:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = n.args
            for d in list(args.defaults) + [d for d in args.kw_defaults if d is not None] \
                    + list(getattr(n, "decorator_list", [])):
                walk(d, visible)
            names = {a.arg for a in args.posonlyargs + args.args + args.kwonlyargs
                     + [args.vararg, args.kwarg] if a is not None}
            body = n.body if isinstance(n.body, list) else [n.body]
            inner = visible | names | _bound_in(body)
            for stmt in body:
                walk(stmt, inner)
            return
        if isinstance(n, ast.ClassDef):
            for part in n.bases + [k.value for k in n.keywords] + n.decorator_list:
                walk(part, visible)
            class_names = visible | _bound_in(n.body)
            for stmt in n.body:  # methods do not see the class body's names
                walk(stmt, visible if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef))
                     else class_names)
            return
        if isinstance(n, ast.AnnAssign):
            walk(n.target, visible)
            if n.value is not None:
                walk(n.value, visible)
            return
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in visible:
            free.add(n.id)
        for child in ast.iter_child_nodes(n):
            walk(child, visible)

    walk(node, frozenset())
    return sorted(free)


def _bound_in(body: list) -> frozenset:
    """Names a block binds (not looking inside the functions and classes it defines)."""
    out = set()

    def walk(n):
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(n.name)
            return
        if isinstance(n, ast.Lambda):
            return
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            out.add(n.id)
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            out.update((a.asname or a.name).partition(".")[0] for a in n.names)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            out.add(n.name)
        elif isinstance(n, ast.arg):
            return
        for child in ast.iter_child_nodes(n):
            walk(child)

    for stmt in body:
        walk(stmt)
    return frozenset(out)


def _from_adjoint(decorator, func) -> bool:
    """Whether a decorator is adjoint's (adjoint.nondiff, @rule(...)): safe to drop,
    since adjoint's decorators hand back the function unchanged."""
    root = decorator.func if isinstance(decorator, ast.Call) else decorator
    while isinstance(root, ast.Attribute):
        root = root.value
    if not isinstance(root, ast.Name):
        return False
    obj = func.__globals__.get(root.id)
    return isinstance(obj, types.ModuleType) and obj.__name__.startswith("adjoint") or \
        module_of(obj).startswith("adjoint")


def _defaults_lines(func) -> str:
    out = ""
    if func.__defaults__:
        out += f"\n\n\n{func.__name__}.__defaults__ = {_literal(tuple(func.__defaults__), func)}"
    if func.__kwdefaults__:
        out += f"\n\n\n{func.__name__}.__kwdefaults__ = {_literal(dict(func.__kwdefaults__), func)}"
    return out


def _is_literal(obj) -> bool:
    if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes)):
        return type(obj) in (type(None), bool, int, float, complex, str, bytes)
    if type(obj) in (tuple, list):
        return all(_is_literal(o) for o in obj)
    if type(obj) is dict:
        return all(_is_literal(k) and _is_literal(v) for k, v in obj.items())
    return False


def _literal(obj, owner=None) -> str:
    if not _is_literal(obj):
        raise AdjointError(f"cannot eject: {_describe(owner or obj)} has a default value "
                           f"that cannot be written out: {obj!r}")
    if isinstance(obj, float) and not math.isfinite(obj):
        return f"float({str(obj)!r})"
    if type(obj) in (tuple, list):
        items = ", ".join(_literal(o) for o in obj)
        if type(obj) is list:
            return f"[{items}]"
        return f"({items},)" if len(obj) == 1 else f"({items})"
    if type(obj) is dict:
        return "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in obj.items()) + "}"
    return repr(obj)


def _same_constant(a, b) -> bool:
    return _is_literal(a) and _is_literal(b) and type(a) is type(b) and a == b


def _describe(obj) -> str:
    name = getattr(obj, "__qualname__", None) or type(obj).__name__
    return f"{module_of(obj)}.{name}" if module_of(obj) else name
