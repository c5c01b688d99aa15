"""Caffe's ``Deconvolution`` layer (``convolution_param``: ``num_output``, ``kernel_size`` /
``kernel_h``/``kernel_w``, ``stride``, ``pad`` / ``pad_h``/``pad_w``, ``dilation``, ``group``,
``bias_term``), as OpenCV's DNN module reads it (``cv2.dnn.readNetFromCaffe``).

Sources:

- Caffe (BVLC/caffe master, 1.0), ``src/caffe/layers/deconv_layer.cpp``,
  ``DeconvolutionLayer::compute_output_shape``: ``kernel_extent = dilation_data[i] *
  (kernel_shape_data[i] - 1) + 1``; ``output_dim = stride_data[i] * (input_dim - 1) +
  kernel_extent - 2 * pad_data[i]``: the uncropped result with ``pad`` cropped from *both* ends;
  one pad per axis, no output_padding, no padding modes. ``src/caffe/layers/base_conv_layer.cpp``
  reads ``pad_h``/``pad_w`` (2-D) or a repeated ``pad`` (one value for every axis, or one per
  axis), default 0; the weight blob is ``(C_in, C_out/group, *kernel)`` for Deconvolution (the
  "conv_out_channels" of its backward convolution), not flipped (``Forward_cpu`` is
  ``backward_cpu_gemm``, col2im of ``W^T x``).
- OpenCV 4.14 (opencv/opencv ``modules/dnn/src/layers/convolution_layer.cpp``,
  ``DeConvolutionLayerImpl``): ``getMemoryShapes`` computes ``strides[i] * (in - 1) +
  kernel_size[i] - pads_begin[i] - pads_end[i] + adjust_pads[i]`` (no dilation term) and
  ``supportBackend`` accepts the OpenCV CPU backend for ``kernel_size.size() == 2`` only;
  ``finalize`` refuses ``pads_begin != pads_end`` ("Unsupported asymmetric padding in
  deconvolution layer"). ``adj`` (``adjust_pads``) is read by ``layers_common.cpp``
  ``getConvolutionKernelParams`` for other importers; Caffe's ``ConvolutionParameter`` has no
  such field, so it is not part of this vocabulary. This module states Caffe's rule; where
  OpenCV departs from it, that is a finding.
"""

from __future__ import annotations

from tconv.oracle.rules.canonical import Axis, Canonical, NotExpressible, RuleViolation


def pad(p: int) -> Canonical:
    """``pad``: the same crop from both ends."""
    return Canonical(p, p)


def limits(p: int) -> None:
    if p < 0:
        raise RuleViolation("pad is a uint32 (ConvolutionParameter): non-negative")


def express(axis: Axis, canonical: Canonical) -> dict:
    """The ``pad`` giving this window: a symmetric crop only (no zeros, no output_padding)."""
    # Before normalizing: that leaves end >= 0, so a negative begin would be refused as an
    # asymmetric crop instead.
    if canonical.begin < 0:
        raise NotExpressible("pad is non-negative")
    c = canonical.normalized()
    if c.output_padding or c.begin != c.end:
        raise NotExpressible("Caffe's Deconvolution crops `pad` from both ends: no asymmetric "
                             "crop and no output_padding")
    if c.size(axis) < 1:
        raise NotExpressible("the window has no element")
    return {"pad": c.begin}
