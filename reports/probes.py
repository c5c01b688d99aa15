"""The probes behind ``reports/CONVENTIONS.md``: small float64 cases with integer inputs, run
through each entry point's own ``plan`` and worker, judged by the oracle under the framework's
documented rule, and read back without trusting any declaration.

The inputs make every output element legible: ``x = 1..n`` and ``w = 1, 10, 100, ...``, so
digit ``j`` of an output element is the input that reached it through tap ``j``. From the
output alone, ``infer_window`` finds which window of the uncropped scatter result it is (the
kernel as given, or flipped): how much was cropped at each side, or how many zeros were added.

``run(adapters)`` returns one record per probe and entry point (sorted, no timings), plus the
porting checks (``porting_cases``): a source framework's nominal configuration, its canonical
window planned in each other framework's vocabulary and run there, compared with the source's
answer.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from tconv import adapters
from tconv.adapters.workers import Workers
from tconv.cases.case import Case, OutputShape
from tconv.conformance import pipeline
from tconv.conformance.judge import agree, expected
from tconv.conformance.results import check_id
from tconv.conformance.status import Status
from tconv.oracle import conv_transpose
from tconv.reports import fidelity

DEVICE = "cpu"
SWEEP_N = (4, 5)
SWEEP_K = (1, 2, 3, 4, 5)
SWEEP_S = (1, 2, 3)



# -- the window an output is ------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Where a 1-D output sits in the uncropped scatter result ``full`` (length ``L``):
    ``output = full[begin : L - end]``, positions outside ``full`` read as zeros. ``begin > 0``:
    cropped at the start, ``< 0``: zeros before; ``end > 0``: cropped at the end, ``< 0``: zeros
    appended. ``flipped``: the kernel was read reversed (None: a symmetric kernel, not
    observable)."""

    begin: int
    end: int
    flipped: bool | None

    def canonical(self) -> tuple[int, int, int]:
        """``(begin, end, output_padding)`` of ``oracle.conv_transpose``."""
        return self.begin, max(self.end, 0), max(-self.end, 0)

    def describe(self) -> str:
        parts = []
        if self.begin > 0:
            parts.append(f"crop {self.begin} start")
        elif self.begin < 0:
            parts.append(f"{-self.begin} zeros before")
        if self.end > 0:
            parts.append(f"crop {self.end} end")
        elif self.end < 0:
            parts.append(f"{-self.end} zeros appended")
        text = ", ".join(parts) or "uncropped"
        return text + (", kernel flipped" if self.flipped else "")


def _full(x: np.ndarray, w: np.ndarray, stride: int, dilation: int) -> np.ndarray:
    return conv_transpose(x[None, None], w[None, None], stride=stride, dilation=dilation)[0, 0]


def infer_window(y: np.ndarray, x: np.ndarray, w: np.ndarray, stride: int,
                 dilation: int = 1) -> Window | None:
    """The one window of the uncropped result (kernel as given, or flipped) that equals the 1-D
    output ``y``; None when none does or several do (e.g. an all-zero output)."""
    y = np.asarray(y, dtype=np.float64)
    m = len(y)
    matches = set()
    for flipped in (False, True):
        full = _full(np.asarray(x, float), np.asarray(w, float)[::-1] if flipped else
                     np.asarray(w, float), stride, dilation)
        tol = 1e-9 * max(1.0, float(np.abs(full).max(initial=0)))
        padded = np.concatenate([np.zeros(m), full, np.zeros(m)])
        for begin in range(-m, len(full) + 1):
            if np.allclose(padded[begin + m: begin + 2 * m], y, rtol=0, atol=tol):
                matches.add((begin, len(full) - begin - m, flipped))
    if len({(b, e) for b, e, _ in matches}) != 1:
        return None
    flips = {f for _, _, f in matches}
    begin, end, flipped = matches.pop()
    return Window(begin, end, None if len(flips) == 2 else flipped)


# -- the probes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """A case with the arrays it runs on and the topic it documents."""

    topic: str
    case: Case
    x: np.ndarray
    w: np.ndarray
    b: np.ndarray | None = None


def _case(name: str, n: int | tuple[int, ...], k: int | tuple[int, ...], s, padding,
          output_padding=0, dilation=1, channels=(1, 1), groups=1, bias=False,
          dtype="float64") -> Case:
    def dims(v):
        return v if isinstance(v, tuple) else (v,)
    n, k = dims(n), dims(k)
    d = len(n)
    s, dilation, output_padding = (dims(v) * (d // len(dims(v))) for v in
                                   (s, dilation, output_padding))
    return Case(family="probe", name=name, batch=1, in_channels=channels[0],
                out_channels=channels[1], groups=groups, input_size=n, kernel=k, stride=s,
                dilation=dilation, padding=padding, output_padding=output_padding, bias=bias,
                dtype=dtype)


def _legible(case: Case, bias: bool = False
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """x = 1..n, w = 1, 10, 100, ... along the first axis (a trivial second axis, if any)."""
    n, k = case.input_size[0], case.kernel[0]
    shape_x = (1, case.in_channels, *case.input_size)
    shape_w = (case.in_channels, case.out_channels // case.groups, *case.kernel)
    x = np.broadcast_to(np.arange(1.0, n + 1).reshape((1, 1, n) + (1,) * (case.dims - 1)),
                        shape_x).copy()
    x *= np.arange(1, case.in_channels + 1).reshape((1, -1) + (1,) * case.dims)
    w = np.broadcast_to((10.0 ** np.arange(k)).reshape((1, 1, k) + (1,) * (case.dims - 1)),
                        shape_w).copy()
    b = 1000.0 * np.arange(1, case.out_channels + 1) if bias else None
    return x, w, b


def probe(topic: str, case: Case) -> Probe:
    x, w, b = _legible(case, case.bias)
    return Probe(topic, case, x, w, b)


def probes() -> list[Probe]:
    """Every probe, in a fixed order."""
    # plain, bias, dtype: 2-D with a trivial second axis, so that 2-D-only entry points run them.
    found = [probe("plain", _case("plain-n4-k3-s2", (4, 1), (3, 1), (2, 1), ((0, 0), (0, 0))))]
    for mode in ("SAME", "VALID"):
        for n in SWEEP_N:
            for k in SWEEP_K:
                for s in SWEEP_S:
                    found.append(probe(mode.lower(), _case(f"{mode.lower()}-n{n}-k{k}-s{s}",
                                                           n, k, s, mode)))
    for begin, end, op in ((1, 2, 0), (2, 1, 0), (1, 1, 1)):
        name = f"b{begin}-e{end}" + (f"-op{op}" if op else "") + "-n4-k3-s2"
        found.append(probe("explicit", _case(f"explicit-{name}", 4, 3, 2, ((begin, end),), op)))
        found.append(probe("explicit", _case(f"explicit2d-{name}", (4, 1), (3, 1), (2, 1),
                                             ((begin, end), (0, 0)), (op, 0))))
    for padding, tag in (("VALID", "valid"), (((1, 1),), "pad1")):
        for op in (1, 2):
            found.append(probe("output_padding", _case(f"op{op}-{tag}-n4-k3-s2", 4, 3, 2,
                                                       padding, op)))
    found.append(probe("output_padding", _case("op1-valid-n4-k3-s1-d2", 4, 3, 1, "VALID", 1, 2)))
    found.append(probe("output_padding", _case("op1-pad0-n4-k3-s1-d2", 4, 3, 1, ((0, 0),), 1,
                                               2)))
    for size in (7, 8, 10):
        found.append(probe("output_shape", _case(f"out{size}-n4-k3-s2", 4, 3, 2,
                                                 OutputShape((size,)))))
    found.append(probe("dilation", _case("d2-pad0-n4-k3-s2", 4, 3, 2, ((0, 0),), 0, 2)))
    found.append(probe("dilation", _case("d2-same-n4-k3-s2", 4, 3, 2, "SAME", 0, 2)))
    found.append(probe("groups", _case("groups2-n4-k2-s2", 4, 2, 2, ((0, 0),),
                                       channels=(2, 4), groups=2)))
    found.append(probe("groups", _case("depthwise3-n4-k2-s2", 4, 2, 2, ((0, 0),),
                                       channels=(3, 3), groups=3)))
    found.append(probe("bias", _case("bias-n4-k2-s2", (4, 1), (2, 1), (2, 1), ((0, 0), (0, 0)),
                                     channels=(1, 2), bias=True)))
    for dtype in ("float32", "float64", "float16", "bfloat16"):
        case = _case(f"{dtype}-n4-k3-s2", (4, 1), (3, 1), (2, 1), ((0, 0), (0, 0)), dtype=dtype)
        # 1, 2, 3 keep every sum exact in bfloat16's 8 bits.
        found.append(Probe("dtype", case, np.arange(1.0, 5).reshape(1, 1, 4, 1),
                           np.arange(1.0, 4).reshape(1, 1, 3, 1)))
    return found


# -- running them -----------------------------------------------------------------------------


def _sanitize(message: str) -> str:
    """The first line of a framework's message, without what varies run to run (addresses,
    generated names' counters), shortened."""
    line = re.sub(r"\{\{[^}]*\}\}", "", message).strip()
    line = line.splitlines()[0].strip() if line else ""
    line = re.sub(r"0x[0-9a-fA-F]+", "0x…", line)
    line = re.sub(r"_\d+\b", "_N", line)
    return line[:160]


def _values(y: np.ndarray) -> list | None:
    """The first output channel along the first axis, as integers when every value is one."""
    line = y[0, 0].reshape(y.shape[2], -1)[:, 0] if y.ndim > 3 else y[0, 0]
    if not np.all(np.isfinite(line)) or not np.all(line == np.round(line)):
        return None
    return [int(v) for v in line]


def _trivial_tail(case: Case) -> bool:
    return all(n == 1 and k == 1 and s == 1 for n, k, s in
               zip(case.input_size[1:], case.kernel[1:], case.stride[1:]))


def _record(name: str, item: Probe, version: str) -> dict:
    case = item.case
    adapter = adapters.load(name)
    conventions = adapter.conventions
    return {"check_id": check_id(name, case.id, "forward", DEVICE), "adapter": name,
            "backend": adapters.backend(name), "framework": conventions.framework,
            "entry_point": conventions.entry_point, "framework_version": version,
            "device": DEVICE, "topic": item.topic, "probe": case.name, "case_id": case.id,
            "dtype": case.dtype, "status": "", "detail": "", "error_type": "",
            "violation": "", "native": None, "call": "", "documented": None,
            "expected_shape": None, "actual_shape": None, "values": None, "window": None}


def run_one(name: str, item: Probe, workers: Workers, version: str) -> dict:
    """One probe through one entry point, through the check pipeline, and the window read
    back from its output."""
    adapter = adapters.load(name)
    conventions = adapter.conventions
    probe_dtype = conventions.probe_dtype if "float64" in conventions.dtypes else "float32"
    if item.topic != "dtype" and item.case.dtype == "float64" and probe_dtype != "float64":
        # Every probe value and sum is an integer below 2**24: exact in float32 as well.
        item = Probe(item.topic, Case(**{**item.case.__dict__, "dtype": probe_dtype}), item.x,
                     item.w, item.b)
    case, row = item.case, _record(name, item, version)
    check = pipeline.run(name, case, workers, arrays=(item.x, item.w, item.b))
    plan = check.plan
    if plan is None:
        return row | {"status": check.status, "detail": check.detail}
    row |= {"violation": plan.violation, "call": adapter.source(plan),
            "native": adapters.padding_spelling(name, plan.native),
            "documented": [list(c) for c in plan.canonical], "status": check.status}
    if not plan.violation:  # a forbidden case has no documented answer to size
        row["expected_shape"] = list(expected(case, plan, item.x, item.w, item.b)[0].shape)
    if check.output is None:
        verdict = check.verdict
        return row | {"error_type": (verdict.error_type if verdict else "") or check.status,
                      "detail": _sanitize(verdict.error_message if verdict else check.detail)}
    y = check.output
    row |= {"actual_shape": list(y.shape), "values": _values(y)}
    if case.in_channels == case.out_channels == 1 and (case.dims == 1 or _trivial_tail(case)):
        window = infer_window(y.reshape(-1), item.x.reshape(-1),
                              item.w.reshape(-1), case.stride[0], case.dilation[0])
        row["window"] = None if window is None else {
            "begin": window.begin, "end": window.end, "flipped": window.flipped,
            "text": window.describe()}
    return row


# -- porting ----------------------------------------------------------------------------------

def porting() -> dict[str, str]:
    """The porting table's columns: each framework's label and the entry point that stands for
    it (``adapters.Porting``), in registry order."""
    return {f.porting.label: f.porting.entry_point for f in adapters.frameworks()
            if f.porting is not None}


@dataclass(frozen=True)
class Nominal:
    """A source framework's own spelling of a configuration, on both axes of a 2-D case, and
    the entry point and case that run it there."""

    key: str
    framework: str
    spelling: str
    adapter: str
    case: Case
    canonical: tuple[int, int, int]


def porting_cases() -> list[Nominal]:
    """The representative configurations each framework declares (``adapters.Nominal``),
    with their canonical windows by the framework's own rule module."""
    found = []
    for f in adapters.frameworks():
        for nominal in f.porting.nominals if f.porting else ():
            n, k, s, op = nominal.n, nominal.k, nominal.s, nominal.output_padding
            padding = nominal.padding
            # float32 (onnxruntime's only CPU kernel type); the integer values are exact in it.
            case = _case(f"port-{nominal.key}", (n, n), (k, k), (s, s),
                         padding if isinstance(padding, str) else (padding, padding),
                         (op, op), dtype="float32")
            found.append(Nominal(nominal.key, f.porting.label, nominal.spelling,
                                 nominal.entry_point, case, tuple(nominal.canonical)))
    return found


def _port_arrays(case: Case) -> tuple[np.ndarray, np.ndarray, None]:
    rng = np.random.default_rng(7)
    x = rng.integers(-3, 4, (1, 1, *case.input_size)).astype(float)
    w = rng.integers(-3, 4, (1, 1, *case.kernel)).astype(float)
    return x, w, None


def _port(nominal: Nominal, target: str, name: str, workers: Workers, versions: dict,
          source: dict) -> dict:
    """The target entry point planned with the source's canonical window as explicit pairs,
    run and judged through the check pipeline, and compared with the source's answer."""
    b, e, op = nominal.canonical
    ported = Case(**{**nominal.case.__dict__, "name": f"port-{nominal.key}-to",
                     "padding": ((b, e), (b, e)), "output_padding": (op, op)})
    row = {"topic": "porting", "nominal": nominal.key, "source": nominal.framework,
           "target": target, "adapter": name, "framework_version": versions[name],
           "check_id": check_id(name, ported.id, "forward", DEVICE),
           "source_check_id": source["check_id"], "canonical": list(nominal.canonical),
           "status": "", "detail": "", "native": None, "call": ""}
    if "y" not in source:
        return row | {"status": "fail", "detail": "the source computed no answer"}
    check = pipeline.run(name, ported, workers, arrays=_port_arrays(ported))
    if check.plan is None:
        return row | {"status": "not expressible", "detail": check.detail}
    row |= {"native": adapters.padding_spelling(name, check.plan.native), "call": check.call}
    if check.plan.violation:
        return row | {"status": "not expressible",
                      "detail": f"breaks a documented limit: {check.plan.violation}"}
    if check.output is None:
        verdict = check.verdict
        return row | {"status": "fail", "detail": f"{verdict.error_type}: "
                                                  f"{_sanitize(verdict.error_message)}"}
    same = (check.status == Status.PASS and list(check.output.shape) == source["shape"]
            and agree(check.output, np.asarray(source["y"])))
    return row | {"status": "pass" if same else "fail",
                  "detail": "" if same else f"{check.status}: shape "
                                            f"{list(check.output.shape)}, source "
                                            f"{source['shape']}"}


def _source_answer(nominal: Nominal, workers: Workers, version: str) -> dict:
    case, name = nominal.case, nominal.adapter
    check = pipeline.run(name, case, workers, arrays=_port_arrays(case))
    row = {"topic": "porting-source", "nominal": nominal.key, "source": nominal.framework,
           "spelling": nominal.spelling, "adapter": name, "framework_version": version,
           "check_id": check_id(name, case.id, "forward", DEVICE),
           "documented": [list(c) for c in check.plan.canonical], "call": check.call,
           "status": check.status}
    row["canonical"] = list(nominal.canonical)  # by the source's rule module
    if check.output is None:
        return row | {"detail": _sanitize(check.verdict.error_message)}
    return row | {"shape": list(check.output.shape), "y": check.output.tolist(), "detail": ""}


def _run_backend(names: list[str], items: list[Probe], workers: Workers) -> list[dict]:
    rows = []
    for name in names:
        worker = workers.get(adapters.backend(name))
        version = worker.version(name)
        rows += [run_one(name, item, workers, version) for item in items]
    return rows


def run(names: list[str], parallel: int = 4) -> list[dict]:
    """Every probe through every named entry point (one worker per backend, backends run side
    by side), then the porting checks where all five porting entry points are named; the
    records sorted by check id. The workers are closed at the end."""
    for name in names:
        adapters.load(name)  # import every adapter module here, not from the threads
    # converter paths are documented by the fidelity table (their conventions are their
    # source's); the probes document the frameworks' own entry points
    paths = fidelity.converters(names)
    by_backend: dict[str, list[str]] = {}
    for name in names:
        if name not in paths:
            by_backend.setdefault(adapters.backend(name), []).append(name)
    workers = Workers()
    for backend in by_backend:
        workers.get(backend)
    items = probes()
    try:
        with ThreadPoolExecutor(max_workers=parallel) as pool:
            jobs = [pool.submit(_run_backend, group, items, workers)
                    for group in by_backend.values()]
            rows = [row for job in jobs for row in job.result()]
        columns = porting()
        if set(columns.values()) <= set(names):
            versions = {row["adapter"]: row["framework_version"] for row in rows}
            for nominal in porting_cases():
                worker = workers.get(adapters.backend(nominal.adapter))
                source = _source_answer(nominal, workers, worker.version(nominal.adapter))
                for target, name in columns.items():
                    if target != nominal.framework:
                        rows.append(_port(nominal, target, name, workers, versions, source))
                source.pop("y", None)
                rows.append(source)
        rows += fidelity.run(paths, workers)
    finally:
        workers.close()
    return sorted(rows, key=lambda row: (row["topic"], row["check_id"]))
