"""The engine against PyTorch: random layers and short stacks, valid and invalid, 1-D to 3-D.

For every generated layer the engine's verdict (computed or refused) must equal whether PyTorch raises when
the module is built and run on a small real CPU tensor (batch 1), and on success the output shape and the
parameter count (``sum(p.numel())``) must be PyTorch's. The CPU result is the reference, never the meta
device (docs/torch-rules.md, section 11).

Modules run in training mode, as a user's network does. BatchNorm and GroupNorm see a batch of two copies
of the sample: PyTorch refuses a batch holding one value per channel (or group), a limit of this test's
batch size rather than of the design.

Where the engine is deliberately stricter than PyTorch ("Engine deviations" in docs/torch-rules.md),
`deviation` names the reason and the test asserts that the engine refuses the layer, whatever PyTorch does.
"""

from __future__ import annotations

import warnings
from math import prod
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from convdesigner.engine import Design, InputSpec, Layer, analyze

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

ACTIVATIONS = ("ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
               "Softmax2d", "Hardswish", "Mish", "PReLU", "Identity")
UPSAMPLE_MODES = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "nearest-exact", "area")
SCALES = (0.3, 0.5, 0.58, 0.7, 1.0, 1.05, 1.3, 1.5, 2, 2.5, 3)
PADS = ("ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad")
FIXED_RANK = ("Conv", "ConvTranspose", "MaxPool", "AvgPool", "AdaptiveAvgPool", "AdaptiveMaxPool", *PADS,
              "BatchNorm", "InstanceNorm", "Dropout")


# --------------------------------------------------------------------------------------------- generation

def _rarely(draw: st.DrawFn, one_in: int) -> bool:
    """True about once in ``one_in`` draws. (The middle value: hypothesis favours the ends of a range.)"""
    return draw(st.integers(0, one_in - 1)) == one_in // 2


def _pick(draw: st.DrawFn, bad_one_in: int, good: st.SearchStrategy, bad: st.SearchStrategy) -> Any:
    """Usually a plausible value, sometimes (about one in ``bad_one_in``) one from the invalid range."""
    return draw(bad) if _rarely(draw, bad_one_in) else draw(good)


def _axes(draw: st.DrawFn, ndim: int, lo: int, hi: int, bad_lo: int | None = None) -> int | list[int]:
    """An int or one int per axis, from lo..hi (or, rarely, down to bad_lo)."""
    values = st.integers(lo, hi) if bad_lo is None else st.integers(bad_lo, hi)
    if draw(st.booleans()):
        return draw(values)
    return draw(st.lists(values, min_size=ndim, max_size=ndim))


def _dilation(draw: st.DrawFn, ndim: int, bad: bool = True) -> int | list[int]:
    """Mostly 1, so that most kernels fit the small inputs; sometimes larger, rarely 0."""
    if bad and _rarely(draw, 10):
        return _axes(draw, ndim, 1, 3, bad_lo=0)
    return _axes(draw, ndim, 1, 3) if _rarely(draw, 3) else 1


def _conv_padding(draw: st.DrawFn, ndim: int) -> Any:
    form = draw(st.sampled_from(["int", "int", "axes", "valid", "same", "full", "pairs", "bad"]))
    if form == "int":
        return _pick(draw, 12, st.integers(0, 3), st.just(-1))
    if form == "axes":
        return draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim))
    if form == "pairs":
        entry = st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), min_size=2, max_size=2))
        return draw(st.lists(entry, min_size=ndim, max_size=ndim))
    if form == "bad":
        return draw(st.sampled_from(["foo", [1] * (ndim + 1), [[1, 2, 3]] * ndim, [[-1, 1]] * ndim]))
    return form


def _conv(draw: st.DrawFn, n: int, channels: int) -> dict[str, Any]:
    groups = _pick(draw, 10, st.sampled_from([1, 1, 1] + ([2] if channels % 2 == 0 else [])), st.integers(0, 3))
    args: dict[str, Any] = {
        "out_channels": _pick(draw, 15, st.integers(1, 4).map(lambda c: c * max(groups, 1)), st.integers(0, 5)),
        "kernel_size": _axes(draw, n, 1, 5, bad_lo=0) if _rarely(draw, 10) else _axes(draw, n, 1, 5),
        "stride": _axes(draw, n, 1, 3, bad_lo=0) if _rarely(draw, 10) else _axes(draw, n, 1, 3),
        "padding": _conv_padding(draw, n),
        "dilation": _dilation(draw, n),
        "groups": groups,
        "bias": draw(st.booleans()),
    }
    if _rarely(draw, 5):
        args["padding_mode"] = draw(st.sampled_from(["reflect", "replicate", "circular"]))
    _parametrization(draw, args, n + 2)
    if _rarely(draw, 7):
        args["in_channels"] = draw(st.sampled_from([channels, channels + 1]))
    return args


def _transposed(draw: st.DrawFn, n: int, channels: int) -> dict[str, Any]:
    groups = _pick(draw, 10, st.sampled_from([1, 1, 1] + ([2] if channels % 2 == 0 else [])), st.integers(0, 3))
    args: dict[str, Any] = {
        "out_channels": _pick(draw, 15, st.integers(1, 4).map(lambda c: c * max(groups, 1)), st.integers(0, 5)),
        "kernel_size": _axes(draw, n, 1, 5, bad_lo=0) if _rarely(draw, 10) else _axes(draw, n, 1, 5),
        "stride": _axes(draw, n, 1, 3, bad_lo=0) if _rarely(draw, 10) else _axes(draw, n, 1, 3),
        "padding": _axes(draw, n, 0, 3, bad_lo=-1) if _rarely(draw, 10) else _axes(draw, n, 0, 3),
        "output_padding": _axes(draw, n, 0, 2, bad_lo=-1) if _rarely(draw, 10) else _axes(draw, n, 0, 2),
        "dilation": _dilation(draw, n, bad=False),
        "groups": groups,
        "bias": draw(st.booleans()),
    }
    if _rarely(draw, 7):
        args["in_channels"] = draw(st.sampled_from([channels, channels + 1]))
    if _rarely(draw, 16):
        args["padding_mode"] = "reflect"
    _parametrization(draw, args, n + 2)
    return args


def _parametrization(draw: st.DrawFn, args: dict[str, Any], rank: int) -> None:
    """Sometimes weight_norm or spectral_norm with a dim (rarely out of range, or a dim alone)."""
    if _rarely(draw, 4):
        args["parametrization"] = draw(st.sampled_from(["weight_norm", "spectral_norm"]))
    if ("parametrization" in args and draw(st.booleans())) or _rarely(draw, 30):
        args["dim"] = draw(st.one_of(st.none(), st.integers(-rank - 1, rank)))


def _pool(draw: st.DrawFn, n: int, kind: str) -> dict[str, Any]:
    kernel = _axes(draw, n, 1, 5, bad_lo=0) if _rarely(draw, 10) else _axes(draw, n, 1, 5)
    if _rarely(draw, 5):
        padding = _axes(draw, n, 0, 2, bad_lo=-1)  # often more than half the kernel: refused
    else:  # at most half the (smallest) kernel
        half = max(0, min(kernel if isinstance(kernel, list) else [kernel])) // 2
        padding = _axes(draw, n, 0, half)
    args: dict[str, Any] = {"kernel_size": kernel, "padding": padding, "ceil_mode": draw(st.booleans())}
    if draw(st.booleans()):
        args["stride"] = _axes(draw, n, 1, 3, bad_lo=0) if _rarely(draw, 10) else _axes(draw, n, 1, 3)
    if kind == "Max":
        args["dilation"] = _dilation(draw, n, bad=False)
    else:
        args["count_include_pad"] = draw(st.booleans())
        if (n > 1 and _rarely(draw, 4)) or _rarely(draw, 20):  # AvgPool1d has no divisor_override
            args["divisor_override"] = draw(st.integers(0, 3))
    return args


def _adaptive(draw: st.DrawFn, n: int) -> dict[str, Any]:
    size = st.integers(0, 6) if _rarely(draw, 10) else st.integers(1, 6)
    if draw(st.booleans()):
        return {"output_size": draw(size)}
    entry = st.one_of(size, st.none()) if n > 1 or _rarely(draw, 10) else size
    return {"output_size": draw(st.lists(entry, min_size=n, max_size=n))}


def _upsample(draw: st.DrawFn, n: int, size_from: str | None = None) -> dict[str, Any]:
    """Upsample's arguments; with ``size_from`` (another layer's size), rarely a scale_factor too."""
    args: dict[str, Any] = {}
    if size_from is not None:
        args["size_from"] = size_from
        choice = "scale" if _rarely(draw, 10) else "size_from"
    else:
        choice = draw(st.sampled_from(["size", "size", "scale", "scale", "scale", "both", "neither"]))
    if choice in ("size", "both"):
        entry = st.integers(-1, 8) if _rarely(draw, 10) else st.integers(1, 8)
        args["size"] = draw(entry) if draw(st.booleans()) else draw(st.lists(entry, min_size=n, max_size=n))
    if choice in ("scale", "both"):
        entry = st.sampled_from([0, -1.5, 0.1]) if _rarely(draw, 10) else st.sampled_from(SCALES)
        args["scale_factor"] = draw(entry) if draw(st.booleans()) else draw(st.lists(entry, min_size=n, max_size=n))
    fitting = ["nearest", "nearest-exact", "area", {1: "linear", 2: "bilinear", 3: "trilinear"}[n]] + (
        ["bicubic"] if n == 2 else [])
    args["mode"] = draw(st.sampled_from(UPSAMPLE_MODES if _rarely(draw, 4) else fitting))
    if args["mode"] in ("linear", "bilinear", "bicubic", "trilinear") and draw(st.booleans()) or _rarely(draw, 8):
        args["align_corners"] = draw(st.booleans())
    if _rarely(draw, 4):
        args["recompute_scale_factor"] = draw(st.booleans())
    return args


def _pad(draw: st.DrawFn, n: int, kind: str) -> dict[str, Any]:
    if draw(st.booleans()):
        args: dict[str, Any] = {"padding": draw(st.integers(-2, 3))}
    else:
        args = {"padding": draw(st.lists(st.integers(-4, 3), min_size=2 * n, max_size=2 * n))}
    if kind == "ConstantPad":
        args["value"] = draw(st.sampled_from([0.0, 1.5, -2]))
    return args


def _norm(draw: st.DrawFn, channels: int, name: str) -> dict[str, Any]:
    args: dict[str, Any] = {"affine": draw(st.booleans()), "track_running_stats": draw(st.booleans())}
    if _rarely(draw, 5):
        args["num_features"] = draw(st.sampled_from([channels, channels + 1]))
    return args


def _groupnorm(draw: st.DrawFn, channels: int) -> dict[str, Any]:
    divisors = [g for g in range(1, channels + 1) if channels % g == 0]
    groups = draw(st.integers(0, 4)) if _rarely(draw, 4) else draw(st.sampled_from(divisors))
    args: dict[str, Any] = {"num_groups": groups, "affine": draw(st.booleans())}
    if _rarely(draw, 5):
        args["num_channels"] = draw(st.sampled_from([channels, channels + 1]))
    return args


@st.composite
def layer_spec(draw: st.DrawFn, shape: tuple[int, ...]) -> tuple[str, dict[str, Any]]:
    """A random layer (type and arguments) for an incoming tensor of this shape (no batch axis)."""
    spatial = len(shape) - 1
    channels = shape[0]
    n = spatial if 1 <= spatial <= 3 else 1
    if spatial >= 1 and _rarely(draw, 30):
        n = draw(st.sampled_from([m for m in (1, 2, 3) if m != spatial]))  # a layer of the wrong rank
    families = ["Conv", "Conv", "ConvTranspose", "MaxPool", "AvgPool", "Adaptive", "Upsample", "Pad", "Pad", "Shuffle",
                "Unflatten", "Reshape", "LayerNorm",
                "BatchNorm", "InstanceNorm", "GroupNorm", "Flatten", "Linear", "Activation", "Dropout"]
    if spatial == 0:
        families = ["BatchNorm", "GroupNorm", "Linear", "Linear", "Activation", "Dropout", "Flatten", "Unflatten",
                    "Reshape", "LayerNorm"]
    family = draw(st.sampled_from(families))
    if family == "Conv":
        return f"Conv{n}d", _conv(draw, n, channels)
    if family == "ConvTranspose":
        return f"ConvTranspose{n}d", _transposed(draw, n, channels)
    if family in ("MaxPool", "AvgPool"):
        return f"{family}{n}d", _pool(draw, n, family[:3])
    if family == "Adaptive":
        return f"Adaptive{draw(st.sampled_from(['Avg', 'Max']))}Pool{n}d", _adaptive(draw, n)
    if family == "Upsample":
        return "Upsample", _upsample(draw, max(spatial, 1))
    if family == "LayerNorm":
        args = {"elementwise_affine": draw(st.booleans()), "bias": draw(st.booleans())}
        if spatial == 0 and draw(st.booleans()):
            return "LayerNorm", args  # the feature width
        full = (1, *shape)
        trailing = list(full[draw(st.integers(0, len(full) - 1)):])
        if _rarely(draw, 5):
            trailing[0] += 1
        args["normalized_shape"] = trailing[0] if len(trailing) == 1 and draw(st.booleans()) else trailing
        return "LayerNorm", args
    if family in ("Unflatten", "Reshape"):
        sizes = st.lists(st.sampled_from([-1, 1, 2, 3, 4, 6, 0, -2] if _rarely(draw, 6) else [-1, 1, 2, 3, 4, 6]),
                         min_size=1, max_size=4)
        if family == "Reshape":
            return "Reshape", {"shape": draw(sizes)}
        return "Unflatten", {"dim": draw(st.integers(-len(shape) - 2, len(shape) + 1)), "unflattened_size": draw(sizes)}
    if family == "Shuffle":
        name = draw(st.sampled_from(["PixelShuffle", "PixelUnshuffle"]))
        factor = "upscale_factor" if name == "PixelShuffle" else "downscale_factor"
        return name, {factor: draw(st.sampled_from([1, 2, 2, 3]))}
    if family == "Pad":
        kind = draw(st.sampled_from(PADS))
        return f"{kind}{n}d", _pad(draw, n, kind)
    if family in ("BatchNorm", "InstanceNorm"):
        return f"{family}{n}d", _norm(draw, channels, family)
    if family == "GroupNorm":
        return "GroupNorm", _groupnorm(draw, channels)
    if family == "Flatten":
        rank = len(shape) + 1
        dims = st.integers(-rank - 1, rank)
        return "Flatten", {"start_dim": draw(dims), "end_dim": draw(dims)} if draw(st.booleans()) else {}
    if family == "Linear":
        args: dict[str, Any] = {"out_features": _pick(draw, 15, st.integers(1, 6), st.just(0)),
                                "bias": draw(st.booleans())}
        _parametrization(draw, args, 2)
        if _rarely(draw, 5):
            args["in_features"] = draw(st.sampled_from([shape[-1], shape[-1] + 1]))
        return "Linear", args
    if family == "Activation":
        name = draw(st.sampled_from(ACTIVATIONS))
        if name in ("Softmax", "LogSoftmax"):
            return name, {"dim": draw(st.integers(-len(shape) - 2, len(shape) + 1))} if draw(st.booleans()) else {}
        if name == "PReLU":
            return name, {"num_parameters": draw(st.sampled_from([1, 1, channels, channels + 1]))}
        return name, {}
    name = draw(st.sampled_from(["Dropout", f"Dropout{n}d"]))
    return name, {"p": draw(st.sampled_from([0.0, 0.5]))}


@st.composite
def input_shape(draw: st.DrawFn) -> tuple[int, ...]:
    ndim = draw(st.integers(1, 3))
    top = {1: 16, 2: 11, 3: 6}[ndim]
    return (draw(st.integers(1, 4)), *draw(st.lists(st.integers(1, top), min_size=ndim, max_size=ndim)))


# ------------------------------------------------------------------------------------ the PyTorch reference

class View(nn.Module):
    """Reshape as the export writes it: ``x.view(x.size(0), *shape)``."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, x: Any) -> Any:
        return x.view(x.size(0), *self.shape)


class PadThen(nn.Module):
    """Asymmetric or full padding in PyTorch: F.pad first, then the layer with no padding of its own."""

    def __init__(self, pads: list[int], mode: str, inner: Any) -> None:
        super().__init__()
        self.pads, self.mode, self.inner = pads, mode, inner

    def forward(self, x: Any) -> Any:
        return self.inner(F.pad(x, self.pads, mode=self.mode))


def _tuple(value: Any) -> Any:
    return tuple(_tuple(v) for v in value) if isinstance(value, list) else value


def torch_module(type_name: str, args: dict[str, Any], x: Any) -> Any:
    """The PyTorch module for a layer, with the widths the engine infers taken from the real tensor (and its
    weight parametrized as the design says)."""
    kwargs = {k: _tuple(v) for k, v in args.items()}
    kind = kwargs.pop("parametrization", "none")
    if kind != "none" or "dim" in kwargs and type_name.startswith(("Conv", "Linear")):
        dim = {"dim": kwargs.pop("dim")} if "dim" in kwargs else {}
        if kind == "none":
            raise ValueError("dim without a parametrization")
        module = torch_module(type_name, kwargs, x)
        weighted = module.inner if isinstance(module, PadThen) else module  # an explicit pad before the conv
        getattr(torch.nn.utils.parametrizations, kind)(weighted, **dim)
        return module
    if type_name == "Reshape":
        return View(kwargs["shape"])
    if type_name.startswith(("Conv1d", "Conv2d", "Conv3d")):
        kwargs.setdefault("in_channels", x.shape[1])
        padding = kwargs.get("padding", 0)
        kernel = kwargs["kernel_size"]
        n = int(type_name[-2])
        if padding == "full":
            ks = kernel if isinstance(kernel, tuple) else (kernel,) * n
            dilation = kwargs.get("dilation", 1)
            ds = dilation if isinstance(dilation, tuple) else (dilation,) * n
            kwargs["padding"] = tuple(d * (k - 1) for k, d in zip(ks, ds))
        elif isinstance(padding, tuple) and any(isinstance(p, tuple) for p in padding):
            if len(padding) != n or any(isinstance(p, tuple) and len(p) != 2 for p in padding):
                raise ValueError("malformed padding pairs")
            pairs = [p if isinstance(p, tuple) else (p, p) for p in padding]
            flat = [v for lo_hi in reversed(pairs) for v in lo_hi]
            mode = kwargs.pop("padding_mode", "zeros")
            kwargs["padding"] = 0
            return PadThen(flat, "constant" if mode == "zeros" else mode, getattr(nn, type_name)(**kwargs))
    elif type_name.startswith("ConvTranspose"):
        kwargs.setdefault("in_channels", x.shape[1])
    elif type_name.startswith(("BatchNorm", "InstanceNorm")):
        kwargs.setdefault("num_features", x.shape[1])
    elif type_name == "GroupNorm":
        kwargs.setdefault("num_channels", x.shape[1])
    elif type_name == "Linear":
        kwargs.setdefault("in_features", x.shape[-1])
    elif type_name == "LayerNorm" and x.dim() == 2:
        kwargs.setdefault("normalized_shape", x.shape[-1])
    return getattr(nn, type_name)(**kwargs)


def torch_outcome(type_name: str, args: dict[str, Any], x: Any) -> tuple[Any, int] | None:
    """(output tensor, parameter count), or None when PyTorch refuses the layer."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = torch_module(type_name, args, x)
            with torch.no_grad():
                if type_name.startswith("BatchNorm") or type_name == "GroupNorm":
                    y = module(torch.cat((x, x)))[:1]
                else:
                    y = module(x)
    except (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError, ZeroDivisionError):
        return None
    return y, sum(p.numel() for p in module.parameters())


# -------------------------------------------------------------------------------- the documented deviations

def deviation(type_name: str, args: dict[str, Any], shape: tuple[int, ...]) -> str | None:
    """Why the engine refuses a layer PyTorch may accept (docs/torch-rules.md, "Engine deviations")."""
    spatial = len(shape) - 1
    base = type_name[:-2] if type_name[-2:] in ("1d", "2d", "3d") else type_name
    if base in FIXED_RANK and type_name[-2:] in ("1d", "2d", "3d"):
        n = int(type_name[-2])
        ranks = (0, 1) if type_name == "BatchNorm1d" else (n,)
        if spatial not in ranks:
            return "rank: an N-d layer on a tensor of another rank (PyTorch may read the batch as channels)"
    if type_name in ("PixelShuffle", "PixelUnshuffle") and spatial != 2:
        return "rank: PyTorch shuffles the last three dimensions, whatever they are (the batch as channels)"
    if type_name.startswith(("Conv1d", "Conv2d", "Conv3d")):
        padding = args.get("padding", 0)
        flat = padding if isinstance(padding, list) else [padding]
        values = [w for v in flat for w in (v if isinstance(v, list) else [v])]
        if any(isinstance(v, int) and v < 0 for v in values):
            return "negative convolution padding"
    if type_name.startswith("ConvTranspose") and spatial == int(type_name[-2]):
        per = [args.get(key, default) for key, default in
               (("kernel_size", 1), ("stride", 1), ("padding", 0), ("output_padding", 0), ("dilation", 1))]
        per = [v if isinstance(v, list) else [v] * spatial for v in per]
        for i, k, s, p, a, d in zip(shape[1:], *per):
            if (i - 1) * s - 2 * p + d * (k - 1) + a + 1 == 0:
                return "size-0 output of a transposed convolution"
    if type_name == "Upsample" and args.get("scale_factor", 1) == 0:
        return "scale_factor 0 (PyTorch reads a zero scale_factor as not given)"
    if type_name == "Upsample" and args.get("mode") == "area" and ("size" in args) != ("scale_factor" in args):
        value = args.get("size", args.get("scale_factor"))
        values = value if isinstance(value, list) else [value] * spatial
        if "size" in args and 0 in values:
            return "size-0 output of Upsample in area mode"
        if "scale_factor" in args and all(v >= 0 for v in values) and any(
                int(i * v) == 0 for i, v in zip(shape[1:], values)):
            return "size-0 output of Upsample in area mode"
    if type_name.startswith("MaxUnpool") and "size_from" not in args and spatial == int(type_name[-2]):
        per = [args.get(key, default) for key, default in
               (("kernel_size", 1), ("stride", args["kernel_size"]), ("padding", 0))]
        per = [v if isinstance(v, list) else [v] * spatial for v in per]
        if any((i - 1) * s - 2 * p + k == 0 for i, k, s, p in zip(shape[1:], *per)):
            return "size-0 output of MaxUnpool"
    if type_name.startswith("Adaptive"):
        size = args["output_size"]
        if 0 in (size if isinstance(size, list) else [size]):
            return "size-0 output of adaptive pooling"
    if base in PADS and spatial == int(type_name[-2]):
        padding = args["padding"]
        flat = padding if isinstance(padding, list) else [padding] * (2 * spatial)
        pairs = [(flat[2 * j], flat[2 * j + 1]) for j in range(spatial)][::-1]
        for i, (lo, hi) in zip(shape[1:], pairs):
            cropped = i + min(lo, 0) + min(hi, 0)
            if i + lo + hi == 0:
                return "size-0 output of a pad layer"
            if base == "CircularPad" and max(lo, hi) <= i and (cropped < 0 or max(lo, hi) > cropped):
                return "circular padding wider than what is left after cropping (PyTorch copies memory it never wrote)"
    if type_name == "Linear" and args["out_features"] == 0:
        return "size-0 output of Linear"
    if type_name == "LayerNorm":
        sizes = args.get("normalized_shape", [])
        if len(sizes if isinstance(sizes, list) else [sizes]) > len(shape):
            return "LayerNorm over the batch axis (the result would depend on the batch)"
    if type_name in ("Unflatten", "Reshape"):
        sizes = args["unflattened_size" if type_name == "Unflatten" else "shape"]
        if any(v == 0 or v < -1 for v in sizes) or sizes.count(-1) > 1:
            return None  # refused by the argument check, as by PyTorch
        rank = len(shape) + 1
        dim = args.get("dim", 1)
        if type_name == "Unflatten" and (dim == 0 or dim == -rank):
            return "Unflatten over the batch axis"
        if (len(shape) + len(sizes) - 1 if type_name == "Unflatten" else len(sizes)) > 4:
            return "rank: a design holds at most channels and 3 spatial axes"
    if type_name == "Flatten":
        rank = len(shape) + 1
        start = args.get("start_dim", 1)
        if start == 0 or start == -rank:
            return "Flatten over the batch axis"
    return None


# ------------------------------------------------------------------------------------------------ the check

def check_against_torch(shape: tuple[int, ...], specs: list[tuple[str, dict[str, Any]]]) -> None:
    design = Design("parity", InputSpec(shape[0], shape[1:]),
                    tuple(Layer.make(t, f"layer{j}", a) for j, (t, a) in enumerate(specs)))
    analysis = analyze(design)
    x = torch.randn(1, *shape)
    for j, ((type_name, args), result) in enumerate(zip(specs, analysis.layers)):
        incoming = tuple(x.shape[1:])
        assert result.input_shape == incoming
        why = deviation(type_name, args, incoming)
        if why is not None:
            assert not result.computed, f"{type_name} {args} on {incoming}: the engine should refuse ({why})"
            assert result.errors
            break
        outcome = torch_outcome(type_name, args, x)
        verdict = "torch refuses" if outcome is None else f"torch gives {tuple(outcome[0].shape[1:])}"
        detail = f"{type_name} {args} on {incoming}: {verdict}; engine: " + (
            str(result.output_shape) if result.computed else "; ".join(d.text for d in result.errors))
        assert result.computed == (outcome is not None), detail
        if outcome is None:
            assert result.errors and result.errors[0].layer == f"layer{j}", detail
            break
        y, params = outcome
        assert result.output_shape == tuple(y.shape[1:]), detail
        assert result.params == params, detail
        assert result.activations == prod(y.shape[1:])
        x = y
    else:
        assert analysis.ok
        return
    assert all(not r.computed for r in analysis.layers[j + 1:]), "layers after an error must not be computed"


@given(st.data())
def test_single_layer_matches_torch(data: st.DataObject) -> None:
    shape = data.draw(input_shape(), "input")
    check_against_torch(shape, [data.draw(layer_spec(shape), "layer")])


@given(st.data())
def test_short_stack_matches_torch(data: st.DataObject) -> None:
    shape = data.draw(input_shape(), "input")
    specs: list[tuple[str, dict[str, Any]]] = []
    current = shape
    for _ in range(data.draw(st.integers(2, 5), "depth")):
        spec = data.draw(layer_spec(current), f"layer{len(specs)}")
        specs.append(spec)
        design = Design("probe", InputSpec(shape[0], shape[1:]),
                        tuple(Layer.make(t, f"layer{j}", a) for j, (t, a) in enumerate(specs)))
        last = analyze(design).layers[-1]
        if not last.computed or prod(last.output_shape) > 20000:
            break
        current = last.output_shape
    check_against_torch(shape, specs)


@pytest.mark.parametrize("family", ["Conv", "ConvTranspose", "MaxPool", "AvgPool", "Upsample", *PADS])
@given(data=st.data())
def test_window_layers_in_every_rank(family: str, data: st.DataObject) -> None:
    """The sliding-window and resampling layers alone, so every rank sees many of each."""
    shape = data.draw(input_shape(), "input")
    n = len(shape) - 1
    channels = shape[0]
    draw = data.draw
    if family == "Conv":
        spec = (f"Conv{n}d", draw(st.composite(lambda d: _conv(d, n, channels))()))
    elif family == "ConvTranspose":
        spec = (f"ConvTranspose{n}d", draw(st.composite(lambda d: _transposed(d, n, channels))()))
    elif family in ("MaxPool", "AvgPool"):
        spec = (f"{family}{n}d", draw(st.composite(lambda d: _pool(d, n, family[:3]))()))
    elif family in PADS:
        spec = (f"{family}{n}d", draw(st.composite(lambda d: _pad(d, n, family))()))
    else:
        spec = ("Upsample", draw(st.composite(lambda d: _upsample(d, n))()))
    check_against_torch(shape, [spec])


# ------------------------------------------------------------------------------------------------ graphs

@st.composite
def referring_layer(draw: st.DrawFn, shapes: dict[str, tuple[int, ...]],
                    pools: dict[str, tuple[str, dict[str, Any]]]) -> tuple[str, str, dict[str, Any]]:
    """A layer that names earlier layers, as (source, type, arguments): Upsample or CenterCrop to the size of an
    earlier layer of the same rank (rarely of any), or a MaxUnpool with a MaxPool's indices (``pools``: each
    computed MaxPool's source and arguments), reading a tensor of that pool's shape (rarely any) and sometimes
    sized like the pool's source (or any layer). With no MaxPool yet, the MaxPool comes first."""
    kind = draw(st.sampled_from(["Upsample", "CenterCrop", "MaxUnpool", "MaxUnpool"] + ["MaxUnpool"] * 2 * bool(pools)))
    names = sorted(shapes)
    if kind == "MaxUnpool" and not pools:
        source = draw(st.sampled_from(names))
        n = len(shapes[source]) - 1
        return source, f"MaxPool{min(max(n, 1), 3)}d", _pool(draw, min(max(n, 1), 3), "Max")
    if kind == "MaxUnpool":
        pool = draw(st.sampled_from(sorted(pools)))
        pool_source, pool_args = pools[pool]
        n = len(shapes[pool]) - 1
        fitting = [name for name in names if shapes[name] == shapes[pool]]
        source = draw(st.sampled_from(names if _rarely(draw, 10) else fitting))
        if draw(st.booleans()):
            args = {key: pool_args[key] for key in ("kernel_size", "stride", "padding") if key in pool_args}
        else:
            args = {"kernel_size": _axes(draw, n, 1, 4), "stride": _axes(draw, n, 1, 3), "padding": _axes(draw, n, 0, 2)}
        if draw(st.booleans()):
            same = [name for name in names if len(shapes[name]) == n + 1]
            args["size_from"] = pool_source if draw(st.booleans()) else draw(st.sampled_from(same))
        return source, f"MaxUnpool{n}d", {**args, "indices": pool}
    source = draw(st.sampled_from(names))
    same = [name for name in names if len(shapes[name]) == len(shapes[source])]
    reference = draw(st.sampled_from(names if _rarely(draw, 8) else same))
    if kind == "CenterCrop":
        return source, "CenterCrop", {"size_from": reference}
    return source, "Upsample", _upsample(draw, max(len(shapes[source]) - 1, 1), reference)


def torch_referring(type_name: str, args: dict[str, Any], x: Any, tensors: dict[str, Any],
                    indices: dict[str, Any]) -> tuple[Any, str]:
    """PyTorch's result of a layer that names others, run as the export runs it: F.interpolate to the named
    tensor's size, the crop's narrow per spatial axis, nn.MaxUnpoolNd with the pool's indices and output_size.
    (None and PyTorch's message when it refuses.)"""
    size = tuple(tensors[args["size_from"]].shape[2:]) if "size_from" in args else None
    kwargs = {k: _tuple(v) for k, v in args.items() if k not in ("size_from", "indices")}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if type_name == "Upsample":
                return F.interpolate(x, size=size, **kwargs), ""
            if type_name == "CenterCrop":
                for axis in range(2, x.dim()):
                    n, r = x.size(axis), size[axis - 2]
                    x = x.narrow(axis, (n - r) // 2, r)
                return x, ""
            return getattr(nn, type_name)(**kwargs)(x, indices[args["indices"]], output_size=size), ""
    except (RuntimeError, ValueError, TypeError, IndexError, NotImplementedError) as error:
        return None, str(error)


def smallest_indices(pool: Layer, source: str, args: dict[str, Any], tensors: dict[str, Any]) -> Any:
    """A MaxPool's indices on data whose every window has its maximum on its first cell (values falling along
    the flattened input): the smallest indices any data can give it."""
    x = tensors[source]
    falling = -torch.arange(x.numel(), dtype=x.dtype).reshape(x.shape)
    return torch_module(pool.type, {**args, "return_indices": True}, falling)(falling)[1]


def torch_join(type_name: str, operands: list) -> Any:
    """PyTorch's result of a join (None when it refuses), and whether it only worked by broadcasting, which
    the engine refuses on purpose (docs/torch-rules.md: joins need equal shapes)."""
    try:
        if type_name == "Concat":
            return torch.cat(operands, dim=1), False
        y = operands[0]
        for other in operands[1:]:
            y = y + other if type_name == "Add" else y * other
    except RuntimeError:
        return None, False
    return y, any(o.shape != y.shape for o in operands)


@given(st.data())
def test_random_graphs_match_torch(data: st.DataObject) -> None:
    """Branches that read any earlier tensor (or the input), joins over two or three of them and layers that name
    others (size_from, a MaxPool's indices), valid or not: the engine's verdict and shapes equal PyTorch's
    wherever PyTorch does not broadcast; where an unpool's verdict depends on the data, the engine warns (the
    data are seeded: what the test draws next depends on that verdict)."""
    shape = data.draw(input_shape(), "input")
    tensors = {"input": torch.randn(1, *shape, generator=torch.Generator().manual_seed(0))}
    pools: dict[str, tuple[str, dict[str, Any]]] = {}  # each computed MaxPool's source and arguments
    indices: dict[str, Any] = {}  # and its indices
    layers: list[Layer] = []
    for j in range(data.draw(st.integers(1, 5), "layers")):
        name = f"layer{j}"
        kinds = ["layer", "join", "refer"] if len(tensors) > 1 else ["layer", "refer"]
        kind = data.draw(st.sampled_from(kinds + ["refer"] * 3 * bool(pools)), f"{name} kind")  # after a pool, often its unpool
        data_dependent = referring = False
        if kind == "join":
            join = data.draw(st.sampled_from(["Concat", "Add", "Mul"]), f"{name} type")
            operands = data.draw(st.lists(st.sampled_from(sorted(tensors)), min_size=2, max_size=3), f"{name} from")
            layers.append(Layer.make(join, name, {"from": operands}))
            expected, broadcast = torch_join(join, [tensors[o] for o in operands])
            deviation_reason = "broadcasting" if broadcast else None
        else:
            if kind == "refer":
                shapes = {t: tuple(v.shape[1:]) for t, v in tensors.items()}
                source, type_name, args = data.draw(referring_layer(shapes, pools), name)
            else:
                source = data.draw(st.sampled_from(sorted(tensors)), f"{name} from")
                type_name, args = data.draw(layer_spec(tuple(tensors[source].shape[1:])), name)
            x = tensors[source]
            layers.append(Layer.make(type_name, name, {**args, "from": source}))
            deviation_reason = deviation(type_name, args, tuple(x.shape[1:]))
            if deviation_reason is not None:
                expected = None
            elif referring := "size_from" in args or "indices" in args:
                expected, message = torch_referring(type_name, args, x, tensors, indices)
                # the unpool's indices beyond its output: for these data, or for any (then the engine refuses)
                data_dependent = "Found an invalid max index" in message and torch_referring(
                    type_name, args, x, tensors, {**indices, args["indices"]: smallest_indices(
                        next(layer for layer in layers if layer.name == args["indices"]), *pools[args["indices"]],
                        tensors)})[0] is not None
            else:
                outcome = torch_outcome(type_name, args, x)
                expected = outcome[0] if outcome is not None else None
        analysis = analyze(Design("graph", InputSpec(shape[0], shape[1:]), tuple(layers)))
        result = analysis.layers[-1]
        detail = f"{layers[-1]}: torch {None if expected is None else tuple(expected.shape)}, engine " + (
            str(result.output_shape) if result.computed else "; ".join(d.text for d in result.errors))
        if deviation_reason is not None:
            assert not result.computed and result.errors, detail
        elif data_dependent:  # the engine accepts and warns that PyTorch may refuse, depending on the data
            assert result.computed and any(w.rule == "unpool-size" for w in result.warnings), detail
            break
        else:
            assert result.computed == (expected is not None), detail
        if not result.computed:
            break  # a failed layer: what reads it is not computed, nothing more to compare
        assert result.output_shape == tuple(expected.shape[1:]), detail
        if referring:
            assert result.params == 0 and result.macs == 0, detail  # they move values, as torch's functions do
        if prod(expected.shape) > 20000:
            break
        tensors[layers[-1].name] = expected
        if layers[-1].type.startswith("MaxPool"):
            pools[name] = (source, args)
            indices[name] = torch_module(type_name, {**args, "return_indices": True}, x)(x)[1]
