"""The conformance engine: the one check pipeline (``pipeline``: plan, inputs, the framework's
worker, the oracle, the judge, the results row), its ``Status``, the ``judge``, the
``registry`` of known discrepancies (``known_issues.toml``, with ``predicate`` for its rules),
the ``results`` record, the cross-framework table (``cross``), the ``explore``-ation, and the
pytest plugin (``plugin``, registered as the ``tconv`` entry point of ``pytest11``) whose
suite (``conformance/suite``) ``tconv run`` starts.

It sits above ``oracle``, ``cases`` and ``adapters`` and below ``reports`` and the command
line; it names no framework (everything it knows of one comes from ``adapters``).
"""
