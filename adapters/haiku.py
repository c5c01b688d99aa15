"""Haiku: ``haiku.ConvNDTranspose`` (``Conv1DTranspose``/``Conv2DTranspose``/
``Conv3DTranspose`` are it with ``num_spatial_dims`` fixed) under ``hk.transform``, applied with
the given params, in its default ``data_format="channels_last"`` and, as a second entry point,
``"channels_first"``. Its weight ``w`` is ``(*kernel, C_out, C_in)``, read flipped; padding by
``oracle.rules.haiku`` (``lax.conv_transpose``'s, and ``output_shape`` through
``compute_adjusted_padding``).

dm-haiku 0.0.17 (``haiku/_src/conv.py``): no kernel dilation (``lax.conv_transpose`` gets no
``rhs_dilation``), no ``feature_group_count``, no ``output_padding`` (folded into explicit
pairs by ``rules.express``); ``output_shape`` with a padding string only, one string for every
axis. Bias is the module's own (``with_bias``: ``b`` of shape ``(C_out,)``, or ``(C_out, 1,
...)`` channels-first, broadcast and added).
"""

from __future__ import annotations

from dataclasses import astuple, replace

from tconv.adapters import jax as jax_adapter
from tconv.adapters.base import Conventions, Plan, Unsupported, axes, expressed_axes
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Axis, Canonical, RuleViolation
from tconv.oracle.rules import haiku as rules

NO_GROUPS = "haiku.ConvNDTranspose has no feature_group_count (dm-haiku 0.0.17)"
NO_DILATION = ("haiku.ConvNDTranspose has no kernel dilation (dm-haiku 0.0.17: no rhs_dilation "
               "is passed to lax.conv_transpose)")
NO_OUTPUT_PADDING = ("haiku.ConvNDTranspose has no output_padding; a padding string cannot "
                     "carry one (explicit pairs and output_shape can)")


def _explicit(case: Case) -> tuple[str | tuple, list]:
    """Explicit pairs: one string where ``rules.express`` gives the same one on every axis,
    else a ``(low, high)`` pair of the stride-dilated input per axis."""
    padding = jax_adapter.one_string_or_pairs(
        case, [spelled["padding"] for spelled in expressed_axes(case, rules.express)])
    if isinstance(padding, str):
        return padding, [rules.mode(axis, padding) for axis in axes(case)]
    return padding, [rules.pads(axis, *p) for axis, p in zip(axes(case), padding)]


def _output_shape(case: Case) -> tuple[str, list, str]:
    """``output_shape``: VALID where every axis' size is one VALID accepts, else SAME (one
    string serves all axes); an axis neither accepts is planned SAME, which Haiku refuses."""
    if any(case.output_padding):
        raise Unsupported("haiku.ConvNDTranspose has no output_padding: output_shape alone "
                          "sets the size")
    accepted, refusals = [], []
    for axis, size in zip(axes(case), case.padding.size):
        ok = {}
        for mode in rules.MODES:
            try:
                ok[mode] = rules.output_shape(axis, mode, size)
            except RuleViolation as error:
                # What SAME says on the first axis it refuses: Haiku stops there.
                refusals += [str(error)] if mode == "SAME" else []
        accepted.append(ok)
    for mode in ("VALID", "SAME"):
        if all(mode in ok for ok in accepted):
            return mode, [ok[mode] for ok in accepted], ""
    if all(accepted):
        raise Unsupported(f"output_shape {case.padding.size} needs VALID on some axes and SAME "
                          "on others; haiku takes one padding string for every axis")
    canonical = [ok.get("SAME") or ok.get("VALID") or Canonical(0, 0, size - axis.full)
                 for axis, size, ok in zip(axes(case), case.padding.size, accepted)]
    return "SAME", canonical, refusals[0]


# -- the module under hk.transform, as a function of the canonical (x, w, *bias): run,
# -- differentiated and pasted into reproducer scripts as it stands (self-contained) -------

def haiku_forward(native, x, w, *bias):
    """haiku.ConvNDTranspose under hk.transform, applied with the canonical weight as its w
    ((C_in, C_out, *k) -> (*k, C_out, C_in), flipped: haiku reads it flipped) and bias as its
    b; channels-last input transposed from (N, C_in, *spatial) and the output back."""
    import haiku as hk
    import jax.numpy as jnp

    dims, last = native["dims"], native["data_format"] == "channels_last"
    spatial = tuple(range(2, w.ndim))
    kernel = jnp.flip(jnp.transpose(w, (*spatial, 1, 0)), axis=tuple(range(dims)))
    padding = native["padding"]
    padding = padding if isinstance(padding, str) else tuple(tuple(p) for p in padding)

    def layer(inputs):
        return hk.ConvNDTranspose(
            dims, native["output_channels"], native["kernel_shape"], stride=native["stride"],
            output_shape=native["output_shape"], padding=padding, with_bias=bool(bias),
            data_format=native["data_format"], name="conv")(inputs)

    params = {"conv": {"w": kernel}}
    if bias:
        params["conv"]["b"] = bias[0] if last else bias[0].reshape((-1,) + (1,) * dims)
    y = hk.transform(layer).apply(params, None, jnp.moveaxis(x, 1, -1) if last else x)
    return jnp.moveaxis(y, -1, 1) if last else y


class ConvNDTranspose(jax_adapter.LayerFunction):
    """``haiku.ConvNDTranspose`` channels-last (its default)."""

    name = "haiku.ConvNDTranspose"
    data_format = "channels_last"
    package = "haiku"
    forward = staticmethod(haiku_forward)
    conventions = Conventions(
        framework="haiku", entry_point="haiku.ConvNDTranspose (hk.transform, apply)",
        input_layout="N, *spatial, C_in", kernel_layout="*kernel, C_out, C_in (read flipped)",
        kernel_axes=("*kernel", "C_out", "C_in"), kernel_flipped=rules.KERNEL_FLIPPED,
        padding_vocabulary="haiku", bias="the module's own bias (`with_bias`)", groups=False,
        dilation=False, padding_modes=rules.MODES, output_shape=True, gradients=True,
        dtypes=("float32", "float64", "float16", "bfloat16"))

    def plan(self, case: Case) -> Plan:
        if case.groups != 1:
            raise Unsupported(NO_GROUPS)
        if any(d != 1 for d in case.dilation):
            raise Unsupported(NO_DILATION)
        violation, output_shape = "", None
        if isinstance(case.padding, OutputShape):
            padding, canonical, violation = _output_shape(case)
            output_shape = tuple(case.padding.size)
        elif isinstance(case.padding, str):
            if any(case.output_padding):
                raise Unsupported(NO_OUTPUT_PADDING)
            padding, canonical = case.padding, [rules.mode(a, case.padding) for a in axes(case)]
        else:
            padding, canonical = _explicit(case)
        native = {"dims": case.dims, "output_channels": case.out_channels,
                  "kernel_shape": tuple(case.kernel), "stride": tuple(case.stride),
                  "output_shape": output_shape, "padding": padding,
                  "data_format": self.data_format}
        return Plan(self.name, case.id, native, tuple(astuple(c) for c in canonical),
                    violation)

    def source(self, plan: Plan) -> str:
        n = plan.native
        return (f"hk.transform(lambda x: hk.ConvNDTranspose({n['dims']}, "
                f"{n['output_channels']}, {n['kernel_shape']}, stride={n['stride']}, "
                f"output_shape={n['output_shape']}, padding={n['padding']!r}, "
                f"data_format={n['data_format']!r}, name='conv')(x)).apply({{'conv': {{'w': "
                "flip(w.transpose(*k, C_out, C_in)), 'b': b}}, None, x)")


class ConvNDTransposeChannelsFirst(ConvNDTranspose):
    """``haiku.ConvNDTranspose(data_format="channels_first")``: no input transposition, the
    bias ``(C_out, 1, ...)``."""

    name = "haiku.ConvNDTranspose.channels_first"
    data_format = "channels_first"
    conventions = replace(
        ConvNDTranspose.conventions, input_layout="N, C_in, *spatial",
        entry_point="haiku.ConvNDTranspose(data_format='channels_first') (hk.transform, apply)")


FRAMEWORKS = (Framework(
    name="Haiku", package="dm-haiku", distributions=("dm-haiku",),
    backends=(Backend("haiku", "haiku", jax_adapter.ENVIRONMENT, jax_adapter.COMPILE_CACHE,
                      packages=("dm-haiku", "jax")),),
    entry_points=tuple((cls, "haiku") for cls in (ConvNDTranspose,
                                                  ConvNDTransposeChannelsFirst)),
    native_keys=("padding", "output_shape"),
    porting=Porting("Haiku", "haiku.ConvNDTranspose", (
        Nominal("haiku-same-k4-s2", "padding='SAME' (the default), k=4, s=2",
                "haiku.ConvNDTranspose", "SAME", astuple(rules.mode(Axis(4, 4, 2), "SAME")),
                k=4),)),
),)
