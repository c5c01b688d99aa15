"""JAX: ``jax.lax.conv_transpose`` (``transpose_kernel=True`` and ``False``, eagerly and under
``jax.jit``) and ``jax.lax.conv_general_dilated`` with ``lhs_dilation`` (the transposed
convolution spelled as a dilated correlation, the only JAX spelling with groups). Layouts are
channels-first (``NCH``/``NCHW``/``NCDHW``); padding translated by ``oracle.rules.jax``.

Sources (jax 0.10.2, ``jax/_src/lax/convolution.py``, jax-ml/jax@0109f17e, and
https://docs.jax.dev/en/latest/_autosummary/jax.lax.conv_transpose.html):

- ``conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
  transpose_kernel=False, precision=None, preferred_element_type=None,
  use_consistent_padding=False)``: no ``output_padding``, no ``feature_group_count``, no output
  size and no bias. It calls ``conv_general_dilated(lhs, rhs, window_strides=1, padding=pads,
  lhs_dilation=strides, rhs_dilation=rhs_dilation, dimension_numbers=dn)``.
- ``padding``: a case's ``'SAME'``/``'VALID'`` is passed as that string; its explicit pairs are
  spelled by ``rules.express`` per axis (a string where one string gives every axis' window,
  else pairs for all axes) and ``plan.canonical`` is ``rules.conv_transpose`` of what is passed.
  ``'SAME'``/``'VALID'`` go through ``_conv_transpose_padding`` (the padding of the
  corresponding forward conv); pairs, with the default ``use_consistent_padding=False`` (the only
  behaviour before jax 0.9.0, so every version reads them alike), are the padding of the
  zero-stuffed input (jax-ml/jax#17618, jax-ml/jax#32267). ``output_padding`` is folded into the
  pair by ``rules.express``; negative pads are allowed (XLA ConvWithGeneralPadding: "The amount
  of padding can be negative").
- ``transpose_kernel=True`` runs ``rhs = _flip_axes(rhs, rhs_spec[2:])`` and
  ``rhs.swapaxes(rhs_spec[0], rhs_spec[1])``: the kernel is the scatter-form kernel (not
  flipped) and the axis that ``rhs_spec`` labels ``O`` holds the *input* channels. So with the
  spec ``'OIHW'`` the canonical ``(C_in, C_out, *kernel)`` weight is passed as it is (``'IOHW'``
  would need ``(C_out, C_in, *kernel)``, the channels-first form of the ``HWIO`` kernel
  ``(kh, kw, out, in)`` of jax-ml/jax#17618 and of flax's ``nn.ConvTranspose(transpose_kernel=
  True)``, whose ``kernel_shape = kernel_size + (self.features, in_features)``).
- ``transpose_kernel=False``: "By default, JAX does NOT reverse the kernel's spatial
  dimensions", so the scatter form is reached with the kernel flipped; the spec ``'IOHW'`` then
  means what it says and the canonical weight is passed in its own layout, flipped.
- ``conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
  dimension_numbers, feature_group_count, ...)``: its padding strings are the forward conv's
  ("String padding is not implemented for transposed convolution using this op" with
  lhs_dilation > 1), so ``'SAME'``/``'VALID'`` cases run with the pairs ``conv_transpose`` itself
  would pass (``rules.transpose_padding``). With ``feature_group_count=g`` and ``'OIHW'`` the
  kernel is ``(C_out, C_in/g, *kernel)``, output channel block ``i`` reading input block ``i``;
  the canonical weight is regrouped into it and flipped, as JAX's own
  ``_conv_general_dilated_transpose_lhs`` does (``_reshape_axis_out_of``/``_reshape_axis_into``,
  then ``rev``).
- ``precision=lax.Precision.HIGHEST`` ("HIGHEST: ... On GPU: uses float32"; it has no effect on
  CPU) on the CPU and in the strict CUDA checks; the default CUDA checks pass ``precision=None``,
  JAX's default, which JAX documents as TF32 on recent GPUs (``adapters.devices``).
- Bias: lax has no bias argument; it is added as ``y + b[None, :, None, ...]``, the idiom of
  flax's ``nn.ConvTranspose`` (``flax/linen/linear.py``: ``y += jnp.reshape(bias, (1,) *
  (y.ndim - 1) + (-1,))``, channels-last there, channel axis 1 here).
"""

from __future__ import annotations

import functools
import importlib
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import astuple
from typing import Any

import numpy as np

from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported, axes, expressed_axes
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Axis
from tconv.oracle.rules import jax as rules

SPATIAL = {1: "H", 2: "HW", 3: "DHW"}
NO_GROUPS = ("lax.conv_transpose has no feature_group_count (groups): only "
             "lax.conv_general_dilated has one")
NO_OUTPUT_SHAPE = ("lax.conv_transpose / conv_general_dilated take no output size: the window "
                   "is given by padding only")
NO_OUTPUT_PADDING = ("JAX has no output_padding; a padding string ('SAME'/'VALID') cannot carry "
                     "one (explicit pairs can)")


def _pair(axis: Axis, padding: str | tuple[int, int]) -> tuple[int, int]:
    """One axis' padding as the pair of the stuffed input that lax.conv_transpose passes on."""
    return rules.transpose_padding(axis, padding) if isinstance(padding, str) else padding


def _padding(case: Case) -> list[str | tuple[int, int]]:
    """Per axis, the padding string or pair (of the stuffed input) that gives the case's window
    under ``rules.jax``; raises Unsupported where there is none."""
    if isinstance(case.padding, OutputShape):
        raise Unsupported(NO_OUTPUT_SHAPE)
    if isinstance(case.padding, str):
        if any(case.output_padding):
            raise Unsupported(NO_OUTPUT_PADDING)
        return [case.padding] * case.dims
    return [spelled["padding"] for spelled in expressed_axes(case, rules.express)]


def one_string_or_pairs(case: Case, spelled: list[str | tuple[int, int]]
                        ) -> str | tuple[tuple[int, int], ...]:
    """Per-axis spellings as the layers on lax take them (Flax, Haiku): one string where it is
    the same on every axis (a string serves them all), else every axis as the pair of the
    stride-dilated input that lax would use."""
    if all(isinstance(p, str) for p in spelled) and len(set(spelled)) == 1:
        return spelled[0]
    return tuple(_pair(axis, p) for axis, p in zip(axes(case), spelled))


def _dtype(dtype: str) -> Any:
    import jax
    import jax.numpy as jnp

    if dtype == "float64" and not jax.config.jax_enable_x64:
        # Without x64 JAX silently computes float64 inputs in float32.
        raise RuntimeError("float64 needs JAX_ENABLE_X64=1 in the worker's environment")
    return {"float32": jnp.float32, "float64": jnp.float64, "float16": jnp.float16,
            "bfloat16": jnp.bfloat16}[dtype]


def _array(a: np.ndarray | None, dtype: str) -> Any:
    import jax.numpy as jnp

    # bfloat16 values arrive exactly representable in float32, so this cast is exact.
    return None if a is None else jnp.asarray(a, dtype=_dtype(dtype))


# Strict float32 unless a CUDA check asks for JAX's default (``set_precision``).
_STRICT = {"strict": True}


def _precision() -> Any:
    """The ``precision`` argument of every lax call: HIGHEST, or None (JAX's default)."""
    from jax import lax

    return lax.Precision.HIGHEST if _STRICT["strict"] else None


def cuda_status() -> dict:
    """Whether JAX has a GPU backend (a CUDA worker runs with ``JAX_PLATFORMS=cuda``), and its
    default float32 arithmetic there: "By default, JAX leans toward speed: float32 dot products
    may be computed with reduced-precision arithmetic internally (... TF32 on recent GPUs)"
    (JAX docs, "Matmul precision"; ``jax_default_matmul_precision`` governs convolutions too)."""
    import importlib.metadata

    import jax

    try:
        device = jax.devices("gpu")[0]
    except Exception as error:  # jax 0.10 without a CUDA plugin raises a bare AssertionError
        plugins = sorted(d.metadata["Name"] for d in importlib.metadata.distributions()
                         if "cuda" in (d.metadata["Name"] or "") and "jax" in d.metadata["Name"])
        return {"available": False, "detail": (
            f"jax {jax.__version__}: jax.devices('gpu') raised {type(error).__name__}: "
            f"{str(error).splitlines()[0][:200] if str(error) else '(no message)'}; CUDA "
            f"plugins installed: {', '.join(plugins) or 'none'}")}
    setting = jax.config.jax_default_matmul_precision
    return {"available": True, "detail": str(device.device_kind),
            "float32": "tf32" if setting in (None, "tensorfloat32", "default") else "float32",
            "setting": f"precision=None with jax_default_matmul_precision == {setting!r}"}


def set_precision(strict: bool) -> None:
    """HIGHEST on the lax calls, and the same default for calls that pass none (Keras's)."""
    import jax

    _STRICT["strict"] = strict
    jax.config.update("jax_default_matmul_precision", "float32" if strict else None)


def gradients(f, x, w, b, dy, dtype: str) -> tuple:
    """``(dx, dw, dbias)`` of ``f(x, w, *bias)`` for the output gradient ``dy`` by ``jax.vjp``
    (float64 NumPy; dbias None without bias): what every JAX-based entry point's ``grad``
    does once its call is a function of the canonical inputs."""
    import jax

    args = [_array(a, dtype) for a in (x, w, *([] if b is None else [b]))]
    _, vjp = jax.vjp(f, *args)
    grads = [_numpy(g) for g in vjp(_array(dy, dtype))]
    return grads[0], grads[1], grads[2] if b is not None else None


def vjp_script(function: str) -> list[str]:
    """Reproducer lines doing what ``gradients`` does, for ``function`` and ``primals``."""
    return [f"_, vjp = jax.vjp({function}, *primals)",
            "grads = [np.asarray(g).astype(np.float64) for g in "
            "vjp(jnp.asarray(dy, dtype=dtype))]",
            "dx, dw = grads[0], grads[1]",
            "db = grads[2] if b is not None else None"]


class OnJax(Adapter):
    """What every entry point computing through JAX shares: its version (the ``__version__``
    of ``package``, the library the entry point belongs to), JAX's CUDA status and its float32
    precision setting."""

    package = "jax"

    def version(self) -> str:
        return str(importlib.import_module(self.package).__version__)

    def cuda(self) -> dict:
        return cuda_status()

    def precision(self, strict: bool) -> None:
        set_precision(strict)


class LayerFunction(OnJax):
    """An entry point of a library on JAX (Flax, Haiku, Equinox) whose layer is one function
    ``forward(native, x, w, *bias)`` of the canonical arrays as JAX arrays, with the layout
    conversions inside it (so the gradients come back canonical): run, differentiated by
    ``jax.vjp``, and pasted into the reproducer scripts as it stands, after ``helpers`` (the
    module functions it calls): each must stay self-contained."""

    forward: Callable[..., Any]
    helpers: tuple[Callable[..., Any], ...] = ()

    def run(self, native: dict, x, w, b, dtype: str) -> np.ndarray:
        arrays = [_array(a, dtype) for a in (x, w, b) if a is not None]
        return np.asarray(self.forward(native, *arrays)).astype(np.float64)

    def grad(self, native: dict, x, w, b, dy, dtype: str):
        return gradients(functools.partial(self.forward, native), x, w, b, dy, dtype)

    def _forward_script(self, native: dict) -> list[str]:
        """Reproducer lines: the layer's functions as they run here, ``forward`` bound to the
        plan's native parameters, and ``primals``: the inputs as JAX arrays of ``dtype``."""
        functions = (*self.helpers, self.forward)
        return ["import functools", "", "import jax", "import jax.numpy as jnp",
                "import numpy as np", "", "",
                *(line for f in functions for line in
                  [*textwrap.dedent(inspect.getsource(f)).strip().splitlines(), "", ""]),
                f"forward = functools.partial({self.forward.__name__}, {native!r})",
                "primals = [jnp.asarray(a, dtype=dtype) for a in ([x, w] if b is None else "
                "[x, w, b])]"]

    def script(self, plan: Plan) -> str:
        return "\n".join([*self._forward_script(plan.native),
                          "y = np.asarray(forward(*primals)).astype(np.float64)"])

    def grad_script(self, plan: Plan) -> str:
        return "\n".join([*self._forward_script(plan.native), *vjp_script("forward")])


def _bias_shape(ndim: int) -> tuple[int, ...]:
    """The bias as an array of the output's rank: channel axis 1, broadcast over the rest."""
    return (1, -1) + (1,) * (ndim - 2)


def _add_bias(y: Any, b: Any) -> Any:
    """lax has no bias argument: broadcast over batch and space (channel axis 1)."""
    return y if b is None else y + b.reshape(_bias_shape(y.ndim))


def _kwargs(native: dict, keys: tuple[str, ...]) -> dict:
    """The lax call's arguments after (lhs, rhs), from the native parameters: ``keys`` name
    them; sequences as tuples, pairs as a list of tuples (run, grad and script share this)."""
    kwargs = {}
    for key in keys:
        value = native[key]
        if key == "padding" and not isinstance(value, str):
            value = [tuple(p) for p in value]
        elif isinstance(value, list | tuple):
            value = tuple(value)
        kwargs[key] = value
    return kwargs


def _arguments(kwargs: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in kwargs.items())


def _inputs_script(kernel: str) -> list[str]:
    """Reproducer lines: imports, and x, w, b as JAX arrays of ``dtype`` (``kernel``: the
    expression of ``w`` the call reads)."""
    return ["import jax",
            "import jax.numpy as jnp",
            "import numpy as np",
            "from jax import lax",
            "",
            "xt = jnp.asarray(x, dtype=dtype)",
            "wt = jnp.asarray(w, dtype=dtype)",
            "bt = None if b is None else jnp.asarray(b, dtype=dtype)",
            "",
            "",
            "def kernel(w):",
            f"    return {kernel}",
            ""]


def _bias_script(dims: int) -> str:
    return f"    return y if bias is None else y + bias.reshape({_bias_shape(dims + 2)})"


OUTPUT_SCRIPT = "y = np.asarray(yt).astype(np.float64)"


def regroup(w, groups):
    """The canonical (C_in, C_out/g, *k) weight as conv_general_dilated's transposed-convolution
    kernel: (g, C_in/g, C_out/g, *k) -> (g, C_out/g, C_in/g, *k) -> (C_out, C_in/g, *k), output
    block i reading input block i; then the documented flip of the spatial axes. (Run, and
    pasted into reproducer scripts as it stands: it must stay self-contained.)"""
    import jax.numpy as jnp

    c_in, c_out_g, *kernel = w.shape
    w = w.reshape(groups, c_in // groups, c_out_g, *kernel).swapaxes(1, 2)
    w = w.reshape(groups * c_out_g, c_in // groups, *kernel)
    return jnp.flip(w, axis=tuple(range(2, w.ndim)))


def _numpy(y: Any) -> np.ndarray:
    return np.asarray(y).astype(np.float64)


def _bias_source(native: dict) -> str:
    return " + b[None, :" + ", None" * native["dims"] + "]" if native["bias"] else ""


CONVENTIONS = dict(framework="jax", input_layout="N, C_in, *spatial",
                   padding_vocabulary="jax", bias="`y + b` broadcast (lax has no bias)",
                   dtypes=("float32", "float64", "float16", "bfloat16"))


class ConvTranspose(OnJax):
    """``lax.conv_transpose(..., transpose_kernel=True)``: the scatter-form kernel, with the
    spec ``'OI...'`` so that the canonical ``(C_in, C_out, *kernel)`` weight goes in unchanged
    (transpose_kernel swaps the axes the spec labels O and I)."""

    name = "jax.conv_transpose"
    transpose_kernel = True
    conventions = Conventions(
        entry_point="jax.lax.conv_transpose(transpose_kernel=True)",
        kernel_layout="C_in, C_out, *kernel (rhs spec 'OI' + spatial: transpose_kernel swaps "
                      "the O and I axes)", kernel_axes=("C_in", "C_out", "*kernel"),
        kernel_flipped=rules.kernel_flipped(True), groups=False,
        padding_modes=rules.MODES, gradients=True, **CONVENTIONS)

    # lax.conv_transpose's parameters after (lhs, rhs), as the plan's native names them.
    CALL_KEYS = ("strides", "padding", "rhs_dilation", "dimension_numbers", "transpose_kernel")

    def kernel_spec(self, dims: int) -> str:
        return "OI" + SPATIAL[dims]

    def plan(self, case: Case) -> Plan:
        if case.groups != 1:
            raise Unsupported(NO_GROUPS)
        spelled = _padding(case)
        if all(isinstance(p, str) for p in spelled) and len(set(spelled)) == 1:
            padding: str | tuple = spelled[0]
        else:
            # One string serves every axis; mixed axes all take pairs (the same windows).
            padding = tuple(_pair(axis, p) for axis, p in zip(axes(case), spelled))
        canonical = []
        for index, axis in enumerate(axes(case)):
            c = rules.conv_transpose(axis, padding if isinstance(padding, str) else padding[index])
            canonical.append((c.begin, c.end, c.output_padding))
        lhs = "NC" + SPATIAL[case.dims]
        native = {"dims": case.dims, "strides": case.stride, "padding": padding,
                  "rhs_dilation": case.dilation,
                  "dimension_numbers": (lhs, self.kernel_spec(case.dims), lhs),
                  "transpose_kernel": self.transpose_kernel, "bias": case.bias}
        return Plan(self.name, case.id, native, tuple(canonical))

    def kernel(self, w: Any, dims: int) -> Any:
        """The canonical weight as this entry point reads it."""
        return w

    def call(self, native: dict) -> Any:
        """``(lhs, rhs, b) -> y``: the native call with its static parameters bound."""
        from jax import lax

        kwargs, precision = _kwargs(native, self.CALL_KEYS), _precision()

        def fn(lhs, rhs, b):
            y = lax.conv_transpose(lhs, rhs, **kwargs, precision=precision)
            return _add_bias(y, b)

        return fn

    def run(self, native: dict, x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
            dtype: str) -> np.ndarray:
        rhs = self.kernel(_array(w, dtype), native["dims"])
        return _numpy(self.call(native)(_array(x, dtype), rhs, _array(b, dtype)))

    def grad(self, native, x, w, b, dy, dtype):
        dims, fn = native["dims"], self.call(native)

        def f(lhs, w_, *bias):
            # The kernel conversion is inside the differentiated function, so dw comes back
            # in the canonical layout.
            return fn(lhs, self.kernel(w_, dims), bias[0] if bias else None)

        return gradients(f, x, w, b, dy, dtype)

    # -- reproducer scripts: the same call on x, w, b, dtype (see Adapter.script) ----------

    def _call_script(self, native: dict) -> list[str]:
        """``call`` as ``call`` builds it, and ``f``: the kernel conversion and the call, the
        function ``grad`` differentiates."""
        return [*_inputs_script(self.kernel_source(native["dims"])),
                "",
                "def call(lhs, rhs, bias):",
                f"    y = lax.conv_transpose(lhs, rhs, "
                f"{_arguments(_kwargs(native, self.CALL_KEYS))}, "
                "precision=lax.Precision.HIGHEST)",
                _bias_script(native["dims"]),
                "",
                "",
                *self._wrap_script(),
                "def f(lhs, w, *bias):",
                "    return call(lhs, kernel(w), bias[0] if bias else None)",
                "",
                "",
                "primals = [xt, wt] + ([] if b is None else [bt])"]

    def _wrap_script(self) -> list[str]:
        return []

    def script(self, plan: Plan) -> str:
        return "\n".join([*self._call_script(plan.native), "yt = f(*primals)", OUTPUT_SCRIPT])

    def grad_script(self, plan: Plan) -> str:
        return "\n".join([
            *self._call_script(plan.native),
            *vjp_script("f")])

    def source(self, plan: Plan) -> str:
        n = plan.native
        return (f"jax.lax.conv_transpose(x, {self.kernel_source(n['dims'])}, {n['strides']}, "
                f"{n['padding']!r}, rhs_dilation={n['rhs_dilation']}, "
                f"dimension_numbers={n['dimension_numbers']}, "
                f"transpose_kernel={n['transpose_kernel']}, "
                f"precision=jax.lax.Precision.HIGHEST){_bias_source(n)}")

    def kernel_source(self, dims: int) -> str:
        return "w"


class ConvTransposeFlipped(ConvTranspose):
    """``lax.conv_transpose(..., transpose_kernel=False)`` (the default): the kernel is read
    flipped relative to the scatter form, so the canonical weight is passed flipped along its
    spatial axes; the spec ``'IO...'`` means what it says, so no channel transposition."""

    name = "jax.conv_transpose.flipped"
    transpose_kernel = False
    conventions = Conventions(
        entry_point="jax.lax.conv_transpose(transpose_kernel=False)",
        kernel_layout="C_in, C_out, *kernel (rhs spec 'IO' + spatial)",
        kernel_axes=("C_in", "C_out", "*kernel"),
        kernel_flipped=rules.kernel_flipped(False), groups=False,
        padding_modes=rules.MODES, gradients=True, **CONVENTIONS)

    def kernel_spec(self, dims: int) -> str:
        return "IO" + SPATIAL[dims]

    def kernel(self, w: Any, dims: int) -> Any:
        import jax.numpy as jnp

        # The documented convention: this entry point reads the kernel spatially reversed.
        return jnp.flip(w, axis=tuple(range(2, 2 + dims)))

    def kernel_source(self, dims: int) -> str:
        return f"jnp.flip(w, axis={tuple(range(2, 2 + dims))})"


class Jit(ConvTranspose):
    """``jax.jit`` of entry point ``jax.conv_transpose`` (bias add included), with strides,
    padding, dilation and dimension numbers static. One jitted function per native parameters,
    kept for the worker's life; jax itself compiles it once per shape and dtype."""

    name = "jax.jit"
    conventions = Conventions(
        entry_point="jax.jit(jax.lax.conv_transpose(transpose_kernel=True))",
        kernel_layout=ConvTranspose.conventions.kernel_layout,
        kernel_axes=ConvTranspose.conventions.kernel_axes,
        kernel_flipped=rules.kernel_flipped(True), groups=False,
        padding_modes=rules.MODES, gradients=True, **CONVENTIONS)
    _jitted: dict = {}

    def call(self, native: dict) -> Any:
        import jax

        key = repr((sorted(native.items()), _STRICT["strict"]))
        if key not in self._jitted:
            self._jitted[key] = jax.jit(super().call(native))
        return self._jitted[key]

    def _wrap_script(self) -> list[str]:
        return ["call = jax.jit(call)  # the jitted function: the call and the bias add", "", ""]

    def source(self, plan: Plan) -> str:
        return f"jax.jit(lambda x, w, b: {super().source(plan)})(x, w, b)"


class ConvGeneralDilated(OnJax):
    """``lax.conv_general_dilated(x, rhs, window_strides=1, padding=pairs, lhs_dilation=stride,
    rhs_dilation=dilation, ('NC..', 'OI..', 'NC..'), feature_group_count=groups)`` with ``rhs``
    the canonical weight regrouped to ``(C_out, C_in/groups, *kernel)`` and flipped."""

    name = "jax.conv_general_dilated"
    conventions = Conventions(
        entry_point="jax.lax.conv_general_dilated(lhs_dilation=stride)",
        kernel_layout="C_out, C_in/groups, *kernel (OIHW; regrouped from the canonical "
                      "C_in, C_out/groups, *kernel)",
        kernel_axes=("C_out", "C_in/groups", "*kernel"),
        # padding_modes stays empty: conv_general_dilated's own strings are the forward conv's;
        # SAME/VALID cases run with the pairs conv_transpose would use (rules.transpose_padding).
        kernel_flipped=rules.kernel_flipped(False), **CONVENTIONS)

    def plan(self, case: Case) -> Plan:
        pads = tuple(_pair(axis, p) for axis, p in zip(axes(case), _padding(case)))
        canonical = []
        for axis, (lo, hi) in zip(axes(case), pads):
            # express only returns pads that rules.conv_general_dilated accepts.
            c = rules.conv_general_dilated(axis, lo, hi)
            canonical.append((c.begin, c.end, c.output_padding))
        spec = "NC" + SPATIAL[case.dims]
        native = {"dims": case.dims, "window_strides": (1,) * case.dims, "padding": pads,
                  "lhs_dilation": case.stride, "rhs_dilation": case.dilation,
                  "dimension_numbers": (spec, "OI" + SPATIAL[case.dims], spec),
                  "feature_group_count": case.groups, "bias": case.bias}
        return Plan(self.name, case.id, native, tuple(canonical))

    # lax.conv_general_dilated's parameters after (lhs, rhs), as the plan's native names them.
    CALL_KEYS = ("window_strides", "padding", "lhs_dilation", "rhs_dilation",
                 "dimension_numbers", "feature_group_count")

    def run(self, native: dict, x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
            dtype: str) -> np.ndarray:
        from jax import lax

        rhs = regroup(_array(w, dtype), native["feature_group_count"])
        y = lax.conv_general_dilated(_array(x, dtype), rhs, **_kwargs(native, self.CALL_KEYS),
                                     precision=_precision())
        return _numpy(_add_bias(y, _array(b, dtype)))

    def script(self, plan: Plan) -> str:
        n = plan.native
        regroup_source = textwrap.dedent(inspect.getsource(regroup)).strip().splitlines()
        return "\n".join([
            *_inputs_script(f"regroup(w, {n['feature_group_count']})"),
            "",
            *regroup_source,
            "",
            "",
            f"yt = lax.conv_general_dilated(xt, kernel(wt), "
            f"{_arguments(_kwargs(n, self.CALL_KEYS))}, precision=lax.Precision.HIGHEST)",
            "if bt is not None:",
            f"    yt = yt + bt.reshape({_bias_shape(n['dims'] + 2)})",
            OUTPUT_SCRIPT])

    def source(self, plan: Plan) -> str:
        n = plan.native
        g, spatial = n["feature_group_count"], tuple(range(2, 2 + n["dims"]))
        return (f"g = {g}; rhs = jnp.flip(w.reshape(g, w.shape[0] // g, *w.shape[1:])"
                f".swapaxes(1, 2).reshape(-1, w.shape[0] // g, *w.shape[2:]), axis={spatial}); "
                f"jax.lax.conv_general_dilated(x, rhs, window_strides={n['window_strides']}, "
                f"padding={list(n['padding'])}, lhs_dilation={n['lhs_dilation']}, "
                f"rhs_dilation={n['rhs_dilation']}, "
                f"dimension_numbers={n['dimension_numbers']}, "
                f"feature_group_count={n['feature_group_count']}, "
                f"precision=jax.lax.Precision.HIGHEST){_bias_source(n)}")


# JAX's persistent compilation cache (keyed by the program, jax/jaxlib versions and flags),
# for every compilation however quick: a run is thousands of small ones.
COMPILE_CACHE = {"JAX_COMPILATION_CACHE_DIR": "{cache}/jax",
                 "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
                 "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}
# float64 cases need x64; a CPU worker stays on the CPU (a CUDA worker sets its own platform).
ENVIRONMENT = {"JAX_ENABLE_X64": "1", "JAX_PLATFORMS": "cpu"}

FRAMEWORKS = (Framework(
    name="JAX", package="jax", distributions=("jax", "jaxlib"),
    backends=(Backend("jax", "jax", ENVIRONMENT, COMPILE_CACHE, packages=("jax",)),),
    entry_points=tuple((cls, "jax") for cls in (ConvTranspose, ConvTransposeFlipped,
                                                ConvGeneralDilated, Jit)),
    native_keys=("padding",),
    porting=Porting("JAX", "jax.conv_transpose", (
        Nominal("jax-same-k4-s2", "padding='SAME', k=4, s=2", "jax.conv_transpose", "SAME",
                astuple(rules.conv_transpose(Axis(4, 4, 2), "SAME")), k=4),)),
),)
