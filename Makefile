# tconv: `make report` (the conformance run) and `make test` (the tests).
# Both create the virtual environment .venv on first use, with every version from constraints.txt,
# and the backends' own environments (`tconv environments`: adapters/environments/*.txt, built
# once per machine in ~/.cache/tconv/envs).
# `make test` also gates the quick profile's results against the committed baseline.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt
# Which optional dependencies the venv has, so that each target installs only what it needs.
STAMP = $(VENV)/.installed-$(1)

TCONV := $(VENV)/bin/tconv
BASELINE := reports/baselines/quick.jsonl
TEST_RESULTS := reports/latest/test-results.jsonl

.PHONY: test deep report baseline bench mutation lint clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) setuptools

$(call STAMP,%): pyproject.toml constraints.txt | $(VENV)/bin/python
	$(PIP) --no-build-isolation -e '.[$*]'
	touch $@

test: $(call STAMP,test) $(call STAMP,frameworks)
	$(PY) -m ruff check .
	$(TCONV) environments
	rm -f $(TEST_RESULTS)
	$(PY) -m pytest -n auto --dist loadgroup tests conformance/suite --results $(TEST_RESULTS)
	$(TCONV) gate --baseline $(BASELINE) --current $(TEST_RESULTS) --strict

# After a deliberate change of behaviour (a pin bumped, the oracle corrected): a new baseline
# from the last `make test`, to be reviewed in the diff and committed.
baseline: $(call STAMP,test)
	$(TCONV) baseline $(TEST_RESULTS) --out $(BASELINE)

# The randomized tests (the oracle's, the case-file loader's) with ten times the examples,
# fresh ones each run.
deep: $(call STAMP,test)
	TCONV_HYPOTHESIS_PROFILE=deep $(PY) -m pytest -n auto tests/oracle tests/test_userfile.py

# The conformance run (default profile): results.jsonl, report.json/.md/.html, the JUnit XML,
# the cross-framework table and the conventions document in reports/latest/, and the oracle's
# own report.
report: $(call STAMP,test) $(call STAMP,frameworks)
	$(TCONV) environments
	$(PY) -m tests.oracle.report --out reports/latest
	# Exit status 1 means checks found new discrepancies: the reports are still written.
	$(TCONV) run --profile default --cross -n auto --dist loadgroup -q -rfE || [ $$? -eq 1 ]
	# The conventions document from fresh probes (the committed one is checked by make test).
	$(TCONV) conventions --out reports/latest/CONVENTIONS.md

bench: $(call STAMP,test) $(call STAMP,bench)
	$(PY) benchmarks/oracle_vs_torch.py

mutation: $(call STAMP,test) $(call STAMP,mutation)
	rm -rf mutants
	$(VENV)/bin/mutmut run --max-children 2
	$(VENV)/bin/mutmut results

lint: $(call STAMP,test)
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) mutants reports/latest .hypothesis .pytest_cache
