"""The case families, and the profiles that run them.

Every family is a function returning a tuple of ``Case`` (float32; the profiles add the other
dtypes):

- ``literature()``: the exact vectors of ``cases.literature`` (``literature_vectors()`` pairs each
  case with its ``Vector``, whose literal values a check feeds instead of ``Case.arrays()``);
- ``edge()``: hand-picked corners (input size 1, kernel 1, stride beyond the dilated kernel,
  non-square everything, asymmetric crops, output_padding over cropped values and past the end,
  batches, groups, 1-D to 3-D);
- ``zoo()``: real layers of published architectures at their real channel counts, each citing
  its paper and reference code in ``source``;
- ``grid()``: a covering array of the parameter space (``GRID_FACTORS``): every pair of factor
  values, and every triple of stride x kernel x padding mode, that the constraints allow;
- ``invalid()``: configurations some framework's documented rules forbid but the operation
  allows (the oracle computes them).

``rejected()`` lists, as ``(description, Case keyword arguments)``, configurations the operation
itself has no answer for (channels not divisible by groups, a zero stride, ...), for
argument-validation checks. ``profile(name)`` selects the cases of a run: ``"quick"`` (CI-sized),
``"default"`` or ``"full"``.

Everything here is deterministic: the same cases, names and seeds on every run.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from itertools import combinations, product

import numpy as np

from tconv.cases.case import DTYPES, Case, OutputShape
from tconv.cases.literature import VECTORS, Vector

__all__ = [
    "ALL_FAMILIES",
    "GRID_FACTORS",
    "GRID_TRIPLE",
    "PROFILES",
    "edge",
    "grid",
    "grid_kernel",
    "invalid",
    "literature",
    "literature_vectors",
    "profile",
    "rejected",
    "vector_for",
    "zoo",
]


# --- building cases --------------------------------------------------------------------------


def _seed(family: str, name: str) -> int:
    """A stable seed per case (the same for every dtype, so dtypes see the same values)."""
    return zlib.crc32(f"{family}/{name}".encode()) & 0x7FFFFFFF


def _axes(value: int | Sequence[int], dims: int) -> tuple[int, ...]:
    if isinstance(value, int):
        return (value,) * dims
    value = tuple(value)
    if len(value) != dims:
        raise ValueError(f"need {dims} values, got {value!r}")
    return value


def _padding(pad: object, dims: int) -> tuple[tuple[int, int], ...] | str | OutputShape:
    """An int (the same crop at both ends of every axis), one ``(begin, end)`` pair per axis,
    ``"SAME"``/``"VALID"`` or an ``OutputShape``."""
    if isinstance(pad, str | OutputShape):
        return pad
    if isinstance(pad, int):
        return ((pad, pad),) * dims
    pairs = tuple((int(b), int(e)) for b, e in pad)
    if len(pairs) != dims:
        raise ValueError(f"need {dims} padding pairs, got {pad!r}")
    return pairs


def _case(
    family: str,
    name: str,
    *,
    n: int | Sequence[int],
    k: int | Sequence[int],
    s: int | Sequence[int] = 1,
    d: int | Sequence[int] = 1,
    pad: object = 0,
    op: int | Sequence[int] = 0,
    cin: int = 1,
    cout: int = 1,
    groups: int = 1,
    batch: int = 1,
    bias: bool = False,
    source: str = "",
) -> Case:
    dims = 1 if isinstance(n, int) else len(n)
    return Case(
        family=family,
        name=name,
        batch=batch,
        in_channels=cin,
        out_channels=cout,
        groups=groups,
        input_size=_axes(n, dims),
        kernel=_axes(k, dims),
        stride=_axes(s, dims),
        dilation=_axes(d, dims),
        padding=_padding(pad, dims),
        output_padding=_axes(op, dims),
        bias=bias,
        seed=_seed(family, name),
        source=source,
    )


# --- 1. literature ---------------------------------------------------------------------------


def _literature_case(vector: Vector) -> Case:
    shape_x, shape_w = np.shape(vector.input), np.shape(vector.kernel)
    dims = len(shape_x)
    return _case("literature", vector.name, n=shape_x, k=shape_w, s=_axes(vector.stride, dims),
                 pad=vector.padding,
                 source="shared/docs/semantics.md §3 (cases/literature.py)")


@cache
def literature() -> tuple[Case, ...]:
    """The exact vectors of ``semantics.md`` §3: batch 1, one channel, no bias. Their inputs are
    fixed values: feed ``literature_vectors()``' (or ``vector_for``'s) values, not ``arrays()``."""
    return tuple(_literature_case(v) for v in VECTORS)


def literature_vectors() -> list[tuple[Case, Vector]]:
    """Each literature case with the vector whose literal input, kernel and expected output it
    stands for."""
    return list(zip(literature(), VECTORS))


def vector_for(case: Case) -> Vector | None:
    """The literature vector a case (of any dtype) stands for; None outside that family."""
    if case.family != "literature":
        return None
    return next(v for v in VECTORS if v.name == case.name)


# --- 2. edge ---------------------------------------------------------------------------------


@cache
def edge() -> tuple[Case, ...]:
    """Corners of the definition, each named for what it exercises."""
    e = "edge"
    return (
        # input size 1: the output is the (cropped) kernel itself
        _case(e, "input1-k1-s1", n=1, k=1),
        _case(e, "input1-k3-s1", n=1, k=3),
        _case(e, "input1-k3-s2", n=1, k=3, s=2),
        _case(e, "input1-k2-s3-d2-2d", n=(1, 1), k=2, s=3, d=2),
        _case(e, "input1-k1-3d-channels", n=(1, 1, 1), k=1, cin=2, cout=3, bias=True),
        _case(e, "input1-k3-crop1-1", n=1, k=3, pad=1),
        # kernel 1, and a stride larger than the dilated kernel (zeros between the copies)
        _case(e, "k1-s1", n=5, k=1),
        _case(e, "k1-s2", n=5, k=1, s=2),
        _case(e, "k1-s3-2d", n=(3, 4), k=1, s=3),
        _case(e, "k2-s3", n=4, k=2, s=3),
        _case(e, "k2-d2-s4", n=4, k=2, d=2, s=4),
        _case(e, "k3-d2-s6-2d", n=(3, 2), k=3, d=2, s=6),
        _case(e, "k2-s5-input3", n=3, k=2, s=5),
        # dilation with stride 1 (holes inside one copy), kernel larger than the input
        _case(e, "k3-d3-s1", n=4, k=3, d=3),
        _case(e, "k9-input3", n=3, k=9),
        _case(e, "k5x4-input2x2-2d", n=(2, 2), k=(5, 4)),
        # non-square: a different size, kernel, stride and dilation on every axis
        _case(e, "nonsquare-2d", n=(3, 5), k=(2, 3), s=(1, 2), d=(2, 1), pad=((1, 0), (0, 2))),
        _case(e, "nonsquare-2d-op", n=(4, 3), k=(3, 2), s=(2, 3), pad=((1, 1), (0, 0)),
              op=(1, 2)),
        _case(e, "nonsquare-3d", n=(2, 3, 4), k=(1, 2, 3), s=(3, 2, 1), d=(1, 2, 3),
              pad=((0, 0), (1, 0), (2, 3))),
        _case(e, "nonsquare-3d-op", n=(3, 2, 2), k=(2, 3, 4), s=(2, 1, 3), d=(1, 2, 1),
              pad=((1, 0), (0, 1), (1, 1)), op=(1, 0, 2), cin=2, cout=2, bias=True),
        # asymmetric explicit crops (begin != end)
        _case(e, "pad-begin-gt-end", n=5, k=4, s=2, pad=((3, 1),)),
        _case(e, "pad-end-gt-begin", n=5, k=4, s=2, pad=((0, 2),)),
        _case(e, "pad-asym-2d", n=(4, 4), k=3, s=2, pad=((2, 0), (0, 1))),
        _case(e, "pad-crop-to-one", n=2, k=3, s=2, pad=2),
        _case(e, "pad-crop-all-but-one-2d", n=(2, 3), k=(2, 2), pad=((2, 0), (1, 2))),
        # output_padding: selecting values `end` cropped, then zeros past the full result
        _case(e, "op1-selects-cropped", n=4, k=3, s=2, pad=((1, 2),), op=1),
        _case(e, "op2-equals-end", n=4, k=3, s=3, pad=((1, 2),), op=2),
        _case(e, "op1-past-end-s2", n=4, k=3, s=2, op=1),
        _case(e, "op2-cropped-then-past-end", n=3, k=2, s=3, pad=1, op=2),
        _case(e, "op-past-end-2d", n=(3, 2), k=(2, 3), s=(2, 3), pad=((1, 0), (0, 0)),
              op=(1, 2)),
        _case(e, "op1-s2-p1-3d", n=(3, 3, 3), k=3, s=2, pad=1, op=1),
        # batches
        _case(e, "batch3-bias", n=5, k=3, s=2, pad=1, batch=3, bias=True),
        _case(e, "batch2-channels-2d", n=(3, 3), k=3, s=2, batch=2, cin=2, cout=3, bias=True),
        _case(e, "k1-pointwise-channels", n=(3, 2), k=1, cin=3, cout=5, bias=True),
        _case(e, "many-channels-2d", n=(5, 5), k=3, s=2, pad=1, op=1, cin=16, cout=8),
        # groups
        _case(e, "groups2-in2-out1", n=5, k=3, s=2, cin=4, cout=2, groups=2),
        _case(e, "groups2-in1-out2-2d", n=(3, 4), k=(3, 2), s=2, cin=2, cout=4, groups=2,
              bias=True),
        _case(e, "depthwise-2d", n=(4, 4), k=4, s=2, pad=1, cin=4, cout=4, groups=4),
        _case(e, "depthwise-multiplier2", n=6, k=3, s=2, cin=3, cout=6, groups=3),
        _case(e, "groups2-in3-out2-2d", n=(3, 3), k=3, s=2, pad=((1, 0), (0, 1)), cin=6, cout=4,
              groups=2, batch=2),
        _case(e, "groups2-in2-out3-3d", n=(2, 3, 2), k=(2, 2, 3), s=2, cin=4, cout=6, groups=2,
              bias=True),
        _case(e, "depthwise-3d", n=(2, 2, 3), k=(3, 2, 2), s=(1, 2, 3), d=(2, 1, 1), cin=3,
              cout=3, groups=3),
        _case(e, "groups-bilinear-1d", n=6, k=4, s=2, pad=1, cin=2, cout=2, groups=2,
              batch=2),
        # SAME and VALID where the kernel is smaller than the stride (SAME's n*s is then longer
        # than the full result: zeros must come from somewhere) and with an even kernel (the
        # odd crop goes to one side); found by the conventions probes (reports/probes.py)
        _case(e, "same-k1-s2", n=5, k=1, s=2, pad="SAME"),
        _case(e, "same-k2-s3", n=4, k=2, s=3, pad="SAME", bias=True),
        _case(e, "same-k2-s1-even", n=5, k=2, pad="SAME"),
        # SAME with a total padding of -2 (the kernel two shorter than the stride): how a
        # negative total splits differs (found by the exploration)
        _case(e, "same-k1-s3", n=4, k=1, s=3, pad="SAME", bias=True),
        _case(e, "valid-k1-s2", n=5, k=1, s=2, pad="VALID"),
        _case(e, "valid-k2-s3-2d", n=(3, 2), k=2, s=3, pad="VALID"),
        # SAME with output_padding on one axis and an even kernel on the other: Keras's own
        # output length there is (n-1)*s + k%2 + op; found by the full profile's exploration
        # (conformance/explore.py), shrunk from a random case
        _case(e, "same-op1-even-k-2d", n=(3, 3), k=(3, 2), s=(2, 1), op=(1, 0), pad="SAME"),
        # a kernel longer than the input on one axis, a stride on the other: XLA's CPU compiler
        # aborts (found by the exploration, like the case above)
        _case(e, "xla-kernel-over-input-2d", n=(2, 3), k=(3, 2), s=(1, 2), pad=((0, 0), (1, 1))),
        # a stride on one axis and a dilation on the other: Keras's layers refuse it
        _case(e, "stride-one-axis-dilation-other-2d", n=(3, 3), k=(2, 2), s=(2, 1), d=(1, 2)),
    )


# --- 3. zoo ----------------------------------------------------------------------------------

# Spatial sizes are shrunk from the real ones (never channels) so that a case stays near or
# under ~2e6 output elements and ~50 MFLOP (2 * N * C_in * C_out/g * inputs * taps); each
# comment says what the real input size is. Mask R-CNN keeps its real 14x14 (the RoI size is
# part of the architecture): ~103 MFLOP.

_DCGAN = ("Radford, Metz & Chintala 2016, 'Unsupervised Representation Learning with Deep "
          "Convolutional GANs' (DCGAN); pytorch/examples dcgan/main.py Generator (nz=100, "
          "ngf=64, nc=3)")
_DCGAN_TF = ("Radford et al. 2016 (DCGAN), TensorFlow port carpedm20/DCGAN-tensorflow ops.py "
             "deconv2d (5x5, stride 2, tf.nn.conv2d_transpose padding 'SAME', biases)")
_PIX2PIX = ("Isola, Zhu, Zhou & Efros 2017, 'Image-to-Image Translation with Conditional "
            "Adversarial Networks' (pix2pix) U-Net decoder; junyanz/pytorch-CycleGAN-and-pix2pix "
            "models/networks.py UnetSkipConnectionBlock (unet_256, ngf=64, batch norm: bias "
            "only in the outermost upconv)")
_PIX2PIX_TF = ("Isola et al. 2017 (pix2pix), TensorFlow port affinelayer/pix2pix-tensorflow "
               "pix2pix.py gen_deconv (tf.layers.conv2d_transpose 4x4, strides 2, padding "
               "'same', bias)")
_UNET = ("Ronneberger, Fischer & Brox 2015, 'U-Net: Convolutional Networks for Biomedical "
         "Image Segmentation' (up-conv 2x2, stride 2, halving channels); e.g. "
         "milesial/Pytorch-UNet unet/unet_parts.py Up (ConvTranspose2d(c, c // 2, 2, stride=2))")
_FCN = ("Long, Shelhamer & Darrell 2015, 'Fully Convolutional Networks for Semantic "
        "Segmentation'; shelhamer/fcn.berkeleyvision.org voc-fcn8s/net.py and voc-fcn32s/net.py "
        "(L.Deconvolution num_output=21, bias_term=False, pad 0, then a Crop layer; weights "
        "initialized bilinear by surgery.interp)")
_FCN_DW = ("Long et al. 2015 (FCN) bilinear upsampling written per class: one kernel per "
           "channel (groups=21), as the bilinear-initialized 21->21 deconvolution is diagonal")
_FCN_DW_PAD = ("Long et al. 2015 (FCN) bilinear upsampling per class with padding s/2, the "
               "half-pixel layout of shared/docs/semantics.md §3 (kernel 2s, stride s, padding "
               "s/2: output exactly s times the input)")
_HIFIGAN = ("Kong, Kim & Bae 2020, 'HiFi-GAN: Generative Adversarial Networks for Efficient "
            "and High Fidelity Speech Synthesis', V1 generator; jik876/hifi-gan models.py "
            "Generator (ConvTranspose1d(c, c // 2, k, u, padding=(k-u)//2)) with config_v1.json "
            "(upsample_rates 8,8,2,2; kernels 16,16,4,4; upsample_initial_channel 512)")
_MELGAN = ("Kumar et al. 2019, 'MelGAN: Generative Adversarial Networks for Conditional "
           "Waveform Synthesis'; descriptinc/melgan-neurips mel2wav/modules.py Generator "
           "(ratios 8,8,2,2, ngf=32: WNConvTranspose1d(kernel_size=2r, stride=r, "
           "padding=r//2 + r%2, output_padding=r%2))")
_UNET3D = ("Cicek, Abdulkadir, Lienkamp, Brox & Ronneberger 2016, '3D U-Net: Learning Dense "
           "Volumetric Segmentation from Sparse Annotation' (up-convolution 2x2x2, strides of "
           "two in each dimension)")
_MASKRCNN = ("He, Gkioxari, Dollar & Girshick 2017, 'Mask R-CNN' mask head (deconv 2x2 stride "
             "2 on the 14x14 RoI features, 256 channels); pytorch/vision "
             "torchvision/models/detection/mask_rcnn.py MaskRCNNPredictor "
             "(ConvTranspose2d(256, 256, 2, 2, 0))")


def _z(name: str, cin: int, cout: int, n: int | Sequence[int], k: int, s: int, p: object,
       source: str, *, op: int = 0, groups: int = 1, bias: bool = True, batch: int = 1) -> Case:
    return _case("zoo", name, n=n, k=k, s=s, pad=p, op=op, cin=cin, cout=cout, groups=groups,
                 batch=batch, bias=bias, source=source)


@cache
def zoo() -> tuple[Case, ...]:
    """Real layer configurations from published architectures, at their real channel counts."""
    cases = [
        # DCGAN generator (pytorch/examples dcgan/main.py): real inputs 1, 4, 8, 16, 32.
        _z("dcgan-g1-100to512-k4s1p0", 100, 512, (1, 1), 4, 1, 0, _DCGAN, bias=False, batch=2),
        _z("dcgan-g2-512to256-k4s2p1", 512, 256, (3, 3), 4, 2, 1, _DCGAN, bias=False),
        _z("dcgan-g3-256to128-k4s2p1", 256, 128, (6, 6), 4, 2, 1, _DCGAN, bias=False),
        _z("dcgan-g4-128to64-k4s2p1", 128, 64, (12, 12), 4, 2, 1, _DCGAN, bias=False),
        _z("dcgan-g5-64to3-k4s2p1", 64, 3, (32, 32), 4, 2, 1, _DCGAN, bias=False, batch=2),
        # DCGAN, TensorFlow reference (carpedm20/DCGAN-tensorflow): 5x5 SAME; real inputs 4, 32.
        _z("dcgan-tf-h1-512to256-k5s2-same", 512, 256, (2, 2), 5, 2, "SAME", _DCGAN_TF),
        _z("dcgan-tf-h4-64to3-k5s2-same", 64, 3, (32, 32), 5, 2, "SAME", _DCGAN_TF),
        # pix2pix U-Net decoder (unet_256): real inputs 1, 2/4/8, 16, 32, 64, 128.
        _z("pix2pix-innermost-512to512-k4s2p1", 512, 512, (1, 1), 4, 2, 1, _PIX2PIX,
           bias=False, batch=2),
        _z("pix2pix-1024to512-k4s2p1", 1024, 512, (1, 1), 4, 2, 1, _PIX2PIX, bias=False),
        _z("pix2pix-1024to256-k4s2p1", 1024, 256, (2, 2), 4, 2, 1, _PIX2PIX, bias=False),
        _z("pix2pix-512to128-k4s2p1", 512, 128, (4, 4), 4, 2, 1, _PIX2PIX, bias=False),
        _z("pix2pix-256to64-k4s2p1", 256, 64, (8, 8), 4, 2, 1, _PIX2PIX, bias=False),
        _z("pix2pix-outermost-128to3-k4s2p1", 128, 3, (32, 32), 4, 2, 1, _PIX2PIX),
        # pix2pix, TensorFlow reference: 4x4 "same"; real inputs 1 (decoder_8), 128 (decoder_1).
        _z("pix2pix-tf-decoder8-512to512-k4s2-same", 512, 512, (1, 1), 4, 2, "SAME", _PIX2PIX_TF,
           batch=2),
        _z("pix2pix-tf-decoder1-128to3-k4s2-same", 128, 3, (32, 32), 4, 2, "SAME", _PIX2PIX_TF),
        # U-Net up-convolutions: real inputs 28, 52, 100, 196 (valid convolutions, 572 input).
        _z("unet-up1-1024to512-k2s2", 1024, 512, (3, 3), 2, 2, 0, _UNET),
        _z("unet-up2-512to256-k2s2", 512, 256, (6, 6), 2, 2, 0, _UNET),
        _z("unet-up3-256to128-k2s2", 256, 128, (12, 12), 2, 2, 0, _UNET),
        _z("unet-up4-128to64-k2s2", 128, 64, (24, 24), 2, 2, 0, _UNET),
        # FCN (pad 0 then Crop, as the reference nets): real score maps ~16-22 (500x500 input).
        _z("fcn-upscore2-21to21-k4s2", 21, 21, (16, 16), 4, 2, 0, _FCN, bias=False),
        _z("fcn-upscore8-21to21-k16s8", 21, 21, (12, 12), 16, 8, 0, _FCN, bias=False),
        _z("fcn-upscore32-21to21-k64s32", 21, 21, (3, 3), 64, 32, 0, _FCN, bias=False),
        _z("fcn-upscore2-depthwise21-k4s2", 21, 21, (16, 16), 4, 2, 0, _FCN_DW, groups=21,
           bias=False),
        _z("fcn-upscore8-depthwise21-k16s8", 21, 21, (12, 12), 16, 8, 0, _FCN_DW, groups=21,
           bias=False),
        _z("fcn-upscore32-depthwise21-k64s32", 21, 21, (6, 6), 64, 32, 0, _FCN_DW, groups=21,
           bias=False),
        _z("fcn-bilinear2-depthwise21-k4s2p1", 21, 21, (16, 16), 4, 2, 1, _FCN_DW_PAD,
           groups=21, bias=False),
        _z("fcn-bilinear8-depthwise21-k16s8p4", 21, 21, (12, 12), 16, 8, 4, _FCN_DW_PAD,
           groups=21, bias=False),
        _z("fcn-bilinear32-depthwise21-k64s32p16", 21, 21, (6, 6), 64, 32, 16, _FCN_DW_PAD,
           groups=21, bias=False),
        # HiFi-GAN V1 upsampling stack: real inputs (8192-sample segments) 32, 256, 2048, 4096.
        _z("hifigan-v1-up1-512to256-k16s8p4", 512, 256, 8, 16, 8, 4, _HIFIGAN),
        _z("hifigan-v1-up2-256to128-k16s8p4", 256, 128, 32, 16, 8, 4, _HIFIGAN),
        _z("hifigan-v1-up3-128to64-k4s2p1", 128, 64, 512, 4, 2, 1, _HIFIGAN),
        _z("hifigan-v1-up4-64to32-k4s2p1", 64, 32, 1024, 4, 2, 1, _HIFIGAN),
    ]
    # MelGAN: kernel 2r, stride r, padding r//2 + r%2, output_padding r%2; real inputs (8192
    # samples) 32, 256, 2048, 4096. For its even ratios the geometry equals HiFi-GAN V1's.
    melgan_inputs = {0: 4, 1: 16, 2: 256, 3: 512}
    channels = 512
    for i, r in enumerate((8, 8, 2, 2)):
        p, q = r // 2 + r % 2, r % 2
        cases.append(_z(f"melgan-up{i + 1}-{channels}to{channels // 2}-k{2 * r}s{r}p{p}",
                        channels, channels // 2, melgan_inputs[i], 2 * r, r, p, _MELGAN, op=q,
                        batch=2))
        channels //= 2
    cases += [
        # 3-D U-Net up-convolutions (bias, Caffe default): real inputs ~ 9-10, 20, 40 per axis.
        _z("unet3d-up1-512to512-k2s2", 512, 512, (2, 2, 2), 2, 2, 0, _UNET3D),
        _z("unet3d-up2-256to256-k2s2", 256, 256, (3, 3, 3), 2, 2, 0, _UNET3D),
        _z("unet3d-up3-128to128-k2s2", 128, 128, (4, 5, 6), 2, 2, 0, _UNET3D),
        # Mask R-CNN mask head, at its real 14x14.
        _z("maskrcnn-mask-256to256-k2s2", 256, 256, (14, 14), 2, 2, 0, _MASKRCNN),
    ]
    return tuple(cases)


# --- 4. grid ---------------------------------------------------------------------------------

# The factors and their levels. "kernel_vs_stride" compares the kernel size k (not the dilated
# span) with the stride; "output_padding" on an OutputShape case is the requested size minus
# the full size L (the PyTorch/TF-VALID range L .. L + stride - 1); "groups": "1" (3 -> 2
# channels), "2" (2 -> 4, one input channel per group), "depthwise" (3 -> 3, groups 3) and
# "multi" (4 -> 6, groups 2: two input and three output channels per group).
GRID_FACTORS: dict[str, tuple] = {
    "stride": (1, 2, 3, 4),
    "kernel_parity": ("odd", "even"),
    "kernel_vs_stride": ("smaller", "equal", "larger"),
    "mode": ("sym", "asym", "SAME", "VALID", "out"),
    "dilation": (1, 2, 3),
    "output_padding": (0, 1, 2, 3),
    "dims": (1, 2, 3),
    "input_parity": ("odd", "even"),
    "groups": ("1", "2", "depthwise", "multi"),
    "bias": (False, True),
    "batch": (1, 2),
}
# Covered as a triple as well as in pairs: stride x kernel (parity and size against the
# stride, i.e. the kernel size for that stride) x padding mode.
GRID_TRIPLE = ("stride", "kernel_parity", "kernel_vs_stride", "mode")
_CONSTRAINED = ("stride", "kernel_parity", "kernel_vs_stride", "mode", "dilation",
                "output_padding")
_GRID_INPUT = {"odd": (3, 5, 3), "even": (4, 2, 4)}
_GRID_GROUPS = {"1": (3, 2, 1), "2": (2, 4, 2), "depthwise": (3, 3, 3), "multi": (4, 6, 2)}


def grid_kernel(stride: int, vs_stride: str, parity: str) -> int | None:
    """The kernel size the grid uses for this stride, relation and parity (None: none exists):
    the largest smaller one, the stride itself, or the smallest larger one (at least 2)."""
    want = 1 if parity == "odd" else 0
    if vs_stride == "smaller":
        sizes = [k for k in range(1, stride) if k % 2 == want]
        return sizes[-1] if sizes else None
    if vs_stride == "equal":
        return stride if stride % 2 == want else None
    return next(k for k in range(max(stride + 1, 2), stride + 3) if k % 2 == want)


def _grid_feasible(stride: int, parity: str, vs: str, mode: str, dilation: int, op: int) -> bool:
    """The only constraints between factors: the kernel exists, output_padding stays below
    max(stride, dilation) (PyTorch's limit), and an OutputShape stays in PyTorch's range."""
    if grid_kernel(stride, vs, parity) is None:
        return False
    if op >= max(stride, dilation):
        return False
    return not (mode == "out" and op >= stride)


@cache
def _feasible_cores() -> tuple[tuple, ...]:
    levels = [GRID_FACTORS[f] for f in _CONSTRAINED]
    return tuple(c for c in product(*levels) if _grid_feasible(*c))


@cache
def _extendable(partial: tuple[tuple[str, object], ...]) -> bool:
    """Whether a partial assignment (of constrained factors) has a feasible completion."""
    index = {f: i for i, f in enumerate(_CONSTRAINED)}
    return any(all(core[index[f]] == v for f, v in partial) for core in _feasible_cores())


def _core(row: dict) -> tuple[tuple[str, object], ...]:
    return tuple((f, row[f]) for f in _CONSTRAINED if f in row)


def _interactions() -> list[tuple[tuple[str, object], ...]]:
    """What the grid must cover: every feasible stride x kernel x mode triple, then every
    feasible pair of factor values, each as ``((factor, value), ...)`` in factor order."""
    names = list(GRID_FACTORS)
    needed = []
    for values in product(*(GRID_FACTORS[f] for f in GRID_TRIPLE)):
        partial = tuple(zip(GRID_TRIPLE, values))
        if _extendable(_core(dict(partial))):
            needed.append(partial)
    for f, g in combinations(names, 2):
        for v, w in product(GRID_FACTORS[f], GRID_FACTORS[g]):
            if _extendable(_core({f: v, g: w})):
                needed.append(((f, v), (g, w)))
    return needed


@cache
def _grid_rows() -> tuple[dict, ...]:
    """A deterministic greedy covering array (AETG-style): start each row from the first
    interaction still uncovered, then give each remaining factor, in order, the value that
    covers the most uncovered interactions (ties: the value used least so far, then level
    order), keeping the row feasible."""
    names = list(GRID_FACTORS)
    uncovered = dict.fromkeys(_interactions())
    shapes = {tuple(f for f, _ in i) for i in uncovered}
    usage = {(f, v): 0 for f in names for v in GRID_FACTORS[f]}
    rows = []
    while uncovered:
        row = dict(next(iter(uncovered)))
        for f in names:
            if f in row:
                continue
            best, best_key = None, None
            for v in GRID_FACTORS[f]:
                trial = {**row, f: v}
                if not _extendable(_core(trial)):
                    continue
                gain = sum(
                    tuple((g, trial[g]) for g in shape) in uncovered
                    for shape in shapes
                    if f in shape and all(g in trial for g in shape)
                )
                key = (gain, -usage[f, v])
                if best_key is None or key > best_key:
                    best, best_key = v, key
            row[f] = best
        for shape in shapes:
            uncovered.pop(tuple((g, row[g]) for g in shape), None)
        for f in names:
            usage[f, row[f]] += 1
        rows.append(row)
    return tuple(rows)


def _grid_case(index: int, row: dict) -> Case:
    dims, s, d, op = row["dims"], row["stride"], row["dilation"], row["output_padding"]
    k = grid_kernel(s, row["kernel_vs_stride"], row["kernel_parity"])
    n = _GRID_INPUT[row["input_parity"]][:dims]
    cin, cout, groups = _GRID_GROUPS[row["groups"]]
    full = [(size - 1) * s + d * (k - 1) + 1 for size in n]
    span = d * (k - 1)  # what the crops draw from: d*(k - 1), as PyTorch's padding does
    mode = row["mode"]
    if mode == "sym":
        pad: object = (((span + 1) // 2,) * 2,) * dims
    elif mode == "asym":
        pairs = []
        for axis, length in enumerate(full):
            big, small = (span, span // 2) if span else (1, 0)
            if length - big - small + op < 1:
                small = 0
            # alternate which end crops more, axis by axis, starting from the row's parity
            pairs.append((big, small) if (index + axis) % 2 == 0 else (small, big))
        pad = tuple(pairs)
    elif mode == "out":
        pad = OutputShape(tuple(length + op for length in full))
    else:
        pad = mode
    name = "-".join([
        f"{dims}d", mode.lower(), "n" + "x".join(map(str, n)), f"k{k}", f"s{s}", f"d{d}",
        f"op{op}", f"g{row['groups']}", "bias" if row["bias"] else "nobias", f"b{row['batch']}",
    ])
    return _case("grid", name, n=n, k=k, s=s, d=d, pad=pad, op=0 if mode == "out" else op,
                 cin=cin, cout=cout, groups=groups, batch=row["batch"], bias=row["bias"])


@cache
def grid() -> tuple[Case, ...]:
    """The covering array of ``GRID_FACTORS``, as cases (see ``_grid_rows``)."""
    return tuple(_grid_case(i, row) for i, row in enumerate(_grid_rows()))


def _grid_sample() -> tuple[Case, ...]:
    """A few grid cases in which every level of every factor appears at least once (greedy,
    deterministic): the grid's share of the quick profile."""
    missing = {(f, v) for f, levels in GRID_FACTORS.items() for v in levels}
    chosen = []
    pool = list(zip(grid(), _grid_rows()))
    while missing:
        # the first case that shows the most levels not yet shown
        case, row = max(pool, key=lambda cr: len(missing & set(cr[1].items())))
        chosen.append(case)
        missing -= set(row.items())
    return tuple(chosen)


# --- 5. invalid and rejected -----------------------------------------------------------------


@cache
def invalid() -> tuple[Case, ...]:
    """Configurations a framework's documented rules forbid but the operation allows (the
    oracle computes them; ``oracle.rules`` says who refuses what)."""
    v = "invalid"
    return (
        # output_padding >= stride and >= dilation (PyTorch, Keras, ONNX Runtime limits)
        _case(v, "op2-ge-s2-and-d1", n=4, k=3, s=2, pad=1, op=2),
        _case(v, "op3-ge-s2-past-end", n=3, k=2, s=2, op=3),
        _case(v, "op-ge-s-and-d-2d", n=(3, 4), k=(3, 2), s=(2, 1), pad=((1, 1), (0, 0)),
              op=(2, 1), cin=2, cout=3),
        # output_padding >= stride but < dilation (PyTorch allows, Keras layers refuse)
        _case(v, "op2-ge-s1-lt-d3", n=4, k=3, d=3, pad=2, op=2),
        _case(v, "op2-ge-s2-lt-d3", n=3, k=2, s=2, d=3, pad=1, op=2),
        # output_shape out of the valid range (PyTorch: L - 2p .. L - 2p + s - 1; TF: maps back)
        _case(v, "output-shape-above-range", n=4, k=3, s=2, pad=OutputShape((11,))),
        _case(v, "output-shape-below-range", n=4, k=3, s=2, pad=OutputShape((6,))),
        _case(v, "output-shape-2d-one-axis-above", n=(3, 4), k=(4, 3), s=(2, 3),
              pad=OutputShape((8, 15))),
        # negative explicit padding: zeros before / after the full result (JAX pairs imply it)
        _case(v, "negative-begin", n=4, k=3, s=2, pad=((-1, 0),)),
        _case(v, "negative-end", n=4, k=3, s=2, pad=((1, -2),)),
        _case(v, "negative-begin-and-end-2d", n=(3, 3), k=2, s=2, pad=((-1, -1), (0, -2)),
              op=(0, 1)),
        # stride > 1 with dilation > 1 (Keras layers refuse)
        _case(v, "stride2-dilation2", n=4, k=3, s=2, d=2, pad=2, op=1),
        _case(v, "stride2x3-dilation2-2d", n=(3, 3), k=3, s=(2, 3), d=2, pad=((1, 2), (2, 2)),
              cin=2, cout=2, bias=True),
        # explicit padding beyond the dilated kernel span d*(k - 1)
        _case(v, "pad3-gt-span1", n=4, k=2, s=2, pad=3),
        _case(v, "pad-end4-gt-span2", n=4, k=2, s=2, d=2, pad=((0, 4),)),
        _case(v, "pad1-k1", n=4, k=1, s=2, pad=1),
        # an empty output (PyTorch: "output size is too small")
        _case(v, "empty-output", n=2, k=2, pad=((2, 1),)),
        # SAME / VALID with output_padding >= stride (Keras layers refuse)
        _case(v, "same-op2-ge-s2", n=4, k=3, s=2, pad="SAME", op=2),
        _case(v, "valid-op3-ge-s2", n=4, k=3, s=2, pad="VALID", op=3),
    )


def rejected() -> tuple[tuple[str, dict], ...]:
    """Configurations with no defined result, as ``Case`` keyword arguments (family
    ``rejected``): every implementation, the oracle included where it can see the problem, must
    refuse them. The oracle infers C_out from the weight, so it cannot see ``out_channels`` not
    divisible by ``groups``; that check is each framework's."""
    base = dict(family="rejected", batch=1, in_channels=4, out_channels=4, groups=1,
                input_size=(4,), kernel=(3,), stride=(2,), dilation=(1,), padding=((0, 0),),
                output_padding=(0,), bias=False)
    table = (
        ("in_channels-not-divisible-by-groups", dict(in_channels=3, groups=2)),
        ("out_channels-not-divisible-by-groups", dict(out_channels=3, groups=2)),
        ("stride-zero", dict(stride=(0,))),
        ("dilation-zero", dict(dilation=(0,))),
        ("kernel-zero", dict(kernel=(0,))),
        ("input-size-zero", dict(input_size=(0,))),
        ("negative-output-padding", dict(output_padding=(-1,))),
        ("crop-beyond-the-full-result", dict(padding=((5, 5),))),
    )
    return tuple((what, {**base, "name": what, **changes}) for what, changes in table)


# --- profiles --------------------------------------------------------------------------------

ALL_FAMILIES: dict[str, Callable[[], tuple[Case, ...]]] = {
    "literature": literature,
    "edge": edge,
    "zoo": zoo,
    "grid": grid,
    "invalid": invalid,
}

# One layer per architecture (the cheapest), for the quick profile.
_QUICK_ZOO = (
    "dcgan-g5-64to3-k4s2p1",
    "dcgan-tf-h4-64to3-k5s2-same",
    "pix2pix-outermost-128to3-k4s2p1",
    "unet-up4-128to64-k2s2",
    "fcn-upscore8-depthwise21-k16s8",
    "fcn-bilinear2-depthwise21-k4s2p1",
    "hifigan-v1-up4-64to32-k4s2p1",
    "melgan-up3-128to64-k4s2p1",
    "unet3d-up3-128to128-k2s2",
)

PROFILES = ("quick", "default", "full")


def _in_dtypes(cases: Iterable[Case], dtypes: Sequence[str]) -> tuple[Case, ...]:
    cases = tuple(cases)
    return tuple(dataclasses.replace(c, dtype=dt) for dt in dtypes for c in cases)


def _quick() -> tuple[Case, ...]:
    by_name = {c.name: c for c in zoo()}
    return (*literature(), *edge(), *(by_name[name] for name in _QUICK_ZOO), *_grid_sample(),
            *invalid())


def _all() -> tuple[Case, ...]:
    return tuple(c for family in ALL_FAMILIES.values() for c in family())


@cache
def profile(name: str) -> tuple[Case, ...]:
    """The cases of a run:

    - ``quick``: float32 only; the literature, edge and invalid families, one zoo layer per
      architecture and the grid cases that show every factor level once (CI-sized);
    - ``default``: every family in float32 and float64, plus the quick cases in float16 and
      bfloat16;
    - ``full``: every family in every dtype.
    """
    if name == "quick":
        return _quick()
    if name == "default":
        return _in_dtypes(_all(), ("float32", "float64")) + _in_dtypes(
            _quick(), ("float16", "bfloat16"))
    if name == "full":
        return _in_dtypes(_all(), DTYPES)
    raise ValueError(f"profile must be one of {PROFILES}, got {name!r}")
