"""The oracle's computation paths at their edges, against the independent formulations.

``taps.scatter`` takes one of four routes (depthwise phases, the exact tiling of kernel =
stride, disjoint taps, overlapping taps) and keeps large intermediates out of its reused work
arrays; the random sweep of ``test_independent`` rarely lands just beside a route's condition,
on non-finite values, or on operands that large. Each test here does, and checks values, not
routes: whichever route is taken, the result must be the definition's.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tconv.oracle import conv_transpose, conv_transpose_grad
from tests.oracle import formulations as f
from tests.oracle.test_independent import check


def _axis(n: int, k: int, s: int, d: int, begin: int, out: int) -> tuple[int, tuple[int, int]]:
    """(output_padding, (begin, end)) giving an output of ``out`` elements."""
    full = (n - 1) * s + d * (k - 1) + 1
    end = full - begin - out
    return (0, (begin, end)) if end >= -2 else (-end, (begin, 0))


# One axis beside the tiling (kernel = stride, no dilation, begin 0, output n*s): each
# condition in turn just false, and output sizes n*s +- 1 and n/s.
TILING_EDGES = [
    (n, k, k, d, begin, out)
    for n, k, d, begin in itertools.product((1, 2, 4), (2, 3), (1, 2), (-1, 0, 1))
    for out in {n * k - 1, n * k, n * k + 1, max(n // k, 1)}
] + [(3, 3, 2, 1, 0, 9), (3, 2, 3, 1, 0, 9)]


@pytest.mark.parametrize(("n", "k", "s", "d", "begin", "out"), TILING_EDGES)
def test_beside_the_tiling(n: int, k: int, s: int, d: int, begin: int, out: int) -> None:
    """1-D, and 2-D with the other axis tiled exactly, so that only this axis decides."""
    rng = np.random.default_rng(n * 1000 + k * 100 + d * 10 + begin + out)
    a, pads = _axis(n, k, s, d, begin, out)
    for dims in (1, 2):
        stride, dilation = (s, 2)[:dims], (d, 1)[:dims]
        kernel, size = (k, 2)[:dims], (n, 3)[:dims]
        padding, output_padding = (pads, (0, 0))[:dims], (a, 0)[:dims]
        x = rng.standard_normal((2, 2, *size))
        w = rng.standard_normal((2, 3, *kernel))
        args = (stride, dilation, padding, output_padding, 1)
        y = conv_transpose(x, w, stride=stride, padding=padding, output_padding=output_padding,
                           dilation=dilation)
        check(f.direct(x, w, None, *args), y)


@pytest.mark.parametrize("depthwise", [True, False])
@pytest.mark.parametrize("where", ["w", "x"])
@pytest.mark.parametrize("stride", [(2, 3), (2, 1)])
def test_non_finite_values_reach_only_their_products(depthwise: bool, where: str,
                                                     stride: tuple[int, int]) -> None:
    """An infinite or NaN weight or input makes inf/NaN exactly the outputs its products reach
    (inf - inf = NaN where two meet); other outputs stay finite. With stride 1 on the last
    axis the taps' rows overlap there (no route may multiply a weight by padding zeros)."""
    rng = np.random.default_rng(5)
    channels, per_group = (3, 1) if depthwise else (2, 2)
    groups = 3 if depthwise else 1
    x = rng.standard_normal((2, channels, 6, 5))
    w = rng.standard_normal((channels, per_group, 3, 2))
    target = w if where == "w" else x
    target.flat[[1, 4, 7]] = np.inf, -np.inf, np.nan
    kwargs = dict(stride=stride, padding=((1, 2), (0, 1)), output_padding=(1, 0),
                  dilation=(2, 1), groups=groups)
    with np.errstate(invalid="ignore"):  # inf - inf, on purpose
        y = conv_transpose(x, w, **kwargs)
        expected = f.direct(x, w, None, stride, (2, 1), ((1, 2), (0, 1)), (1, 0), groups)
    assert np.isfinite(expected).any() and not np.isfinite(expected).all()
    np.testing.assert_array_equal(np.isnan(y), np.isnan(expected))
    np.testing.assert_array_equal(np.isinf(y), np.isinf(expected))
    check(np.nan_to_num(expected, posinf=1.0, neginf=-1.0),
          np.nan_to_num(y, posinf=1.0, neginf=-1.0))


def test_operands_beyond_the_work_arrays() -> None:
    """Intermediates larger than the arrays kept between calls (the products of the forward
    pass and the gradients' columns, 38 MB each here) give the same values."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((1, 4, 48, 48))
    w = rng.standard_normal((4, 32, 8, 8))
    y = conv_transpose(x, w, stride=1, padding=2)
    check(f.zero_insertion(x, w, None, (1, 1), (1, 1), ((2, 2), (2, 2)), (0, 0), 1), y)
    dy = rng.standard_normal(y.shape)
    grads = conv_transpose_grad(x, w, dy, stride=1, padding=2)
    # The loss <conv_transpose(x, w), dy> is linear in x and in w: its gradient along any
    # direction u is <conv_transpose(u, w), dy>, resp. <conv_transpose(x, u), dy>.
    for grad, make in ((grads.x, lambda u: conv_transpose(u, w, padding=2)),
                       (grads.w, lambda u: conv_transpose(x, u, padding=2))):
        u = rng.standard_normal(grad.shape)
        along = float(np.vdot(make(u), dy))
        assert abs(float(np.vdot(grad, u)) - along) <= 1e-12 * (abs(along) + grad.size)


def test_threads_compute_the_same() -> None:
    """The oracle from fresh threads at once (each thread keeps its own work arrays, so a first
    call in a thread finds none), for layers of different sizes: every result is the
    definition's."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(2)
    layers = [(rng.standard_normal((2, c, 5 + c, 4)), rng.standard_normal((c, 3, 3, 2)), s)
              for c, s in ((2, 1), (3, 2), (4, 3), (2, 2), (5, 1), (3, 3))]

    def run(layer):
        x, w, s = layer
        y = conv_transpose(x, w, stride=s, padding=1)
        return y, conv_transpose_grad(x, w, np.ones_like(y), stride=s, padding=1)

    with ThreadPoolExecutor(max_workers=len(layers)) as pool:
        results = list(pool.map(run, layers))
    for (x, w, s), (y, grads) in zip(layers, results):
        args = ((s, s), (1, 1), ((1, 1), (1, 1)), (0, 0), 1)
        check(f.zero_insertion(x, w, None, *args), y)
        # d/dw of sum(y) is the sum of x over the positions each tap reads
        check(f.weight_gradient(x, np.ones_like(y), w.shape[2:], (s, s), (1, 1),
                                ((1, 1), (1, 1)), 1), grads.w)


def test_depthwise_rows_larger_than_a_block() -> None:
    """A depthwise layer whose full result per (n, c) row (402 x 402) exceeds the block the
    depthwise route keeps in cache, so that each block holds one row."""
    rng = np.random.default_rng(13)
    x = rng.standard_normal((1, 2, 400, 400))
    w = rng.standard_normal((2, 1, 3, 3))
    y = conv_transpose(x, w, groups=2)
    check(f.zero_insertion(x, w, None, (1, 1), (1, 1), ((0, 0), (0, 0)), (0, 0), 2), y)


def test_work_arrays_keep_up_to_the_limit() -> None:
    """The memory contract of the kept work arrays: a request of exactly ``WORK_LIMIT`` bytes
    is served from the array kept for its use (the same memory call after call, and again for
    a smaller request), one element more gets fresh memory that is not kept, each use and each
    thread keeps its own, and a use the oracle does not have is refused."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from tconv.oracle import taps

    limit = taps.WORK_LIMIT // 8
    both = threading.Barrier(2)  # two threads at once, so the pool cannot reuse one

    def contract() -> np.ndarray:
        # In a fresh thread: it starts with nothing kept, and the oracle's arrays in the
        # test's own thread stay as they are.
        first = taps._work_array((limit,), "products")
        again = taps._work_array((2, limit // 2), "products")
        smaller = taps._work_array((limit - 1,), "products")
        assert again.shape == (2, limit // 2) and smaller.shape == (limit - 1,)
        assert np.shares_memory(first, again) and np.shares_memory(first, smaller)
        past = taps._work_array((limit + 1,), "products")
        assert past.shape == (limit + 1,) and not np.shares_memory(first, past)
        assert np.shares_memory(first, taps._work_array((limit,), "products"))
        assert not np.shares_memory(first, taps._work_array((limit,), "columns"))
        with pytest.raises(AttributeError):
            taps._work_array((1,), "product")
        both.wait(timeout=60)
        return first

    with ThreadPoolExecutor(max_workers=2) as pool:
        one, two = (pool.submit(contract) for _ in range(2))
        assert not np.shares_memory(one.result(), two.result())
