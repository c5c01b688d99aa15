"""PyTensor: ``pytensor.tensor.signal.convolve1d`` / ``convolve2d``, compiled by
``pytensor.function`` in PyTensor's default mode (the Numba linker), one kernel per channel
broadcast over the batch (the ops are ``Blockwise``: leading axes broadcast like NumPy's).

These are PyTensor's only convolutions (3.0.7 ships no ``pytensor.tensor.conv``): one signal
convolved with one kernel, stride 1, no dilation, so the entry point expresses the cases with
one input and one output channel per group (``groups == C_in == C_out``) and no stride or
dilation, in 1-D and 2-D. Summing over input channels would be the adapter computing the
answer, so more channels per group are unsupported. The kernel is not flipped (a convolution
is the scatter form at stride 1); padding by ``oracle.rules.pytensor``.
"""

from __future__ import annotations

from dataclasses import astuple

import numpy as np

from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported, axes
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Axis, Canonical, NotExpressible, RuleViolation
from tconv.oracle.rules import pytensor as rules

FUNCTIONS = {1: "convolve1d", 2: "convolve2d"}
CASE_MODES = {"SAME": "same", "VALID": "valid"}


def _mode(case: Case) -> str:
    """The one ``mode`` string for the case, or ``Unsupported`` with what it cannot say."""
    if case.dims not in FUNCTIONS:
        raise Unsupported("pytensor.tensor.signal has convolve1d and convolve2d only: no "
                          f"{case.dims}-D convolution")
    if any(s != 1 for s in case.stride) or any(d != 1 for d in case.dilation):
        raise Unsupported("pytensor.tensor.signal.convolve1d/2d take no stride and no dilation")
    if not case.groups == case.in_channels == case.out_channels:
        raise Unsupported("convolve1d/2d convolve one signal with one kernel: one input and one "
                          "output channel per group only (groups == C_in == C_out)")
    if isinstance(case.padding, OutputShape):
        raise Unsupported("convolve1d/2d take no output size, only mode 'full', 'valid' or "
                          "'same'")
    if isinstance(case.padding, str):
        if any(case.output_padding):
            raise Unsupported("convolve1d/2d take no output_padding")
        return CASE_MODES[case.padding]
    windows = [Canonical(b, e, a) for (b, e), a in zip(case.padding, case.output_padding)]
    try:
        return rules.express(axes(case), windows)
    except NotExpressible as reason:
        raise Unsupported(f"padding {case.padding}: {reason}") from None


# Compiled functions per (dims, mode, dtype, bias, gradients): compiling a convolve2d graph
# takes tens of seconds (Numba falls back to object mode for it), a call milliseconds.
_COMPILED: dict[tuple, object] = {}


def _compiled(native: dict, dtype: str, bias: bool, gradients: bool):
    key = (native["dims"], native["mode"], dtype, bias, gradients)
    if key not in _COMPILED:
        import pytensor
        import pytensor.tensor as pt
        from pytensor.tensor import signal

        dims = native["dims"]
        x = pt.tensor("x", dtype=dtype, shape=(None,) * (dims + 2))
        w = pt.tensor("w", dtype=dtype, shape=(None,) * (dims + 2))
        inputs = [x, w]
        # w[:, 0]: the canonical (C_in, 1, *k) as one (*k) kernel per channel (a layout
        # conversion inside the graph, so that dw comes back canonical)
        y = getattr(signal, FUNCTIONS[dims])(x, w[:, 0], mode=native["mode"])
        if bias:
            b = pt.tensor("b", dtype=dtype, shape=(None,))
            inputs.append(b)
            y = y + b.reshape((1, -1) + (1,) * dims)
        outputs = [y]
        if gradients:
            dy = pt.tensor("dy", dtype=dtype, shape=(None,) * (dims + 2))
            outputs = pytensor.grad((y * dy).sum(), inputs)
            inputs = [*inputs, dy]
        _COMPILED[key] = pytensor.function(inputs, outputs)
    return _COMPILED[key]


def _inputs(dtype: str, *arrays: np.ndarray | None) -> list[np.ndarray]:
    return [np.asarray(a, dtype=dtype) for a in arrays if a is not None]


class Convolve(Adapter):
    name = "pytensor.convolve"
    conventions = Conventions(
        framework="pytensor", entry_point="pytensor.tensor.signal.convolveNd (pytensor.function)",
        input_layout="N, C, *spatial (batch axes broadcast against the kernel's)",
        kernel_layout="C_in, C_out/groups, *kernel (C_out/groups = 1: w[:, 0], one kernel "
                      "per channel)",
        kernel_flipped=False, padding_vocabulary="pytensor",
        bias="an add in the graph (`y + b.reshape((1, -1, 1, ...))`)",
        dims=(1, 2), dilation=False, padding_modes=("SAME", "VALID"), gradients=True,
        # No float16: the Numba linker refuses it ("NotImplementedError: float16" from
        # numba's data model); PyTensor has no bfloat16 type.
        dtypes=("float32", "float64"), devices=("cpu",))

    def plan(self, case: Case) -> Plan:
        spelled = _mode(case)
        violation = ""
        try:
            rules.limits(axes(case), spelled)
        except RuleViolation as error:
            violation = str(error)
        windows = tuple(astuple(rules.mode(a, spelled)) for a in axes(case))
        native = {"dims": case.dims, "mode": spelled}
        return Plan(self.name, case.id, native, windows, violation)

    def run(self, native: dict, x, w, b, dtype: str) -> np.ndarray:
        f = _compiled(native, dtype, b is not None, gradients=False)
        return np.asarray(f(*_inputs(dtype, x, w, b))[0]).astype(np.float64)

    def grad(self, native: dict, x, w, b, dy, dtype: str):
        f = _compiled(native, dtype, b is not None, gradients=True)
        grads = [np.asarray(g).astype(np.float64) for g in f(*_inputs(dtype, x, w, b, dy))]
        return grads[0], grads[1], grads[2] if b is not None else None

    def source(self, plan: Plan) -> str:
        n = plan.native
        return (f"y = pytensor.tensor.signal.{FUNCTIONS[n['dims']]}(x, w[:, 0], "
                f"mode={n['mode']!r}) + b.reshape((1, -1{', 1' * n['dims']})); "
                "pytensor.function([x, w, b], y)")

    @staticmethod
    def _graph_script(n: dict) -> list[str]:
        """Reproducer lines building the graph ``_compiled`` builds: ``inputs``, ``y``."""
        dims = n["dims"]
        return [
            "import numpy as np",
            "import pytensor",
            "import pytensor.tensor as pt",
            "from pytensor.tensor import signal",
            "",
            f"xs = pt.tensor('x', dtype=dtype, shape=(None,) * {dims + 2})",
            f"ws = pt.tensor('w', dtype=dtype, shape=(None,) * {dims + 2})",
            "inputs, values = [xs, ws], [x, w]",
            f"y_ = signal.{FUNCTIONS[dims]}(xs, ws[:, 0], mode={n['mode']!r})",
            "if b is not None:",
            "    bs = pt.tensor('b', dtype=dtype, shape=(None,))",
            "    inputs, values = inputs + [bs], values + [b]",
            f"    y_ = y_ + bs.reshape((1, -1) + (1,) * {dims})",
            "values = [np.asarray(v, dtype=dtype) for v in values]"]

    def script(self, plan: Plan) -> str:
        return "\n".join([*self._graph_script(plan.native),
                          "f = pytensor.function(inputs, y_)",
                          "y = np.asarray(f(*values)).astype(np.float64)"])

    def grad_script(self, plan: Plan) -> str:
        dims = plan.native["dims"]
        return "\n".join([
            *self._graph_script(plan.native),
            f"dys = pt.tensor('dy', dtype=dtype, shape=(None,) * {dims + 2})",
            "f = pytensor.function(inputs + [dys], pytensor.grad((y_ * dys).sum(), inputs))",
            "grads = [np.asarray(g).astype(np.float64) for g in "
            "f(*values, np.asarray(dy, dtype=dtype))]",
            "dx, dw = grads[0], grads[1]",
            "db = grads[2] if b is not None else None"])

    def version(self) -> str:
        import pytensor

        return str(pytensor.__version__)


# PyTensor's compiled-graph cache and Numba's cache of what it compiled, in tconv's cache.
# The default (Numba) linker needs no C compiler; a C compiler, where one exists, serves only
# the C linker, which this entry point does not use.
COMPILE_CACHE = {"PYTENSOR_FLAGS": "base_compiledir={cache}/pytensor",
                 "NUMBA_CACHE_DIR": "{cache}/numba"}

FRAMEWORKS = (Framework(
    name="PyTensor", package="pytensor", distributions=("pytensor",),
    backends=(Backend("pytensor", "pytensor", caches=COMPILE_CACHE,
                      packages=("pytensor",)),),
    entry_points=((Convolve, "pytensor"),),
    native_keys=("mode",),
    porting=Porting("PyTensor", "pytensor.convolve", (
        Nominal("pytensor-full-k3-s1", "mode='full', k=3, s=1", "pytensor.convolve", (0, 0),
                astuple(rules.mode(Axis(4, 3), "full")), s=1),)),
),)
