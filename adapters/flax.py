"""Flax: ``flax.linen.ConvTranspose`` (applied with ``Module.apply`` and the given params) and
``flax.nnx.ConvTranspose`` (its ``kernel`` and ``bias`` params set), each with
``transpose_kernel=False`` (the default) and ``True``. Both take channels-last input
``(N, *spatial, C_in)``; the kernel is ``(*kernel, C_in, C_out)`` read flipped, or with
``transpose_kernel=True`` ``(*kernel, C_out, C_in)`` as the scatter form has it; padding by
``oracle.rules.flax`` (``lax.conv_transpose``'s: pairs pad the stride-dilated input).

Flax 0.12.8 (``flax/linen/linear.py``, ``flax/nnx/nn/linear.py``): neither layer has
``feature_group_count`` (only ``Conv`` has), ``output_padding`` or an output size; an
output_padding is folded into explicit pairs (``rules.express``), as the padding ``lax``
receives can say it. ``'CIRCULAR'`` is no case's padding (``rules.circular``: a window only
where nothing wraps). Bias is the layer's own (``use_bias``: ``y += jnp.reshape(bias, (1,) *
(y.ndim - 1) + (-1,))``).
"""

from __future__ import annotations

from dataclasses import astuple, replace

from tconv.adapters import jax as jax_adapter
from tconv.adapters.base import Conventions, Plan, Unsupported, axes, expressed_axes
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Axis
from tconv.oracle.rules import flax as rules

NO_GROUPS = ("flax's ConvTranspose has no feature_group_count (flax 0.12.8: only Conv has "
             "one)")
NO_OUTPUT_SHAPE = ("flax's ConvTranspose takes no output size: the window is set by padding "
                   "only")
NO_OUTPUT_PADDING = ("flax's ConvTranspose has no output_padding; a padding string cannot carry "
                     "one (explicit pairs can)")


def padding(case: Case) -> str | tuple[tuple[int, int], ...]:
    """The case's padding as Flax takes it: its string, or a ``(low, high)`` pair per axis
    (one string where ``rules.express`` gives the same one on every axis)."""
    if isinstance(case.padding, OutputShape):
        raise Unsupported(NO_OUTPUT_SHAPE)
    if isinstance(case.padding, str):
        if any(case.output_padding):
            raise Unsupported(NO_OUTPUT_PADDING)
        return case.padding
    return jax_adapter.one_string_or_pairs(
        case, [spelled["padding"] for spelled in expressed_axes(case, rules.express)])


def windows(case: Case, spelled: str | tuple) -> tuple[tuple[int, int, int], ...]:
    """The canonical window per axis that ``rules.flax`` gives the padding as passed."""
    return tuple(astuple(rules.mode(axis, spelled) if isinstance(spelled, str) else
                         rules.pads(axis, *spelled[i])) for i, axis in enumerate(axes(case)))


# -- the layers, as functions of the canonical (x, w, *bias): run, differentiated and pasted
# -- into reproducer scripts as they stand (so each must stay self-contained) ---------------

def flax_kernel(w, transpose_kernel):
    """The canonical (C_in, C_out, *k) weight as Flax's kernel: (*k, C_in, C_out) read
    flipped, or with transpose_kernel (*k, C_out, C_in) as it is (the layer flips it and
    swaps the channel axes itself)."""
    import jax.numpy as jnp

    spatial = tuple(range(2, w.ndim))
    if transpose_kernel:
        return jnp.transpose(w, (*spatial, 1, 0))
    return jnp.flip(jnp.transpose(w, (*spatial, 0, 1)), axis=tuple(range(w.ndim - 2)))


def flax_padding(padding):
    """Pairs as tuples: flax's canonicalize_padding takes a pair only as a tuple."""
    return padding if isinstance(padding, str) else tuple(tuple(p) for p in padding)


def linen_forward(native, x, w, *bias):
    """flax.linen.ConvTranspose with the canonical x (N, C_in, *spatial) in channels-last,
    the given kernel and bias as its params; the output back to (N, C_out, *spatial)."""
    import flax.linen as nn
    import jax.numpy as jnp

    layer = nn.ConvTranspose(
        features=native["features"], kernel_size=native["kernel_size"],
        strides=native["strides"], padding=flax_padding(native["padding"]),
        kernel_dilation=native["kernel_dilation"], use_bias=bool(bias),
        transpose_kernel=native["transpose_kernel"])
    params = {"kernel": flax_kernel(w, native["transpose_kernel"])}
    if bias:
        params["bias"] = bias[0]
    y = layer.apply({"params": params}, jnp.moveaxis(x, 1, -1))
    return jnp.moveaxis(y, -1, 1)


def nnx_forward(native, x, w, *bias):
    """flax.nnx.ConvTranspose built with the case's dtype, its kernel and bias params set to
    the given ones; channels-last in, the output back to (N, C_out, *spatial)."""
    import jax.numpy as jnp
    from flax import nnx

    layer = nnx.ConvTranspose(
        native["in_features"], native["features"], native["kernel_size"], native["strides"],
        padding=flax_padding(native["padding"]), kernel_dilation=native["kernel_dilation"],
        use_bias=bool(bias), transpose_kernel=native["transpose_kernel"],
        param_dtype=w.dtype, rngs=nnx.Rngs(0))
    layer.kernel.value = flax_kernel(w, native["transpose_kernel"])
    if bias:
        layer.bias.value = bias[0]
    return jnp.moveaxis(layer(jnp.moveaxis(x, 1, -1)), -1, 1)


class LinenConvTranspose(jax_adapter.LayerFunction):
    """``flax.linen.ConvTranspose`` with ``transpose_kernel=False``."""

    name = "flax.linen.ConvTranspose"
    transpose_kernel = False
    conventions = Conventions(
        framework="flax", entry_point="flax.linen.ConvTranspose (Module.apply)",
        input_layout="N, *spatial, C_in", kernel_layout="*kernel, C_in, C_out (read flipped)",
        kernel_axes=("*kernel", "C_in", "C_out"), kernel_flipped=rules.kernel_flipped(False),
        padding_vocabulary="flax", bias="the layer's own bias (`use_bias`)", groups=False,
        padding_modes=("SAME", "VALID"), gradients=True,
        dtypes=("float32", "float64", "float16", "bfloat16"))
    package = "flax"
    forward = staticmethod(linen_forward)
    helpers = (flax_kernel, flax_padding)

    def plan(self, case: Case) -> Plan:
        if case.groups != 1:
            raise Unsupported(NO_GROUPS)
        spelled = padding(case)
        native = {"dims": case.dims, "in_features": case.in_channels,
                  "features": case.out_channels, "kernel_size": tuple(case.kernel),
                  "strides": tuple(case.stride), "padding": spelled,
                  "kernel_dilation": tuple(case.dilation),
                  "transpose_kernel": self.transpose_kernel}
        return Plan(self.name, case.id, native, windows(case, spelled))

    def source(self, plan: Plan) -> str:
        n = plan.native
        return (f"flax.linen.ConvTranspose(features={n['features']}, "
                f"kernel_size={n['kernel_size']}, strides={n['strides']}, "
                f"padding={n['padding']!r}, kernel_dilation={n['kernel_dilation']}, "
                f"transpose_kernel={n['transpose_kernel']}).apply({{'params': {{'kernel': "
                f"{KERNEL_SOURCE[n['transpose_kernel']]}, 'bias': b}}}}, x)")


# The kernel conversion in words, for ``source``.
KERNEL_SOURCE = {False: "flip(w.transpose(*k, C_in, C_out))",
                 True: "w.transpose(*k, C_out, C_in)"}


def _transposed(conventions: Conventions, entry_point: str) -> Conventions:
    """The same layer's conventions with ``transpose_kernel=True``."""
    return replace(conventions, entry_point=entry_point,
                   kernel_layout="*kernel, C_out, C_in (transpose_kernel: the layer flips it "
                                 "and swaps the channel axes)",
                   kernel_axes=("*kernel", "C_out", "C_in"),
                   kernel_flipped=rules.kernel_flipped(True))


class LinenConvTransposeTransposed(LinenConvTranspose):
    """``flax.linen.ConvTranspose(transpose_kernel=True)``."""

    name = "flax.linen.ConvTranspose.transpose_kernel"
    transpose_kernel = True
    conventions = _transposed(LinenConvTranspose.conventions,
                              "flax.linen.ConvTranspose(transpose_kernel=True) (Module.apply)")


class NnxConvTranspose(LinenConvTranspose):
    """``flax.nnx.ConvTranspose`` with ``transpose_kernel=False``."""

    name = "flax.nnx.ConvTranspose"
    conventions = replace(LinenConvTranspose.conventions,
                          entry_point="flax.nnx.ConvTranspose (kernel, bias set)")
    forward = staticmethod(nnx_forward)

    def source(self, plan: Plan) -> str:
        n = plan.native
        return (f"layer = flax.nnx.ConvTranspose({n['in_features']}, {n['features']}, "
                f"{n['kernel_size']}, {n['strides']}, padding={n['padding']!r}, "
                f"kernel_dilation={n['kernel_dilation']}, "
                f"transpose_kernel={n['transpose_kernel']}, rngs=...); layer.kernel.value = "
                f"{KERNEL_SOURCE[n['transpose_kernel']]}; layer.bias.value = b; y = layer(x)")


class NnxConvTransposeTransposed(NnxConvTranspose):
    """``flax.nnx.ConvTranspose(transpose_kernel=True)``."""

    name = "flax.nnx.ConvTranspose.transpose_kernel"
    transpose_kernel = True
    conventions = _transposed(NnxConvTranspose.conventions,
                              "flax.nnx.ConvTranspose(transpose_kernel=True) (kernel, bias set)")


FRAMEWORKS = (Framework(
    name="Flax", package="flax", distributions=("flax",),
    backends=(Backend("flax", "flax", jax_adapter.ENVIRONMENT, jax_adapter.COMPILE_CACHE,
                      packages=("flax", "jax")),),
    entry_points=tuple((cls, "flax") for cls in (
        LinenConvTranspose, LinenConvTransposeTransposed, NnxConvTranspose,
        NnxConvTransposeTransposed)),
    native_keys=("padding",),
    porting=Porting("Flax", "flax.linen.ConvTranspose", (
        Nominal("flax-same-k3-s2", "padding='SAME', k=3, s=2", "flax.linen.ConvTranspose",
                "SAME", astuple(rules.mode(Axis(4, 3, 2), "SAME"))),)),
),)
