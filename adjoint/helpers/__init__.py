"""Helpers for the numpy/scipy gradient rules, one module per domain.

A gradient rule is one readable line of math, pasted into the generated code. When the
gradient needs control flow or shape bookkeeping (which axes were contracted, where a
padded entry was copied from, which operand a tie goes to), that part is a named helper
here, which the rule calls and the generated code shows by name
(`grad_a = tensordot_left(grad_y, a, b, axes)`). The names never change: generated
code and the golden tests print them.

    elementwise  np.clip
    reductions   prod, cumsum, cumprod, nan-reductions, average, median, logsumexp(b=)
    linalg       dot, inner, tensordot, einsum, kron, diagonals, cross, norms, numpy.linalg
    shaping      np.array, stack, concatenate, hstack/vstack/dstack, tile, repeat, pad
    selection    take, take_along_axis, sort, select
    signal       diff, interp, convolve, correlate, trapezoid, linspace

The core helpers the compiler emits and the operator, elementwise, reduction and
indexing rules share (unbroadcast, expand_to, matmul_left, safe_mul, unindex, ...)
stay in adjoint/runtime.py.
"""
