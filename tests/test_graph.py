"""`adjoint graph`: the computational graph with the forward value and the gradient on
each edge, as Graphviz DOT (and SVG/PNG when Graphviz's dot program is installed)."""
from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import textwrap

import pytest
from helpers import EXAMPLES

import adjoint
from adjoint.tools import cli, targets
from adjoint.tools import graph as graph_module
from adjoint.errors import UnsupportedSyntax
from adjoint.tools.graph import add_graph, graph, run_graph

EDGE = re.compile(r'^  "(?P<src>[^"]+)" -> "(?P<dst>[^"]+)" \[label=<(?P<name>[^<]+)<br/>'
                  r'<font color="darkgreen">(?P<value>[^<]*)</font>'
                  r'(?:<br/><font color="red">(?P<grad>[^<]*)</font>)?>\];$', re.MULTILINE)
NODE = re.compile(r'^  "(?P<id>#\d+)" \[label="(?P<label>[^"]*)", shape=\w+', re.MULTILINE)


def _cli(argv) -> str:
    parser = argparse.ArgumentParser(prog="adjoint")
    add_graph(parser.add_subparsers(dest="command", required=True))
    return run_graph(parser.parse_args(["graph", *argv]))


def _edges(dot: str) -> dict:
    """name of the value on the edge -> (source node, target node, value, gradient)."""
    return {m["name"]: (m["src"], m["dst"], m["value"], m["grad"]) for m in EDGE.finditer(dot)}


def _nodes(dot: str) -> dict:
    return {m["id"]: m["label"] for m in NODE.finditer(dot)}


def test_add_mul_values_and_gradients():
    dot = _cli([f"{EXAMPLES}/add_mul.py:f", "--at", "x=-2,y=5,z=-4"])
    assert dot.startswith('digraph "f" {') and dot.rstrip().endswith("}")
    edges, nodes = _edges(dot), _nodes(dot)
    assert nodes == {"#0": "+", "#1": "*"}
    assert edges == {
        "x": ("x", "#0", "-2.00", "-4.00"),
        "y": ("y", "#0", "5.00", "-4.00"),
        "q": ("#0", "#1", "3.00", "-4.00"),
        "z": ("z", "#1", "-4.00", "3.00"),
        "out": ("#1", "#out", "-12.00", "1.00"),
    }


def test_lecture_neuron():
    dot = _cli([f"{EXAMPLES}/neuron.py:f", "--at", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"])
    edges, nodes = _edges(dot), _nodes(dot)
    sigmoid = next(k for k, label in nodes.items() if label == "sigmoid")
    into_sigmoid = [e for e in edges.values() if e[1] == sigmoid]
    assert len(into_sigmoid) == 1
    assert into_sigmoid[0][2:] == ("1.00", "0.20")  # s3 = 1.00, its gradient 0.20
    assert edges["L"] == (sigmoid, "#out", "0.73", "1.00")
    assert [edges[n][3] for n in ("w0", "x0", "w1", "x1", "w2")] == \
        ["-0.20", "0.39", "-0.39", "-0.59", "0.20"]
    assert list(nodes.values()) == ["*", "*", "+", "+", "sigmoid"]


def test_constants_callees_and_fan_out(tmp_path):
    path = tmp_path / "graph_fan.py"
    path.write_text(textwrap.dedent('''\
        import numpy as np

        def g(a, b):
            return a * np.sin(b)

        def f(x, y):
            q = x * y
            r = q + x
            t = g(r, y)
            return -t / 2.0 + np.exp(q)
        '''))
    func = targets.load_function(f"{path}:f")
    dot = graph(func, 1.5, 2.0, digits=4)
    edges, nodes = _edges(dot), _nodes(dot)
    assert sorted(nodes.values()) == sorted(["*", "+", "g", "-", "/ 2.0", "np.exp", "+"])
    gx, gy = adjoint.grad(func, wrt=(0, 1))(1.5, 2.0)
    assert edges["x"][3] == f"{gx:.4f}" and edges["y"][3] == f"{gy:.4f}"  # total gradients
    assert sum(1 for line in dot.splitlines() if line.startswith('  "x" -> ')) == 2  # used twice
    value = func(1.5, 2.0)
    assert edges["out"][2:] == (f"{value:.4f}", "1.0000")


def test_wrt_subset_draws_only_those_gradients():
    dot = _cli([f"{EXAMPLES}/add_mul.py:f", "--wrt", "z", "--at", "x=-2,y=5,z=-4"])
    edges = _edges(dot)
    assert edges["z"][3] == "3.00"
    assert edges["x"][3] is None and edges["x"][2] == "-2.00"


def test_loops_and_branches_are_refused(tmp_path):
    path = tmp_path / "graph_loop.py"
    path.write_text(textwrap.dedent('''\
        def f(x):
            y = x
            for _ in range(3):
                y = y * x
            return y
        '''))
    with pytest.raises(UnsupportedSyntax, match=r"graph_loop.py:3:.*straight-line.*a loop"):
        _cli([f"{path}:f", "--at", "x=2"])


def test_at_is_required():
    with pytest.raises(targets.UsageError, match="--at"):
        _cli([f"{EXAMPLES}/add_mul.py:f"])


def test_write_dot(tmp_path):
    out = tmp_path / "f.dot"
    message = _cli([f"{EXAMPLES}/add_mul.py:f", "--at", "x=-2,y=5,z=-4", "-o", str(out)])
    assert message == f"wrote {out}\n"
    assert out.read_text() == _cli([f"{EXAMPLES}/add_mul.py:f", "--at", "x=-2,y=5,z=-4"])


def test_without_graphviz_writes_the_dot_file_instead(tmp_path, monkeypatch):
    monkeypatch.setattr(graph_module.shutil, "which", lambda name: None)
    out = tmp_path / "f.svg"
    message = _cli([f"{EXAMPLES}/add_mul.py:f", "--at", "x=-2,y=5,z=-4", "-o", str(out)])
    assert not out.exists() and (tmp_path / "f.dot").exists()
    assert "dot program was not found" in message and "dot -Tsvg" in message


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("ext, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG")])
def test_render_with_graphviz(tmp_path, ext, magic):
    out = tmp_path / f"neuron{ext}"
    _cli([f"{EXAMPLES}/neuron.py:f", "--at", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "-o", str(out)])
    assert out.read_bytes().startswith(magic)
    if ext == ".svg":
        assert "0.73" in out.read_text() and "sigmoid" in out.read_text()


@pytest.mark.skipif("graph" not in cli.COMMANDS, reason="graph is not registered in cli.py yet")
def test_registered_command():
    done = subprocess.run([sys.executable, "-m", "adjoint", "graph", f"{EXAMPLES}/add_mul.py:f",
                           "--at", "x=-2,y=5,z=-4"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert '"#1" -> "#out"' in done.stdout
