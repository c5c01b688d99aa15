"""TensorFlow / Keras 3 -> TFLite -> LiteRT: ``tf.lite.TFLiteConverter`` of the TensorFlow and
Keras entry points' own models, the ``.tflite`` file run by the LiteRT interpreter
(``ai_edge_litert.interpreter.Interpreter``) on the CPU.

- ``tf.nn.conv_transpose.tflite``: ``TFLiteConverter.from_concrete_functions`` of a
  ``tf.function`` over ``adapters.tensorflow.call`` (``tf.nn.conv_transpose``, or
  ``tf.nn.conv2d_transpose`` for explicit pairs, bias by ``tf.nn.bias_add``), the weights
  ``tf.Variable``s of a ``tf.Module`` passed as the converter's ``trackable_obj``, as a porter's
  model holds them.
- ``keras-tensorflow.layer.tflite``: ``TFLiteConverter.from_keras_model`` of a Keras 3 model
  (TensorFlow backend: ``KERAS_BACKEND=tensorflow`` in the worker's environment) holding
  ``adapters.keras.layer``'s ``keras.layers.ConvNDTranspose``.

The case is the source entry point's (its vocabulary, its plan); the converted model must
compute what TensorFlow / Keras document (``oracle.rules.tensorflow`` / ``oracle.rules.keras``)
and is compared with the source's own answer too (``adapters.conversion``).

Sources (TensorFlow 2.21.0, Keras 3.15.1, ai-edge-litert 2.3.0):

- the converter's entry points: ``tf.lite.TFLiteConverter`` docs, "from_saved_model()
  (recommended)", "from_keras_model(): Converts a Keras model", "from_concrete_functions():
  Converts concrete functions" (LiteRT's "Convert TensorFlow models" page);
  ``from_concrete_functions(funcs, trackable_obj)``: "A reference to this object needs to be
  maintained so that Variables do not get garbage collected".
- Keras 3: ``from_keras_model`` takes a Keras 3 model itself: TF 2.21's
  ``tensorflow/lite/python/lite.py`` (``TFLiteKerasModelConverterV2.
  _convert_keras_to_saved_model``) detects Keras 3 (``_is_keras_3``) and writes it out through
  ``keras.export.ExportArchive`` with ``model.__call__(training=False)`` and the model's
  inputs as the signature, then converts that SavedModel: the SavedModel route the docs
  recommend, done by the converter. (Keras' own ``model.export(format="litert")``,
  ``keras/src/export/litert.py``, takes the same route but turns on ``SELECT_TF_OPS``, whose
  models need the Flex delegate that the ``ai-edge-litert`` interpreter does not link: not the
  path taken here.)
- operator set: the converter's default, ``TFLITE_BUILTINS``. TF Select (``SELECT_TF_OPS``) is
  an opt-in the docs present as a fallback that "requires pulling in the core TensorFlow
  runtime, which increases the LiteRT interpreter binary size" (LiteRT's "Select TensorFlow
  operators" page), so it is not enabled: what the builtins cannot express is the converter's
  refusal ("'tf.Conv2DBackpropInput' op is neither a custom op nor a flex op", export stage).
- what the converter makes of the ops (observed, TF 2.21.0): 2-D ``Conv2DBackpropInput`` with
  padding SAME/VALID and dilation 1 becomes the builtin ``TRANSPOSE_CONV`` (a bias from
  ``tf.nn.bias_add`` fused as its optional fourth input); 1-D is reshaped into 2-D around it
  (``conv1d_transpose`` is written that way in TF); 3-D becomes ``CONV_3D_TRANSPOSE``.
  ``TRANSPOSE_CONV``'s options hold padding and strides only (tensorflow/tensorflow#70031,
  "TFLite schema doesn't support" dilation; tflite-micro#743), so dilated and explicitly padded
  2-D ones are refused at the export stage.
- the interpreter: ``Interpreter(model_content=..., num_threads=...)``, ``allocate_tensors``,
  ``set_tensor`` / ``invoke`` / ``get_tensor`` (ai-edge-litert 2.3.0,
  ``ai_edge_litert/interpreter.py``); its default op resolver applies the XNNPACK delegate,
  which is what a user of the interpreter runs.

Float32 only: TFLite's transposed convolutions are float32 kernels (and quantised ones), and
``target_spec.supported_types = [tf.float16]`` is a quantisation of float32 weights, not a
float16 model.
"""

from __future__ import annotations

import os

import numpy as np

from tconv.adapters import conversion
from tconv.adapters import keras as keras_adapter
from tconv.adapters import tensorflow as tf_adapter
from tconv.adapters.base import Plan
from tconv.adapters.declarations import Backend, Framework

DTYPES = ("float32",)


def interpreter(artefact: bytes):
    """LiteRT's interpreter for a ``.tflite`` file's bytes, its tensors allocated: the load
    stage of every path to TFLite (this module's, onnx2tf's, litert-torch's)."""
    from ai_edge_litert.interpreter import Interpreter

    # Its share of the cores (adapters.workers.threads); None is LiteRT's own default.
    threads = int(os.environ.get("TCONV_THREADS", "0")) or None
    loaded = Interpreter(model_content=artefact, num_threads=threads)
    loaded.allocate_tensors()
    return loaded


def invoke(loaded, feed: np.ndarray) -> np.ndarray:
    """The model's one output for its one input ``feed`` (in the model's own layout)."""
    loaded.set_tensor(loaded.get_input_details()[0]["index"], feed)
    loaded.invoke()
    return loaded.get_tensor(loaded.get_output_details()[0]["index"])


class Converted(conversion.Converter):
    """``tf.lite.TFLiteConverter`` -> ``ai_edge_litert.interpreter.Interpreter``."""

    suffix = ".tflite"

    def load(self, artefact, dtype):
        return interpreter(artefact)

    def execute(self, interpreter, native, x, dtype):
        feed = np.ascontiguousarray(np.transpose(x, self.data_axes(native))).astype(dtype)
        y = invoke(interpreter, feed)
        return np.ascontiguousarray(np.transpose(np.asarray(y, dtype=np.float64),
                                                 self.canonical_axes(native)))

    def data_axes(self, native: dict) -> tuple[int, ...]:
        """Canonical (N, C, *spatial) -> the source's input layout."""
        raise NotImplementedError

    def canonical_axes(self, native: dict) -> tuple[int, ...]:
        """The source's output layout -> canonical (N, C, *spatial)."""
        raise NotImplementedError

    # -- reproducer scripts ------------------------------------------------------------------

    def _convert_script(self, plan: Plan) -> list[str]:
        """Lines that leave ``converter`` (a ``tf.lite.TFLiteConverter``) and ``x_native``."""
        raise NotImplementedError

    def script(self, plan):
        return "\n".join([
            "import os",
            "",
            "from ai_edge_litert.interpreter import Interpreter",
            *self._convert_script(plan),
            "path = 'converted.tflite'  # the converted model, kept for the target's own tools",
            "with open(path, 'wb') as f:",
            "    f.write(converter.convert())",
            "interpreter = Interpreter(model_path=path)",
            "interpreter.allocate_tensors()",
            "interpreter.set_tensor(interpreter.get_input_details()[0]['index'], "
            "np.ascontiguousarray(x_native).astype(dtype))",
            "interpreter.invoke()",
            "yt = interpreter.get_tensor(interpreter.get_output_details()[0]['index'])",
            "y = np.ascontiguousarray(np.transpose(np.asarray(yt, dtype=np.float64), "
            f"{self.canonical_axes(plan.native)}))"])


class ConcreteFunction(Converted):
    """``TFLiteConverter.from_concrete_functions`` of ``tf.nn.conv_transpose`` (plus
    ``tf.nn.bias_add``) in a ``tf.function``, the weights variables of a ``tf.Module``."""

    name = "tf.nn.conv_transpose.tflite"
    origin = tf_adapter.NN.name
    parts = ("tensorflow-cpu", "ai-edge-litert")
    conventions = conversion.conventions(
        tf_adapter.NN.conventions, tf_adapter.NN.name,
        f"{tf_adapter.NN.conventions.entry_point} in a tf.function -> "
        "tf.lite.TFLiteConverter.from_concrete_functions -> LiteRT Interpreter (CPU)",
        DTYPES, framework="tf.lite (from_concrete_functions)")

    def export(self, native, x, w, b, dtype):
        import tensorflow as tf

        xt, *weights = tf_adapter._tf_inputs(native, x, w, b, dtype)
        holder = tf.Module()
        holder.weights = [tf.Variable(t) for t in weights]
        call = tf_adapter.call(native)
        fn = tf.function(lambda x: call(x, *holder.weights))
        concrete = fn.get_concrete_function(tf.TensorSpec(xt.shape, xt.dtype))
        return tf.lite.TFLiteConverter.from_concrete_functions([concrete], holder).convert()

    def data_axes(self, native):
        return tf_adapter.data_axes(native)

    def canonical_axes(self, native):
        return tf_adapter.canonical_data_axes(native)

    def _convert_script(self, plan):
        return [
            *tf_adapter.NN()._call_script(plan.native),
            "holder = tf.Module()  # the weights as variables, as a model holds them",
            "holder.weights = [tf.Variable(t) for t in args[1:]]",
            "fn = tf.function(lambda x: call(x, *holder.weights))",
            "concrete = fn.get_concrete_function(tf.TensorSpec(xt.shape, xt.dtype))",
            "converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], holder)",
            "x_native = xt.numpy()"]

    def source(self, plan):
        return (f"fn = tf.function(lambda x: {tf_adapter.NN().source(plan)}); "
                "tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function("
                "tf.TensorSpec(x.shape))], holder).convert(); "
                "ai_edge_litert.interpreter.Interpreter(model_content=...).invoke()")


class KerasModel(Converted):
    """``TFLiteConverter.from_keras_model`` of a Keras 3 model (TensorFlow backend) holding
    ``keras.layers.ConvNDTranspose``."""

    name = "keras-tensorflow.layer.tflite"
    origin = keras_adapter.KerasLayerTensorflow.name
    parts = ("tensorflow-cpu", "keras", "ai-edge-litert")
    conventions = conversion.conventions(
        keras_adapter.KerasLayerTensorflow.conventions, keras_adapter.KerasLayerTensorflow.name,
        f"{keras_adapter.KerasLayer.entry_point} in a keras.Sequential (KERAS_BACKEND="
        "tensorflow) -> tf.lite.TFLiteConverter.from_keras_model -> LiteRT Interpreter (CPU)",
        DTYPES, framework="tf.lite (from_keras_model)")

    def export(self, native, x, w, b, dtype):
        import keras
        import tensorflow as tf

        keras_adapter.KerasLayerTensorflow()._check_backend()
        x, _ = keras_adapter.KerasOps._inputs(native, x, w)
        layer = keras_adapter.layer(native, x.shape, w, b, dtype)
        model = keras.Sequential([keras.Input(x.shape[1:], batch_size=x.shape[0], dtype=dtype),
                                  layer])
        return tf.lite.TFLiteConverter.from_keras_model(model).convert()

    def data_axes(self, native):
        dims = native["dims"]
        return (tf_adapter.channels_last_axes(dims) if native["data_format"] == "channels_last"
                else tuple(range(dims + 2)))

    def canonical_axes(self, native):
        dims = native["dims"]
        return (tf_adapter.channels_first_axes(dims) if native["data_format"] == "channels_last"
                else tuple(range(dims + 2)))

    def _convert_script(self, plan):
        # the source's own lines up to the layer's call: inputs, layer, weights
        lines = keras_adapter.KerasLayerTensorflow().script(plan).splitlines()
        build = lines[:next(i for i, line in enumerate(lines) if line.startswith("yt = "))]
        return [
            "import tensorflow as tf",
            "",
            "os.environ['KERAS_BACKEND'] = 'tensorflow'  # before keras is imported",
            *build,
            "model = keras.Sequential([keras.Input(x_native.shape[1:], "
            "batch_size=x_native.shape[0], dtype=dtype), layer])",
            "converter = tf.lite.TFLiteConverter.from_keras_model(model)"]

    def source(self, plan):
        # the source's call without its trailing comment, which would swallow the rest
        call, comment = keras_adapter.KerasLayerTensorflow().source(plan).split("  # ", 1)
        return (f"{call}; "
                "model = keras.Sequential([keras.Input(x.shape[1:], batch_size=x.shape[0]), "
                "layer]); tf.lite.TFLiteConverter.from_keras_model(model).convert(); "
                "ai_edge_litert.interpreter.Interpreter(model_content=...).invoke()"
                f"  # {comment}")


ENTRY_POINTS = (ConcreteFunction, KerasModel)

FRAMEWORKS = (Framework(
    name="TensorFlow / Keras 3 -> TFLite (tf.lite.TFLiteConverter) -> LiteRT",
    package="ai-edge-litert", distributions=("ai-edge-litert",),
    backends=(Backend("tflite", "ai_edge_litert",
                      {"KERAS_BACKEND": "tensorflow", **tf_adapter.ENVIRONMENT},
                      packages=("tensorflow", "keras", "ai-edge-litert")),),
    entry_points=tuple((cls, "tflite") for cls in ENTRY_POINTS),
    native_keys=("function", "padding", "explicit", "output_shape", "output_padding"),
),)
