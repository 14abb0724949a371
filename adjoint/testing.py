"""Check gradients against central finite differences: `check_grads(f, *args, wrt=...)`.

Public, so users can check their own rules and functions. Differences are taken in
float64, entry by entry for small inputs and along seeded random directions for large
ones, and a failure names the argument, the entry and both numbers.
"""
from __future__ import annotations

import inspect

import numpy as np

from .api import grad as make_grad
from .runtime.pytrees import is_object, leaf_paths, replaced_at, value_at

__all__ = ["check_grads", "numerical_grad", "GradientMismatch"]


class GradientMismatch(AssertionError):
    """adjoint's gradient and the finite-difference estimate disagree."""


def numerical_grad(f, args, position: int, eps: float = 1e-6):
    """Central-difference gradient of scalar f(*args) with respect to args[position]."""
    x = np.array(args[position], dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        grad[index] = _directional(f, args, position, _unit(x, index), eps)
    return grad if x.shape else float(grad)


def check_grads(f, *args, wrt=0, rtol: float = 1e-5, atol: float = 1e-6, eps: float = 1e-6,
                max_entries: int = 200, directions: int = 8, seed: int = 0, grad_fn=None):
    """Raise GradientMismatch unless adjoint's gradient of f matches finite differences.

    Inputs with more than `max_entries` entries are checked along `directions` random
    directions (seeded) instead of entry by entry. Returns adjoint's gradients.
    """
    positions = (wrt,) if isinstance(wrt, (int, str)) else tuple(wrt)
    if inspect.ismethod(f) and inspect.isfunction(f.__func__):  # model.loss: self comes first
        bound = make_grad(f, wrt=positions)
        f, args = f.__func__, (f.__self__,) + args
        positions = tuple(p + 1 if isinstance(p, int) else p for p in positions)
        grad_fn = grad_fn or (lambda *all_args: bound(*all_args[1:]))
    names = _parameter_names(f)
    positions = tuple(names.index(p) if isinstance(p, str) else p for p in positions)
    grads = (grad_fn or make_grad(f, wrt=positions))(*args)
    rng = np.random.default_rng(seed)
    for position, g in zip(positions, grads):
        name = names[position] if position < len(names) else f"argument {position}"
        if is_object(args[position]):
            _check_object(f, args, position, g, name, rtol, atol, eps)
            continue
        if isinstance(args[position], (tuple, list, dict)):
            _check_container(f, args, position, g, name, rtol, atol, eps)
            continue
        x = np.asarray(args[position])
        if np.shape(g) != x.shape:
            raise GradientMismatch(f"gradient for {name} has shape {np.shape(g)}; "
                                   f"{name} has shape {x.shape}")
        if x.size <= max_entries:
            expected = numerical_grad(f, args, position, eps)
            _compare(name, np.asarray(g, dtype=np.float64), np.asarray(expected), rtol, atol)
        else:
            for k in range(directions):
                direction = rng.standard_normal(x.shape)
                got = float(np.sum(np.asarray(g, dtype=np.float64) * direction))
                expected = _directional(f, args, position, direction, eps)
                if not np.isclose(got, expected, rtol=rtol, atol=atol * np.sqrt(x.size)):
                    raise GradientMismatch(f"gradient for {name} is wrong along random direction "
                                           f"{k} (seed {seed}): adjoint {got!r}, finite "
                                           f"difference {expected!r}")
    return grads


def _check_container(f, args, position, g, name, rtol, atol, eps):
    """A tuple, list or dict argument: its gradient has the same structure; each leaf is
    checked entry by entry."""
    container = args[position]
    if type(g) is not type(container) or len(g) != len(container):
        raise GradientMismatch(f"gradient for {name} should be a {type(container).__name__} "
                               f"of {len(container)} entries; got {type(g).__name__}")
    keys = container.keys() if isinstance(container, dict) else range(len(container))
    for key in keys:
        def replaced(value, key=key):
            copy = dict(container) if isinstance(container, dict) else list(container)
            copy[key] = value
            return copy if isinstance(container, (dict, list)) else tuple(copy)

        def leaf_function(*leaf_args):
            new_args = list(leaf_args[1:])
            new_args.insert(position, replaced(leaf_args[0]))
            return f(*new_args)
        leaf_args = [container[key]] + [a for k, a in enumerate(args) if k != position]
        if isinstance(container[key], (tuple, list, dict)):
            _check_container(leaf_function, leaf_args, 0, g[key], f"{name}[{key!r}]", rtol, atol, eps)
            continue
        if is_object(container[key]):  # a list of layers: each one mirrored
            _check_object(leaf_function, leaf_args, 0, g[key], f"{name}[{key!r}]", rtol, atol, eps)
            continue
        expected = numerical_grad(leaf_function, leaf_args, 0, eps)
        got = np.asarray(g[key], dtype=np.float64)
        if got.shape != np.shape(expected):
            raise GradientMismatch(f"gradient for {name}[{key!r}] has shape {got.shape}; "
                                   f"expected {np.shape(expected)}")
        _compare(f"{name}[{key!r}]", got, np.asarray(expected), rtol, atol)


def _check_object(f, args, position, g, name, rtol, atol, eps):
    """An object argument: its gradient mirrors it (pytrees.py); each float leaf is
    checked entry by entry on a copy of the object with that leaf moved."""
    obj = args[position]
    expected_type = type(obj) if type(g) is type(obj) else dict
    if type(g) is not expected_type:
        raise GradientMismatch(f"gradient for {name} should be a {expected_type.__name__}; "
                               f"got {type(g).__name__}")
    for path, leaf in leaf_paths(obj):
        def leaf_function(value, *rest, path=path):
            new_args = list(rest)
            new_args.insert(position, replaced_at(obj, path, value))
            return f(*new_args)
        rest = [a for k, a in enumerate(args) if k != position]
        expected = numerical_grad(leaf_function, [leaf] + rest, 0, eps)
        label = name + "".join(f"[{key!r}]" if isinstance(key, int) else f".{key}" for key in path)
        got = np.asarray(value_at(g, path), dtype=np.float64)
        if got.shape != np.shape(expected):
            raise GradientMismatch(f"gradient for {label} has shape {got.shape}; expected "
                                   f"{np.shape(expected)}")
        _compare(label, got, np.asarray(expected), rtol, atol)


def _compare(name, got, expected, rtol, atol):
    # nan where the finite difference is nan too (np.mean of an empty array) is agreement
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not np.any(bad):
        return
    indices = list(zip(*np.nonzero(bad))) if got.shape else [()]
    lines = [f"gradient for {name} is wrong at {len(indices)} of {max(got.size, 1)} entries:"]
    for index in indices[:5]:
        where = f"[{', '.join(str(int(i)) for i in index)}]" if index else ""
        lines.append(f"  {name}{where}: adjoint {got[index]!r}, finite difference {expected[index]!r}")
    raise GradientMismatch("\n".join(lines))


def _directional(f, args, position, direction, eps):
    x = np.array(args[position], dtype=np.float64)
    plus, minus = list(args), list(args)
    plus[position] = _like(args[position], x + eps * direction)
    minus[position] = _like(args[position], x - eps * direction)
    return (float(f(*plus)) - float(f(*minus))) / (2 * eps)


def _unit(x, index):
    e = np.zeros_like(x)
    e[index] = 1.0
    return e


def _like(original, value):
    """Keep scalars scalar so f sees the same kinds of inputs it was given."""
    if np.ndim(original) == 0 and not isinstance(original, np.ndarray):
        return float(value)
    return value


def _parameter_names(f) -> list:
    return list(inspect.signature(f).parameters)
