"""The error bound is honest: real low-precision computations stay inside it, and a result that
is off by a one-pixel shift is always outside it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import examples
from tconv.oracle import conv_transpose, error_bound, unit_roundoff
from tconv.oracle.bounds import gamma, term_counts
from tconv.oracle.transpose import geometry
from tests.oracle import formulations as f
from tests.oracle.strategies import Config, configs


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@settings(max_examples=examples(150))
@given(config=configs(min_output=1))
def test_low_precision_computation_stays_within_the_bound(config: Config, dtype) -> None:
    x, w, b = config.arrays(dtype)
    exact = conv_transpose(x, w, b, **config.kwargs())
    computed = f.zero_insertion(x, w, b, *config.formulation_args(), dtype=dtype)
    bound = error_bound(x, w, b, dtype=dtype, **config.kwargs())
    error = np.abs(computed.astype(np.float64) - exact)
    assert np.all(error <= bound), f"{(error / bound).max()} bound units"


@settings(max_examples=examples(150))
@given(config=configs(min_output=2), axis=st.integers(0, 2), step=st.sampled_from([-1, 1]))
def test_a_shifted_result_always_exceeds_the_bound(config: Config, axis: int, step: int) -> None:
    axis = 2 + axis % len(config.kernel)
    assume(config.output_size[axis - 2] >= 2)
    x, w, b = config.arrays(np.float32)
    exact = conv_transpose(x, w, b, **config.kwargs())
    shifted = np.roll(exact, step, axis=axis)
    # Only a shift that moves real values can be caught: skip outputs constant along the axis.
    assume(np.abs(shifted - exact).max() > 1e-3 * (np.abs(exact).max() + 1))
    bound = error_bound(x, w, b, dtype=np.float32, **config.kwargs())
    assert np.any(np.abs(shifted - exact) > bound)


def test_bound_values_by_hand() -> None:
    """One output element reached by 3 terms plus a bias, in float32."""
    x = np.array([[[1.0, -2.0, 3.0]]])
    w = np.array([[[0.5, 0.25, -1.0]]])
    b = np.array([4.0])
    u = 2.0**-24
    bound = error_bound(x, w, b, dtype="float32", padding=2)  # the middle element only
    # |b| + sum |x w| = 4 + (1*1 + 2*0.25 + 3*0.5) = 7, reached by n = 3 products
    gamma4 = 4 * u / (1 - 4 * u)
    computed = gamma4 * 7 + 4 * 2.0**-150
    expected = computed + u * (7 + computed) + 2.0**-150
    assert bound.shape == (1, 1, 1)
    assert bound[0, 0, 0] == pytest.approx(expected, rel=1e-15, abs=0)


def test_input_rounding_and_accumulation_widen_the_bound() -> None:
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((1, 2, 5)), rng.standard_normal((2, 3, 3))
    plain = error_bound(x, w, dtype="float32", stride=2)
    tf32 = error_bound(x, w, dtype="float32", stride=2, input_rounding="tf32")
    f16acc = error_bound(x, w, dtype="float32", stride=2, accumulation="float16")
    magnitude = conv_transpose(np.abs(x), np.abs(w), stride=2)
    v = 2.0**-11
    assert np.all(tf32 - plain >= (2 * v + v * v) * magnitude * (1 - 1e-12))
    assert np.all(f16acc > plain * 100)


def test_unit_roundoffs() -> None:
    assert unit_roundoff(np.float64) == 2.0**-53
    assert unit_roundoff("float32") == 2.0**-24
    assert unit_roundoff(np.float16) == 2.0**-11
    assert unit_roundoff("bfloat16") == 2.0**-8
    assert unit_roundoff("tf32") == 2.0**-11
    with pytest.raises(ValueError, match="dtype must be one of"):
        unit_roundoff("int8")


def test_gamma_is_infinite_when_the_bound_breaks_down() -> None:
    """At ``n*u >= 1`` there is no bound: gamma is +inf there, quietly (no division warning
    from the breakdown it reports)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = gamma(np.array([1, 2047, 2048, 4096]), 2.0**-11)
    np.testing.assert_array_equal(got, [1 / 2047, 2047.0, np.inf, np.inf])


def test_term_counts_are_exact_per_axis() -> None:
    # stride 2, kernel 3: positions 0..6 of full are reached by 1,1,2,1,2,1,1 taps (n = 3)
    g = geometry((3,), (3,), stride=2, padding=((1, 0),), output_padding=2)
    np.testing.assert_array_equal(term_counts(g, 2), 2 * np.array([1, 2, 1, 2, 1, 1, 0, 0]))
    g2 = geometry((2, 1), (2, 2), stride=(1, 2), dilation=(1, 2))
    np.testing.assert_array_equal(term_counts(g2, 1), [[1, 0, 1], [2, 0, 2], [1, 0, 1]])


@settings(max_examples=examples(100))
@given(config=configs(min_output=1))
def test_float32_gradients_stay_within_their_bounds(config: Config) -> None:
    """dx = C dy with C the forward convolution's matrix (y = Cᵀ x), and dbias = the sum of dy,
    computed in float32, against the oracle's gradients and gradient_bounds."""
    from tconv.oracle import conv_transpose_grad, gradient_bounds

    x, w, _ = config.arrays(np.float32)
    dy = np.random.default_rng(config.seed + 3).standard_normal(
        (config.batch, config.groups * config.out_per_group, *config.output_size)
    ).astype(np.float32)
    exact = conv_transpose_grad(x, w, dy, **config.kwargs())
    bounds = gradient_bounds(x, w, dy, dtype="float32", **config.kwargs())
    c = f.forward_matrix(w, x.shape[2:], config.output_size, config.stride, config.dilation,
                         config.pads, config.output_padding, config.groups).astype(np.float32)
    dx = (c @ dy.reshape(config.batch, -1).T).T.reshape(x.shape)
    db = dy.sum(axis=(0, *range(2, dy.ndim)), dtype=np.float32)
    for name, got, want, bound in (("dx", dx, exact.x, bounds.x),
                                   ("dbias", db, exact.bias, bounds.bias)):
        error = np.abs(got.astype(np.float64) - want)
        assert np.all(error <= bound), f"{name}: {(error / bound).max()} bound units"
    assert bounds.w.shape == w.shape and np.all(bounds.w > 0)


# Unit roundoff and half the smallest subnormal per format (IEEE 754 binary64/32/16; bfloat16
# has float32's exponent and 8 significand bits; TF32 float32's exponent and 11 bits).
UNITS = {"float64": (2.0**-53, 2.0**-1075), "float32": (2.0**-24, 2.0**-150),
         "float16": (2.0**-11, 2.0**-25), "bfloat16": (2.0**-8, 2.0**-134),
         "tf32": (2.0**-11, 2.0**-150)}


def reference_bound(m, n, b, dtype, accumulation, input_rounding):
    """``semantics.md`` §4 element by element: gamma(n+1) * (|b| + (1+v)^2 sum|x w|) for the
    sum, (2v + v^2) sum|x w| for the inputs' rounding, (n+1) half-subnormals for underflow, and
    the final rounding u_out * (|b| + sum|x w| + error) plus one half-subnormal."""
    u_out, tiny_out = UNITS[dtype]
    u_acc, tiny_acc = UNITS[accumulation or dtype]
    v = UNITS[input_rounding][0] if input_rounding else 0.0
    nu = (n + 1) * u_acc
    with np.errstate(divide="ignore", invalid="ignore"):
        gam = np.where(nu < 1, nu / (1 - nu), np.inf)
        error = (2 * v + v * v) * m + (gam * (b + (1 + v) ** 2 * m) + (n + 1) * tiny_acc)
        return error + u_out * (b + m + error) + tiny_out


FORMAT_CHOICES = st.sampled_from([("float32", None, None), ("float32", None, "tf32"),
                                  ("float16", "float32", None), ("bfloat16", None, "tf32"),
                                  ("float64", None, None), ("float32", "float16", "tf32")])


@settings(max_examples=examples(100))
@given(config=configs(), formats=FORMAT_CHOICES, zeros=st.booleans())
def test_bound_values_against_the_formula(config: Config, formats, zeros: bool) -> None:
    """error_bound element by element against the formula, with sum |x w| and the number of
    products counted by the direct loop; zeros in x leave elements whose bound is only the
    underflow terms."""
    x, w, b = config.arrays()
    if zeros:
        x[..., : x.shape[-1] // 2 + 1] = 0.0
    args = config.formulation_args()
    m = f.direct(np.abs(x), np.abs(w), None, *args)
    n = f.direct(np.ones_like(x), np.ones_like(w), None, *args)
    bb = 0.0 if b is None else np.abs(b).reshape(-1, *[1] * len(config.kernel))
    dtype, accumulation, input_rounding = formats
    bound = error_bound(x, w, b, dtype=dtype, accumulation=accumulation,
                        input_rounding=input_rounding, **config.kwargs())
    assert bound.shape == m.shape
    np.testing.assert_allclose(bound, reference_bound(m, n, bb, *formats), rtol=1e-12, atol=0)


@settings(max_examples=examples(60))
@given(config=configs(min_output=1), formats=FORMAT_CHOICES)
def test_gradient_bound_values_against_the_formula(config: Config, formats) -> None:
    """gradient_bounds against the same formula, with the gradients of |x|, |w|, |dy| from
    the forward convolution's matrix and loops, and the documented counts."""
    from tconv.oracle import gradient_bounds

    x, w, _ = config.arrays()
    dy = np.random.default_rng(config.seed + 5).standard_normal(
        (config.batch, config.groups * config.out_per_group, *config.output_size))
    dy[:, :, :1] = 0.0
    args = dict(stride=config.stride, dilation=config.dilation, pads=config.pads,
                groups=config.groups)
    c = f.forward_matrix(np.abs(w), x.shape[2:], config.output_size,
                         output_padding=config.output_padding, **args)
    mx = (c @ np.abs(dy).reshape(config.batch, -1).T).T.reshape(x.shape)
    mw = f.weight_gradient(np.abs(x), np.abs(dy), config.kernel, **args)
    mb = np.abs(dy).sum(axis=(0, *range(2, dy.ndim)))
    taps, inputs = np.prod(config.kernel), np.prod(config.input_size)
    counts = (config.out_per_group * taps, config.batch * inputs,
              config.batch * np.prod(config.output_size))
    bounds = gradient_bounds(x, w, dy, dtype=formats[0], accumulation=formats[1],
                             input_rounding=formats[2], **config.kwargs())
    for name, got, m, n in zip(("dx", "dw", "dbias"), bounds, (mx, mw, mb), counts):
        assert got.shape == m.shape, name
        np.testing.assert_allclose(got, reference_bound(m, float(n), 0.0, *formats),
                                   rtol=1e-12, atol=0, err_msg=name)


@pytest.mark.parametrize("per_position", [False, True])
def test_bound_values_do_not_depend_on_the_memory_layout(per_position: bool) -> None:
    """The bound's arithmetic reads its magnitudes in whatever layout they come (the scatter's
    channel-major output, the gradients' transposed views, or any strided array): every layout
    gives the formula's values, element for element."""
    from tconv.oracle.bounds import _bound

    rng = np.random.default_rng(3)
    base = np.abs(rng.standard_normal((6, 5, 4, 7)))
    n = rng.integers(0, 9, (4, 7)).astype(float) if per_position else 5.0
    b = np.abs(rng.standard_normal((5, 1, 1))) if per_position else 0.0
    expected = reference_bound(base, n, b, "float32", None, "tf32")
    layouts = {"C": base.copy(), "F": np.asfortranarray(base),
               "channel-major": base.swapaxes(0, 1).copy().swapaxes(0, 1),
               "reversed": base.transpose(3, 2, 1, 0).copy().transpose(3, 2, 1, 0),
               "strided": np.repeat(base, 2, axis=2)[:, :, ::2]}
    for name, magnitude in layouts.items():
        got = _bound(magnitude, n, b, "float32", None, "tf32")
        np.testing.assert_allclose(got, expected, rtol=1e-14, atol=0, err_msg=name)


def test_bounds_of_a_layer_larger_than_a_block() -> None:
    """The bound's arithmetic runs in blocks of rows; on a layer of many blocks (332,928
    outputs, 36,864 dx elements) with a bias, every element still gets the formula's value."""
    from tconv.oracle import conv_transpose_grad, gradient_bounds

    rng = np.random.default_rng(17)
    x, w = rng.standard_normal((4, 4, 48, 48)), rng.standard_normal((4, 32, 8, 8))
    b = rng.standard_normal(32)
    m = conv_transpose(np.abs(x), np.abs(w), padding=2)
    n = conv_transpose(np.ones_like(x), np.ones_like(w), padding=2)
    bound = error_bound(x, w, b, dtype="float32", input_rounding="tf32", padding=2)
    expected = reference_bound(m, n, np.abs(b).reshape(-1, 1, 1), "float32", None, "tf32")
    np.testing.assert_allclose(bound, expected, rtol=1e-12, atol=0)
    dy = rng.standard_normal(m.shape)
    magnitudes = conv_transpose_grad(np.abs(x), np.abs(w), np.abs(dy), padding=2)
    counts = (32 * 64, 4 * 48 * 48, 4 * 51 * 51)
    bounds = gradient_bounds(x, w, dy, dtype="float16", padding=2)
    for got, mag, count in zip(bounds, magnitudes, counts):
        np.testing.assert_allclose(got, reference_bound(mag, float(count), 0.0, "float16",
                                                        None, None), rtol=1e-12, atol=0)


def test_gradient_bounds_of_an_integer_dy_at_its_minimum() -> None:
    """``dy`` as int8 holding -128: its magnitude is 128, which int8 arithmetic cannot hold
    (``abs`` wraps it back to -128), so the bound must take magnitudes in float64."""
    from tconv.oracle import gradient_bounds

    x, w = np.ones((1, 1, 2)), np.ones((1, 1, 2))
    dy = np.full((1, 1, 3), -128, dtype=np.int8)
    as_float = gradient_bounds(x, w, dy.astype(np.float64), dtype="float32")
    for got, expected in zip(gradient_bounds(x, w, dy, dtype="float32"), as_float):
        np.testing.assert_array_equal(got, expected)
    assert (as_float.x > 256 * 2.0**-24).all()  # each dx sums two products of magnitude 128
