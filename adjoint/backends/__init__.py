"""Backends: what turns generated gradient code into the function that runs.

The default, "python", execs the text codegen printed (loader.py). "numba" (opt-in,
`pip install 'adjoint[numba]'`) rewrites that text so numba can type it and compiles it
with numba.njit (backends/numba.py, with the numba versions of the runtime helpers in
backends/numba_runtime.py). numba is imported only when a gradient asks for it.
"""
from __future__ import annotations

import importlib

from ..errors import BadArguments

BACKENDS = ("python", "numba")


def check_backend(backend: str) -> None:
    """Refuse an unknown backend, or numba when it is not installed, before compiling."""
    if backend not in BACKENDS:
        raise BadArguments(f"unknown backend {backend!r}; the backends are "
                           + ", ".join(repr(b) for b in BACKENDS))
    if backend == "numba":
        numba_backend()


def numba_backend():
    """adjoint.backends.numba, imported on first use: numba is an optional dependency
    and takes a second to import."""
    try:
        return importlib.import_module(".numba", __name__)
    except ImportError as error:
        if getattr(error, "name", None) not in ("numba", "scipy") and "numba" not in str(error):
            raise
        raise BadArguments("backend='numba' needs numba (and scipy for @): "
                           "pip install 'adjoint[numba]'") from None


def compile_functions(backend: str, generated, functions: list, label: str,
                      user_function=None, entry: bool = False) -> tuple[str, dict]:
    """(source, {name: callable}) for the functions `generated` holds: for "numba", the
    rewritten source and njit-compiled functions. `functions` are their ir.Functions; the
    first takes the parameters, and so the defaults, of `user_function`; `entry`: it is the
    gradient entry_point calls (its gradients go straight to the caller)."""
    module = numba_backend()
    own_origins = {fn.origin for fn in functions}
    placeholders = {line for line, (origin, _) in generated.origins.items() if origin in own_origins}
    source, namespace = module.rewrite(generated.source, generated.namespace, placeholders,
                                     functions[0].name if entry else None)
    defaults = {functions[0].name: (getattr(user_function, "__defaults__", None),
                                    getattr(user_function, "__kwdefaults__", None))}
    return source, module.load(source, [fn.name for fn in functions], namespace,
                               generated.origins, label, defaults)


def entry_point(backend: str, compiled, function_name: str):
    """What the dispatcher calls for a compiled top-level gradient: errors of the
    backend's own compiler (numba types the code on the first call) become AdjointErrors."""
    return numba_backend().entry_point(compiled, function_name)
