"""TensorFlow -> ONNX -> onnxruntime: ``tf2onnx.convert.from_function`` of a ``tf.function``
over the TensorFlow entry points' own call (``adapters.tensorflow.model``: ``tf.nn.conv_transpose``,
``tf.nn.conv2d_transpose`` for explicit pairs, ``tf.nn.bias_add``; channels-last, and
channels-first for ``.nchw``), the weights ``tf.Variable``s it reads, with an input signature
of the case's shape; the ONNX file run by onnxruntime's CPU execution provider.

The case is the TensorFlow entry point's (its vocabulary, its plan); the converted model must
compute what TensorFlow documents (``oracle.rules.tensorflow``), and is compared with
TensorFlow's own answer too (``adapters.conversion``). The model's input and output keep the
call's data_format (tf2onnx inserts the Transposes to ONNX's channels-first ConvTranspose).

Sources (tf2onnx 1.17.0, installed source):

- ``tf2onnx/convert.py``, ``from_function(function, input_signature=None, opset=None, ...)``:
  "Returns a ONNX model_proto for a tf.function"; "opset: the opset to be used for the ONNX
  model". ``tf2onnx/constants.py`` ``OPSET_TO_IR_VERSION`` ends at opset 18 and
  ``graph.py`` refuses an opset outside it: 18 is the newest tf2onnx 1.17.0 writes.
- ``tf2onnx/onnx_opset/nn.py``, ``ConvTranspose`` (handler of ``Conv2DBackpropInput`` and
  ``Conv3DBackpropInputV2``): with a constant ``output_shape`` it writes ``auto_pad="NOTSET"``
  and ``pads`` from ``total_padding = strides*(input - 1) + (kernel - 1)*dilations + 1 -
  output_shape``, split as ``int(total_padding / 2)`` before and the rest after, whatever the
  op's ``padding`` attribute (SAME, VALID or EXPLICIT) says.
- onnxruntime's ``InferenceSession`` (``adapters.onnx``); its CPU provider registers
  ConvTranspose for float only, float16 runs through inserted Casts (``adapters.onnx``).
"""

from __future__ import annotations

import numpy as np

from tconv.adapters import conversion, tensorflow
from tconv.adapters import onnx as onnx_adapter
from tconv.adapters.declarations import Backend, Framework

# The newest opset tf2onnx 1.17.0 converts to (its OPSET_TO_IR_VERSION; see the docstring).
OPSET = 18
DTYPES = onnx_adapter.ORT_KERNEL_TYPES


class Converted(conversion.Converter):
    """``tf2onnx.convert.from_function(tf.function(call), input_signature, opset)`` ->
    ``onnxruntime.InferenceSession``."""

    suffix = ".onnx"
    parts = ("tensorflow-cpu", "tf2onnx", "onnxruntime")

    def export(self, native, x, w, b, dtype):
        import tensorflow as tf
        import tf2onnx

        function = tensorflow.model(native, w, b, dtype)
        shape = np.transpose(x, tensorflow.data_axes(native)).shape
        signature = [tf.TensorSpec(shape, tensorflow._tf_dtype(dtype), name="x")]
        proto, _ = tf2onnx.convert.from_function(function, input_signature=signature,
                                                 opset=OPSET)
        return proto.SerializeToString()

    def load(self, artefact, dtype):
        return onnx_adapter.session(artefact)

    def execute(self, session, native, x, dtype):
        feed = np.ascontiguousarray(np.transpose(x, tensorflow.data_axes(native)))
        name = session.get_inputs()[0].name
        y = np.asarray(session.run(None, {name: feed.astype(np.dtype(dtype))})[0])
        return np.transpose(y.astype(np.float64), tensorflow.canonical_data_axes(native))

    def source(self, plan):
        # w and b: the function's variables
        call = tensorflow.NN.source(None, plan)
        return (f"model = tf.function(lambda x: {call}); tf2onnx.convert.from_function(model, "
                f"input_signature=[tf.TensorSpec(x.shape, dtype)], opset={OPSET}, "
                "output_path='model.onnx'); "
                "onnxruntime.InferenceSession('model.onnx').run(None, {input: x})")

    def script(self, plan):
        n = plan.native
        return "\n".join([
            "import onnxruntime",
            "import tf2onnx",
            *tensorflow.NN()._call_script(n),
            "# the weights as variables, as a porter's model holds them",
            "weights = [tf.Variable(a) for a in args[1:]]",
            "model = tf.function(lambda x: call(x, *weights))",
            "path = 'converted.onnx'  # the converted model, kept for the target's own tools",
            "tf2onnx.convert.from_function(model, input_signature=[tf.TensorSpec(xt.shape, "
            f"xt.dtype, name='x')], opset={OPSET}, output_path=path)",
            "session = onnxruntime.InferenceSession(path, providers=['CPUExecutionProvider'])",
            "yt = session.run(None, {session.get_inputs()[0].name: xt.numpy()})[0]",
            "y = np.transpose(np.asarray(yt).astype(np.float64), "
            f"{tensorflow.canonical_data_axes(n)})"])


def _path(source: type) -> type:
    entry = (f"{source.conventions.entry_point} in a tf.function -> "
             f"tf2onnx.convert.from_function(opset={OPSET}) -> onnxruntime (CPUExecutionProvider)")
    return type(f"Converted_{source.__name__}", (Converted,), {
        "name": f"{source.name}.tf2onnx", "origin": source.name,
        "conventions": conversion.conventions(source.conventions, source.name, entry, DTYPES,
                                              framework="tf2onnx")})


ENTRY_POINTS = tuple(_path(source) for source in (tensorflow.NN, tensorflow.NCHW))

FRAMEWORKS = (Framework(
    name="TensorFlow -> ONNX (tf2onnx) -> onnxruntime", package="tf2onnx",
    # what is installed at one version together: tf2onnx alone (its version is the path's)
    distributions=("tf2onnx",),
    backends=(Backend("tf2onnx", "tf2onnx", tensorflow.ENVIRONMENT,
                      packages=("tensorflow", "tf2onnx", "onnxruntime")),),
    entry_points=tuple((cls, "tf2onnx") for cls in ENTRY_POINTS),
    native_keys=("function", "padding", "explicit", "output_shape"),
),)
