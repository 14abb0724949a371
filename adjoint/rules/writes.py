"""Rules for what numpy's writes into an argument lower to (see lowering/writes.py):
np.add.at(a, i, b) becomes a[...] = added_at(a, i, b)."""
from ..runtime.core import unbroadcast
from ..runtime.writes import added_at, diagonal_index
from .nondiff import INDEX
from .registry import nondiff, rule


@rule(added_at, elementwise=False)
def d_added_at(g, y, a, indices, b):
    """Every entry of b landed in one entry of the result (repeats each land)."""
    return g, None, unbroadcast(g[indices], b)


nondiff(diagonal_index, reason=INDEX)
