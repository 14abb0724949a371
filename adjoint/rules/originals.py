"""The library functions adjoint's own rules were written against, kept as they were when
the rules were registered.

A rule body names what it calls through modules (`-g * math.sin(x)`, `np.exp(x)`), and its
body is pasted into generated code when first needed. A program that rebinds one of those
names before then (`math.sin = math.cos`) must not change what adjoint's rules compute:
when a rule body is lowered, a module attribute it reads is the object the module held
when the rule was registered (lowering/lower.py asks `original_attribute`), and codegen
binds that object itself when the module now holds another. The user's own code, and
rules users register, read the live names.
"""
from __future__ import annotations

import types

_SNAPSHOTS: dict = {}  # id(module) -> (module, its namespace when a rule first read it)
_SEEN: set = set()  # id() of the rule modules' namespaces already looked through


def remember_modules(namespace: dict) -> None:
    """Keep the namespaces of the modules a rule module reads (and their submodules, for
    paths like np.linalg.norm), once each."""
    if id(namespace) in _SEEN:
        return
    _SEEN.add(id(namespace))
    for value in list(namespace.values()):
        if isinstance(value, types.ModuleType):
            _remember(value)
            for inner in list(vars(value).values()):
                if isinstance(inner, types.ModuleType) and inner.__name__.startswith(value.__name__ + "."):
                    _remember(inner)


def _remember(module: types.ModuleType) -> None:
    if id(module) not in _SNAPSHOTS:
        _SNAPSHOTS[id(module)] = (module, dict(vars(module)))


def original_attribute(module, name: str, current):
    """module.name as it was when adjoint's rules were registered (current if unknown)."""
    kept = _SNAPSHOTS.get(id(module))
    if kept is None or kept[0] is not module:
        return current
    return kept[1].get(name, current)


def is_adjoint_rule_module(namespace: dict) -> bool:
    return str(namespace.get("__name__", "")).startswith("adjoint.")
