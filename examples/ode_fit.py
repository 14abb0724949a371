"""Fit the four rates of a Lotka-Volterra predator-prey model to noisy counts.

    python examples/ode_fit.py [--quick] [--plot ode_fit.png]

prey' = a prey - b prey pred,  pred' = d prey pred - c pred. Observations are made
from known rates (integrated with RK4, then 5% noise added); the fit starts from rates
20-30% off, integrates the same way, and minimises the squared misfit with scipy's
L-BFGS-B, taking the gradient of the whole integration (hundreds of RK4 steps, each
calling the right-hand side four times) from adjoint. The rates are fitted as
logarithms, so they stay positive. Prints the true, starting and recovered rates and
saves the observations with the fitted trajectories as a PNG.

`--quick` uses fewer observations and iterations (seconds; used by the tests) and
asserts that the misfit went down.
"""
import argparse
import time

import numpy as np
from scipy.optimize import minimize

import adjoint
from adjoint.testing import check_grads

NAMES = ("a", "b", "c", "d")
TRUE_RATES = np.array([1.0, 0.1, 1.5, 0.075])
START_RATES = np.array([0.8, 0.13, 1.2, 0.09])
INITIAL_STATE = np.array([10.0, 5.0])  # prey, predators


def lotka_volterra(state, rates):
    """The right-hand side: d(prey, pred)/dt."""
    prey, pred = state[0], state[1]
    return np.array([rates[0] * prey - rates[1] * prey * pred,
                     rates[3] * prey * pred - rates[2] * pred])


def rk4(rhs, state, rates, dt):
    """One classical Runge-Kutta step for `rhs(state, rates)`, passed in as a function.

    adjoint compiles the step for the function it is called with (the function is part
    of what the gradient is specialized on), so passing another right-hand side compiles
    again rather than reusing this one's code."""
    k1 = rhs(state, rates)
    k2 = rhs(state + 0.5 * dt * k1, rates)
    k3 = rhs(state + 0.5 * dt * k2, rates)
    k4 = rhs(state + dt * k3, rates)
    return state + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def trajectory(rates, state, samples: int, dt: float, substeps: int, rhs=lotka_volterra):
    """The state at times 0, substeps*dt, 2*substeps*dt, ... (`samples` rows)."""
    rows = [state]
    for _ in range(samples - 1):
        for _ in range(substeps):
            state = rk4(rhs, state, rates, dt)
        rows.append(state)
    return np.stack(rows)


def misfit(log_rates, observed, noise, dt, substeps):
    """Half the sum of squared residuals in units of the noise (chi-square / 2)."""
    predicted = trajectory(np.exp(log_rates), INITIAL_STATE, observed.shape[0], dt, substeps)
    return 0.5 * np.sum(((predicted - observed) / noise) ** 2)


def make_observations(samples, dt, substeps, rng):
    clean = trajectory(TRUE_RATES, INITIAL_STATE, samples, dt, substeps)
    noise = 0.05 * np.mean(clean, axis=0)  # 5% of each species' typical count
    return clean + noise * rng.standard_normal(clean.shape), noise


def fit(observed, noise, config):
    value_and_grad = adjoint.value_and_grad(misfit, wrt="log_rates")
    args = (observed, noise, config.dt, config.substeps)
    start = np.log(START_RATES)
    result = minimize(value_and_grad, start, args=args, jac=True, method="L-BFGS-B",
                      options={"maxiter": config.maxiter})
    return np.exp(result.x), misfit(start, *args), result


def plot_fit(observed, rates, config, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    steps = (len(observed) - 1) * config.substeps
    fitted = trajectory(rates, INITIAL_STATE, steps + 1, config.dt, 1)  # every RK4 step
    fig, ax = plt.subplots(figsize=(8, 3.5))
    for column, label in enumerate(("prey", "predators")):
        line, = ax.plot(np.arange(steps + 1) * config.dt, fitted[:, column], label=f"{label}, fitted")
        ax.plot(np.arange(len(observed)) * config.dt * config.substeps, observed[:, column], ".",
                color=line.get_color(), label=f"{label}, observed")
    ax.set(xlabel="time", ylabel="count", title="Lotka-Volterra fit")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer observations and iterations")
    parser.add_argument("--plot", default="ode_fit.png", help="where to save the fit")
    parser.add_argument("--seed", type=int, default=0)
    config = parser.parse_args(argv)
    config.samples = 25 if config.quick else 61  # every 0.25 time units
    config.maxiter = 15 if config.quick else 200
    config.dt, config.substeps = 0.05, 5
    return config


def main(argv=None) -> None:
    config = parse_args(argv)
    rng = np.random.default_rng(config.seed)
    observed, noise = make_observations(config.samples, config.dt, config.substeps, rng)
    print(adjoint.source(misfit, "log_rates"))
    check_grads(misfit, np.log(START_RATES), observed[:8], noise, config.dt, config.substeps)
    print("gradient check against finite differences: ok\n")

    start = time.perf_counter()
    rates, initial, result = fit(observed, noise, config)
    seconds = time.perf_counter() - start
    print(f"{config.samples} observations, {(config.samples - 1) * config.substeps} RK4 steps")
    print(f"misfit: {initial:.1f} -> {result.fun:.1f} after {result.nit} L-BFGS-B iterations "
          f"({result.nfev} gradients, {seconds:.1f} s)")
    print("rate   true    start   fitted  error")
    for name, true, guess, got in zip(NAMES, TRUE_RATES, START_RATES, rates):
        print(f"{name:4s} {true:7.4f} {guess:7.4f} {got:7.4f} {100 * (got - true) / true:+6.2f}%")
    plot_fit(observed, rates, config, config.plot)
    print(f"fit saved to {config.plot}")
    assert result.fun < initial, "the fit did not lower the misfit"
    assert np.all(np.abs(rates / TRUE_RATES - 1) < 0.05), "a rate is off by more than 5%"


if __name__ == "__main__":
    main()
