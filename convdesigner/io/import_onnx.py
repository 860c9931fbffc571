"""Open an ONNX file as a design: `from_onnx(path, input_shape=None)`, with the ``onnx`` package.

Each node of a supported operator becomes a layer, named after its weight (``layer1.0.conv1`` for a Conv whose
weight initializer is ``layer1.0.conv1.weight``, as PyTorch's exporter names them) or else after its output.
Weights stay in the file: `ImportResult.weights` maps each initializer to the exported module's state_dict
key (`ImportResult.shared` to the further keys of one that several layers read), and `state_dict(path, result)`
(torch) builds that state_dict. Rules PyTorch lacks become what it has:
``auto_pad`` as explicit (possibly asymmetric) padding; pooling pads PyTorch's pools cannot take as a pad
layer before the pool (-inf before a max pool, zeros before an average that counts them); ConvTranspose's
``output_shape`` as the pads ONNX computes, with a crop layer after it where PyTorch cannot crop; the
block-first channel order of DepthToSpace (DCR) and SpaceToDepth as PixelShuffle and PixelUnshuffle with the
neighbouring convolution's channels reordered (`ImportResult.permuted`); PRelu's slopes in PReLU's shape
(`ImportResult.reshaped`). Every layer's shape is compared with ONNX shape inference; what the engine cannot
hold, or PyTorch would compute otherwise (a Resize's cubic coefficient, Softmax over several axes before
opset 13, ...), is reported.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import onnx
from onnx import numpy_helper

from ..engine.design import InputSpec
from ..engine.layers import CATALOG
from ..engine.layers.common import shape_text
from .design_file import input_problem
from .model_import import DesignBuilder, ImportProblem, ImportResult, MissingDependency, Unsupported, pad_layer

_NAME = re.compile(r"[^A-Za-z0-9_.]+")

#: The largest float32: ONNX's Clip before opset 11 bounds by it when a bound is not given.
FLOAT32_MAX = float(np.finfo(np.float32).max)

#: ONNX Pad's modes as F.pad names them.
PAD_MODES = {"constant": "constant", "reflect": "reflect", "edge": "replicate", "wrap": "circular"}


def _attributes(node: onnx.NodeProto) -> dict[str, Any]:
    values = {}
    for attribute in node.attribute:
        value = onnx.helper.get_attribute_value(attribute)
        values[attribute.name] = value.decode() if isinstance(value, bytes) else value
    return values


def _float(value: float) -> float:
    """A float32 attribute as the decimal it was written as (0.2, not 0.20000000298023224)."""
    return float(f"{value:.7g}")


def _epsilon(attrs: dict[str, Any]) -> dict[str, Any]:
    """A normalisation's ``epsilon`` as its layer's ``eps``, left out when it is PyTorch's default 1e-5."""
    eps = _float(attrs.get("epsilon", 1e-5))
    return {} if eps == 1e-5 else {"eps": eps}


def _collapse(values: Sequence[int]) -> Any:
    values = tuple(int(v) for v in values)
    return values[0] if values and len(set(values)) == 1 else values


class _Importer:
    def __init__(self, model: onnx.ModelProto, builder: DesignBuilder, shapes: dict[str, tuple[int, ...]]) -> None:
        self.graph = model.graph
        self.builder = builder
        self.shapes = shapes  # value name -> full shape (batch included) from shape inference
        self.constants = {i.name: i for i in self.graph.initializer}
        for node in self.graph.node:
            if node.op_type == "Constant" and node.output:
                attrs = {a.name: a for a in node.attribute}
                if "value" in attrs:
                    tensor = onnx.TensorProto()
                    tensor.CopyFrom(attrs["value"].t)
                    tensor.name = node.output[0]
                    self.constants[node.output[0]] = tensor
        self.weights: dict[str, str] = {}
        self.shared: dict[str, list[str]] = {}  # an initializer several layers read -> the keys after the first
        self.transposed: set[str] = set()
        self.reshaped: dict[str, tuple[int, ...]] = {}
        self.permuted: dict[str, tuple[int, tuple[int, ...]]] = {}
        self.producer = {name: node for node in self.graph.node for name in node.output}
        self.readers: dict[str, list[onnx.NodeProto]] = {}
        for node in self.graph.node:
            for name in set(node.input):
                self.readers.setdefault(name, []).append(node)
        self.graph_outputs = {o.name for o in self.graph.output}
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
        self.reordered_inputs: dict[str, tuple[int, ...]] = {}  # tensor -> the channel order its reader takes

    def array(self, name: str) -> np.ndarray:
        return numpy_helper.to_array(self.constants[name])

    def constant(self, name: str) -> bool:
        return name in self.constants

    def rank(self, name: str) -> int:
        shape = self.shapes.get(name)
        if shape is None:
            raise Unsupported(f"the shape of {name} is unknown to ONNX shape inference", INPUT_SHAPE_ACTION)
        return len(shape) - 2

    def layer_name(self, node: onnx.NodeProto) -> str:
        weight = node.input[1] if len(node.input) > 1 and self.constant(node.input[1]) else ""
        if node.op_type in ("Conv", "ConvTranspose", "Gemm", "MatMul", "BatchNormalization") and weight:
            base = weight[:-len(".weight")] if weight.endswith(".weight") else weight
        else:
            base = node.output[0] if node.output and node.output[0] else node.name
        name = _NAME.sub("_", base).strip("._") or node.op_type.lower()
        return re.sub(r"\.{2,}", ".", name)

    def add(self, node: onnx.NodeProto, type_name: str, args: dict[str, Any], operands: Sequence[str] | None = None,
            weights: dict[str, str] | None = None) -> str | None:
        name = self.builder.add(node.output[0], type_name, self.layer_name(node), args,
                                list(operands if operands is not None else node.input[:1]))
        if name is not None:
            self.hold(name, weights or {})
        return name

    def hold(self, layer: str, weights: Mapping[str, str]) -> None:
        """The layer's parameters (name -> initializer) come from these initializers; one that an earlier
        layer reads too (torch's exporter stores identical initializers once) is written for both."""
        for parameter, initializer in weights.items():
            key = f"{layer}.{parameter}"
            if initializer in self.weights:
                self.shared.setdefault(initializer, []).append(key)
            else:
                self.weights[initializer] = key

    def run(self, node: onnx.NodeProto) -> None:
        handler = getattr(self, f"_{node.op_type}", None)
        if handler is None or node.domain not in ("", "ai.onnx"):
            raise Unsupported("convdesigner has no layer type for this operator",
                               "a later convdesigner may add it; until then edit the design around it")
        handler(node, _attributes(node))

    # -- convolutions -------------------------------------------------------------------------------------------

    def _pads(self, node: onnx.NodeProto, attrs: dict[str, Any], kernel: Sequence[int], strides: Sequence[int],
              dilations: Sequence[int]) -> list[tuple[int, int]]:
        """(low, high) per spatial axis, ``auto_pad`` resolved against the input size."""
        n = len(kernel)
        auto = attrs.get("auto_pad", "NOTSET")
        if auto in ("NOTSET", ""):
            pads = list(attrs.get("pads", [0] * 2 * n))
            return [(pads[a], pads[a + n]) for a in range(n)]
        if auto == "VALID":
            return [(0, 0)] * n
        sizes = self.shapes[node.input[0]][2:]
        out = []
        for i, k, s, d in zip(sizes, kernel, strides, dilations):
            total = max((math.ceil(i / s) - 1) * s + (k - 1) * d + 1 - i, 0)
            small, large = total // 2, total - total // 2
            out.append((small, large) if auto == "SAME_UPPER" else (large, small))
        return out

    def _Conv(self, node: onnx.NodeProto, attrs: dict[str, Any]) -> None:
        if not self.constant(node.input[1]):
            raise Unsupported("its weight is computed, not stored", "only convolutions with stored weights import")
        weight = self.constants[node.input[1]]
        kernel = list(attrs.get("kernel_shape", weight.dims[2:]))
        n = len(kernel)
        strides = list(attrs.get("strides", [1] * n))
        dilations = list(attrs.get("dilations", [1] * n))
        pads = self._pads(node, attrs, kernel, strides, dilations)
        args: dict[str, Any] = {"out_channels": int(weight.dims[0]), "kernel_size": _collapse(kernel)}
        if any(s != 1 for s in strides):
            args["stride"] = _collapse(strides)
        if any(lo or hi for lo, hi in pads):
            args["padding"] = _collapse([lo for lo, _ in pads]) if all(lo == hi for lo, hi in pads) else \
                [[lo, hi] for lo, hi in pads]
        if any(d != 1 for d in dilations):
            args["dilation"] = _collapse(dilations)
        if attrs.get("group", 1) != 1:
            args["groups"] = int(attrs["group"])
        bias = len(node.input) > 2 and node.input[2]
        if bias and not self.constant(node.input[2]):
            raise Unsupported("its bias is computed, not stored")
        if not bias:
            args["bias"] = False
        weights = {"weight": node.input[1], **({"bias": node.input[2]} if bias else {})}
        if self.add(node, f"Conv{n}d", args, weights=weights) is not None and node.input[0] in self.reordered_inputs:
            self.permuted[node.input[1]] = (1, self.reordered_inputs[node.input[0]])

    def _transposed_pads(self, node: onnx.NodeProto, attrs: dict[str, Any], kernel: Sequence[int],
                         strides: Sequence[int], dilations: Sequence[int], output_padding: Sequence[int]
                         ) -> list[tuple[int, int]]:
        """(units cropped at the start, units cropped at the end) of the full transposed output per axis, as
        ONNX specifies them: from ``pads`` and ``output_padding``, or computed from ``output_shape`` (or
        ``auto_pad`` SAME, whose output is input x stride); negative at the end: units added."""
        n = len(kernel)
        auto = attrs.get("auto_pad", "NOTSET") or "NOTSET"
        targets = list(attrs.get("output_shape", []))[-n:] if "output_shape" in attrs else None
        if targets is None and auto in ("SAME_UPPER", "SAME_LOWER"):
            targets = [i * s for i, s in zip(self.shapes[node.input[0]][2:], strides)]
        if targets is None:
            pads = [0] * 2 * n if auto == "VALID" else list(attrs.get("pads", [0] * 2 * n))
            return [(pads[a], pads[a + n] - output_padding[a]) for a in range(n)]
        out = []
        for i, k, s, d, a, target in zip(self.shapes[node.input[0]][2:], kernel, strides, dilations, output_padding,
                                          targets):
            total = s * (i - 1) + a + (k - 1) * d + 1 - target
            lo, hi = (total // 2, total - total // 2) if auto == "SAME_UPPER" else (total - total // 2, total // 2)
            out.append((lo, hi - a))
        return out

    def _ConvTranspose(self, node: onnx.NodeProto, attrs: dict[str, Any]) -> None:
        """PyTorch's ConvTranspose crops ``padding`` at the start and ``padding - output_padding`` at the end
        (output_padding below the stride or the dilation): other crops get a crop layer (ZeroPad with negative
        padding) after it."""
        if not self.constant(node.input[1]):
            raise Unsupported("its weight is computed, not stored")
        weight = self.constants[node.input[1]]
        group = int(attrs.get("group", 1))
        kernel = list(attrs.get("kernel_shape", weight.dims[2:]))
        n = len(kernel)
        strides = list(attrs.get("strides", [1] * n))
        dilations = list(attrs.get("dilations", [1] * n))
        crops = self._transposed_pads(node, attrs, kernel, strides, dilations,
                                      list(attrs.get("output_padding", [0] * n)))
        padding, output_padding, after = [], [], []
        for axis, ((lo, hi), s, d) in enumerate(zip(crops, strides, dilations)):
            if lo < 0 or lo - hi >= max(s, d):
                raise Unsupported(f"crops {lo} units at the start and {hi} at the end of axis {axis}; a "
                                   "ConvTranspose crops at most its padding at the start and adds less than "
                                   "its stride or dilation at the end", "export it with other pads")
            padding.append(lo)
            output_padding.append(max(lo - hi, 0))
            after.append(max(hi - lo, 0))
        args: dict[str, Any] = {"out_channels": int(weight.dims[1]) * group, "kernel_size": _collapse(kernel)}
        for key, values, default in (("stride", strides, 1), ("padding", padding, 0),
                                     ("output_padding", output_padding, 0), ("dilation", dilations, 1)):
            if any(v != default for v in values):
                args[key] = _collapse(values)
        if group != 1:
            args["groups"] = group
        bias = len(node.input) > 2 and node.input[2]
        if not bias:
            args["bias"] = False
        weights = {"weight": node.input[1], **({"bias": node.input[2]} if bias else {})}
        if not any(after):
            self.add(node, f"ConvTranspose{n}d", args, weights=weights)
            return
        full = f"{node.output[0]}#full"
        name = self.builder.add(full, f"ConvTranspose{n}d", self.layer_name(node), args, list(node.input[:1]))
        if name is None:
            return
        self.hold(name, weights)
        crop = [v for c in reversed(after) for v in (0, -c)]
        self.builder.add(node.output[0], f"ZeroPad{n}d", f"{name}_crop", {"padding": _collapse(crop)}, [full])

    # -- pooling --------------------------------------------------------------------------------------------

    def _pool(self, node: onnx.NodeProto, attrs: dict[str, Any], family: str) -> None:
        kernel = list(attrs["kernel_shape"])
        n = len(kernel)
        strides = list(attrs.get("strides", [1] * n))
        dilations = list(attrs.get("dilations", [1] * n))
        pads = self._pads(node, attrs, kernel, strides, dilations)
        args: dict[str, Any] = {"kernel_size": _collapse(kernel)}
        if strides != kernel:
            args["stride"] = _collapse(strides)
        if family == "MaxPool" and any(d != 1 for d in dilations):
            args["dilation"] = _collapse(dilations)
        if attrs.get("ceil_mode", 0):
            args["ceil_mode"] = True
        include = bool(attrs.get("count_include_pad", 0))
        if family == "AvgPool" and not include:
            args["count_include_pad"] = False
        operands = list(node.input[:1])
        if any(lo != hi or lo > k // 2 for (lo, hi), k in zip(pads, kernel)):  # more than PyTorch's pool pads
            if family == "AvgPool" and not include:
                raise Unsupported(f"pads {[p for pair in zip(*pads) for p in pair]} unequally at the two ends "
                                   "without counting the padded cells, which no pad layer before it can do",
                                   "export it with equal pads, or count_include_pad=1")
            # The cells a max pool pads hold -inf (never the maximum), an average pool's zeros: as PyTorch's own.
            type_name, pad_args = pad_layer("constant", n, [v for lo, hi in reversed(pads) for v in (lo, hi)],
                                            -math.inf if family == "MaxPool" else 0.0)
            pad = self.builder.add(f"{node.output[0]}#pad", type_name, f"{self.layer_name(node)}_pad", pad_args,
                                   operands)
            if pad is None:
                return
            operands = [f"{node.output[0]}#pad"]
        elif any(lo for lo, _ in pads):
            args["padding"] = _collapse([lo for lo, _ in pads])
        self.add(node, f"{family}{n}d", args, operands)

    def _MaxPool(self, node: onnx.NodeProto, attrs: dict[str, Any]) -> None:
        if len(node.output) > 1 and node.output[1]:
            raise Unsupported("returns the pooling indices, which a design cannot hold")
        self._pool(node, attrs, "MaxPool")

    def _AveragePool(self, node: onnx.NodeProto, attrs: dict[str, Any]) -> None:
        """Dilations (opset 19) are reported: PyTorch's AvgPool has none."""
        if any(d != 1 for d in attrs.get("dilations", ())):
            raise Unsupported(f"averages with dilations {list(attrs['dilations'])}; PyTorch's AvgPool has no "
                              "dilation", "export it without dilations, or edit the design around it")
        self._pool(node, attrs, "AvgPool")

    def _GlobalAveragePool(self, node: onnx.NodeProto, attrs: dict[str, Any]) -> None:
        self.add(node, f"AdaptiveAvgPool{self.rank(node.input[0])}d", {"output_size": 1})

    def _GlobalMaxPool(self, node: onnx.NodeProto, attrs: dict[str, Any]) -> None:
        self.add(node, f"AdaptiveMaxPool{self.rank(node.input[0])}d", {"output_size": 1})

    def _ReduceMean(self, node: onnx.NodeProto, attrs: dict[str, Any]) -> None:
        n = self.rank(node.input[0])
        axes = attrs.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = self.array(node.input[1]).tolist()
        full = n + 2
        if sorted(a % full for a in axes or ()) != list(range(2, full)):
            raise Unsupported(f"averages over axes {axes}; only the mean over all spatial axes is a layer")
        if attrs.get("keepdims", 1):
            self.add(node, f"AdaptiveAvgPool{n}d", {"output_size": 1})
            return
        pooled = self.builder.add(f"{node.output[0]}#pool", f"AdaptiveAvgPool{n}d", f"{self.layer_name(node)}_pool",
                                  {"output_size": 1}, list(node.input[:1]))
        if pooled is not None:
            self.add(node, "Flatten", {}, [f"{node.output[0]}#pool"])

    def _BatchNormalization(self, node: onnx.NodeProto, attrs: dict[str, Any]) -> None:
        if not all(self.constant(name) for name in node.input[1:5]):
            raise Unsupported("its statistics are computed, not stored")
        n = self.rank(node.input[0])
        self.add(node, f"BatchNorm{max(n, 1)}d", _epsilon(attrs), weights=dict(zip(
            ("weight", "bias", "running_mean", "running_var"), node.input[1:5])))

    def _InstanceNormalization(self, node: onnx.NodeProto, attrs: dict[str, Any]) -> None:
        """Each channel of each sample normalised over its spatial axes, then scaled and shifted: InstanceNorm
        with affine weights (the scale and bias) and no running statistics."""
        if not all(self.constant(name) for name in node.input[1:3]):
            raise Unsupported("its scale or bias is computed, not stored")
        n = self.rank(node.input[0])
        if n == 0:
            raise Unsupported("normalises a tensor without spatial axes, which no InstanceNorm layer takes")
        self.add(node, f"InstanceNorm{n}d", {"affine": True, **_epsilon(attrs)},
                 weights={"weight": node.input[1], "bias": node.input[2]})

    # -- shape-keeping ------------------------------------------------------------------------------------------

    def _Relu(self, node, attrs):
        self.add(node, "ReLU", {})

    def _LeakyRelu(self, node, attrs):
        alpha = _float(attrs.get("alpha", 0.01))
        self.add(node, "LeakyReLU", {} if alpha == 0.01 else {"negative_slope": alpha})

    def _Elu(self, node, attrs):
        alpha = _float(attrs.get("alpha", 1.0))
        self.add(node, "ELU", {} if alpha == 1.0 else {"alpha": alpha})

    def _PRelu(self, node, attrs):
        """The slopes broadcast against the input from its last axis: a PReLU layer where they are one slope,
        or one per channel ([C, 1, 1], [1, C, 1, 1]: stored as PReLU's [C])."""
        if not self.constant(node.input[1]):
            raise Unsupported("its slopes are computed, not stored")
        full = self.rank(node.input[0]) + 2
        shape = tuple(int(v) for v in self.constants[node.input[1]].dims)
        count = math.prod(shape)
        aligned = (1,) * (full - len(shape)) + shape
        if len(shape) > full or (count > 1 and aligned[1] != count):
            raise Unsupported(f"slopes of shape {list(shape)} broadcast against the input "
                              f"{list(self.shapes[node.input[0]])} along other axes than the channels; a PReLU "
                              "layer takes one slope, or one per channel", "export it with nn.PReLU")
        name = self.add(node, "PReLU", {} if count == 1 else {"num_parameters": count},
                        weights={"weight": node.input[1]})
        if name is not None and shape != (count,):
            self.reshaped[node.input[1]] = (count,)

    def _HardSwish(self, node, attrs):
        self.add(node, "Hardswish", {})

    def _Sigmoid(self, node, attrs):
        self.add(node, "Sigmoid", {})

    def _Tanh(self, node, attrs):
        self.add(node, "Tanh", {})

    def _Gelu(self, node, attrs):
        approximate = attrs.get("approximate", "none")
        self.add(node, "GELU", {} if approximate == "none" else {"approximate": approximate})

    def _softmax(self, node: onnx.NodeProto, attrs: dict[str, Any], type_name: str) -> None:
        """From opset 13 Softmax and LogSoftmax normalise along ``axis`` (default -1). Before, over every axis
        from ``axis`` (default 1) on at once: one axis's softmax only where the others from it on have size 1."""
        if self.opset >= 13:
            self.add(node, type_name, {"dim": int(attrs.get("axis", -1))})
            return
        self.rank(node.input[0])  # Unsupported when shape inference gives no shape
        shape = self.shapes[node.input[0]]
        axis = int(attrs.get("axis", 1)) % len(shape)
        longer = [a for a in range(axis, len(shape)) if shape[a] > 1]
        if axis == 0 or len(longer) > 1:
            raise Unsupported(f"at opset {self.opset} normalises over axes {axis} to {len(shape) - 1} at once "
                               f"({'the batch, then ' if axis == 0 else ''}{shape_text(shape[max(axis, 1):])}), "
                               f"as ONNX's {type_name} did before opset 13; a {type_name} layer normalises along one "
                               "axis", "export the model with opset 13 or later (one axis), or flatten before it")
        self.add(node, type_name, {"dim": longer[0] if longer else axis})

    def _Softmax(self, node, attrs):
        self._softmax(node, attrs, "Softmax")

    def _LogSoftmax(self, node, attrs):
        self._softmax(node, attrs, "LogSoftmax")

    def _Clip(self, node, attrs):
        """The bounds are attributes before opset 11, then inputs 1 and 2; one not given, or a float32 limit (the
        defaults before opset 11), is no bound. [0, 6] is ReLU6, [0, inf) ReLU, no bound at all the input."""
        if self.opset < 11:
            given = [attrs.get("min"), attrs.get("max")]
        else:
            names = (list(node.input[1:3]) + ["", ""])[:2]
            if any(name and not self.constant(name) for name in names):
                raise Unsupported("its bounds are computed, not stored")
            given = [float(self.array(name)) if name else None for name in names]
        low, high = [None if v is None or abs(v) >= FLOAT32_MAX else float(v) for v in given]
        if (low, high) == (0.0, 6.0):
            self.add(node, "ReLU6", {})
        elif (low, high) == (0.0, None):
            self.add(node, "ReLU", {})
        elif (low, high) == (None, None):
            self.builder.alias(node.output[0], node.input[0])
        else:
            raise Unsupported(f"clips to {'(-inf' if low is None else f'[{low:g}'}, "
                              f"{'inf)' if high is None else f'{high:g}]'}; only [0, 6] (ReLU6) and [0, inf) (ReLU) "
                              "are layer types", "edit the design around it")

    def _Identity(self, node, attrs):
        self.builder.alias(node.output[0], node.input[0])

    def _Dropout(self, node, attrs):
        self.builder.alias(node.output[0], node.input[0])

    # -- joins ----------------------------------------------------------------------------------------------

    def _join(self, node: onnx.NodeProto, type_name: str) -> None:
        if any(self.constant(name) for name in node.input):
            raise Unsupported("combines a tensor with a stored constant", "a join combines the outputs of layers")
        shapes = {self.shapes.get(name) for name in node.input}
        if CATALOG[type_name].torch.operator != "cat" and len(shapes) > 1:
            raise Unsupported(f"broadcasts {sorted(map(str, shapes))}; joins need equal shapes")
        self.add(node, type_name, {}, list(node.input))

    def _Add(self, node, attrs):
        self._join(node, "Add")

    def _Mul(self, node, attrs):
        self._join(node, "Mul")

    def _Sum(self, node, attrs):
        """Sum of any number of tensors: one Add of them all (of one: that tensor)."""
        if len(node.input) == 1:
            self.builder.alias(node.output[0], node.input[0])
        else:
            self._join(node, "Add")

    def _Concat(self, node, attrs):
        rank = len(self.shapes.get(node.output[0], ())) or None
        if attrs.get("axis") not in (1, None if rank is None else 1 - rank):
            raise Unsupported(f"concatenates along axis {attrs.get('axis')}; a Concat joins the channels (axis 1)")
        if len(node.input) == 1:
            self.builder.alias(node.output[0], node.input[0])
        else:
            self._join(node, "Concat")

    # -- resampling and padding -----------------------------------------------------------------------------------

    def _Resize(self, node, attrs):
        self._resize(node, attrs, early=self.opset < 11)

    def _Upsample(self, node, attrs):
        """ONNX's Upsample (before opset 10): Resize's early form."""
        self._resize(node, attrs, early=True)

    def _resize(self, node: onnx.NodeProto, attrs: dict[str, Any], early: bool) -> None:
        """Resize (and Upsample) as an Upsample layer where PyTorch computes the same: nearest with asymmetric
        coordinates and floor (ONNX's only coordinates before opset 11, exact there for whole scales), linear
        and cubic with half_pixel or align_corners coordinates, cubic with PyTorch's coefficient -0.75 and no
        exclude_outside, antialias only where nothing shrinks. Everything else is reported. ``early``: Upsample,
        or Resize before opset 11, whose scales are input 1 and whose coordinates are asymmetric."""
        n = self.rank(node.input[0])
        before = self.shapes[node.input[0]]
        full = n + 2
        mode = attrs.get("mode", "nearest")
        transform = "asymmetric" if early else attrs.get("coordinate_transformation_mode", "half_pixel")
        inputs = list(node.input) + [""] * 4
        scales_name, sizes_name = (inputs[1], "") if early else (inputs[2], inputs[3])
        given = sizes_name or scales_name
        if (given and not self.constant(given)) or (not given and "scales" not in attrs):  # Upsample-7: attribute
            raise Unsupported("its sizes or scales are computed, not stored")
        values = self.array(given).tolist() if given else list(attrs["scales"])
        axes = [a % full for a in attrs.get("axes", range(full))]
        scales, sizes = [1.0] * full, list(before)
        for axis, v in zip(axes, values):
            scales[axis], sizes[axis] = (v / before[axis], int(v)) if sizes_name else (_float(v), None)
        if scales[:2] != [1.0, 1.0]:
            raise Unsupported(f"resizes the batch or channel axis (scales {scales[:2]})",
                              "resize only the spatial axes")
        after = self.shapes.get(node.output[0], sizes)
        if sizes_name and attrs.get("keep_aspect_ratio_policy", "stretch") != "stretch":
            raise Unsupported(f"keeps the aspect ratio (keep_aspect_ratio_policy "
                              f"{attrs['keep_aspect_ratio_policy']}), which PyTorch's Upsample cannot",
                              "export it with explicit sizes (stretch)")
        args: dict[str, Any] = {}
        if mode == "nearest":
            if early and any(v != int(v) for v in scales[2:]):
                raise Unsupported(f"nearest resizing by {scales[2:]} before opset 11, where ONNX says which "
                                  "neighbour a scale picks only for whole scales", "export it with opset 11 or later")
            if not early and (transform != "asymmetric" or attrs.get("nearest_mode", "round_prefer_floor") != "floor"):
                raise Unsupported(f"nearest resizing with {transform} coordinates and "
                                  f"{attrs.get('nearest_mode', 'round_prefer_floor')}; PyTorch's nearest is "
                                  "asymmetric with floor")
        else:
            if transform not in ("half_pixel", "pytorch_half_pixel", "align_corners"):
                raise Unsupported(f"{mode} resizing with {transform} coordinates"
                                  f"{' (before opset 11 the only ones)' if early else ''}; PyTorch's {mode} "
                                  "modes take half_pixel or align_corners coordinates",
                                  "export it with opset 11 or later" if early else "")
            if mode == "cubic" and (n != 2 or _float(attrs.get("cubic_coeff_a", -0.75)) != -0.75 or
                                    attrs.get("exclude_outside", 0)):
                raise Unsupported(f"cubic resizing of {n} spatial axes with cubic_coeff_a "
                                  f"{_float(attrs.get('cubic_coeff_a', -0.75))} and exclude_outside "
                                  f"{attrs.get('exclude_outside', 0)}; PyTorch's bicubic takes 2 axes, "
                                  "the coefficient -0.75 and every neighbour (exclude_outside 0)")
            if attrs.get("antialias", 0) and any(v < 1 for v in scales[2:]):
                raise Unsupported(f"shrinks by {scales[2:]} with antialias, a filter PyTorch's Upsample lacks")
            if transform == "align_corners" and not sizes_name and any(
                    i * v != o for i, v, o in zip(before[2:], scales[2:], after[2:])):
                raise Unsupported(f"align_corners coordinates by scales {scales[2:]} of sizes {list(before[2:])}: ONNX maps "
                                  f"the corners of {[i * v for i, v in zip(before[2:], scales[2:])]} units, "
                                  f"PyTorch those of the rounded output {list(after[2:])}",
                                  "export it with sizes, or scales that give whole sizes")
            if transform == "pytorch_half_pixel" and any(o == 1 < i for i, o in zip(before[2:], after[2:])):
                raise Unsupported("resizes an axis to 1 with pytorch_half_pixel coordinates, which read its first "
                                  "unit; PyTorch reads its middle")
            args["mode"] = {1: "linear", 2: "bilinear", 3: "trilinear"}[n] if mode == "linear" else "bicubic"
            args["align_corners"] = transform == "align_corners"
        if sizes_name:
            args["size"] = _collapse(sizes[2:])
        else:
            args["scale_factor"] = scales[2] if len(set(scales[2:])) == 1 else scales[2:]
        self.add(node, "Upsample", args)

    def _Pad(self, node, attrs):
        """Pad of any mode as its pad layer (edge: ReplicationPad, wrap: CircularPad, a constant value:
        ConstantPad), over all axes or the ``axes`` given; the batch and channel axes are never padded."""
        mode = attrs.get("mode", "constant")
        inputs = list(node.input) + [""] * 4
        if (inputs[1] and not self.constant(inputs[1])) or (not inputs[1] and "pads" not in attrs):
            raise Unsupported("its pads are computed, not stored")  # torch's legacy exporter computes ZeroPad's
        pads = self.array(inputs[1]).tolist() if inputs[1] else attrs["pads"]
        if inputs[2] and not self.constant(inputs[2]):
            raise Unsupported("its value is computed, not stored")
        value = float(self.array(inputs[2])) if inputs[2] else float(attrs.get("value", 0.0))
        full = self.rank(node.input[0]) + 2
        axes = [a % full for a in self.array(inputs[3]).tolist()] if inputs[3] else list(range(full))
        begin, end = [0] * full, [0] * full
        for axis, lo, hi in zip(axes, pads[:len(axes)], pads[len(axes):]):
            begin[axis], end[axis] = int(lo), int(hi)
        if begin[:2] != [0, 0] or end[:2] != [0, 0]:
            raise Unsupported("pads the batch or channel axis", "pad only the spatial axes")
        if mode not in PAD_MODES:
            raise Unsupported(f"pads with mode {mode!r}")
        flat = [v for axis in reversed(range(2, full)) for v in (begin[axis], end[axis])]
        type_name, args = pad_layer(PAD_MODES[mode], full - 2, flat, value)
        self.add(node, type_name, args)

    # -- rearranging --------------------------------------------------------------------------------------------

    def _sole_conv(self, nodes: list[onnx.NodeProto]) -> onnx.NodeProto | None:
        """The one node of ``nodes`` when it is an ungrouped Conv with a stored weight (whose channels the
        import may reorder), else None."""
        if len(nodes) != 1 or nodes[0].op_type != "Conv" or not self.constant(nodes[0].input[1]):
            return None
        return nodes[0] if _attributes(nodes[0]).get("group", 1) == 1 else None

    @staticmethod
    def _dcr_order(channels: int, r: int) -> tuple[int, ...]:
        """PixelShuffle's channel c·r² + b is channel b·C + c in the DCR (block-first) order of ONNX's
        DepthToSpace and SpaceToDepth, C the channels of the rearranged map."""
        return tuple(b * channels + c for c in range(channels) for b in range(r * r))

    def _DepthToSpace(self, node, attrs):
        """CRD is PixelShuffle. DCR orders the channels block first: exact as PixelShuffle where the channels
        come from a convolution read by nothing else, whose output channels the import reorders."""
        r = int(attrs["blocksize"])
        channels = self.shapes[node.input[0]][1] // (r * r) if node.input[0] in self.shapes else 0
        if attrs.get("mode", "DCR") == "DCR" and channels > 1:
            conv = self._sole_conv([self.producer[node.input[0]]] if node.input[0] in self.producer else [])
            if conv is None or conv.input[1] not in self.weights or node.input[0] in self.graph_outputs or \
                    len(self.readers.get(node.input[0], [])) != 1:
                raise Unsupported("rearranges in DCR mode (blocks first), which PyTorch's PixelShuffle (CRD) "
                                   "equals only after reordering the channels of a convolution right before it, "
                                   "read by nothing else", "export with mode CRD (torch.onnx.export writes CRD)")
            order = self._dcr_order(channels, r)
            for initializer in conv.input[1:3]:
                if initializer:
                    self.permuted[initializer] = (0, order)
        self.add(node, "PixelShuffle", {"upscale_factor": r})

    def _SpaceToDepth(self, node, attrs):
        """SpaceToDepth orders its channels block first (DCR), PixelUnshuffle channel first: the same for one
        channel, else exact where a convolution alone reads it, whose input channels the import reorders."""
        r = int(attrs["blocksize"])
        channels = self.shapes[node.input[0]][1] if node.input[0] in self.shapes else 0
        if channels > 1:
            if self._sole_conv(self.readers.get(node.output[0], [])) is None or node.output[0] in self.graph_outputs:
                raise Unsupported(f"orders its {channels}·{r * r} channels block first, which PyTorch's "
                                   "PixelUnshuffle equals only where a convolution alone reads them (its input "
                                   "channels reordered)", "feed it to one convolution, or edit the design around it")
            self.reordered_inputs[node.output[0]] = self._dcr_order(channels, r)
        self.add(node, "PixelUnshuffle", {"downscale_factor": r})

    # -- the dense end ------------------------------------------------------------------------------------------

    def _Flatten(self, node, attrs):
        if attrs.get("axis", 1) != 1:
            raise Unsupported(f"flattens from axis {attrs.get('axis')}; a Flatten layer keeps the batch axis")
        self.add(node, "Flatten", {})

    def _Reshape(self, node, attrs):
        before, after = self.shapes.get(node.input[0]), self.shapes.get(node.output[0])
        if before is None or after is None or len(after) != 2 or after[1] != math.prod(before[1:]):
            raise Unsupported(f"reshapes {before} to {after}; only a flattening to one vector per sample is a layer")
        self.add(node, "Flatten", {})

    def _Gemm(self, node, attrs):
        if attrs.get("transA", 0) or _float(attrs.get("alpha", 1.0)) != 1.0 or _float(attrs.get("beta", 1.0)) != 1.0:
            raise Unsupported("transposes its input or scales (alpha, beta); a Linear layer does neither")
        if not self.constant(node.input[1]):
            raise Unsupported("its weight is computed, not stored")
        weight = self.constants[node.input[1]]
        transposed = not attrs.get("transB", 0)
        out_features = int(weight.dims[1] if transposed else weight.dims[0])
        bias = len(node.input) > 2 and node.input[2]
        if bias and (not self.constant(node.input[2]) or list(self.constants[node.input[2]].dims) != [out_features]):
            raise Unsupported("its bias is computed or broadcast")
        name = self.add(node, "Linear", {"out_features": out_features, **({} if bias else {"bias": False})},
                        weights={"weight": node.input[1], **({"bias": node.input[2]} if bias else {})})
        if name is not None and transposed:
            self.transposed.add(node.input[1])

    def _MatMul(self, node, attrs):
        if not self.constant(node.input[1]) or len(self.constants[node.input[1]].dims) != 2:
            raise Unsupported("multiplies by something other than a stored matrix")
        name = self.add(node, "Linear", {"out_features": int(self.constants[node.input[1]].dims[1]), "bias": False},
                        weights={"weight": node.input[1]})
        if name is not None:
            self.transposed.add(node.input[1])


def _shape_of(value: onnx.ValueInfoProto) -> tuple[int | str, ...] | None:
    if not value.type.HasField("tensor_type") or not value.type.tensor_type.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in value.type.tensor_type.shape.dim)


#: What to do about an input shape the file does not give (the command line's --input, the Import dialog's field).
INPUT_SHAPE_ACTION = "give the input shape: the channels, then one size per spatial axis"


def _failed(name: str, op: str, message: str, action: str = "") -> ImportResult:
    return ImportResult(None, (ImportProblem(name, op, message, action),))


def from_onnx(path: str | os.PathLike[str], input_shape: Sequence[int] | None = None) -> ImportResult:
    """Import an ONNX file (its external data read from beside it) as a design. ``input_shape`` (channels,
    then the spatial sizes) replaces the file's input shape, which it must where that is dynamic."""
    path = os.fspath(path)
    title = os.path.splitext(os.path.basename(path))[0] or "model"
    try:
        model = onnx.load(path)
    except FileNotFoundError as error:
        return _failed(title, "file", f"cannot read {path}: {error.strerror or error}")
    except Exception as error:  # protobuf's DecodeError and others: a file that is not ONNX
        return _failed(title, "file", f"{path} is not a readable ONNX model: {type(error).__name__}: {error}",
                       "export it again with torch.onnx.export, or check the file")
    stored = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in stored]
    if len(inputs) != 1:
        return _failed(title, "input", f"the model has {len(inputs)} inputs; a design has one")
    graph_input = inputs[0]
    shape = _shape_of(graph_input)
    if input_shape is not None:
        dims = graph_input.type.tensor_type.shape.dim
        wanted = (1, *input_shape)
        consistent = shape is not None and len(shape) == len(wanted) and all(
            not isinstance(v, int) or v == w for v, w in zip(shape[1:], wanted[1:]))
        if shape is not None and not consistent:  # the file's own sizes are what its weights and reshapes were made for
            written = "×".join(map(str, shape[1:]))  # a dynamic size by the name the file gives it
            return _failed(title, "input", f"the model's input is fixed at {written} (channels, then the sizes), "
                           f"not {'×'.join(map(str, input_shape))}", "give that shape, or leave it out: only a "
                           "dynamic size takes the shape given")
        del dims[:]
        for value in wanted:
            dims.add().dim_value = int(value)
        shape = wanted
    if shape is None or not 3 <= len(shape) <= 5 or not all(isinstance(v, int) and v > 0 for v in shape[1:]):
        return _failed(title, "input", f"the model's input shape {shape} is dynamic or not (N, C, spatial...)",
                       INPUT_SHAPE_ACTION)
    for what, values in (("input channels", shape[1:2]), ("input size", shape[2:])):
        problem = next(filter(None, (input_problem(v, what) for v in values)), None)
        if problem is not None:  # a design file could not hold it
            return _failed(title, "input", problem, f"{INPUT_SHAPE_ACTION} within it")
    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception as error:  # inference refuses inconsistent graphs
        return _failed(title, "shape inference", f"ONNX shape inference fails: {error}")
    shapes: dict[str, tuple[int, ...]] = {}
    for value in [*inferred.graph.value_info, *inferred.graph.output, *inferred.graph.input]:
        found = _shape_of(value)
        if found is not None and all(isinstance(v, int) for v in found[1:]):
            shapes[value.name] = (1, *found[1:])
    builder = DesignBuilder(title, InputSpec(int(shape[1]), tuple(int(v) for v in shape[2:])), graph_input.name)
    importer = _Importer(model, builder, shapes)
    for node in model.graph.node:
        if node.op_type == "Constant":
            continue
        try:
            importer.run(node)
        except Unsupported as why:
            operands = [name for name in node.input if name and name not in importer.constants]
            same = bool(operands) and shapes.get(operands[0]) is not None and \
                shapes.get(operands[0]) == shapes.get(node.output[0] if node.output else "")
            builder.left_out(node.output[0] if node.output else node.name, operands, same,
                             ImportProblem(node.name or node.output[0], node.op_type, why.message, why.action))
    result = builder.build([o.name for o in model.graph.output], {k: v[1:] for k, v in shapes.items()})
    return ImportResult(result.design, result.problems, dict(importer.weights), frozenset(importer.transposed),
                        dict(importer.permuted), dict(importer.reshaped),
                        {name: tuple(keys) for name, keys in importer.shared.items()})


def state_dict(path: str | os.PathLike[str], result: ImportResult) -> dict[str, Any]:
    """The state_dict of the module `export_torch` writes for the imported design, from the ONNX file's
    initializers (torch tensors), with the batch counters PyTorch's BatchNorm keeps. Keys follow the export's
    module paths: the layer names, or their safe variants where a name cannot be a key."""
    try:
        import torch
    except ModuleNotFoundError:
        raise MissingDependency("PyTorch", "torch") from None

    from .torch_export import torch_plan

    assert result.design is not None, "nothing was imported"
    plan = torch_plan(result.design)
    layers = plan.analysis.layers
    paths = {layers[s.layer_index].name: s.path for s in plan.steps if s.role == "layer" and s.path}
    model = onnx.load(os.fspath(path))
    arrays = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    state = {}
    held = [*result.weights.items(), *((name, key) for name, keys in result.shared.items() for key in keys)]
    for initializer, key in held:
        layer, parameter = key.rsplit(".", 1)
        array = arrays[initializer]
        if initializer in result.permuted:
            axis, order = result.permuted[initializer]
            array = np.take(array, order, axis=axis)
        array = array.T if initializer in result.transposed else array
        array = array.reshape(result.reshaped[initializer]) if initializer in result.reshaped else array
        state[f"{paths[layer]}.{parameter}"] = torch.from_numpy(np.array(array, copy=True, order="C"))
    for layer in result.design.layers:  # modules that keep running statistics also count their batches
        layer_type = CATALOG[layer.type]
        if "track_running_stats" in layer_type.argument_names and layer.get(
                "track_running_stats", layer_type.argument("track_running_stats").default):
            state[f"{paths[layer.name]}.num_batches_tracked"] = torch.tensor(0)
    return state


__all__ = ["from_onnx", "state_dict"]
