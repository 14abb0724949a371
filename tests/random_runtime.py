"""Running generated programs (tests/random_programs.py) outside adjoint.

`tame(program)` runs a candidate once in plain Python with every comparison instrumented
and float errors raised: a candidate that overflows, grows large, or has a comparison
within MIN_MARGIN of flipping (where finite differences would straddle a kink) is not
tame. `load` writes a program to a module file and imports it, so adjoint can read its
source.
"""
from __future__ import annotations

import ast
import importlib.util
import os
import sys
import warnings
from dataclasses import dataclass

import numpy as np

MIN_MARGIN = 1e-3
MAX_VALUE = 1e4


@dataclass
class Program:
    seed: int
    attempt: int
    source: str
    args: tuple
    wrt: tuple

    def describe(self) -> str:
        return f"seed {self.seed} (attempt {self.attempt}), wrt {self.wrt}:\n{self.source}"


class _Probe(ast.NodeTransformer):
    """Rewrites `a < b` as `_probe(a, b) < b`, so a run records how close each
    comparison came to flipping."""

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1:
            call = ast.Call(ast.Name("_probe", ast.Load()), [node.left, node.comparators[0]], [])
            node.left = call
        return node


def tame(program: Program) -> bool:
    tree = ast.fix_missing_locations(_Probe().visit(ast.parse(program.source)))
    margins = []

    def probe(left, right):
        if not isinstance(left, (int, np.integer)) or not isinstance(right, (int, np.integer)):
            margins.append(float(np.min(np.abs(np.asarray(left, float) - right))))
        return left
    namespace = {"_probe": probe}
    with np.errstate(all="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            exec(compile(tree, "<probe>", "exec"), namespace)
            value = namespace["f"](*copy_args(program.args))
        except (FloatingPointError, OverflowError, RuntimeWarning, ValueError):
            return False  # math.exp overflow, log of a negative: not tame
    return (np.ndim(value) == 0 and abs(float(value)) < MAX_VALUE
            and all(m >= MIN_MARGIN for m in margins))


def copy_args(args) -> list:
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


def load(program: Program, directory: str):
    """Write the program to a module file in `directory`, import it and return its `f`."""
    name = f"randprog_{program.seed}_{program.attempt}"
    path = os.path.join(directory, name + ".py")
    with open(path, "w") as out:
        out.write(program.source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[name]  # thousands of programs: keep none alive longer than needed
    return module.f
