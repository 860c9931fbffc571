"""``convdesigner [FILE]`` and what is not a command (issue 17): a misspelt command is answered with the
command it resembles (exit 2) and never opens the app; a file that cannot be read is reported as such even
with ``--select``; without a display, or where Qt's platform plugin cannot load, the app says what is wrong
in plain words and exits 1 instead of letting Qt abort (exit 134, a core dump)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from convdesigner import assets
from convdesigner.gui.display import display_problem, missing_libraries, xcb_plugin

GENERATOR = Path(str(assets.resource("examples"))) / "dcgan-generator.yaml"


def convdesigner(*args: str | Path, env: dict[str, str | None] | None = None,
                 cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environ = dict(os.environ)
    for key, value in (env or {}).items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    result = subprocess.run([sys.executable, "-m", "convdesigner", *map(str, args)], capture_output=True, text=True,
                            timeout=60, env=environ, cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.mark.parametrize("args", [("inspct", "FILE"), ("inspct",), ("mirorr", "FILE", "-o", "x.yaml"), ("szes",)])
def test_a_misspelt_command_is_suggested_and_opens_nothing(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Without a display the app would fail differently; offscreen (the conftest's QT_QPA_PLATFORM) it would
    open and never return, so a timeout here means the app was opened."""
    result = convdesigner(*[str(GENERATOR) if a == "FILE" else a for a in args], cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    guess = {"inspct": "inspect", "mirorr": "mirror", "szes": "sizes"}[args[0]]
    assert f"'{args[0]}' is not a command; did you mean '{guess}'?" in result.stderr
    assert "unrecognized arguments" not in result.stderr and "cannot read" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_word_that_is_neither_a_command_nor_a_file_is_a_usage_error(tmp_path: Path) -> None:
    result = convdesigner("frobnicate", cwd=tmp_path)
    assert result.returncode == 2
    assert "'frobnicate' is neither a command nor a file" in result.stderr and "inspect" in result.stderr


def test_a_design_file_still_opens_the_app(tmp_path: Path) -> None:
    """A file name (it exists, or it has an extension) is the app's, even when it resembles a command."""
    shot = tmp_path / "shot.png"
    assert convdesigner(GENERATOR, "--screenshot", shot).returncode == 0 and shot.stat().st_size > 0
    (tmp_path / "inspect").write_text(GENERATOR.read_text())  # a design saved under a command-like name
    result = convdesigner("./inspect", "--screenshot", shot, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    result = convdesigner("sizes.yaml", "--screenshot", shot, cwd=tmp_path)  # missing: the app's own message
    assert result.returncode == 1 and "sizes.yaml" in result.stderr and "did you mean" not in result.stderr


def test_select_on_an_unreadable_file_reports_the_load_error(tmp_path: Path) -> None:
    """It once said "no layer named ..." (of the example opened instead)."""
    bad = tmp_path / "bad.yaml"
    bad.write_text("convdesigner: 1\ninput: {channels: 1, size: [4, 4]}\nlayers:\n  - {type: Conv2D}\n")
    result = convdesigner(bad, "--screenshot", tmp_path / "shot.png", "--select", "conv1")
    assert result.returncode == 1
    assert result.stderr.strip() == f"{bad}:4:12: unknown layer type 'Conv2D' (did you mean 'Conv2d'?)"
    missing = tmp_path / "missing.yaml"
    result = convdesigner(missing, "--screenshot", tmp_path / "shot.png", "--select", "conv1")
    assert result.returncode == 1 and "cannot read the file" in result.stderr and "no layer" not in result.stderr
    assert not (tmp_path / "shot.png").exists()


NO_DISPLAY = {"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DISPLAY and WAYLAND_DISPLAY are Linux's")
def test_without_a_display_the_app_says_so_and_exits_1() -> None:
    result = convdesigner(env=NO_DISPLAY)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stderr.startswith("convdesigner: no display found")
    assert "--screenshot" in result.stderr and "QT_QPA_PLATFORM=offscreen" in result.stderr
    assert "xcb-cursor" not in result.stderr  # Qt's own (often wrong) advice is never reached
    assert convdesigner(GENERATOR, env=NO_DISPLAY).returncode == 1
    assert convdesigner("inspect", GENERATOR, env=NO_DISPLAY).returncode == 0  # commands need no display


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 displays are Linux's here")
def test_an_x_display_without_a_server_or_plugin_libraries_is_named(tmp_path: Path) -> None:
    """DISPLAY names a display no X server serves: either the xcb plugin's missing system libraries are
    named (where ldd finds some missing, as on a machine with libxcb-cursor0 but not libxcb-icccm4), or
    the missing server is; never Qt's abort."""
    env = {**NO_DISPLAY, "DISPLAY": ":97"}
    assert not Path("/tmp/.X11-unix/X97").exists()
    result = convdesigner(env=env)
    assert result.returncode == 1, (result.returncode, result.stderr)
    plugin = xcb_plugin()
    missing = missing_libraries(plugin) if plugin else []
    if missing:
        assert "cannot load Qt's X11 platform plugin" in result.stderr
        assert all(name in result.stderr for name in missing)
    else:
        assert "no X server answers at DISPLAY=:97" in result.stderr


@pytest.mark.skipif(shutil.which("cc") is None or shutil.which("ldd") is None, reason="needs a C compiler and ldd")
def test_missing_libraries_names_every_library_the_loader_cannot_find(tmp_path: Path) -> None:
    """A shared library linked against two libraries that are then removed: both are named."""
    for name in ("cdmissingone", "cdmissingtwo"):
        (tmp_path / f"{name}.c").write_text(f"int {name}(void) {{ return 1; }}\n")
        subprocess.run(["cc", "-shared", "-fPIC", "-o", tmp_path / f"lib{name}.so.1", tmp_path / f"{name}.c",
                        f"-Wl,-soname,lib{name}.so.1"], check=True)
    (tmp_path / "plugin.c").write_text("int cdmissingone(void); int cdmissingtwo(void);\n"
                                       "int plugin(void) { return cdmissingone() + cdmissingtwo(); }\n")
    for name in ("cdmissingone", "cdmissingtwo"):
        os.symlink(tmp_path / f"lib{name}.so.1", tmp_path / f"lib{name}.so")
    plugin = tmp_path / "libplugin.so"
    subprocess.run(["cc", "-shared", "-fPIC", "-o", plugin, tmp_path / "plugin.c", "-Wl,--no-as-needed",
                    f"-L{tmp_path}", "-lcdmissingone", "-lcdmissingtwo"], check=True)
    for library in tmp_path.glob("libcdmissing*"):
        library.unlink()
    assert missing_libraries(plugin) == ["libcdmissingone.so.1", "libcdmissingtwo.so.1"]
    assert missing_libraries(tmp_path / "nothing.so") == []


def test_display_problem_reads_the_environment() -> None:
    if not sys.platform.startswith("linux"):
        assert display_problem({}) is None
        return
    assert display_problem({}).startswith("no display found")
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert display_problem({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}).startswith("no display")
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}) is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="abstract unix sockets are Linux's")
def test_a_local_display_needs_a_listening_x_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the plugin's libraries in place (here: no plugin to check), DISPLAY=:96 works only while that
    display's socket exists (an abstract one here, as X servers on Linux open)."""
    import socket

    from convdesigner.gui import display

    monkeypatch.setattr(display, "xcb_plugin", lambda: None)
    assert display_problem({"DISPLAY": ":96"}).startswith("no X server answers at DISPLAY=:96")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind("\0/tmp/.X11-unix/X96")
        server.listen(1)
        assert display_problem({"DISPLAY": ":96"}) is None
        assert display_problem({"DISPLAY": "unix:96.0"}) is None
    assert display_problem({"DISPLAY": "remote.example:10"}) is None  # not tried
