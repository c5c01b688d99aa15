"""The converter fidelity table: each converter path (``adapters.conversion``) on one small
float32 case per feature a porter leans on, through the check pipeline, each cell in words.

- ``faithful``: the converted model computes what the source framework documents (the oracle
  under the source's rule, within the error bound);
- ``refused``: the converter or the target runtime raised, at the stage named, on a case the
  source allows;
- ``silently different``: it ran and computed something else (values or shape);
- ``as the source``: it differs from the source's documented rule exactly as the source's own
  answer does (the converter is faithful to the source, the source is not to its rule);
- ``n/a``: the source entry point cannot express the case (its own vocabulary's limit).

The cases are ``CASES``: the feature each isolates, on a 2-D input unless it is about rank.
"""

from __future__ import annotations

from tconv import adapters
from tconv.adapters.workers import Workers
from tconv.cases.case import Case, OutputShape
from tconv.conformance import pipeline
from tconv.conformance.results import check_id
from tconv.conformance.status import NO_ANSWER, Status
from tconv.reports.messages import without_locations

DEVICE = "cpu"
CELLS = ("faithful", "refused", "silently different", "as the source", "n/a")


def _case(feature: str, n=(5, 4), k=(3, 3), s=(2, 2), padding=((1, 1), (1, 1)),
          output_padding=None, dilation=None, channels=(2, 3), groups=1,
          bias=False) -> tuple[str, Case]:
    d = len(n)
    words = feature.lower().replace("<", "lt").replace(">", "gt").replace("×", "x")
    name = "fidelity-" + "-".join("".join(c if c.isalnum() else " " for c in words).split())
    return feature, Case(family="probe", name=name, batch=1,
                         in_channels=channels[0], out_channels=channels[1], groups=groups,
                         input_size=n, kernel=k, stride=s, dilation=dilation or (1,) * d,
                         padding=padding, output_padding=output_padding or (0,) * d,
                         bias=bias, dtype="float32")


# One case per feature; every other parameter plain (symmetric padding 1, k=3, s=2, no bias).
CASES = dict([
    _case("explicit symmetric padding"),
    _case("asymmetric padding", padding=((1, 0), (0, 2))),
    _case("SAME, kernel < stride", k=(2, 2), s=(3, 3), padding="SAME"),
    _case("SAME, kernel > stride", k=(5, 4), padding="SAME"),
    _case("VALID, kernel < stride", k=(2, 2), s=(3, 3), padding="VALID"),
    _case("VALID, kernel > stride", k=(5, 4), padding="VALID"),
    _case("output_padding", output_padding=(1, 1)),
    _case("output_shape", padding=OutputShape((12, 10))),  # one above the uncropped size
    _case("dilation × stride", dilation=(2, 2)),
    _case("groups", channels=(4, 6), groups=2),
    _case("depthwise", channels=(3, 3), groups=3),
    _case("bias", bias=True),
    _case("1-D", n=(5,), k=(3,), s=(2,), padding=((1, 1),)),
    _case("3-D", n=(3, 4, 3), k=(3, 2, 3), s=(2, 1, 2), padding=((1, 1), (0, 0), (1, 1))),
])


def converters(names: list[str]) -> list[str]:
    """The converter paths among ``names``."""
    return [n for n in names if adapters.load(n).conventions.source]


def verdict(check: pipeline.Check) -> str:
    """A converter check's cell (``CELLS``)."""
    if check.status == Status.UNSUPPORTED:
        return "n/a"
    if check.status == Status.PASS:
        return "faithful"
    source = check.source_output or {}
    if check.status == Status.ERROR or check.status in NO_ANSWER:
        return "as the source" if source.get("status") == "error" else "refused"
    return "as the source" if source.get("agree") else "silently different"


def run_one(name: str, feature: str, case: Case, workers: Workers, version: str) -> dict:
    check = pipeline.run(name, case, workers)
    source = check.source_output or {}
    detail = check.detail
    if check.stage:
        detail = f"at {check.stage}: {detail}"
    return {"topic": "fidelity", "adapter": name, "feature": feature,
            "check_id": check_id(name, case.id, "forward", DEVICE),
            "framework_version": version, "source": adapters.load(name).conventions.source,
            "status": str(check.status), "cell": verdict(check), "stage": check.stage,
            "source_agrees": source.get("agree"),
            # cut after the run-dependent parts are left out, so that the cut falls alike
            "detail": without_locations(detail)[:300]}


def run(names: list[str], workers: Workers) -> list[dict]:
    """Every fidelity case through every converter path among ``names``."""
    rows = []
    for name in converters(names):
        version = workers.get(adapters.backend(name)).version(name)
        rows += [run_one(name, feature, case, workers, version)
                 for feature, case in CASES.items()]
    return rows
