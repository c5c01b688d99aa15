"""tinygrad: ``Tensor.conv_transpose2d``, N-D despite its name (tinygrad 0.14.0,
``tinygrad/mixin/op.py``: "NOTE: unlike PyTorch, this implementation is not limited to only 2d
transposed convolutions"). Layouts are PyTorch's, the canonical ones: input ``(N, C_in,
*spatial)``, weight ``(C_in, C_out/groups, *kernel)`` (the source regroups it as
``weight.unflatten(0, (groups, -1)).transpose(1, 2)`` and flips it itself), not flipped;
padding by ``oracle.rules.tinygrad``, always in its flat form of one ``(begin, end)`` pair per
axis, last axis first. Bias is the call's ``bias`` argument (``conv2d`` adds it as
``ret.add(bias.reshape(1, -1, 1, ...))``, as ``tinygrad.nn.ConvTranspose2d`` passes its own).
Gradients: ``Tensor.backward(dy)`` fills ``.grad`` of the inputs (tinygrad 0.14 has no
``requires_grad``: every floating-point tensor of the graph gets one).

The device: tinygrad's ``CPU`` device (``DEV=CPU``, in the backend's declared environment),
whose kernels Debian's clang compiles (``ClangCompiler`` runs ``getenv("CC", "clang")``;
``.ci/run`` installs the ``clang`` package beside Chromium). The alternatives, measured on this
project's 2-core machine on the quick profile (one worker, 2026-12-02):

- ``CPU:LLVM`` and ``CPU:X86`` need clang as well: ``CPUDevice.__init__`` compiles the device's
  own queue programs with ``ClangRenderer`` whichever renderer is chosen, so without clang every
  ``CPU`` variant fails at start ("No such file or directory: 'clang'"); ``CPU:LLVM`` also
  needs a libLLVM whose IR dialect suits tinygrad's (Debian 12's LLVM 14 rejects it); the
  tinygrad wheel brings neither.
- ``PYTHON`` (tinygrad's portable emulator, nothing but the wheel): as fast as ``CPU`` on the
  small cases (median 0.32 s against 0.72 s per check over the 50 checks both ran, tinygrad's
  own scheduling in Python dominating both), but about a hundred times slower on real layers:
  the zoo's DCGAN and pix2pix layers ran past the 120 s check timeout where ``CPU`` takes 1.3
  to 1.4 s. Over the whole quick profile ``CPU`` took 4 min 7 s for 180 checks (148 run, mean
  1.6 s, longest 14.5 s).

So ``CPU`` with clang, at the price of one system package (Debian's clang 14 with its LLVM,
about 500 MiB) that ``.ci/run`` installs. dtypes: all four, which the ``CPU`` device runs.
"""

from __future__ import annotations

from dataclasses import astuple

import numpy as np

from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported, expressed_axes
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Canonical
from tconv.oracle.rules import tinygrad as rules

DEVICE = "CPU"  # see the module docstring
NO_STRINGS = "tinygrad's conv_transpose2d takes no padding strings (SAME/VALID)"
NO_OUTPUT_SHAPE = ("tinygrad's conv_transpose2d takes no output size: the window is set by "
                   "padding and output_padding only")


def _spelled(case: Case) -> tuple[tuple[int, ...], tuple[int, ...], tuple[Canonical, ...]]:
    """The flat ``padding``, the per-axis ``output_padding`` and the window of each axis."""
    if isinstance(case.padding, str):
        raise Unsupported(NO_STRINGS)
    if isinstance(case.padding, OutputShape):
        raise Unsupported(NO_OUTPUT_SHAPE)
    spelled = expressed_axes(case, rules.express)
    pairs = [s["padding"] for s in spelled]
    extensions = [s["output_padding"] for s in spelled]
    padding = rules.flat(pairs)
    windows = tuple(rules.pads(b, e, a) for (b, e), a in zip(rules.grouped(padding), extensions))
    return padding, tuple(extensions), windows


# The call's keyword arguments after (weight, bias), in the plan's native parameters.
CALL_KEYS = ("groups", "stride", "dilation", "padding", "output_padding")


def _kwargs(native: dict) -> dict:
    return {key: native[key] for key in CALL_KEYS}


def _arguments(native: dict) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in _kwargs(native).items())


def _tensor(a: np.ndarray | None, dtype: str):
    from tinygrad import Tensor, dtypes

    # bfloat16 values arrive exactly representable in float32, so the cast is exact.
    return None if a is None else Tensor(np.ascontiguousarray(a)).cast(getattr(dtypes, dtype))


def _numpy(t) -> np.ndarray:
    """A tinygrad tensor as float64 NumPy (through float32, exact for the 16-bit types)."""
    from tinygrad import dtypes

    wide = dtypes.float64 if t.dtype == dtypes.float64 else dtypes.float32
    return t.cast(wide).numpy().astype(np.float64)


class ConvTranspose(Adapter):
    name = "tinygrad.conv_transpose2d"
    conventions = Conventions(
        framework="tinygrad", entry_point="tinygrad.Tensor.conv_transpose2d (N-D)",
        input_layout="N, C_in, *spatial", kernel_layout="C_in, C_out/groups, *kernel",
        kernel_axes=("C_in", "C_out/groups", "*kernel"), kernel_flipped=False,
        padding_vocabulary="tinygrad",
        bias="the `bias` argument (added as `ret.add(bias.reshape(1, -1, 1, ...))`)",
        gradients=True, devices=("cpu",),
        dtypes=("float32", "float64", "float16", "bfloat16"))

    def plan(self, case: Case) -> Plan:
        padding, output_padding, windows = _spelled(case)
        native = {"dims": case.dims, "groups": case.groups, "stride": tuple(case.stride),
                  "dilation": tuple(case.dilation), "padding": padding,
                  "output_padding": output_padding}
        return Plan(self.name, case.id, native, tuple(astuple(w) for w in windows))

    def run(self, native, x, w, b, dtype):
        xt, wt, bt = (_tensor(a, dtype) for a in (x, w, b))
        return _numpy(xt.conv_transpose2d(wt, bt, **_kwargs(native)))

    def grad(self, native, x, w, b, dy, dtype):
        tensors = [_tensor(a, dtype) for a in (x, w, b)]
        y = tensors[0].conv_transpose2d(tensors[1], tensors[2], **_kwargs(native))
        y.backward(_tensor(dy, dtype))
        return tuple(None if t is None else _numpy(t.grad) for t in tensors)

    # -- reproducer scripts: the same call on x, w, b, dtype (see Adapter.script) ----------

    @staticmethod
    def _inputs_script() -> list[str]:
        return ["import os", "",
                f"os.environ.setdefault('DEV', {DEVICE!r})  # before tinygrad is imported",
                "import numpy as np  # noqa: E402",
                "from tinygrad import Tensor, dtypes  # noqa: E402", "",
                "tg_dtype = getattr(dtypes, dtype)  # dtypes.float32, dtypes.bfloat16, ...",
                "xt = Tensor(np.ascontiguousarray(x)).cast(tg_dtype)",
                "wt = Tensor(np.ascontiguousarray(w)).cast(tg_dtype)",
                "bt = None if b is None else Tensor(np.ascontiguousarray(b)).cast(tg_dtype)",
                "",
                "",
                "def as_numpy(t):",
                "    wide = dtypes.float64 if t.dtype == dtypes.float64 else dtypes.float32",
                "    return t.cast(wide).numpy().astype(np.float64)",
                ""]

    def script(self, plan):
        return "\n".join([*self._inputs_script(),
                          f"y = as_numpy(xt.conv_transpose2d(wt, bt, {_arguments(plan.native)}))"])

    def grad_script(self, plan):
        return "\n".join([*self._inputs_script(),
                          f"yt = xt.conv_transpose2d(wt, bt, {_arguments(plan.native)})",
                          "yt.backward(Tensor(np.ascontiguousarray(dy)).cast(tg_dtype))",
                          "dx, dw = as_numpy(xt.grad), as_numpy(wt.grad)",
                          "db = None if bt is None else as_numpy(bt.grad)"])

    def source(self, plan):
        return f"y = x.conv_transpose2d(w, b, {_arguments(plan.native)})"

    def version(self):
        from importlib.metadata import version

        return version("tinygrad")


# The kernel cache of tinygrad (its CACHEDB, a SQLite file) and the device.
COMPILE_CACHE = {"CACHEDB": "{cache}/tinygrad/cache.db"}
ENVIRONMENT = {"DEV": DEVICE}

FRAMEWORKS = (Framework(
    name="tinygrad", package="tinygrad", distributions=("tinygrad",),
    backends=(Backend("tinygrad", "tinygrad", ENVIRONMENT, COMPILE_CACHE,
                      packages=("tinygrad",)),),
    entry_points=((ConvTranspose, "tinygrad"),),
    native_keys=("padding", "output_padding"),
    porting=Porting("tinygrad", "tinygrad.conv_transpose2d", (
        Nominal("tinygrad-pad1-2-k3-s2", "padding=(1, 2) (begin, end), k=3, s=2",
                "tinygrad.conv_transpose2d", (1, 2), astuple(rules.pads(1, 2))),)),
),)
