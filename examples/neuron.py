"""The lecture's neuron: a 2-input sigmoid neuron written flat, one operation a line.

    python examples/neuron.py

prints the generated gradient code and the gradients at w0=2, x0=-1, w1=-3, x1=-2,
w2=-3 (the lecture's worked numbers: output 0.73, gradients -0.20 0.39 -0.39 -0.59 0.20).
"""
import numpy as np

import adjoint


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@adjoint.rule(sigmoid)
def d_sigmoid(g, y, x):
    return g * (1 - y) * y


def f(w0: float, x0: float, w1: float, x1: float, w2: float):
    s0 = w0 * x0
    s1 = w1 * x1
    s2 = s0 + s1
    s3 = s2 + w2
    L = sigmoid(s3)
    return L


if __name__ == "__main__":
    df = adjoint.value_and_grad(f, wrt=("w0", "x0", "w1", "x1", "w2"))
    L, grads = df(2.0, -1.0, -3.0, -2.0, -3.0)
    print(df.source)
    print(f"L = {L:.2f}")
    for name, g in zip(df.wrt, grads):
        print(f"grad_{name} = {g:.2f}")
