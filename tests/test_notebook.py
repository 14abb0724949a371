"""Functions typed into a notebook or IPython cell: their source lives only in linecache
(IPython registers each cell there), and adjoint reads it from there like a file."""
import linecache

import numpy as np

import adjoint
from adjoint.testing import check_grads

CELL = '''\
import numpy as np

def cell_loss(w, x):
    h = np.tanh(x * w)
    for k in range(2):
        h = h * w
    return np.sum(h ** 2)
'''


def _run_cell(source: str, name: str) -> dict:
    filename = f"<ipython-input-{name}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"__name__": "__main__"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_a_function_from_a_notebook_cell_is_differentiated():
    cell = _run_cell(CELL, "1-3f2a")
    loss = cell["cell_loss"]
    check_grads(loss, 0.7, np.array([0.3, -1.2, 0.8]), wrt=(0, 1))
    assert "h = np.tanh" in adjoint.source(loss)


def test_errors_name_the_cell_and_its_line():
    cell = _run_cell("def bad(x):\n    try:\n        return x\n    finally:\n        pass\n", "2-77bd")
    try:
        adjoint.grad(cell["bad"])(1.0)
    except adjoint.UnsupportedSyntax as error:
        assert "<ipython-input-2-77bd>:2:" in str(error)
    else:
        raise AssertionError("the try statement was not refused")


def test_redefining_a_cell_function_recompiles():
    first = _run_cell("def scale():\n    return 2.0\n\ndef f(x):\n    return x * scale()\n", "3-a")
    df = adjoint.grad(first["f"])
    assert df(1.0) == 2.0
    exec(compile("def scale():\n    return 5.0\n", "<ipython-input-4-b>", "exec"), first)
    linecache.cache["<ipython-input-4-b>"] = (0, None, ["def scale():\n", "    return 5.0\n"],
                                               "<ipython-input-4-b>")
    assert df(1.0) == 5.0
