"""How much memory a case's check needs, estimated before anything is allocated, and the
refusal of a case above the cap (``--memory-cap``).

The estimate is arithmetic on the case's sizes (Python integers: no overflow, whatever a case
file says), so the run can make an oversized check ``unsupported`` before a framework or the
oracle allocates anything.
"""

from __future__ import annotations

import math

from tconv.cases.case import Case, OutputShape

MIB = 2**20
FLOAT64 = 8
# Bytes per element of the framework's tensors.
FRAMEWORK_ITEMSIZE = {"float64": 8, "float32": 4, "float16": 2, "bfloat16": 2}
# float64 arrays of an input's size (x, w or bias), counting every copy the check makes: drawn
# and rounded (Case.arrays), the oracle's copy (oracle/_args.py as_float64) and |.|, and in the
# gradient check that input's gradient, its bound's magnitudes and the bound's temporaries
# (oracle/bounds.py gradient_bounds and _bound, which copy their arguments again); measured with
# tracemalloc on the zoo's largest weight (pix2pix 1024 -> 512): 8 alive at the peak.
INPUT_COPIES = 10
# The same for the output: the oracle's output, |x|*|w| and the bound with its temporaries,
# the framework's answer in float64 and the comparison's error and units (conformance/
# judge.py compare); in the gradient check dy and |dy|.
OUTPUT_COPIES = 12
# The per-tap products (oracle/taps.py scatter) or gathered columns and their reshaped copy
# (taps.gathered, for the gradients): N * C_out * taps * input positions, at most two at once.
PRODUCT_COPIES = 2


def _full(n: int, k: int, s: int, d: int) -> int:
    """``L = (n - 1)*s + d*(k - 1) + 1``: the uncropped length (oracle/transpose.py)."""
    return (n - 1) * s + d * (k - 1) + 1


def output_size(case: Case) -> tuple[int, ...]:
    """The spatial output size; for SAME, where each framework has its own rule (``n*s`` in
    TF, ONNX, Keras and JAX: oracle/rules/), the upper estimate ``max(n*s, L) +
    output_padding``."""
    sizes = []
    for axis, (n, k, s, d, op) in enumerate(zip(case.input_size, case.kernel, case.stride,
                                               case.dilation, case.output_padding)):
        full = _full(n, k, s, d)
        if isinstance(case.padding, OutputShape):
            sizes.append(case.padding.size[axis])
        elif case.padding == "SAME":
            sizes.append(max(n * s, full) + op)
        elif case.padding == "VALID":
            sizes.append(full + op)
        else:
            begin, end = case.padding[axis]
            sizes.append(max(full - begin - end + op, 0))
    return tuple(sizes)


def footprint(case: Case) -> int:
    """Bytes a check of ``case`` (forward or gradients) needs at most: an upper estimate that
    counts every array either check makes as alive together with the others.

    - each input ``x``, ``w``, ``bias``: twice in the framework's dtype (the tensor and its
      gradient), ``INPUT_COPIES`` times in float64 (drawn and rounded, the oracle's copies,
      the gradient and its error bound);
    - the output: once in the framework's dtype, ``OUTPUT_COPIES`` times in float64 (the
      oracle's output and error bound with their temporaries, the comparison);
    - the oracle's uncropped buffer (``N * C_out * L`` per axis: the gradient's ``dfull``) and
      ``PRODUCT_COPIES`` buffers of per-tap products (``N * C_out * taps * input positions``),
      in float64.

    Not counted: the frameworks' own workspaces (im2col, autotuning), the interpreter and the
    libraries themselves.
    """
    framework = FRAMEWORK_ITEMSIZE[case.dtype]
    inputs = (case.batch * case.in_channels * math.prod(case.input_size)
              + case.in_channels * (case.out_channels // case.groups) * math.prod(case.kernel)
              + (case.out_channels if case.bias else 0))
    output = case.batch * case.out_channels * math.prod(output_size(case))
    full = case.batch * case.out_channels * math.prod(
        _full(n, k, s, d)
        for n, k, s, d in zip(case.input_size, case.kernel, case.stride, case.dilation))
    products = (case.batch * case.out_channels * math.prod(case.kernel)
                * math.prod(case.input_size))
    return (inputs * (2 * framework + INPUT_COPIES * FLOAT64)
            + output * (framework + OUTPUT_COPIES * FLOAT64)
            + (full + PRODUCT_COPIES * products) * FLOAT64)


def _mib(size: int) -> str:
    # Integer arithmetic: a float conversion could overflow for absurd sizes.
    whole, tenth = divmod(size * 10 // MIB, 10)
    return f"{whole:,}.{tenth} MiB"


def refusal(case: Case, cap_bytes: int) -> str:
    """``""`` when ``case`` fits in ``cap_bytes``; else one line naming the case, the estimate
    and the cap, and how to raise it."""
    need = footprint(case)
    if need <= cap_bytes:
        return ""
    return (f"{case.id}: needs about {_mib(need)} (tconv's estimate of the check's memory), "
            f"above the memory cap of {_mib(cap_bytes)}; raise the cap with --memory-cap")
