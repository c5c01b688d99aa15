"""The memory estimate of a check (``cases.memory``): it grows with every size, covers what
the oracle really allocates, keeps the zoo within 1 GiB and refuses a case far above the cap."""

from __future__ import annotations

import dataclasses
import tracemalloc

import numpy as np
import pytest

from tconv.cases.case import DTYPES, Case, OutputShape
from tconv.cases.families import profile, zoo
from tconv.cases.memory import footprint, output_size, refusal
from tconv.oracle import conv_transpose, conv_transpose_grad, error_bound, geometry, gradient_bounds

GIB = 2**30
BASE = Case(family="user", name="base", batch=2, in_channels=8, out_channels=6, groups=2,
            input_size=(5, 7), kernel=(3, 3), stride=(2, 2), dilation=(1, 1),
            padding=((1, 1), (1, 1)), output_padding=(0, 0), bias=True)


@pytest.mark.parametrize("change", [
    dict(batch=3), dict(in_channels=10), dict(out_channels=8), dict(input_size=(6, 7)),
    dict(kernel=(3, 4)), dict(stride=(3, 2)), dict(dilation=(2, 1)), dict(output_padding=(1, 0)),
    dict(padding=((0, 1), (1, 1))), dict(dtype="float64"), dict(bias=True, out_channels=10),
], ids=str)
def test_footprint_grows_with_every_size(change):
    assert footprint(dataclasses.replace(BASE, **change)) > footprint(BASE)


def test_output_size_is_the_oracles_for_explicit_windows_and_covers_same():
    for case in profile("quick"):
        size = output_size(case)
        if isinstance(case.padding, tuple):
            assert size == geometry(case.input_size, case.kernel, stride=case.stride,
                                    dilation=case.dilation, padding=case.padding,
                                    output_padding=case.output_padding).output_size
        elif isinstance(case.padding, OutputShape):
            assert size == case.padding.size
        elif case.padding == "SAME":
            # TF, ONNX, Keras and JAX give n * stride
            assert all(o >= n * s for o, n, s in zip(size, case.input_size, case.stride))
    # a kernel smaller than the stride: SAME's n*s = 12 is longer than the full L = 10
    assert output_size(dataclasses.replace(BASE, input_size=(4, 4), kernel=(1, 1),
                                           stride=(3, 3), padding="SAME")) == (12, 12)


def _judge(case: Case) -> None:
    """What the oracle does for a forward and a gradient check of ``case``: the answer, its
    bound, the error in bound units; the gradients and their bounds."""
    x, w, b = case.arrays()
    kwargs = dict(stride=case.stride, dilation=case.dilation, groups=case.groups,
                  padding=case.padding, output_padding=case.output_padding)
    want = conv_transpose(x, w, b, **kwargs)
    bound = error_bound(x, w, b, dtype=case.dtype, **kwargs)
    got = want.astype(case.dtype).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        units = np.abs(got - want) / bound
    del got, units, bound
    grads = conv_transpose_grad(x, w, want, **kwargs)
    bounds = gradient_bounds(x, w, want, dtype=case.dtype, **kwargs)
    del grads, bounds


def _oracle_peak(case: Case) -> int:
    """Bytes NumPy holds at most while the oracle judges ``case`` (after a first run on a small
    case, so that one-time caches of NumPy's random generator are not counted)."""
    _judge(BASE)
    tracemalloc.start()
    try:
        _judge(case)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# Big per-tap products, small everything else: a 15x15 kernel on 16x16, cropped to 2x2.
PRODUCTS = Case(family="user", name="products", batch=1, in_channels=1, out_channels=16,
                groups=1, input_size=(16, 16), kernel=(15, 15), stride=(1, 1), dilation=(1, 1),
                padding=((14, 14), (14, 14)), output_padding=(0, 0), bias=False,
                dtype="float64")

# A big output from small inputs: kernel 1, stride 8.
OUTPUT = dataclasses.replace(PRODUCTS, name="output", input_size=(32, 32), kernel=(1, 1),
                             stride=(8, 8), padding=((0, 0), (0, 0)))


@pytest.mark.parametrize("case", [
    *(dataclasses.replace(c, dtype="float64") for c in zoo() if c.name in (
        "dcgan-g2-512to256-k4s2p1",               # the weight dominates
        "fcn-bilinear32-depthwise21-k64s32p16",   # products and output, depthwise
        "hifigan-v1-up3-128to64-k4s2p1",          # a long 1-D output
    )),
    PRODUCTS,
    OUTPUT,
], ids=lambda c: c.name)
def test_footprint_covers_what_the_oracle_allocates(case):
    assert _oracle_peak(case) <= footprint(case)


def test_every_zoo_case_is_within_one_gib_in_every_dtype():
    for case in zoo():
        for dtype in DTYPES:
            sized = dataclasses.replace(case, dtype=dtype)
            assert footprint(sized) < GIB, sized.id
            assert refusal(sized, GIB) == ""


def test_a_4096_square_input_with_256_channels_is_refused():
    case = Case(family="user", name="huge-4096", batch=1, in_channels=256, out_channels=256,
                groups=1, input_size=(4096, 4096), kernel=(4, 4), stride=(2, 2),
                dilation=(1, 1), padding=((1, 1), (1, 1)), output_padding=(0, 0), bias=True)
    # x alone is 256 * 4096**2 float64 values: 32 GiB
    assert footprint(case) >= 8 * 256 * 4096**2
    message = refusal(case, GIB)
    assert len(message.splitlines()) == 1
    assert message.startswith("user/huge-4096/float32: needs about ")
    assert "memory cap of 1,024.0 MiB" in message and "--memory-cap" in message
    assert refusal(case, footprint(case)) == ""
    assert refusal(case, footprint(case) - 1) != ""


def test_absurd_sizes_are_estimated_without_overflow():
    top = 2**31 - 1
    case = Case(family="user", name="absurd", batch=top, in_channels=top, out_channels=top,
                groups=1, input_size=(top,) * 3, kernel=(top,) * 3, stride=(top,) * 3,
                dilation=(top,) * 3, padding="SAME", output_padding=(top,) * 3, bias=True)
    assert footprint(case) > 2**248  # N * C_out * taps * positions alone: 2**(31*8)
    assert "needs about" in refusal(case, GIB)
