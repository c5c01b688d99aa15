"""Forward checks: each case through each entry point, judged by the oracle under the
framework's documented rule."""

from __future__ import annotations

from tests.conformance.checks import conclude, forward


def test_forward(check, workers, known, request) -> None:
    name, case, device = check
    conclude("forward", forward(name, case, workers, device), known, case,
             request.node.user_properties, device)
