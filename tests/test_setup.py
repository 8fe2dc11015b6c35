"""The two README commands: `make lab` serves the lessons index, set-up is idempotent."""

import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readme_names_the_two_commands_and_ci_calls_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.M)


def test_setup_is_idempotent_once_done():
    """After `make test` has set up, the same set-up has nothing left to install."""
    if not (ROOT / ".venv" / ".test-installed").exists():
        pytest.skip("the virtual environment was not made by `make` (run `make test` to set it up)")
    plan = subprocess.run(["make", "-n", "venv-test"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "pip install" not in plan.stdout, plan.stdout


@pytest.mark.slow
def test_make_lab_serves_the_lessons_index(tmp_path):
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "rt"))
    proc = subprocess.Popen(["make", "lab", f"PORT={port}"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        url = None
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            m = re.search(r"The lessons open at: (http://127\.0\.0\.1:\d+/lab/tree/notebooks/00_index\.ipynb\?token=\w+)", line)
            url = m.group(1) if m else None
        assert url, "make lab did not print the address of the lessons index"
        token = url.split("token=")[1]
        api = f"http://127.0.0.1:{port}/api/contents/notebooks/00_index.ipynb?token={token}"
        while True:
            try:
                with urllib.request.urlopen(api, timeout=5) as r:
                    assert r.status == 200
                    assert b'"name": "00_index.ipynb"' in r.read()
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def test_make_lab_needs_no_system_package(tmp_path):
    """`make lab` is pip only: its set-up runs no apt-get (the test set-up may still add Chromium)."""
    plan = subprocess.run(["make", "-n", "-B", "lab"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert "apt" not in plan.stdout and "system_packages" not in plan.stdout, plan.stdout
    fake = tmp_path / "apt-get"
    fake.write_text(f"#!/bin/sh\necho called >> {tmp_path / 'calls'}\nexit 1\n")
    fake.chmod(0o755)
    env = dict(os.environ, PATH=f"{tmp_path}{os.pathsep}/usr/bin{os.pathsep}/bin")
    done = subprocess.run(["bash", str(ROOT / "tools" / "system_packages.sh"), "lab"], env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0 and not (tmp_path / "calls").exists(), done.stderr


def test_readme_says_how_to_install_everywhere_a_class_runs():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Install with pip", 1)[1].split("\n## ", 1)[0]
    for needle in ("Windows", "macOS", "Linux", "pip install -r requirements.txt -e .", "git+https://",
                   "%pip install", "JupyterHub", "Notebook 7", "jupyter notebook", "no admin rights"):
        assert needle in section, needle
