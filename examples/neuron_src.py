import numpy as np
import adjoint

def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))

@adjoint.rule(sigmoid)
def d_sigmoid(g, y, x):
    return g * (1 - y) * y

def f(w0, x0, w1, x1, w2):
    s0 = w0 * x0
    s1 = w1 * x1
    s2 = s0 + s1
    s3 = s2 + w2
    L = sigmoid(s3)
    return L
