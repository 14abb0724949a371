"""The lecture's 2-layer network, trained on scikit-learn's bundled 8x8 digits.

    python examples/train_digits.py [--quick] [--plot digits_curves.png] [--epochs N]

A ReLU hidden layer, softmax cross-entropy in its stable (log-sum-exp) form, L2
regularisation on the weights, minibatch SGD with momentum. The script prints the
gradient code adjoint generates for the loss, checks it once against finite
differences, trains with a progress bar per epoch, saves the loss and accuracy curves
as a PNG and prints the test accuracy and the training time. The data ships with
scikit-learn (`load_digits`): nothing is downloaded.

The same network is then written as a class (`TwoLayerNet`, parameters held as
attributes, `model.loss` calling `model.scores`) and trained through
`adjoint.value_and_grad(model.loss, wrt="self")`: the gradient with respect to the model
is a dict of its arrays. Started from the same numbers, both versions give the same loss
and gradients (checked), so the class variant's curve follows the dict variant's.

`--quick` trains a smaller network for a few epochs (seconds; used by the tests) and
asserts that the training loss went down.

Needs `pip install 'adjoint[examples]'` (scikit-learn, tqdm, matplotlib).
"""
import argparse
import time

import matplotlib
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from tqdm import tqdm

import adjoint
from adjoint.testing import check_grads

matplotlib.use("Agg")  # files only: no display needed (CI, servers)
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)


def loss(params, X, y, reg):
    """Mean softmax cross-entropy of the 2-layer network plus 0.5 * reg * ||W||^2."""
    hidden = np.maximum(0, X @ params["W1"] + params["b1"])
    scores = hidden @ params["W2"] + params["b2"]
    # Subtracting each row's maximum keeps exp() from overflowing; the log-softmax is
    # unchanged, and so is its gradient (the max's contributions cancel).
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    n = X.shape[0]
    data_loss = -np.mean(log_probs[np.arange(n), y])
    l2 = 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))
    return data_loss + l2


def predict(params, X):
    hidden = np.maximum(0, X @ params["W1"] + params["b1"])
    return np.argmax(hidden @ params["W2"] + params["b2"], axis=1)


def accuracy(params, X, y) -> float:
    return float(np.mean(predict(params, X) == y))


def init_params(rng, n_in: int, n_hidden: int, n_out: int) -> dict:
    """He initialisation for the ReLU layer, small weights for the output layer."""
    return {
        "W1": rng.standard_normal((n_in, n_hidden)) * np.sqrt(2.0 / n_in),
        "b1": np.zeros(n_hidden),
        "W2": rng.standard_normal((n_hidden, n_out)) * 0.01,
        "b2": np.zeros(n_out),
    }


class TwoLayerNet:
    """The same network as a class: parameters are attributes, methods call methods."""

    def __init__(self, params: dict, reg: float):
        self.W1, self.b1 = params["W1"].copy(), params["b1"].copy()
        self.W2, self.b2 = params["W2"].copy(), params["b2"].copy()
        self.reg = reg

    def scores(self, X):
        hidden = np.maximum(0, X @ self.W1 + self.b1)
        return hidden @ self.W2 + self.b2

    def loss(self, X, y):
        scores = self.scores(X)
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
        data_loss = -np.mean(log_probs[np.arange(X.shape[0]), y])
        return data_loss + 0.5 * self.reg * (np.sum(self.W1 ** 2) + np.sum(self.W2 ** 2))

    def accuracy(self, X, y) -> float:
        return float(np.mean(np.argmax(self.scores(X), axis=1) == y))


def train_model(model: TwoLayerNet, data, config) -> list:
    """The class variant: SGD with momentum through grad(model.loss); updates the model's
    attributes in place (the gradient code reads them afresh on every call)."""
    X_train, _, y_train, _ = data
    value_and_grad = adjoint.value_and_grad(model.loss, wrt="self")
    names = ("W1", "b1", "W2", "b2")
    velocity = {name: np.zeros_like(getattr(model, name)) for name in names}
    rng = np.random.default_rng(config.seed)
    losses = []
    for _ in range(config.epochs):
        order = rng.permutation(len(X_train))
        epoch = []
        for start in range(0, len(X_train), config.batch):
            rows = order[start:start + config.batch]
            value, grads = value_and_grad(X_train[rows], y_train[rows])
            for name in names:
                velocity[name] = config.momentum * velocity[name] - config.lr * grads[name]
                setattr(model, name, getattr(model, name) + velocity[name])
            epoch.append(value)
        losses.append(float(np.mean(epoch)))
    return losses


def check_class_matches_dict(params, data, reg) -> None:
    """The class variant's loss and gradients equal the dict variant's, number for number."""
    X, y = data[0][:32], data[2][:32]
    model = TwoLayerNet(params, reg)
    value, grads = adjoint.value_and_grad(model.loss, wrt="self")(X, y)
    expected_value, expected = adjoint.value_and_grad(loss, wrt="params")(params, X, y, reg)
    assert np.isclose(value, expected_value)
    assert all(np.allclose(grads[name], expected[name]) for name in params)
    check_grads(model.loss, X[:8], y[:8], wrt="self")


def load_data(seed: int):
    digits = load_digits()
    X = digits.data / 16.0  # pixel intensities 0..16 -> 0..1
    X = X - X.mean(axis=0)  # centred features train faster with plain SGD
    return train_test_split(X, digits.target, test_size=0.25, random_state=seed,
                            stratify=digits.target)


def train(params, data, config) -> dict:
    """Minibatch SGD with momentum; returns the per-epoch curves."""
    X_train, X_test, y_train, y_test = data
    value_and_grad = adjoint.value_and_grad(loss, wrt="params")
    velocity = {name: np.zeros_like(value) for name, value in params.items()}
    rng = np.random.default_rng(config.seed)
    history = {"loss": [], "train_acc": [], "test_acc": []}
    batches = int(np.ceil(len(X_train) / config.batch))
    for epoch in range(config.epochs):
        order = rng.permutation(len(X_train))
        losses = []
        bar = tqdm(range(batches), desc=f"epoch {epoch + 1:2d}/{config.epochs}", leave=False)
        for b in bar:
            rows = order[b * config.batch:(b + 1) * config.batch]
            value, grads = value_and_grad(params, X_train[rows], y_train[rows], config.reg)
            for name in params:
                velocity[name] = config.momentum * velocity[name] - config.lr * grads[name]
                params[name] = params[name] + velocity[name]
            losses.append(value)
            bar.set_postfix(loss=f"{np.mean(losses):.4f}", refresh=False)
        history["loss"].append(float(np.mean(losses)))
        history["train_acc"].append(accuracy(params, X_train, y_train))
        history["test_acc"].append(accuracy(params, X_test, y_test))
        bar.close()
        tqdm.write(f"epoch {epoch + 1:2d}: loss {history['loss'][-1]:.4f}  "
                   f"train acc {history['train_acc'][-1]:.3f}  "
                   f"test acc {history['test_acc'][-1]:.3f}")
    return history


def plot_curves(history: dict, path: str) -> None:
    epochs = np.arange(1, len(history["loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.5))
    left.plot(epochs, history["loss"], marker="o")
    left.set(xlabel="epoch", ylabel="training loss", title="Loss")
    right.plot(epochs, history["train_acc"], marker="o", label="train")
    right.plot(epochs, history["test_acc"], marker="o", label="test")
    right.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few epochs of a small network")
    parser.add_argument("--plot", default="digits_curves.png", help="where to save the curves")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    config = parser.parse_args(argv)
    config.hidden = 16 if config.quick else 64
    config.epochs = config.epochs or (3 if config.quick else 30)
    config.batch, config.lr, config.momentum, config.reg = 32, 0.05, 0.9, 1e-4
    return config


def main(argv=None) -> None:
    config = parse_args(argv)
    data = load_data(config.seed)
    X_train, X_test, y_train, y_test = data
    rng = np.random.default_rng(config.seed)
    params = init_params(rng, X_train.shape[1], config.hidden, 10)

    print(adjoint.source(loss, "params", params, X_train[:8], y_train[:8], config.reg))
    check_grads(loss, params, X_train[:16], y_train[:16], config.reg, wrt="params")
    print("gradient check against finite differences: ok\n")

    initial_loss = float(loss(params, X_train, y_train, config.reg))
    start = time.perf_counter()
    history = train(params, data, config)
    seconds = time.perf_counter() - start
    final_loss = float(loss(params, X_train, y_train, config.reg))

    plot_curves(history, config.plot)
    print(f"training loss: {initial_loss:.4f} -> {final_loss:.4f}")
    print(f"test accuracy: {history['test_acc'][-1]:.4f} ({len(X_test)} images)")
    print(f"training time: {seconds:.1f} s for {config.epochs} epochs")
    print(f"curves saved to {config.plot}")
    assert final_loss < initial_loss, "training did not lower the loss"

    start_params = init_params(np.random.default_rng(config.seed), X_train.shape[1], config.hidden, 10)
    check_class_matches_dict(start_params, data, config.reg)
    print("\nthe class variant (grad(model.loss, wrt='self')) matches the dict variant: ok")
    model = TwoLayerNet(start_params, config.reg)
    class_initial = float(model.loss(X_train, y_train))
    losses = train_model(model, data, config)
    class_final = float(model.loss(X_train, y_train))
    print(f"class variant: training loss {class_initial:.4f} -> {class_final:.4f}, "
          f"test accuracy {model.accuracy(X_test, y_test):.4f} (epoch losses "
          f"{', '.join(f'{v:.3f}' for v in losses)})")
    assert class_final < class_initial, "training the class variant did not lower the loss"
    # same numbers, same batches (the same seed): the same training run, step for step
    assert np.allclose(losses, history["loss"]), "the class variant trained differently"


if __name__ == "__main__":
    main()
