"""backproof.reference: the oracles that judge a backward pass (autograd, finite differences), the
architecture strategy, the comparison helper and the command line."""
