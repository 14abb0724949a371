"""Passes over the differentiated function: each makes the code shorter, never different.

- `propagate_copies`: a gradient that is a plain copy of another is replaced by it,
      grad_s2 = grad_s3; grad_w1 = grad_s2 * x1   ->   grad_w1 = grad_s3 * x1
  except for the gradients the function returns (grad_w2 = grad_s3 stays, named).
- `remove_dead_code`: drops assignments nothing reads, as long as computing them has no
  effect (calls without a rule or a nondiff declaration are kept: they may print).

The pipeline is the explicit list `OPTIMIZATIONS`; `--no-optimize` skips it all.
"""
from __future__ import annotations

import dataclasses

from . import ir
from .registry import is_nondiff, lookup


def propagate_copies(fn: ir.Function) -> ir.Function:
    returned = set(ir.vars_in(fn.body[-1].value))
    counts: dict = {}
    for stmt in fn.body:
        for var in ir.targets(stmt):
            counts[var] = counts.get(var, 0) + 1
    mapping: dict = {}
    body = []
    for stmt in fn.body:
        stmt = ir.with_value(stmt, mapping)
        if (isinstance(stmt, ir.Assign) and isinstance(stmt.target, ir.Var)
                and stmt.target.kind in (ir.Kind.GRAD, ir.Kind.LOCAL)
                and isinstance(stmt.value, ir.Var) and counts[stmt.target] == 1
                and stmt.target not in returned):
            mapping[stmt.target] = stmt.value
            continue
        body.append(stmt)
    return _with_body(fn, body)


def remove_dead_code(fn: ir.Function) -> ir.Function:
    live = set(ir.reads(fn.body[-1]))
    kept = [fn.body[-1]]
    for stmt in reversed(fn.body[:-1]):
        defines = ir.targets(stmt)
        if isinstance(stmt, ir.Assign) and not any(v in live for v in defines) and _pure(stmt.value):
            continue
        kept.append(stmt)
        live.update(ir.reads(stmt))
    return _with_body(fn, list(reversed(kept)))


OPTIMIZATIONS = [propagate_copies, remove_dead_code]


def optimize(fn: ir.Function) -> ir.Function:
    for optimization in OPTIMIZATIONS:
        fn = optimization(fn)
    return fn


def _pure(expr) -> bool:
    if isinstance(expr, ir.Call):
        func = expr.func.value
        if lookup(func) is None and not is_nondiff(func) and not _is_library(func):
            return False
    return all(_pure(c) for c in ir.children(expr))


def _is_library(func) -> bool:
    """numpy, math and adjoint's own helpers have no side effects worth keeping."""
    module = getattr(func, "__module__", "") or ""
    return module.split(".")[0] in ("numpy", "math", "adjoint", "builtins") \
        and getattr(func, "__name__", "") not in ("print", "input", "exec", "eval", "setattr")


def _with_body(fn: ir.Function, body: list) -> ir.Function:
    return dataclasses.replace(fn, body=body)
