"""Theano: ``theano.tensor.nnet.abstract_conv.conv2d_grad_wrt_inputs``, declared so that the
reports carry its row, and not runnable here: every check is ``unsupported`` with the reason
(``NOT_RUNNABLE``), found by probing Theano's last release in a scratch environment (Theano is
not installed with tconv). Its maintained successor is PyTensor (``adapters/pytensor.py``),
which no longer has this function.

The backend's presence module is this adapter module itself: the entry point's row exists
wherever tconv does, whether Theano is installed or not, and no check reaches a worker (the
plan refuses first).
"""

from __future__ import annotations

import numpy as np

from tconv.adapters.base import Adapter, Conventions, Plan, Unsupported
from tconv.adapters.declarations import Backend, Framework
from tconv.cases.case import Case

VERSION = "1.0.5"   # Theano's last release (the version probed)

NOT_RUNNABLE = (
    f"not runnable: Theano {VERSION} (its last release) on Python 3.11 with NumPy 2.4.6, "
    "probed 2026-12-02 in a scratch environment: with a C++ compiler (g++ 12.2) `import "
    "theano` fails compiling its lazylinker_ext module (\"'PyInt_AsLong' was not declared in "
    "this scope\": Python 2 C API); without one (THEANO_FLAGS=cxx=) it imports, but compiling "
    "conv2d_grad_wrt_inputs raises \"AbstractConv2d_gradInputs Theano optimization failed: "
    "there is no implementation available supporting the requested options\" (its CPU "
    "implementations are C code)")


class GradWrtInputs(Adapter):
    name = "theano.conv2d_grad_wrt_inputs"
    # As Theano 1.0.5 documents it (theano/tensor/nnet/abstract_conv.py): filters of the
    # forward conv2d "(output channels, input channels, filter rows, filter columns)", i.e.
    # the transposed convolution's (C_in, C_out/groups, *kernel); filter_flip=True (the
    # default) flips them. Never run: a record of what the entry point is.
    conventions = Conventions(
        framework="theano",
        entry_point="theano.tensor.nnet.abstract_conv.conv2d_grad_wrt_inputs (not runnable)",
        input_layout="N, C_in, H, W", kernel_layout="C_in, C_out/groups, *kernel "
                                                    "(filter_flip=True: flipped)",
        kernel_flipped=True, padding_vocabulary="none (not runnable)",
        bias="none (not runnable)", dims=(2,), devices=("cpu",))

    def plan(self, case: Case) -> Plan:
        raise Unsupported(NOT_RUNNABLE)

    def run(self, native: dict, x, w, b, dtype: str) -> np.ndarray:
        raise Unsupported(NOT_RUNNABLE)

    def source(self, plan: Plan) -> str:
        return "theano.tensor.nnet.abstract_conv.conv2d_grad_wrt_inputs(x, w, input_shape)"

    def version(self) -> str:
        return VERSION


FRAMEWORKS = (Framework(
    name="Theano", package="theano", distributions=("theano",),
    backends=(Backend("theano", "tconv.adapters.theano", packages=("theano",)),),
    entry_points=((GradWrtInputs, "theano"),),
),)
