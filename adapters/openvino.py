"""OpenVINO: a one-operation model built with the opset16 Python API (the newest opset of
openvino 2026.4.1 that has ``convolution_backprop_data`` and ``group_convolution_backprop_data``),
the input a ``parameter``, the weight a ``constant``, compiled for the CPU plugin
(``openvino.Core().compile_model(model, "CPU", config)``) and run.

Layouts are the canonical ones: data ``[N, C_INPUT, Z, Y, X]``, ConvolutionBackpropData's
weight ``[C_INPUT, C_OUTPUT, Z, Y, X]``, GroupConvolutionBackpropData's ``[GROUPS, C_IN, C_OUT,
Z, Y, X]`` (the canonical weight reshaped), not flipped; bias through ``opset16.add`` with a
``[1, C_out, 1, ...]`` constant (numpy broadcasting, the API's default). Padding by
``oracle.rules.openvino``.

Precision: the CPU plugin may run a float32 model in bfloat16 or float16 where the CPU has the
instructions ("INFERENCE_PRECISION_HINT ... the default value is bf16 on platforms that
natively support bfloat16 calculations", OpenVINO's CPU device documentation); on this
project's machines (avx512_bf16) ``compiled.get_property("INFERENCE_PRECISION_HINT")`` reports
``bfloat16`` by default. Every entry point compiles with ``INFERENCE_PRECISION_HINT: f32`` (the
documented float32 semantics) except ``*.default_precision``, which keeps the plugin's default:
what a user who sets nothing gets. On these machines (openvino 2026.4.1, 2026-12-02) the
compiled model's Deconvolution node still reports ``runtimePrecision`` f32 under the default
(and under an explicit ``bf16`` hint), so the default's results are float32's; on a CPU whose
plugin lowers it they would be judged, and fail, as float32.
"""

from __future__ import annotations

import os
from dataclasses import astuple

import numpy as np

from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported, axes, expressed
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Axis, RuleViolation
from tconv.oracle.rules import openvino as rules

OPSET = "opset16"
STRICT = {"INFERENCE_PRECISION_HINT": "f32"}
DTYPES = ("float32", "float64", "float16", "bfloat16")
# What every entry point shares: the canonical layouts, the bias idiom, the CPU plugin only.
CONVENTIONS = dict(input_layout="N, C_in, *spatial",
                   kernel_axes=("C_in", "C_out/groups", "*kernel"), kernel_flipped=False,
                   padding_vocabulary="openvino",
                   bias="`opset16.add` with a [1, C_out, 1, ...] constant", devices=("cpu",))


def _spelled(case: Case, auto_pad_same: str, output_shape: bool) -> tuple[dict, tuple, str]:
    """The node's attributes (and ``output_shape``), the window per axis by the spec's rule,
    and the first of its restrictions the case breaks ("" if none)."""
    padding = case.padding
    if output_shape:
        if isinstance(padding, OutputShape):
            # the size as asked; auto_pad explicit (same_lower in the same_lower entry point)
            auto_pad = "explicit" if auto_pad_same == "same_upper" else auto_pad_same
            sizes = tuple(padding.size)
        elif padding == "SAME":
            # SAME as converters spell it: the requested size n*s, split by auto_pad
            auto_pad, sizes = auto_pad_same, tuple(n * s for n, s in
                                                   zip(case.input_size, case.stride))
        else:
            raise Unsupported("this entry point judges the output_shape input only; other "
                              "paddings are run by openvino.convolution_backprop_data")
    elif isinstance(padding, OutputShape):
        raise Unsupported("the output_shape input is judged by "
                          "openvino.convolution_backprop_data.output_shape")
    elif padding == "SAME":
        auto_pad, sizes = auto_pad_same, None
    elif padding == "VALID":
        auto_pad, sizes = "valid", None
    else:
        auto_pad, sizes = "explicit", None
    begins, ends, extensions, windows, violation = [], [], [], [], ""
    for i, (axis, a) in enumerate(zip(axes(case), case.output_padding)):
        pads = (0, 0)
        if auto_pad == "explicit" and sizes is None:
            spelled = expressed(rules.express, axis, *padding[i], a)
            pads, a = spelled["pads"], spelled["output_padding"]
        try:
            rules.limits(pads, a)
        except RuleViolation as error:
            violation = violation or str(error)
        window = rules.backprop_data(axis, auto_pad, pads, a,
                                     None if sizes is None else sizes[i])
        windows.append(astuple(window))
        begins.append(pads[0])
        ends.append(pads[1])
        extensions.append(a)
    attributes = {"auto_pad": auto_pad, "pads_begin": tuple(begins), "pads_end": tuple(ends),
                  "output_padding": tuple(extensions), "output_shape": sizes}
    return attributes, tuple(windows), violation


def _element_type(dtype: str):
    import openvino as ov

    return {"float32": ov.Type.f32, "float64": ov.Type.f64, "float16": ov.Type.f16,
            "bfloat16": ov.Type.bf16}[dtype]


def _tensor(a: np.ndarray, dtype: str):
    """``a`` as an OpenVINO tensor of ``dtype`` (bfloat16: its bits, through ml_dtypes)."""
    import openvino as ov

    if dtype == "bfloat16":
        import ml_dtypes

        tensor = ov.Tensor(ov.Type.bf16, list(a.shape))
        # the tensor's view is float16-typed: write the bits, not converted values
        tensor.data.view(np.uint16)[:] = np.ascontiguousarray(a).astype(
            ml_dtypes.bfloat16).view(np.uint16)
        return tensor
    return ov.Tensor(np.ascontiguousarray(a).astype(dtype))


def operation(native: dict) -> str:
    """The opset's function the plan calls (the grouped one takes the weight regrouped)."""
    return "group_convolution_backprop_data" if native["group"] else "convolution_backprop_data"


def _model(native: dict, dtype: str, x_shape: tuple, w: np.ndarray, b: np.ndarray | None):
    """The one-operation model: parameter -> (Group)ConvolutionBackpropData -> add bias."""
    import openvino as ov
    from openvino import opset16 as ops

    data = ops.parameter(list(x_shape), _element_type(dtype), name="x")
    groups = native["groups"]
    if native["group"]:
        c_in, c_out_g, *kernel = w.shape
        w = w.reshape(groups, c_in // groups, c_out_g, *kernel)
    make = getattr(ops, operation(native))
    sizes = native["output_shape"]
    node = make(data, ops.constant(_tensor(w, dtype)), strides=list(native["strides"]),
                output_shape=None if sizes is None else
                ops.constant(np.array(sizes, dtype=np.int64)),
                pads_begin=list(native["pads_begin"]), pads_end=list(native["pads_end"]),
                dilations=list(native["dilations"]), auto_pad=native["auto_pad"],
                output_padding=list(native["output_padding"]))
    if b is not None:
        shape = (1, b.shape[0]) + (1,) * native["dims"]
        node = ops.add(node, ops.constant(_tensor(b.reshape(shape), dtype)))
    return ov.Model([node.output(0)], [data], "conv_transpose")


def _output(y, dtype: str) -> np.ndarray:
    y = np.asarray(y)
    if dtype == "bfloat16":
        import ml_dtypes

        # the bindings hand bf16 results over as 16-bit values: reinterpret the bits
        y = y.view(np.uint16).view(ml_dtypes.bfloat16)
    return y.astype(np.float64)


class BackpropData(Adapter):
    name = "openvino.convolution_backprop_data"
    conventions = Conventions(
        framework="openvino",
        entry_point="opset16.convolution_backprop_data compiled for CPU "
                    "(INFERENCE_PRECISION_HINT f32), auto_pad same_upper for SAME",
        kernel_layout="C_in, C_out/groups, *kernel (groups 1; not flipped)",
        padding_modes=("SAME", "VALID"), groups=False, dtypes=DTYPES, **CONVENTIONS)
    group = False
    same = "same_upper"
    output_shape = False
    config: dict | None = STRICT

    def plan(self, case: Case) -> Plan:
        if case.groups != 1 and not self.group:
            raise Unsupported("ConvolutionBackpropData has no groups: "
                              "GroupConvolutionBackpropData is the grouped operation")
        attributes, windows, violation = _spelled(case, self.same, self.output_shape)
        native = {"dims": case.dims, "strides": tuple(case.stride),
                  "dilations": tuple(case.dilation), **attributes, "groups": case.groups,
                  "group": self.group, "config": self.config}
        return Plan(self.name, case.id, native, windows, violation)

    def _compiled(self, native: dict, dtype: str, x_shape: tuple, w, b):
        import openvino as ov

        core = self.__dict__.setdefault("_core", ov.Core())
        config = dict(native["config"] or {})
        # its share of the cores (adapters.workers.threads)
        threads = os.environ.get("TCONV_THREADS")
        if threads:
            config["INFERENCE_NUM_THREADS"] = int(threads)
        return core.compile_model(_model(native, dtype, x_shape, w, b), "CPU", config)

    def run(self, native: dict, x, w, b, dtype: str) -> np.ndarray:
        compiled = self._compiled(native, dtype, x.shape, w, b)
        return _output(compiled(_tensor(x, dtype))[0], dtype)

    def source(self, plan: Plan) -> str:
        n = plan.native
        make = operation(n)
        sizes = "" if n["output_shape"] is None else \
            f", output_shape=constant({list(n['output_shape'])})"
        return (f"node = openvino.{OPSET}.{make}(parameter(x), constant(w){sizes}, "
                f"strides={list(n['strides'])}, pads_begin={list(n['pads_begin'])}, "
                f"pads_end={list(n['pads_end'])}, dilations={list(n['dilations'])}, "
                f"auto_pad={n['auto_pad']!r}, output_padding={list(n['output_padding'])}); "
                f"openvino.Core().compile_model(model, 'CPU', {n['config'] or {}})")

    def script(self, plan: Plan) -> str:
        n = plan.native
        make = operation(n)
        sizes = "None" if n["output_shape"] is None else \
            f"ops.constant(np.array({list(n['output_shape'])}, dtype=np.int64))"
        return "\n".join([
            "import ml_dtypes",
            "import numpy as np",
            "import openvino as ov",
            f"from openvino import {OPSET} as ops",
            "",
            "",
            "def tensor(a):",
            "    if dtype == 'bfloat16':  # bf16 goes over as its bits",
            "        t = ov.Tensor(ov.Type.bf16, list(a.shape))",
            "        t.data.view(np.uint16)[:] = np.ascontiguousarray(a).astype("
            "ml_dtypes.bfloat16).view(np.uint16)",
            "        return t",
            "    return ov.Tensor(np.ascontiguousarray(a).astype(dtype))",
            "",
            "",
            "element = {'float32': ov.Type.f32, 'float64': ov.Type.f64, 'float16': ov.Type.f16, "
            "'bfloat16': ov.Type.bf16}[dtype]",
            "data = ops.parameter(list(x.shape), element)",
            *([f"weight = w.reshape({n['groups']}, w.shape[0] // {n['groups']}, "
               "*w.shape[1:])  # [GROUPS, C_IN, C_OUT, *k]"] if n["group"] else
              ["weight = w"]),
            f"node = ops.{make}(data, ops.constant(tensor(weight)), "
            f"strides={list(n['strides'])}, output_shape={sizes}, "
            f"pads_begin={list(n['pads_begin'])}, pads_end={list(n['pads_end'])}, "
            f"dilations={list(n['dilations'])}, auto_pad={n['auto_pad']!r}, "
            f"output_padding={list(n['output_padding'])})",
            "if b is not None:",
            f"    node = ops.add(node, ops.constant(tensor(b.reshape((1, -1) + (1,) * "
            f"{n['dims']}))))",
            "model = ov.Model([node.output(0)], [data])",
            f"compiled = ov.Core().compile_model(model, 'CPU', {n['config'] or {}})",
            "print('INFERENCE_PRECISION_HINT:', compiled.get_property("
            "'INFERENCE_PRECISION_HINT'))",
            "y = np.asarray(compiled(tensor(x))[0])",
            "if dtype == 'bfloat16':",
            "    y = y.view(np.uint16).view(ml_dtypes.bfloat16)",
            "y = y.astype(np.float64)"])

    def version(self) -> str:
        import openvino

        return str(openvino.__version__).split("-")[0]


class BackpropDataOutputShape(BackpropData):
    name = "openvino.convolution_backprop_data.output_shape"
    conventions = Conventions(
        framework="openvino",
        entry_point="opset16.convolution_backprop_data with the output_shape input, compiled "
                    "for CPU (f32 hint); auto_pad explicit, same_upper for SAME (output n*s)",
        kernel_layout="C_in, C_out/groups, *kernel (groups 1; not flipped)",
        padding_modes=("SAME",), output_shape=True, groups=False, dtypes=DTYPES,
        **CONVENTIONS)
    output_shape = True


class BackpropDataOutputShapeSameLower(BackpropDataOutputShape):
    name = "openvino.convolution_backprop_data.output_shape.same_lower"
    conventions = Conventions(
        framework="openvino",
        entry_point="opset16.convolution_backprop_data with the output_shape input, compiled "
                    "for CPU (f32 hint); auto_pad same_lower (SAME: output n*s)",
        kernel_layout="C_in, C_out/groups, *kernel (groups 1; not flipped)",
        padding_modes=("SAME",), output_shape=True, groups=False, dtypes=DTYPES,
        **CONVENTIONS)
    same = "same_lower"


class GroupBackpropData(BackpropData):
    name = "openvino.group_convolution_backprop_data"
    conventions = Conventions(
        framework="openvino",
        entry_point="opset16.group_convolution_backprop_data compiled for CPU (f32 hint), "
                    "auto_pad same_upper for SAME",
        kernel_layout="C_in, C_out/groups, *kernel (reshaped to the node's [GROUPS, "
                      "C_in/groups, C_out/groups, *kernel]; not flipped)",
        padding_modes=("SAME", "VALID"), dtypes=DTYPES, **CONVENTIONS)
    group = True


class BackpropDataDefaultPrecision(BackpropData):
    name = "openvino.convolution_backprop_data.default_precision"
    conventions = Conventions(
        framework="openvino",
        entry_point="opset16.convolution_backprop_data compiled for CPU with the plugin's "
                    "default INFERENCE_PRECISION_HINT, auto_pad same_upper for SAME",
        kernel_layout="C_in, C_out/groups, *kernel (groups 1; not flipped)",
        padding_modes=("SAME", "VALID"), groups=False, dtypes=("float32",), **CONVENTIONS)
    config = None


FRAMEWORKS = (Framework(
    name="OpenVINO", package="openvino", distributions=("openvino",),
    backends=(Backend("openvino", "openvino", packages=("openvino",)),),
    entry_points=tuple((cls, "openvino") for cls in (
        BackpropData, BackpropDataOutputShape, BackpropDataOutputShapeSameLower,
        GroupBackpropData, BackpropDataDefaultPrecision)),
    native_keys=("auto_pad", "pads_begin", "pads_end", "output_padding", "output_shape"),
    porting=Porting("OpenVINO", "openvino.convolution_backprop_data", (
        Nominal("openvino-pads1-op1-k3-s2", "pads_begin=pads_end=1, output_padding=1, k=3, s=2",
                "openvino.convolution_backprop_data", (1, 1),
                astuple(rules.backprop_data(Axis(4, 3, 2), "explicit", (1, 1), 1)),
                output_padding=1),)),
),)
