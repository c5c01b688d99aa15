"""Caffe's Deconvolution vocabulary (``oracle.rules.caffe``) against ``compute_output_shape``
in Caffe's ``deconv_layer.cpp``: ``stride*(in - 1) + dilation*(k - 1) + 1 - 2*pad``, one
symmetric crop per axis, no output_padding; ``express`` spells exactly those windows."""

from __future__ import annotations

import itertools

import pytest

from tconv.oracle.rules import Axis, Canonical, NotExpressible, RuleViolation
from tconv.oracle.rules import caffe as rules

AXES = [Axis(n, k, s, d) for n, k, s, d in
        itertools.product((1, 2, 3, 5), (1, 2, 3, 4, 5), (1, 2, 3), (1, 2))]


def test_compute_output_shape() -> None:
    for axis in AXES:
        for p in range(3):
            size = axis.s * (axis.n - 1) + axis.d * (axis.k - 1) + 1 - 2 * p
            assert rules.pad(p).size(axis) == size


def test_fcn_bilinear_upsampling_keeps_factor_times_input() -> None:
    # FCN's bilinear layers: kernel 2f - f%2, stride f, pad ceil((f - 1)/2): f*n elements
    for f, n in itertools.product(range(2, 9), (1, 4, 7)):
        axis = Axis(n, 2 * f - f % 2, f)
        assert rules.pad(-(-(f - 1) // 2)).size(axis) == f * n


def test_express_spells_symmetric_crops_only() -> None:
    for axis in AXES:
        for begin, end, a in itertools.product(range(-1, 4), range(-1, 4), range(3)):
            want = Canonical(begin, end, a)
            c = want.normalized()
            if c.output_padding or c.begin != c.end or c.begin < 0 or want.size(axis) < 1:
                with pytest.raises(NotExpressible):
                    rules.express(axis, want)
                continue
            assert rules.pad(rules.express(axis, want)["pad"]).same_window(want)


def test_pad_is_unsigned() -> None:
    rules.limits(0)
    with pytest.raises(RuleViolation):
        rules.limits(-1)
