"""Helpers shared by the test modules (imported as `helpers`; conftest puts tests/ on sys.path)."""
from __future__ import annotations

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
