"""TensorFlow: ``tf.nn.conv_transpose`` (dispatching to ``tf.nn.conv1d_transpose`` /
``conv2d_transpose`` / ``conv3d_transpose``), eagerly and inside ``tf.function(jit_compile=True)``
(XLA). Layouts are TF's channels-last ones: input ``[N, *spatial, C_in]`` (NWC/NHWC/NDHWC),
filters ``[*kernel, C_out, C_in]``, not flipped; padding translated by ``oracle.rules.tensorflow``.

Sources (TF 2.21, ``tensorflow/python/ops/nn_ops.py``, and the API docs):

- ``conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None,
  dilations=None)`` dispatches ``CONV_TRANSPOSE_OPS[len(output_shape) - 3]`` = ``(conv1d_transpose,
  conv2d_transpose_v2, conv3d_transpose_v2)``; its docs take padding "either 'VALID' or 'SAME'".
- filters: https://www.tensorflow.org/api_docs/python/tf/nn/conv2d_transpose "A 4-D Tensor ...
  [height, width, output_channels, in_channels]" (conv1d: ``[filter_width, output_channels,
  in_channels]``; conv3d alike). ``conv_transpose``'s own docstring says ``spatial_filter_shape +
  [in_channels, out_channels]``, but it passes the filters unchanged to those functions.
- explicit padding: ``conv2d_transpose`` only, "[[0, 0], [pad_top, pad_bottom], [pad_left,
  pad_right], [0, 0]]" for NHWC (``Conv2DBackpropInput`` has ``GetExplicitPaddingsAttrString``;
  ``Conv3DBackpropInputV2`` does not, and ``conv1d_transpose`` passes ``padding`` as a string).
- the op is the gradient of the forward convolution, so ``output_shape`` must map back to the
  input size (``conv_grad_shape_utils.cc``: "Size of out_backprop doesn't match computed"); the
  window per mode is ``oracle.rules.tensorflow``.
- no ``groups`` argument; no ``bias`` argument (``tf.nn.bias_add`` is TF's way to add one).
- ``dilations``: "If set to k > 1, there will be k-1 skipped cells between each filter element".
  The CPU kernels refuse dilation > 1 ("Current CPU implementations do not yet support dilation
  rates larger than 1", ``conv_grad_input_ops.h``; tensorflow#41712): an implementation limit,
  not a documented rule, so it is run and reported, not planned as a violation.
- ``data_format``: "NWC"/"NHWC"/"NDHWC" (the default) or "NCW"/"NCHW"/"NCDHW"; with the latter,
  ``output_shape``, ``strides``, ``dilations`` and explicit paddings are given in that order
  too (the conv2d_transpose docs). The channels-first entry point is ``tf.nn.conv_transpose.nchw``
  (TF 2.21's CPU kernels run it through oneDNN; Eigen's own kernels take NHWC only,
  "Conv2DCustomBackpropInputOp only supports NHWC"). ``tf.nn.bias_add`` takes
  ``data_format="NC..."`` for it.
"""

from __future__ import annotations

from dataclasses import astuple

import numpy as np

from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported, axes
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Axis, Canonical, NotExpressible, RuleViolation
from tconv.oracle.rules import tensorflow as rules

FORMATS = {1: "NWC", 2: "NHWC", 3: "NDHWC"}
CHANNELS_FIRST = {1: "NCW", 2: "NCHW", 3: "NCDHW"}


def _modes(dims: int) -> tuple[str, ...]:
    # Explicit pairs exist for conv2d_transpose only (see the module docstring).
    return ("VALID", "SAME", "EXPLICIT") if dims == 2 else ("VALID", "SAME")


def _strings(case: Case) -> tuple[str, list[int], list[Canonical], str]:
    """"SAME"/"VALID": output_shape is the size TF's rule gives (SAME ``n*s``, VALID the
    smallest accepted size ``L``); case output_padding extends VALID's size (``L + op``)."""
    mode, sizes, canonical, violation = case.padding, [], [], ""
    for axis, op in zip(axes(case), case.output_padding):
        if mode == "SAME":
            if op:
                raise Unsupported("with padding='SAME' TF's output_shape is n*stride; TF has no "
                                  "output_padding and SAME gives no other window to extend")
            size = axis.n * axis.s
        else:
            size = axis.full + op
        try:
            c = rules.output_shape(axis, mode, size)
        except RuleViolation as error:
            violation = violation or str(error)
            c = Canonical(0, 0, size - axis.full)
        sizes.append(size)
        canonical.append(c)
    return mode, sizes, canonical, violation


def _explicit(case: Case) -> tuple[str, list[int], list[Canonical], list[tuple[int, int]]]:
    """Explicit (begin, end) pairs: the first of VALID, SAME (and EXPLICIT in 2-D) that spells
    every axis's window (one padding string covers all axes)."""
    reasons = []
    for mode in _modes(case.dims):
        sizes, canonical, pads = [], [], []
        try:
            for i, (axis, (b, e), a) in enumerate(zip(axes(case), case.padding,
                                                      case.output_padding)):
                want = Canonical(b, e, a)
                try:
                    spelled = rules.express(axis, want, mode)
                except NotExpressible as reason:
                    raise NotExpressible(f"axis {i}: {reason}") from None
                explicit = spelled.get("explicit", (0, 0))
                sizes.append(spelled["output_shape"])
                canonical.append(rules.output_shape(axis, mode, spelled["output_shape"],
                                                    explicit))
                pads.append(tuple(explicit))
        except NotExpressible as reason:
            reasons.append(f"{mode}: {reason}")
            continue
        return mode, sizes, canonical, pads
    if case.dims != 2:
        reasons.append(f"explicit paddings: conv2d_transpose only, not {case.dims}-D")
    raise Unsupported(f"padding {case.padding}, output_padding {case.output_padding}: "
                      + "; ".join(reasons))


def _output_shape(case: Case) -> tuple[str, list[int], list[Canonical], list[tuple[int, int]],
                                       str]:
    """OutputShape: VALID if TF accepts every size under VALID, else SAME; in 2-D an axis mix
    is spelled as EXPLICIT pairs equal to each axis's own mode's padding."""
    if any(case.output_padding):
        raise Unsupported("TF has no output_padding: output_shape alone sets the size")
    sizes = list(case.padding.size)
    accepted: list[dict[str, Canonical]] = []
    refused: list[str] = []
    for axis, size in zip(axes(case), sizes):
        ok, errors = {}, []
        for mode in ("VALID", "SAME"):
            try:
                ok[mode] = rules.output_shape(axis, mode, size)
            except RuleViolation as error:
                errors.append(f"{mode}: {error}")
        accepted.append(ok)
        if not ok:
            refused.append("; ".join(errors))
    for mode in ("VALID", "SAME"):
        if all(mode in ok for ok in accepted):
            return mode, sizes, [ok[mode] for ok in accepted], [(0, 0)] * case.dims, ""
    if all(accepted) and case.dims == 2:
        pads = []
        for axis, size, ok in zip(axes(case), sizes, accepted):
            mode = "VALID" if "VALID" in ok else "SAME"
            pads.append(rules.forward_padding(axis, mode, size)[1:])
        canonical = [rules.output_shape(axis, "EXPLICIT", size, p)
                     for axis, size, p in zip(axes(case), sizes, pads)]
        return "EXPLICIT", sizes, canonical, pads, ""
    if all(accepted):
        raise Unsupported(f"output_shape {tuple(sizes)} needs VALID on some axes and SAME on "
                          f"others; one padding string covers all axes")
    # Refused under both modes on some axis: planned as SAME, TF should refuse it.
    canonical = []
    for axis, size, ok in zip(axes(case), sizes, accepted):
        canonical.append(ok.get("SAME") or ok.get("VALID") or Canonical(0, 0, size - axis.full))
    return "SAME", sizes, canonical, [(0, 0)] * case.dims, refused[0]


def _tf_dtype(dtype: str):
    import tensorflow as tf

    return {"float32": tf.float32, "float64": tf.float64, "float16": tf.float16,
            "bfloat16": tf.bfloat16}[dtype]


def _channels_first(native: dict) -> bool:
    return native["data_format"].startswith("NC")


def _padding_arg(native: dict) -> str | list[list[int]]:
    if native["padding"] != "EXPLICIT":
        return native["padding"]
    pairs = [list(p) for p in native["explicit"]]
    return [[0, 0], [0, 0], *pairs] if _channels_first(native) else [[0, 0], *pairs, [0, 0]]


def _bias_format(native: dict) -> dict:
    """tf.nn.bias_add's data_format: "N...C" (its default) or "NC..."."""
    return {"data_format": "NC..."} if _channels_first(native) else {}


def _kwargs(native: dict) -> dict:
    """The call's keyword arguments (run, grad and the reproducer script share them)."""
    return {"output_shape": list(native["output_shape"]), "strides": list(native["strides"]),
            "padding": _padding_arg(native), "data_format": native["data_format"],
            "dilations": list(native["dilations"])}


# The documented layouts as axis permutations (np.transpose), shared by run, grad and script
# (and by the Keras adapter, whose TensorFlow data and kernels are laid out alike).
def channels_last_axes(dims: int) -> tuple[int, ...]:
    """(N, C, *spatial) -> (N, *spatial, C)."""
    return (0, *range(2, 2 + dims), 1)


def channels_first_axes(dims: int) -> tuple[int, ...]:
    """(N, *spatial, C) -> (N, C, *spatial): the inverse of ``channels_last_axes``."""
    return (0, dims + 1, *range(1, dims + 1))


def data_axes(native: dict) -> tuple[int, ...]:
    """Canonical (N, C, *spatial) data -> the call's data_format (the identity for NC...)."""
    dims = native["dims"]
    return tuple(range(dims + 2)) if _channels_first(native) else channels_last_axes(dims)


def canonical_data_axes(native: dict) -> tuple[int, ...]:
    """The call's data_format -> canonical (N, C, *spatial): the inverse of ``data_axes``."""
    dims = native["dims"]
    return tuple(range(dims + 2)) if _channels_first(native) else channels_first_axes(dims)


def filter_axes(dims: int) -> tuple[int, ...]:
    """Canonical (C_in, C_out, *kernel) -> TF's filters (*kernel, C_out, C_in)."""
    return (*range(2, 2 + dims), 1, 0)


def canonical_filter_axes(dims: int) -> tuple[int, ...]:
    """TF's (*kernel, C_out, C_in) -> canonical (C_in, C_out, *kernel): the inverse of
    ``filter_axes``."""
    return (dims + 1, dims, *range(dims))


CONVENTIONS = dict(framework="tensorflow", input_layout="N, *spatial, C_in",
                   kernel_layout="*kernel, C_out, C_in", kernel_flipped=False,
                   kernel_axes=("*kernel", "C_out", "C_in"),
                   bias="`tf.nn.bias_add(y, b)` (no bias argument)",
                   padding_vocabulary="tensorflow", groups=False, dilation=True,
                   padding_modes=("SAME", "VALID"), output_shape=True,
                   dtypes=("float32", "float64", "float16", "bfloat16"))


def _tf_inputs(native: dict, x, w, b, dtype: str) -> list:
    """(N, C, *sp) -> (N, *sp, C); (C_in, C_out, *k) -> (*k, C_out, C_in): the documented
    layouts, a transposition only; the bias as is."""
    import tensorflow as tf

    t, dims = _tf_dtype(dtype), native["dims"]
    xt = tf.cast(tf.constant(np.transpose(x, data_axes(native))), t)
    wt = tf.cast(tf.constant(np.transpose(w, filter_axes(dims))), t)
    return [xt, wt] + ([] if b is None else [tf.cast(tf.constant(b), t)])


def call(native: dict):
    """The native call of entry points ``tf.nn.conv_transpose`` and ``.nchw`` as a function
    of (x, w, b) in TF layouts: what they run, differentiate, and what a converter path
    wraps (``model``)."""
    import tensorflow as tf

    fn = getattr(tf.nn, native["function"])
    kwargs, bias = _kwargs(native), _bias_format(native)

    def conv_transpose(x, w, b=None):
        y = fn(x, w, **kwargs)
        return y if b is None else tf.nn.bias_add(y, b, **bias)

    return conv_transpose


def model(native: dict, w: np.ndarray, b: np.ndarray | None, dtype: str):
    """The same call as a ``tf.function`` of ``x`` alone (in the call's data_format), the
    weights ``tf.Variable``s in TF's layouts, as a porter's model holds them: what a converter
    path exports (``adapters.conversion``)."""
    import tensorflow as tf

    t = _tf_dtype(dtype)
    weights = [tf.Variable(tf.cast(np.transpose(w, filter_axes(native["dims"])), t))]
    if b is not None:
        weights.append(tf.Variable(tf.cast(b, t)))
    fn = call(native)
    return tf.function(lambda x: fn(x, *weights))


_DEFAULT_PRECISION: dict[str, bool] = {}


def cuda_status() -> dict:
    """Whether TensorFlow sees a GPU (a CUDA worker places ops on it by itself), and its default
    float32 arithmetic there: "TensorFloat-32 is enabled by default"
    (``tf.config.experimental.enable_tensor_float_32_execution``'s docs)."""
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        build = "built with CUDA" if tf.test.is_built_with_cuda() else "built without CUDA"
        return {"available": False, "detail": f"tensorflow {tf.__version__} ({build}): "
                                              "tf.config.list_physical_devices('GPU') is empty"}
    enabled = _DEFAULT_PRECISION.get(
        "tf32", tf.config.experimental.tensor_float_32_execution_enabled())
    return {"available": True, "detail": tf.config.list_physical_devices("GPU")[0].name,
            "float32": "tf32" if enabled else "float32",
            "setting": "tf.config.experimental.tensor_float_32_execution_enabled() == "
                       f"{enabled}"}


def set_precision(strict: bool) -> None:
    import tensorflow as tf

    _DEFAULT_PRECISION.setdefault(
        "tf32", tf.config.experimental.tensor_float_32_execution_enabled())
    tf.config.experimental.enable_tensor_float_32_execution(
        False if strict else _DEFAULT_PRECISION["tf32"])


class NN(Adapter):
    name = "tf.nn.conv_transpose"
    conventions = Conventions(
        entry_point="tf.nn.conv_transpose (tf.nn.conv2d_transpose for explicit pairs); "
                    "bias via tf.nn.bias_add", gradients=True, **CONVENTIONS)

    def plan(self, case: Case) -> Plan:
        if case.groups != 1:
            raise Unsupported("tf.nn's transposed convolutions have no groups argument")
        violation, pads = "", [(0, 0)] * case.dims
        if isinstance(case.padding, str):
            mode, sizes, canonical, violation = _strings(case)
        elif isinstance(case.padding, OutputShape):
            mode, sizes, canonical, pads, violation = _output_shape(case)
        else:
            mode, sizes, canonical, pads = _explicit(case)
        if min(sizes) < 0:
            # oracle.rules.tensorflow computes a window for it, but a shape cannot be negative:
            # TF's words (observed, TF 2.21).
            violation = f"Dimension {min(sizes)} must be >= 0"
        native = {"dims": case.dims,
                  # conv_transpose documents SAME/VALID only; explicit pairs are
                  # conv2d_transpose's (the function conv_transpose dispatches to).
                  "function": "conv2d_transpose" if mode == "EXPLICIT" else "conv_transpose",
                  "output_shape": (case.batch, *sizes, case.out_channels),
                  "strides": (1, *case.stride, 1), "padding": mode,
                  "explicit": tuple(pads), "dilations": (1, *case.dilation, 1),
                  "data_format": FORMATS[case.dims]}
        return Plan(self.name, case.id, native,
                    tuple((c.begin, c.end, c.output_padding) for c in canonical), violation)

    def _call(self, native: dict):
        return call(native)

    def run(self, native, x, w, b, dtype):
        import tensorflow as tf

        y = self._call(native)(*_tf_inputs(native, x, w, b, dtype))
        return np.transpose(tf.cast(y, tf.float64).numpy(), canonical_data_axes(native))

    def grad(self, native, x, w, b, dy, dtype):
        import tensorflow as tf

        dims, t = native["dims"], _tf_dtype(dtype)
        args = _tf_inputs(native, x, w, b, dtype)
        with tf.GradientTape() as tape:
            tape.watch(args)
            y = self._call(native)(*args)
        grads = tape.gradient(y, args, output_gradients=tf.cast(
            tf.constant(np.transpose(dy, data_axes(native))), t))
        dx = np.transpose(tf.cast(grads[0], tf.float64).numpy(), canonical_data_axes(native))
        # (*k, C_out, C_in) -> (C_in, C_out, *k): the inverse of the layout conversion above.
        dw = np.transpose(tf.cast(grads[1], tf.float64).numpy(), canonical_filter_axes(dims))
        db = None if b is None else tf.cast(grads[2], tf.float64).numpy()
        return dx, dw, db

    # -- reproducer scripts: the same call on x, w, b, dtype (see Adapter.script) ----------

    _decorator: tuple[str, ...] = ()

    def _call_script(self, native: dict) -> list[str]:
        """The inputs in TF's layouts (``args``), and ``call`` as ``_call`` builds it."""
        dims = native["dims"]
        arguments = ", ".join(f"{k}={v!r}" for k, v in _kwargs(native).items())
        bias = "".join(f", {k}={v!r}" for k, v in _bias_format(native).items())
        return [
            "import numpy as np",
            "import tensorflow as tf",
            "",
            f"# (N, C, *spatial) -> {native['data_format']}; (C_in, C_out, *kernel) -> "
            "(*kernel, C_out, C_in)",
            f"xt = tf.cast(tf.constant(np.transpose(x, {data_axes(native)})), dtype)",
            f"wt = tf.cast(tf.constant(np.transpose(w, {filter_axes(dims)})), dtype)",
            "args = [xt, wt] + ([] if b is None else [tf.cast(tf.constant(b), dtype)])",
            "",
            "",
            *self._decorator,
            "def call(x, w, b=None):",
            f"    y = tf.nn.{native['function']}(x, w, {arguments})",
            f"    return y if b is None else tf.nn.bias_add(y, b{bias})",
            "",
            ""]

    def script(self, plan):
        return "\n".join([*self._call_script(plan.native), "yt = call(*args)",
                          "y = np.transpose(tf.cast(yt, tf.float64).numpy(), "
                          f"{canonical_data_axes(plan.native)})"])

    def grad_script(self, plan):
        dims = plan.native["dims"]
        back = canonical_data_axes(plan.native)
        return "\n".join([
            *self._call_script(plan.native),
            "with tf.GradientTape() as tape:",
            "    tape.watch(args)",
            "    yt = call(*args)",
            "grads = tape.gradient(yt, args, output_gradients=tf.cast(tf.constant(",
            f"    np.transpose(dy, {data_axes(plan.native)})), dtype))",
            f"dx = np.transpose(tf.cast(grads[0], tf.float64).numpy(), {back})",
            "dw = np.transpose(tf.cast(grads[1], tf.float64).numpy(), "
            f"{canonical_filter_axes(dims)})",
            "db = None if b is None else tf.cast(grads[2], tf.float64).numpy()"])

    def source(self, plan):
        n = plan.native
        call = (f"tf.nn.{n['function']}(x, w, output_shape={list(n['output_shape'])}, "
                f"strides={list(n['strides'])}, padding={_padding_arg(n)!r}, "
                f"data_format={n['data_format']!r}, dilations={list(n['dilations'])})")
        bias = "".join(f", {k}={v!r}" for k, v in _bias_format(n).items())
        return f"tf.nn.bias_add({call}, b{bias})"

    def version(self):
        import tensorflow as tf

        return str(tf.__version__)

    def cuda(self):
        return cuda_status()

    def precision(self, strict):
        set_precision(strict)


class Jit(NN):
    name = "tf.function.jit"
    conventions = Conventions(
        entry_point="tf.function(jit_compile=True) over tf.nn.conv_transpose "
                    "(tf.nn.conv2d_transpose for explicit pairs); bias via tf.nn.bias_add",
        **CONVENTIONS)

    def _call(self, native: dict):
        import tensorflow as tf

        return tf.function(super()._call(native), jit_compile=True)

    _decorator = ("@tf.function(jit_compile=True)",)

    def source(self, plan):
        return f"tf.function(lambda x, w, b: {super().source(plan)}, jit_compile=True)(x, w, b)"


class NCHW(NN):
    """The same functions with channels-first data (``data_format`` NCW / NCHW / NCDHW): the
    input, ``output_shape``, ``strides``, ``dilations`` and explicit paddings in that order."""

    name = "tf.nn.conv_transpose.nchw"
    conventions = Conventions(
        entry_point="tf.nn.conv_transpose with data_format NCW/NCHW/NCDHW "
                    "(tf.nn.conv2d_transpose for explicit pairs); bias via tf.nn.bias_add",
        gradients=True, **{**CONVENTIONS, "input_layout": "N, C_in, *spatial"})

    def plan(self, case: Case) -> Plan:
        plan = super().plan(case)
        n = plan.native
        sizes = n["output_shape"][1:-1]
        native = {**n, "data_format": CHANNELS_FIRST[case.dims],
                  "output_shape": (case.batch, case.out_channels, *sizes),
                  "strides": (1, 1, *case.stride), "dilations": (1, 1, *case.dilation)}
        return Plan(self.name, plan.case_id, native, plan.canonical, plan.violation)


# TF XLA's persisted executables (tf.function(jit_compile=True)).
COMPILE_CACHE = {"TF_XLA_FLAGS": "--tf_xla_persistent_cache_directory={cache}/tf-xla"}
# TensorFlow's C++ log: warnings and errors only on the worker's stderr.
ENVIRONMENT = {"TF_CPP_MIN_LOG_LEVEL": "2"}

FRAMEWORKS = (Framework(
    name="TensorFlow", package="tensorflow", distributions=("tensorflow-cpu",),
    backends=(Backend("tensorflow", "tensorflow", ENVIRONMENT, COMPILE_CACHE,
                      packages=("tensorflow",)),),
    entry_points=tuple((cls, "tensorflow") for cls in (NN, NCHW, Jit)),
    native_keys=("function", "padding", "explicit", "output_shape"),
    porting=Porting("TensorFlow", "tf.nn.conv_transpose", tuple(
        Nominal(f"tf-same-k{k}-s2", f"padding='SAME', k={k}, s=2", "tf.nn.conv_transpose",
                "SAME", astuple(rules.output_shape(Axis(4, k, 2), "SAME", 8)), k=k)
        for k in (4, 3))),
),)
