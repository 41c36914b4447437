"""Deliberately wrong versions of the backward equations of manual/network.py, shared by the tests
that show each oracle catches them: name → (function replaced, wrong version)."""
import numpy as np

BUGS = {
    # BP1 without f'(z[L]): δ[L] = s·(a − y) for every loss and activation, as if always fused
    "bp1 missing f'": ("bp1_output_error", lambda z, a, y, act, loss, s: s * (a - y)),
    # BP2 without f'(z[l])
    "bp2 missing f'": ("bp2_hidden_error", lambda d, W, z, act: d @ W),
    # BP2 with W[l+1] transposed (column-vector notation pasted into the row layout)
    "bp2 W not transposed right": ("bp2_hidden_error", lambda d, W, z, act: (d @ W.T) * act.prime(z)),
    # BP4 with the outer product the wrong way round: shape (in, out) instead of (out, in)
    "bp4 transposed": ("bp4_weight_grad", lambda d, a_prev, out=None: np.matmul(a_prev.T, d, out=out)),
    # BP3 from the first example only, not summed over the batch
    "bp3 not summed over the batch": ("bp3_bias_grad", lambda d: d[0]),
}
