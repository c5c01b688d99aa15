"""The canonical form every padding vocabulary is translated into (``semantics.md`` §1)."""

from __future__ import annotations

from dataclasses import dataclass


class RuleViolation(ValueError):
    """A configuration that a framework's documented rules forbid (the operation allows it)."""


class NotExpressible(ValueError):
    """A canonical configuration that a framework's vocabulary cannot spell."""


@dataclass(frozen=True)
class Axis:
    """One spatial axis of a transposed convolution: input size ``n``, kernel ``k``, stride
    ``s``, dilation ``d``."""

    n: int
    k: int
    s: int = 1
    d: int = 1

    @property
    def dilated_kernel(self) -> int:
        """``d*(k - 1) + 1``: the span of the dilated kernel."""
        return self.d * (self.k - 1) + 1

    @property
    def full(self) -> int:
        """``L = (n - 1)*s + d*(k - 1) + 1``: the length of the uncropped result."""
        return (self.n - 1) * self.s + self.dilated_kernel


@dataclass(frozen=True)
class Canonical:
    """The output window of one axis: from ``begin`` into the full result, of length
    ``L - begin - end + output_padding``, zero outside the full result."""

    begin: int
    end: int
    output_padding: int = 0

    def size(self, axis: Axis) -> int:
        return axis.full - self.begin - self.end + self.output_padding

    def normalized(self) -> Canonical:
        """The same window with ``end`` and ``output_padding`` not both positive: output_padding
        first selects what ``end`` cropped, so only their difference matters."""
        net = self.end - self.output_padding
        return Canonical(self.begin, max(net, 0), max(-net, 0))

    def same_window(self, other: Canonical) -> bool:
        return self.normalized() == other.normalized()

    def zeros_as_output_padding(self) -> Canonical:
        """The same window with a negative ``end`` (zeros past the full result) spelled as
        ``output_padding``; a crop at the end stays a crop, so a configuration's own
        ``output_padding`` is kept where a vocabulary can spell it."""
        return Canonical(self.begin, max(self.end, 0), self.output_padding + max(-self.end, 0))


def crop(total: int, odd_at_end: bool = True, output_padding: int = 0) -> Canonical:
    """``total`` elements cropped from the full result, half from each end and the odd one at
    the end (or, ``odd_at_end`` false, the beginning); a negative total crops nothing and
    extends ``-total`` at the end instead; then ``output_padding`` extended at the end. The
    split that SAME-like modes share (ONNX, Keras, MindSpore, OpenVINO, Equinox)."""
    cropped = max(total, 0)
    begin = cropped // 2 if odd_at_end else cropped - cropped // 2
    return Canonical(begin, cropped - begin, output_padding + max(-total, 0))
