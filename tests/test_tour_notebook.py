"""examples/tour.ipynb runs top to bottom (nbclient), and generated code displays as
highlighted HTML in it."""
from __future__ import annotations

import pathlib

import numpy as np
import pytest

import adjoint

NOTEBOOK = pathlib.Path(__file__).resolve().parent.parent / "examples" / "tour.ipynb"


def f(x, y):
    return np.sin(x) * y


def test_source_displays_as_highlighted_python_and_stays_a_string():
    source = adjoint.source(f, ("x", "y"), 1.0, 2.0)
    assert isinstance(source, str) and source.startswith("# gradient of f")
    pytest.importorskip("pygments")
    html = source._repr_html_()
    assert "<pre" in html and "grad_f" in html and "<span" in html
    assert source._repr_markdown_().startswith("```python\n# gradient of f")


def test_a_gradient_function_displays_its_code():
    g = adjoint.grad(f, wrt="y")
    g(1.0, 2.0)
    assert "grad_f" in g._repr_markdown_() and g._repr_markdown_() == g.source._repr_markdown_()


def test_graph_is_dot_text_and_shows_as_dot_without_graphviz():
    dot = adjoint.graph(f, 1.0, 2.0)
    assert dot.startswith('digraph "value_and_grad_f"') or dot.startswith("digraph")
    assert dot._repr_markdown_().startswith("```dot\ndigraph")


@pytest.mark.slow
def test_tour_notebook_runs_top_to_bottom():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(str(NOTEBOOK), as_version=4)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    shown = [o["data"] for o in outputs if o.get("output_type") == "execute_result"]
    assert any("text/html" in d and "grad_neuron" in d["text/html"] for d in shown)
