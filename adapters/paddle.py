"""PaddlePaddle: ``paddle.nn.functional.conv{1,2,3}d_transpose`` (channels first, and channels
last through ``data_format``, a second entry point) and ``paddle.nn.Conv{1,2,3}DTranspose`` (the
layer, its own bias, ``forward(x, output_size=...)``), in an environment of its own
(``adapters/environments/paddle.txt``: PaddlePaddle 3.3.1 requires ``opt_einsum==3.3.0``, the
main pins have 3.4.0).

Layouts (paddle 3.3.1, ``paddle/nn/functional/conv.py`` docstrings, confirmed by probes): input
``(N, C_in, *spatial)`` ("NCL"/"NCHW"/"NCDHW") or ``(N, *spatial, C_in)`` ("NLC"/"NHWC"/"NDHWC"),
weight ``[C, M/g, *k]`` in both (the canonical layout, not flipped: "can be seen as the backward
of the conv"); bias ``[M]`` by the ``bias`` argument (``_add_with_axis`` on the channel axis).
Padding by ``oracle.rules.paddle``; spelled in every form Paddle takes: an int or a per-axis
list when each axis is symmetric, the ``2*dims`` list ``[before, after, ...]`` otherwise, and
the nested list with the batch and channel pairs for the channels-last entry point.

``conv2d_transpose`` takes ``(x, weight, bias, stride, padding, output_padding, dilation,
groups, ...)`` but ``conv1d_transpose`` ``(..., output_padding, groups, dilation, ...)``: the
calls pass keywords. float16 and bfloat16 are not run: Paddle's CPU kernels refuse them ("The
kernel with key (CPU, Undefined(AnyLayout), float16) of kernel `conv2d_transpose` is not
registered", observed on 3.3.1 for the 1-D, 2-D, 3-D and depthwise kernels); the wheel is the
CPU build, so CPU only.
"""

from __future__ import annotations

from dataclasses import astuple

import numpy as np

from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported, axes, expressed
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Axis, Canonical, RuleViolation
from tconv.oracle.rules import paddle as rules

CHANNELS_FIRST = {1: "NCL", 2: "NCHW", 3: "NCDHW"}
CHANNELS_LAST = {1: "NLC", 2: "NHWC", 3: "NDHWC"}


def _pairs(case: Case) -> tuple[list[tuple[int, int]], list[int], list[Canonical], str]:
    """Explicit pairs: as given where Paddle takes them (no negative padding, output_padding
    below ``max(stride, dilation)``), else the same window through ``rules.express``."""
    pairs, extensions, windows, violation = [], [], [], ""
    for axis, (b, e), a in zip(axes(case), case.padding, case.output_padding):
        if not (b >= 0 and e >= 0 and 0 <= a < max(axis.s, axis.d)):
            spelled = expressed(rules.express, axis, b, e, a)
            (b, e), a = spelled["padding"], spelled["output_padding"]
        try:
            rules.limits(axis, b, e, a, case.dims)
        except RuleViolation as error:
            violation = violation or str(error)
        pairs.append((b, e))
        extensions.append(a)
        windows.append(rules.pads(b, e, a))
    return pairs, extensions, windows, violation


def _padding_value(pairs: list[tuple[int, int]], nested: str) -> object:
    """The pairs in one of Paddle's forms: ``nested`` "" for the int / per-axis / ``2*dims``
    forms, or the data_format whose nested form (batch and channel pairs included) to use."""
    if nested:
        zero = [[0, 0]]
        inner = [list(p) for p in pairs]
        return zero + inner + zero if nested.endswith("C") else zero + zero + inner
    if all(b == e for b, e in pairs):
        return pairs[0][0] if len({b for b, _ in pairs}) == 1 else [b for b, _ in pairs]
    return [v for pair in pairs for v in pair]


def _spelled(case: Case, nested: str = "") -> tuple[dict, tuple[Canonical, ...], str]:
    """The native ``padding``, ``output_padding`` and ``output_size``, the window Paddle's rule
    gives, and the documented limit the case breaks ("" if none)."""
    violation = ""
    if isinstance(case.padding, OutputShape):
        if any(case.output_padding):
            raise Unsupported("output_padding option is mutually exclusive with output_size "
                              "(paddle.nn.functional.conv*_transpose)")
        windows = []
        for axis, size in zip(axes(case), case.padding.size):
            try:
                windows.append(rules.output_size(axis, 0, 0, size))
            except RuleViolation as error:
                violation = violation or str(error)
                windows.append(Canonical(0, 0, size - axis.full))
        native = {"padding": 0, "output_padding": 0, "output_size": list(case.padding.size)}
        return native, tuple(windows), violation
    if isinstance(case.padding, str):
        windows = tuple(rules.mode(axis, case.padding, a)
                        for axis, a in zip(axes(case), case.output_padding))
        for axis, window in zip(axes(case), windows):
            try:
                rules.limits(axis, window.begin, window.end, window.output_padding, case.dims,
                             case.padding)
            except RuleViolation as error:
                violation = violation or str(error)
        padding, extensions = case.padding, list(case.output_padding)
    else:
        pairs, extensions, windows, violation = _pairs(case)
        padding = _padding_value(pairs, nested)
    native = {"padding": padding,
              "output_padding": list(extensions) if any(extensions) else 0,
              "output_size": None}
    return native, tuple(windows), violation


# The call's keyword arguments after (x, weight, bias), in the plan's native parameters.
CALL_KEYS = ("stride", "padding", "output_padding", "dilation", "groups", "output_size",
             "data_format")


def _kwargs(native: dict) -> dict:
    return {key: native[key] for key in CALL_KEYS}


def _arguments(kwargs: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in kwargs.items())


def data_axes(native: dict) -> tuple[int, ...]:
    """Canonical (N, C, *spatial) data -> the call's data_format (the identity for NC...)."""
    dims = native["dims"]
    if native["data_format"].startswith("NC"):
        return tuple(range(dims + 2))
    return (0, *range(2, 2 + dims), 1)


def canonical_axes(native: dict) -> tuple[int, ...]:
    """The call's data_format -> canonical (N, C, *spatial): the inverse of ``data_axes``."""
    return tuple(int(i) for i in np.argsort(data_axes(native)))


def _tensor(a: np.ndarray | None, dtype: str, axes_: tuple[int, ...] | None = None,
            grad: bool = False):
    import paddle

    if a is None:
        return None
    a = a if axes_ is None else np.transpose(a, axes_)
    return paddle.to_tensor(np.ascontiguousarray(a).astype(dtype), stop_gradient=not grad)


def _numpy(t, axes_: tuple[int, ...] | None = None) -> np.ndarray:
    a = t.numpy().astype(np.float64)
    return a if axes_ is None else np.transpose(a, axes_)


CONVENTIONS = dict(framework="paddle", kernel_layout="C_in, C_out/groups, *kernel",
                   kernel_axes=("C_in", "C_out/groups", "*kernel"), kernel_flipped=False,
                   padding_vocabulary="paddle", padding_modes=("SAME", "VALID"),
                   output_shape=True, gradients=True, dtypes=("float32", "float64"),
                   devices=("cpu",))


class Functional(Adapter):
    name = "paddle.functional"
    conventions = Conventions(entry_point="paddle.nn.functional.conv{1,2,3}d_transpose",
                              input_layout="N, C_in, *spatial",
                              bias="the `bias` argument", **CONVENTIONS)
    formats = CHANNELS_FIRST
    nested = False

    def plan(self, case: Case) -> Plan:
        data_format = self.formats[case.dims]
        native, windows, violation = _spelled(case, data_format if self.nested else "")
        native = {"dims": case.dims, "in_channels": case.in_channels,
                  "out_channels": case.out_channels, "kernel_size": list(case.kernel),
                  "stride": list(case.stride), **native, "dilation": list(case.dilation),
                  "groups": case.groups, "data_format": data_format}
        return Plan(self.name, case.id, native, tuple(astuple(w) for w in windows), violation)

    def _call(self, native: dict, x, w, b):
        import paddle

        fn = getattr(paddle.nn.functional, f"conv{native['dims']}d_transpose")
        return fn(x, w, b, **_kwargs(native)), [x, w, *([] if b is None else [b])]

    def run(self, native, x, w, b, dtype):
        y, _ = self._call(native, _tensor(x, dtype, data_axes(native)), _tensor(w, dtype),
                          _tensor(b, dtype))
        return _numpy(y, canonical_axes(native))

    def grad(self, native, x, w, b, dy, dtype):
        import paddle

        y, inputs = self._call(native, _tensor(x, dtype, data_axes(native), grad=True),
                               _tensor(w, dtype, grad=True), _tensor(b, dtype, grad=True))
        grads = paddle.grad([y], inputs, grad_outputs=[_tensor(dy, dtype, data_axes(native))])
        dx = _numpy(grads[0], canonical_axes(native))
        return dx, _numpy(grads[1]), None if b is None else _numpy(grads[2])

    # -- reproducer scripts: the same call on x, w, b, dtype (see Adapter.script) ----------

    def _call_script(self, native: dict, grad: bool) -> list[str]:
        """The inputs as Paddle tensors (``inputs``) and ``yt``, the call as ``_call`` makes
        it."""
        stop = "False" if grad else "True"
        return [
            "import numpy as np",
            "import paddle",
            "",
            f"# (N, C, *spatial) -> {native['data_format']}; the weight (C_in, C_out/g, *k) as is",
            f"xt = paddle.to_tensor(np.ascontiguousarray(np.transpose(x, {data_axes(native)}))"
            f".astype(dtype), stop_gradient={stop})",
            f"wt = paddle.to_tensor(w.astype(dtype), stop_gradient={stop})",
            f"bt = None if b is None else paddle.to_tensor(b.astype(dtype), stop_gradient={stop})",
            *self._call_lines(native)]

    def _call_lines(self, native: dict) -> list[str]:
        return ["inputs = [xt, wt] + ([] if bt is None else [bt])",
                f"yt = paddle.nn.functional.conv{native['dims']}d_transpose(xt, wt, bt, "
                f"{_arguments(_kwargs(native))})"]

    def script(self, plan):
        return "\n".join([*self._call_script(plan.native, False),
                          "y = np.transpose(yt.numpy().astype(np.float64), "
                          f"{canonical_axes(plan.native)})"])

    def grad_script(self, plan):
        back = canonical_axes(plan.native)
        return "\n".join([
            *self._call_script(plan.native, True),
            "grads = paddle.grad([yt], inputs, grad_outputs=[paddle.to_tensor(np.ascontiguousarray("
            f"np.transpose(dy, {data_axes(plan.native)})).astype(dtype))])",
            f"dx = np.transpose(grads[0].numpy().astype(np.float64), {back})",
            "dw = grads[1].numpy().astype(np.float64)",
            "db = None if b is None else grads[2].numpy().astype(np.float64)"])

    def source(self, plan):
        n = plan.native
        return (f"paddle.nn.functional.conv{n['dims']}d_transpose(x, w, b, "
                f"{_arguments(_kwargs(n))})")

    def version(self):
        import paddle

        return str(paddle.__version__)


class ChannelsLast(Functional):
    """The same functions with channels-last data (``data_format`` NLC / NHWC / NDHWC) and
    explicit pairs in the nested form, whose batch and channel pairs sit where that format puts
    them."""

    name = "paddle.functional.nhwc"
    conventions = Conventions(
        entry_point="paddle.nn.functional.conv{1,2,3}d_transpose with data_format "
                    "NLC/NHWC/NDHWC (padding as [[0, 0], [before, after], ..., [0, 0]])",
        input_layout="N, *spatial, C_in", bias="the `bias` argument", **CONVENTIONS)
    formats = CHANNELS_LAST
    nested = True


# The layer's arguments after (in_channels, out_channels, kernel_size).
LAYER_KEYS = ("stride", "padding", "output_padding", "dilation", "groups", "data_format")


class Layer(Functional):
    """``paddle.nn.Conv{1,2,3}DTranspose`` with the case's weight and bias set into its
    parameters; ``output_size`` goes to ``forward``."""

    name = "paddle.layer"
    conventions = Conventions(entry_point="paddle.nn.Conv{1,2,3}DTranspose "
                                          "(forward(x, output_size=...))",
                              input_layout="N, C_in, *spatial",
                              bias="the layer's own bias (`bias_attr`, shape (C_out,))",
                              **CONVENTIONS)

    def _call(self, native: dict, x, w, b):
        import paddle

        cls = getattr(paddle.nn, f"Conv{native['dims']}DTranspose")
        layer = cls(native["in_channels"], native["out_channels"], native["kernel_size"],
                    bias_attr=None if b is not None else False,
                    **{key: native[key] for key in LAYER_KEYS})
        layer.to(dtype=x.dtype)
        layer.weight.set_value(w)
        if b is not None:
            layer.bias.set_value(b)
        y = layer(x, output_size=native["output_size"])
        return y, [x, layer.weight, *([] if b is None else [layer.bias])]

    def _call_lines(self, native: dict) -> list[str]:
        n = native
        arguments = _arguments({key: n[key] for key in LAYER_KEYS})
        return [
            f"layer = paddle.nn.Conv{n['dims']}DTranspose({n['in_channels']}, "
            f"{n['out_channels']}, {n['kernel_size']!r}, bias_attr=None if b is not None "
            f"else False, {arguments})",
            "layer.to(dtype=dtype)",
            "layer.weight.set_value(wt)",
            "if bt is not None:",
            "    layer.bias.set_value(bt)",
            "inputs = [xt, layer.weight] + ([] if bt is None else [layer.bias])",
            f"yt = layer(xt, output_size={n['output_size']!r})"]

    def source(self, plan):
        n = plan.native
        arguments = _arguments({key: n[key] for key in LAYER_KEYS})
        size = "" if n["output_size"] is None else f", output_size={n['output_size']!r}"
        return (f"layer = paddle.nn.Conv{n['dims']}DTranspose(C_in, C_out, "
                f"{n['kernel_size']!r}, {arguments}); layer.weight.set_value(w); "
                f"layer.bias.set_value(b); y = layer(x{size})")


# Paddle's C++ log (glog): warnings and errors only.
ENVIRONMENT = {"GLOG_minloglevel": "2"}

FRAMEWORKS = (Framework(
    name="PaddlePaddle", package="paddle", distributions=("paddlepaddle",),
    backends=(Backend("paddle", "paddle", ENVIRONMENT, packages=("paddle",),
                      requirements="paddle.txt"),),
    entry_points=tuple((cls, "paddle") for cls in (Functional, ChannelsLast, Layer)),
    native_keys=("padding", "output_padding", "output_size"),
    porting=Porting("PaddlePaddle", "paddle.functional", (
        Nominal("paddle-same-k3-s2-n5", "padding='SAME', k=3, s=2, n=5", "paddle.functional",
                "SAME", astuple(rules.mode(Axis(5, 3, 2), "SAME")), n=5),)),
),)
