"""Invalid arguments raise ValueError naming the argument; what the mathematics allows (but
some framework forbids) is computed."""

from __future__ import annotations

import numpy as np
import pytest

from tconv.oracle import conv, conv_transpose, conv_transpose_grad, error_bound

X = np.ones((1, 2, 3))
W = np.ones((2, 1, 2))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stride": 0}, "stride must be >= 1, got 0"),
        ({"stride": (1, 1)}, "stride needs 1 values (one per spatial dim), got 2"),
        ({"stride": 1.5}, "stride must be an integer, got 1.5"),
        ({"stride": True}, "stride must be an integer, got True"),
        ({"dilation": 0}, "dilation must be >= 1, got 0"),
        ({"output_padding": -1}, "output_padding must be >= 0, got -1"),
        ({"padding": ((1, 2, 3),)}, "padding pairs are (begin, end), got (1, 2, 3)"),
        ({"padding": (1, 2)}, "padding needs 1 entries (one per spatial dim), got 2"),
        ({"padding": "same"}, "padding must be an integer, got 'same'"),
        ({"padding": ((0, 5),)}, "padding crops more than the full result: output size (-1,)"),
        ({"groups": 0}, "groups must be >= 1, got 0"),
        ({"groups": 4}, "groups=4 must divide the 2 channels of x"),
        ({"groups": 2.0}, "groups must be an integer, got 2.0"),
    ],
)
def test_conv_transpose_names_the_bad_argument(kwargs, message) -> None:
    with pytest.raises(ValueError) as info:
        conv_transpose(X, W, **kwargs)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("x", "w", "bias", "message"),
    [
        (np.ones((2, 3)), W, None, "x must be (N, C, *spatial) with 1 to 3 spatial dims, got shape (2, 3)"),
        (np.ones((1, 1, 1, 1, 1, 1)), W, None,
         "x must be (N, C, *spatial) with 1 to 3 spatial dims, got shape (1, 1, 1, 1, 1, 1)"),
        (X, np.ones((2, 1)), None, "w must have 3 dims to match x, got shape (2, 1)"),
        (X, np.ones((3, 1, 2)), None, "w.shape[0] must equal the 2 channels of x, got 3"),
        (np.ones((1, 2, 0)), W, None, "x must have at least one element per spatial dim, got shape (1, 2, 0)"),
        (X, np.ones((2, 1, 0)), None, "w must have at least one tap per spatial dim, got shape (2, 1, 0)"),
        (X, W, np.ones(2), "bias must have shape (1,), got (2,)"),
        (X.astype(complex), W, None, "x must be real, got dtype complex128"),
        (X, W.astype(complex), None, "w must be real, got dtype complex128"),
        (np.array([[["a"]]]), W, None, "x must be numeric, got dtype <U1"),
    ],
)
def test_conv_transpose_names_the_bad_array(x, w, bias, message) -> None:
    with pytest.raises(ValueError) as info:
        conv_transpose(x, w, bias)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("x", "w", "kwargs", "message"),
    [
        (X, np.ones((3, 1, 2)), {}, "w.shape[1] * groups must equal the 2 channels of x, got 1 * 1"),
        (X, np.ones((3, 1, 2)), {"groups": 2}, "groups=2 must divide the 3 output channels (w.shape[0])"),
        (X, np.ones((2, 2, 2)), {"padding": ((-2, -2),)}, "padding crops more than the input: padded size (-1,)"),
    ],
)
def test_conv_names_the_bad_argument(x, w, kwargs, message) -> None:
    with pytest.raises(ValueError) as info:
        conv(x, w, **kwargs)
    assert str(info.value) == message


def test_framework_limits_are_not_oracle_rules() -> None:
    """output_padding >= stride and >= dilation (PyTorch refuses it), negative crops, an empty
    output, integer and float16 inputs, an empty batch: all computed."""
    y = conv_transpose(X, W, stride=1, output_padding=3, padding=((-1, 0),))
    assert y.shape == (1, 1, 8)
    np.testing.assert_array_equal(y[0, 0], [0, 2, 4, 4, 2, 0, 0, 0])
    assert conv_transpose(X, W, padding=((2, 2),)).shape == (1, 1, 0)
    ints = conv_transpose(np.ones((1, 2, 3), dtype=int), W.astype(np.float16))
    assert ints.dtype == np.float64
    assert conv_transpose(np.ones((0, 2, 3)), W).shape == (0, 1, 4)
    assert conv(np.ones((1, 2, 1)), np.ones((1, 2, 3))).shape == (1, 1, 0)


def test_float64_from_the_values_given() -> None:
    x = np.array([[[0.1]]], dtype=np.float32)
    y = conv_transpose(x, np.ones((1, 1, 1)))
    assert y[0, 0, 0] == float(np.float32(0.1))  # the float32 value, not 0.1


def test_error_bound_and_gradients_check_arguments_the_same_way() -> None:
    with pytest.raises(ValueError, match="^stride must be >= 1, got 0$"):
        error_bound(X, W, dtype="float32", stride=0)
    with pytest.raises(ValueError, match="^groups=4 must divide the 2 channels of x$"):
        conv_transpose_grad(X, W, np.ones((1, 1, 4)), groups=4)


@pytest.mark.parametrize("dtype", [bool, np.int8, np.int64, np.uint8, np.uint64, np.float16,
                                   np.float32, np.longdouble])
def test_every_real_dtype_is_taken_in_float64(dtype) -> None:
    """Booleans, signed and unsigned integers and floats of every width are real numbers: the
    oracle takes their values as float64, exactly where float64 holds them."""
    from tconv.oracle._args import as_float64

    values = np.array([0, 1, 1, 0, 1, 1], dtype=dtype).reshape(1, 2, 3)
    got = as_float64(values, "x")
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, values.astype(np.float64))


def test_float64_operands_are_read_in_place() -> None:
    """A float64 array that is contiguous in either order is used as it is (the oracle only
    reads it); a strided one is copied into contiguous memory, with the same values."""
    from tconv.oracle._args import as_float64

    a = np.arange(24.0).reshape(2, 3, 4)
    for contiguous in (a, np.asfortranarray(a)):
        assert as_float64(contiguous, "x") is contiguous
    strided = a[:, :, ::2]
    got = as_float64(strided, "x")
    assert got.flags.c_contiguous or got.flags.f_contiguous
    np.testing.assert_array_equal(got, strided)
