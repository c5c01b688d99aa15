"""Gradient checks: dx, dw, dbias through each framework's own differentiation, against the
oracle's gradients in units of their error bounds."""

from __future__ import annotations

from tests.conformance.checks import conclude, gradients


def test_gradients(grad_check, workers, known, request) -> None:
    name, case, device = grad_check
    conclude("gradients", gradients(name, case, workers, device), known, case,
             request.node.user_properties, device)
