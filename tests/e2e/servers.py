"""JupyterLab, Notebook 7 and Voilà servers for the browser tests: temp copies, free ports, clean teardown."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

from .pages import (START_TIMEOUT_S, assert_no_tracebacks, blank_page, wait_kernel_idle,
                    watch_server)

TOKEN = "backprop-viz-e2e"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http_ok(url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy for loopback
    try:
        with opener.open(url, timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _tcp_ok(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


class Server:
    """A Jupyter server process over a temporary copy of some notebooks; a context manager."""

    kind = "server"

    def __init__(self, *paths: str | os.PathLike):
        if not paths:
            raise ValueError("give at least one notebook path to serve")
        self.sources = [Path(p).resolve() for p in paths]
        missing = [str(p) for p in self.sources if not p.exists()]
        if missing:
            raise FileNotFoundError(f"cannot serve {', '.join(missing)}: no such file")
        notebooks = [p.name for p in self.sources if p.suffix == ".ipynb"]
        if not notebooks:
            raise ValueError(f"no .ipynb among {paths}: the first notebook is the one opened")
        self.notebook = notebooks[0]
        self.tmp = Path(tempfile.mkdtemp(prefix=f"bpv-{self.kind}-"))
        self.root = self.tmp / "root"  # Lab writes checkpoints beside the notebook: work on a copy
        self.root.mkdir()
        for src in self.sources:
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, self.root / src.name)
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.log_path = self.tmp / "server.log"
        self._log_file = None
        self.start_seconds = 0.0

    # -- subclasses say how to launch and probe ------------------------------------------
    def command(self) -> list[str]:
        raise NotImplementedError

    def is_ready(self) -> bool:
        raise NotImplementedError

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict:
        env = dict(os.environ)
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
            env[name] = str(self.tmp / name.lower())
            os.makedirs(env[name], exist_ok=True)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        # The "Jupyter news" toast would cover the page.
        labconfig = self.tmp / "jupyter_config_dir" / "labconfig"
        labconfig.mkdir(parents=True, exist_ok=True)
        (labconfig / "page_config.json").write_text(json.dumps(
            {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
        return env

    def start(self) -> "Server":
        t0 = time.monotonic()
        for attempt in range(3):  # another process may take the free port before we bind it
            self.port = free_port()
            self._log_file = open(self.log_path, "ab")
            self.proc = subprocess.Popen(self.command(), cwd=self.root, env=self._env(),
                                         stdout=self._log_file, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + START_TIMEOUT_S
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if self.is_ready():
                    self.start_seconds = time.monotonic() - t0
                    return self
                time.sleep(0.2)
            log = self.log_tail()
            self.stop(keep_files=True)
            if "already in use" not in log and "Address already" not in log:
                break
        self.stop()
        raise RuntimeError(f"{self.kind} did not start within {START_TIMEOUT_S} s on port "
                           f"{self.port}; the end of its log:\n{log}")

    def stop(self, keep_files: bool = False) -> None:
        """SIGTERM the server by PID, then end its descendants (kernels) that outlived it."""
        if self.proc is not None:
            try:
                family = psutil.Process(self.proc.pid).children(recursive=True)
            except psutil.NoSuchProcess:
                family = []
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=10)
            # Kernels run in their own session, so they may survive their server.
            alive = [p for p in family if p.is_running()]
            for p in alive:
                try:
                    p.terminate()
                except psutil.NoSuchProcess:
                    pass
            _, alive = psutil.wait_procs(alive, timeout=5)
            for p in alive:
                try:
                    p.kill()
                except psutil.NoSuchProcess:
                    pass
            self.proc = None
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if not keep_files:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def log_problems(self, since: int = 0) -> list[str]:
        """Tracebacks the server or its kernels logged after byte `since` of the log.

        A widget callback that raises inside the kernel's comm handling is reported only
        here: the kernel logs it to its stderr, which the server inherits."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(since)
                text = f.read().decode(errors="replace")
        except FileNotFoundError:
            return []
        blocks = text.split("Traceback (most recent call last)")[1:]
        return [f"{self.kind} log: Traceback (most recent call last){b[:1500]}" for b in blocks]


class LabServer(Server):
    """JupyterLab on 127.0.0.1 with a fixed token and `window.jupyterapp` exposed."""

    kind = "lab"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}",
               f"--ServerApp.root_dir={self.root}", "--ServerApp.terminals_enabled=False",
               "--LabApp.expose_app_in_browser=True"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def is_ready(self) -> bool:
        return _http_ok(f"{self.url}/api/status?token={TOKEN}")

    def notebook_url(self, name: str | None = None) -> str:
        return f"{self.url}/lab/tree/{name or self.notebook}?token={TOKEN}"

    def open(self, context, name: str | None = None):
        """A new page showing the notebook in Lab, its kernel started and idle."""
        page = blank_page(context)
        watch_server(context, self)
        page.goto(self.notebook_url(name))
        page.wait_for_function(
            "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
            " return !!(w && w.context && w.context.isReady && w.content); }",
            timeout=START_TIMEOUT_S * 1000)
        wait_kernel_idle(page)
        return page


class NotebookServer(LabServer):
    """Jupyter Notebook 7 (the `notebook` package) on 127.0.0.1, `window.jupyterapp` exposed: the
    same shell API as Lab, so the same helpers run its cells and wait for its kernel."""

    kind = "notebook"

    def command(self) -> list[str]:
        cmd = [sys.executable, "-m", "notebook", "--no-browser",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}",
               f"--ServerApp.root_dir={self.root}", "--ServerApp.terminals_enabled=False",
               "--JupyterNotebookApp.expose_app_in_browser=True"]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def notebook_url(self, name: str | None = None) -> str:
        return f"{self.url}/notebooks/{name or self.notebook}?token={TOKEN}"


class VoilaServer(Server):
    """Voilà serving one notebook at / (it runs the notebook on each GET /)."""

    kind = "voila"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "voila", self.notebook, "--no-browser",
                "--Voila.ip=127.0.0.1", f"--Voila.port={self.port}", "--Voila.port_retries=0",
                "--show_tracebacks=True"]

    def is_ready(self) -> bool:
        return _tcp_ok(self.port)  # an HTTP probe would execute the notebook

    def open(self, context):
        """A new page showing the rendered notebook (all cells run, outputs visible)."""
        page = blank_page(context)
        watch_server(context, self)
        page.goto(f"{self.url}/", timeout=START_TIMEOUT_S * 1000)
        page.locator("#rendered_cells").wait_for(state="visible", timeout=START_TIMEOUT_S * 1000)
        assert_no_tracebacks(page)
        return page
