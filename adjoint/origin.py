"""Whose code is it: the user's, or a library's? One answer for the whole compiler.

The user's own Python functions are differentiated through (reverse/calls.py), their
module attributes are guarded against rebinding (guards.py) and `adjoint eject` copies
them. Library code (numpy, scipy, the standard library, adjoint itself, ...) needs a rule
instead, is assumed not to be rebound, and is imported by ejected modules.
"""
from __future__ import annotations

import os
import sys
import sysconfig
import types

LIBRARIES = frozenset({"numpy", "scipy", "adjoint", "jax", "torch"})


def module_of(obj) -> str:
    """The name of the module `obj` comes from ('' when unknown)."""
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    module = getattr(obj, "__module__", None)
    if module is None and isinstance(obj, types.FunctionType):
        return ""  # exec'd without a module: the user's, or forward code adjoint made from it
    if not isinstance(module, str):
        module = getattr(type(obj), "__module__", "") or ""
    return module


def is_library_module(name: str) -> bool:
    """numpy, scipy, adjoint, the standard library and builtins: not the user's code."""
    top = name.partition(".")[0]
    return top in LIBRARIES or top in sys.stdlib_module_names or top in sys.builtin_module_names


def is_user_code(obj) -> bool:
    return not is_library_module(module_of(obj))


def is_installed_module(name: str) -> bool:
    """A library, or any package installed into this Python (site-packages): something an
    ejected module can import, rather than a file of the user's to copy."""
    top = name.partition(".")[0]
    if not top:
        return False
    if is_library_module(top):
        return True
    path = os.path.realpath(getattr(sys.modules.get(top), "__file__", None) or "")
    if not path:
        return False
    roots = {sysconfig.get_paths()[k] for k in ("purelib", "platlib", "stdlib", "platstdlib")}
    return any(path.startswith(os.path.realpath(r) + os.sep) for r in roots)
