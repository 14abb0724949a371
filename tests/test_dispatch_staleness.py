"""Stale gradients are impossible: after the first call, whatever the compiled code
assumed (a module attribute such as np.tanh or math.sin, a function's `__code__`, the
source file on disk) is checked again before the code runs, and a change recompiles or
is refused. Every gradient here is compared with finite differences of the function as
it is at that moment."""
import importlib
import math
import sys
import textwrap

import numpy as np
import pytest

import adjoint
from adjoint.testing import numerical_grad

X = np.array([0.3, -0.5, 1.1])


def assert_fd(df, f, *args):
    got = df(*args)
    want = numerical_grad(f, list(args), 0)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)


def sum_tanh(x):
    return np.sum(np.tanh(x) * x)


def cubic(x):
    return x * x * x


def test_rebinding_np_tanh_after_the_first_call_recompiles(monkeypatch):
    df = adjoint.grad(sum_tanh)
    assert_fd(df, sum_tanh, X)
    monkeypatch.setattr(np, "tanh", cubic)
    assert_fd(df, sum_tanh, X)  # x**4 summed: 4 x**3
    np.testing.assert_allclose(df(X), 4 * X ** 3)
    monkeypatch.undo()
    assert_fd(df, sum_tanh, X)


def sin_times(x):
    return math.sin(x) * x


def test_rebinding_math_sin_after_the_first_call_recompiles(monkeypatch):
    df = adjoint.grad(sin_times)
    assert df(0.5) == pytest.approx(math.cos(0.5) * 0.5 + math.sin(0.5))
    monkeypatch.setattr(math, "sin", cubic)
    assert df(0.5) == pytest.approx(4 * 0.5 ** 3)
    monkeypatch.undo()
    assert df(0.5) == pytest.approx(math.cos(0.5) * 0.5 + math.sin(0.5))


def twice(x):
    return 2.0 * x


def five_times(x):
    return 5.0 * x


def seven_times(x):
    return 7.0 * x


def calls_twice(x):
    return np.sum(twice(x) * x)


def _swap_code(func, other):
    """What IPython's %autoreload does: the same function object gets new code."""
    old = func.__code__
    func.__code__ = other.__code__
    return old


def test_replacing_a_callees_code_in_place_recompiles():
    df = adjoint.grad(calls_twice)
    np.testing.assert_allclose(df(X), 4.0 * X)
    old = _swap_code(twice, five_times)
    try:
        np.testing.assert_allclose(df(X), 10.0 * X)
        # a gradient made afterwards does not reuse the cached pair of the old code
        np.testing.assert_allclose(adjoint.grad(calls_twice)(X), 10.0 * X)
    finally:
        twice.__code__ = old
    np.testing.assert_allclose(df(X), 4.0 * X)


def test_replacing_the_functions_own_code_in_place_recompiles():
    def scaled(x):
        return 2.0 * x
    df = adjoint.grad(scaled)
    assert df(1.5) == 2.0
    scaled.__code__ = seven_times.__code__
    assert df(1.5) == 7.0


def test_new_code_with_other_parameters_is_refused():
    def scaled(x):
        return 2.0 * x
    df = adjoint.grad(scaled)
    assert df(1.5) == 2.0

    def other(y):
        return 3.0 * y
    scaled.__code__ = other.__code__
    with pytest.raises(adjoint.BadArguments, match="parameters of .*scaled changed"):
        df(1.5)


# -- the source file edited on disk without reloading ---------------------------------

MODULE = '''\
import numpy as np


def loss(x):
    return np.sum(np.sin(x) * x)
'''


@pytest.fixture
def module_file(tmp_path, monkeypatch):
    """A module of the user's, imported from a file this test can edit."""
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "stale_user_module.py"
    path.write_text(MODULE)
    sys.modules.pop("stale_user_module", None)
    module = importlib.import_module("stale_user_module")
    yield module, path
    sys.modules.pop("stale_user_module", None)


def _edit(path, text):
    path.write_text(text)
    importlib.invalidate_caches()


def test_a_file_edited_on_the_same_lines_is_refused_not_differentiated(module_file):
    module, path = module_file
    df = adjoint.grad(module.loss)
    assert_fd(df, module.loss, X)
    _edit(path, MODULE.replace("np.sin(x)", "np.cos(x)"))
    assert_fd(df, module.loss, X)  # the code compiled before the edit still matches what runs
    with pytest.raises(adjoint.NoSource, match="changed on disk") as info:
        df(0.5)  # new argument types: compiling again would read the edited file
    assert "stale_user_module.py:4" in str(info.value) and "reload" in str(info.value)
    with pytest.raises(adjoint.NoSource, match="changed on disk"):
        adjoint.grad(module.loss)


def test_a_file_whose_lines_moved_is_refused(module_file):
    module, path = module_file
    _edit(path, MODULE.replace("import numpy as np\n", "import numpy as np\n\n\ndef other(x):\n"
                               "    return np.sum(x)\n"))
    with pytest.raises(adjoint.NoSource, match="changed on disk"):
        adjoint.grad(module.loss)(X)


def test_after_a_reload_the_edited_file_is_differentiated(module_file):
    module, path = module_file
    _edit(path, MODULE.replace("np.sin(x)", "np.cos(x)"))
    module = importlib.reload(module)
    df = adjoint.grad(module.loss)
    assert_fd(df, module.loss, X)
    np.testing.assert_allclose(df(X), np.cos(X) - np.sin(X) * X)


def test_source_checks_accept_closures_methods_and_lambdas():
    """The check compiles what it read and compares it with the live code; functions
    defined inside functions and classes, and lambdas, pass it."""
    scale = 3.0

    def inner(x):
        return np.sum(np.tanh(x) * scale)

    class Model:
        def __init__(self):
            self.w = 2.0

        def loss(self, x):
            return np.sum(x * self.w)

    act = lambda x: np.sum(np.sin(x))  # noqa: E731
    assert_fd(adjoint.grad(inner), inner, X)
    assert_fd(adjoint.grad(act), act, X)
    model = Model()
    np.testing.assert_allclose(adjoint.grad(Model.loss, wrt=1)(model, X), 2.0 * np.ones(3))


def test_a_module_attribute_from_a_dedented_snippet():
    source = textwrap.dedent('''
        import numpy as np
        def g(x):
            return np.sum(np.exp(x))
    ''')
    assert "np" in source  # (the notebook tests cover functions living only in linecache)
    assert_fd(adjoint.grad(sum_tanh), sum_tanh, X)
