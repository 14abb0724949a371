"""The lecture's first circuit: f = (x + y) * z, at x=-2, y=5, z=-4.

    python examples/add_mul.py

prints the generated gradient code, f = -12 and the gradients -4, -4, 3.
"""
import adjoint


def f(x, y, z):
    q = x + y
    return q * z


if __name__ == "__main__":
    df = adjoint.value_and_grad(f, wrt=("x", "y", "z"))
    value, (gx, gy, gz) = df(-2.0, 5.0, -4.0)
    print(df.source)
    print(f"f = {value}")
    print(f"grad_x = {gx}, grad_y = {gy}, grad_z = {gz}")
