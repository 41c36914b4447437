"""backproof.manual: backpropagation for fully connected networks, written by hand in NumPy.

network.py holds one forward and one backward pass (BP1–BP4, one function each), top to bottom;
activations.py and losses.py hold f, f' and each loss with ∂C/∂a; train.py is mini-batch SGD;
checks.py validates every argument (TypeError for a wrong type, ValueError for a wrong value).
"""
from .activations import ACTIVATIONS, Activation, get_activation, leaky_relu
from .losses import LOSSES, REDUCTIONS, Loss, get_loss
from .network import (Forward, Gradients, Network, backpropagate, backpropagate_errors, bp1_output_error, bp2_hidden_error, bp3_bias_grad,
                      bp4_weight_grad, cost, feedforward, linear)
from .train import sgd, train_step

__all__ = ["ACTIVATIONS", "Activation", "get_activation", "leaky_relu", "LOSSES", "REDUCTIONS", "Loss",
           "get_loss", "Forward", "Gradients", "Network", "feedforward", "backpropagate", "backpropagate_errors", "cost", "linear",
           "bp1_output_error", "bp2_hidden_error", "bp3_bias_grad", "bp4_weight_grad", "sgd", "train_step"]
