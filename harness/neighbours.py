"""The neighbours of a network's gradients that are not the gradient of anything: the network's
gradients with another loss or reduction, or with an activation's backward changed (f′ omitted,
taken at a = f(z), a softmax cut to its diagonal, the error sent down without f′), computed by torch
in float64. harness/diagnosis.py compares the given gradients with them; harness/layers.py takes
the output layer's delta from them."""
from __future__ import annotations

import numpy as np
import torch

from backproof.manual.losses import get_loss
from backproof.manual.network import Gradients, Network
from backproof.reference.autograd import reduce, torch_activation, torch_per_example_loss
from backproof.reference.records import loss_record


class _Activation(torch.autograd.Function):
    """f forward, and a backward that is f's (mode "normal"), the identity ("omitted"), f′ taken at
    a = f(z) ("at_a"), or a softmax's diagonal a(1 − a) ("diagonal"). (variant_gradients' "split",
    for the output layer, is built from two of these.)"""

    @staticmethod
    def forward(ctx, z, fn, mode):
        a = fn(z)
        ctx.save_for_backward(z, a)
        ctx.fn, ctx.mode = fn, mode
        return a

    @staticmethod
    def backward(ctx, g):
        z, a = ctx.saved_tensors
        if ctx.mode == "omitted":
            return g, None, None
        if ctx.mode == "diagonal":
            return g * a * (1 - a), None, None
        point = a if ctx.mode == "at_a" else z
        with torch.enable_grad():
            t = point.detach().requires_grad_(True)
            (d,) = torch.autograd.grad(ctx.fn(t), t, g)
        return d, None, None


def variant_gradients(net: Network, x, y, *, loss: str | None = None, reduction: str | None = None,
                      output: str = "normal", hidden: str = "normal", l2: float | None = None) -> Gradients:
    """The network's gradients with another loss or reduction, or with its activations' backward
    changed (see _Activation), computed by torch in float64."""
    loss_obj = get_loss(loss) if loss else net.loss
    if loss_record(loss_obj).output and loss_record(loss_obj).output != net.activations[-1].name:
        raise ValueError("that loss is computed from another output's logits")
    reduction = reduction or net.reduction
    W = [torch.tensor(np.asarray(Wl, np.float64), requires_grad=True) for Wl in net.W]
    b = [torch.tensor(np.asarray(bl, np.float64), requires_grad=True) for bl in net.b]
    a, zs = torch.tensor(np.asarray(x, np.float64)), []
    for l, (Wl, bl, act) in enumerate(zip(W, b, net.activations)):
        z = torch.nn.functional.linear(a, Wl, bl)
        z.retain_grad()
        zs.append(z)
        mode = output if l == len(W) - 1 else hidden
        fn = lambda t, act=act: torch_activation(act, t)  # noqa: E731
        if mode == "split":   # the layer's own gradients through f', the error sent below without it
            below = torch.nn.functional.linear(a, Wl.detach(), bl.detach())
            own = torch.nn.functional.linear(a.detach(), Wl, bl)
            own.retain_grad()
            zs[-1] = own
            sent = _Activation.apply(below, fn, "omitted")
            a = _Activation.apply(own, fn, "normal") + (sent - sent.detach())
        else:
            a = _Activation.apply(z, fn, mode)
    yt = torch.tensor(np.asarray(y, np.float64))
    on_output = loss_record(loss_obj).on_output
    if output != "normal" and on_output is not None:   # the loss on a, so that the output's backward is used
        per_example = on_output(a, yt)
    else:
        per_example = torch_per_example_loss(loss_obj, zs[-1], a, yt)
    cost = reduce(per_example, reduction)
    l2 = net.l2 if l2 is None else l2
    if l2:
        cost = cost + l2 / 2 * sum((p * p).sum() for p in W + (b if net.l2_biases else []))
    cost.backward()
    numpy = lambda t: t.detach().numpy()  # noqa: E731
    return Gradients(np.float64(cost.item()), [numpy(z.grad) for z in zs], [numpy(w.grad) for w in W],
                     [numpy(v.grad) for v in b])
