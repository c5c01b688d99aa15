"""Equinox: ``equinox.nn.ConvTranspose`` (N-D), applied to a batch with ``jax.vmap`` as Equinox's
layers expect (they take one unbatched ``(C, *spatial)`` input). Its weight is
``(C_out, C_in/groups, *kernel)``, read flipped relative to the scatter form (the layer runs
``lax.conv_general_dilated`` on the stride-dilated input); padding by ``oracle.rules.equinox``.
"""

from __future__ import annotations

from dataclasses import astuple

import numpy as np

from tconv.adapters import jax as jax_adapter
from tconv.adapters.base import Conventions, Plan, Unsupported, axes, expressed
from tconv.adapters.declarations import Backend, Framework
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Canonical, RuleViolation
from tconv.oracle.rules import equinox as rules


def _spelled(case: Case) -> tuple[object, tuple[int, ...], tuple[Canonical, ...], str]:
    """``padding`` and ``output_padding`` as Equinox takes them, the window its rule gives,
    and the documented limit the case breaks ("" if none)."""
    if isinstance(case.padding, OutputShape):
        raise Unsupported("equinox.nn.ConvTranspose takes no output size: the window is set "
                          "by padding and output_padding only")
    if isinstance(case.padding, str):
        violation = ""
        for axis, a in zip(axes(case), case.output_padding):
            try:
                rules.limits(axis, a)
            except RuleViolation as error:
                violation = violation or str(error)
        windows = tuple(rules.mode(axis, case.padding, a)
                        for axis, a in zip(axes(case), case.output_padding))
        return case.padding, tuple(case.output_padding), windows, violation
    # Explicit pairs: as given, with output_padding where Equinox allows it (< stride); else
    # the same window with the extension folded into the pair (rules.express).
    pairs, extensions = [], []
    for axis, (b, e), a in zip(axes(case), case.padding, case.output_padding):
        if 0 <= a < axis.s:
            pairs.append((b, e))
            extensions.append(a)
        else:
            spelled = expressed(rules.express, axis, b, e, a)
            pairs.append(spelled["padding"])
            extensions.append(spelled["output_padding"])
    windows = tuple(rules.pads(b, e, a) for (b, e), a in zip(case.padding, case.output_padding))
    return tuple(pairs), tuple(extensions), windows, ""


# The layer's arguments after (num_spatial_dims, in_channels, out_channels, kernel_size).
CALL_KEYS = ("stride", "padding", "output_padding", "dilation", "groups")


def _kwargs(native: dict) -> dict:
    return {key: native[key] for key in CALL_KEYS}


def native_weight(w: np.ndarray, groups: int) -> np.ndarray:
    """Canonical ``(C_in, C_out/g, *k)`` -> Equinox's ``(C_out, C_in/g, *k)``, flipped: each
    group's channels swapped, then the spatial axes reversed (a layout conversion only)."""
    c_in, c_out_g, *kernel = w.shape
    w = w.reshape(groups, c_in // groups, c_out_g, *kernel).swapaxes(1, 2)
    w = w.reshape(groups * c_out_g, c_in // groups, *kernel)
    return np.flip(w, axis=tuple(range(2, w.ndim))).copy()


# -- the layer as a function of the canonical (x, w, *bias): run, differentiated and pasted
# -- into reproducer scripts as it stands (so it must stay self-contained) -----------------

def equinox_forward(native, x, w, *bias):
    """equinox.nn.ConvTranspose of the case's dtype with the canonical weight w in its own
    layout ((C_in, C_out/g, *k) -> (C_out, C_in/g, *k), each group's channels swapped, the
    spatial axes reversed: Equinox reads it flipped) and bias as its own, vmapped over the
    batch (Equinox's layers take one unbatched sample)."""
    import equinox as eqx
    import jax
    import jax.numpy as jnp

    dims, groups = native["dims"], native["groups"]
    layer = eqx.nn.ConvTranspose(
        dims, native["in_channels"], native["out_channels"], native["kernel_size"],
        stride=native["stride"], padding=native["padding"],
        output_padding=native["output_padding"], dilation=native["dilation"], groups=groups,
        use_bias=bool(bias), dtype=w.dtype, key=jax.random.PRNGKey(0))
    c_in, c_out_g, *kernel = w.shape
    weight = w.reshape(groups, c_in // groups, c_out_g, *kernel).swapaxes(1, 2)
    weight = jnp.flip(weight.reshape(groups * c_out_g, c_in // groups, *kernel),
                      axis=tuple(range(2, w.ndim)))
    layer = eqx.tree_at(lambda m: m.weight, layer, weight)
    if bias:
        layer = eqx.tree_at(lambda m: m.bias, layer, bias[0].reshape((-1,) + (1,) * dims))
    return jax.vmap(layer)(x)


class ConvTranspose(jax_adapter.LayerFunction):
    name = "equinox.ConvTranspose"
    conventions = Conventions(
        framework="equinox", entry_point="equinox.nn.ConvTranspose (jax.vmap over the batch)",
        input_layout="N, C_in, *spatial (one (C_in, *spatial) sample per call, vmapped)",
        kernel_layout="C_out, C_in/groups, *kernel (the layer's weight; read flipped)",
        kernel_axes=("C_out", "C_in/groups", "*kernel"), kernel_flipped=True,
        padding_vocabulary="equinox",
        bias="the layer's own bias (`use_bias`, shape (C_out, 1, ...))",
        padding_modes=("SAME", "VALID"), gradients=True,
        dtypes=("float32", "float64", "float16", "bfloat16"))
    package = "equinox"
    forward = staticmethod(equinox_forward)

    def plan(self, case: Case) -> Plan:
        padding, output_padding, windows, violation = _spelled(case)
        native = {"dims": case.dims, "in_channels": case.in_channels,
                  "out_channels": case.out_channels, "kernel_size": tuple(case.kernel),
                  "stride": tuple(case.stride), "padding": padding,
                  "output_padding": output_padding, "dilation": tuple(case.dilation),
                  "groups": case.groups}
        return Plan(self.name, case.id, native, tuple(astuple(w) for w in windows), violation)

    def source(self, plan: Plan) -> str:
        n = plan.native
        args = ", ".join(f"{k}={v!r}" for k, v in _kwargs(n).items())
        return (f"layer = equinox.nn.ConvTranspose({n['dims']}, {n['in_channels']}, "
                f"{n['out_channels']}, {n['kernel_size']!r}, {args}, key=...); layer.weight = "
                "regrouped, flipped w; y = jax.vmap(layer)(x)")


FRAMEWORKS = (Framework(
    name="Equinox", package="equinox", distributions=("equinox",),
    backends=(Backend("equinox", "equinox", jax_adapter.ENVIRONMENT, jax_adapter.COMPILE_CACHE,
                      packages=("equinox", "jax")),),
    entry_points=((ConvTranspose, "equinox"),),
    native_keys=("padding", "output_padding"),
),)
