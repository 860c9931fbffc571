"""Open a PyTorch model as a design: `from_torch(module, input_shape)`.

The model is traced with ``torch.fx`` in eval mode as on a CPU (a forward that asks ``input.is_cuda`` sees
False), then run once on a random input of the given shape, which gives every node's real shape. Each call of a
module of a catalog type becomes a layer named by its module path (a module called again: ``relu_1``,
``relu_2``), its constructor arguments read back from the module's attributes (only those that differ from
PyTorch's defaults); supported functions and tensor methods (``torch.cat``, ``+``, ``*``, ``flatten``,
``view``/``reshape`` to a vector, ``F.relu`` and the other activations, ``F.interpolate``, ``F.pad``,
``F.max_pool2d``, ...) become layers named after their fx node. In-place operations are followed: a tensor
an in-place activation overwrote is read afterwards as that activation's result, as in the original.

Everything else is reported with its node, operation, source line and what to do (`ImportResult.problems`);
nothing ends in a traceback. This module imports torch; the rest of convdesigner reaches it lazily.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import math
import operator
import os
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn
from torch.nn.utils import parametrize

from ..engine.arguments import Kind
from ..engine.design import Design, InputSpec
from ..engine.layers import CATALOG
from .model_import import (
    INPUT_TENSOR,
    DesignBuilder,
    ImportProblem,
    ImportResult,
    SourceError,
    Unsupported,
    pad_layer,
)
from .torch_export import ExportError, torch_plan

#: Attributes of a tensor that say it lives on an accelerator: False while tracing, as on a CPU.
DEVICE_FLAGS = frozenset({"is_cuda", "is_mps", "is_xpu", "is_xla", "is_ipu", "is_hpu", "is_mtia", "is_meta"})


#: The most values one sample of the input may hold: the import runs the model on a batch of two (the
#: activations of every layer kept), and a larger sample is an import that takes gigabytes or fails in the allocator.
MAX_SAMPLE_VALUES = 2**24

UNTRACEABLE_ACTION = ("make forward free of Python control flow on tensor values (if/for/while on a tensor, "
                      "its shape used as a bool), or export the model to ONNX and import that file")


class _CpuProxy(fx.Proxy):
    """A traced tensor that answers the device questions as a CPU tensor would, so that a forward branching
    on ``input.is_cuda`` (pytorch/examples' DCGAN) takes its CPU path."""

    def __getattr__(self, name: str) -> Any:
        if name in DEVICE_FLAGS:
            return False
        if name == "device":
            return torch.device("cpu")
        return super().__getattr__(name)


def _outside_torch(filename: str) -> bool:
    path = filename.replace("\\", "/")
    return "/torch/" not in path and not path.endswith("convdesigner/io/import_torch.py")


class _Tracer(fx.Tracer):
    """fx's tracer with CPU answers to device questions, and each node's source line (the innermost frame
    outside torch, found by walking the frames: fx's own stack traces cost seconds on a large model)."""

    def proxy(self, node: fx.Node) -> fx.Proxy:
        frame = sys._getframe(1)
        while frame is not None and not _outside_torch(frame.f_code.co_filename):
            frame = frame.f_back
        if frame is not None:
            node.meta["convdesigner_source"] = f"{frame.f_code.co_filename}:{frame.f_lineno}"
        return _CpuProxy(node, self)


class _Recorder(fx.Interpreter):
    """Runs the traced graph once, keeping every node's value (its shape is what the engine must agree with).
    It runs the graph on the model itself: a GraphModule would generate Python code naming the submodules,
    which fails for names PyTorch takes but Python does not (a quote, a keyword)."""

    def __init__(self, module: nn.Module, graph: fx.Graph) -> None:
        super().__init__(module, graph=graph)
        self.recorded: dict[fx.Node, Any] = {}

    def run_node(self, n: fx.Node) -> Any:
        value = super().run_node(n)
        self.recorded[n] = value
        return value


# -- reading values -------------------------------------------------------------------------------------------

def _plain(value: Any, collapse: bool = True) -> Any:
    """A module attribute as a design value: torch.Size as a tuple; with ``collapse`` (a per-axis value, not a
    shape) a tuple of equal ints as one int."""
    if isinstance(value, (tuple, list, torch.Size)):
        items = tuple(_plain(v) for v in value)
        if collapse and items and all(isinstance(v, int) and not isinstance(v, bool) for v in items) and \
                len(set(items)) == 1:
            return items[0]
        return items
    return value


def _is_size(value: Any) -> bool:
    """Whether a traced value is a size or sizes (``torch.Size``, an int, a tuple of ints), not data."""
    items = value if isinstance(value, (tuple, list)) else (value,)
    return bool(items) and all(isinstance(v, int) and not isinstance(v, bool) for v in items)


def _is_default(value: Any, default: Any) -> bool:
    if value is None or default is None:
        return value is default
    if isinstance(value, bool) or isinstance(default, bool):
        return isinstance(value, bool) and isinstance(default, bool) and value == default
    return value == default


def _built_as(module: nn.Module) -> type:
    """The class a module was built as: ``torch.nn.utils.parametrize`` swaps a module's class for a subclass,
    ``Parametrized<Name>``, when it parametrizes one of its tensors."""
    return type(module).__bases__[0] if parametrize.is_parametrized(module) else type(module)


#: The legacy weight hooks of torch.nn.utils, as the parametrization the design holds, with their state_dict keys
#: and the keys torch.nn.utils.parametrizations (which the export writes) gives the same tensors.
LEGACY_HOOKS = {
    "WeightNorm": ("weight_norm", (("weight_g", "parametrizations.weight.original0"),
                                   ("weight_v", "parametrizations.weight.original1"))),
    "SpectralNorm": ("spectral_norm", (("weight_orig", "parametrizations.weight.original"),
                                       ("weight_u", "parametrizations.weight.0._u"),
                                       ("weight_v", "parametrizations.weight.0._v"))),
}
#: torch.nn.utils.parametrizations' classes, as the parametrization the design holds.
PARAMETRIZATION_CLASSES = {"_WeightNorm": "weight_norm", "_SpectralNorm": "spectral_norm"}
#: spectral_norm's settings the design does not hold, at their defaults (the only values it can import).
SPECTRAL_DEFAULTS = {"n_power_iterations": 1, "eps": 1e-12}


def _weight_parametrization(module: nn.Module, type_name: str
                            ) -> tuple[dict[str, Any], tuple[tuple[str, str], ...]]:
    """The layer's ``parametrization`` arguments for a module whose weight PyTorch parametrizes (weight_norm,
    spectral_norm; by torch.nn.utils.parametrizations or by the legacy forward hooks), and for a legacy hook its
    keys with the export's; raises Unsupported for what a design cannot hold."""
    found: list[tuple[str, int, Any, tuple[tuple[str, str], ...]]] = []  # (kind, dim, settings, legacy keys)
    if parametrize.is_parametrized(module):
        tensors = dict(module.parametrizations.items())
        chain = tensors.get("weight")
        kinds = [type(p).__name__ for chain_ in tensors.values() for p in chain_]
        if set(tensors) != {"weight"} or len(chain) != 1 or kinds[0] not in PARAMETRIZATION_CLASSES:
            raise Unsupported(f"parametrizes its {', '.join(tensors)} with {', '.join(kinds)}; a design holds one "
                              "weight_norm or spectral_norm of the weight", "edit the design around it")
        found.append((PARAMETRIZATION_CLASSES[kinds[0]], chain[0].dim, chain[0], ()))
    for hook in module._forward_pre_hooks.values():
        legacy = LEGACY_HOOKS.get(type(hook).__name__) if type(hook).__module__.startswith("torch.nn.utils") else None
        if legacy is not None and getattr(hook, "name", None) == "weight":
            found.append((legacy[0], hook.dim, hook, legacy[1]))
    if not found:
        return {}, ()
    if len(found) > 1 or not any(a.name == "parametrization" for a in CATALOG[type_name].arguments):
        raise Unsupported(f"{' and '.join(kind for kind, *_ in found)} of a {type_name}'s weight: a design holds one "
                          "parametrization, of a convolution's or a Linear's weight", "edit the design around it")
    kind, dim, settings, keys = found[0]
    if kind == "spectral_norm" and any(getattr(settings, k, v) != v for k, v in SPECTRAL_DEFAULTS.items()):
        raise Unsupported("spectral_norm with settings other than n_power_iterations=1 and eps=1e-12, which a "
                          "design does not hold", "edit the design around it")
    return {"parametrization": kind, **({"dim": dim} if dim != 0 else {})}, keys


def module_arguments(module: nn.Module, type_name: str) -> dict[str, Any]:
    """The constructor arguments of a catalog-type module, read from its attributes, without the defaults and
    the widths the engine infers."""
    layer_type = CATALOG[type_name]
    args: dict[str, Any] = {}
    for arg in layer_type.arguments:
        shape = arg.kind is Kind.SHAPE
        if arg.inferred and not shape:  # a width, which the engine infers from the incoming channels as it is
            continue  # (a shape, LayerNorm's, it infers only for a feature vector: read back)
        if arg.name == "bias":
            value: Any = getattr(module, "bias", None) is not None
        elif hasattr(module, arg.name):
            value = _plain(getattr(module, arg.name), collapse=not shape)
        else:
            continue
        if arg.follows is not None and value == args.get(
                arg.follows, _plain(getattr(module, arg.follows, None))):
            continue  # PyTorch stores a default pooling stride as the kernel size
        if not _is_default(value, arg.default):
            args[arg.name] = value
    return args


def _source(node: fx.Node) -> str:
    """``file:line`` of the model code that made the node, where the tracer found one."""
    return node.meta.get("convdesigner_source", "")


def _describe(node: fx.Node, module: nn.Module | None) -> str:
    if node.op == "call_module" and module is not None:
        built_as = _built_as(module)
        return f"nn.{built_as.__name__}" if built_as.__module__.startswith("torch.nn") else built_as.__qualname__
    if node.op == "call_method":
        return f"Tensor.{node.target}"
    if node.op == "call_function":
        target = node.target
        owner = getattr(target, "__module__", None) or ""
        name = getattr(target, "__name__", str(target))
        owner = {"_operator": "operator", "torch._C._nn": "torch.nn.functional",
                 "torch._C._VariableFunctions": "torch"}.get(owner, owner)
        return f"{owner}.{name}" if owner else name
    return node.op


# -- functions and methods -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Op:
    """How a supported function or method becomes a layer: the handler (``_Walker._<kind>``), the layer type,
    a stand-in whose signature binds the call's arguments by name, and whether it writes in place."""

    kind: str
    type_name: str
    spec: Callable[..., Any]
    inplace: bool = False


def _activation(type_name: str, spec: Callable[..., Any], inplace: bool = False) -> _Op:
    """One of the catalog's activations; ``spec``'s parameter names that the type has are its arguments."""
    return _Op("activation", type_name, spec, inplace)


def _s_input(input): ...
def _s_inplace(input, inplace=False): ...
def _s_leaky(input, negative_slope=0.01, inplace=False): ...
def _s_elu(input, alpha=1.0, inplace=False): ...
def _s_gelu(input, approximate="none"): ...
def _s_softmax(input, dim=None, _stacklevel=3, dtype=None): ...
def _s_dropout(input, p=0.5, training=True, inplace=False): ...
def _s_flatten(input, start_dim=0, end_dim=-1): ...
def _s_cat(tensors, dim=0, *, out=None): ...
def _s_binary(input, other, alpha=1): ...
def _s_max_pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                return_indices=False): ...
def _s_avg_pool(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                count_include_pad=True, divisor_override=None): ...
def _s_adaptive(input, output_size, return_indices=False): ...
def _s_interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                   recompute_scale_factor=None, antialias=False): ...
def _s_pad(input, pad, mode="constant", value=None): ...
def _s_reshape(input, *shape): ...
def _s_getitem(input, index): ...
def _s_unpool(input, indices, kernel_size, stride=None, padding=0, output_size=None): ...


FUNCTIONS: dict[Any, _Op] = {}
METHODS: dict[str, _Op] = {}
for _targets, _methods, _entry in (
    ((F.relu, torch.relu), ("relu",), _activation("ReLU", _s_inplace)),
    ((F.relu_, torch.relu_), ("relu_",), _activation("ReLU", _s_input, inplace=True)),
    ((F.relu6,), (), _activation("ReLU6", _s_inplace)),
    ((F.leaky_relu,), (), _activation("LeakyReLU", _s_leaky)),
    ((F.leaky_relu_,), (), _activation("LeakyReLU", _s_leaky, inplace=True)),
    ((F.elu,), (), _activation("ELU", _s_elu)),
    ((F.gelu,), (), _activation("GELU", _s_gelu)),
    ((F.silu,), (), _activation("SiLU", _s_inplace)),
    ((torch.sigmoid, F.sigmoid), ("sigmoid",), _activation("Sigmoid", _s_input)),
    ((torch.tanh, F.tanh), ("tanh",), _activation("Tanh", _s_input)),
    ((F.softmax, torch.softmax), ("softmax",), _activation("Softmax", _s_softmax)),
    ((F.dropout,), (), _Op("dropout", "Dropout", _s_dropout)),
    ((torch.flatten,), ("flatten",), _Op("flatten", "Flatten", _s_flatten)),
    ((torch.reshape,), ("view", "reshape"), _Op("reshape", "Flatten", _s_reshape)),
    ((torch.cat, torch.concat, torch.concatenate), (), _Op("cat", "Concat", _s_cat)),
    ((operator.add, torch.add), ("add",), _Op("binary", "Add", _s_binary)),
    ((operator.iadd,), ("add_",), _Op("binary_", "Add", _s_binary)),
    ((operator.mul, torch.mul), ("mul",), _Op("binary", "Mul", _s_binary)),
    ((operator.imul,), ("mul_",), _Op("binary_", "Mul", _s_binary)),
    ((F.interpolate, getattr(F, "upsample", F.interpolate)), (), _Op("interpolate", "Upsample", _s_interpolate)),
    ((F.pad,), (), _Op("pad", "ZeroPad", _s_pad)),
    ((operator.getitem,), (), _Op("crop", "ZeroPad", _s_getitem)),
    ((F.max_pool1d, torch.max_pool1d), (), _Op("pool", "MaxPool1d", _s_max_pool)),
    ((F.max_pool2d, torch.max_pool2d), (), _Op("pool", "MaxPool2d", _s_max_pool)),
    ((F.max_pool3d, torch.max_pool3d), (), _Op("pool", "MaxPool3d", _s_max_pool)),
    ((F.max_pool1d_with_indices,), (), _Op("pool_with_indices", "MaxPool1d", _s_max_pool)),
    ((F.max_pool2d_with_indices,), (), _Op("pool_with_indices", "MaxPool2d", _s_max_pool)),
    ((F.max_pool3d_with_indices,), (), _Op("pool_with_indices", "MaxPool3d", _s_max_pool)),
    ((F.max_unpool1d,), (), _Op("unpool", "MaxUnpool1d", _s_unpool)),
    ((F.max_unpool2d,), (), _Op("unpool", "MaxUnpool2d", _s_unpool)),
    ((F.max_unpool3d,), (), _Op("unpool", "MaxUnpool3d", _s_unpool)),
    ((F.avg_pool1d, torch.avg_pool1d), (), _Op("pool", "AvgPool1d", _s_avg_pool)),
    ((F.avg_pool2d,), (), _Op("pool", "AvgPool2d", _s_avg_pool)),
    ((F.avg_pool3d,), (), _Op("pool", "AvgPool3d", _s_avg_pool)),
    ((F.adaptive_avg_pool1d, torch.adaptive_avg_pool1d), (), _Op("pool", "AdaptiveAvgPool1d", _s_adaptive)),
    ((F.adaptive_avg_pool2d,), (), _Op("pool", "AdaptiveAvgPool2d", _s_adaptive)),
    ((F.adaptive_avg_pool3d,), (), _Op("pool", "AdaptiveAvgPool3d", _s_adaptive)),
    ((F.adaptive_max_pool2d,), (), _Op("pool", "AdaptiveMaxPool2d", _s_adaptive)),
):
    for _target in _targets:
        FUNCTIONS[_target] = _entry
    for _method in _methods:
        METHODS[_method] = _entry

#: Tensor methods that hand their input on unchanged (for the design).
IDENTITY_METHODS = frozenset({"contiguous", "clone", "detach"})


class _Walker:
    """Turns the traced graph's nodes into layers, in order."""

    def __init__(self, root: nn.Module, values: dict[fx.Node, Any], builder: DesignBuilder) -> None:
        self.root = root
        self.values = values
        self.builder = builder
        self.calls: dict[str, int] = {}  # module path -> calls so far
        self.covered: set[str] = set()  # state_dict keys of the imported modules
        self.pooled: set[fx.Node] = set()  # max pools that return (values, indices)
        self.indices: dict[fx.Node, str] = {}  # a pool's indices -> the pool's layer

    def tensor(self, node: Any) -> bool:
        return isinstance(node, fx.Node) and isinstance(self.values.get(node), torch.Tensor)

    def concrete(self, value: Any) -> Any:
        return fx.node.map_arg(value, lambda n: self.values.get(n))

    def shape(self, node: fx.Node) -> tuple[int, ...]:
        return tuple(self.values[node].shape)

    def walk(self, node: fx.Node) -> None:
        builder = self.builder
        if node.op in ("placeholder", "output"):
            return
        module = self.root.get_submodule(node.target) if node.op == "call_module" else None
        operands = [n for n in node.all_input_nodes if self.tensor(n) or n in builder.unavailable]
        if not self.tensor(node) and (not operands or _is_size(self.values.get(node))):
            return  # arithmetic on sizes, or a tensor's size read (``x.shape``, ``x.size(2)``): no tensor computed
        try:
            if node.op == "get_attr":
                raise Unsupported(f"reads the tensor {node.target} of the model directly",
                                   "only layers' own parameters can be imported")
            if module is not None:
                self.module_call(node, module)
            elif node.op == "call_method" and node.target in IDENTITY_METHODS:
                builder.alias(node.name, node.args[0].name)
            else:
                self.function(node)
        except Unsupported as why:
            same = self.tensor(node) and bool(operands) and self.tensor(operands[0]) and \
                self.shape(node) == self.shape(operands[0])
            builder.left_out(node.name, [n.name for n in operands], same,
                             ImportProblem(node.name, _describe(node, module), why.message, why.action,
                                           _source(node)))

    def module_call(self, node: fx.Node, module: nn.Module) -> None:
        builder = self.builder
        path = str(node.target)
        type_name = type(module).__name__
        tensors = [a for a in node.args if self.tensor(a) or a in builder.unavailable]
        built_as = _built_as(module)
        known = built_as.__name__ in CATALOG and built_as is getattr(nn, built_as.__name__, None)
        if known and "indices" in CATALOG[built_as.__name__].argument_names and len(node.args) in (2, 3):
            output_size = node.kwargs.get("output_size", node.args[2] if len(node.args) == 3 else None)
            self._unpooled(node, built_as.__name__, path, module_arguments(module, built_as.__name__),
                           *node.args[:2], output_size)
            return
        if node.kwargs or len(tensors) != 1 or len(node.args) != 1:
            raise Unsupported(f"calls {type_name} with {len(node.args)} arguments", "a layer reads one tensor")
        source = tensors[0].name
        if isinstance(module, nn.Identity):
            builder.alias(node.name, source)
            return
        if not known:
            missing = "convdesigner has no layer type for it" if type(module).__module__.startswith("torch.nn") \
                else "a module convdesigner does not know and fx does not trace into"
            raise Unsupported(missing, "a later convdesigner may add this type; until then edit the design around it")
        type_name = built_as.__name__
        parametrization, legacy_keys = _weight_parametrization(module, type_name)
        count = self.calls.get(path, 0)
        self.calls[path] = count + 1
        state = module.state_dict()
        if count and state:
            builder.problem(ImportProblem(node.name, type_name, f"{path} is called {count + 1} times with the same "
                                          "weights; the design gives this call its own copy", "", _source(node)))
        name = builder.add(node.name, type_name, path if not count else f"{path}_{count}",
                           {**module_arguments(module, type_name), **parametrization}, [source])
        if name is None:
            return
        if getattr(module, "return_indices", False):
            self.pooled.add(node)
        if legacy_keys:
            renamed = ", ".join(f"'{name}.{old}' is '{name}.{new}'" for old, new in legacy_keys)
            builder.problem(ImportProblem(node.name, type_name, f"the weight's {parametrization['parametrization']} is "
                                          "the legacy forward hook, whose keys the export's torch.nn.utils."
                                          f"parametrizations names otherwise: {renamed}", "rename those keys when "
                                          "loading the original's weights", _source(node)))
        if name == path:
            self.covered.update(f"{path}.{key}" for key in state)
        if getattr(module, "inplace", False):
            builder.overwrite(source, node.name)

    def bind(self, spec: Callable[..., Any], node: fx.Node) -> dict[str, Any]:
        try:
            bound = inspect.signature(spec).bind(*node.args, **node.kwargs)
        except TypeError as error:
            raise Unsupported(f"is called in a way convdesigner does not read ({error})") from None
        bound.apply_defaults()
        return dict(bound.arguments)

    def function(self, node: fx.Node) -> None:
        table = METHODS if node.op == "call_method" else FUNCTIONS
        try:
            entry = table.get(node.target)
        except TypeError:  # an unhashable target
            entry = None
        if entry is None:
            raise Unsupported("convdesigner has no layer type for this operation",
                               "write it with supported layers, or edit the design around it")
        getattr(self, f"_{entry.kind}")(node, entry, self.bind(entry.spec, node))

    def _first(self, value: Any) -> str:
        if not (self.tensor(value) or value in self.builder.unavailable):
            raise Unsupported("reads something other than one tensor")
        return value.name

    def _activation(self, node: fx.Node, entry: _Op, args: dict[str, Any]) -> None:
        type_name, inplace = entry.type_name, entry.inplace
        source = self._first(args["input"])
        known = CATALOG[type_name].argument_names
        layer_args = {k: self.concrete(v) for k, v in args.items() if k in known and k != "inplace"}
        layer_args = {k: v for k, v in layer_args.items()
                      if not _is_default(v, CATALOG[type_name].argument(k).default)}
        if args.get("dtype") is not None:
            raise Unsupported("changes the dtype", "remove dtype")
        in_place = inplace or bool(args.get("inplace"))
        if in_place:
            layer_args["inplace"] = True
        self.builder.add(node.name, type_name, node.name, layer_args, [source])
        if in_place:
            self.builder.overwrite(source, node.name)

    def _dropout(self, node: fx.Node, entry: _Op, args: dict[str, Any]) -> None:
        if args["training"]:
            raise Unsupported("drops units even in eval mode (training=True)", "pass training=self.training")
        source = self._first(args["input"])
        p = self.concrete(args["p"])
        self.builder.add(node.name, "Dropout", node.name, {} if p == 0.5 else {"p": p}, [source])

    def _flatten(self, node: fx.Node, entry: _Op, args: dict[str, Any]) -> None:
        source = self._first(args["input"])
        start, end = self.concrete(args["start_dim"]), self.concrete(args["end_dim"])
        if start == 0 or start == -len(self.shape(node.args[0])):
            raise Unsupported("flattens the batch axis too", "use torch.flatten(x, 1)")
        layer_args = {k: v for k, v in (("start_dim", start), ("end_dim", end)) if v != {"start_dim": 1, "end_dim": -1}[k]}
        self.builder.add(node.name, "Flatten", node.name, layer_args, [source])

    def _reshape(self, node: fx.Node, entry: _Op, args: dict[str, Any]) -> None:
        source = self._first(args["input"])
        before, after = self.shape(args["input"]), self.shape(node)
        if after != (before[0], math.prod(before[1:])):
            raise Unsupported(f"reshapes {before} to {after}; only a flattening to one vector per sample "
                               "is a layer", "use torch.flatten(x, 1), or edit the design around it")
        self.builder.add(node.name, "Flatten", node.name, {}, [source])

    def _cat(self, node: fx.Node, entry: _Op, args: dict[str, Any]) -> None:
        tensors = args["tensors"]
        if not isinstance(tensors, (list, tuple)) or not all(self.tensor(t) or t in self.builder.unavailable
                                                             for t in tensors):
            raise Unsupported("joins something other than a list of tensors")
        dim = self.concrete(args["dim"])
        rank = len(self.shape(node))
        if dim not in (1, 1 - rank):
            raise Unsupported(f"concatenates along dim {dim}; a Concat joins the channels (dim 1)",
                               "concatenate along the channels, or edit the design around it")
        self.join(node, "Concat", [t.name for t in tensors])

    def join(self, node: fx.Node, type_name: str, operands: list[str]) -> None:
        if len(operands) == 1:
            self.builder.alias(node.name, operands[0])
        else:
            self.builder.add(node.name, type_name, node.name, {}, operands)

    def _binary(self, node: fx.Node, entry: _Op, args: dict[str, Any]) -> None:
        type_name = entry.type_name
        a, b = args["input"], args["other"]
        if self.concrete(args.get("alpha", 1)) != 1:
            raise Unsupported("scales its second operand (alpha)", "scale with a layer instead")
        for operand in (a, b):
            if not (self.tensor(operand) or operand in self.builder.unavailable):
                raise Unsupported(f"combines a tensor with the constant {self.concrete(operand)!r}",
                                   "a join combines the outputs of layers; edit the design around it")
        if self.tensor(a) and self.tensor(b) and self.shape(a) != self.shape(b):
            raise Unsupported(f"broadcasts {self.shape(a)} with {self.shape(b)}; joins need equal shapes")
        self.join(node, type_name, [a.name, b.name])

    def _binary_(self, node: fx.Node, entry: _Op, args: dict[str, Any]) -> None:
        self._binary(node, entry, args)
        self.builder.overwrite(args["input"].name, node.name)

    def _interpolate(self, node: fx.Node, entry: _Op, args: dict[str, Any]) -> None:
        source = self._first(args["input"])
        if args["antialias"]:
            raise Unsupported("resizes with antialias", "remove antialias")
        layer_args = {}
        size_from = self._size_origin(args["size"])
        for key in ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"):
            value = _plain(self.concrete(args[key]))
            if key == "size" and size_from is not None:
                layer_args["size_from"] = size_from
            elif not _is_default(value, CATALOG["Upsample"].argument(key).default):
                layer_args[key] = float(value) if key == "scale_factor" and isinstance(value, int) else value
        self.builder.add(node.name, "Upsample", node.name, layer_args, [source])

    def _size_origin(self, value: Any) -> str | None:
        """The design layer (or ``input``) whose output's spatial size ``value`` (a call's argument) is, read
        from that tensor (``x.shape[-2:]``, ``(x.size(2), x.size(3))``): a size that follows the design's
        input size. None for a size given as numbers, or read from several tensors."""
        found: list[fx.Node] = []
        fx.node.map_arg(value, found.append)
        tensors, seen = set(), set()
        while found:
            node = found.pop()
            if node not in seen:
                seen.add(node)
                if self.tensor(node):
                    tensors.add(node)
                else:
                    found.extend(node.all_input_nodes)
        if len(tensors) != 1:
            return None
        (tensor,) = tensors
        size = self.concrete(value)
        spatial = self.shape(tensor)[2:]
        if (tuple(size) if isinstance(size, (tuple, list)) else (size,) * len(spatial)) != spatial:
            return None  # computed from the size (a half, a double): written as numbers
        return self.builder.values.get(tensor.name)

    def _pad(self, node: fx.Node, entry: _Op, args: dict[str, Any]) -> None:
        """``F.pad`` as the pad layer of its mode (a constant: ZeroPad, or ConstantPad with its value); pairs
        left out for the first spatial axes are zeros, as F.pad reads them."""
        source = self._first(args["input"])
        pad = tuple(self.concrete(args["pad"]))
        ndim = len(self.shape(args["input"])) - 2
        if len(pad) > 2 * ndim or len(pad) % 2:
            raise Unsupported(f"pads {len(pad)} values; a pad layer pads the {ndim} spatial axes",
                               "pad only the spatial axes")
        value = self.concrete(args["value"])
        type_name, layer_args = pad_layer(self.concrete(args["mode"]), ndim, pad + (0,) * (2 * ndim - len(pad)),
                                          value or 0.0)
        self.builder.add(node.name, type_name, node.name, layer_args, [source])

    def _crop(self, node: fx.Node, entry: _Op, args: dict[str, Any]) -> None:
        """``x[:, :, a:b]``, slices of the spatial axes with step 1 (TCN's chomp, FCN's crop), as the zero pad
        of negative padding that crops the same units; the batch and the channels are kept whole. Of a max
        pool that returns its indices: its values (0), or its indices (1), which an unpool names the pool for."""
        if args["input"] in self.pooled:
            which = self.concrete(args["index"])
            if which == 0:
                self.builder.alias(node.name, args["input"].name)
            elif which == 1 and args["input"].name in self.builder.values:
                self.indices[node] = self.builder.values[args["input"].name]
            elif which != 1:
                raise Unsupported(f"takes item {which!r} of a max pool's (values, indices)")
            return
        source = self._first(args["input"])
        shape = self.shape(args["input"])
        index = self.concrete(args["index"])
        items = list(index) if isinstance(index, tuple) else [index]
        if items.count(Ellipsis) == 1:
            at = items.index(Ellipsis)
            items[at:at + 1] = [slice(None)] * (len(shape) - len(items) + 1)
        items += [slice(None)] * (len(shape) - len(items))
        if len(items) != len(shape) or not all(isinstance(item, slice) for item in items):
            raise Unsupported("indexes the tensor; a design crops the spatial axes with slices",
                              "slice the spatial axes only (x[:, :, a:b])")
        bounds = [item.indices(size) for item, size in zip(items, shape)]
        if any(step != 1 or stop < start for start, stop, step in bounds) or \
                any(bounds[axis] != (0, shape[axis], 1) for axis in (0, 1)):
            raise Unsupported("slices the batch or the channels, or with a step; a design crops the spatial axes "
                              "with step 1", "slice the spatial axes only (x[:, :, a:b])")
        spatial = bounds[2:]
        pad = [v for (start, stop, _step), size in zip(reversed(spatial), reversed(shape[2:]))
               for v in (-start, stop - size)]  # F.pad's order: the last axis first, each (low, high)
        if not any(pad):
            self.builder.alias(node.name, source)
            return
        type_name, layer_args = pad_layer("constant", len(spatial), pad)
        self.builder.add(node.name, type_name, node.name, layer_args, [source])

    def _pool(self, node: fx.Node, entry: _Op, args: dict[str, Any]) -> None:
        source = self._first(args["input"])
        if self.builder.add(node.name, entry.type_name, node.name, self._window_arguments(entry.type_name, args),
                            [source]) is not None and args.get("return_indices"):
            self.pooled.add(node)

    def _pool_with_indices(self, node: fx.Node, entry: _Op, args: dict[str, Any]) -> None:
        """``F.max_pool2d(..., return_indices=True)``, which fx records as the function it dispatches to."""
        self._pool(node, entry, {**args, "return_indices": True})

    def _window_arguments(self, type_name: str, args: dict[str, Any]) -> dict[str, Any]:
        """A pooling function's arguments that the layer type has and that differ from its defaults (a stride
        left out or equal to the kernel size is left out)."""
        layer_type = CATALOG[type_name]
        layer_args = {}
        for key, value in args.items():
            if key in layer_type.argument_names:
                value = _plain(self.concrete(value))
                if key == "stride" and value in ((), None):
                    continue
                if not _is_default(value, layer_type.argument(key).default):
                    layer_args[key] = value
        if layer_args.get("stride") == layer_args.get("kernel_size"):
            layer_args.pop("stride", None)
        return layer_args

    def _unpool(self, node: fx.Node, entry: _Op, args: dict[str, Any]) -> None:
        self._unpooled(node, entry.type_name, node.name, self._window_arguments(entry.type_name, args), args["input"],
                       args["indices"], args["output_size"])

    def _unpooled(self, node: fx.Node, type_name: str, name: str, layer_args: dict[str, Any], values: Any,
                  indices: Any, output_size: Any) -> None:
        """A max unpool of ``values`` to where ``indices`` say, named by the pool that returned them (SegNet),
        restoring the size of the tensor ``output_size`` was read from (``size_from``), if one."""
        source = self._first(values)
        pool = self.indices.get(indices)
        if pool is None:
            raise Unsupported("unpools with indices that no max pool of the model returned",
                              "unpool with the indices a max pool returned (return_indices=True)")
        layer_args = {**layer_args, "indices": pool}
        if output_size is not None:
            size_from = self._size_origin(output_size)
            if size_from is not None:
                layer_args["size_from"] = size_from
            elif self.concrete(output_size) is not None:
                raise Unsupported("restores a size given as numbers; a design's unpool restores the size of a "
                                  "layer's output (size_from)", "pass output_size=x.shape[2:] of that tensor")
        self.builder.add(node.name, type_name, name, layer_args, [source])


def _output_tensors(node: fx.Node) -> list[fx.Node] | None:
    result = node.args[0]
    if isinstance(result, fx.Node):
        return [result]
    if isinstance(result, (list, tuple)) and all(isinstance(r, fx.Node) for r in result):
        return list(result)
    return None


def _user_frame(error: BaseException) -> str:
    """``file:line`` of the innermost frame of an exception outside torch (the model's own code)."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _outside_torch(f.filename)]
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""


def _failed(name: str, op: str, message: str, action: str, source: str = "") -> ImportResult:
    return ImportResult(None, (ImportProblem(name, op, message, action, source),))


def from_torch(module: nn.Module, input_shape: Sequence[int], name: str | None = None) -> ImportResult:
    """Import a PyTorch module as a design. ``input_shape`` is one sample's shape: channels, then one size per
    spatial axis. The result holds the design (None when nothing could be imported) and every problem."""
    if not isinstance(module, nn.Module):
        return _failed(type(module).__name__, "model", f"a {type(module).__name__} is not a torch.nn.Module",
                       "pass a torch.nn.Module instance")
    shape = tuple(int(v) for v in input_shape)
    if not 2 <= len(shape) <= 4 or min(shape) < 1:
        return _failed("input", "input", f"the input shape {shape} needs channels and 1 to 3 spatial sizes, all "
                       "positive", "give e.g. 3 224 224")
    if math.prod(shape) > MAX_SAMPLE_VALUES:
        return _failed("input", "input", f"the model runs on a sample of the input shape to import it, and "
                       f"{'×'.join(map(str, shape))} is {math.prod(shape):,} values, more than {MAX_SAMPLE_VALUES:,}",
                       "import at a smaller size: the design's input size can be changed afterwards")
    title = name or type(module).__name__
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        return _import(module, shape, title)
    finally:
        for submodule, training in modes:  # the caller's model is left as it was
            submodule.training = training


def _import(module: nn.Module, shape: tuple[int, ...], title: str) -> ImportResult:
    """`from_torch` on a module in eval mode."""
    try:
        graph = _Tracer().trace(module)
    except Exception as error:  # fx raises many kinds (TraceError, TypeError, ...) for untraceable code
        return _failed(title, "torch.fx", f"torch.fx cannot trace the model: {type(error).__name__}: {error}",
                       UNTRACEABLE_ACTION, _user_frame(error))
    required = [n.name for n in graph.nodes if n.op == "placeholder" and not n.args]  # no default value
    if len(required) != 1:
        return _failed(title, "forward", f"forward takes {len(required)} tensors ({', '.join(required)}); a design "
                       "has one input", "wrap the model in a module whose forward takes one tensor")
    recorder = _Recorder(module, graph)
    try:
        sample = torch.randn(2, *shape, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            recorder.run(sample)
    except Exception as error:  # the model's own forward failed on this input
        reason = str(error).split("\n\n")[0].strip()  # fx appends the node and its traceback after a blank line
        return _failed(title, "forward", f"the model fails on an input of shape {shape}: "
                       f"{type(error).__name__}: {reason}", "check the input shape (channels, then the spatial sizes)",
                       _user_frame(error))
    values = recorder.recorded
    placeholders = [n for n in graph.nodes if n.op == "placeholder"]
    builder = DesignBuilder(title, InputSpec(shape[0], shape[1:]))
    builder.values[placeholders[0].name] = builder.values[INPUT_TENSOR]
    walker = _Walker(module, values, builder)
    outputs: list[str] = []
    for node in graph.nodes:
        if node.op == "output":
            found = _output_tensors(node)
            if found is None:
                builder.problem(ImportProblem("output", "output", "the model returns something other than a tensor "
                                              "or a tuple of tensors", "return the tensors", _source(node)))
            outputs = [n.name for n in found or ()]
            continue
        walker.walk(node)
    shapes = {n.name: tuple(v.shape[1:]) for n, v in values.items() if isinstance(v, torch.Tensor)}
    result = builder.build(outputs, shapes)
    keys = module.state_dict(keep_vars=True)
    held = {id(keys[key]): key for key in sorted(walker.covered, reverse=True)}  # a tensor -> its first key held
    missing = [key for key in sorted(set(keys) - walker.covered) if id(keys[key]) not in held]
    twice = [(key, held[id(keys[key])]) for key in sorted(set(keys) - walker.covered) if id(keys[key]) in held]
    if result.design is not None and missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        problems = (*result.problems, ImportProblem(
            title, "state_dict", f"{len(missing)} of the model's parameters and buffers are not in the design ({shown})",
            "the export will not load the original state_dict strictly"))
        result = ImportResult(result.design, problems)
    if result.design is not None and twice:
        shown = ", ".join(f"'{key}' is '{first}'" for key, first in twice[:3]) + (
            f" and {len(twice) - 3} more" if len(twice) > 3 else "")
        result = ImportResult(result.design, (*result.problems, ImportProblem(
            title, "state_dict", f"{len(twice)} keys of the model name tensors the design holds under another key (a "
            f"module registered twice: {shown})", "the export registers each module once: drop those keys when "
            "loading the original's weights")))
    if result.design is not None:
        renamed = [ImportProblem(name, "state_dict", f"the export keys this module '{key}' (its name is no Python "
                                 "identifier, or one nn.Module uses), so the original's state_dict does not load "
                                 f"strictly", f"rename the module, or its keys when loading ('{name}.' -> '{key}.')")
                   for name, key in _keys_renamed_by_the_export(result.design) if any(
                       k.startswith(f"{name}.") for k in keys)]
        if renamed:
            result = ImportResult(result.design, (*result.problems, *renamed))
    return result


def _keys_renamed_by_the_export(design: Design) -> list[tuple[str, str]]:
    """(layer name, the key its module has in the PyTorch export) for each layer the export keys otherwise."""
    try:
        plan = torch_plan(design)
    except ExportError:  # the design has errors: the import reports them
        return []
    names = [r.name for r in plan.analysis.layers]
    return [(names[s.layer_index], s.path) for s in plan.steps
            if s.role == "layer" and s.path is not None and s.path != names[s.layer_index]]


def _load_file(path: str) -> Any:
    """The Python file as a module, its folder importable while it runs (for its own imports)."""
    folder = os.path.dirname(os.path.abspath(path))
    name = f"convdesigner_import_{os.path.splitext(os.path.basename(path))[0]}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SourceError(f"{path} cannot be loaded as Python code")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as error:
        raise SourceError(f"running {path} raised {type(error).__name__}: {error}", _user_frame(error)) from None
    finally:
        sys.path.remove(folder)
    return module


def _candidates(module: Any) -> list[str]:
    """The module classes and functions a Python module defines itself (for "it defines ..." hints)."""
    return sorted(name for name, value in vars(module).items() if getattr(value, "__module__", None) == module.__name__
                  and (inspect.isfunction(value) or (isinstance(value, type) and issubclass(value, nn.Module))))


def load_model(source: str, kwargs: Mapping[str, Any]) -> nn.Module:
    """The model a source names: ``path/to/file.py:Name`` or ``package.module:Name``, a ``torch.nn.Module``
    subclass or a function returning one, called with ``kwargs``. Raises SourceError saying what is wrong."""
    target, _, name = source.rpartition(":")
    if not target or not name.isidentifier():
        raise SourceError(f"{source}: give FILE.py:Name or package.module:Name (a class or function name after ':')")
    if target.endswith(".py") or "/" in target or os.sep in target:
        if not os.path.isfile(target):
            raise SourceError(f"no such file: {target}")
        module = _load_file(target)
    else:
        try:
            module = importlib.import_module(target)
        except ModuleNotFoundError as error:
            raise SourceError(f"no module named {error.name!r} (importing {target})") from None
        except (Exception, SystemExit) as error:
            raise SourceError(f"importing {target} raised {type(error).__name__}: {error}", _user_frame(error)) from None
    if not hasattr(module, name):
        defined = _candidates(module)
        hint = f"; it defines {', '.join(defined)}" if defined else ""
        raise SourceError(f"{target} has no {name}{hint}")
    found = getattr(module, name)
    if isinstance(found, nn.Module):
        return found
    if isinstance(found, type) and not issubclass(found, nn.Module):
        raise SourceError(f"{name} is a class but not a torch.nn.Module subclass")
    if not callable(found):
        raise SourceError(f"{name} is a {type(found).__name__}, not a torch.nn.Module subclass or a function "
                          "returning one")
    arguments = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    try:
        model = found(**kwargs)
    except Exception as error:  # the user's constructor: any exception is a message, not a traceback
        raise SourceError(f"{name}({arguments}) raised {type(error).__name__}: {error}", _user_frame(error)) from None
    if not isinstance(model, nn.Module):
        raise SourceError(f"{name}({arguments}) returned a {type(model).__name__}, not a torch.nn.Module")
    return model


__all__ = ["from_torch", "load_model", "module_arguments"]
