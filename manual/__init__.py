"""backproof.manual: backpropagation for fully connected networks, written by hand in NumPy."""
from .activations import ACTIVATIONS, Activation, get_activation, leaky_relu
from .losses import LOSSES, REDUCTIONS, Loss, get_loss
from .network import (Cache, Gradients, Network, bp1_output_error, bp2_hidden_error, bp3_bias_grad,
                      bp4_weight_grad, linear)
from .train import sgd, train_step

__all__ = ["ACTIVATIONS", "Activation", "get_activation", "leaky_relu", "LOSSES", "REDUCTIONS", "Loss",
           "get_loss", "Cache", "Gradients", "Network", "linear", "bp1_output_error", "bp2_hidden_error",
           "bp3_bias_grad", "bp4_weight_grad", "sgd", "train_step"]
