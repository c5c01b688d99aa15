"""ONNX ``ConvTranspose`` (opset 22), one node in a one-node model, run by onnxruntime's CPU
execution provider and by the reference evaluator ``onnx.reference.ReferenceEvaluator``.

Layouts are ONNX's own, the canonical ones: ``X (N, C, *spatial)``, ``W (C, M/group,
*kernel)``, not flipped; bias is the node's third input ``B (M,)``. Padding is translated by
``oracle.rules.onnx``: explicit pairs become ``auto_pad="NOTSET"`` with ``pads`` (ONNX order:
every begin, then every end) and ``output_padding``; ``"SAME"`` becomes ``auto_pad=
"SAME_UPPER"`` (entry points ``*.same_lower``: ``"SAME_LOWER"``) with the case's
``output_padding``; ``"VALID"`` becomes ``auto_pad="VALID"``; an ``OutputShape`` becomes the
``output_shape`` attribute with ``auto_pad="NOTSET"``.

Sources:

- ONNX operator spec, ConvTranspose-22 (onnx/onnx ``docs/Operators.md``;
  ``onnx/defs/nn/defs.cc``): attributes ``auto_pad``, ``dilations``, ``group``,
  ``kernel_shape``, ``output_padding``, ``output_shape``, ``pads``, ``strides``; inputs ``X``,
  ``W`` "(C x M/group x kW x kH ...)", optional ``B`` "1D bias ... has size of M"; type ``T``
  float16, float, double, bfloat16 (bfloat16 added in opset 22).
- onnxruntime ``docs/OperatorKernels.md`` (CPUExecutionProvider): "ConvTranspose ... 22+ |
  T = tensor(float)" (likewise [11, 21] and [1, 10]): the CPU provider registers no double or
  bfloat16 kernel. float16 is not listed either, but onnxruntime's graph transformer
  ``InsertCastTransformer`` wraps a float16 node that has no float16 kernel in Casts to and
  from float (probe: the optimized model holds ``Cast -> ConvTranspose(float) -> Cast``), so
  float16 runs in float and is rounded once at the end.
- ``onnx.reference`` (``onnx/reference/ops/op_conv_transpose.py``): NumPy, any dtype NumPy or
  ``ml_dtypes`` holds; it is an implementation to judge, not an oracle.
"""

from __future__ import annotations

import os
from dataclasses import astuple

import numpy as np

from tconv.adapters import devices
from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported, axes, expressed
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Axis, RuleViolation
from tconv.oracle.rules import onnx as rules

OPSET = 22  # ConvTranspose's newest version; opset 22 pairs with IR version 10 (onnx 1.17)
IR_VERSION = 10

# onnx.TensorProto.DataType values (kept here so that plan() never imports onnx).
ELEMENT_TYPES = {"float32": 1, "float16": 10, "float64": 11, "bfloat16": 16}

ORT_KERNEL_TYPES = ("float32", "float16")
ORT_NO_KERNEL = ("onnxruntime's CPUExecutionProvider registers ConvTranspose for "
                 "T = tensor(float) only (docs/OperatorKernels.md); no {dtype} kernel")


def _windows(case: Case, same: str) -> tuple[dict, tuple[tuple[int, int, int], ...], str]:
    """The node's padding attributes, the canonical window per axis under the spec's rule, and
    the first of the spec's restrictions the case breaks ("" if none). ``same`` is the auto_pad
    a "SAME" case is spelled with."""
    canonical, violation = [], ""
    pads_begin, pads_end, output_padding = [], [], []
    padding = case.padding
    if isinstance(padding, OutputShape):
        auto_pad, output_shape = "NOTSET", tuple(padding.size)
    elif padding == "SAME":
        auto_pad, output_shape = same, None
    elif padding == "VALID":
        auto_pad, output_shape = "VALID", None
    elif isinstance(padding, str):
        raise Unsupported(f"no ONNX auto_pad for padding {padding!r}")
    else:
        auto_pad, output_shape = "NOTSET", None
    for i, (axis, a) in enumerate(zip(axes(case), case.output_padding)):
        pads, op = (0, 0), a
        if auto_pad == "NOTSET" and output_shape is None:
            spelled = expressed(rules.express, axis, *padding[i], a)
            pads, op = spelled["pads"], spelled["output_padding"]
        c = rules.conv_transpose(axis, auto_pad, pads, op,
                                 None if output_shape is None else output_shape[i])
        try:
            rules.limits(axis, auto_pad, pads, op)
        except RuleViolation as error:
            violation = violation or str(error)
        canonical.append((c.begin, c.end, c.output_padding))
        pads_begin.append(pads[0])
        pads_end.append(pads[1])
        output_padding.append(op)
    attributes = {"auto_pad": auto_pad, "output_padding": tuple(output_padding)}
    if auto_pad == "NOTSET" and output_shape is None:
        # pads only with NOTSET: "This attribute cannot be used simultaneously with auto_pad";
        # with output_shape "pads values are ignored", so none are given.
        attributes["pads"] = (*pads_begin, *pads_end)
    if output_shape is not None:
        attributes["output_shape"] = output_shape
    return attributes, tuple(canonical), violation


def _attributes(native: dict) -> dict:
    """The node's attributes from the native parameters (the model and the reproducer script
    share them)."""
    attributes = {k: native[k] for k in ("auto_pad", "strides", "dilations", "group")}
    attributes["kernel_shape"] = list(native["kernel_shape"])
    for key in ("pads", "output_padding", "output_shape"):
        if key in native:
            attributes[key] = list(native[key])
    return attributes


def _model(native: dict, dtype: str, x_shape: tuple, w_shape: tuple, bias: bool,
           initializers: tuple[np.ndarray, np.ndarray | None] | None = None):
    """A one-node model: inputs X, W (and B), output Y, with the node's attributes.

    ``initializers``: the weights ``(w, b)`` (canonical layouts; ``b`` None without bias),
    stored in the graph as initializers W and B instead of being inputs, as an exported
    model holds them: what a converter takes (``adapters.conversion``; some convert a
    ConvTranspose only when its weights are constants)."""
    from onnx import helper, numpy_helper

    element = ELEMENT_TYPES[dtype]
    attributes = _attributes(native)
    names = ["X", "W", "B"] if bias else ["X", "W"]
    node = helper.make_node("ConvTranspose", names, ["Y"], **attributes)
    inputs = [helper.make_tensor_value_info("X", element, list(x_shape)),
              helper.make_tensor_value_info("W", element, list(w_shape))]
    if bias:
        inputs.append(helper.make_tensor_value_info("B", element, [w_shape[1] * native["group"]]))
    constants = []
    if initializers is not None:
        arrays = _arrays(dict(zip(names[1:], initializers)), dtype)
        constants = [numpy_helper.from_array(arrays[name], name) for name in names[1:]]
        inputs = inputs[:1]
    # Y's rank only: its sizes are what is being judged, so the model does not state them.
    output = helper.make_tensor_value_info("Y", element, [None] * len(x_shape))
    graph = helper.make_graph([node], "conv_transpose", inputs, [output], initializer=constants)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                             ir_version=IR_VERSION)


def _arrays(arrays: dict, dtype: str) -> dict:
    """Arrays in the model's element type (bfloat16 through ml_dtypes: the values are exact)."""
    if dtype == "bfloat16":
        import ml_dtypes

        numpy_type = ml_dtypes.bfloat16
    else:
        numpy_type = np.dtype(dtype)
    return {k: np.ascontiguousarray(v).astype(numpy_type) for k, v in arrays.items()}


def _feeds(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, dtype: str) -> dict:
    """Inputs in the model's element type."""
    return _arrays({"X": x, "W": w} if b is None else {"X": x, "W": w, "B": b}, dtype)


def model_script(plan: Plan, initializers: bool = False) -> list[str]:
    """Standalone lines that build ``_model`` of ``plan`` from ``x``, ``w``, ``b`` and
    ``dtype`` and leave ``model`` and ``feeds`` (the inputs it takes, in its element type);
    with ``initializers`` the weights are the graph's initializers, as ``_model`` stores
    them."""
    attributes = ", ".join(f"{k}={v!r}" for k, v in _attributes(plan.native).items())
    if initializers:
        graph = ["constants = [numpy_helper.from_array(a, name) for name, a in feeds.items() "
                 "if name != 'X']",
                 "feeds = {'X': feeds['X']}  # the weights are the graph's, not inputs",
                 "inputs = [helper.make_tensor_value_info('X', element, list(x.shape))]",
                 "graph = helper.make_graph([node], 'conv_transpose', inputs, [output], "
                 "initializer=constants)"]
    else:
        graph = ["inputs = [helper.make_tensor_value_info(name, element, list(a.shape)) "
                 "for name, a in feeds.items()]",
                 "graph = helper.make_graph([node], 'conv_transpose', inputs, [output])"]
    return [
        "import ml_dtypes",
        "import numpy as np",
        "from onnx import helper, numpy_helper",
        "",
        f"element = {ELEMENT_TYPES!r}[dtype]  # onnx.TensorProto's data type numbers",
        "numpy_type = ml_dtypes.bfloat16 if dtype == 'bfloat16' else np.dtype(dtype)",
        "feeds = {'X': x, 'W': w} if b is None else {'X': x, 'W': w, 'B': b}",
        "feeds = {name: np.ascontiguousarray(a).astype(numpy_type) "
        "for name, a in feeds.items()}",
        f"node = helper.make_node('ConvTranspose', list(feeds), ['Y'], {attributes})",
        "# Y's rank only: its sizes are what is being judged.",
        "output = helper.make_tensor_value_info('Y', element, [None] * x.ndim)",
        *graph,
        "model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', "
        f"{OPSET})], ir_version={IR_VERSION})"]


CONVENTIONS = dict(input_layout="N, C_in, *spatial", kernel_layout="C_in, C_out/groups, *kernel",
                   kernel_axes=("C_in", "C_out/groups", "*kernel"),
                   bias="the node's third input `B`",
                   kernel_flipped=False, padding_vocabulary="onnx", dims=(1, 2, 3),
                   padding_modes=("SAME", "VALID"), output_shape=True)


# TF32 turned off by a strict CUDA check (``set_precision``); the CPU provider has no such switch.
_STRICT = {"strict": False}


def _providers() -> list:
    """The session's only provider: the CPU one, or in a CUDA worker the CUDA one (no CPU
    fallback listed: a node the CUDA provider cannot run fails rather than runs elsewhere),
    with ``use_tf32=0`` in a strict check ("use_tf32 ... default value: 1", onnxruntime's
    CUDA Execution Provider documentation)."""
    if devices.worker_device() != "cuda":
        return ["CPUExecutionProvider"]
    return [("CUDAExecutionProvider", {"use_tf32": "0"} if _STRICT["strict"] else {})]


def session(model: bytes):
    """An onnxruntime session of a serialized model, on the worker's provider: the one way
    tconv builds sessions (its own one-node models and converted ones, adapters.conversion)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # errors only: refusals arrive as exceptions anyway
    # Its share of the cores (adapters.workers.threads); 0 is onnxruntime's own default.
    options.intra_op_num_threads = int(os.environ.get("TCONV_THREADS", "0"))
    return onnxruntime.InferenceSession(model, options, providers=_providers())


def cuda_status() -> dict:
    """Whether this onnxruntime build has the CUDA provider and a device for it, and the
    provider's ``use_tf32`` as a session built with default options reports it."""
    import onnxruntime
    from onnx import TensorProto, helper

    version = onnxruntime.__version__
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        return {"available": False, "detail": f"onnxruntime {version}: CUDAExecutionProvider is "
                "not among get_available_providers() (the onnxruntime-gpu build has it)"}
    value = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1])
    graph = helper.make_graph([helper.make_node("Identity", ["X"], ["Y"])], "probe", [value],
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              ir_version=IR_VERSION)
    try:
        session = onnxruntime.InferenceSession(model.SerializeToString(),
                                               providers=["CUDAExecutionProvider"])
    except Exception as error:  # the provider is built in but finds no usable device
        return {"available": False, "detail": f"onnxruntime {version}: {error}"[:300]}
    options = session.get_provider_options().get("CUDAExecutionProvider", {})
    if "CUDAExecutionProvider" not in session.get_providers():
        return {"available": False, "detail": f"onnxruntime {version}: the session fell back "
                                              f"to {session.get_providers()}"}
    use_tf32 = options.get("use_tf32", "1")
    return {"available": True, "detail": f"CUDAExecutionProvider device "
                                          f"{options.get('device_id', '0')}",
            "float32": "tf32" if use_tf32 == "1" else "float32",
            "setting": f"CUDAExecutionProvider option use_tf32 == {use_tf32!r}"}


def set_precision(strict: bool) -> None:
    _STRICT["strict"] = strict


class OnnxRuntime(Adapter):
    name = "onnxruntime"
    conventions = Conventions(framework="onnxruntime",
                              entry_point="ConvTranspose-22 in onnxruntime.InferenceSession "
                                          "(CPUExecutionProvider), auto_pad SAME_UPPER for SAME",
                              dtypes=ORT_KERNEL_TYPES, **CONVENTIONS)
    same = "SAME_UPPER"

    def plan(self, case: Case) -> Plan:
        if self.same != "SAME_UPPER" and case.padding != "SAME":
            raise Unsupported(f"this entry point judges auto_pad={self.same} only; other "
                              "paddings are run by the SAME_UPPER entry point")
        attributes, canonical, violation = _windows(case, self.same)
        native = {"dims": case.dims, **attributes, "strides": tuple(case.stride),
                  "dilations": tuple(case.dilation), "group": case.groups,
                  "kernel_shape": tuple(case.kernel)}
        return Plan(self.name, case.id, native, canonical, violation or self._dtype_rule(case),
                    extra={"bias": case.bias})

    def _dtype_rule(self, case: Case) -> str:
        if case.dtype not in ORT_KERNEL_TYPES:
            return ORT_NO_KERNEL.format(dtype=case.dtype)
        return ""

    def _session(self, native: dict, dtype: str, x_shape: tuple, w_shape: tuple, bias: bool):
        """The built session, cached per native parameters, dtype and shapes (inputs vary)."""
        cache = self.__dict__.setdefault("_sessions", {})
        key = (repr(sorted(native.items())), dtype, tuple(x_shape), tuple(w_shape), bias,
               _STRICT["strict"])
        if key not in cache:
            cache[key] = self._build(_model(native, dtype, x_shape, w_shape, bias))
        return cache[key]

    def _build(self, model):
        return session(model.SerializeToString())

    def run(self, native, x, w, b, dtype):
        session = self._session(native, dtype, x.shape, w.shape, b is not None)
        feeds = _feeds(x, w, b, dtype)
        if dtype == "bfloat16":
            # NumPy has no bfloat16 ORT accepts: hand the bits over with the ONNX element type.
            import onnxruntime

            feeds = {k: onnxruntime.OrtValue.ortvalue_from_numpy_with_onnx_type(
                v.view(np.uint16), ELEMENT_TYPES[dtype]) for k, v in feeds.items()}
        y = np.asarray(session.run(["Y"], feeds)[0])
        if dtype == "bfloat16" and y.dtype == np.uint16:
            import ml_dtypes

            y = y.view(ml_dtypes.bfloat16)
        return y.astype(np.float64)

    def source(self, plan):
        n = plan.native
        attributes = ", ".join(f"{k}={list(n[k]) if isinstance(n[k], tuple) else n[k]!r}"
                               for k in ("auto_pad", "pads", "output_padding", "output_shape",
                                         "strides", "dilations", "group", "kernel_shape")
                               if k in n)
        inputs = ['X', 'W', 'B'] if plan.extra.get("bias", True) else ['X', 'W']
        return (f"node = onnx.helper.make_node('ConvTranspose', {inputs}, ['Y'], "
                f"{attributes}); model = <one-node graph, opset {OPSET}>; "
                f"{self._runner()}")

    def _runner(self) -> str:
        return ("y = onnxruntime.InferenceSession(model.SerializeToString(), "
                "providers=['CPUExecutionProvider']).run(None, feeds)[0]")

    # -- reproducer scripts: the same model on x, w, b, dtype (see Adapter.script) ----------

    # The runner's import, and the line that builds ``session`` from ``model``.
    _session_script = ("import onnxruntime",
                       "session = onnxruntime.InferenceSession(model.SerializeToString(), "
                       "providers=['CPUExecutionProvider'])")

    def script(self, plan: Plan) -> str:
        runner_import, session = self._session_script
        return "\n".join([runner_import, *model_script(plan), session,
                          "y = np.asarray(session.run(['Y'], feeds)[0]).astype(np.float64)"])

    def version(self):
        import onnxruntime

        return str(onnxruntime.__version__)

    def cuda(self):
        return cuda_status()

    def precision(self, strict):
        set_precision(strict)


class OnnxRuntimeSameLower(OnnxRuntime):
    name = "onnxruntime.same_lower"
    conventions = Conventions(framework="onnxruntime",
                              entry_point="ConvTranspose-22 in onnxruntime.InferenceSession "
                                          "(CPUExecutionProvider), auto_pad SAME_LOWER for SAME",
                              dtypes=ORT_KERNEL_TYPES, **CONVENTIONS)
    same = "SAME_LOWER"


class Reference(OnnxRuntime):
    name = "onnx.reference"
    conventions = Conventions(framework="onnx",
                              entry_point="ConvTranspose-22 in onnx.reference.ReferenceEvaluator, "
                                          "auto_pad SAME_UPPER for SAME",
                              dtypes=("float32", "float64", "float16", "bfloat16"),
                              devices=("cpu",), **CONVENTIONS)

    def _dtype_rule(self, case: Case) -> str:
        return ""  # the spec's T: float16, float, double, bfloat16; NumPy runs them all

    cuda = Adapter.cuda  # NumPy: the CPU only (conventions.devices)

    def _build(self, model):
        from onnx.reference import ReferenceEvaluator

        return ReferenceEvaluator(model)

    def run(self, native, x, w, b, dtype):
        evaluator = self._session(native, dtype, x.shape, w.shape, b is not None)
        y = evaluator.run(["Y"], _feeds(x, w, b, dtype))[0]
        return np.asarray(y).astype(np.float64)

    def _runner(self) -> str:
        return "y = onnx.reference.ReferenceEvaluator(model).run(None, feeds)[0]"

    _session_script = ("from onnx.reference import ReferenceEvaluator",
                       "session = ReferenceEvaluator(model)")

    def version(self):
        import onnx

        return str(onnx.__version__)


class ReferenceSameLower(Reference):
    name = "onnx.reference.same_lower"
    conventions = Conventions(framework="onnx",
                              entry_point="ConvTranspose-22 in onnx.reference.ReferenceEvaluator, "
                                          "auto_pad SAME_LOWER for SAME",
                              dtypes=("float32", "float64", "float16", "bfloat16"),
                              devices=("cpu",), **CONVENTIONS)
    same = "SAME_LOWER"


NATIVE_KEYS = ("auto_pad", "pads", "output_padding", "output_shape")

FRAMEWORKS = (
    Framework(
        name="ONNX Runtime", package="onnxruntime", distributions=("onnxruntime",),
        backends=(Backend("onnxruntime", "onnxruntime", packages=("onnxruntime",)),),
        entry_points=((OnnxRuntime, "onnxruntime"), (OnnxRuntimeSameLower, "onnxruntime")),
        native_keys=NATIVE_KEYS,
        porting=Porting("ONNX", "onnxruntime", (
            Nominal("onnx-same-lower-k3-s2", "auto_pad='SAME_LOWER', k=3, s=2",
                    "onnxruntime.same_lower", "SAME",
                    astuple(rules.conv_transpose(Axis(4, 3, 2), "SAME_LOWER"))),
            Nominal("onnx-valid-k1-s2", "auto_pad='VALID', k=1, s=2", "onnxruntime", "VALID",
                    astuple(rules.conv_transpose(Axis(4, 1, 2), "VALID")), k=1)))),
    Framework(
        name="ONNX reference evaluator", package="onnx", distributions=("onnx",),
        backends=(Backend("onnx-reference", "onnx", packages=("onnx",)),),
        entry_points=((Reference, "onnx-reference"), (ReferenceSameLower, "onnx-reference")),
        native_keys=NATIVE_KEYS),
)
