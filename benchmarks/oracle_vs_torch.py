"""The oracle against PyTorch's CPU float64 transposed convolution, on real layer sizes.

Prints, per layer: median wall time of the oracle and of ``torch.nn.functional.conv_transposeNd``
(float64, same inputs, measured alternately in one run), their ratio, and the oracle's FLOP rate
as a fraction of NumPy's float64 matmul rate measured on this machine in the same run. With
``--grad``, the same for the gradients (oracle ``conv_transpose_grad`` against torch autograd).
Target (issue "The oracle"): median ratio <= 0.5 and no layer above 1.0.

    python benchmarks/oracle_vs_torch.py [--repeat 7] [--grad] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import statistics
import time
from dataclasses import dataclass

import numpy as np
import torch

from tconv.oracle import conv_transpose, conv_transpose_grad, error_bound


@dataclass(frozen=True)
class Layer:
    name: str
    source: str
    batch: int
    in_channels: int
    out_channels: int
    input_size: tuple[int, ...]
    kernel: int
    stride: int
    padding: int
    groups: int = 1

    @property
    def flops(self) -> int:
        """Multiply-adds of the scatter, counted as 2 FLOPs each."""
        return (2 * self.batch * self.in_channels * (self.out_channels // self.groups)
                * self.kernel ** len(self.input_size) * math.prod(self.input_size))


LAYERS = (
    # Radford et al. 2016 (DCGAN), generator: ConvTranspose2d(ngf*8 -> ngf, 4, 2, 1), ngf = 64.
    Layer("dcgan-g2 512->256 4x4", "DCGAN", 16, 512, 256, (4, 4), 4, 2, 1),
    Layer("dcgan-g3 256->128 8x8", "DCGAN", 16, 256, 128, (8, 8), 4, 2, 1),
    Layer("dcgan-g4 128->64 16x16", "DCGAN", 16, 128, 64, (16, 16), 4, 2, 1),
    # Ronneberger et al. 2015 (U-Net): 2x2 up-convolution halving the channels, 28 -> 56 px.
    Layer("unet-up1 1024->512 28x28", "U-Net", 1, 1024, 512, (28, 28), 2, 2, 0),
    # Long et al. 2015 (FCN): 2x bilinear upsampling, 4x4/s2/p1, one kernel per class (21).
    Layer("fcn-up2 21ch depthwise 64x64", "FCN", 4, 21, 21, (64, 64), 4, 2, 1, groups=21),
    # Kong et al. 2020 (HiFi-GAN V1): ConvTranspose1d(512, 256, 16, 8, padding=4).
    Layer("hifigan-up1 512->256 k16 s8", "HiFi-GAN", 1, 512, 256, (128,), 16, 8, 4),
    # Cicek et al. 2016 (3-D U-Net): 2x2x2 up-convolution, stride 2.
    Layer("unet3d-up 256->256 12^3", "3-D U-Net", 1, 256, 256, (12, 12, 12), 2, 2, 0),
)


def median_time(fn, repeat: int) -> float:
    return statistics.median(side_by_side([fn], repeat)[0])


def side_by_side(fns, repeat: int, rounds: int = 5) -> list[list[float]]:
    """Wall times of each function in one run: ``rounds`` rounds, each calling every function
    ``repeat // rounds`` times in a block after one warm-up call. Blocks, not alternate calls:
    one library's worker threads still spinning after its call would otherwise slow the
    other's next call (seen here: torch twice as slow right after a NumPy call). Five short
    rounds rather than three long ones, so that load from other work on a shared machine
    falls on both libraries alike."""
    times: list[list[float]] = [[] for _ in fns]
    per_block = max(1, repeat // rounds)
    for _ in range(rounds):
        for fn, spent in zip(fns, times):
            fn()
            for _ in range(per_block):
                start = time.perf_counter()
                fn()
                spent.append(time.perf_counter() - start)
    return times


def matmul_rate(repeat: int) -> float:
    a = np.random.default_rng(0).standard_normal((1024, 1024))
    seconds = median_time(lambda: a @ a, repeat)
    return 2 * 1024**3 / seconds


def torch_conv_transpose(dims: int):
    return {1: torch.nn.functional.conv_transpose1d, 2: torch.nn.functional.conv_transpose2d,
            3: torch.nn.functional.conv_transpose3d}[dims]


def measure(layer: Layer, repeat: int, grad: bool) -> dict:
    rng = np.random.default_rng(0)
    dims = len(layer.input_size)
    x = rng.standard_normal((layer.batch, layer.in_channels, *layer.input_size))
    w = rng.standard_normal((layer.in_channels, layer.out_channels // layer.groups,
                             *(layer.kernel,) * dims))
    kw = dict(stride=layer.stride, padding=layer.padding, groups=layer.groups)
    tx, tw = torch.from_numpy(x), torch.from_numpy(w)
    fn = torch_conv_transpose(dims)

    expected = fn(tx, tw, **kw).numpy()
    actual = conv_transpose(x, w, **kw)
    assert np.allclose(actual, expected, rtol=1e-10, atol=1e-10), layer.name

    oracle_t, torch_t, bound_t = side_by_side(
        [lambda: conv_transpose(x, w, **kw), lambda: fn(tx, tw, **kw),
         lambda: error_bound(x, w, dtype="float32", **kw)], repeat)
    oracle_s, torch_s = statistics.median(oracle_t), statistics.median(torch_t)
    bound_s = statistics.median(bound_t)
    row = {"layer": layer.name, "source": layer.source, "oracle_s": oracle_s,
           "torch_s": torch_s, "ratio": oracle_s / torch_s, "gflops": layer.flops / 1e9,
           "oracle_gflop_s": layer.flops / oracle_s / 1e9,
           "bound_over_oracle": bound_s / oracle_s}
    if grad:
        dy = rng.standard_normal(actual.shape)
        tdy = torch.from_numpy(dy)

        def torch_grad():
            gx, gw = tx.clone().requires_grad_(), tw.clone().requires_grad_()
            fn(gx, gw, **kw).backward(tdy)

        oracle_t, torch_t = side_by_side(
            [lambda: conv_transpose_grad(x, w, dy, **kw), torch_grad], repeat)
        row["oracle_grad_s"] = statistics.median(oracle_t)
        row["torch_grad_s"] = statistics.median(torch_t)
        row["grad_ratio"] = row["oracle_grad_s"] / row["torch_grad_s"]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--grad", action="store_true", help="also time the gradients")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    rate = matmul_rate(args.repeat)
    rows = [measure(layer, args.repeat, args.grad) for layer in LAYERS]
    print(f"machine: {platform.machine()} {platform.processor() or ''}, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), numpy {np.__version__}")
    print(f"numpy float64 matmul 1024^3: {rate / 1e9:.2f} GFLOP/s")
    header = f"{'layer':32} {'oracle ms':>10} {'torch ms':>10} {'ratio':>6} {'FLOP frac':>9}"
    header += f" {'bound/oracle':>12}"
    if args.grad:
        header += f" {'grad ratio':>10}"
    print(header)
    for r in rows:
        line = (f"{r['layer']:32} {r['oracle_s'] * 1e3:10.2f} {r['torch_s'] * 1e3:10.2f} "
                f"{r['ratio']:6.2f} {r['oracle_gflop_s'] * 1e9 / rate:9.2f} "
                f"{r['bound_over_oracle']:12.2f}")
        if args.grad:
            line += f" {r['grad_ratio']:10.2f}"
        print(line)
    ratios = [r["ratio"] for r in rows]
    print(f"median ratio {statistics.median(ratios):.2f}, max {max(ratios):.2f} "
          f"(target: median <= 0.5, none above 1.0)")
    if args.grad:
        g = [r["grad_ratio"] for r in rows]
        print(f"gradients: median ratio {statistics.median(g):.2f}, max {max(g):.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"matmul_gflop_s": rate / 1e9, "torch": torch.__version__,
                       "numpy": np.__version__, "layers": rows}, fh, indent=2)


if __name__ == "__main__":
    main()
