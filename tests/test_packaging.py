"""Packaging: the wheel holds every module and resource, installs into a fresh venv and passes its self-test
there; the Linux desktop files validate; the install script installs and uninstalls; the icon PNGs match the
SVG; nothing in the package talks to the network."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "convdesigner"
RESOURCES = ROOT / "resources"
LINUX = ROOT / "packaging" / "linux"
DESKTOP = LINUX / "convdesigner.desktop"
METAINFO = LINUX / "io.github.convdesigner.convdesigner.metainfo.xml"
ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would make a child import the checkout instead of the install."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env.update(QT_QPA_PLATFORM="offscreen", **extra)
    return env


# --- the wheel ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout, once for the module."""
    folder = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(ROOT), "-w", str(folder)],
                   check=True, cwd=folder, env=_clean_env(), capture_output=True, text=True, timeout=300)
    (path,) = folder.glob("convdesigner-*.whl")
    return path


@pytest.fixture(scope="module")
def wheel_names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


@pytest.mark.slow
def test_wheel_holds_every_resource(wheel_names: set[str]) -> None:
    expected = {
        "convdesigner/resources/" + path.relative_to(RESOURCES).as_posix()
        for path in RESOURCES.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }
    assert expected <= wheel_names, f"missing from the wheel: {sorted(expected - wheel_names)}"
    examples = {n for n in wheel_names if n.startswith("convdesigner/resources/examples/") and n.endswith(".yaml")}
    assert len(examples) >= 6 + 23  # the examples and the paper figures (with their index)
    for size in ICON_SIZES:
        assert f"convdesigner/resources/icons/convdesigner-{size}.png" in wheel_names
    assert "convdesigner/resources/icons/convdesigner.svg" in wheel_names


@pytest.mark.slow
def test_wheel_holds_every_module(wheel_names: set[str]) -> None:
    modules = {"convdesigner/" + p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*.py")
               if "__pycache__" not in p.parts}
    packages = {name for name in modules if name.endswith("/__init__.py")}
    assert len(packages) >= 8
    assert modules <= wheel_names, f"missing from the wheel: {sorted(modules - wheel_names)}"
    assert not any(name.startswith(("tests/", "packaging/", "bench/")) for name in wheel_names)


@pytest.mark.slow
def test_wheel_declares_the_command_and_the_gui_launcher(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = archive.read(name).decode()
    sections: dict[str, dict[str, str]] = {}
    current = ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            current = line.strip("[]")
        elif "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            sections.setdefault(current, {})[key] = value
    assert sections["console_scripts"] == {"convdesigner": "convdesigner.cli:main"}
    assert sections["gui_scripts"] == {"convdesigner-gui": "convdesigner.cli:gui_main"}


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed (--no-deps); the dependencies come from the running environment
    through a .pth file (plain folders: its .pth files, such as an editable install's, are not processed)."""
    folder = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=False).create(folder)
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    parents = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(purelib, "parent-environment.pth").write_text("".join(f"{p}\n" for p in sorted(parents)))
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, cwd=folder, env=_clean_env(), capture_output=True,
                   text=True, timeout=300)
    return folder


def _script(venv_folder: Path, name: str) -> Path:
    return venv_folder / ("Scripts" if os.name == "nt" else "bin") / (name + (".exe" if os.name == "nt" else ""))


@pytest.mark.slow
def test_installed_wheel_runs_from_the_venv_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    assert _script(installed, "convdesigner").is_file()
    assert _script(installed, "convdesigner-gui").is_file()
    python = _script(installed, "python")
    out = subprocess.run([str(python), "-c", "import convdesigner.resources as r; print(r.__file__)"],
                         check=True, capture_output=True, text=True, cwd=tmp_path, env=_clean_env()).stdout
    assert Path(out.strip()).is_relative_to(installed), out


@pytest.mark.slow
def test_installed_wheel_passes_its_self_test(installed: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"  # the app must not need (or touch) the user's settings
    home.mkdir()
    run = subprocess.run([str(_script(installed, "convdesigner")), "--self-test"], capture_output=True, text=True,
                         cwd=tmp_path, env=_clean_env(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config")),
                         timeout=180)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert str(installed) in lines[0]
    assert not [line for line in lines if line.startswith(("FAIL", "SKIP"))], run.stdout
    for check in ("analysis without errors", "canvas frames", "GIF of paper figure", "main window renders",
                  "PyTorch export compiles", "application icon"):
        assert any(line.startswith("PASS") and check in line for line in lines), f"{check} did not pass"
    assert lines[-1].split(",")[1].strip() == "0 failed"


# --- the self-test itself ----------------------------------------------------------------------------------------

def test_self_test_fails_with_the_design_that_has_an_error(tmp_path: Path) -> None:
    code = (
        "import convdesigner.selftest as s\n"
        "from convdesigner.io.design_file import loads\n"
        "bad = loads('convdesigner: 1\\nname: Bad\\ninput: {channels: 1, size: [4, 4]}\\n"
        "layers:\\n  - {type: Conv2d, name: big, out_channels: 1, kernel_size: 5}\\n')\n"
        "s._designs = lambda: [('example bad', bad), ('paper figure x', bad)]\n"
        "raise SystemExit(s.run_self_test())\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         env=_clean_env(), timeout=120)
    assert run.returncode == 1, run.stdout + run.stderr
    failures = [line for line in run.stdout.splitlines() if line.startswith("FAIL")]
    assert failures and failures[0].startswith("FAIL  analysis without errors: example bad: AssertionError: big")


def test_network_is_refused_during_the_self_test() -> None:
    import socket

    from convdesigner.selftest import NetworkUsed, network_disabled

    connect = socket.create_connection
    with network_disabled():
        with pytest.raises(NetworkUsed):
            socket.create_connection(("127.0.0.1", 9))
        with pytest.raises(NetworkUsed):
            socket.getaddrinfo("example.org", 80)
    assert socket.create_connection is connect


NETWORK_MODULES = {"socket", "ssl", "http", "urllib.request", "urllib3", "requests", "httpx", "aiohttp", "ftplib",
                   "smtplib", "xmlrpc", "PySide6.QtNetwork", "PySide6.QtWebEngineCore", "PySide6.QtWebEngineWidgets"}
#: The self-test imports socket to switch the network off.
NETWORK_ALLOWED = {("selftest.py", "socket")}


def _imports(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_nothing_in_the_package_imports_a_network_module() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for name in _imports(ast.parse(text)):
            banned = {m for m in NETWORK_MODULES if name == m or name.startswith(m + ".")}
            for module in banned:
                if (path.relative_to(PACKAGE).as_posix(), module) not in NETWORK_ALLOWED:
                    found.append(f"{path.relative_to(ROOT)} imports {name}")
        for call in ("importlib.import_module(\"socket\")", "__import__(\"socket\")", "urlopen("):
            if call in text:
                found.append(f"{path.relative_to(ROOT)} calls {call}")
    assert found == []


# --- Linux desktop integration ------------------------------------------------------------------------------

def _desktop_entry(path: Path) -> dict[str, str]:
    entry = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            entry[key] = value
    return entry


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-validate is not installed")
def test_desktop_file_validates() -> None:
    run = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert run.returncode == 0 and "error" not in run.stdout + run.stderr, run.stdout + run.stderr


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="appstreamcli is not installed")
def test_metainfo_validates() -> None:
    run = subprocess.run(["appstreamcli", "validate", "--no-net", str(METAINFO)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_desktop_file_launches_the_gui_entry_point_with_the_icon() -> None:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    entry = _desktop_entry(DESKTOP)
    program = entry["Exec"].split()[0]
    assert program in project["gui-scripts"]
    assert entry["TryExec"] == program
    assert entry["Icon"] == "convdesigner"
    assert entry["Terminal"] == "false"
    assert f"<launchable type=\"desktop-id\">{DESKTOP.name}</launchable>" in METAINFO.read_text(encoding="utf-8")


def test_install_script_installs_and_uninstalls(tmp_path: Path) -> None:
    if shutil.which("sh") is None:
        pytest.skip("no POSIX shell")
    program = tmp_path / "venv-bin" / "convdesigner-gui"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\necho launched \"$@\"\n")
    program.chmod(0o755)
    prefix = tmp_path / "home" / ".local"
    script = LINUX / "install.sh"
    env = _clean_env(HOME=str(tmp_path / "home"))
    run = subprocess.run(["sh", str(script), "--prefix", str(prefix), "--exec", str(program)], capture_output=True,
                         text=True, env=env)
    assert run.returncode == 0, run.stdout + run.stderr

    launcher = prefix / "bin" / "convdesigner-gui"
    assert subprocess.run([str(launcher), "x.yaml"], capture_output=True, text=True).stdout == "launched x.yaml\n"
    desktop = prefix / "share" / "applications" / "convdesigner.desktop"
    entry = _desktop_entry(desktop)
    assert entry["Exec"] == f"{launcher} %f" and entry["TryExec"] == str(launcher)
    for size in ICON_SIZES:
        assert (prefix / f"share/icons/hicolor/{size}x{size}/apps/convdesigner.png").read_bytes() == \
            (RESOURCES / "icons" / f"convdesigner-{size}.png").read_bytes()
    assert (prefix / "share/icons/hicolor/scalable/apps/convdesigner.svg").is_file()
    assert (prefix / "share/metainfo" / METAINFO.name).is_file()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(desktop)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr

    run = subprocess.run(["sh", str(script), "--prefix", str(prefix), "--uninstall"], capture_output=True,
                         text=True, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    left = sorted(p.relative_to(prefix).as_posix() for p in prefix.rglob("*") if p.is_file() or p.is_symlink())
    assert [name for name in left if "convdesigner" in name] == []
    assert program.is_file()  # the program itself is not the script's to remove


def test_install_script_refuses_without_a_program(tmp_path: Path) -> None:
    if shutil.which("sh") is None:
        pytest.skip("no POSIX shell")
    env = _clean_env(HOME=str(tmp_path), PATH="/usr/bin:/bin")
    run = subprocess.run(["sh", str(LINUX / "install.sh"), "--prefix", str(tmp_path / "p")], capture_output=True,
                         text=True, env=env)
    assert run.returncode == 1
    assert "convdesigner-gui is not on PATH" in run.stderr
    assert not (tmp_path / "p").exists()


# --- the icon -------------------------------------------------------------------------------------------------------

def test_icon_pngs_are_the_svg_rendered(qapp) -> None:
    """The committed PNGs are what packaging/render_icons.py makes of the SVG now (re-run it after editing)."""
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import render_icons
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    from PySide6.QtGui import QImage
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(render_icons.SVG))
    assert renderer.isValid()
    assert render_icons.SIZES == ICON_SIZES
    for size in ICON_SIZES:
        committed = QImage(str(render_icons.png_path(size))).convertToFormat(QImage.Format.Format_ARGB32)
        assert (committed.width(), committed.height()) == (size, size)
        fresh = render_icons.render(renderer, size)
        step = max(1, size // 32)
        differences = [abs(committed.pixelColor(x, y).blue() - fresh.pixelColor(x, y).blue())
                       + abs(committed.pixelColor(x, y).alpha() - fresh.pixelColor(x, y).alpha())
                       for x in range(0, size, step) for y in range(0, size, step)]
        assert sum(differences) / len(differences) < 4, f"convdesigner-{size}.png is out of date"
        assert committed.pixelColor(size // 2, size // 2).alpha() == 255  # the tile is opaque
        assert committed.pixelColor(0, 0).alpha() == 0  # the rounded corner is transparent
