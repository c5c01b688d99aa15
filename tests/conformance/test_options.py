"""Wrong options end the run at once with one line naming the option."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(("options", "message"), [
    (["--profile", "nonsense"], "ERROR: --profile: unknown nonsense; choose from quick, default, full"),
    (["--dtypes", "float8"], "ERROR: --dtypes: unknown float8; choose from bfloat16, float16, float32, float64"),
    (["--adapters", "torch.nope"], "ERROR: --adapters: unknown torch.nope; choose from"),
    (["--check-timeout", "0"], "ERROR: --check-timeout: must be a positive number of seconds"),
    (["--devices", "cpu,tpu"], "ERROR: --devices: unknown tpu; choose auto or from cpu, cuda, cuda-strict"),
])
def test_wrong_option(options, message) -> None:
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "conformance/suite/test_forward.py", *options],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 4                      # pytest's usage error
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(message), run.stderr
    assert "Traceback" not in run.stdout + run.stderr
