"""README.md: its links and screenshot exist, it lists every lesson, and its quick start runs."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _section(title):
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", README, re.S | re.M)
    assert m, f"README.md needs a '## {title}' section"
    return m.group(1)


def test_relative_links_and_images_exist():
    targets = re.findall(r"\]\(([^)\s]+)\)", README)
    local = [t for t in targets if not re.match(r"[a-z]+:", t) and not t.startswith("#")]
    assert local, "README.md links no file of the repository"
    missing = [t for t in local if not (REPO / t.split("#")[0]).exists()]
    assert not missing, f"README.md links files that do not exist: {missing}"


def test_screenshots_are_pngs():
    shots = re.findall(r"!\[[^\]]*\]\((docs/[^)]+\.png)\)", README)
    assert shots, "README.md needs a screenshot under docs/"
    for shot in shots:
        assert (REPO / shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot


def test_every_lesson_is_listed():
    lessons = _section("The lessons")
    for nb in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert f"notebooks/{nb.name}" in lessons or nb.name == "00_index.ipynb", (
            f"README's lesson list lacks notebooks/{nb.name}")


def test_sections_a_teacher_looks_for():
    for title in ("Two commands", "Open it on Binder", "The lessons", "Quick start", "A whole class",
                  "Performance", "Troubleshooting"):
        _section(title)
    commands = _section("Two commands")
    assert "make lab" in commands and "make test" in commands and "make present LESSON=" in commands


@pytest.mark.dot
def test_quick_start_runs_as_written(tmp_path):
    (code,) = re.findall(r"```python\n(.*?)```", _section("Quick start"), re.S)
    assert len(code.strip().splitlines()) <= 14, "a quick start is about ten lines"
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "a is used more than once" in done.stdout  # the caption the comment promises
    assert (tmp_path / "backprop.html").stat().st_size > 1000
    assert (tmp_path / "backprop.gif").read_bytes()[:6] == b"GIF89a"
