"""Helpers shared by the test modules (imported as `helpers`; conftest puts tests/ on sys.path)."""
from __future__ import annotations

import importlib
import importlib.util
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def load_example(name: str):
    """Import examples/<name>.py as a module (the examples directory is not a package)."""
    path = EXAMPLES / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"adjoint_example_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_benchmark(name: str):
    """Import benchmarks/<name>.py (benchmarks/ on sys.path, as when it is run)."""
    folder = str(ROOT / "benchmarks")
    if folder not in sys.path:
        sys.path.insert(0, folder)
    return importlib.import_module(name)


def line_of(path, tag: str) -> int:
    """1-based number of the only line of `path` carrying the comment `# <tag>`, found by
    reading the file (independently of adjoint)."""
    marker = f"# <{tag}>"
    lines = pathlib.Path(path).read_text().splitlines()
    hits = [k + 1 for k, line in enumerate(lines) if line.rstrip().endswith(marker)]
    assert len(hits) == 1, f"marker {marker!r} found on lines {hits} of {path}"
    return hits[0]


def run_cli(*args, cwd=ROOT, timeout=60):
    """Run `python -m adjoint ARGS` in a fresh interpreter; returns CompletedProcess."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, "-m", "adjoint", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


def check_in_place(func, *args, wrt=0, **options):
    """check_grads for a function that writes into its arguments: finite differences run
    it on copies (it would change its inputs between evaluations); adjoint's gradient and
    value are taken on `args` themselves, which must come back unchanged, and the value
    must be the function's own."""
    import copy

    import numpy as np

    import adjoint
    from adjoint.testing import check_grads

    positions = (wrt,) if isinstance(wrt, (int, str)) else tuple(wrt)
    before = copy.deepcopy(args)

    def on_copies(*a):
        return func(*copy.deepcopy(a))

    grads = check_grads(on_copies, *copy.deepcopy(args), wrt=positions,
                        grad_fn=adjoint.grad(func, wrt=positions), **options)
    value, _ = adjoint.value_and_grad(func, wrt=positions)(*args)
    expected = func(*copy.deepcopy(before))
    assert np.allclose(value, expected, rtol=1e-12, atol=1e-12), (value, expected)
    _assert_same(before, args, "the arguments")
    return grads


def _assert_same(a, b, where: str) -> None:
    import numpy as np
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where} changed length"
        for k, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{k}]")
    else:
        assert np.array_equal(a, b), f"{where} was changed: {a!r} became {b!r}"
