"""``convdesigner inspect FILE [--json]`` as users run it: the table, the JSON contract of issue 2, the exit
codes (0 valid, 1 design errors or an unreadable file, 2 usage), no traceback ever, and no Qt."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from convdesigner import assets
from convdesigner.cli import main
from convdesigner.figures import example_designs, paper_figures

EXAMPLES = Path(str(assets.resource("examples")))
GENERATOR = EXAMPLES / "dcgan-generator.yaml"

#: The contract: version 1's keys, and the graph's "outputs" (top) and "inputs", "notes", "references" (layers: the
#: layers its arguments name, by argument) since format 2.
TOP_KEYS = {"name", "input", "output", "outputs", "total_params", "total_macs", "total_activations", "errors",
            "layers"}
LAYER_KEYS = {"name", "type", "inputs", "references", "input", "output", "params", "macs", "activations",
              "receptive_field", "equivalent_convolution", "errors", "warnings", "notes"}


def inspect(*args: str | Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "convdesigner", "inspect", *map(str, args)],
                            capture_output=True, text=True, timeout=60)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    return result


@pytest.fixture(scope="module")
def generator_json() -> dict:
    result = inspect(GENERATOR, "--json")
    assert result.returncode == 0 and result.stderr == ""
    return json.loads(result.stdout)


def test_table_lists_every_layer_and_the_totals() -> None:
    result = inspect(GENERATOR)
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "Generator: input 100×1×1"
    assert lines[1].split() == ["#", "name", "type", "output", "field", "params", "MACs", "notes"]
    rows = {line.split()[1]: line.split() for line in lines[3:17]}
    assert list(rows)[:3] == ["up1", "bn1", "relu1"] and len(rows) == 14
    # a 1x1 input: every unit of every layer reads all of it, whatever the field's size
    assert rows["up1"][:8] == ["1", "up1", "ConvTranspose2d", "512×4×4", "4×4", "(whole", "input)", "819,200"]
    assert rows["tanh"][3] == "3×64×64"
    assert "output 3×64×64   parameters 3,576,704   MACs 104,628,224" in result.stdout


def test_json_has_the_contract_keys(generator_json: dict) -> None:
    assert set(generator_json) == TOP_KEYS
    assert all(set(layer) == LAYER_KEYS for layer in generator_json["layers"])
    assert generator_json["name"] == "Generator"
    assert generator_json["input"] == [100, 1, 1] and generator_json["output"] == [3, 64, 64]
    assert generator_json["total_params"] == 3_576_704
    assert generator_json["errors"] == []
    assert generator_json["outputs"] == [{"name": generator_json["layers"][-1]["name"], "output": [3, 64, 64]}]
    assert generator_json["layers"][0]["inputs"] == ["input"]
    assert [layer["inputs"] for layer in generator_json["layers"][1:]] == [
        [before["name"]] for before in generator_json["layers"][:-1]]


def test_json_values_for_the_dcgan_generator(generator_json: dict) -> None:
    layers = {layer["name"]: layer for layer in generator_json["layers"]}
    up = [layers[f"up{n}"] for n in range(1, 6)]
    widths = [100, 512, 256, 128, 64, 3]
    sizes = [1, 4, 8, 16, 32, 64]
    for n, layer in enumerate(up):
        assert layer["type"] == "ConvTranspose2d"
        assert layer["input"] == [widths[n], sizes[n], sizes[n]]
        assert layer["output"] == [widths[n + 1], sizes[n + 1], sizes[n + 1]]
        assert layer["params"] == widths[n] * widths[n + 1] * 16  # bias=False
        # A transposed convolution does in_channels x out_channels x k^2 MACs per *input* unit.
        assert layer["macs"] == sizes[n] ** 2 * widths[n] * widths[n + 1] * 16
        assert layer["activations"] == widths[n + 1] * sizes[n + 1] ** 2
    assert generator_json["total_macs"] == sum(layer["macs"] for layer in up) == 104_628_224
    assert layers["bn1"]["params"] == 1024 and layers["bn1"]["macs"] == 0
    assert layers["up1"]["equivalent_convolution"] == {
        "input": [1, 1], "padding": [[3, 3], [3, 3]], "kernel_size": [4, 4], "dilation": [1, 1], "stride": [1, 1]}
    # k=4, s=2, p=1 over 4x4: stretched to 7 (one zero between units), padded by d(k-1)-p = 2 on each side.
    assert layers["up2"]["equivalent_convolution"] == {
        "input": [7, 7], "padding": [[2, 2], [2, 2]], "kernel_size": [4, 4], "dilation": [1, 1], "stride": [1, 1]}
    assert layers["bn1"]["equivalent_convolution"] is None
    field = layers["up2"]["receptive_field"]
    assert field["jump"] == [0.5, 0.5] and isinstance(field["jump"][0], float)  # a fraction is a float
    assert field["start"] == [-2, -2] and isinstance(field["start"][0], int)  # a whole number an int
    assert all(layer["errors"] == [] and layer["warnings"] == [] for layer in layers.values())


def test_json_fields_of_a_down_sampling_stack_and_null_after_flatten() -> None:
    result = inspect(EXAMPLES / "vgg16.yaml", "--json")
    assert result.returncode == 0
    layers = {layer["name"]: layer for layer in json.loads(result.stdout)["layers"]}
    assert layers["conv1_1"]["receptive_field"] == {"size": [3, 3], "jump": [1, 1], "start": [0, 0],
                                                    "whole_input": [False, False]}
    assert layers["pool1"]["receptive_field"] == {"size": [6, 6], "jump": [2, 2], "start": [0.5, 0.5],
                                                  "whole_input": [False, False]}
    assert layers["pool5"]["receptive_field"]["size"] == [212, 212]
    assert layers["flatten"]["receptive_field"] is None and layers["fc8"]["receptive_field"] is None
    assert layers["flatten"]["output"] == [25088] and layers["fc8"]["output"] == [1000]
    assert all(layer["equivalent_convolution"] is None for layer in layers.values())


def test_a_paper_figure_gives_its_equivalent_convolution() -> None:
    result = inspect(EXAMPLES / "paper" / "figure-4.7.yaml", "--json")
    [layer] = json.loads(result.stdout)["layers"]
    assert layer["input"] == [1, 3, 3] and layer["output"] == [1, 6, 6]
    assert layer["equivalent_convolution"] == {  # stretched 5x5, p' = 1 and a = 1 more on the high side
        "input": [5, 5], "padding": [[1, 2], [1, 2]], "kernel_size": [3, 3], "dilation": [1, 1], "stride": [1, 1]}


def test_an_error_on_a_branch_the_output_does_not_read_leaves_the_output_computed(tmp_path: Path) -> None:
    """A graph stops only the layers that read a failing one: the output that reads another branch is computed,
    and ``output`` (the first of the design's outputs) is its shape, as the text table's output line is (both
    were empty whenever the design had an error anywhere)."""
    path = tmp_path / "branch.yaml"
    path.write_text("convdesigner: 2\nname: Branch\ninput: {channels: 1, size: [7, 10]}\nlayers:\n"
                    "  - {type: Conv2d, name: l0, out_channels: 2, kernel_size: 1}\n"
                    "  - {type: PixelUnshuffle, name: l1, downscale_factor: 2, from: input}\n"
                    "  - {type: ReLU, name: l2, from: l0}\n", encoding="utf-8")
    result = inspect(path, "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["output"] == [2, 7, 10] == report["outputs"][0]["output"] and report["errors"]
    assert [layer["output"] for layer in report["layers"]] == [[2, 7, 10], None, [2, 7, 10]]
    assert "output 2×7×10" in inspect(path).stdout


def test_a_design_with_errors_exits_1_with_the_json_still_printed(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("convdesigner: 1\nname: Broken\ninput: {channels: 1, size: [4, 4]}\nlayers:\n"
                    "  - {type: Conv2d, name: ok, out_channels: 2, kernel_size: 3}\n"
                    "  - {type: Conv2d, name: big, out_channels: 2, kernel_size: 7}\n"
                    "  - {type: ReLU, name: after}\n")
    result = inspect(path, "--json")
    assert result.returncode == 1 and result.stderr == ""
    report = json.loads(result.stdout)
    ok, big, after = report["layers"]
    assert ok["output"] == [2, 2, 2] and ok["errors"] == []
    assert big["output"] is None and big["errors"] and big["errors"][0].startswith("big: ")
    assert "kernel" in big["errors"][0]
    assert after["output"] is None and after["params"] is None and after["receptive_field"] is None
    assert report["output"] is None
    table = inspect(path)
    assert table.returncode == 1 and "error: big: " in table.stdout and "not computed" in table.stdout


def test_an_unreadable_file_exits_1_with_placed_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("convdesigner: 1\ninput: {channels: 1, size: [4, 4]}\nlayers:\n  - {type: Conv2D}\n")
    result = inspect(path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.strip() == f"{path}:4:12: unknown layer type 'Conv2D' (did you mean 'Conv2d'?)"
    result = inspect(path, "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert set(report) == TOP_KEYS and report["layers"] == [] and report["name"] is None
    assert report["errors"] == [f"{path}:4:12: unknown layer type 'Conv2D' (did you mean 'Conv2d'?)"]
    garbage = tmp_path / "garbage.yaml"
    garbage.write_bytes(bytes(range(256)) * 4)
    result = inspect(garbage)
    assert result.returncode == 1 and f"{garbage}:1:1: this is a binary file" in result.stderr


@pytest.mark.parametrize("args", [
    ("missing.yaml",),
    (GENERATOR, "--bogus"),
    (),
    (EXAMPLES,),  # a folder
])
def test_usage_errors_exit_2(args: tuple) -> None:
    result = inspect(*args)
    assert result.returncode == 2
    assert result.stdout == "" and result.stderr.strip()


def test_every_bundled_design_inspects_cleanly(capsys: pytest.CaptureFixture[str]) -> None:
    paths = [Path(str(e.path)) for e in example_designs()] + [Path(str(f.resource)) for f in paper_figures()]
    for path in paths:
        assert main(["inspect", str(path), "--json"]) == 0, path
        report = json.loads(capsys.readouterr().out)
        assert report["errors"] == [] and all(not layer["errors"] for layer in report["layers"])


def test_inspect_does_not_import_qt() -> None:
    code = (
        "import sys\n"
        "from convdesigner.cli import main\n"
        f"assert main(['inspect', {str(GENERATOR)!r}]) == 0\n"
        f"assert main(['inspect', {str(GENERATOR)!r}, '--json']) == 0\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph', 'torch'))\n"
        "print('HEAVY:' + ','.join(heavy), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "HEAVY:"


def test_json_names_every_layers_inputs_and_the_designs_outputs(tmp_path: Path) -> None:
    path = tmp_path / "heads.yaml"
    path.write_text("convdesigner: 2\nname: Heads\ninput: {channels: 2, size: [8]}\noutputs: [mu, logvar]\n"
                    "layers:\n  - {type: Conv1d, name: body, out_channels: 4, kernel_size: 3}\n"
                    "  - {type: Conv1d, name: mu, out_channels: 2, kernel_size: 1}\n"
                    "  - {type: Conv1d, name: logvar, from: body, out_channels: 3, kernel_size: 1}\n"
                    "  - {type: Concat, name: both, from: [input, input]}\n", encoding="utf-8")
    result = inspect(path, "--json")
    report = json.loads(result.stdout)
    assert [layer["inputs"] for layer in report["layers"]] == [["input"], ["body"], ["body"], ["input", "input"]]
    assert report["outputs"] == [{"name": "mu", "output": [2, 6]}, {"name": "logvar", "output": [3, 6]}]
    assert report["output"] == [2, 6]
    both = report["layers"][3]
    assert both["output"] == [4, 8] and both["warnings"] == [
        "both: no layer reads this layer's result and it is not an output; read it from a later layer, list it in "
        "the design's outputs, or delete it"]
    assert result.returncode == 0


def test_problems_past_the_listed_twenty_are_counted(tmp_path: Path) -> None:
    """A file with 25 problems lists 20 and says that 5 more were not listed (issue 17), in the table's
    messages and in the JSON's errors."""
    path = tmp_path / "many.yaml"
    path.write_text("convdesigner: 1\ninput: {channels: 1, size: [4, 4]}\nlayers:\n"
                    + "".join(f"  - {{type: Bogus{n}}}\n" for n in range(25)))
    result = inspect(path)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 21 and all("unknown layer type 'Bogus" in line for line in lines[:20])
    assert lines[20] == f"{path}: 5 more problems were found and are not listed (at most 20 are)"
    report = json.loads(inspect(path, "--json").stdout)
    assert len(report["errors"]) == 21 and report["errors"][20] == lines[20]


def test_json_top_level_errors_list_every_layer_error(tmp_path: Path) -> None:
    """The top-level ``errors`` once stayed [] while a layer had an error: it lists every error of the
    design (the input's and each layer's), and each layer's record keeps its own."""
    path = tmp_path / "broken.yaml"
    path.write_text("convdesigner: 1\nname: Broken\ninput: {channels: 1, size: [4, 4]}\nlayers:\n"
                    "  - {type: Conv2d, name: big, out_channels: 2, kernel_size: 7}\n")
    report = json.loads(inspect(path, "--json").stdout)
    assert set(report) == TOP_KEYS
    assert report["errors"] == report["layers"][0]["errors"] and report["errors"][0].startswith("big: kernel 7")


#: What `inspect` of a valid design never needs: writing files (tempfile, hashlib, pathlib), spelling hints
#: (difflib), JSON (without --json), the sizes scan (only for a join-size error), the terminal's width (shutil:
#: only to format help or usage) and typing (for type checkers only).
NOT_NEEDED = ("tempfile", "hashlib", "pathlib", "difflib", "json", "convdesigner.engine.tools.sizes", "shutil",
              "typing")


def test_inspect_imports_only_what_it_needs() -> None:
    """Run without the site packages' start-up hooks (an editable install's finder imports pathlib itself),
    with the same import path."""
    code = ("import sys; from convdesigner.cli import main; main(['inspect', sys.argv[1]]); "
            f"print(sorted(name for name in {NOT_NEEDED!r} if name in sys.modules))")
    env = {"PYTHONPATH": ":".join(p for p in sys.path if p), "PATH": ""}
    done = subprocess.run([sys.executable, "-S", "-c", code, str(GENERATOR)], capture_output=True, text=True,
                          env=env, timeout=60, check=True)
    imported = done.stdout.splitlines()[-1]
    assert imported == "[]", (f"inspect imported {imported}: import a module where it is needed (typing: only under "
                              "`TYPE_CHECKING = False` / `if TYPE_CHECKING:`, for annotations)")


def test_a_command_imports_without_a_cycle_collection() -> None:
    """Importing a command's modules (the engine, PyYAML) sets off no collection of the cycle collector while it
    runs (it would find no garbage among modules that live as long as the process; 18 collections without the
    pause), at most the one after it, and leaves the collector on for the work."""
    code = ("import gc; started = []; gc.callbacks.append(lambda phase, info: started.append(phase == 'start')); "
            "from convdesigner.cli import _command_module; started.clear(); _command_module('inspect'); "
            "print(sum(started), gc.isenabled())")
    env = {"PYTHONPATH": ":".join(p for p in sys.path if p), "PATH": ""}
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, timeout=60,
                          check=True)
    collections, enabled = done.stdout.split()
    assert int(collections) <= 1 and enabled == "True"


def test_the_commands_own_process_freezes_what_its_imports_made() -> None:
    """Run as the ``convdesigner`` script runs it (``main()`` on the program's arguments), the objects a command's
    imports made (modules, classes, functions: ~20,000) are frozen for the cycle collector, so its collection at
    exit traverses only what is left of the command's work; called in-process with arguments, ``main`` freezes
    nothing (the caller's garbage would never be collected)."""
    code = ("import gc, sys; from convdesigner.cli import main; status = main(); "
            "print(status, gc.get_freeze_count(), len(gc.get_objects()))")
    done = subprocess.run([sys.executable, "-c", code, "inspect", str(GENERATOR)], capture_output=True, text=True,
                          timeout=60, check=True)
    status, frozen, tracked = map(int, done.stdout.splitlines()[-1].split())
    assert status == 0 and frozen > 10_000 and tracked < frozen / 5
    import gc

    before = gc.get_freeze_count()
    assert main(["inspect", str(GENERATOR)]) == 0
    assert gc.get_freeze_count() == before


@pytest.mark.parametrize(("layers", "needed"), [
    ("[{type: Conv2d, out_channels: 8, kernel_size: 3}, {type: ConvTranspose2d, out_channels: 3, kernel_size: 3}]",
     ["convolution"]),
    ("[{type: Conv2d, out_channels: 8, kernel_size: 3}, {type: BatchNorm2d}, {type: ReLU}]",
     ["convolution", "pointwise"]),
    ("[{type: Conv2d, out_channels: 8, kernel_size: 3}, {type: ReLU}, {type: MaxPool2d, kernel_size: 2}]",
     ["convolution", "pointwise", "pooling"]),
])
def test_inspect_imports_the_modules_of_the_designs_layer_types_only(tmp_path: Path, layers: str,
                                                                     needed: list[str]) -> None:
    """The layer catalog imports a type's module when the design uses the type: a design of convolutions (and
    normalisation, activations, pooling) reads no up-sampling, padding, rearranging, dense or join rules."""
    design = tmp_path / "design.yaml"
    design.write_text(f"convdesigner: 1\nname: D\ninput: {{channels: 3, size: [16, 16]}}\nlayers: {layers}\n",
                      encoding="utf-8")
    code = ("import sys; from convdesigner.cli import main; status = main(['inspect', sys.argv[1]]); "
            "from convdesigner.engine.layers import MODULES; "
            "print(status, *(m for m in MODULES if 'convdesigner.engine.layers.' + m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code, str(design)], capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.splitlines()[-1].split() == ["0", *needed]


@pytest.mark.parametrize("columns", ["50", "130"])
def test_help_and_usage_are_argparses_at_the_terminals_width(monkeypatch: pytest.MonkeyPatch, columns: str) -> None:
    """The command line measures the terminal only to format help or usage (`cli._Parser`), and formats them as
    argparse does."""
    import argparse

    from convdesigner.commands import inspect as command

    monkeypatch.setenv("COLUMNS", columns)
    plain = argparse.ArgumentParser(prog="convdesigner inspect")
    command.add_parser(plain)
    run = [sys.executable, "-m", "convdesigner", "inspect"]
    shown = subprocess.run([*run, "--help"], capture_output=True, text=True, timeout=60)
    assert shown.stdout == plain.format_help() and shown.returncode == 0
    usage = subprocess.run(run, capture_output=True, text=True, timeout=60)
    assert usage.stderr.startswith(plain.format_usage()) and usage.returncode == 2
