"""backproof.reference: the oracles that judge a backward pass (the harness that checks anyone's
backprop with them is its own package, backproof.harness).

    autograd.py     PyTorch autograd (float64 on the CPU; CUDA tensors when a GPU is present)
    symbolic.py     exact derivatives of the cost written as one expression (no δ recurrence)
    finite_diff.py  central differences of its own NumPy forward pass
    tolerances.py   every tolerance, derived once per dtype and oracle
    compare.py      the one comparison (a tensor against a reference) and its messages
    strategies.py   the one architecture strategy (hypothesis and seeded sweeps)
    cuda.py         the CUDA comparison
"""
