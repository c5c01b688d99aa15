"""Gradient checks: dx, dw, dbias through each framework's own differentiation, against the
oracle's gradients in units of their error bounds."""

from __future__ import annotations

from tconv.conformance import pipeline
from tconv.conformance.plugin import conclude


def test_gradients(tconv_gradient_check, tconv_workers, tconv_known, request) -> None:
    name, case, device = tconv_gradient_check
    conclude(pipeline.run(name, case, tconv_workers, kind=pipeline.GRADIENTS, device=device),
             tconv_known, case, request.node.user_properties)
