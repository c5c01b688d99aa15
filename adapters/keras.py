"""Keras 3: ``keras.ops.conv_transpose`` and ``keras.layers.Conv{1,2,3}DTranspose``, each run on
the TensorFlow, JAX and PyTorch backends (one worker process per backend: Keras picks its
backend from ``KERAS_BACKEND`` at import time). One class per entry point; the subclasses only
fix the registry name and the backend they are registered for, and ``run`` checks that
``keras.backend.backend()`` is that backend.

Conventions (Keras 3.15.1; the documented rule is encoded in ``oracle.rules.keras``):

- ``keras.ops.conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
  data_format=None, dilation_rate=1)`` (``keras/src/ops/nn.py``; docs
  https://keras.io/api/ops/nn/#conv_transpose-function): "`kernel` has shape
  [kernel_spatial_shape, num_output_channels, num_input_channels]", so the canonical weight
  ``(C_in, C_out, *k)`` is transposed to ``(*k, C_out, C_in)``; not flipped (the JAX backend
  passes ``transpose_kernel=True`` to ``jax.lax.conv_transpose``, which makes it the gradient of
  the forward convolution, i.e. the scatter form). ``padding`` is "valid" or "same" only; no
  ``groups``; no output-shape argument. The op has no bias argument, so bias is added as
  ``keras.ops.add(y, b)`` broadcast over the channel axis, as the layers themselves do.
- ``keras.layers.Conv{1,2,3}DTranspose(filters, kernel_size, strides, padding, output_padding,
  data_format, dilation_rate, use_bias, dtype)`` (``keras/src/layers/convolutional/
  base_conv_transpose.py``; docs https://keras.io/api/layers/convolution_layers/
  convolution2d_transpose/): kernel variable ``kernel_size + (filters, input_channel)``, bias
  ``(filters,)`` added after the convolution; it refuses "`output_padding` must be strictly less
  than `strides`", negative ``output_padding``, and "`strides > 1` not supported in conjunction
  with `dilation_rate > 1`" (``oracle.rules.keras.layer_limits``). Weights are set with
  ``layer.set_weights``; the layer's dtype policy is the case's dtype.
- ``data_format``: "channels_first" on JAX and PyTorch (the canonical layout, no conversion);
  "channels_last" on TensorFlow, whose CPU kernel ``Conv2DCustomBackpropInputOp`` "only supports
  NHWC" for float64 and float16 (probed with TensorFlow 2.21.0: float32 and bfloat16 go through
  oneDNN and accept NCHW, the others raise), so the input is moved to ``(N, *spatial, C)`` and
  the output back.
- Padding: a case's "SAME"/"VALID" is Keras' "same"/"valid" with ``output_padding=None`` unless
  the case asks for a nonzero output_padding (then the whole per-axis tuple is passed). Explicit
  ``(begin, end)`` pairs are spelled with ``oracle.rules.keras`` (``padding``/``output_length``,
  the candidates ``express`` tries, with one padding string for all axes since Keras'
  ``padding`` is global), only within the entry point's documented limits, else
  ``Unsupported``.
- Documented limits (``Plan.violation``, the framework must refuse): the layers'
  ``rules.layer_limits``; for the op, its docstring's "The amount of output padding along a
  given dimension must be lower than the stride along that same dimension" (the op itself
  does not check it).
- Known backend limits (findings, not hidden; TensorFlow 2.21.0 CPU): dilation > 1 is refused
  for float64/float16 ("Current CPU implementations do not yet support dilation rates larger
  than 1", keras-team/keras#19870, #20408; tensorflow/tensorflow#69103) while float32/bfloat16
  (oneDNN) compute it; "same" with an explicit output_padding of 0 on an axis with an even
  dilated kernel is refused, because the length Keras hands ``tf.nn.conv_transpose`` as
  ``output_shape``, ``(n - 1)*s + output_padding``, is not one TF's SAME gradient maps back to
  ``n`` (JAX and PyTorch compute it).
"""

from __future__ import annotations

from dataclasses import astuple

import numpy as np

from tconv.adapters import jax as jax_adapter
from tconv.adapters import pytorch as pytorch_adapter
from tconv.adapters import tensorflow as tensorflow_adapter
from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported, axes
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.adapters.tensorflow import channels_first_axes, channels_last_axes, filter_axes
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Axis, Canonical, NotExpressible, RuleViolation
from tconv.oracle.rules import keras as rules

# Keras' padding strings, tried in the order ``rules.express`` tries them.
MODES = ("valid", "same")
DTYPES = ("float32", "float64", "float16", "bfloat16")
# TF's CPU backprop-input kernel takes NHWC only for float64/float16 (see the docstring).
DATA_FORMAT = {"tensorflow": "channels_last", "jax": "channels_first",
               "torch": "channels_first"}


def make_conventions(entry_point: str, backend: str, layer: bool) -> Conventions:
    channels_first = DATA_FORMAT.get(backend, "channels_first") == "channels_first"
    return Conventions(
        kernel_axes=("*kernel", "C_out", "C_in"),
        bias=("the layer's own bias (`use_bias`)" if layer else
              "`keras.ops.add(y, b)` (the op has no bias)"),
        framework=f"keras-{backend}" if backend else "keras", entry_point=entry_point,
        input_layout="N, C_in, *spatial" if channels_first else "N, *spatial, C_in",
        kernel_layout="*kernel, C_out, C_in", kernel_flipped=False, padding_vocabulary="keras",
        groups=False, dilation=True, padding_modes=("SAME", "VALID"), output_shape=False,
        dtypes=DTYPES)


# The op's keyword arguments in the plan's native parameters (run and script share them); the
# layers take them too, after filters and kernel_size.
CALL_KEYS = ("strides", "padding", "output_padding", "data_format", "dilation_rate")


def _kwargs(native: dict) -> dict:
    return {key: native[key] for key in CALL_KEYS}


def _arguments(kwargs: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in kwargs.items())


def _bias_shape(native: dict) -> tuple[int, ...]:
    """The bias as an array of the output's rank, -1 on the channel axis."""
    shape = [1] * (native["dims"] + 2)
    shape[1 if native["data_format"] == "channels_first" else -1] = -1
    return tuple(shape)


# keras.ops.conv_transpose's docstring: "The amount of output padding along a given dimension
# must be lower than the stride along that same dimension." The op does not check it.


def _violation(axes_: list[Axis], mode: str, output_padding: tuple[int, ...] | None,
               layer: bool) -> str:
    """The first documented limit of the entry point this spelling breaks, or "": the layers'
    (``rules.layer_case_limits``, ``rules.layer_limits``), or the op's own rule on
    output_padding."""
    if layer:
        try:
            rules.layer_case_limits(axes_)
        except RuleViolation as error:
            return str(error)
    for i, axis in enumerate(axes_):
        op = None if output_padding is None else output_padding[i]
        try:
            if layer:
                rules.layer_limits(axis, mode, op)
            else:
                rules.op_limits(axis, op)
        except RuleViolation as error:
            return str(error)
    return ""


def _search(axes_: list[Axis], want: list[Canonical], layer: bool
            ) -> tuple[str, tuple[int, ...] | None] | None:
    """One padding string (global in Keras) and ``output_padding`` (None, or one per axis)
    that give every axis its window under Keras' documented rule, tried in ``rules.express``'s
    order, among the spellings the entry point's documented limits allow (an output padding is
    an amount: never negative)."""
    options: list[tuple[str, tuple[int, ...] | None]] = [(mode, None) for mode in MODES]
    # An explicit output_padding lengthens the output from its value at 0 (output_length).
    options += [(mode, tuple(c.size(a) - rules.output_length(a, mode, 0)
                             for a, c in zip(axes_, want))) for mode in MODES]
    for mode, op in options:
        if _violation(axes_, mode, op, layer) or (op is not None and min(op) < 0):
            continue
        got = [rules.padding(a, mode, None if op is None else op[i])
               for i, a in enumerate(axes_)]
        if all(g.same_window(c) for g, c in zip(got, want)):
            return mode, op
    return None


def _inexpressible(axes_: list[Axis], want: list[Canonical], layer: bool) -> str:
    """Why no spelling fits: an axis no spelling fits alone, or axes needing different
    padding strings."""
    reasons = []
    for axis, c in zip(axes_, want):
        if _search([axis], [c], layer) is not None:
            continue
        try:
            spelled = rules.express(axis, c, layer=layer)
        except NotExpressible as reason:
            reasons.append(f"padding {(c.begin, c.end)}, output_padding {c.output_padding}: "
                           f"{reason}")
        else:
            reasons.append(f"padding {(c.begin, c.end)}, output_padding {c.output_padding}: "
                           f"only padding={spelled['padding']!r} with output_padding="
                           f"{spelled['output_padding']}, outside 0 <= output_padding < stride")
    return "; ".join(reasons) or ("the axes need different padding strings; Keras' `padding` "
                                  "is one string for all axes")


def _backend_adapter():
    """The tconv adapter module of the framework Keras runs on here."""
    import keras

    return _BACKEND_FRAMEWORKS[keras.backend.backend()]


class KerasOps(Adapter):
    """``keras.ops.conv_transpose`` on the backend chosen by ``KERAS_BACKEND``."""

    name = "keras.ops"
    backend = ""
    layer = False
    entry_point = "keras.ops.conv_transpose"
    conventions = make_conventions(entry_point, backend, False)

    @property
    def data_format(self) -> str:
        return DATA_FORMAT.get(self.backend, "channels_first")

    # -- controller side -------------------------------------------------------------------

    def _spelling(self, case: Case) -> tuple[str, tuple[int, ...] | None, str]:
        """Keras' ``padding``, ``output_padding`` and the documented limit they break (or
        "")."""
        ax = axes(case)
        if isinstance(case.padding, str):
            mode = case.padding.lower()
            op = tuple(case.output_padding) if any(case.output_padding) else None
            return mode, op, _violation(ax, mode, op, self.layer)
        want = [Canonical(b, e, a) for (b, e), a in zip(case.padding, case.output_padding)]
        found = _search(ax, want, self.layer)
        if found is None:
            raise Unsupported(_inexpressible(ax, want, self.layer))
        return *found, ""

    def plan(self, case: Case) -> Plan:
        if case.groups != 1:
            raise Unsupported(f"{self.entry_point} has no groups argument (kernel "
                              "(*kernel, C_out, C_in) spans all input channels)")
        if isinstance(case.padding, OutputShape):
            raise Unsupported(f"{self.entry_point} takes no output shape (only padding "
                              "'valid'/'same' and output_padding)")
        mode, op, violation = self._spelling(case)
        canonical = tuple(
            rules.padding(axis, mode, None if op is None else op[i]) for i, axis in
            enumerate(axes(case)))
        native = {"dims": case.dims, "strides": case.stride, "padding": mode,
                  "output_padding": op, "data_format": self.data_format,
                  "dilation_rate": case.dilation, "use_bias": case.bias}
        if self.layer:
            native |= {"filters": case.out_channels, "kernel_size": case.kernel}
        return Plan(self.name, case.id, native,
                    tuple((c.begin, c.end, c.output_padding) for c in canonical), violation,
                    extra={"keras_backend": self.backend})

    def source(self, plan: Plan) -> str:
        n = plan.native
        call = (f"keras.ops.conv_transpose(x, kernel, strides={n['strides']}, "
                f"padding={n['padding']!r}, output_padding={n['output_padding']}, "
                f"data_format={n['data_format']!r}, dilation_rate={n['dilation_rate']})")
        if n.get("use_bias"):
            call = f"keras.ops.add({call}, b)"
        return f"y = {call}  # KERAS_BACKEND={self.backend}"

    # -- worker side -----------------------------------------------------------------------

    def _check_backend(self) -> None:
        import keras

        if self.backend and keras.backend.backend() != self.backend:
            raise RuntimeError(f"{self.name} needs KERAS_BACKEND={self.backend}, "
                               f"running on {keras.backend.backend()}")

    @staticmethod
    def _inputs(native: dict, x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Canonical arrays in Keras' layouts: data_format, and kernel (*k, C_out, C_in)."""
        kernel = np.ascontiguousarray(np.transpose(w, filter_axes(native["dims"])))
        if native["data_format"] == "channels_last":
            x = np.transpose(x, channels_last_axes(native["dims"]))
        return np.ascontiguousarray(x), kernel

    @staticmethod
    def _output(native: dict, y) -> np.ndarray:
        import keras

        # float32 holds every float16/bfloat16 value exactly; NumPy has no bfloat16.
        if keras.backend.standardize_dtype(y.dtype) in ("float16", "bfloat16"):
            y = keras.ops.cast(y, "float32")
        y = np.asarray(keras.ops.convert_to_numpy(y), dtype=np.float64)
        if native["data_format"] == "channels_last":
            y = np.transpose(y, channels_first_axes(native["dims"]))
        return np.ascontiguousarray(y)

    def run(self, native, x, w, b, dtype):
        import keras

        self._check_backend()
        x, kernel = self._inputs(native, x, w)
        y = keras.ops.conv_transpose(
            keras.ops.convert_to_tensor(x, dtype=dtype),
            keras.ops.convert_to_tensor(kernel, dtype=dtype), **_kwargs(native))
        if b is not None:
            # The op has no bias argument: broadcast over the channel axis, as the layers do.
            y = keras.ops.add(y, keras.ops.convert_to_tensor(b.reshape(_bias_shape(native)),
                                                             dtype=dtype))
        return self._output(native, y)

    # -- reproducer scripts: the same call on x, w, b, dtype (see Adapter.script) ----------

    @staticmethod
    def _inputs_script(native: dict) -> list[str]:
        dims, last = native["dims"], native["data_format"] == "channels_last"
        return ["import keras",
                "import numpy as np",
                "",
                "# (C_in, C_out, *kernel) -> (*kernel, C_out, C_in)"
                + ("; (N, C, *spatial) -> (N, *spatial, C)" if last else ""),
                f"kernel = np.ascontiguousarray(np.transpose(w, {filter_axes(dims)}))",
                (f"x_native = np.ascontiguousarray(np.transpose(x, {channels_last_axes(dims)}))"
                 if last else "x_native = x")]

    @staticmethod
    def _output_script(native: dict) -> list[str]:
        lines = ['if keras.backend.standardize_dtype(yt.dtype) in ("float16", "bfloat16"):',
                 '    yt = keras.ops.cast(yt, "float32")  # NumPy has no bfloat16',
                 "y = np.asarray(keras.ops.convert_to_numpy(yt), dtype=np.float64)"]
        if native["data_format"] == "channels_last":
            lines.append(f"y = np.transpose(y, {channels_first_axes(native['dims'])})")
        return lines

    def script(self, plan: Plan) -> str:
        n = plan.native
        return "\n".join([
            *self._inputs_script(n),
            "yt = keras.ops.conv_transpose(keras.ops.convert_to_tensor(x_native, dtype=dtype), "
            f"keras.ops.convert_to_tensor(kernel, dtype=dtype), {_arguments(_kwargs(n))})",
            "if b is not None:",
            "    # The op has no bias argument: broadcast over the channel axis, as the layers do.",
            "    yt = keras.ops.add(yt, keras.ops.convert_to_tensor(b.reshape("
            f"{_bias_shape(n)}), dtype=dtype))",
            *self._output_script(n)])

    def version(self):
        import importlib

        import keras

        backend = keras.backend.backend()
        # PEP 440 local label naming the backend and its version ("+" in torch's would end it).
        detail = str(importlib.import_module(backend).__version__).replace("+", ".")
        return f"{keras.__version__}+{backend}.{detail}"

    # On CUDA, Keras places work where its backend does (each backend takes a visible GPU by
    # itself), and float32 arithmetic is the backend's: its switch is the backend's own.
    def cuda(self):
        return _backend_adapter().cuda_status()

    def precision(self, strict):
        _backend_adapter().set_precision(strict)


class KerasLayer(KerasOps):
    """``keras.layers.Conv{1,2,3}DTranspose`` on the backend chosen by ``KERAS_BACKEND``."""

    name = "keras.layer"
    layer = True
    entry_point = "keras.layers.ConvNDTranspose"
    conventions = make_conventions(entry_point, "", True)

    def source(self, plan: Plan) -> str:
        n = plan.native
        return (f"layer = keras.layers.Conv{n['dims']}DTranspose({n['filters']}, "
                f"{n['kernel_size']}, strides={n['strides']}, padding={n['padding']!r}, "
                f"output_padding={n['output_padding']}, data_format={n['data_format']!r}, "
                f"dilation_rate={n['dilation_rate']}, use_bias={n.get('use_bias', True)}, "
                f"dtype=dtype); layer.build(x.shape); "
                f"layer.set_weights([kernel{', b' if n.get('use_bias', True) else ''}]); "
                f"y = layer(x)"
                f"  # KERAS_BACKEND={self.backend}")

    def run(self, native, x, w, b, dtype):
        import keras

        self._check_backend()
        x, _ = self._inputs(native, x, w)
        y = layer(native, x.shape, w, b, dtype)(keras.ops.convert_to_tensor(x, dtype=dtype))
        return self._output(native, y)

    def script(self, plan: Plan) -> str:
        n = plan.native
        return "\n".join([
            *self._inputs_script(n),
            f"layer = keras.layers.Conv{n['dims']}DTranspose({n['filters']!r}, "
            f"{n['kernel_size']!r}, {_arguments(_kwargs(n))}, use_bias=b is not None, "
            "dtype=dtype)",
            "layer.build(x_native.shape)",
            "layer.set_weights([kernel] if b is None else [kernel, b])",
            "yt = layer(keras.ops.convert_to_tensor(x_native, dtype=dtype))",
            *self._output_script(n)])


def layer(native: dict, shape: tuple[int, ...], w: np.ndarray, b: np.ndarray | None,
          dtype: str):
    """The layer of entry point ``keras.layer``, built for inputs of ``shape`` (in the plan's
    data_format) with the canonical weights set in Keras' kernel layout: what the entry point
    runs, and what a converter path exports (``adapters.conversion``)."""
    import keras

    kernel = np.ascontiguousarray(np.transpose(w, filter_axes(native["dims"])))
    cls = getattr(keras.layers, f"Conv{native['dims']}DTranspose")
    built = cls(native["filters"], native["kernel_size"], **_kwargs(native),
                use_bias=b is not None, dtype=dtype)
    built.build(shape)
    built.set_weights([kernel] if b is None else [kernel, b])
    return built


# One registry name per backend; the class is the same, the backend is checked when it runs.
class KerasOpsTensorflow(KerasOps):
    name, backend = "keras-tensorflow.ops", "tensorflow"
    conventions = make_conventions(KerasOps.entry_point, backend, False)


class KerasOpsJax(KerasOps):
    name, backend = "keras-jax.ops", "jax"
    conventions = make_conventions(KerasOps.entry_point, backend, False)


class KerasOpsTorch(KerasOps):
    name, backend = "keras-torch.ops", "torch"
    conventions = make_conventions(KerasOps.entry_point, backend, False)


class KerasLayerTensorflow(KerasLayer):
    name, backend = "keras-tensorflow.layer", "tensorflow"
    conventions = make_conventions(KerasLayer.entry_point, backend, True)


class KerasLayerJax(KerasLayer):
    name, backend = "keras-jax.layer", "jax"
    conventions = make_conventions(KerasLayer.entry_point, backend, True)


class KerasLayerTorch(KerasLayer):
    name, backend = "keras-torch.layer", "torch"
    conventions = make_conventions(KerasLayer.entry_point, backend, True)


# One worker backend per Keras backend, each with its framework's environment and cache.
_BACKEND_FRAMEWORKS = {"tensorflow": tensorflow_adapter, "jax": jax_adapter,
                       "torch": pytorch_adapter}


def _backend(name: str) -> Backend:
    module = _BACKEND_FRAMEWORKS[name]
    return Backend(f"keras-{name}", "keras",
                   {"KERAS_BACKEND": name, **getattr(module, "ENVIRONMENT", {})},
                   module.COMPILE_CACHE, packages=("keras", name))


FRAMEWORKS = (Framework(
    name="Keras 3", package="keras", distributions=("keras",),
    backends=tuple(_backend(name) for name in _BACKEND_FRAMEWORKS),
    entry_points=tuple((cls, f"keras-{cls.backend}") for cls in (
        KerasOpsTensorflow, KerasOpsJax, KerasOpsTorch, KerasLayerTensorflow, KerasLayerJax,
        KerasLayerTorch)),
    native_keys=("padding", "output_padding"),
    porting=Porting("Keras 3", "keras-jax.layer", (
        Nominal("keras-valid-k1-s2", "padding='valid', k=1, s=2 (output_padding=None)",
                "keras-jax.layer", "VALID", astuple(rules.padding(Axis(4, 1, 2), "valid", None)),
                k=1),)),
),)
