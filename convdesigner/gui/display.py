"""Before the app opens a window on Linux: is there a display, and can Qt's X11 platform plugin load?

Without either, Qt aborts the process (exit 134, a core dump) after advice that is often wrong: it asks for
libxcb-cursor0 wherever the plugin fails to load, also where that library is installed and another one is
missing. `display_problem` says what is wrong in plain words instead, naming the missing system libraries
as the dynamic loader reports them (``ldd`` of the plugin). Qt is not started here.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path

NO_DISPLAY = ("no display found ({}), so the app cannot open its window. Run it in a desktop session, or render "
              "the window without a display: convdesigner [FILE] --screenshot OUT.png (or set "
              "QT_QPA_PLATFORM=offscreen); the commands (convdesigner --help lists them) need no display.")
#: Patterns of ldd's output and of a local X display, compiled on first use: only a start on X11 reaches them
#: (and imports subprocess), every other start of the app pays for neither.
_NOT_FOUND = r"^\s*(\S+)\s+=>\s+not found\s*$"
_LOCAL_DISPLAY = r"^(?:unix)?:(\d+)(?:\.\d+)?$"


def display_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """What keeps Qt from opening a window here, in plain words; None when nothing is known to."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return None
    platform = env.get("QT_QPA_PLATFORM", "")
    x11, wayland = env.get("DISPLAY", ""), env.get("WAYLAND_DISPLAY", "")
    if platform.startswith("wayland"):
        return None if wayland else NO_DISPLAY.format("WAYLAND_DISPLAY is not set")
    if not platform and wayland:
        return None  # Qt picks its Wayland plugin
    if platform and not platform.startswith("xcb"):
        return None  # offscreen, vnc, eglfs, ...: not a desktop display
    if not x11:
        return NO_DISPLAY.format("DISPLAY is not set" if platform else "neither DISPLAY nor WAYLAND_DISPLAY is set")
    plugin = xcb_plugin()
    missing = missing_libraries(plugin) if plugin is not None and not loads(plugin) else []
    if missing:
        return (f"cannot load Qt's X11 platform plugin ({plugin}): the system "
                f"librar{'ies' if len(missing) > 1 else 'y'} {', '.join(missing)} "
                f"{'are' if len(missing) > 1 else 'is'} missing; install the packages that provide "
                f"{'them' if len(missing) > 1 else 'it'} (or render without a window: --screenshot OUT.png).")
    if not _x_server_listens(x11):
        return f"no X server answers at DISPLAY={x11}. " + NO_DISPLAY.format("DISPLAY names no running server")
    return None


def xcb_plugin() -> Path | None:
    """Qt's X11 platform plugin (libqxcb.so) where this PySide6 keeps it; None when it has none."""
    from PySide6.QtCore import QLibraryInfo

    plugin = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / "libqxcb.so"
    return plugin if plugin.is_file() else None


def loads(library: Path) -> bool:
    """Whether the dynamic loader loads ``library`` with every library it needs. It stays loaded, for Qt to
    load it again for nothing a moment later; only when it does not load is ldd run (`missing_libraries`),
    which costs every start a process (~10 ms of CPU)."""
    import ctypes

    try:
        ctypes.CDLL(str(library))
    except OSError:
        return False
    return True


def missing_libraries(library: Path) -> list[str]:
    """The shared libraries ``library`` needs and the dynamic loader cannot find (``ldd``'s "not found"),
    each once, in its order; [] when all are found or ldd cannot tell."""
    import subprocess

    try:
        result = subprocess.run(["ldd", str(library)], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return []
    return list(dict.fromkeys(re.findall(_NOT_FOUND, result.stdout, re.MULTILINE)))


def _x_server_listens(display: str) -> bool:
    """False only when DISPLAY names a local display (":0", "unix:0") that has neither its socket file in
    /tmp/.X11-unix (also one bind-mounted into a container) nor an abstract socket of that name (listed in
    /proc/net/unix); True otherwise, also for a remote or forwarded display (host:10), which this cannot
    tell without connecting (nothing here opens a socket)."""
    match = re.match(_LOCAL_DISPLAY, display)
    if match is None:
        return True
    path = f"/tmp/.X11-unix/X{match.group(1)}"
    if os.path.exists(path):
        return True
    try:
        sockets = Path("/proc/net/unix").read_text(errors="replace")
    except OSError:
        return True
    return re.search(rf"@{re.escape(path)}$", sockets, re.MULTILINE) is not None
