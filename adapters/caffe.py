"""Caffe's ``Deconvolution`` layer through OpenCV's DNN module: the adapter writes a prototxt
(an ``Input`` layer and the ``Deconvolution`` layer) and a ``.caffemodel`` (a serialized
``caffe.NetParameter`` holding the layer's blobs, encoded here field by field: no Caffe is
installed), reads both with ``cv2.dnn.readNetFromCaffe(prototxt, caffemodel)``, sets the input
and calls ``net.forward()``.

opencv-python-headless 4.14: OpenCV 5.0 (opencv-python-headless 5.0.0.93) has no
``cv2.dnn.readNetFromCaffe`` any more (``dir(cv2.dnn)`` lists readNet, readNetFromModelOptimizer,
readNetFromONNX, readNetFromTFLite, readNetFromTensorflow), so the newest 4.x is pinned.

Layouts are Caffe's, the canonical ones: blobs ``N, C, H, W``, the weight blob ``(C_in,
C_out/group, kh, kw)``, not flipped, bias the layer's own second blob (``bias_term: true``).
OpenCV runs the layer in 2-D only on its CPU backend (``oracle.rules.caffe``); a 1-D case runs as
2-D with a unit height (``kernel_h: 1``, ``stride_h: 1``, ``pad_h: 0``: a reshape, the result is
the same). Padding by ``oracle.rules.caffe``.

The protobuf fields (BVLC/caffe ``src/caffe/proto/caffe.proto``): NetParameter ``layer = 100``;
LayerParameter ``name = 1``, ``type = 2``, ``blobs = 7``; BlobProto ``data = 5`` (packed
float), ``shape = 7``; BlobShape ``dim = 1`` (packed int64).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import astuple

import numpy as np

from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported, axes, expressed
from tconv.adapters.declarations import Backend, Framework, Nominal, Porting
from tconv.cases.case import Case
from tconv.oracle.rules import RuleViolation
from tconv.oracle.rules import caffe as rules

LAYER = "up"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | 0x80 if n else low)
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field (wire type 2)."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _blob(a: np.ndarray) -> bytes:
    shape = _field(7, _field(1, b"".join(_varint(d) for d in a.shape)))
    return shape + _field(5, np.ascontiguousarray(a, dtype="<f4").tobytes())


def caffemodel(blobs: list[np.ndarray]) -> bytes:
    """A NetParameter with one layer, named as in the prototxt, holding ``blobs``."""
    layer = _field(1, LAYER.encode()) + _field(2, b"Deconvolution")
    return _field(100, layer + b"".join(_field(7, _blob(b)) for b in blobs))


def prototxt(native: dict, x_shape: tuple, bias: bool) -> str:
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (native[k] for k in
                                              ("kernel", "stride", "pad", "dilation"))
    dims = " ".join(f"dim: {d}" for d in x_shape)
    return "\n".join([
        'name: "conv_transpose"',
        f'layer {{ name: "data" type: "Input" top: "data" input_param {{ shape {{ {dims} }} }} }}',
        f'layer {{ name: "{LAYER}" type: "Deconvolution" bottom: "data" top: "{LAYER}"',
        f"  convolution_param {{ num_output: {native['num_output']} "
        f"kernel_h: {kh} kernel_w: {kw} stride_h: {sh} stride_w: {sw} pad_h: {ph} pad_w: {pw} "
        f"dilation: {dh} dilation: {dw} group: {native['group']} "
        f"bias_term: {'true' if bias else 'false'} }} }}", ""])


class Deconvolution(Adapter):
    name = "caffe.opencv"
    conventions = Conventions(
        framework="caffe",
        entry_point="Caffe Deconvolution layer (prototxt + caffemodel) read by "
                    "cv2.dnn.readNetFromCaffe, net.forward() (OpenCV CPU backend)",
        input_layout="N, C_in, *spatial (1-D as H=1)",
        kernel_layout="C_in, C_out/groups, *kernel (the layer's first blob; not flipped)",
        kernel_axes=("C_in", "C_out/groups", "*kernel"), kernel_flipped=False,
        padding_vocabulary="caffe", bias="the layer's own second blob (`bias_term: true`)",
        dims=(1, 2), dtypes=("float32",), devices=("cpu",))

    def plan(self, case: Case) -> Plan:
        if case.dims not in (1, 2):
            raise Unsupported("OpenCV's DeConvolution runs on its CPU backend for 2-D kernels "
                              "only (DeConvolutionLayerImpl::supportBackend)")
        if not isinstance(case.padding, tuple):
            raise Unsupported("Caffe's Deconvolution has one symmetric `pad` per axis: no "
                              "padding modes, no output size")
        pads, violation = [], ""
        for axis_, pair, a in zip(axes(case), case.padding, case.output_padding):
            p = expressed(rules.express, axis_, *pair, a)["pad"]
            try:
                rules.limits(p)
            except RuleViolation as error:
                violation = violation or str(error)
            pads.append(p)
        unit = case.dims == 1  # 1-D as 2-D with a unit height

        def spatial(values, one: int) -> tuple[int, ...]:
            return (one, *values) if unit else tuple(values)

        native = {"unit_height": unit, "num_output": case.out_channels, "group": case.groups,
                  "kernel": spatial(case.kernel, 1), "stride": spatial(case.stride, 1),
                  "pad": spatial(pads, 0), "dilation": spatial(case.dilation, 1)}
        return Plan(self.name, case.id, native, tuple(astuple(rules.pad(p)) for p in pads),
                    violation)

    def run(self, native: dict, x, w, b, dtype: str) -> np.ndarray:
        import cv2

        if native["unit_height"]:
            x, w = x[:, :, None], w[:, :, None]
        with tempfile.TemporaryDirectory() as folder:
            proto = os.path.join(folder, "net.prototxt")
            model = os.path.join(folder, "net.caffemodel")
            with open(proto, "w") as f:
                f.write(prototxt(native, x.shape, b is not None))
            with open(model, "wb") as f:
                f.write(caffemodel([w] + ([] if b is None else [b])))
            net = cv2.dnn.readNetFromCaffe(proto, model)
        net.setInput(np.ascontiguousarray(x, dtype=np.float32))
        y = np.asarray(net.forward()).astype(np.float64)
        return y[:, :, 0] if native["unit_height"] else y

    def source(self, plan: Plan) -> str:
        n = plan.native
        return (f"Deconvolution {{ num_output: {n['num_output']}, kernel {n['kernel']}, stride "
                f"{n['stride']}, pad {n['pad']}, dilation {n['dilation']}, group {n['group']} }}"
                "; net = cv2.dnn.readNetFromCaffe(prototxt, caffemodel); net.setInput(x); "
                "y = net.forward()")

    def script(self, plan: Plan) -> str:
        n = plan.native
        return "\n".join([
            "import os",
            "import tempfile",
            "",
            "import cv2",
            "import numpy as np",
            "",
            "",
            "def varint(n):",
            "    out = bytearray()",
            "    while True:",
            "        low, n = n & 0x7F, n >> 7",
            "        out.append(low | 0x80 if n else low)",
            "        if not n:",
            "            return bytes(out)",
            "",
            "",
            "def field(number, payload):  # a length-delimited protobuf field",
            "    return varint(number << 3 | 2) + varint(len(payload)) + payload",
            "",
            "",
            "def blob(a):  # BlobProto: shape = 7 (BlobShape dim = 1), data = 5",
            "    shape = field(7, field(1, b''.join(varint(d) for d in a.shape)))",
            "    return shape + field(5, np.ascontiguousarray(a, dtype='<f4').tobytes())",
            "",
            "",
            f"unit = {n['unit_height']!r}  # a 1-D case runs as 2-D with a unit height",
            "if unit:",
            "    x, w = x[:, :, None], w[:, :, None]",
            "blobs = [w] if b is None else [w, b]",
            f"layer = field(1, {LAYER!r}.encode()) + field(2, b'Deconvolution') + "
            "b''.join(field(7, blob(a)) for a in blobs)",
            "dims = ' '.join(f'dim: {d}' for d in x.shape)",
            f"proto = {prototxt(n, (0,), False)!r}",
            "proto = proto.replace('dim: 0', dims).replace('bias_term: false', "
            "'bias_term: ' + ('false' if b is None else 'true'))",
            "folder = tempfile.mkdtemp()",
            "with open(os.path.join(folder, 'net.prototxt'), 'w') as f:",
            "    f.write(proto)",
            "with open(os.path.join(folder, 'net.caffemodel'), 'wb') as f:",
            "    f.write(field(100, layer))  # NetParameter: layer = 100",
            "net = cv2.dnn.readNetFromCaffe(os.path.join(folder, 'net.prototxt'), "
            "os.path.join(folder, 'net.caffemodel'))",
            "net.setInput(np.ascontiguousarray(x, dtype=np.float32))",
            "y = np.asarray(net.forward()).astype(np.float64)",
            "if unit:",
            "    y = y[:, :, 0]"])

    def version(self) -> str:
        import cv2

        return str(cv2.__version__)


FRAMEWORKS = (Framework(
    name="Caffe (OpenCV DNN)", package="opencv-python-headless",
    distributions=("opencv-python-headless",),
    backends=(Backend("caffe-opencv", "cv2", packages=("opencv-python-headless",)),),
    entry_points=((Deconvolution, "caffe-opencv"),),
    native_keys=("pad",),
    porting=Porting("Caffe", "caffe.opencv", (
        Nominal("caffe-pad1-k4-s2", "kernel_size: 4, stride: 2, pad: 1", "caffe.opencv", (1, 1),
                astuple(rules.pad(1)), k=4),)),
),)
