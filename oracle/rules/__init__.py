"""Each framework's padding vocabulary, translated to the canonical ``(begin, end,
output_padding)`` of ``oracle.conv_transpose``, one module per framework.

Every module works per spatial axis and offers:

- functions from the framework's own parameters to a ``Canonical`` triple (its documented rule,
  cited where it is encoded);
- ``limits(...)``: the framework's documented restrictions, raising ``RuleViolation``; these are
  the framework's rules, not the operation's, so the oracle itself never applies them;
- ``express(...)``: the framework parameters that give a canonical configuration, or
  ``NotExpressible`` with the reason.

A rule that needs the input size, kernel, stride or dilation takes them as ``Axis``.
"""

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation

__all__ = ["Axis", "Canonical", "NotExpressible", "RuleViolation"]
