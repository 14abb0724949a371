"""The dispatcher's own names never meet the user's; refusals from the API name the
user's function with file:line; anything else that escapes while compiling is an
InternalError (never mistaken for a refusal); generated lines are released with their code."""
import gc
import inspect
import linecache
import math

import numpy as np
import pytest

import adjoint
import adjoint.dispatch
from adjoint import loader

HERE = __file__


def _line(func) -> int:
    return inspect.getsourcelines(func)[1]


def with_dispatcher_like_names(_ad_last, _ad_T0, _ad_cache, _ad_specialize, _adjoint_state):
    return np.sum(_ad_last * _ad_T0 + _ad_cache * _ad_specialize * _adjoint_state)


def test_parameters_named_like_the_dispatchers_names_work():
    df = adjoint.grad(with_dispatcher_like_names, wrt=(0, 1, 2, 3, 4))
    for args in [(1.0, 2.0, 3.0, 4.0, 5.0), (np.ones(2), 2.0, 3.0, 4.0, 5.0)]:
        a, b, c, d, e = args
        got = df(*args)
        n = np.size(a)  # c, d and e multiply every entry of a
        want = (b + 0 * a, np.sum(a), n * d * e, n * c * e, n * c * d)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w)


def type(error, state):  # noqa: A001  (shadows builtins on purpose)
    return error * state * 3.0


def test_parameters_and_functions_shadowing_builtins_and_locals_work():
    df = adjoint.grad(type, wrt=(0, 1))
    assert df(2.0, 5.0) == (15.0, 6.0)
    assert df(2.0, 5.0) == (15.0, 6.0)  # the fast path too


def two_params(x, y):
    return x * y


def test_more_example_arguments_than_parameters_name_the_function():
    for call in (adjoint.source, adjoint.check):
        with pytest.raises(adjoint.BadArguments) as info:
            call(two_params, 0, 1.0, 2.0, 3.0)
        assert f"test_dispatch_errors.py:{_line(two_params)}" in str(info.value)


def test_bad_wrt_and_bad_inputs_name_the_function():
    with pytest.raises(adjoint.BadArguments) as info:
        adjoint.grad(two_params, wrt="z")
    assert f"test_dispatch_errors.py:{_line(two_params)}" in str(info.value)
    with pytest.raises(adjoint.BadArguments) as info:
        adjoint.grad(two_params)(np.array([1, 2]), 1.0)
    assert f"test_dispatch_errors.py:{_line(two_params)}" in str(info.value)
    assert "astype(float)" in str(info.value)


class Scaler:
    def scaled(self, x):
        return 3.0 * x * x


def test_a_bound_method_is_differentiated_or_refused_at_its_line():
    try:
        got = adjoint.grad(Scaler().scaled)(2.0)
    except adjoint.AdjointError as error:
        assert f"test_dispatch_errors.py:{_line(Scaler.scaled)}" in str(error)
    else:
        assert got == pytest.approx(12.0)


def plain(x):
    return np.sum(np.sin(x))


def test_an_internal_error_while_compiling_is_wrapped(monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("a bug")
    monkeypatch.setattr(adjoint.dispatch, "compile_gradient", broken)
    with pytest.raises(adjoint.InternalError) as info:
        adjoint.grad(plain)(np.ones(2))
    message = str(info.value)
    assert message.startswith("internal error in adjoint")
    assert "plain" in message and f"test_dispatch_errors.py:{_line(plain)}" in message
    assert isinstance(info.value.__cause__, KeyError)
    assert not isinstance(info.value, (adjoint.UnsupportedSyntax, adjoint.BadArguments))


def raises_at_run_time(x):
    return math.sqrt(x) * x


def test_errors_of_the_users_own_code_at_run_time_stay_as_they_are():
    df = adjoint.grad(raises_at_run_time)
    assert df(4.0) == pytest.approx(3.0)
    with pytest.raises(ValueError, match="math domain error"):
        df(-1.0)


COUNT = 1.0


def recompiled_each_step(x):
    return np.sum(x * COUNT)


def _generated_entries() -> int:
    gc.collect()
    return sum(1 for name in linecache.cache if name.startswith("<adjoint "))


def test_recompiling_in_a_loop_does_not_grow_linecache():
    global COUNT
    df = adjoint.grad(recompiled_each_step)
    x = np.ones(3)
    df(x)
    before, maps = _generated_entries(), len(loader.LINE_MAPS)
    try:
        for step in range(40):
            COUNT = float(step)  # a global rebound each step: a recompile each step
            np.testing.assert_allclose(df(x), np.full(3, float(step)))
    finally:
        COUNT = 1.0
    assert _generated_entries() <= before + 2
    assert len(loader.LINE_MAPS) <= maps + 2
    # the live code's lines are still there, for tracebacks and pdb
    ran = df._specializer.compiled[df._specializer.key_of((x,))].function
    assert linecache.getlines(ran.__code__.co_filename)
