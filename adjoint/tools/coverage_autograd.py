"""The coverage table's comparison with autograd: which of the numpy/scipy functions
autograd differentiates adjoint lacks.

autograd's functions are its primitives with a VJP (autograd.core.primitive_vjps) in
its numpy and scipy namespaces, counted where the same name resolves in plain numpy or
scipy (scipy.stats.norm.logpdf, ...). "Lacks" means adjoint has neither a rule nor a
nondiff declaration for that object. Computed when autograd is importable; otherwise
docs/coverage.md keeps the lines it was last generated with.
"""
from __future__ import annotations

import importlib
import warnings

SECTION = "## Compared with autograd"
DISTRIBUTIONS = ("norm", "t", "gamma", "beta", "chi2", "poisson", "dirichlet", "multivariate_normal")
NAMESPACES = {"autograd.numpy": "numpy", "autograd.numpy.linalg": "numpy.linalg",
              "autograd.numpy.fft": "numpy.fft", "autograd.scipy.special": "scipy.special",
              "autograd.scipy.linalg": "scipy.linalg", "autograd.scipy.signal": "scipy.signal",
              "autograd.scipy.integrate": "scipy.integrate",
              **{f"autograd.scipy.stats.{d}": f"scipy.stats.{d}" for d in DISTRIBUTIONS}}


def _plain(name: str):
    if name.startswith("scipy.stats."):
        return getattr(importlib.import_module("scipy.stats"), name.rsplit(".", 1)[1])
    return importlib.import_module(name)


def autograd_functions() -> dict | None:
    """Plain dotted name -> the plain numpy/scipy object, for each function autograd
    differentiates; None when autograd (or scipy) cannot be imported."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            core = importlib.import_module("autograd.core")
            spaces = {ours: importlib.import_module(ours) for ours in NAMESPACES}
    except ImportError:
        return None
    primitives = {id(p) for p in core.primitive_vjps}
    found = {}
    for ours, plain_name in NAMESPACES.items():
        plain = _plain(plain_name)
        for attr in dir(spaces[ours]):
            if id(getattr(spaces[ours], attr)) in primitives and hasattr(plain, attr):
                found[f"{plain_name}.{attr}"] = getattr(plain, attr)
    return found


def _covered(obj, rules, nondiff) -> bool:
    try:
        return obj in rules or obj in nondiff
    except TypeError:
        return False


def comparison_lines(rules, nondiff, committed: str) -> list:
    """The section's lines: computed from autograd, or kept from the committed file."""
    functions = autograd_functions()
    if functions is None:
        start = committed.find(SECTION)
        if start < 0:
            return []
        end = committed.find("\n## ", start + 1)
        return committed[start:end if end >= 0 else None].rstrip("\n").split("\n") + [""]
    lacking = sorted(name for name, obj in functions.items() if not _covered(obj, rules, nondiff))
    lines = [SECTION, "",
             f"autograd differentiates **{len(functions)}** numpy/scipy functions that resolve in "
             "plain numpy/scipy (its primitives with a VJP); adjoint has a rule or a nondiff "
             f"declaration for **{len(functions) - len(lacking)}** of them and lacks "
             f"**{len(lacking)}**" + (":" if lacking else "."), ""]
    lines += [f"- `{name}`" for name in lacking]
    return lines + ([""] if lacking else [])
