"""A test-only backend that misbehaves on request, to show that the harness survives it.

``native["fault"]``: ``abort`` (os.abort), ``segfault``, ``exit`` (the process exits with
status 3, as a framework calling ``exit()`` does), ``hang``, ``raise``, ``memory``
(allocates until the allocator refuses: ``MemoryError``, under an address-space limit the fault
sets itself so that the machine is never at risk), ``nan``, ``shape`` (one element short),
``shift`` (the right answer rolled by one), ``swap`` (the explicit crops taken from the wrong
ends: a classic porting bug that shows only with asymmetric padding), or ``none`` (the right
answer, computed by the oracle in the worker). The fault is the first word of the case's name;
the entry point ``faults.swapped`` has the ``swap`` fault on every case (for the exploration's
own test: a bug that depends on the parameters, not on a name). Before dying, the faults that
end the process say so on stderr, as a framework's logging does before an abort (the crash
detail carries that line: ``adapters.logs``).
"""

from __future__ import annotations

import ctypes
import os
import sys
import time

import numpy as np

from tconv.adapters import conversion
from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported
from tconv.adapters.declarations import Backend, Framework
from tconv.cases.case import Case

FAULTS = ("none", "abort", "segfault", "exit", "hang", "raise", "memory", "nan", "shape",
          "shift", "swap")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _exhaust_memory() -> None:
    """Allocate 256 MiB blocks until MemoryError, with the address space capped at 1 GiB above
    what the process maps now; the cap is lifted again before returning. The blocks are not
    touched: the allocator's refusal is the point, and touching gigabytes on a loaded machine
    took longer than a check's timeout."""
    import resource

    with open("/proc/self/statm") as statm:
        mapped = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (mapped + 2**30, hard))
    blocks = []
    try:
        while True:
            blocks.append(np.empty(2**25))
    finally:
        blocks.clear()
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


class Faults(Adapter):
    name = "faults"
    conventions = Conventions(framework="faults", entry_point="faults (test-only)",
                              input_layout="N, C_in, *spatial",
                              kernel_layout="C_in, C_out/groups, *kernel", kernel_flipped=False,
                              padding_vocabulary="canonical", devices=("cpu",))

    def plan(self, case: Case) -> Plan:
        if not isinstance(case.padding, tuple):
            raise Unsupported("explicit padding only")
        fault = self._fault(case)
        canonical = tuple((b, e, a) for (b, e), a in zip(case.padding, case.output_padding))
        native = {"fault": fault, "stride": case.stride, "dilation": case.dilation,
                  "groups": case.groups, "canonical": canonical}
        return Plan(self.name, case.id, native, canonical)

    def run(self, native, x, w, b, dtype):
        from tconv.oracle import conv_transpose

        fault = native["fault"]
        if fault == "abort":
            _say("faults: aborting now")
            os.abort()
        if fault == "segfault":
            _say("faults: reading address 0 now")
            ctypes.string_at(0)
        if fault == "exit":
            _say("faults: exiting with status 3 now")
            os._exit(3)
        if fault == "hang":
            time.sleep(3600)
        if fault == "raise":
            raise RuntimeError("injected failure <b>with markup</b>")
        if fault == "memory":
            _exhaust_memory()
        swap = fault == "swap"
        y = conv_transpose(x, w, b, stride=native["stride"], dilation=native["dilation"],
                           groups=native["groups"],
                           padding=[(c[1], c[0]) if swap else (c[0], c[1])
                                    for c in native["canonical"]],
                           output_padding=[c[2] for c in native["canonical"]])
        if fault == "nan":
            y.flat[0] = np.nan
        if fault == "shape":
            y = y[..., :-1]
        if fault == "shift":
            y = np.roll(y, 1, axis=-1)
        return y

    def source(self, plan):
        return f"faults: {plan.native['fault']}"

    def _fault(self, case: Case) -> str:
        word = case.name.split("-")[0]
        return word if word in FAULTS else "none"

    def version(self):
        return "0"


class Swapped(Faults):
    """Every case with the ``swap`` fault."""

    name = "faults.swapped"

    def _fault(self, case: Case) -> str:
        return "swap"


class Converted(conversion.Converter):
    """A converter path over ``faults`` (tests/test_conversion.py): its "file" is the plan's
    native parameters as JSON; a ``raise`` case fails at the load stage, every other fault
    shows in the run stage, as the source's own answer does."""

    name = "faults.converted"
    origin = Faults.name
    suffix = ".json"
    conventions = conversion.conventions(Faults.conventions, Faults.name,
                                         "faults -> JSON -> faults (test-only)",
                                         ("float32", "float64"))

    def export(self, native, x, w, b, dtype):
        import json

        return json.dumps(native).encode()

    def load(self, artefact, dtype):
        import json

        native = json.loads(artefact)
        if native["fault"] == "raise":
            raise ValueError("injected load failure")
        return native

    def execute(self, native, _, x, dtype):
        return Faults().run(native, x, *self._weights, dtype)

    def run(self, native, x, w, b, dtype):
        self._weights = (w, b)
        return super().run(native, x, w, b, dtype)

    def source(self, plan):
        return f"faults converted: {plan.native['fault']}"

    parts = ("numpy",)


# Test-only (tests/test_workers.py, tests/test_faults_run.py): runs only when named.
FRAMEWORKS = (Framework(
    name="faults", package="faults", distributions=("numpy",),
    backends=(Backend("faults", "numpy"),),
    entry_points=((Faults, "faults"), (Swapped, "faults"), (Converted, "faults")),
    testing=True),)
