"""Everything generated code may call, and nothing else: this room imports only numpy,
the standard library, adjoint.errors and adjoint.loader (for line maps).

    core          unbroadcast, expand_to, matmul_left/right, safe_mul, unindex, seed, ...
                  (what the compiler emits and the common rules share)
    containers    gradients of tuples, lists and dicts (Grads, GradDict) and their helpers
    debug         check_finite and the notes that name the user's line
    elementwise   np.clip
    reductions    prod, cumsum, cumprod, nan-reductions, average, median, logsumexp(b=)
    linalg        dot, inner, tensordot, einsum, kron, diagonals, cross, norms, numpy.linalg
    shaping       np.array, stack, concatenate, hstack/vstack/dstack, tile, repeat, pad
    selection     take, take_along_axis, sort, select
    signal        diff, interp, convolve, correlate, trapezoid, linspace
    einsum        einsum in every form ('...', implicit output, sublists, any operand count)
    arrays        np.gradient, rollaxis, partition; concatenators: np.r_, np.c_
    complex       imag, angle, as_gradient_of (complex intermediates)
    fft           np.fft's transforms; decompositions: svd, eig, eigvals
    special, stats, scipy_linalg
                  scipy.special, scipy.stats, scipy.linalg and scipy.signal: the one
                  exception to "only numpy", since their gradients are made of scipy's own
                  functions (digamma, the distributions' logpdf, triangular solves); only
                  the scipy rule modules import them, where scipy is installed
    tangents      what forward-mode code calls: broadcast_like, zero_tangent, ... (rules:
                  rules/forward_helpers.py)

A gradient rule is one readable line of math pasted into the generated code. When it
needs control flow or shape bookkeeping, that part is a named helper here, which the rule
calls and the generated code shows by name (`grad_a = tensordot_left(grad_y, a, b, axes)`).
The names never change: generated code and the golden tests print them.
"""
