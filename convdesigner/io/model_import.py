"""What importing a model gives, and how an imported graph becomes a design, without torch or onnx.

`import_torch` (and an ONNX importer) walk a model's graph in computation order and tell a `DesignBuilder`
each tensor it computes: a layer of a catalog type, a value passed on unchanged (``nn.Identity``), an
in-place operation (later readers of its input read its result, as they do in the original), or an
operation the engine has no type for. The builder names the layers uniquely under the design's naming rules,
wires them (``from``), leaves out what depends on a tensor it could not import, and collects every problem
in an `ImportResult`, so that an import never ends in a traceback.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine.analysis import analyze
from ..engine.design import NETWORK_INPUT, Design, InputSpec, Layer
from ..engine.graph import add_prefixes, name_problem
from ..engine.layers import CATALOG
from ..engine.layers.resampling import PAD_TYPES


@dataclass(frozen=True)
class ImportProblem:
    """One thing an import could not carry over: the graph node, its operation, what is wrong, what the user
    can do, and the source line where the model's code gives one."""

    node: str
    op: str
    message: str
    action: str = ""
    source: str = ""

    @property
    def text(self) -> str:
        where = f" ({self.source})" if self.source else ""
        action = f"; {self.action}" if self.action else ""
        return f"{self.node} [{self.op}]{where}: {self.message}{action}"


@dataclass(frozen=True)
class ImportResult:
    """An imported design (None when nothing could be imported) and the problems met on the way. ``weights``
    maps the source's weight names to the exported module's state_dict keys (ONNX: the initializers),
    ``transposed`` names the weights stored transposed (a Gemm without transB, a MatMul), and ``permuted``
    the weights whose channels the design orders otherwise: name -> (axis, order), the design's entry j
    along that axis being the stored entry order[j] (a convolution beside an ONNX DepthToSpace in DCR mode
    or a SpaceToDepth, which order channels otherwise than PixelShuffle and PixelUnshuffle); ``reshaped`` the
    weights stored in another shape than the module's: name -> its shape there (ONNX PRelu's slopes
    [1, C, 1, 1], PReLU's [C]); ``shared`` the weights more than one layer reads: name -> the further keys
    (torch's ONNX exporter stores identical initializers once)."""

    design: Design | None
    problems: tuple[ImportProblem, ...] = ()
    weights: Mapping[str, str] = field(default_factory=dict)
    transposed: frozenset[str] = frozenset()
    permuted: Mapping[str, tuple[int, tuple[int, ...]]] = field(default_factory=dict)
    reshaped: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    shared: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.design is not None and not self.problems

    @property
    def exit_code(self) -> int:
        """The command's exit code: 0 imported, 1 imported with problems, 2 nothing importable."""
        return 2 if self.design is None else 1 if self.problems else 0


class MissingDependency(Exception):
    """An optional package an import needs is not installed; the message says which extra to install."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(f"importing this model needs {package}, which is not installed: "
                         f'pip install "convdesigner[{extra}]"')


class Unsupported(Exception):
    """Raised by an importer for a node the design cannot hold: why (``message``) and what to do (``action``)."""

    def __init__(self, message: str, action: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.action = action


class SourceError(Exception):
    """A model source that gives no module: a missing file, a name it lacks, a constructor that raises, ...
    ``source`` is the ``file:line`` of the user's code where one is known."""

    def __init__(self, message: str, source: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.source = source


def _io_module(name: str, package: str) -> Any:
    """``convdesigner.io.NAME``, or MissingDependency when the package it needs is not installed."""
    try:
        return importlib.import_module(f"convdesigner.io.{name}")
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in (package, "numpy"):
            raise
        raise MissingDependency("PyTorch" if package == "torch" else package, package) from None


def is_onnx_source(source: str) -> bool:
    return source.lower().endswith(".onnx")


def import_source(source: str, input_shape: Sequence[int] | None = None, kwargs: Mapping[str, Any] | None = None
                  ) -> tuple[ImportResult, Callable[[], dict[str, Any]] | None]:
    """Import ``model.onnx``, ``path/to/file.py:Name`` or ``package.module:Name`` (a module class or a function
    returning one, called with ``kwargs``; ``input_shape`` required). Also returns what builds the state_dict
    that the design's PyTorch export loads (None when nothing was imported). A source that gives no model is a
    result without a design; MissingDependency when torch or onnx is missing."""
    if is_onnx_source(source):
        import_onnx = _io_module("import_onnx", "onnx")
        if not os.path.isfile(source):
            return ImportResult(None, (ImportProblem(source, "file", f"no such file: {source}"),)), None
        result = import_onnx.from_onnx(source, input_shape)
        return result, (lambda: import_onnx.state_dict(source, result)) if result.design is not None else None
    import_torch = _io_module("import_torch", "torch")
    if input_shape is None:
        return ImportResult(None, (ImportProblem(source, "input", "a Python model needs the input shape",
                                                 "give channels, then 1 to 3 spatial sizes"),)), None
    try:
        model = import_torch.load_model(source, dict(kwargs or {}))
    except SourceError as error:
        return ImportResult(None, (ImportProblem(source, "source", error.message, "", error.source),)), None
    result = import_torch.from_torch(model, input_shape)
    return result, (lambda: model.state_dict()) if result.design is not None else None


#: The pad layer family of each padding mode as ``F.pad`` names it (a constant of 0 is a ZeroPad).
PAD_FAMILIES = {mode: family for family, mode in PAD_TYPES.items() if mode != "zeros"}


def pad_layer(mode: str, ndim: int, padding: Sequence[int], value: float = 0.0) -> tuple[str, dict[str, Any]]:
    """The pad layer (type and arguments) that pads like ``F.pad(x, padding, mode, value)``: ZeroPad for a
    constant 0, ConstantPad (any value, -inf included), ReflectionPad, ReplicationPad or CircularPad.
    ``padding`` is in PyTorch's order, every spatial axis given. Unsupported for a mode PyTorch lacks."""
    if mode not in PAD_FAMILIES:
        raise Unsupported(f"pads with mode {mode!r}, which PyTorch has no pad layer for")
    family = "ZeroPad" if mode == "constant" and value == 0 else PAD_FAMILIES[mode]
    values = tuple(int(v) for v in padding)
    args: dict[str, Any] = {"padding": values[0] if len(set(values)) == 1 else values}
    if family == "ConstantPad":
        args["value"] = float(value)
    return f"{family}{ndim}d", args


#: The tensor id of the network input in a `DesignBuilder`.
INPUT_TENSOR = NETWORK_INPUT


class DesignBuilder:
    """Collects the layers of an imported graph in computation order. Tensors are named by the caller's ids
    (fx node names, ONNX value names); each maps to the design layer (or the network input) that holds its
    value, or is unavailable (it depends on something that could not be imported)."""

    def __init__(self, name: str, input_spec: InputSpec, input_tensor: str = INPUT_TENSOR) -> None:
        self.name = name
        self.input_spec = input_spec
        self.layers: list[Layer] = []
        self.problems: list[ImportProblem] = []
        self.values: dict[str, str] = {input_tensor: NETWORK_INPUT}  # tensor id -> layer name
        self.unavailable: set[str] = set()
        self.names: set[str] = set()
        self.prefixes: set[str] = set()
        self.tensor_of_layer: dict[str, str] = {}  # layer name -> the tensor id it computes

    # -- names ----------------------------------------------------------------------------------------------

    def _free(self, name: str) -> bool:
        seen = dict.fromkeys(self.names, 0)
        return name not in self.names and name_problem(name, self.prefixes, seen) is None

    def unique_name(self, wanted: str) -> str:
        """``wanted`` when free under the naming rules, else ``wanted_1``, ``wanted_2``, ... (a module called
        a second time, a function node whose name a module path took)."""
        candidate, n = wanted, 0
        while not self._free(candidate):
            n += 1
            candidate = f"{wanted}_{n}"
            if n > 1000:  # a dotted name whose block is a layer: no suffix helps
                wanted, n = wanted.replace(".", "_"), 0
                candidate = wanted
        return candidate

    # -- tensors --------------------------------------------------------------------------------------------

    def available(self, tensors: Iterable[str]) -> bool:
        return all(t in self.values for t in tensors)

    def add(self, tensor: str, type_name: str, wanted_name: str, args: Mapping[str, Any],
            operands: Sequence[str]) -> str | None:
        """A layer computing ``tensor`` from ``operands`` (tensor ids, in order); None (and the tensor is
        unavailable) when an operand is."""
        if not self.available(operands):
            self.unavailable.add(tensor)
            return None
        name = self.unique_name(wanted_name)
        sources = [self.values[t] for t in operands]
        above = self.layers[-1].name if self.layers else NETWORK_INPUT
        if CATALOG[type_name].join:
            inputs: tuple[str, ...] = tuple(sources)
        else:
            inputs = () if sources == [above] else (sources[0],)
        self.layers.append(Layer.make(type_name, name, dict(args), inputs=inputs))
        self.names.add(name)
        add_prefixes(name, self.prefixes)
        self.values[tensor] = name
        self.tensor_of_layer[name] = tensor
        return name

    def alias(self, tensor: str, source: str) -> None:
        """``tensor`` holds the same value as ``source`` (an identity)."""
        if source in self.values:
            self.values[tensor] = self.values[source]
        else:
            self.unavailable.add(tensor)

    def overwrite(self, source: str, tensor: str) -> None:
        """An in-place operation wrote ``tensor``'s value into ``source``'s storage: from here on every
        tensor that held ``source``'s value holds ``tensor``'s, as readers of the original see it."""
        if source not in self.values or tensor not in self.values:
            return
        old, new = self.values[source], self.values[tensor]
        for key, value in self.values.items():
            if value == old:
                self.values[key] = new

    def problem(self, problem: ImportProblem) -> None:
        self.problems.append(problem)

    def left_out(self, tensor: str, operands: Sequence[str], same_shape: bool, problem: ImportProblem) -> None:
        """An operation the design cannot hold: when it keeps its first input's shape, the design passes that
        input on in its place; otherwise what depends on it is left out."""
        if same_shape and operands and operands[0] in self.values:
            self.values[tensor] = self.values[operands[0]]
            problem = ImportProblem(problem.node, problem.op, problem.message,
                                    "the design passes its input on unchanged in its place"
                                    + (f"; {problem.action}" if problem.action else ""), problem.source)
        else:
            self.unavailable.add(tensor)
            problem = ImportProblem(problem.node, problem.op, problem.message,
                                    "the layers that depend on it are left out"
                                    + (f"; {problem.action}" if problem.action else ""), problem.source)
        self.problems.append(problem)

    # -- the design -----------------------------------------------------------------------------------------

    def build(self, outputs: Sequence[str], shapes: Mapping[str, tuple[int, ...]]) -> ImportResult:
        """The design with these output tensors, its engine analysis checked against ``shapes`` (tensor id ->
        the shape a real forward pass gave, batch left out)."""
        if not self.layers:
            if not self.problems:
                self.problems.append(ImportProblem(self.name, "model", "the model computes nothing the design "
                                                   "can hold", "check that its forward uses supported layers"))
            return ImportResult(None, tuple(self.problems))
        names = []
        for tensor in outputs:
            value = self.values.get(tensor)
            if value is None or value == NETWORK_INPUT:
                continue
            names.append(value)
        names = list(dict.fromkeys(names))
        missing = len(outputs) - len(names)
        if missing and names:
            self.problems.append(ImportProblem("output", "output", f"{missing} of the model's {len(outputs)} "
                                               "outputs could not be imported", "only the others are outputs"))
        last = self.layers[-1].name
        design = Design(self.name, self.input_spec, tuple(self.layers),
                        outputs=() if names in ([], [last]) else tuple(names))
        self.problems.extend(shape_problems(design, self.tensor_of_layer, shapes))
        return ImportResult(design, tuple(self.problems))


def shape_problems(design: Design, tensor_of_layer: Mapping[str, str], shapes: Mapping[str, tuple[int, ...]]
                   ) -> list[ImportProblem]:
    """The engine's errors on an imported design, and every layer whose shape differs from the real one."""
    analysis = analyze(design)
    problems = [ImportProblem(d.layer or design.name, "engine", d.message, d.suggestion or "")
                for d in analysis.errors]
    for result in analysis.layers:
        real = shapes.get(tensor_of_layer.get(result.name, ""))
        if real is not None and result.output_shape is not None and tuple(result.output_shape) != tuple(real):
            problems.append(ImportProblem(result.name, result.type,
                                          f"the engine computes {result.output_shape} but the model gives "
                                          f"{tuple(real)}", "please report it: the shapes should agree"))
    return problems


__all__ = ["DesignBuilder", "ImportProblem", "ImportResult", "MissingDependency", "SourceError", "Unsupported",
           "import_source", "is_onnx_source", "pad_layer"]
