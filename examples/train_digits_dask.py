"""The digits network of train_digits.py, trained data-parallel on a Dask cluster.

    python examples/train_digits_dask.py [--quick] [--workers 2]

A LocalCluster of worker processes holds the training set as a dask array cut into row
chunks; each SGD step's minibatch is two of those chunks. `adjoint.dask.value_and_grad`
sends the parameters to the workers, runs the compiled gradient on each chunk where it
lives, and sums the chunks' values and gradients (weighted by rows, reduce="mean") in a
tree. The same steps are then taken on one machine with plain `adjoint.value_and_grad`
on the concatenated minibatches: the script prints both test accuracies and the largest
difference between the two trained networks' weights.

Needs `pip install 'adjoint[examples,dask]'`.
"""
import argparse
import time

import cloudpickle
import dask.array as da
import numpy as np
from distributed import Client, LocalCluster

import adjoint
import adjoint.dask
from adjoint.testing import check_grads
import train_digits
from train_digits import accuracy, init_params, load_data, loss

# The workers cannot import this folder's modules: send train_digits' functions by value
# (adjoint reads their source from the file on the worker, this same machine).
cloudpickle.register_pickle_by_value(train_digits)


def train(step, params, batches, config) -> dict:
    """SGD with momentum over the given minibatches; returns the per-epoch losses."""
    velocity = {name: np.zeros_like(value) for name, value in params.items()}
    losses = []
    for epoch in range(config.epochs):
        values = []
        for X, y in batches:
            value, grads = step(params, X, y, config.reg)
            for name in params:
                velocity[name] = config.momentum * velocity[name] - config.lr * grads[name]
                params[name] = params[name] + velocity[name]
            values.append(value)
        losses.append(float(np.mean(values)))
        print(f"epoch {epoch + 1:2d}: loss {losses[-1]:.4f}")
    return losses


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few epochs of a small network")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    config = parser.parse_args(argv)
    config.hidden, config.epochs = (16, 3) if config.quick else (64, 30)
    config.chunk, config.lr, config.momentum, config.reg = 64, 0.1, 0.9, 1e-4
    return config


def main(argv=None) -> None:
    config = parse_args(argv)
    X_train, X_test, y_train, y_test = load_data(config.seed)
    start_params = init_params(np.random.default_rng(config.seed), X_train.shape[1], config.hidden, 10)
    rows = 2 * config.chunk * (len(X_train) // (2 * config.chunk))  # whole minibatches only
    starts = range(0, rows, 2 * config.chunk)
    check_grads(loss, start_params, X_train[:16], y_train[:16], config.reg, wrt="params")
    print("gradient check against finite differences: ok\n")

    with LocalCluster(n_workers=config.workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        X = da.from_array(X_train[:rows], chunks=(config.chunk, -1)).persist()
        y = da.from_array(y_train[:rows], chunks=config.chunk).persist()
        batches = [(X[s:s + 2 * config.chunk], y[s:s + 2 * config.chunk]) for s in starts]
        step = adjoint.dask.value_and_grad(loss, wrt="params", batch=("X", "y"), reduce="mean")
        parallel = {name: value.copy() for name, value in start_params.items()}
        began = time.perf_counter()
        train(step, parallel, batches, config)
        parallel_seconds = time.perf_counter() - began

    local_batches = [(X_train[s:s + 2 * config.chunk], y_train[s:s + 2 * config.chunk]) for s in starts]
    single = {name: value.copy() for name, value in start_params.items()}
    train(adjoint.value_and_grad(loss, wrt="params"), single, local_batches, config)

    difference = max(float(np.max(np.abs(parallel[k] - single[k]))) for k in single)
    parallel_acc, single_acc = accuracy(parallel, X_test, y_test), accuracy(single, X_test, y_test)
    print(f"test accuracy: {parallel_acc:.4f} on {config.workers} Dask workers "
          f"({parallel_seconds:.1f} s), {single_acc:.4f} on one machine")
    print(f"largest weight difference between the two: {difference:.2e}")
    assert difference < 1e-9, "the data-parallel gradient drifted from the single-machine one"
    assert parallel_acc == single_acc


if __name__ == "__main__":
    main()
