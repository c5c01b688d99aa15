"""Each framework's padding vocabulary against the relationships its documentation states, and
``express`` against a brute-force search (what it calls inexpressible truly is)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import examples
from tconv.oracle.rules import (
    Axis,
    Canonical,
    NotExpressible,
    RuleViolation,
    jax,
    keras,
    onnx,
    pytorch,
    tensorflow,
)
from tconv.oracle.rules.canonical import crop

axes = st.builds(Axis, n=st.integers(1, 6), k=st.integers(1, 5), s=st.integers(1, 4),
                 d=st.integers(1, 3))
windows = st.builds(Canonical, begin=st.integers(-2, 6), end=st.integers(-2, 6),
                    output_padding=st.integers(0, 5))


def test_canonical_normal_form() -> None:
    a = Axis(n=3, k=3, s=2)
    assert a.dilated_kernel == 3 and a.full == 7
    assert Axis(n=3, k=3, s=2, d=2).dilated_kernel == 5
    assert Canonical(1, 3, 2).normalized() == Canonical(1, 1, 0)
    assert Canonical(1, 2, 5).normalized() == Canonical(1, 0, 3)
    assert Canonical(1, 2, 2).normalized() == Canonical(1, 0, 0)
    assert Canonical(0, 2, 1).same_window(Canonical(0, 1, 0))
    assert not Canonical(0, 2, 1).same_window(Canonical(1, 0, 0))
    assert Canonical(1, 2, 3).size(a) == 7


# --- PyTorch -------------------------------------------------------------------------------

@settings(max_examples=examples(200))
@given(axes, st.integers(0, 4), st.integers(0, 4))
def test_pytorch_output_size_formula(axis: Axis, p: int, q: int) -> None:
    """L_out = (L_in - 1)*stride - 2*padding + dilation*(kernel_size - 1) + output_padding + 1."""
    expected = (axis.n - 1) * axis.s - 2 * p + axis.d * (axis.k - 1) + q + 1
    c = pytorch.padding(p, q)
    assert (c.begin, c.end, c.output_padding) == (p, p, q)
    assert c.size(axis) == expected


@settings(max_examples=examples(200))
@given(axes, st.integers(0, 3), st.integers(-2, 12))
def test_pytorch_output_size_argument(axis: Axis, p: int, size: int) -> None:
    min_size = (axis.n - 1) * axis.s - 2 * p + axis.d * (axis.k - 1) + 1
    if min_size <= size <= min_size + axis.s - 1:
        c = pytorch.output_size(axis, p, size)
        assert c.size(axis) == size and c.begin == c.end == p
    else:
        with pytest.raises(RuleViolation, match="valid sizes range from"):
            pytorch.output_size(axis, p, size)


@pytest.mark.parametrize(("s", "d", "q", "ok"), [(2, 1, 1, True), (2, 1, 2, False),
                                                  (1, 3, 2, True), (1, 3, 3, False),
                                                  (3, 2, 2, True), (1, 1, 0, True)])
def test_pytorch_output_padding_smaller_than_stride_or_dilation(s, d, q, ok) -> None:
    axis = Axis(n=3, k=3, s=s, d=d)
    if ok:
        pytorch.limits(axis, 0, q)
    else:
        with pytest.raises(RuleViolation, match="smaller than either stride or dilation"):
            pytorch.limits(axis, 0, q)


def test_pytorch_limits() -> None:
    axis = Axis(n=1, k=1)
    with pytest.raises(RuleViolation, match="^negative padding"):
        pytorch.limits(axis, -1, 0)
    with pytest.raises(RuleViolation, match="^negative output_padding"):
        pytorch.limits(axis, 0, -1)
    with pytest.raises(RuleViolation, match="too small"):
        pytorch.limits(axis, 1, 0)
    pytorch.limits(Axis(n=2, k=1), 0, 0)


def brute_force(candidates, make, limits=lambda *_: None):
    """The candidates whose window equals the target, among those the limits allow."""
    found = []
    for candidate in candidates:
        try:
            limits(*candidate)
            c = make(*candidate)
        except RuleViolation:
            continue
        found.append((candidate, c))
    return found


@settings(max_examples=examples(300))
@given(axes, windows)
def test_pytorch_express_is_right_and_complete(axis: Axis, target: Canonical) -> None:
    grid = itertools.product(range(0, 12), range(0, 6))
    matches = [cand for cand, c in brute_force(
        grid, pytorch.padding, lambda p, q: pytorch.limits(axis, p, q)) if c.same_window(target)]
    try:
        spelled = pytorch.express(axis, target)
    except NotExpressible:
        assert matches == [], matches
        return
    pytorch.limits(axis, spelled["padding"], spelled["output_padding"])
    assert pytorch.padding(spelled["padding"], spelled["output_padding"]).same_window(target)


# --- TensorFlow ----------------------------------------------------------------------------

@settings(max_examples=examples(200))
@given(axes, st.integers(0, 30))
def test_tensorflow_same_and_valid_follow_the_forward_rule(axis: Axis, size: int) -> None:
    """SAME: out = ceil(N / s); VALID: out = ceil((N - eff + 1) / s) (the "Notes on padding"),
    and output_shape is the size of the result, cropped with any extra at the end."""
    eff = axis.dilated_kernel
    for mode, forward_out in (("SAME", -(-size // axis.s)),
                              ("VALID", -(-(size - eff + 1) // axis.s))):
        if forward_out == axis.n:
            c = tensorflow.output_shape(axis, mode, size)
            assert c.size(axis) == size
            assert 0 <= c.end - c.begin <= 1
            if mode == "VALID":
                assert c.begin == c.end == 0
        else:
            with pytest.raises(RuleViolation):
                tensorflow.output_shape(axis, mode, size)


def test_tensorflow_semantics_example_and_size_ranges() -> None:
    """semantics.md §3: n=2, k=3, s=2 SAME gives a 4-long output cropping (0, 1)."""
    axis = Axis(n=2, k=3, s=2)
    assert tensorflow.output_shape(axis, "SAME", 4) == Canonical(0, 1, 0)
    assert tensorflow.output_shape(axis, "SAME", 3) == Canonical(1, 1, 0)
    assert tensorflow.valid_sizes(axis, "SAME") == range(3, 5)
    assert tensorflow.valid_sizes(axis, "VALID") == range(5, 7)
    assert tensorflow.output_shape(axis, "VALID", 6) == Canonical(0, 0, 1)
    # kernel smaller than stride: SAME's size n*s reaches past the full result (zeros)
    assert tensorflow.output_shape(Axis(n=2, k=1, s=3), "SAME", 6) == Canonical(0, 0, 2)
    assert tensorflow.output_shape(axis, "EXPLICIT", 3, (1, 1)) == Canonical(1, 1, 0)
    assert tensorflow.valid_sizes(axis, "EXPLICIT", (1, 2)) == range(2, 4)
    with pytest.raises(RuleViolation, match="nonnegative"):
        tensorflow.output_shape(axis, "EXPLICIT", 3, (-1, 0))
    with pytest.raises(RuleViolation, match="actual = 2, computed = 3"):
        tensorflow.output_shape(axis, "SAME", 5)
    with pytest.raises(RuleViolation, match="negative"):
        tensorflow.output_shape(Axis(n=1, k=5, s=1), "VALID", 2)
    with pytest.raises(ValueError, match="padding must be one of"):
        tensorflow.output_shape(axis, "FULL", 3)


@settings(max_examples=examples(300))
@given(axes, windows, st.sampled_from(tensorflow.MODES))
def test_tensorflow_express_is_right_and_complete(axis, target, mode) -> None:
    pairs = itertools.product(range(0, 8), range(0, 8)) if mode == "EXPLICIT" else [(0, 0)]
    matches = []
    for pb, pa in pairs:
        for size in range(0, 30):
            try:
                c = tensorflow.output_shape(axis, mode, size, (pb, pa))
            except RuleViolation:
                continue
            if c.same_window(target):
                matches.append((size, pb, pa))
    try:
        spelled = tensorflow.express(axis, target, mode)
    except NotExpressible:
        assert matches == []
        return
    got = tensorflow.output_shape(axis, mode, spelled["output_shape"],
                                  spelled.get("explicit", (0, 0)))
    assert got.same_window(target)


# --- Keras 3 -------------------------------------------------------------------------------

@settings(max_examples=examples(200))
@given(axes, st.sampled_from(keras.PADDINGS), st.none() | st.integers(0, 3))
def test_keras_window_has_the_documented_length(axis, mode, op) -> None:
    c = keras.padding(axis, mode, op)
    assert c.size(axis) == keras.output_length(axis, mode, op)
    assert c.begin >= 0
    if mode == "same" and op is None:
        assert c.size(axis) == axis.n * axis.s   # the input's size times the stride
        assert 0 <= c.end - c.begin <= 1         # evenly, the odd crop at the end
    if mode == "valid":
        assert c.begin == 0


def test_keras_examples() -> None:
    """Keras' own backend test: same, k=3, s=2 pads the JAX input (2, 1): crops (0, 1)."""
    assert keras.padding(Axis(n=4, k=3, s=2), "same") == Canonical(0, 1, 0)
    assert keras.padding(Axis(n=4, k=1, s=3), "same") == Canonical(0, 0, 2)
    assert keras.padding(Axis(n=4, k=1, s=3), "valid") == Canonical(0, 0, 2)
    assert keras.padding(Axis(n=4, k=4, s=2), "same", 1) == Canonical(1, 2, 0)
    assert keras.padding(Axis(n=4, k=3, s=2), "valid", -1) == Canonical(0, 1, 0)
    assert keras.output_length(Axis(n=4, k=3, s=2, d=2), "same", 1) == 8
    with pytest.raises(RuleViolation, match="must be one of 'valid', 'same'"):
        keras.padding(Axis(n=1, k=1), "full")


@pytest.mark.parametrize(("s", "d", "op", "message"), [
    (2, 1, 2, "strictly less than `strides`"),
    (2, 2, None, "in conjunction with `dilation_rate > 1`"),
    (2, 1, -1, "value >= 0"),
])
def test_keras_layer_limits(s, d, op, message) -> None:
    with pytest.raises(RuleViolation, match=message):
        keras.layer_limits(Axis(n=2, k=3, s=s, d=d), "same", op)
    keras.layer_limits(Axis(n=2, k=3, s=s, d=1), "valid", None)
    with pytest.raises(RuleViolation, match="padding must be one of"):
        keras.layer_limits(Axis(n=2, k=3), "causal", None)


def test_keras_layer_stride_and_dilation_on_different_axes() -> None:
    """Keras's layers compare max(strides) with max(dilation_rate), across axes."""
    with pytest.raises(RuleViolation, match="in conjunction with `dilation_rate > 1`"):
        keras.layer_case_limits([Axis(n=3, k=2, s=2), Axis(n=3, k=2, d=2)])
    keras.layer_case_limits([Axis(n=3, k=2, s=2), Axis(n=3, k=2, s=3)])
    keras.layer_case_limits([Axis(n=3, k=2, d=2), Axis(n=3, k=2, d=3)])


@settings(max_examples=examples(300))
@given(axes, windows, st.booleans())
def test_keras_express_is_right_and_complete(axis, target, layer) -> None:
    matches = []
    for mode, op in itertools.product(keras.PADDINGS, [None, *range(-8, 12)]):
        if layer:
            try:
                keras.layer_limits(axis, mode, op)
            except RuleViolation:
                continue
        if keras.padding(axis, mode, op).same_window(target):
            matches.append((mode, op))
    try:
        spelled = keras.express(axis, target, layer)
    except NotExpressible:
        assert matches == []
        return
    if layer:
        keras.layer_limits(axis, spelled["padding"], spelled["output_padding"])
    assert keras.padding(axis, spelled["padding"], spelled["output_padding"]).same_window(target)


# --- ONNX ----------------------------------------------------------------------------------

@settings(max_examples=examples(200))
@given(axes, st.integers(0, 3), st.integers(0, 3), st.integers(0, 3))
def test_onnx_attributes(axis, pb, pe, op) -> None:
    explicit = onnx.conv_transpose(axis, "NOTSET", (pb, pe), op)
    assert explicit.size(axis) == (axis.s * (axis.n - 1) + op + (axis.k - 1) * axis.d + 1
                                   - pb - pe)
    assert onnx.conv_transpose(axis, "VALID", (0, 0), op) == Canonical(0, 0, op)
    upper = onnx.conv_transpose(axis, "SAME_UPPER", output_padding=op)
    lower = onnx.conv_transpose(axis, "SAME_LOWER", output_padding=op)
    for c in (upper, lower):
        assert c.size(axis) == axis.n * axis.s     # output_shape[i] = input_shape[i] * strides[i]
        assert c.output_padding >= op              # more only for zeros past the full result
    # odd total: the extra at the end for SAME_UPPER, at the beginning for SAME_LOWER; no
    # negative crops (pads >= 0): a negative total appends zeros at the end
    total = upper.begin + upper.end
    assert upper.begin >= 0 and upper.end >= 0 and lower.begin >= 0 and lower.end >= 0
    assert upper.end - upper.begin == total % 2 and lower.begin - lower.end == total % 2
    assert (upper.begin, upper.end) == (lower.end, lower.begin)
    for mode in onnx.AUTO_PADS:
        target = axis.full + op - pb  # any output_shape: pads derived, output_padding kept
        c = onnx.conv_transpose(axis, mode, output_padding=op, output_shape=target)
        assert c.size(axis) == target and c.output_padding >= op


def test_onnx_negative_total_appends_zeros_at_the_end() -> None:
    axis = Axis(n=3, k=2, s=3)   # full 8, SAME wants 9: a total of -1
    assert onnx.conv_transpose(axis, "SAME_UPPER") == Canonical(0, 0, 1)
    assert onnx.conv_transpose(axis, "SAME_LOWER") == Canonical(0, 0, 1)
    assert onnx.conv_transpose(Axis(n=3, k=1, s=4), "SAME_UPPER") == Canonical(0, 0, 3)
    assert onnx.conv_transpose(axis, "NOTSET", output_padding=1, output_shape=11) == (
        Canonical(0, 0, 3))
    with pytest.raises(RuleViolation, match="auto_pad must be one of"):
        onnx.conv_transpose(axis, "SAME")


@pytest.mark.parametrize(("auto_pad", "pads", "op", "message"), [
    ("NOTSET", (-1, 0), 0, "negative"),
    ("SAME_UPPER", (1, 0), 0, "simultaneously"),
    ("NOTSET", (0, 0), 3, "less than the stride/dilation"),
    ("NOTSET", (0, 0), -1, "less than the stride/dilation"),
])
def test_onnx_limits(auto_pad, pads, op, message) -> None:
    with pytest.raises(RuleViolation, match=message):
        onnx.limits(Axis(n=2, k=3, s=2, d=3), auto_pad, pads, op)
    onnx.limits(Axis(n=2, k=3, s=2, d=3), "NOTSET", (1, 2), 2)


@settings(max_examples=examples(300))
@given(axes, windows)
def test_onnx_express_is_right_and_complete(axis, target) -> None:
    matches = [cand for cand, c in brute_force(
        itertools.product(range(0, 10), range(0, 10), range(0, 6)),
        lambda pb, pe, op: onnx.conv_transpose(axis, "NOTSET", (pb, pe), op),
        lambda pb, pe, op: onnx.limits(axis, "NOTSET", (pb, pe), op)) if c.same_window(target)]
    try:
        spelled = onnx.express(axis, target)
    except NotExpressible:
        assert matches == []
        return
    onnx.limits(axis, "NOTSET", spelled["pads"], spelled["output_padding"])
    got = onnx.conv_transpose(axis, "NOTSET", spelled["pads"], spelled["output_padding"])
    assert got.same_window(target)


# --- JAX -----------------------------------------------------------------------------------

@settings(max_examples=examples(200))
@given(axes)
def test_jax_same_and_valid_sizes_and_sides(axis: Axis) -> None:
    """SAME: length n*s, the odd crop at the end; VALID: (n-1)*s + max(K, s), nothing cropped
    in front. Both follow Keras' Conv2DTranspose conventions, as the docstring says."""
    K, s, n = axis.dilated_kernel, axis.s, axis.n
    same, valid = jax.conv_transpose(axis, "SAME"), jax.conv_transpose(axis, "VALID")
    assert same.size(axis) == n * s
    assert same.end - same.begin in (0, 1)
    assert valid.size(axis) == (n - 1) * s + max(K, s) and valid.begin == 0
    assert same.same_window(keras.padding(axis, "same"))
    assert valid.same_window(keras.padding(axis, "valid"))
    assert same.same_window(tensorflow.output_shape(axis, "SAME", n * s))


@settings(max_examples=examples(200))
@given(axes, st.integers(-3, 8), st.integers(-3, 8), st.integers(0, 2**32 - 1))
def test_jax_pairs_are_zero_insertion_of_the_flipped_kernel(axis, lo, hi, seed) -> None:
    """A pair pads the zero-stuffed input; correlating with w is the scatter of flip(w)."""
    import numpy as np

    from tconv.oracle import conv_transpose
    from tests.oracle.formulations import zero_insertion

    try:
        c = jax.conv_general_dilated(axis, lo, hi)
    except RuleViolation:
        assert (axis.n - 1) * axis.s + 1 + lo + hi < 0
        return
    k1 = axis.dilated_kernel - 1
    assert c.size(axis) == (axis.n - 1) * axis.s + 1 + lo + hi - k1
    if c.size(axis) < 1:   # the stuffed, padded input is shorter than the kernel: no output
        return
    rng = np.random.default_rng(seed)
    x, w = rng.standard_normal((1, 1, axis.n)), rng.standard_normal((1, 1, axis.k))
    flipped = w[..., ::-1]
    # zero_insertion pads d(k-1) - begin in front: with begin = k1 - lo that is lo.
    correlated = zero_insertion(x, flipped, None, (axis.s,), (axis.d,), ((k1 - lo, k1 - hi),),
                                (0,), 1)
    y = conv_transpose(x, flipped, stride=axis.s, dilation=axis.d,
                       padding=((c.begin, c.end),), output_padding=c.output_padding)
    np.testing.assert_allclose(y, correlated, rtol=1e-12, atol=1e-12)
    assert jax.kernel_flipped(transpose_kernel=False) and not jax.kernel_flipped(True)
    consistent = jax.conv_transpose(axis, (k1 - lo, k1 - hi), use_consistent_padding=True)
    assert consistent == c


def test_jax_examples() -> None:
    """jax-ml/jax#17618: VALID n=128, k=4, s=4 gives 512; the pair (0, 0) gives 506."""
    axis = Axis(n=128, k=4, s=4)
    assert jax.conv_transpose(axis, "VALID").size(axis) == 512
    assert jax.conv_transpose(axis, (0, 0)).size(axis) == 506
    assert jax.conv_transpose(axis, (1, 1), use_consistent_padding=True) == Canonical(1, 1, 0)
    assert jax.transpose_padding(Axis(n=2, k=3, s=2), "SAME") == (2, 1)
    assert jax.transpose_padding(Axis(n=2, k=1, s=3), "SAME") == (0, 2)
    assert jax.transpose_padding(Axis(n=2, k=5, s=2), "VALID") == (4, 4)
    with pytest.raises(RuleViolation, match="Invalid padding mode"):
        jax.conv_transpose(axis, "same")
    with pytest.raises(RuleViolation, match="Negative padding is larger"):
        jax.conv_general_dilated(Axis(n=1, k=1), -1, -1)


@settings(max_examples=examples(300))
@given(axes, windows, st.booleans())
def test_jax_express(axis, target, consistent) -> None:
    try:
        spelled = jax.express(axis, target, consistent)
    except NotExpressible:
        assert target.size(axis) < -(axis.dilated_kernel - 1)
        return
    got = jax.conv_transpose(axis, spelled["padding"], consistent)
    assert got.same_window(target)


def test_tensorflow_valid_sizes_are_every_size_tf_accepts() -> None:
    """``valid_sizes`` searches a bounded range: a search three strides wider finds no more."""
    for n, k, s, d in itertools.product(range(1, 5), range(1, 5), range(1, 4), range(1, 3)):
        axis = Axis(n, k, s, d)
        for mode, explicit in [("SAME", (0, 0)), ("VALID", (0, 0)), ("EXPLICIT", (0, 0)),
                               ("EXPLICIT", (1, 2)), ("EXPLICIT", (3, 0))]:
            accepted = []
            for size in range(axis.full + 3 * axis.s + 4):
                try:
                    tensorflow.output_shape(axis, mode, size, explicit)
                except RuleViolation:
                    continue
                accepted.append(size)
            assert list(tensorflow.valid_sizes(axis, mode, explicit)) == accepted
            assert mode != "VALID" or accepted == list(range(axis.full, axis.full + axis.s))


def test_the_shared_crop_splits_a_total_and_extends_past_the_full_result() -> None:
    for total, op in itertools.product(range(-3, 6), range(3)):
        at_end, at_begin = crop(total, True, op), crop(total, False, op)
        for c in (at_end, at_begin):
            assert c.begin + c.end == max(total, 0) and c.output_padding == op + max(-total, 0)
        assert at_end.end - at_end.begin == at_begin.begin - at_begin.end == max(total, 0) % 2
    assert crop(3) == Canonical(1, 2, 0) and crop(3, False) == Canonical(2, 1, 0)
    assert crop(-2, output_padding=1) == Canonical(0, 0, 3)
    # zeros past the end become output_padding, a crop at the end stays
    assert Canonical(1, -2, 1).zeros_as_output_padding() == Canonical(1, 0, 3)
    assert Canonical(1, 2, 1).zeros_as_output_padding() == Canonical(1, 2, 1)
    assert Canonical(1, 0, 1).zeros_as_output_padding() == Canonical(1, 0, 1)
