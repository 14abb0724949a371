"""The coverage table: every function with a gradient rule, generated from the registry.

    python -m adjoint.tools.coverage            # rewrite docs/coverage.md
    python -m adjoint.tools.coverage --check    # exit 1 if docs/coverage.md is out of date
    python -m adjoint.tools.coverage --stdout   # print instead of writing

Functions are named by where users find them (np.abs, np.linalg.norm,
scipy.special.expit); other public names bound to the same object are listed as
aliases, and every object is counted once. Each section quotes its rule module's
docstring (the conventions at kinks and the limits), and each row the rule's own
docstring where it has one.
"""
from __future__ import annotations

import argparse
import builtins
import importlib
import importlib.util
import inspect
import math
import operator
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..rules import BUILTIN_NONDIFF as NONDIFF, BUILTIN_RULES as RULES
from ..rules.registry import display_name, load_lazy_families
from .coverage_autograd import comparison_lines

DOC = Path(__file__).resolve().parents[2] / "docs" / "coverage.md"

# Peers' counts of distinct numpy functions with gradient rules (the issue's figures:
# autograd's numpy_vjps/linalg tables, Tangent's grads.py).
PEERS = {"autograd": 116, "Tangent": 25}

NOT_YET = ("np.linalg.qr / lstsq", "np.quantile, np.percentile", "np.cov, np.corrcoef",
           "np.meshgrid, np.broadcast_arrays", "scipy.integrate.odeint",
           "complex inputs to the differentiated function (complex intermediates are supported)")


@dataclass
class Entry:
    key: object
    name: str
    aliases: list
    group: str  # numpy, scipy.special, math, builtins, operator, attribute
    module: str  # the rules module, e.g. adjoint/rules/unary.py
    note: str


def _namespaces():
    spaces = [("np", np), ("np.linalg", np.linalg), ("np.fft", np.fft), ("math", math),
              ("builtins", builtins), ("operator", operator)]
    for name in ("scipy.special", "scipy.linalg", "scipy.signal"):
        try:
            spaces.append((name, importlib.import_module(name)))
        except ImportError:
            pass
    return spaces


def public_names() -> dict:
    """id(object) -> every public dotted name bound to it in the namespaces above."""
    names: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for prefix, space in _namespaces():
            for attr in dir(space):
                if attr.startswith("_"):
                    continue
                try:
                    obj = getattr(space, attr)
                except Exception:  # some lazy attributes fail on access
                    continue
                if callable(obj) and not inspect.ismodule(obj) and not inspect.isclass(obj):
                    names.setdefault(id(obj), []).append(f"{prefix}.{attr}")
    return names


def _group(name: str) -> str:
    if name.startswith("scipy."):
        return "scipy.linalg and scipy.signal" if name.split(".")[1] in ("linalg", "signal") \
            else ".".join(name.split(".")[:2])
    head = name.split(".")[0]
    return {"np": "numpy", "math": "math", "builtins": "builtins",
            "operator": "operator"}.get(head, "other")


OPERATOR_SYNTAX = {operator.add: "a + b", operator.sub: "a - b", operator.mul: "a * b",
                   operator.truediv: "a / b", operator.pow: "a ** b", operator.matmul: "a @ b",
                   operator.neg: "-a", operator.pos: "+a", operator.mod: "a % b",
                   operator.getitem: "x[index]"}


def _primary(key, candidates: list) -> tuple[str, list]:
    """The name users know the object by, and its other names."""
    own = getattr(key, "__name__", None)

    def rank(name):
        prefix, _, attr = name.rpartition(".")
        return (attr != own, prefix.count("."), len(attr), name)
    ordered = sorted(candidates, key=rank)
    return ordered[0], ordered[1:]


def _note(func) -> str:
    doc = inspect.getdoc(func) or ""
    return " ".join(doc.split())


def collect() -> list:
    load_lazy_families()  # scipy.stats registers on first use; the table lists it too
    names = public_names()
    entries = []
    for key, rule in RULES.items():
        module = "adjoint/" + rule.func.__module__.split("adjoint.", 1)[-1].replace(".", "/") + ".py"
        if isinstance(key, str):
            entries.append(Entry(key, f"x{key}", [], "attribute", module, _note(rule.func)))
            continue
        candidates = [n for n in names.get(id(key), []) if not n.split(".")[-1].startswith("__")]
        if key in OPERATOR_SYNTAX:
            name, aliases = OPERATOR_SYNTAX[key], []
            group = "operator"
        elif candidates:
            name, aliases = _primary(key, candidates)
            group = _group(name)
        else:  # a distribution's method (scipy.stats.norm.logpdf), np.r_, ...
            name, aliases = display_name(key), []
            group = _group(name)
        entries.append(Entry(key, name, [a.split(".", 1)[1] if a.startswith("builtins.") else a
                                         for a in aliases], group, module, _note(rule.func)))
    return entries


def versions() -> str:
    """The library versions the table was generated with (aliases differ between them)."""
    parts = [f"numpy {np.__version__}"]
    try:
        parts.append(f"scipy {importlib.import_module('scipy').__version__}")
    except ImportError:
        parts.append("without scipy")
    return ", ".join(parts)


def counts(entries) -> dict:
    out: dict = {}
    for entry in entries:
        out[entry.group] = out.get(entry.group, 0) + 1
    return out


def _nondiff_names() -> list:
    load_lazy_families()
    names = public_names()
    rows = []
    for key, reason in NONDIFF.items():
        if isinstance(key, str):
            rows.append((f"x{key}", reason))
            continue
        candidates = [n for n in names.get(id(key), []) if not n.split(".")[-1].startswith("__")]
        if key in (operator.floordiv, operator.not_, operator.invert):
            candidates = [{operator.floordiv: "a // b", operator.not_: "not a",
                           operator.invert: "~a"}[key]]
        name = _primary(key, candidates)[0] if candidates else getattr(key, "__name__", repr(key))
        rows.append((name.replace("builtins.", ""), reason))
    return sorted(rows)


def render() -> str:
    entries = collect()
    by_group = counts(entries)
    numpy_count = by_group.get("numpy", 0)
    scipy_count = by_group.get("scipy.special", 0)
    lines = ["# Gradient coverage", "",
             "Generated from the rule registry by `python -m adjoint.tools.coverage`; do not edit by hand.",
             f"({versions()}.)",
             "Every function below has a gradient rule that is tested on its own against finite",
             "differences (tests/test_rules_*.py); tests/test_registry.py fails when a rule has no test.",
             "", "## Counts", "",
             "| | distinct functions with rules |", "|---|---|",
             f"| numpy (incl. numpy.linalg) | **{numpy_count}** |",
             f"| scipy.special | {scipy_count} |",
             f"| numpy + scipy.special | **{numpy_count + scipy_count}** |"]
    for group in ("scipy.stats", "scipy.linalg and scipy.signal", "math", "builtins", "operator",
                  "attribute", "other"):
        if by_group.get(group):
            label = {"operator": "Python operators and indexing", "attribute": "array attributes",
                     "builtins": "builtins"}.get(group, group)
            lines.append(f"| {label} | {by_group[group]} |")
    lines += [f"| **all rules** | **{len(entries)}** |",
              f"| declared without gradient (`nondiff`) | {len(NONDIFF)} |", "",
              "For comparison, distinct numpy functions with rules: "
              + ", ".join(f"{peer} {n}" for peer, n in PEERS.items()) + ".",
              "Aliases (the same object under another name, e.g. `np.absolute` for `np.abs`) are "
              "counted once; numpy 2's array-API functions (`np.linalg.matmul`, `np.vecdot`, ...) "
              "are distinct objects with their own conventions and count separately.", ""]
    lines += comparison_lines(RULES, NONDIFF, DOC.read_text() if DOC.exists() else "")
    modules: dict = {}
    for entry in entries:
        modules.setdefault(entry.module, []).append(entry)
    for module in sorted(modules, key=_module_order):
        lines += _section(module, modules[module])
    lines += ["## Without gradient", "",
              "Calls of these on differentiable values end the gradient's path (declared with "
              "`adjoint.nondiff`). Any other function without a rule is an error naming it and "
              "the line, with how to add a rule.", "",
              "| function | why |", "|---|---|"]
    lines += [f"| `{name}` | {reason} |" for name, reason in _nondiff_names()]
    lines += ["", "## Not yet covered", ""] + [f"- {item}" for item in NOT_YET]
    lines += ["", "Add a rule for your own function with `@adjoint.rule(f)`; see "
              "adjoint/registry.py.", ""]
    return "\n".join(lines)


ORDER = ["operators", "scalar", "unary", "binary", "reductions", "linalg", "decompositions",
         "shaping", "arrays", "selection", "signal", "fft", "complex", "special", "special_more",
         "stats", "scipy_linalg"]


def _module_order(module: str):
    stem = Path(module).stem
    return (ORDER.index(stem) if stem in ORDER else len(ORDER), module)


def _section(module: str, entries: list) -> list:
    mod = sys.modules.get("adjoint." + module[len("adjoint/"):-3].replace("/", "."))
    doc = inspect.getdoc(mod) or ""
    title, _, rest = doc.partition("\n\n")
    lines = [f"## {' '.join(title.split()).rstrip('.')}", "", f"Rules in `{module}` ({len(entries)}).", ""]
    if rest.strip():
        lines += [rest.strip(), ""]
    lines += ["| function | aliases | limits and notes |", "|---|---|---|"]
    for entry in sorted(entries, key=lambda e: e.name.lower()):
        aliases = ", ".join(f"`{a}`" for a in entry.aliases)
        lines.append(f"| `{entry.name}` | {aliases} | {entry.note} |")
    return lines + [""]


def _versions_line(text: str) -> str:
    line = next((ln for ln in text.splitlines() if ln.startswith("(numpy ")), "")
    return line.strip("().")


def _sections(text: str) -> list:
    """The headings and rule-module lines of a table, without counts."""
    return [ln.split(" (")[0] for ln in text.splitlines() if ln.startswith(("## ", "Rules in `"))]


OPTIONAL = ("scipy",)  # libraries whose rules are registered only where they are installed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m adjoint.tools.coverage", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    parser.add_argument("--stdout", action="store_true", help="print instead of writing")
    parser.add_argument("--output", type=Path, default=DOC)
    args = parser.parse_args(argv)
    text = render()
    if args.stdout:
        sys.stdout.write(text)
        return 0
    if args.check:
        current = args.output.read_text() if args.output.exists() else ""
        if _versions_line(current) != _versions_line(text):
            # Aliases and a few functions come and go between numpy/scipy releases, so a table
            # made with other versions can only be checked for its rule modules' sections.
            print(f"{args.output} was generated with {_versions_line(current) or 'unknown versions'}, "
                  f"this is {_versions_line(text)}: checking its sections only")
            current, text = _sections(current), _sections(text)
        if current != text:
            print(f"{args.output} is out of date: run python -m adjoint.tools.coverage", file=sys.stderr)
            return 1
        return 0
    missing = [name for name in OPTIONAL if importlib.util.find_spec(name) is None]
    if missing and args.output == DOC:  # the table would lose their rules: never shrink it
        print(f"not writing {args.output}: {', '.join(missing)} is not installed, so its rules "
              "would be left out (pip install '.[test]' first)", file=sys.stderr)
        return 1
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    entries = collect()
    by_group = counts(entries)
    print(f"wrote {args.output}: {len(entries)} rules ({by_group.get('numpy', 0)} numpy, "
          f"{by_group.get('scipy.special', 0)} scipy.special), {len(NONDIFF)} without gradient")
    return 0


if __name__ == "__main__":
    sys.exit(main())
