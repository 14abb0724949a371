"""Whether the numba backend's helpers are cached on disk (numba's cache=True).

The helpers in numba_runtime.py, numba_reductions.py, numba_elementwise.py,
numba_matmul.py and numba_ufuncs.py are adjoint's own pure functions of their arguments,
so numba can keep their machine code between processes: the first gradient of a process
then loads them instead of compiling them (seconds). numba keys each entry by the
helper's source file and bytecode and invalidates it when that file changes; helpers
that call one another live in the same file, so a change to one invalidates its callers
too. The generated gradients themselves are never cached: they call the user's functions
and read the user's globals, which numba's cache would not see change.

On an empty cache (a new machine, a new numba or adjoint) the first gradient compiles
every helper it calls: seconds (4-8 s for an MLP or an RNN). `adjoint numba-warm`
(tools/numba_warm.py) pays that once, ahead of time, for the common argument types.

Where numba has nowhere to write (a read-only install without a user cache directory),
cache=True would fail at compile time; CACHE is then False and the helpers compile in
each process.

OVERLOAD and NJIT are the options every helper is compiled with: besides the cache, no
wrappers for calls from Python or C (numba's cfunc wrapper; an njit function's CPython
wrapper): only numba code calls the helpers, and each wrapper is a function LLVM
optimises and generates machine code for (a third of a small helper's compile time).
So an njit helper called from Python does not raise but crashes: call it from njit code.
"""
from __future__ import annotations

from numba.core.caching import FunctionCache


def _cache_available() -> bool:
    try:
        FunctionCache(_cache_available)  # raises when no cache location is usable
    except Exception:  # noqa: BLE001 - any failure: compile without the disk cache
        return False
    return True


CACHE = _cache_available()


def cache_path() -> str:
    """The folder numba writes the helpers' cache to (numba's choice: NUMBA_CACHE_DIR, else
    beside the source files or in a user cache folder); "unknown" where numba does not say."""
    try:
        return str(FunctionCache(_cache_available)._cache_path)
    except Exception:  # noqa: BLE001 - a private numba attribute: only for the message
        return "unknown"

OVERLOAD = {"cache": CACHE, "no_cfunc_wrapper": True}  # numba's overloads have no CPython wrapper
NJIT = {**OVERLOAD, "no_cpython_wrapper": True}
