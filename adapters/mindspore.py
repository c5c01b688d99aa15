"""MindSpore: ``mindspore.nn.Conv{1,2,3}dTranspose`` (one module entry point, 1-D/2-D/3-D,
``pad_mode`` 'same', 'valid' or 'pad' with per-side padding, dilation, group, has_bias) and
``mindspore.ops.conv3d_transpose`` (3-D, group 1; ``ops.conv_transpose2d`` has no CPU kernel:
"The kernel ConvTranspose2D unregistered", probed on 2.10.0), run in PyNative mode on the CPU,
in an environment of its own (``adapters/environments/mindspore.txt``: MindSpore 2.10.0 needs
NumPy 1.x, the main pins have 2.4.6).

Layouts (mindspore 2.10.0, ``mindspore/nn/layer/conv.py``, confirmed by probes): input
``(N, C_in, *spatial)``; the weight parameter ``(C_in, C_out/group, *k)``, not flipped, for 1-D
``(C_in, C_out/group, 1, k)`` (Conv1dTranspose runs Conv2DBackpropInput on a height of 1), so
the 1-D weight gets that axis here; bias by the layer's own ``has_bias`` parameter
(``ops.BiasAdd`` on the channel axis). Padding by ``oracle.rules.mindspore``: ``padding`` an
int for 1-D (both ends), the ``2*dims`` tuple ``(before, after, ...)`` for 2-D and 3-D.

float16 and float32 only: the CPU kernels refuse the others (probed on 2.10.0: "For
primitive[Conv2DTranspose], the input argument[doutput] must be a type of {Tensor[BFloat16],
Tensor[Float16], Tensor[Float32], Tensor[Int32], Tensor[Int8]}, but got Tensor[Float64]";
Conv2DBackpropInput for 1-D the same; "For primitive[Conv3DTranspose], the input argument[x]
must be a type of {Tensor[Float16], Tensor[Float32]}, but got Tensor[Float64]" and the same for
BFloat16; bfloat16 in 1-D and 2-D fails with a TypeError too). Gradients by ``mindspore.grad``
of ``sum(y * dy)`` with respect to the input and the layer's parameters.
"""

from __future__ import annotations

from dataclasses import astuple

import numpy as np

from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported, axes, expressed
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Axis, Canonical, RuleViolation
from tconv.oracle.rules import mindspore as rules

# MindSpore's refusal of the dtypes its CPU kernels lack (probed on 2.10.0, see above).
REFUSED = {"float64": "the CPU kernels take float16 and float32 only (\"must be a type of "
                      "{Tensor[Float16], Tensor[Float32]}, but got Tensor[Float64]\", "
                      "mindspore 2.10.0)",
           "bfloat16": "the CPU kernels take float16 and float32 only (\"must be a type of "
                       "{Tensor[Float16], Tensor[Float32]}, but got Tensor[BFloat16]\", "
                       "mindspore 2.10.0)"}


def _explicit(case: Case) -> tuple[list[tuple[int, int]], list[int], list[Canonical], str]:
    """pad_mode 'pad': the pairs as given where MindSpore takes them (no negative padding,
    output_padding below ``max(stride, dilation)``, one padding for 1-D), else the same window
    through ``rules.express``; the windows and the first documented limit broken."""
    pairs, extensions, windows, violation = [], [], [], ""
    for i, (axis, (b, e), a) in enumerate(zip(axes(case), case.padding, case.output_padding)):
        native = b >= 0 and e >= 0 and 0 <= a < max(axis.s, axis.d)
        if case.dims == 1:
            native = native and a == 0 and b == e
        if not native:
            spelled = expressed(rules.express, axis, b, e, a, dims=case.dims)
            (b, e), a = spelled["padding"], spelled["output_padding"]
        try:
            rules.limits(axis, b, e, a, "pad", depth=case.dims == 3 and i == 0)
        except RuleViolation as error:
            violation = violation or str(error)
        pairs.append((b, e))
        extensions.append(a)
        windows.append(rules.pads(b, e, a))
    return pairs, extensions, windows, violation


def _mode(case: Case) -> tuple[list[Canonical], str]:
    """pad_mode 'same' / 'valid': the windows and the first documented limit broken."""
    windows, violation = [], ""
    for i, (axis, a) in enumerate(zip(axes(case), case.output_padding)):
        window = rules.mode(axis, case.padding, a)
        try:
            rules.limits(axis, 0, 0, a, case.padding, depth=case.dims == 3 and i == 0)
        except RuleViolation as error:
            violation = violation or str(error)
        windows.append(window)
    return windows, violation


def _native(case: Case) -> tuple[dict, tuple[Canonical, ...], str]:
    if isinstance(case.padding, OutputShape):
        raise Unsupported("nn.Conv{1,2,3}dTranspose take no output shape (pad_mode 'same', "
                          "'valid' or 'pad' only)")
    if isinstance(case.padding, str):
        if case.dims == 1 and any(case.output_padding):
            raise Unsupported(f"pad_mode '{case.padding.lower()}', output_padding "
                              f"{case.output_padding}: Conv1dTranspose has no output_padding")
        windows, violation = _mode(case)
        pad_mode, padding, extensions = case.padding.lower(), 0, list(case.output_padding)
    else:
        pairs, extensions, windows, violation = _explicit(case)
        pad_mode = "pad"
        padding = pairs[0][0] if case.dims == 1 else tuple(v for p in pairs for v in p)
    native = {"pad_mode": pad_mode, "padding": padding,
              "output_padding": None if case.dims == 1 else tuple(extensions)}
    return native, tuple(windows), violation


def _scalar(values: tuple[int, ...], dims: int) -> object:
    """Conv1dTranspose takes ints, the others tuples."""
    return values[0] if dims == 1 else tuple(values)


# The layer's keyword arguments after (in_channels, out_channels, kernel_size), in order.
LAYER_KEYS = ("stride", "pad_mode", "padding", "output_padding", "dilation", "group",
              "has_bias")


def _kwargs(native: dict) -> dict:
    return {key: native[key] for key in LAYER_KEYS
            if not (key == "output_padding" and native["dims"] == 1)}


def _arguments(native: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in _kwargs(native).items())


def _weight(w: np.ndarray, dims: int) -> np.ndarray:
    """The canonical weight in the layer's parameter shape (1-D: the height axis of 1)."""
    return np.expand_dims(w, 2) if dims == 1 else w


def _layer(native: dict, w: np.ndarray, b: np.ndarray | None, dtype: str):
    import mindspore as ms

    ms.set_context(mode=ms.PYNATIVE_MODE)
    ms.set_device("CPU")
    cls = getattr(ms.nn, f"Conv{native['dims']}dTranspose")
    layer = cls(native["in_channels"], native["out_channels"], native["kernel_size"],
                dtype=getattr(ms, dtype), **_kwargs(native))
    layer.weight.set_data(ms.Tensor(np.ascontiguousarray(_weight(w, native["dims"]))
                                    .astype(dtype)))
    if b is not None:
        layer.bias.set_data(ms.Tensor(b.astype(dtype)))
    return layer


CONVENTIONS = dict(framework="mindspore", kernel_layout="C_in, C_out/groups, *kernel",
                   kernel_axes=("C_in", "C_out/groups", "*kernel"), kernel_flipped=False,
                   padding_vocabulary="mindspore", padding_modes=("SAME", "VALID"),
                   output_shape=False, gradients=True,
                   # planned for the dtypes it computes and those MindSpore refuses (the plan
                   # answers unsupported in its words)
                   dtypes=("float32", "float16", *REFUSED), devices=("cpu",),
                   probe_dtype="float32")


# The first lines of every reproducer script: MindSpore eager, on the CPU.
SCRIPT_PREAMBLE = ("import numpy as np", "import mindspore as ms", "",
                   "ms.set_context(mode=ms.PYNATIVE_MODE)", "ms.set_device('CPU')")


class Module(Adapter):
    """``mindspore.nn.Conv{1,2,3}dTranspose`` with the case's weight and bias set into its
    parameters."""

    name = "mindspore.module"
    conventions = Conventions(
        entry_point="mindspore.nn.Conv{1,2,3}dTranspose",
        input_layout="N, C_in, *spatial",
        bias="the layer's own bias (`has_bias=True`, shape (C_out,))", **CONVENTIONS)

    def plan(self, case: Case) -> Plan:
        if case.dtype in REFUSED:
            raise Unsupported(f"{self.conventions.entry_point} takes no {case.dtype}: "
                              f"{REFUSED[case.dtype]}")
        spelled, windows, violation = _native(case)
        native = {"dims": case.dims, "in_channels": case.in_channels,
                  "out_channels": case.out_channels,
                  "kernel_size": _scalar(case.kernel, case.dims),
                  "stride": _scalar(case.stride, case.dims), **spelled,
                  "dilation": _scalar(case.dilation, case.dims), "group": case.groups,
                  "has_bias": case.bias}
        return Plan(self.name, case.id, native, tuple(astuple(w) for w in windows), violation)

    def run(self, native, x, w, b, dtype):
        import mindspore as ms

        layer = _layer(native, w, b, dtype)
        return layer(ms.Tensor(np.ascontiguousarray(x).astype(dtype))).asnumpy() \
            .astype(np.float64)

    def grad(self, native, x, w, b, dy, dtype):
        import mindspore as ms

        layer = _layer(native, w, b, dtype)
        params = [layer.weight, *([] if b is None else [layer.bias])]
        sens = ms.Tensor(np.ascontiguousarray(dy).astype(dtype))

        def loss(xt):
            return (layer(xt) * sens).sum()

        dx, dparams = ms.grad(loss, grad_position=0, weights=params)(
            ms.Tensor(np.ascontiguousarray(x).astype(dtype)))
        dw = dparams[0].asnumpy().astype(np.float64)
        dw = dw[:, :, 0] if native["dims"] == 1 else dw
        db = None if b is None else dparams[1].asnumpy().astype(np.float64)
        return dx.asnumpy().astype(np.float64), dw, db

    # -- reproducer scripts: the same call on x, w, b, dtype (see Adapter.script) ----------

    def _layer_lines(self, native: dict) -> list[str]:
        n = native
        weight = "np.expand_dims(w, 2)" if n["dims"] == 1 else "w"
        return [
            *SCRIPT_PREAMBLE,
            f"layer = ms.nn.Conv{n['dims']}dTranspose({n['in_channels']}, {n['out_channels']}, "
            f"{n['kernel_size']!r}, dtype=getattr(ms, dtype), {_arguments(n)})",
            "# the weight (C_in, C_out/g, *k)" + (", with Conv1dTranspose's height axis of 1"
                                                  if n["dims"] == 1 else " as is"),
            f"layer.weight.set_data(ms.Tensor(np.ascontiguousarray({weight}).astype(dtype)))",
            "if b is not None:",
            "    layer.bias.set_data(ms.Tensor(b.astype(dtype)))",
            "xt = ms.Tensor(np.ascontiguousarray(x).astype(dtype))"]

    def script(self, plan):
        return "\n".join([*self._layer_lines(plan.native),
                          "y = layer(xt).asnumpy().astype(np.float64)"])

    def grad_script(self, plan):
        dw = "dw[:, :, 0]" if plan.native["dims"] == 1 else "dw"
        return "\n".join([
            *self._layer_lines(plan.native),
            "params = [layer.weight] + ([] if b is None else [layer.bias])",
            "sens = ms.Tensor(np.ascontiguousarray(dy).astype(dtype))",
            "gx, gp = ms.grad(lambda t: (layer(t) * sens).sum(), grad_position=0, "
            "weights=params)(xt)",
            "dx = gx.asnumpy().astype(np.float64)",
            "dw = gp[0].asnumpy().astype(np.float64)",
            f"dw = {dw}",
            "db = None if b is None else gp[1].asnumpy().astype(np.float64)"])

    def source(self, plan):
        n = plan.native
        return (f"layer = mindspore.nn.Conv{n['dims']}dTranspose(C_in, C_out, "
                f"{n['kernel_size']!r}, {_arguments(n)}); layer.weight.set_data(w); "
                f"layer.bias.set_data(b); y = layer(x)")

    def version(self):
        import mindspore

        return str(mindspore.__version__)


class Functional3d(Module):
    """``mindspore.ops.conv3d_transpose`` (3-D only; the primitive Conv3dTranspose runs), the
    bias by ``ops.bias_add``. Its docstring: "group: Only 1 is currently supported", and the
    output "(N, C_out//group, ...)" (it passes the weight's ``C_out/group`` as ``out_channel``)."""

    name = "mindspore.ops.conv3d_transpose"
    conventions = Conventions(
        entry_point="mindspore.ops.conv3d_transpose", input_layout="N, C_in, *spatial",
        bias="`ops.bias_add` on the channel axis", **{**CONVENTIONS, "dims": (3,)})

    def plan(self, case: Case) -> Plan:
        if case.dims != 3:
            raise Unsupported(f"{self.conventions.entry_point} is 3-D only")
        if case.groups != 1:
            raise Unsupported(f"group {case.groups}: {self.conventions.entry_point}: "
                              "\"Only 1 is currently supported\"")
        return super().plan(case)

    def _apply(self, native: dict, xt, wt, bt=None):
        import mindspore as ms

        y = ms.ops.conv3d_transpose(xt, wt, **_functional(native))
        return y if bt is None else ms.ops.bias_add(y, bt)

    def run(self, native, x, w, b, dtype):
        xt, wt, bt = _tensors(x, w, b, dtype)
        return self._apply(native, xt, wt, bt).asnumpy().astype(np.float64)

    def grad(self, native, x, w, b, dy, dtype):
        import mindspore as ms

        xt, wt, bt = _tensors(x, w, b, dtype)
        sens = ms.Tensor(np.ascontiguousarray(dy).astype(dtype))
        positions = (0, 1) if b is None else (0, 1, 2)

        def loss(*inputs):
            return (self._apply(native, *inputs) * sens).sum()

        grads = ms.grad(loss, grad_position=positions)(xt, wt, *([] if b is None else [bt]))
        dx, dw, *db = (g.asnumpy().astype(np.float64) for g in grads)
        return dx, dw, db[0] if db else None

    def _lines(self, native: dict) -> list[str]:
        return [
            *SCRIPT_PREAMBLE,
            "xt = ms.Tensor(np.ascontiguousarray(x).astype(dtype))",
            "wt = ms.Tensor(np.ascontiguousarray(w).astype(dtype))",
            "bt = None if b is None else ms.Tensor(b.astype(dtype))",
            "",
            "def call(xt, wt, bt=None):",
            f"    y = ms.ops.conv3d_transpose(xt, wt, {_keywords(_functional(native))})",
            "    return y if bt is None else ms.ops.bias_add(y, bt)"]

    def script(self, plan):
        return "\n".join([*self._lines(plan.native),
                          "y = call(xt, wt, bt).asnumpy().astype(np.float64)"])

    def grad_script(self, plan):
        return "\n".join([
            *self._lines(plan.native),
            "sens = ms.Tensor(np.ascontiguousarray(dy).astype(dtype))",
            "inputs = [xt, wt] + ([] if bt is None else [bt])",
            "grads = ms.grad(lambda *t: (call(*t) * sens).sum(), "
            "grad_position=tuple(range(len(inputs))))(*inputs)",
            "dx, dw = (g.asnumpy().astype(np.float64) for g in grads[:2])",
            "db = None if b is None else grads[2].asnumpy().astype(np.float64)"])

    def source(self, plan):
        return (f"y = mindspore.ops.conv3d_transpose(x, w, "
                f"{_keywords(_functional(plan.native))}); y = mindspore.ops.bias_add(y, b)")


# ops.conv3d_transpose's keywords, from the plan's native parameters.
FUNCTIONAL_KEYS = ("pad_mode", "padding", "stride", "dilation", "group", "output_padding")


def _functional(native: dict) -> dict:
    return {key: native[key] for key in FUNCTIONAL_KEYS}


def _keywords(kwargs: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in kwargs.items())


def _tensors(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, dtype: str):
    import mindspore as ms

    ms.set_context(mode=ms.PYNATIVE_MODE)
    ms.set_device("CPU")
    return tuple(None if a is None else ms.Tensor(np.ascontiguousarray(a).astype(dtype))
                 for a in (x, w, b))


# MindSpore's C++ log (glog): errors only.
ENVIRONMENT = {"GLOG_v": "3"}

FRAMEWORKS = (Framework(
    name="MindSpore", package="mindspore", distributions=("mindspore",),
    backends=(Backend("mindspore", "mindspore", ENVIRONMENT, packages=("mindspore",),
                      requirements="mindspore.txt"),),
    entry_points=((Module, "mindspore"), (Functional3d, "mindspore")),
    native_keys=("pad_mode", "padding", "output_padding"),
    porting=Porting("MindSpore", "mindspore.module", (
        Nominal("mindspore-same-k3-s2-n5", "pad_mode='same', k=3, s=2, n=5", "mindspore.module",
                "SAME", astuple(rules.mode(Axis(5, 3, 2), "same")), n=5),)),
),)
