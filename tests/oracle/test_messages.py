"""Defaults, and the exact words of every refusal: what a user reads must say why."""

from __future__ import annotations

import numpy as np
import pytest

from tconv.oracle import conv, conv_transpose, conv_transpose_grad, error_bound, geometry
from tconv.oracle.rules import (
    Axis,
    Canonical,
    NotExpressible,
    RuleViolation,
    caffe,
    equinox,
    flax,
    jax,
    keras,
    mindspore,
    mlx,
    onnx,
    openvino,
    paddle,
    pytensor,
    pytorch,
    tensorflow,
    tinygrad,
)

RNG = np.random.default_rng(3)
X = RNG.standard_normal((2, 4, 5, 3))
W = RNG.standard_normal((4, 3, 2, 3))


def test_defaults_are_the_plain_operation() -> None:
    plain = dict(stride=1, padding=0, output_padding=0, dilation=1, groups=1)
    np.testing.assert_array_equal(conv_transpose(X, W), conv_transpose(X, W, None, **plain))
    wf = RNG.standard_normal((3, 4, 2, 3))
    np.testing.assert_array_equal(conv(X, wf), conv(X, wf, None, stride=1, padding=0,
                                                       dilation=1, groups=1))
    dy = RNG.standard_normal((2, 3, 6, 5))
    for a, b in zip(conv_transpose_grad(X, W, dy), conv_transpose_grad(X, W, dy, **plain)):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(error_bound(X, W, dtype="float32"),
                                  error_bound(X, W, dtype="float32", accumulation="float32",
                                              input_rounding=None, **plain))
    assert geometry((3,), (3,)).output_size == (5,)    # stride 1, no padding, dilation 1
    assert Axis(3, 2) == Axis(3, 2, 1, 1)
    assert Canonical(1, 2) == Canonical(1, 2, 0)
    assert pytorch.padding(2) == Canonical(2, 2, 0)
    assert onnx.conv_transpose(Axis(3, 2, 2)) == Canonical(0, 0, 0)
    assert keras.padding(Axis(3, 2, 2), "valid") == keras.padding(Axis(3, 2, 2), "valid", None)
    assert tensorflow.output_shape(Axis(3, 2, 2), "EXPLICIT", 6) == Canonical(0, 0, 0)
    assert jax.conv_transpose(Axis(3, 2, 2), (1, 1)) == Canonical(0, 0, 0)
    # the other vocabularies: no output_padding unless given, OpenVINO's auto_pad explicit
    for pads in (paddle.pads, mindspore.pads, tinygrad.pads, equinox.pads):
        assert pads(1, 2) == Canonical(1, 2, 0)
    assert mlx.padding(1) == Canonical(1, 1, 0)
    assert equinox.mode(Axis(3, 3, 2), "VALID") == Canonical(0, 0, 0)
    assert equinox.mode(Axis(3, 1, 2), "SAME") == equinox.mode(Axis(3, 1, 2), "SAME", 0)
    assert openvino.backprop_data(Axis(3, 3, 2), pads=(1, 2)) == Canonical(1, 2, 0)
    # keras.express defaults to the op, which allows what the layer refuses
    assert keras.express(Axis(3, 3, 2, 2), Canonical(0, 0, 0)) == {"padding": "valid",
                                                                   "output_padding": None}


def test_error_bound_by_hand_without_bias_and_with_tf32() -> None:
    x = np.array([[[1.0, -2.0, 3.0]]])
    w = np.array([[[0.5, 0.25, -1.0]]])
    u, v, tiny = 2.0**-24, 2.0**-11, 2.0**-150
    magnitude = 1 * 1 + 2 * 0.25 + 3 * 0.5           # the middle element: 3 products
    gamma4 = 4 * u / (1 - 4 * u)
    computed = gamma4 * magnitude + 4 * tiny
    expected = computed + u * (magnitude + computed) + tiny
    assert error_bound(x, w, dtype="float32", padding=2)[0, 0, 0] == pytest.approx(
        expected, rel=1e-15, abs=0)
    rounded = (2 * v + v * v) * magnitude
    computed = rounded + gamma4 * (1 + v) ** 2 * magnitude + 4 * tiny
    expected = computed + u * (magnitude + computed) + tiny
    assert error_bound(x, w, dtype="float32", padding=2, input_rounding="tf32")[0, 0, 0] == (
        pytest.approx(expected, rel=1e-15, abs=0))
    u16, tiny16 = 2.0**-11, 2.0**-25
    gamma4 = 4 * u16 / (1 - 4 * u16)
    computed = gamma4 * magnitude + 4 * tiny16
    expected = computed + u * (magnitude + computed) + tiny
    assert error_bound(x, w, dtype="float32", padding=2, accumulation="float16")[0, 0, 0] == (
        pytest.approx(expected, rel=1e-15, abs=0))


def test_error_bound_is_infinite_where_the_model_breaks_down() -> None:
    x, w = np.ones((1, 2048, 1)), np.ones((2048, 1, 1))
    assert np.isinf(error_bound(x, w, dtype="float16")).all()
    assert np.isfinite(error_bound(x, w, dtype="float16", accumulation="float32")).all()


@pytest.mark.parametrize(("call", "message"), [
    (lambda: conv(X, W.transpose(1, 0, 2, 3), stride=0), "stride must be >= 1, got 0"),
    (lambda: conv(X, W.transpose(1, 0, 2, 3), dilation=0), "dilation must be >= 1, got 0"),
    (lambda: conv(X, W.transpose(1, 0, 2, 3), padding=(1,)),
     "padding needs 2 entries (one per spatial dim), got 1"),
    (lambda: conv(X, W.transpose(1, 0, 2, 3), np.ones(2)), "bias must have shape (3,), got (2,)"),
    (lambda: conv_transpose_grad(X, W, np.ones((2, 3, 6, 5)), dilation=0),
     "dilation must be >= 1, got 0"),
    (lambda: conv_transpose_grad(X, W, np.ones((2, 3, 6, 5), dtype=complex)),
     "dy must be real, got dtype complex128"),
    (lambda: conv_transpose_grad(X, W, np.ones((2, 3, 6, 5)), output_padding=-1),
     "output_padding must be >= 0, got -1"),
    (lambda: error_bound(X, W, dtype="int8"),
     "dtype must be one of ['bfloat16', 'float16', 'float32', 'float64', 'tf32'], got 'int8'"),
    (lambda: error_bound(X, W, dtype="float32", accumulation="half"),
     "dtype must be one of ['bfloat16', 'float16', 'float32', 'float64', 'tf32'], got 'half'"),
    (lambda: error_bound(X, W, dtype="float32", padding=((9, 9), (0, 0))),
     "padding crops more than the full result: output size (-12, 5)"),
])
def test_messages_name_the_argument(call, message) -> None:
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == message


@pytest.mark.parametrize(("express", "message"), [
    (lambda: pytorch.express(Axis(3, 3, 2), Canonical(-1, 0)),
     "padding cannot be negative: no leading zeros (begin < 0)"),
    (lambda: pytorch.express(Axis(3, 3, 2), Canonical(0, 1)),
     "padding crops both ends alike and output_padding only extends: end cannot crop more "
     "than begin"),
    (lambda: pytorch.express(Axis(3, 3, 2, 3), Canonical(0, 0, 3)),
     "output_padding 3 must be smaller than stride 2 or dilation 3"),
    (lambda: pytorch.express(Axis(1, 3, 2), Canonical(2, 1)), "PyTorch refuses an empty output"),
    (lambda: onnx.express(Axis(3, 3, 2), Canonical(-1, 0)),
     "pads are non-negative: no leading zeros (begin < 0)"),
    (lambda: onnx.express(Axis(3, 3, 2, 3), Canonical(0, 1, 4)),
     "3 zeros past the end need output_padding >= max(stride, dilation)"),
    (lambda: tensorflow.express(Axis(3, 3, 2), Canonical(-1, 0), "EXPLICIT"),
     "explicit paddings are non-negative: no leading zeros"),
    (lambda: tensorflow.express(Axis(3, 3, 2), Canonical(0, 0, 3), "VALID"),
     "output_shape 10 is refused with VALID: Size of out_backprop doesn't match computed: "
     "actual = 3, computed = 4"),
    (lambda: tensorflow.express(Axis(3, 3, 2), Canonical(1, 0, 0), "SAME"),
     "SAME with output_shape 6 gives begin 0, end 1, output_padding 0"),
    (lambda: keras.express(Axis(3, 3, 2), Canonical(2, 0)),
     "Keras crops only a fixed split (valid: none; same: half, the odd one at the end) of a "
     "total set by the output length 5"),
    (lambda: keras.express(Axis(3, 3, 2), Canonical(0, 0, 3), layer=True),
     "Keras crops only a fixed split (valid: none; same: half, the odd one at the end) of a "
     "total set by the output length 10 (valid/3: `output_padding` must be strictly less than "
     "`strides`; same/5: `output_padding` must be strictly less than `strides`)"),
    (lambda: jax.express(Axis(1, 3, 2), Canonical(5, 5)),
     "Negative padding is larger than the size of the corresponding dimension"),
    (lambda: flax.circular(Axis(3, 2, 2, 2)),
     "'CIRCULAR' wraps the VALID result around a period of n*s = 6: with a dilated kernel of 3 "
     "> stride 2 elements 6 apart are summed, which is no window of the full result"),
    (lambda: paddle.express(Axis(3, 3, 2), Canonical(-1, 0)),
     "padding cannot be negative: no leading zeros (begin < 0)"),
    (lambda: paddle.express(Axis(3, 3, 2, 3), Canonical(0, 0, 3)),
     "output_padding 3 must be smaller than stride 2 or dilation 3"),
    (lambda: paddle.express(Axis(1, 1), Canonical(1, 0)), "the window has no element"),
    (lambda: mindspore.express(Axis(3, 3, 2), Canonical(-1, 0)),
     "padding cannot be negative: no leading zeros (begin < 0)"),
    (lambda: mindspore.express(Axis(1, 1), Canonical(0, 1)), "the window has no element"),
    (lambda: mindspore.express(Axis(3, 3, 2), Canonical(0, 0, 1), 1),
     "Conv1dTranspose has no output_padding"),
    (lambda: mindspore.express(Axis(3, 3, 2), Canonical(1, 2), 1),
     "Conv1dTranspose takes one padding for both ends"),
    (lambda: mindspore.express(Axis(3, 3, 2, 3), Canonical(0, 0, 3)),
     "output_padding 3 must be smaller than stride 2 or dilation 3"),
    (lambda: caffe.express(Axis(3, 3, 2), Canonical(1, 2)),
     "Caffe's Deconvolution crops `pad` from both ends: no asymmetric crop and no "
     "output_padding"),
    (lambda: caffe.express(Axis(3, 3, 2), Canonical(-1, -1)), "pad is non-negative"),
    (lambda: caffe.express(Axis(1, 1), Canonical(1, 1)), "the window has no element"),
    (lambda: openvino.express(Axis(1, 1), Canonical(0, 1)), "the window has no element"),
    (lambda: openvino.express(Axis(3, 3, 2), Canonical(-1, 0)),
     "pads are non-negative: no zeros before the result (begin < 0)"),
    (lambda: tinygrad.express(Axis(1, 1), Canonical(1, 1)),
     "the crop is larger than the full result"),
    (lambda: equinox.express(Axis(1, 1), Canonical(1, 0)), "the window has no element"),
    (lambda: mlx.express(Axis(3, 3, 2), Canonical(-1, -1)),
     "MLX's padding is symmetric input padding: no leading zeros (begin < 0)"),
    (lambda: mlx.express(Axis(3, 3, 2), Canonical(0, 1)),
     "padding crops both ends alike and output_padding only extends: end cannot crop more "
     "than begin"),
    (lambda: mlx.express(Axis(1, 1), Canonical(1, 1, 1)), "the window has no element"),
    (lambda: pytensor.express([Axis(3, 2)], [Canonical(1, 0)]),
     "only the windows of 'full', 'valid' and 'same' (one mode for every axis)"),
])
def test_not_expressible_says_why(express, message) -> None:
    with pytest.raises(NotExpressible) as info:
        express()
    assert str(info.value) == message


def test_zero_inputs_leave_only_the_underflow_terms() -> None:
    x, w = np.zeros((1, 2, 3)), np.zeros((2, 1, 2))
    bound = error_bound(x, w, dtype="float32")
    n = np.array([2, 4, 4, 2])                         # products reaching each element
    computed = (n + 1) * 2.0**-150
    expected = computed + 2.0**-24 * computed + 2.0**-150
    np.testing.assert_array_equal(bound[0, 0], expected)


def test_padding_forms_and_input_kinds() -> None:
    """One int per dim, pairs, and mixed; integer, unsigned, boolean and bfloat16 inputs."""
    import ml_dtypes

    x, w = RNG.standard_normal((1, 2, 4, 5)), RNG.standard_normal((2, 2, 3, 3))
    np.testing.assert_array_equal(conv_transpose(x, w, padding=(1, 2)),
                                  conv_transpose(x, w, padding=((1, 1), (2, 2))))
    np.testing.assert_array_equal(conv_transpose(x, w, padding=(1, (0, 2))),
                                  conv_transpose(x, w, padding=((1, 1), (0, 2))))
    ones = np.ones((1, 1, 3))
    for kind in (np.uint8, np.int16, bool):
        np.testing.assert_array_equal(conv_transpose(ones.astype(kind), np.ones((1, 1, 2))),
                                      [[[1, 2, 2, 1]]])
    b16 = np.array([[[1.5, -2.25]]], dtype=ml_dtypes.bfloat16)
    np.testing.assert_array_equal(conv_transpose(b16, np.ones((1, 1, 1))), [[[1.5, -2.25]]])
    with pytest.raises(ValueError) as info:
        conv_transpose(x, w, np.ones(2, dtype=complex))
    assert str(info.value) == "bias must be real, got dtype complex128"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"stride": (1, 1.5)}, "stride must be an integer, got 1.5"),
    ({"padding": ((1.5, 0), (0, 0))}, "padding must be an integer, got 1.5"),
    ({"padding": ((0, 0), (0, 0.5))}, "padding must be an integer, got 0.5"),
    ({"padding": (0, 2.5)}, "padding must be an integer, got 2.5"),
    ({"padding": ("a", 0)}, "padding must be an integer, got 'a'"),
])
def test_messages_name_the_argument_inside_sequences(kwargs, message) -> None:
    with pytest.raises(ValueError) as info:
        conv_transpose(RNG.standard_normal((1, 2, 4, 5)), RNG.standard_normal((2, 2, 3, 3)),
                       **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize(("call", "message"), [
    (lambda: pytorch.limits(Axis(2, 3, 2), 0, 2),
     "output padding must be smaller than either stride or dilation"),
    (lambda: pytorch.limits(Axis(1, 1), 1, 0), "output size is too small"),
    (lambda: pytorch.limits(Axis(1, 1), -1, 0), "negative padding is not supported"),
    (lambda: pytorch.limits(Axis(1, 1), 0, -1), "negative output_padding is not supported"),
    (lambda: onnx.limits(Axis(2, 3, 2), "NOTSET", (-1, 0), 0),
     "pads must not contain negative values"),
    (lambda: onnx.limits(Axis(2, 3, 2), "VALID", (0, 1), 0),
     "The pads attribute cannot be used simultaneously with auto_pad"),
    (lambda: onnx.limits(Axis(2, 3, 2), "NOTSET", (0, 0), 2),
     "output_padding must be less than the stride/dilation"),
    (lambda: keras.layer_limits(Axis(2, 3, 2), "same", -1),
     "output_padding must satisfy `value >= 0`"),
    (lambda: keras.layer_limits(Axis(2, 3, 2, 2), "same", None),
     "`strides > 1` not supported in conjunction with `dilation_rate > 1`"),
    (lambda: tensorflow.output_shape(Axis(2, 3, 2), "EXPLICIT", 3, (0, -1)),
     "All elements of explicit_paddings must be nonnegative"),
    (lambda: tensorflow.output_shape(Axis(1, 5, 1), "VALID", 2),
     "Computed output size would be negative"),
    (lambda: tensorflow.output_shape(Axis(3, 3, 2), "EXPLICIT", -1, (4, 4)),
     "Dimension -1 must be >= 0"),
    # C++ division truncates: (1 - 5 + 3) / 3 is 0, not -1, so the sizes differ instead
    (lambda: tensorflow.output_shape(Axis(1, 5, 3), "VALID", 1),
     "Size of out_backprop doesn't match computed: actual = 1, computed = 0"),
    (lambda: keras.layer_case_limits([Axis(3, 2, 2), Axis(3, 2, 1, 2)]),
     "`strides > 1` not supported in conjunction with `dilation_rate > 1`"),
    (lambda: paddle.limits(Axis(4, 3, 2), 0, -1, 0, dims=2),
     "Invalid padding, all value should be larger than or equal to 0"),
    (lambda: paddle.limits(Axis(4, 3, 2), 0, 0, -1, dims=2),
     "output_padding of Op(ConvTransposeOp) should not be less than the 0"),
    (lambda: paddle.limits(Axis(4, 3, 2, 4), 0, 0, 3, dims=1),
     "The size of output_padding should not be greater than stride"),
    (lambda: paddle.limits(Axis(4, 3, 2, 3), 0, 0, 2, dims=2, spelled="same"),
     "output_padding of Op(ConvTransposeOp) should be less than either stride or dilation "
     "(2 >= max(2, 1))"),
    (lambda: paddle.output_size(Axis(4, 3, 2), 0, 0, 8),
     "output_size of Op(ConvTransposeOp) should not be less than the inferred output size "
     "(8 < 9)"),
    (lambda: paddle.output_size(Axis(4, 3, 2), 0, 0, 11),
     "output_size of Op(ConvTransposeOp) should be less than inferred size + stride "
     "(11 >= 9 + 2)"),
    (lambda: mindspore.limits(Axis(4, 3, 2), 0, -1, 0),
     "padding should be greater than or equal to 0"),
    (lambda: mindspore.limits(Axis(4, 3, 2), 0, 0, 1, "Same"),
     "when output_padding is not zero, pad_mode must be 'pad'"),
    (lambda: mindspore.limits(Axis(4, 3, 2, 3), 0, 0, 3),
     "output_padding must be in range of [0, max(stride, dilation)) (3 >= max(2, 3))"),
    (lambda: mindspore.limits(Axis(4, 3, 2, 2), 0, 0, 0, depth=True),
     "For 'Conv3DTranspose', the depth of parameter 'dilation' must be 1, but got 2"),
    (lambda: caffe.limits(-1), "pad is a uint32 (ConvolutionParameter): non-negative"),
    (lambda: openvino.limits((0, -1), 0), "pads_begin and pads_end are non-negative integers"),
    (lambda: openvino.limits((0, 0), -1), "output_padding is a non-negative integer"),
    (lambda: openvino.backprop_data(Axis(3, 3, 2), "SAME_UPPER"),
     "auto_pad must be one of ('explicit', 'same_upper', 'same_lower', 'valid'), got "
     "'SAME_UPPER'"),
    (lambda: equinox.limits(Axis(4, 3, 2), 2),
     "Must have `output_padding < stride` (elementwise)"),
    (lambda: equinox.limits(Axis(4, 3, 2), -1), "negative output_padding"),
    (lambda: mlx.limits(2, 2), "mx.conv_transpose2d: Only the default `groups=1` is currently "
     "supported."),
    (lambda: pytensor.mode(Axis(3, 2), "circular"),
     "mode must be one of ('full', 'valid', 'same'), got 'circular'"),
    (lambda: pytensor.limits([Axis(3, 2), Axis(2, 3)], "valid"),
     "'valid' requires one input to dominate the other over all dimensions"),
])
def test_rule_violations_quote_the_framework(call, message) -> None:
    with pytest.raises(RuleViolation) as info:
        call()
    assert str(info.value) == message


def test_rules_accept_their_boundaries() -> None:
    keras.layer_limits(Axis(2, 3, 2), "same", 0)       # output_padding 0 is allowed
    keras.layer_limits(Axis(2, 3, 1, 2), "same", 0)    # dilation with stride 1 is allowed
    onnx.limits(Axis(2, 3, 2), "VALID", (0, 0), 1)
    # VALID ignores pads; output_shape splits with SAME_UPPER's extra at the end, else in front
    assert onnx.conv_transpose(Axis(2, 3, 2), "VALID", (1, 1), 1) == Canonical(0, 0, 1)
    axis = Axis(3, 3, 2)                                # full 7
    assert onnx.conv_transpose(axis, "SAME_UPPER", output_shape=4) == Canonical(1, 2, 0)
    assert onnx.conv_transpose(axis, "SAME_LOWER", output_shape=4) == Canonical(2, 1, 0)
    assert onnx.conv_transpose(axis, "NOTSET", output_shape=4) == Canonical(2, 1, 0)
    assert onnx.express(axis, Canonical(1, 2, 0)) == {"auto_pad": "NOTSET", "pads": (1, 2),
                                                      "output_padding": 0}
    assert tensorflow.express(axis, Canonical(0, 1, 0), "SAME") == {"padding": "SAME",
                                                                    "output_shape": 6}
    assert tensorflow.express(axis, Canonical(1, 2, 0), "EXPLICIT") == {
        "padding": "EXPLICIT", "output_shape": 4, "explicit": (1, 2)}
    assert jax.express(axis, Canonical(1, 2, 0)) == {"padding": (1, 0)}
    assert jax.express(axis, Canonical(1, 2, 0), True) == {"padding": (1, 2)}
    # valid sizes: an explicit padding can make size 0 acceptable, or none at all
    assert tensorflow.valid_sizes(Axis(1, 1, 3), "EXPLICIT", (1, 1)) == range(0, 2)
    assert tensorflow.valid_sizes(Axis(1, 1, 1), "EXPLICIT", (2, 2)) == range(0)
    assert tensorflow.valid_sizes(Axis(2, 2, 4), "VALID") == range(6, 10)


def test_keras_op_rule() -> None:
    keras.op_limits(Axis(2, 3, 2), 1)
    keras.op_limits(Axis(2, 3, 2), None)
    with pytest.raises(RuleViolation) as info:
        keras.op_limits(Axis(2, 3, 2), 2)
    assert str(info.value) == keras.OP_RULE == (
        "The amount of output padding along a given dimension must be lower than the stride "
        "along that same dimension")


def test_gradient_bounds_by_hand() -> None:
    """x = [1, -2, 3], w = [0.5, 0.25], dy = [1, -1, 2, 0.5]: dx sums 2 products (C_out/g *
    taps), dw 3 (N * input positions), dbias 4 (N * output positions)."""
    from tconv.oracle import gradient_bounds

    x, w = np.array([[[1.0, -2.0, 3.0]]]), np.array([[[0.5, 0.25]]])
    dy = np.array([[[1.0, -1.0, 2.0, 0.5]]])
    magnitudes = ([0.75, 1.0, 1.125], [9.0, 6.5], [4.5])
    counts = (2, 3, 4)

    def bound(m, n, u=2.0**-24, tiny=2.0**-150, acc=(2.0**-24, 2.0**-150), v=0.0):
        m = np.array(m)
        g = (n + 1) * acc[0] / (1 - (n + 1) * acc[0])
        computed = (2 * v + v * v) * m + g * (1 + v) ** 2 * m + (n + 1) * acc[1]
        return computed + u * (m + computed) + tiny

    plain = gradient_bounds(x, w, dy, dtype="float32")
    f16 = gradient_bounds(x, w, dy, dtype="float32", accumulation="float16")
    tf32 = gradient_bounds(x, w, dy, dtype="float32", input_rounding="tf32")
    for got, m, n in zip(plain, magnitudes, counts):
        np.testing.assert_allclose(got.ravel(), bound(m, n), rtol=1e-15, atol=0)
    for got, m, n in zip(f16, magnitudes, counts):
        np.testing.assert_allclose(got.ravel(), bound(m, n, acc=(2.0**-11, 2.0**-25)),
                                   rtol=1e-15, atol=0)
    for got, m, n in zip(tf32, magnitudes, counts):
        np.testing.assert_allclose(got.ravel(), bound(m, n, v=2.0**-11), rtol=1e-15, atol=0)
    # with a stride, batch 2 and 2 output channels the counts follow the shapes
    x2, w2 = np.ones((2, 1, 3)), np.ones((1, 2, 2))
    dy2 = np.ones((2, 2, 6))
    b2 = gradient_bounds(x2, w2, dy2, dtype="float32", stride=2)
    assert b2.x[0, 0, 0] == pytest.approx(bound([4.0], 4)[0], rel=1e-15, abs=0)  # 2 x 2 taps
    assert b2.w[0, 0, 0] == pytest.approx(bound([6.0], 6)[0], rel=1e-15, abs=0)  # 2 x 3 inputs
    assert b2.bias[0] == pytest.approx(bound([12.0], 12)[0], rel=1e-15, abs=0)   # 2 x 6 outputs
