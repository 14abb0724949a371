"""Gradients on CuPy arrays: the same functions as tests/test_array_libraries.py, on the GPU.

    python benchmarks/cupy_check.py        # needs a CUDA GPU and `pip install cupy-cuda12x`

Each gradient must come back as a CuPy array (it never left the GPU) with the numpy
gradient's numbers (1e-10). Prints one line per case and exits 1 on any failure. Not part
of the test suite: CI has no GPU.
"""
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "tests"))

import adjoint  # noqa: E402


def main() -> int:
    import cupy
    from test_array_libraries import CASES  # the dask cases: the same functions
    failures = 0
    for func, args, wrt in CASES:
        expected = adjoint.grad(func, wrt=wrt)(*args)
        on_gpu = [cupy.asarray(a) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a for a in args]
        try:
            grads = adjoint.grad(func, wrt=wrt)(*on_gpu)
            for got, want in zip(grads, expected):
                assert isinstance(got, cupy.ndarray), f"came back as {type(got).__name__}"
                np.testing.assert_allclose(cupy.asnumpy(got), want, rtol=1e-10, atol=1e-10)
            print(f"ok    {func.__name__}")
        except Exception as error:  # report every case, then fail
            failures += 1
            print(f"FAIL  {func.__name__}: {type(error).__name__}: {error}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
