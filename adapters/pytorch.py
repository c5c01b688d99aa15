"""PyTorch: ``torch.nn.functional.conv_transposeNd`` and ``torch.nn.ConvTransposeNd`` (with
``forward(x, output_size=...)``). Layouts are PyTorch's own, the canonical ones: input
``(N, C_in, *spatial)``, weight ``(C_in, C_out/groups, *kernel)``, not flipped; padding
translated by ``oracle.rules.pytorch``."""

from __future__ import annotations

from dataclasses import astuple

import numpy as np

from tconv.adapters import devices
from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported, axes, expressed
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.cases.case import Case, OutputShape
from tconv.oracle.rules import Canonical, RuleViolation
from tconv.oracle.rules import pytorch as rules

NO_STRINGS = ("PyTorch's transposed convolutions take no padding strings "
              "(pytorch/pytorch#95123)")


def _explicit(case: Case) -> tuple[list[int], list[int], str]:
    """``padding`` and ``output_padding`` per axis for explicit (begin, end) pairs: spelled
    directly when begin == end, else through ``output_padding`` (rules.express)."""
    padding, output_padding, violation = [], [], ""
    for axis, (b, e), a in zip(axes(case), case.padding, case.output_padding):
        if b == e:
            p, q = b, a
        else:
            spelled = expressed(rules.express, axis, b, e, a)
            p, q = spelled["padding"], spelled["output_padding"]
        try:
            rules.limits(axis, p, q)
        except RuleViolation as error:
            violation = violation or str(error)
        padding.append(p)
        output_padding.append(q)
    return padding, output_padding, violation


# The call's keyword arguments, in the plan's native parameters: run, grad and script share them.
CALL_KEYS = ("stride", "padding", "output_padding", "groups", "dilation")
# torch's memory format per spatial rank for the channels-last entry point (no 1-D format).
MEMORY_FORMATS = {2: "channels_last", 3: "channels_last_3d"}


def _kwargs(native: dict) -> dict:
    return {key: native[key] for key in CALL_KEYS}


def _arguments(kwargs: dict) -> str:
    """Keyword arguments as source (every value is an int, a tuple of ints or None)."""
    return ", ".join(f"{key}={value!r}" for key, value in kwargs.items())


def _function(dims: int) -> str:
    return f"conv_transpose{dims}d"


def _torch_dtype(dtype: str):
    import torch

    return {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16,
            "bfloat16": torch.bfloat16}[dtype]


def _tensor(a: np.ndarray | None, dtype: str):
    import torch

    return None if a is None else torch.from_numpy(np.ascontiguousarray(a)).to(
        device=devices.worker_device(), dtype=_torch_dtype(dtype))


def _numpy(t) -> np.ndarray:
    """A result back on the host, float64, in its logical (canonical) layout."""
    import torch

    return t.detach().to("cpu", torch.float64).contiguous().numpy()


# The float32 convolution arithmetic the worker started with (torch's default), restored when
# a check asks for the default after a strict one.
_DEFAULT_PRECISION: dict[str, str] = {}


def cuda_status() -> dict:
    """Whether torch sees a CUDA device, and its default float32 convolution arithmetic there:
    ``torch.backends.cudnn.conv.fp32_precision``, "tf32" by default (PyTorch docs, "CUDA
    semantics: TensorFloat-32 (TF32) on Ampere (and later) devices")."""
    import torch

    if not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
        return {"available": False, "detail": f"torch {torch.__version__} ({build}): "
                                              "torch.cuda.is_available() is False"}
    setting = _DEFAULT_PRECISION.get("conv", torch.backends.cudnn.conv.fp32_precision)
    return {"available": True, "detail": torch.cuda.get_device_name(0),
            "float32": "tf32" if setting == "tf32" else "float32",
            "setting": f"torch.backends.cudnn.conv.fp32_precision == {setting!r}"}


def set_precision(strict: bool) -> None:
    import torch

    conv = torch.backends.cudnn.conv
    _DEFAULT_PRECISION.setdefault("conv", conv.fp32_precision)
    conv.fp32_precision = "ieee" if strict else _DEFAULT_PRECISION["conv"]


CONVENTIONS = dict(framework="torch", input_layout="N, C_in, *spatial",
                   kernel_layout="C_in, C_out/groups, *kernel", kernel_flipped=False,
                   padding_vocabulary="pytorch", kernel_axes=("C_in", "C_out/groups", "*kernel"),
                   bias="the `bias` argument",
                   dtypes=("float32", "float64", "float16", "bfloat16"))


class Functional(Adapter):
    name = "torch.functional"
    conventions = Conventions(entry_point="torch.nn.functional.conv_transposeNd",
                              gradients=True, **CONVENTIONS)

    def plan(self, case: Case) -> Plan:
        if isinstance(case.padding, str):
            raise Unsupported(NO_STRINGS)
        if isinstance(case.padding, OutputShape):
            raise Unsupported("F.conv_transposeNd takes no output size; "
                              "nn.ConvTransposeNd.forward(output_size=...) does")
        padding, output_padding, violation = _explicit(case)
        canonical = tuple((p, p, q) for p, q in zip(padding, output_padding))
        native = {"dims": case.dims, "stride": case.stride, "padding": tuple(padding),
                  "output_padding": tuple(output_padding), "groups": case.groups,
                  "dilation": case.dilation}
        return Plan(self.name, case.id, native, canonical, violation)

    def run(self, native, x, w, b, dtype):
        import torch

        fn = getattr(torch.nn.functional, _function(native["dims"]))
        y = fn(_tensor(x, dtype), _tensor(w, dtype), _tensor(b, dtype), **_kwargs(native))
        return _numpy(y)

    def grad(self, native, x, w, b, dy, dtype):
        import torch

        tensors = [None if a is None else _tensor(a, dtype).requires_grad_() for a in (x, w, b)]
        fn = getattr(torch.nn.functional, _function(native["dims"]))
        y = fn(*tensors, **_kwargs(native))
        y.backward(_tensor(dy, dtype))
        return tuple(None if t is None else _numpy(t.grad) for t in tensors)

    # -- reproducer scripts: the same call on x, w, b, dtype (see Adapter.script) ----------

    def _function_source(self, dims: int) -> str:
        return f"torch.nn.functional.{_function(dims)}"

    def _inputs_script(self, dims: int, requires_grad: bool = False) -> list[str]:
        grad = ".requires_grad_()" if requires_grad else ""
        return ["import torch", "",
                "torch_dtype = getattr(torch, dtype)  # torch.float32, torch.bfloat16, ...",
                f"xt = torch.from_numpy(x).to(torch_dtype){grad}",
                f"wt = torch.from_numpy(w).to(torch_dtype){grad}",
                f"bt = None if b is None else torch.from_numpy(b).to(torch_dtype){grad}"]

    def _call_script(self, native: dict) -> str:
        return (f"yt = {self._function_source(native['dims'])}(xt, wt, bt, "
                f"{_arguments(_kwargs(native))})")

    def script(self, plan):
        dims = plan.native["dims"]
        return "\n".join([*self._inputs_script(dims), self._call_script(plan.native),
                          "y = yt.detach().to(torch.float64)" + self._output_suffix + ".numpy()"])

    _output_suffix = ""

    def grad_script(self, plan):
        return "\n".join([*self._inputs_script(plan.native["dims"], requires_grad=True),
                          self._call_script(plan.native),
                          "yt.backward(torch.from_numpy(dy).to(torch_dtype))",
                          "dx = xt.grad.to(torch.float64).numpy()",
                          "dw = wt.grad.to(torch.float64).numpy()",
                          "db = None if bt is None else bt.grad.to(torch.float64).numpy()"])

    def source(self, plan):
        n = plan.native
        return (f"torch.nn.functional.conv_transpose{n['dims']}d(x, w, b, "
                f"stride={n['stride']}, padding={n['padding']}, "
                f"output_padding={n['output_padding']}, groups={n['groups']}, "
                f"dilation={n['dilation']})")

    def version(self):
        import torch

        return str(torch.__version__)

    def cuda(self):
        return cuda_status()

    def precision(self, strict):
        set_precision(strict)


class Module(Functional):
    name = "torch.module"
    conventions = Conventions(entry_point="torch.nn.ConvTransposeNd", output_shape=True,
                              **{**CONVENTIONS, "bias": "the module's `bias` parameter"})

    def plan(self, case: Case) -> Plan:
        if not isinstance(case.padding, OutputShape):
            plan = super().plan(case)
            return Plan(self.name, plan.case_id, {**plan.native, "output_size": None},
                        plan.canonical, plan.violation)
        canonical, violation = [], ""
        for axis, size in zip(axes(case), case.padding.size):
            try:
                c = rules.output_size(axis, 0, size)
            except RuleViolation as error:
                violation = violation or str(error)
                c = Canonical(0, 0, size - axis.full)
            canonical.append((c.begin, c.end, c.output_padding))
        native = {"dims": case.dims, "stride": case.stride, "padding": (0,) * case.dims,
                  "output_padding": (0,) * case.dims, "groups": case.groups,
                  "dilation": case.dilation, "output_size": case.padding.size}
        return Plan(self.name, case.id, native, tuple(canonical), violation)

    def run(self, native, x, w, b, dtype):
        import torch

        with torch.no_grad():
            y = model(self.name, native, w, b, dtype)(_tensor(x, dtype))
        return _numpy(y)

    def script(self, plan):
        n = plan.native
        size = None if n["output_size"] is None else list(n["output_size"])
        return "\n".join([
            "import torch", "",
            "torch_dtype = getattr(torch, dtype)  # torch.float32, torch.bfloat16, ...",
            f"module = torch.nn.ConvTranspose{n['dims']}d(x.shape[1], w.shape[1] * "
            f"{n['groups']}, w.shape[2:], bias=b is not None, {_arguments(_kwargs(n))})",
            "module = module.to(torch_dtype)",
            "with torch.no_grad():",
            "    module.weight.copy_(torch.from_numpy(w).to(torch_dtype))",
            "    if b is not None:",
            "        module.bias.copy_(torch.from_numpy(b).to(torch_dtype))",
            f"    yt = module(torch.from_numpy(x).to(torch_dtype), output_size={size!r})",
            "y = yt.to(torch.float64).numpy()"])

    def source(self, plan):
        n = plan.native
        size = "" if n["output_size"] is None else f", output_size={list(n['output_size'])}"
        return (f"m = torch.nn.ConvTranspose{n['dims']}d(C_in, C_out, kernel, "
                f"stride={n['stride']}, padding={n['padding']}, "
                f"output_padding={n['output_padding']}, groups={n['groups']}, "
                f"dilation={n['dilation']}); m.weight.copy_(w); m.bias.copy_(b); y = m(x{size})")


class ChannelsLast(Functional):
    """The functional call on inputs and weights in the channels-last memory format (the
    values and the logical layout are the same; the kernels chosen differ)."""

    name = "torch.channels_last"
    conventions = Conventions(entry_point="torch.nn.functional.conv_transposeNd "
                                          "(channels_last memory format)",
                              **{**CONVENTIONS, "input_layout": "N, C_in, *spatial "
                                                                "(stored N, *spatial, C_in)"},
                              )

    def plan(self, case: Case) -> Plan:
        if case.dims == 1:
            raise Unsupported("torch has no channels-last memory format for 1-D (3-D tensors)")
        plan = super().plan(case)
        return Plan(self.name, plan.case_id, plan.native, plan.canonical, plan.violation)

    def run(self, native, x, w, b, dtype):
        import torch

        fmt = getattr(torch, MEMORY_FORMATS[native["dims"]])
        fn = getattr(torch.nn.functional, _function(native["dims"]))
        y = fn(_tensor(x, dtype).to(memory_format=fmt), _tensor(w, dtype).to(memory_format=fmt),
               _tensor(b, dtype), **_kwargs(native))
        return _numpy(y)

    _output_suffix = ".contiguous()"

    def _inputs_script(self, dims: int, requires_grad: bool = False) -> list[str]:
        fmt = f"torch.{MEMORY_FORMATS[dims]}"
        return [*super()._inputs_script(dims, requires_grad),
                f"xt, wt = xt.to(memory_format={fmt}), wt.to(memory_format={fmt})"]

    def source(self, plan):
        fmt = "torch.channels_last" if plan.native["dims"] == 2 else "torch.channels_last_3d"
        return (f"x, w = x.to(memory_format={fmt}), w.to(memory_format={fmt}); "
                + super().source(plan))


class Compiled(Functional):
    """``torch.compile`` of the functional call (TorchInductor on CPU; one compiled function per
    worker, recompiled by torch as shapes change)."""

    name = "torch.compile"
    conventions = Conventions(entry_point="torch.compile(torch.nn.functional.conv_transposeNd)",
                              **CONVENTIONS)
    _compiled: dict = {}

    def plan(self, case: Case) -> Plan:
        plan = super().plan(case)
        return Plan(self.name, plan.case_id, plan.native, plan.canonical, plan.violation)

    def run(self, native, x, w, b, dtype):
        import torch

        dims = native["dims"]
        if dims not in self._compiled:
            # Dynamo recompiles per shape and per constant argument, and past its recompile
            # limit (8 by default) silently runs the function eagerly: every later check would
            # test eager PyTorch under this entry point's name. Lift the limit for a run of
            # many configurations, and make hitting it an error rather than a fallback
            # (torch/_dynamo/config.py: recompile_limit, accumulated_recompile_limit,
            # fail_on_recompile_limit_hit).
            torch._dynamo.config.recompile_limit = 100_000
            torch._dynamo.config.accumulated_recompile_limit = 100_000
            torch._dynamo.config.fail_on_recompile_limit_hit = True
            self._compiled[dims] = torch.compile(getattr(torch.nn.functional, _function(dims)))
        y = self._compiled[dims](_tensor(x, dtype), _tensor(w, dtype), _tensor(b, dtype),
                                 **_kwargs(native))
        return _numpy(y)

    def _function_source(self, dims: int) -> str:
        return f"torch.compile({super()._function_source(dims)})"

    def source(self, plan):
        return "torch.compile(" + super().source(plan).replace("(x, w, b,", ")(x, w, b,", 1)


def model(name: str, native: dict, w: np.ndarray, b: np.ndarray | None, dtype: str):
    """The call of entry point ``torch.functional`` or ``torch.module`` as one
    ``torch.nn.Module`` taking ``x`` (the weights its parameters): what the module entry point
    runs, and what a converter path exports (``adapters.conversion``). The functional form is
    a module whose ``forward`` calls ``F.conv_transposeNd`` on its parameters, as a porter
    writes it."""
    import torch

    dims, weight = native["dims"], _tensor(w, dtype)
    bias = None if b is None else _tensor(b, dtype)
    if name == Module.name:
        cls = getattr(torch.nn, f"ConvTranspose{dims}d")
        size = None if native["output_size"] is None else list(native["output_size"])

        class Sized(cls):
            # output_size is forward's argument: bound here so that forward(x) takes x only
            def forward(self, x):
                return super().forward(x, output_size=size)

        layer = Sized(w.shape[0], w.shape[1] * native["groups"], w.shape[2:],
                      bias=b is not None, **_kwargs(native))
        layer = layer.to(device=devices.worker_device(), dtype=_torch_dtype(dtype))
        with torch.no_grad():
            layer.weight.copy_(weight)
            if bias is not None:
                layer.bias.copy_(bias)
        return layer.eval()
    fn, kwargs = getattr(torch.nn.functional, _function(dims)), _kwargs(native)

    class Call(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = torch.nn.Parameter(weight)
            self.bias = None if bias is None else torch.nn.Parameter(bias)

        def forward(self, x):
            return fn(x, self.weight, self.bias, **kwargs)

    return Call().eval()


# TorchInductor's persistent cache (keyed by the graph and torch's version).
COMPILE_CACHE = {"TORCHINDUCTOR_CACHE_DIR": "{cache}/inductor"}

FRAMEWORKS = (Framework(
    name="PyTorch", package="torch", distributions=("torch",),
    backends=(Backend("torch", "torch", caches=COMPILE_CACHE, packages=("torch",)),),
    entry_points=tuple((cls, "torch") for cls in (Functional, Module, ChannelsLast, Compiled)),
    native_keys=("padding", "output_padding", "output_size"),
    porting=Porting("PyTorch", "torch.functional", (
        Nominal("torch-pad1-op1-k3-s2", "padding=1, output_padding=1, k=3, s=2",
                "torch.functional", (1, 1), astuple(rules.padding(1, 1)), output_padding=1),)),
),)
