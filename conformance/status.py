"""How a check ended: one enum for the judge, the registry, the results, the gate, the reports
and the reproducers.

A ``StrEnum``: a member is its own string (``Status.PASS == "pass"``), so results lines and
``report.json`` hold plain strings and read back into the enum with ``Status(text)``.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """The statuses, in the order reports list them."""

    PASS = "pass"                 # the documented shape, every element within the bound; or a
    #                               case the framework's rules forbid, refused
    KNOWN = "known"               # a registered discrepancy; the row's ``observed`` keeps the
    #                               judge's own status
    PRECISION = "precision"       # above the bound, below 1% of the output's largest magnitude
    MISMATCH = "mismatch"         # above the bound by more than that
    SHAPE = "shape"               # not the documented shape
    ERROR = "error"               # raised on a configuration its rules allow
    ACCEPTED_INVALID = "accepted-invalid"  # computed a configuration its rules forbid
    CRASH = "crash"               # the worker process died
    TIMEOUT = "timeout"           # the worker did not answer within --check-timeout
    UNSUPPORTED = "unsupported"   # the entry point cannot express the case (or it is too large)

    @property
    def failing(self) -> bool:
        """Whether a check ending so (unregistered) is a discrepancy."""
        return self in FAILING


# Statuses that are discrepancies when no registry entry expects them.
FAILING = frozenset({Status.PRECISION, Status.MISMATCH, Status.SHAPE, Status.ERROR,
                     Status.ACCEPTED_INVALID, Status.CRASH, Status.TIMEOUT})
# Statuses of a check that found nothing to register (no reproducer, no registry match).
CLEAN = frozenset({Status.PASS, Status.UNSUPPORTED})
# Statuses a framework call can end in without values (the worker's end, or a refusal).
NO_ANSWER = frozenset({Status.CRASH, Status.TIMEOUT})
# Value statuses in increasing severity: the worst of several comparisons (gradients) wins.
SEVERITY = (Status.PASS, Status.PRECISION, Status.MISMATCH, Status.SHAPE)

# The statuses' names, in order (schemas, tables).
STATUSES = tuple(Status)
