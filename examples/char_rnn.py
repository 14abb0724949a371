"""A character-level RNN trained on a short story (examples/data/tiny.txt).

    python examples/char_rnn.py [--quick] [--steps N] [--text FILE]

A tanh RNN with 64 hidden units reads the text 25 characters at a time (truncated
backpropagation through time: the hidden state is carried from one chunk to the next,
the gradient is not) and learns to predict the next character, with Adagrad. adjoint
differentiates the whole 25-step loop; the script prints that generated code first and
checks it once against finite differences. Every so often it prints the smoothed loss
and a sample of text drawn from the model.

`--quick` runs a few hundred steps (seconds; used by the tests) and asserts that the
loss went down.
"""
import argparse
import pathlib
import time

import numpy as np

import adjoint
from adjoint.testing import check_grads

TEXT = pathlib.Path(__file__).resolve().parent / "data" / "tiny.txt"


def sequence_loss(params, inputs, targets, h):
    """Summed cross-entropy of predicting targets[t] after reading inputs[:t + 1].

    inputs: (T, V) one-hot rows; targets: (T,) character indices; h: the hidden state
    carried in. Returns (loss, last hidden state) for has_aux=True.
    """
    input_terms = inputs @ params["Wxh"] + params["bh"]  # all T steps in one product
    states = []
    for t in range(inputs.shape[0]):
        h = np.tanh(input_terms[t] + h @ params["Whh"])
        states.append(h)
    scores = np.stack(states) @ params["Why"] + params["by"]
    shifted = scores - np.max(scores, axis=1, keepdims=True)  # stable log-softmax
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    loss = -np.sum(log_probs[np.arange(inputs.shape[0]), targets])
    return loss, h


def chunk_loss(params, inputs, targets, h):
    """The loss alone, for the finite-difference check."""
    loss, _ = sequence_loss(params, inputs, targets, h)
    return loss


def init_params(rng, vocab: int, hidden: int, scale: float = 0.01) -> dict:
    return {
        "Wxh": rng.standard_normal((vocab, hidden)) * scale,
        "Whh": rng.standard_normal((hidden, hidden)) * scale,
        "bh": rng.standard_normal(hidden) * scale,
        "Why": rng.standard_normal((hidden, vocab)) * scale,
        "by": rng.standard_normal(vocab) * scale,
    }


def sample(params, h, first: int, length: int, rng) -> list:
    """Draw `length` character indices from the model, starting after `first`."""
    index, drawn = first, []
    for _ in range(length):
        h = np.tanh(params["Wxh"][index] + params["bh"] + h @ params["Whh"])
        scores = h @ params["Why"] + params["by"]
        probs = np.exp(scores - np.max(scores))
        index = int(rng.choice(len(probs), p=probs / np.sum(probs)))
        drawn.append(index)
    return drawn


class Adagrad:
    """Per-entry step sizes lr / sqrt(sum of squared gradients so far)."""

    def __init__(self, params: dict, lr: float):
        self.lr = lr
        self.memory = {name: np.zeros_like(value) for name, value in params.items()}

    def step(self, params: dict, grads: dict) -> None:
        for name, g in grads.items():
            g = np.clip(g, -5, 5)  # exploding gradients are the RNN's usual failure
            self.memory[name] += g * g
            params[name] = params[name] - self.lr * g / np.sqrt(self.memory[name] + 1e-8)


def one_hot(indices, vocab: int):
    rows = np.zeros((len(indices), vocab))
    rows[np.arange(len(indices)), indices] = 1.0
    return rows


def train(params, encoded, vocab, chars, config) -> tuple:
    """Truncated BPTT over the text, wrapping around; returns (first, last) smoothed loss."""
    value_and_grad = adjoint.value_and_grad(sequence_loss, wrt="params", has_aux=True)
    optimizer = Adagrad(params, config.lr)
    rng = np.random.default_rng(config.seed)
    smooth = first_smooth = -np.log(1.0 / vocab) * config.seq  # the loss of a uniform guess
    position, h = 0, np.zeros(config.hidden)
    for step in range(config.steps + 1):
        if position + config.seq + 1 > len(encoded):
            position, h = 0, np.zeros(config.hidden)  # back to the start, fresh memory
        chunk = encoded[position:position + config.seq + 1]
        (loss, h), grads = value_and_grad(params, one_hot(chunk[:-1], vocab), chunk[1:], h)
        optimizer.step(params, grads)
        smooth = 0.99 * smooth + 0.01 * loss
        if step % config.sample_every == 0:
            text = "".join(chars[i] for i in sample(params, h, chunk[-1], config.sample_len, rng))
            print(f"--- step {step}, smoothed loss {smooth:.2f}\n{text}\n")
        position += config.seq
    return first_smooth, smooth


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few hundred steps")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--text", default=str(TEXT))
    parser.add_argument("--seed", type=int, default=0)
    config = parser.parse_args(argv)
    config.steps = config.steps or (300 if config.quick else 20000)
    config.sample_every = 100 if config.quick else 2000
    config.sample_len = 80 if config.quick else 200
    config.hidden, config.seq, config.lr = 64, 25, 0.1
    return config


def main(argv=None) -> None:
    config = parse_args(argv)
    text = pathlib.Path(config.text).read_text()
    chars = sorted(set(text))
    index_of = {c: i for i, c in enumerate(chars)}
    encoded = np.array([index_of[c] for c in text])
    vocab = len(chars)
    print(f"{len(text)} characters, {vocab} distinct")
    rng = np.random.default_rng(config.seed)
    params = init_params(rng, vocab, config.hidden)

    example = (one_hot(encoded[:25], vocab), encoded[1:26], np.zeros(config.hidden))
    print(adjoint.source(sequence_loss, "params", params, *example, has_aux=True))
    # Check the gradient training uses, on a small net with weights big enough to matter.
    training_grad = adjoint.grad(sequence_loss, wrt=("params",), has_aux=True)
    small = init_params(rng, vocab, 8, scale=0.5)
    check_grads(chunk_loss, small, example[0], example[1], rng.standard_normal(8) * 0.5,
                wrt="params", grad_fn=lambda *args: training_grad(*args)[0])
    print("gradient check against finite differences: ok\n")

    start = time.perf_counter()
    first, last = train(params, encoded, vocab, chars, config)
    seconds = time.perf_counter() - start
    print(f"smoothed loss per {config.seq} characters: {first:.2f} -> {last:.2f}")
    print(f"training time: {seconds:.1f} s for {config.steps} steps")
    assert last < first, "training did not lower the loss"


if __name__ == "__main__":
    main()
