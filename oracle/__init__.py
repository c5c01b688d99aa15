"""tconv's oracle: what a transposed convolution computes, in NumPy, as a specification.

Public API (stable; other tools call it exactly so)::

    conv_transpose(x, w, bias=None, *, stride=1, padding=0, output_padding=0, dilation=1,
                   groups=1) -> ndarray (float64)
    conv(x, w, bias=None, *, stride=1, padding=0, dilation=1, groups=1)
    conv_transpose_grad(x, w, dy, *, ...) -> Gradients(x, w, bias)
    error_bound(x, w, bias=None, *, dtype, ..., accumulation=None, input_rounding=None)
    gradient_bounds(x, w, dy, *, dtype, ...) -> Gradients(x, w, bias) of element-wise bounds

Each framework's padding vocabulary, translated to the canonical ``(begin, end,
output_padding)``, lives in ``oracle.rules``.
"""

from tconv.oracle.bounds import error_bound, gradient_bounds, unit_roundoff
from tconv.oracle.forward import conv
from tconv.oracle.gradients import Gradients, conv_transpose_grad
from tconv.oracle.transpose import Geometry, conv_transpose, geometry

__all__ = [
    "Geometry",
    "Gradients",
    "conv",
    "conv_transpose",
    "conv_transpose_grad",
    "error_bound",
    "gradient_bounds",
    "geometry",
    "unit_roundoff",
]
