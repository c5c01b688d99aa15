"""MLX on the Linux CPU (``mlx[cpu]``): ``mlx.core.conv_transpose1d/2d/3d`` and the layers
``mlx.nn.ConvTranspose1d/2d/3d``. Channels-last: input ``(N, *spatial, C_in)``, weight
``(C_out, *kernel, C_in/groups)`` (``run_conv_checks`` in ``mlx/ops.cpp``: "[C_out, ...,
C_in]"), not flipped relative to the scatter form (``conv_transpose_general`` flips it itself,
``flip = true``); padding by ``oracle.rules.mlx``.

- Groups: the functions take ``groups``; the 2-D and 3-D docstrings say "Only the default
  ``groups=1`` is currently supported", so a grouped 2-D or 3-D case is the plan's
  ``violation`` (what MLX does with it is judged: it refuses 3-D, computes 2-D). The layers
  have no ``groups`` argument.
- Bias: the functions take none; it is added as ``y + b`` over the channels-last output, the
  layers' own idiom (``mlx/nn/layers/convolution_transpose.py``: ``y = y + self.bias``); the
  layers use their own ``bias`` parameter.
- dtypes: float32, float16, bfloat16, and float64, which MLX documents for CPU operations
  ("Arrays with type float64 only work with CPU operations", the Data Types page). Its CPU
  convolution has a float64 kernel only on its GEMM path (``mlx/backend/cpu/conv.cpp``:
  ``dispatch_slow_conv_type`` knows float32, float16 and bfloat16 and otherwise raises
  "[Convolution::eval] got unsupported data type."), a discrepancy registered where it shows.
- Gradients: ``mx.vjp`` of the same call, the layout conversion inside the differentiated
  function so that dx, dw and dbias come back in the canonical layouts.
"""

from __future__ import annotations

from dataclasses import astuple

import numpy as np

from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported, expressed_axes
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import RuleViolation
from tconv.oracle.rules import mlx as rules

NO_STRINGS = "MLX's transposed convolutions take no padding strings (SAME/VALID)"
NO_OUTPUT_SHAPE = ("MLX's transposed convolutions take no output size: the window is set by "
                   "padding and output_padding only")


def _spelled(case: Case) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """``padding`` and ``output_padding`` per axis for the case's explicit pairs."""
    if isinstance(case.padding, str):
        raise Unsupported(NO_STRINGS)
    if isinstance(case.padding, OutputShape):
        raise Unsupported(NO_OUTPUT_SHAPE)
    spelled = expressed_axes(case, rules.express)
    return (tuple(s["padding"] for s in spelled), tuple(s["output_padding"] for s in spelled))


# The call's arguments after (input, weight), in the plan's native parameters.
CALL_KEYS = ("stride", "padding", "dilation", "output_padding", "groups")
LAYER_KEYS = ("stride", "padding", "dilation", "output_padding")


def _arguments(native: dict, keys: tuple[str, ...]) -> dict:
    """The call's keyword arguments: 1-D takes ints, 2-D and 3-D tuples."""
    one = native["dims"] == 1
    return {key: native[key] if key == "groups" else
            (native[key][0] if one else tuple(native[key])) for key in keys}


def _source_arguments(kwargs: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in kwargs.items())


def _mx_dtype(dtype: str):
    import mlx.core as mx

    return {"float32": mx.float32, "float64": mx.float64, "float16": mx.float16,
            "bfloat16": mx.bfloat16}[dtype]


def _array(a: np.ndarray | None, dtype: str):
    import mlx.core as mx

    # bfloat16 values arrive exactly representable in float32, so the cast is exact.
    return None if a is None else mx.array(a).astype(_mx_dtype(dtype))


def _numpy(a) -> np.ndarray:
    """An MLX array as float64 NumPy (through float32, exact for the 16-bit types)."""
    import mlx.core as mx

    return np.array(a if a.dtype == mx.float64 else a.astype(mx.float32)).astype(np.float64)


def native_weight(w, groups: int):
    """Canonical ``(C_in, C_out/g, *k)`` -> MLX's ``(C_out, *k, C_in/g)``: each group's
    channels swapped, then the input channels moved last (works on NumPy and MLX arrays)."""
    c_in, c_out_g, *kernel = w.shape
    w = w.reshape(groups, c_in // groups, c_out_g, *kernel).swapaxes(1, 2)
    w = w.reshape(groups * c_out_g, c_in // groups, *kernel)
    return w.transpose(0, *range(2, w.ndim), 1)


CONVENTIONS = dict(framework="mlx", input_layout="N, *spatial, C_in",
                   kernel_layout="C_out, *kernel, C_in/groups",
                   kernel_axes=("C_out", "*kernel", "C_in/groups"), kernel_flipped=False,
                   padding_vocabulary="mlx", gradients=True, devices=("cpu",),
                   dtypes=("float32", "float64", "float16", "bfloat16"),
                   # float64 is refused or computed in float32 (see above)
                   probe_dtype="float32")


class Functional(Adapter):
    name = "mlx.functional"
    conventions = Conventions(entry_point="mlx.core.conv_transposeNd",
                              bias="added to the channels-last output (`y + b`), as the "
                                   "layers do", **CONVENTIONS)

    def plan(self, case: Case) -> Plan:
        padding, output_padding = _spelled(case)
        violation = ""
        try:
            rules.limits(case.dims, case.groups)
        except RuleViolation as error:
            violation = str(error)
        native = {"dims": case.dims, "stride": tuple(case.stride), "padding": padding,
                  "dilation": tuple(case.dilation), "output_padding": output_padding,
                  "groups": case.groups}
        canonical = tuple((p, p, q) for p, q in zip(padding, output_padding))
        return Plan(self.name, case.id, native, canonical, violation)

    def _apply(self, native: dict, x, w, b):
        """The call on canonical-layout MLX arrays, the output in the canonical layout: one
        function for the run and, differentiated, for the gradients."""
        import mlx.core as mx

        fn = getattr(mx, f"conv_transpose{native['dims']}d")
        y = fn(mx.moveaxis(x, 1, -1), native_weight(w, native["groups"]),
               **_arguments(native, CALL_KEYS))
        if b is not None:
            y = y + b
        return mx.moveaxis(y, -1, 1)

    def run(self, native, x, w, b, dtype):
        return _numpy(self._apply(native, *(_array(a, dtype) for a in (x, w, b))))

    def grad(self, native, x, w, b, dy, dtype):
        import mlx.core as mx

        primals = [_array(a, dtype) for a in (x, w, *([] if b is None else [b]))]
        _, grads = mx.vjp(lambda *p: self._apply(native, p[0], p[1], p[2] if b is not None
                                                 else None), primals, [_array(dy, dtype)])
        grads = [_numpy(g) for g in grads]
        return grads[0], grads[1], grads[2] if b is not None else None

    # -- reproducer scripts: the same call on x, w, b, dtype (see Adapter.script) ----------

    def _call_lines(self, native: dict) -> list[str]:
        args = _source_arguments(_arguments(native, CALL_KEYS))
        return [f"    y_ = mx.conv_transpose{native['dims']}d(mx.moveaxis(x_, 1, -1), weight, "
                f"{args})",
                "    if bias:",
                "        y_ = y_ + bias[0]  # channels last: broadcast over batch and space"]

    def _forward_script(self, native: dict) -> list[str]:
        """Lines defining ``forward(x, w, *bias)`` as ``_apply`` computes it, and
        ``primals``: the script's inputs as MLX arrays of ``dtype``."""
        return [
            "import mlx.core as mx",
            "import numpy as np",
            "",
            "",
            "def forward(x_, w_, *bias):",
            f"    g = {native['groups']}",
            "    # (C_in, C_out/g, *k) -> (C_out, *k, C_in/g)",
            "    c_in, c_out_g = w_.shape[:2]",
            "    weight = w_.reshape(g, c_in // g, c_out_g, *w_.shape[2:]).swapaxes(1, 2)",
            "    weight = weight.reshape(g * c_out_g, c_in // g, *w_.shape[2:])",
            "    weight = weight.transpose(0, *range(2, weight.ndim), 1)",
            *self._call_lines(native),
            "    return mx.moveaxis(y_, -1, 1)",
            "",
            "",
            "mx_dtype = getattr(mx, dtype)  # mx.float32, mx.bfloat16, ...",
            "primals = [mx.array(a).astype(mx_dtype) for a in ([x, w] if b is None else "
            "[x, w, b])]",
            "",
            "",
            "def as_numpy(a):",
            "    return np.array(a if a.dtype == mx.float64 else a.astype(mx.float32))"
            ".astype(np.float64)"]

    def script(self, plan):
        return "\n".join([*self._forward_script(plan.native), "y = as_numpy(forward(*primals))"])

    def grad_script(self, plan):
        return "\n".join([*self._forward_script(plan.native),
                          "_, grads = mx.vjp(forward, primals, [mx.array(dy).astype(mx_dtype)])",
                          "dx, dw = as_numpy(grads[0]), as_numpy(grads[1])",
                          "db = as_numpy(grads[2]) if b is not None else None"])

    def source(self, plan):
        n = plan.native
        return (f"y = mlx.core.conv_transpose{n['dims']}d(x, w, "
                f"{_source_arguments(_arguments(n, CALL_KEYS))}) + b")

    def version(self):
        import mlx.core as mx

        return str(mx.__version__)


class Module(Functional):
    """``mlx.nn.ConvTransposeNd`` with the case's weight and bias as its parameters."""

    name = "mlx.module"
    conventions = Conventions(entry_point="mlx.nn.ConvTransposeNd",
                              bias="the layer's own `bias` parameter", groups=False,
                              **CONVENTIONS)

    def plan(self, case: Case) -> Plan:
        if case.groups != 1:
            raise Unsupported("mlx.nn.ConvTransposeNd has no groups argument")
        plan = super().plan(case)
        return Plan(self.name, plan.case_id, plan.native, plan.canonical, plan.violation)

    def _apply(self, native: dict, x, w, b):
        import mlx.core as mx
        import mlx.nn as nn

        dims = native["dims"]
        c_in, c_out = x.shape[1], w.shape[1]
        kernel = w.shape[2] if dims == 1 else tuple(w.shape[2:])
        layer = getattr(nn, f"ConvTranspose{dims}d")(c_in, c_out, kernel, bias=b is not None,
                                                     **_arguments(native, LAYER_KEYS))
        layer.weight = native_weight(w, 1)
        if b is not None:
            layer.bias = b
        return mx.moveaxis(layer(mx.moveaxis(x, 1, -1)), -1, 1)

    def _call_lines(self, native: dict) -> list[str]:
        dims = native["dims"]
        kernel = "w_.shape[2]" if dims == 1 else "tuple(w_.shape[2:])"
        args = _source_arguments(_arguments(native, LAYER_KEYS))
        return [f"    layer = nn.ConvTranspose{dims}d(x_.shape[1], w_.shape[1], {kernel}, "
                f"bias=bool(bias), {args})",
                "    layer.weight = weight",
                "    if bias:",
                "        layer.bias = bias[0]",
                "    y_ = layer(mx.moveaxis(x_, 1, -1))"]

    def _forward_script(self, native: dict) -> list[str]:
        lines = super()._forward_script(native)
        return [lines[0], "import mlx.nn as nn", *lines[1:]]

    def source(self, plan):
        n = plan.native
        return (f"layer = mlx.nn.ConvTranspose{n['dims']}d(C_in, C_out, kernel, "
                f"{_source_arguments(_arguments(n, LAYER_KEYS))}); layer.weight = w "
                "(C_out, *k, C_in); layer.bias = b; y = layer(x)")


FRAMEWORKS = (Framework(
    name="MLX", package="mlx", distributions=("mlx", "mlx-cpu"),
    backends=(Backend("mlx", "mlx", packages=("mlx",)),),
    entry_points=((Functional, "mlx"), (Module, "mlx")),
    native_keys=("padding", "output_padding"),
    porting=Porting("MLX", "mlx.functional", (
        Nominal("mlx-pad1-op1-k3-s2", "padding=1, output_padding=1, k=3, s=2",
                "mlx.functional", (1, 1), astuple(rules.padding(1, 1)), output_padding=1),)),
),)
