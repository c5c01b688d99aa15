"""Equinox: ``equinox.nn.ConvTranspose`` (N-D), applied to a batch with ``jax.vmap`` as Equinox's
layers expect (they take one unbatched ``(C, *spatial)`` input). Its weight is
``(C_out, C_in/groups, *kernel)``, read flipped relative to the scatter form (the layer runs
``lax.conv_general_dilated`` on the stride-dilated input); padding by ``oracle.rules.equinox``.
"""

from __future__ import annotations

from dataclasses import astuple

import numpy as np

from tconv.adapters import jax as jax_adapter
from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported
from tconv.adapters.declarations import Backend, Framework
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Axis, Canonical, NotExpressible, RuleViolation
from tconv.oracle.rules import equinox as rules


def axes(case: Case) -> list[Axis]:
    return [Axis(n, k, s, d) for n, k, s, d in
            zip(case.input_size, case.kernel, case.stride, case.dilation)]


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
            try:
                spelled = rules.express(axis, Canonical(b, e, a))
            except NotExpressible as reason:
                raise Unsupported(f"padding {(b, e)}: {reason}") from None
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


class ConvTranspose(Adapter):
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

    def plan(self, case: Case) -> Plan:
        padding, output_padding, windows, violation = _spelled(case)
        native = {"dims": case.dims, "in_channels": case.in_channels,
                  "out_channels": case.out_channels, "kernel_size": tuple(case.kernel),
                  "stride": tuple(case.stride), "padding": padding,
                  "output_padding": output_padding, "dilation": tuple(case.dilation),
                  "groups": case.groups}
        return Plan(self.name, case.id, native, tuple(astuple(w) for w in windows), violation)

    @staticmethod
    def _apply(native: dict, x, w, b, dtype: str):
        """The layer with the canonical weight ``w`` (a JAX array) in its own layout, applied
        to the batch: one function for the run and, differentiated, for the gradients (the
        layout conversion inside it, so that dw comes back canonical)."""
        import equinox as eqx
        import jax
        import jax.numpy as jnp

        dims, groups = native["dims"], native["groups"]
        layer = eqx.nn.ConvTranspose(dims, native["in_channels"], native["out_channels"],
                                     native["kernel_size"], use_bias=b is not None,
                                     dtype=jax_adapter._dtype(dtype),
                                     key=jax.random.PRNGKey(0), **_kwargs(native))
        c_in, c_out_g, *kernel = w.shape
        weight = w.reshape(groups, c_in // groups, c_out_g, *kernel).swapaxes(1, 2)
        weight = jnp.flip(weight.reshape(groups * c_out_g, c_in // groups, *kernel),
                          axis=tuple(range(2, w.ndim)))
        layer = eqx.tree_at(lambda m: m.weight, layer, weight)
        if b is not None:
            layer = eqx.tree_at(lambda m: m.bias, layer, b.reshape((-1,) + (1,) * dims))
        return jax.vmap(layer)(x)

    def run(self, native: dict, x, w, b, dtype: str) -> np.ndarray:
        arrays = [jax_adapter._array(a, dtype) for a in (x, w, b)]
        return np.asarray(self._apply(native, *arrays, dtype)).astype(np.float64)

    def grad(self, native: dict, x, w, b, dy, dtype: str):
        def forward(x_, w_, *bias):
            return self._apply(native, x_, w_, bias[0] if bias else None, dtype)

        return jax_adapter.gradients(forward, x, w, b, dy, dtype)

    def source(self, plan: Plan) -> str:
        n = plan.native
        args = ", ".join(f"{k}={v!r}" for k, v in _kwargs(n).items())
        return (f"layer = equinox.nn.ConvTranspose({n['dims']}, {n['in_channels']}, "
                f"{n['out_channels']}, {n['kernel_size']!r}, {args}, key=...); layer.weight = "
                "regrouped, flipped w; y = jax.vmap(layer)(x)")

    @staticmethod
    def _forward_script(n: dict) -> list[str]:
        """Reproducer lines defining ``forward(x, w, *bias)`` as ``_apply`` computes it, and
        ``primals``: the script's inputs as JAX arrays of ``dtype``."""
        args = ", ".join(f"{k}={v!r}" for k, v in _kwargs(n).items())
        return [
            "import equinox as eqx",
            "import jax",
            "import jax.numpy as jnp",
            "import numpy as np",
            "",
            "",
            "def forward(x_, w_, *bias):",
            f"    g = {n['groups']}",
            "    # (C_in, C_out/g, *k) -> (C_out, C_in/g, *k), the spatial axes reversed",
            "    c_in, c_out_g = w_.shape[:2]",
            "    weight = w_.reshape(g, c_in // g, c_out_g, *w_.shape[2:]).swapaxes(1, 2)",
            "    weight = jnp.flip(weight.reshape(g * c_out_g, c_in // g, *w_.shape[2:]), "
            "axis=tuple(range(2, w_.ndim)))",
            f"    layer = eqx.nn.ConvTranspose({n['dims']}, {n['in_channels']}, "
            f"{n['out_channels']}, {n['kernel_size']!r}, {args}, use_bias=bool(bias), "
            "dtype=dtype, key=jax.random.PRNGKey(0))",
            "    layer = eqx.tree_at(lambda m: m.weight, layer, weight)",
            "    if bias:",
            f"        layer = eqx.tree_at(lambda m: m.bias, layer, bias[0].reshape((-1,) + "
            f"(1,) * {n['dims']}))",
            "    return jax.vmap(layer)(x_)",
            "",
            "",
            "primals = [jnp.asarray(a, dtype=dtype) for a in ([x, w] if b is None else "
            "[x, w, b])]"]

    def script(self, plan: Plan) -> str:
        return "\n".join([*self._forward_script(plan.native),
                          "y = np.asarray(forward(*primals)).astype(np.float64)"])

    def grad_script(self, plan: Plan) -> str:
        return "\n".join([*self._forward_script(plan.native),
                          *jax_adapter.vjp_script("forward")])

    def version(self) -> str:
        import equinox

        return str(equinox.__version__)

    def cuda(self) -> dict:
        return jax_adapter.cuda_status()

    def precision(self, strict: bool) -> None:
        jax_adapter.set_precision(strict)


FRAMEWORKS = (Framework(
    name="Equinox", package="equinox", distributions=("equinox",),
    backends=(Backend("equinox", "equinox", jax_adapter.ENVIRONMENT, jax_adapter.COMPILE_CACHE,
                      packages=("equinox", "jax")),),
    entry_points=((ConvTranspose, "equinox"),),
    native_keys=("padding", "output_padding"),
),)
