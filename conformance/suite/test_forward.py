"""Forward checks: each case through each entry point, judged by the oracle under the
framework's documented rule."""

from __future__ import annotations

from tconv.conformance import pipeline
from tconv.conformance.plugin import conclude


def test_forward(tconv_check, tconv_workers, tconv_known, request) -> None:
    name, case, device = tconv_check
    conclude(pipeline.run(name, case, tconv_workers, device=device), tconv_known, case,
             request.node.user_properties)
