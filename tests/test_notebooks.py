"""Lessons: each notebook runs on a fresh kernel (in English and in Korean, figures included; the Korean
editions in notebooks/ko/ too), links resolve, outputs are cleared, public API only."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from notebook_figures import (FIGURE_TEXTS, HANGUL, english_words, figure_texts, figures,
                              texts_kernel_env, unreadable_figures)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ALL = sorted(NOTEBOOKS.glob("*.ipynb"))
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
INDEX = NOTEBOOKS / "00_index.ipynb"
# The Korean editions, built from the English lessons by tools/lessons.py (checked in test_lessons_ko.py).
KO = NOTEBOOKS / "ko"
KO_ALL = sorted(KO.glob("*.ipynb"))
KO_LESSONS = sorted(KO.glob("[0-9][0-9]_*.ipynb"))
EDITIONS = ALL + KO_ALL
# "(으)로", "이(가)", "은(는)", "을(를)", "와(과)": a particle a Korean student should never see undecided
PLACEHOLDER = re.compile(r"\((?:으|이|가|은|는|을|를|와|과|아|야)\)")
# The lessons of issue 7, in the lecture's order (DESIGN.md, "The lecture this follows").
REQUIRED = [
    "00_index",
    "01_objective_and_gradient_descent",
    "02_from_regression_to_deep_nets",
    "03_without_backprop",
    "04_chain_rule",
    "05_backprop_step_by_step",
    "06_training_a_network",
    "07_autograd_in_frameworks",
]
PUBLIC_NAMES = {
    "Value", "record", "trace_of", "Trace", "draw", "frames",
    "BackpropPlayer", "GradientDescentView", "GradientQuiz",
    "export_html", "export_gif", "expression", "Sandbox", "nn", "data", "naive", "plots", "__version__",
}
PUBLIC_MODULES = {"nn", "data", "naive", "plots"}
WIDGETS = {"BackpropPlayer", "GradientDescentView", "GradientQuiz", "Sandbox"}
LANG_LINE = re.compile(r'^LANG = "(en|ko)"  # or "(en|ko)"$', re.M)
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CELL_TIMEOUT = 180  # seconds per cell: generous, the ≤ 30 s goal is measured and printed, not timed here
DRAWS = re.compile(r"\b(?:plt|plots)\.\w+\(|\bdraw\(")

_RUN_TIMES: dict[str, float] = {}


def _ids(paths):
    return [p.stem if p.parent == NOTEBOOKS else f"ko/{p.stem}" for p in paths]


def _read(path):
    return nbformat.read(path, as_version=4)


def _code(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


def _markdown(nb):
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def _python(source):
    """A code cell's source as Python: IPython magics and shell escapes become blank lines."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def _links(nb):
    return [m.group(1) for m in LINK.finditer(_markdown(nb))]


def _local_links(nb):
    return [t for t in _links(nb)
            if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I) and not t.startswith("#")]


# --- what is there --------------------------------------------------------------------------

def test_every_lesson_of_the_lecture_is_there():
    missing = sorted(set(REQUIRED) - {p.stem for p in ALL})
    assert not missing, f"notebooks missing from notebooks/: {missing}"


# --- running ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def run_times(request):
    """Collects each notebook's run time and prints them as a table at the end of the module."""
    yield _RUN_TIMES
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is None or not _RUN_TIMES:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line("notebook run times on a fresh kernel (goal ≤ 30 s each):")
        for name, seconds in sorted(_RUN_TIMES.items()):
            reporter.write_line(f"  {name:<44} {seconds:6.1f} s")


def _execute(path, env=None, lang=None):
    """Run a notebook top to bottom on a new kernel in its folder; return it and the seconds taken.
    With `lang`, the first code cell's LANG line is switched to that language first."""
    from nbclient import NotebookClient

    nb = _read(path)
    if lang is not None:
        first = _code(nb)[0]
        first.source, switched = LANG_LINE.subn(f'LANG = "{lang}"  # or "en"', first.source)
        assert switched == 1, f"{path.name}: no LANG line to switch"
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute(**({"env": env} if env else {}))
    return nb, time.perf_counter() - start


def _problems(nb):
    """Error outputs and anything written to stderr (warnings a student would see in red)."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {i}: {out.ename}: {out.evalue}")
            elif out.output_type == "stream" and out.name == "stderr":
                found.append(f"cell {i} wrote to stderr:\n{out.text}")
    return found


@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_notebook_runs_on_a_fresh_kernel(path, run_times, tmp_path):
    """No error; every matplotlib figure reads on a projector (shown at its own size, no text under 11 px)."""
    before = {p.name for p in NOTEBOOKS.iterdir()}
    nb, seconds = _execute(path, env=texts_kernel_env(tmp_path))
    run_times[path.stem] = seconds
    assert not _problems(nb), "\n".join(_problems(nb))
    unreadable = unreadable_figures(nb)
    assert not unreadable, f"{path.name}: " + "; ".join(unreadable)
    assert sum(c.execution_count is not None for c in _code(nb)) == len(_code(nb))
    left = {p.name for p in NOTEBOOKS.iterdir()} - before
    assert not left, (f"{path.name} left files in notebooks/: {sorted(left)}; "
                      "write them to a temporary directory instead")


@pytest.mark.slow
@pytest.mark.parametrize("path", ALL, ids=_ids(ALL))
def test_notebook_runs_in_korean(path, run_times, tmp_path):
    """The same lesson with LANG = "ko": Korean captions, controls and figures, still no error.
    Every figure's texts are read back: it must say something in Korean and nothing in English."""
    nb, seconds = _execute(path, env=texts_kernel_env(tmp_path), lang="ko")
    run_times[f"{path.stem} (ko)"] = seconds
    assert not _problems(nb), "\n".join(_problems(nb))
    if any(re.search(r"\bLANG\b", c.source) for c in _code(nb)[1:]):
        shown = "\n".join(str(o) for c in _code(nb) for o in c.outputs)
        assert HANGUL.search(shown), f"{path.name} uses LANG but shows no Korean text"
    _assert_figures_speak_korean(path, nb)


def _assert_figures_speak_korean(path, nb):
    """Every figure of a Korean run says something in Korean and nothing in English."""
    shown_figures = figures(nb)
    if any(DRAWS.search(_python(c.source)) for c in _code(nb)):
        assert shown_figures, f"{path.name} draws figures, but the run showed none"
    for where, bundle in shown_figures:
        texts = figure_texts(bundle)
        assert any(HANGUL.search(t) for t in texts), f"{path.name}, {where}: a figure with no Korean text: {texts}"
        english = english_words(texts)
        assert not english, (f"{path.name}, {where}: a figure still says {english} with LANG = 'ko' "
                             f"(its texts: {texts}); pass lang=LANG, pick own titles by LANG")


def _shown_texts(nb):
    """(where, text) of everything a run showed: printed text, rich outputs, and the widgets' state
    (captions, labels, messages, tables)."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("text"):
                found.append((f"cell {i}", out["text"]))
            for mime, value in out.get("data", {}).items():
                if mime.startswith("text/") and isinstance(value, str):
                    found.append((f"cell {i} ({mime})", value))
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)
    for model in state.get("state", {}).values():
        found += [(f"a widget ({model.get('model_name')})", t) for t in strings(model.get("state", {}))]
    return found


@pytest.mark.parametrize("path", KO_ALL or [None], ids=_ids(KO_ALL) or ["none"])
def test_korean_edition_runs_on_a_fresh_kernel(path, run_times, tmp_path):
    """A lesson of notebooks/ko/ (LANG = "ko" already): no error, every figure in Korean, and nothing it
    shows leaves a particle undecided ("이(가)")."""
    if path is None:
        pytest.fail("notebooks/ko/ holds no Korean lessons: python tools/lessons.py build", pytrace=False)
    before = {p.name for p in path.parent.iterdir()}
    nb, seconds = _execute(path, env=texts_kernel_env(tmp_path))
    run_times[f"ko/{path.stem}"] = seconds
    assert not _problems(nb), "\n".join(_problems(nb))
    assert sum(c.execution_count is not None for c in _code(nb)) == len(_code(nb))
    left = {p.name for p in path.parent.iterdir()} - before
    assert not left, f"{path.name} left files in notebooks/ko/: {sorted(left)}"
    shown = _shown_texts(nb)
    assert any(HANGUL.search(t) for _, t in shown), f"ko/{path.name} shows no Korean text"
    undecided = sorted({f"{where}: …{t[max(0, m.start() - 30):m.end() + 10]}…"
                        for where, t in shown for m in PLACEHOLDER.finditer(t)})
    assert not undecided, (f"ko/{path.name} shows particle placeholders (choose the particle from the word "
                           "before it, or rephrase):\n" + "\n".join(undecided[:20]))
    _assert_figures_speak_korean(path, nb)
    unreadable = unreadable_figures(nb)
    assert not unreadable, f"ko/{path.name}: " + "; ".join(unreadable)


def test_the_projector_check_finds_wide_figures_and_small_text():
    import base64
    import struct
    import zlib

    def png(width, height):  # a real PNG header: what the check reads
        ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
        chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
        return base64.b64encode(b"\x89PNG\r\n\x1a\n" + chunk).decode()

    def run(*pictures):
        return nbformat.from_dict({"cells": [{"outputs": [{"data": {"image/png": png(w, 300), FIGURE_TEXTS: {
            "figure texts": ["x", "class 0"], "figure text px": sizes}}}]} for w, sizes in pictures], "metadata": {}})

    assert unreadable_figures(run((830, [13.9, 11.1]))) == []
    wide, small = unreadable_figures(run((1890, [13.9, 12.5]), (600, [13.9, 8.3])))
    assert wide.startswith("cell 0: 1890 px wide") and "shrunk to 45%" in wide
    assert small.startswith("cell 1: text of 8.3 px ('class 0')")


def test_the_english_check_tells_english_from_korean():
    assert english_words(["Loss during training", "단계 t"]) == ["Loss", "during", "training"]
    assert english_words(["our guess"]) == ["guess"]
    assert not english_words(["손실 L(θₜ) (로그 눈금)", "zero_grad() 잊음", ".grad의 크기", "x 0",
                               "MLP(2, [4] × 3 + [1]): 매개변수 57개", "L1.N0.w1", "tanh", "σ(z) = P(클래스 1)"])
    svg = ('<svg><text x="1">A &amp; B</text><g><text><tspan>x</tspan><tspan>0</tspan></text>'
           '<text class="t">학습 중의 손실</text></g></svg>')
    assert figure_texts({"image/svg+xml": svg}) == ["A & B", "x 0", "학습 중의 손실"]
    shown = {"image/png": "", FIGURE_TEXTS: {"figure texts": ["θ$_0$ (start)", "$\\mathdefault{10^{1}}$"]}}
    assert english_words(figure_texts(shown)) == ["start"]


@pytest.mark.slow
def test_autograd_lesson_runs_without_torch(tmp_path, run_times):
    """07 says how to install PyTorch and still runs when it is missing (here: hidden from it)."""
    path = NOTEBOOKS / "07_autograd_in_frameworks.ipynb"
    if not path.exists():
        pytest.fail("notebooks/07_autograd_in_frameworks.ipynb is missing")
    fake = tmp_path / "hide" / "torch"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(fake.parent)] + [p for p in [env.get("PYTHONPATH")] if p])
    nb, seconds = _execute(path, env=env)
    assert not _problems(nb), "\n".join(_problems(nb))
    text = "\n".join(o.get("text", "") for c in _code(nb) for o in c.outputs
                     if o.output_type == "stream")
    assert "pip install torch" in text, "without torch the lesson must print how to install it"
    run_times["07 (without torch)"] = seconds


# --- links --------------------------------------------------------------------------------

@pytest.mark.parametrize("index, lessons", [(INDEX, LESSONS), (KO / INDEX.name, KO_LESSONS)],
                         ids=["en", "ko"])
def test_index_links_to_every_lesson(index, lessons):
    assert index.exists(), f"{index.relative_to(ROOT)} is missing"
    targets = {t.split("#")[0] for t in _local_links(_read(index))}
    missing = [p.name for p in lessons if p != index and p.name not in targets]
    assert not missing, f"{index.relative_to(ROOT)} does not link to: {missing}"


def test_each_index_links_to_the_other_language():
    assert "ko/00_index.ipynb" in _local_links(_read(INDEX)), "notebooks/00_index.ipynb must link to ko/00_index.ipynb"
    assert "../00_index.ipynb" in _local_links(_read(KO / INDEX.name)), \
        "notebooks/ko/00_index.ipynb must link back to ../00_index.ipynb"


@pytest.mark.parametrize("path", EDITIONS, ids=_ids(EDITIONS))
def test_every_local_link_resolves(path):
    broken = [t for t in _local_links(_read(path))
              if not (path.parent / t.split("#")[0]).resolve().exists()]
    assert not broken, f"{path.name} links to files that do not exist: {broken}"


@pytest.mark.parametrize("path", LESSONS[1:] + KO_LESSONS[1:], ids=_ids(LESSONS[1:] + KO_LESSONS[1:]))
def test_each_lesson_links_onward(path):
    targets = {t.split("#")[0] for t in _local_links(_read(path))}
    later = [p.name for p in (LESSONS if path.parent == NOTEBOOKS else KO_LESSONS) if p.name > path.name]
    onward = later[0] if later else INDEX.name
    assert onward in targets, f"{path.name} should end with a link to {onward}"


# --- how every lesson is written -----------------------------------------------------------

def _git_blob(path):
    """The notebook as committed (HEAD), or None outside git or when not yet committed."""
    if not shutil.which("git") or not (ROOT / ".git").exists():
        return None
    rel = path.relative_to(ROOT).as_posix()
    out = subprocess.run(["git", "show", f"HEAD:{rel}"], cwd=ROOT, capture_output=True, text=True)
    return nbformat.reads(out.stdout, as_version=4) if out.returncode == 0 else None


def _dirty_cells(nb):
    return [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
            and (c.get("outputs") or c.get("execution_count") is not None)]


@pytest.mark.parametrize("path", EDITIONS, ids=_ids(EDITIONS))
def test_outputs_are_cleared(path):
    for where, nb in (("the file", _read(path)), ("git HEAD", _git_blob(path))):
        if nb is None:
            continue
        assert not _dirty_cells(nb), (
            f"{path.name} ({where}) has outputs or execution counts in cells {_dirty_cells(nb)}; "
            "clear them (Edit → Clear Outputs of All Cells) before committing")
        assert "widgets" not in nb.metadata, f"{path.name} ({where}) stores widget state"


@pytest.mark.parametrize("path", EDITIONS, ids=_ids(EDITIONS))
def test_first_code_cell_sets_lang_and_seed(path):
    code = _code(_read(path))
    assert code, f"{path.name} has no code cell"
    first = code[0].source
    assert LANG_LINE.search(first), (
        f'{path.name}: the first code cell must contain the line  LANG = "en"  # or "ko"')
    assert re.search(r"\.seed\(|default_rng\(|manual_seed\(", first), \
        f"{path.name}: seed the randomness in the first code cell (e.g. np.random.default_rng(SEED))"


def _imports_and_uses(tree):
    """(module, name) pairs imported from backprop_viz, and attributes read off the package."""
    aliases, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "backprop_viz":
                    aliases.add(a.asname or a.name)
                elif a.name.startswith("backprop_viz."):
                    found.append((a.name, None))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("backprop_viz"):
            found.extend((node.module, a.name) for a in node.names)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in aliases:
            found.append(("backprop_viz", node.attr))
    return found


def _private_use(module, name):
    if module == "backprop_viz":
        return name is not None and name != "*" and name not in PUBLIC_NAMES
    sub = module.split(".", 1)[1]
    return sub.split(".")[0] not in PUBLIC_MODULES or "." in sub \
        or name == "*" or (name or "").startswith("_")


@pytest.mark.parametrize("path", EDITIONS, ids=_ids(EDITIONS))
def test_only_the_public_api_is_imported(path):
    tree = ast.parse("\n\n".join(_python(c.source) for c in _code(_read(path))))
    bad = [f"{m}{'.' + n if n else ''}" for m, n in _imports_and_uses(tree) if _private_use(m, n)]
    assert not bad, (f"{path.name} uses names outside the public API: {bad}; "
                     "lessons import only `from backprop_viz import ...` public names")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in PUBLIC_MODULES:
            assert not node.attr.startswith("_"), f"{path.name} uses {node.value.id}.{node.attr}"


def test_the_public_api_check_tells_private_from_public():
    def flagged(code):
        return [(m, n) for m, n in _imports_and_uses(ast.parse(code)) if _private_use(m, n)]

    assert not flagged("from backprop_viz import Value, record, nn, GradientQuiz\n"
                       "import backprop_viz as bv\nbv.draw\nfrom backprop_viz.nn import MLP")
    assert flagged("from backprop_viz.engine import zero_grad")
    assert flagged("from backprop_viz.widgets.quiz import parse_number")
    assert flagged("import backprop_viz.trace")
    assert flagged("import backprop_viz as bv\nbv.engine.zero_grad([])")
    assert flagged("from backprop_viz import _EXPORTS")
    assert flagged("from backprop_viz.nn import _rng")


@pytest.mark.parametrize("path", EDITIONS, ids=_ids(EDITIONS))
def test_widgets_speak_the_lesson_language(path):
    tree = ast.parse("\n\n".join(_python(c.source) for c in _code(_read(path))))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and getattr(n.func, "id", getattr(n.func, "attr", None)) in WIDGETS]
    mute = [ast.unparse(c)[:60] for c in calls
            if not any(k.arg == "lang" and ast.unparse(k.value) == "LANG" for k in c.keywords)]
    assert not mute, f"{path.name}: pass lang=LANG to every widget: {mute}"


@pytest.mark.parametrize("path", LESSONS[1:], ids=_ids(LESSONS[1:]))
def test_lesson_has_the_parts_of_a_lesson(path):
    nb = _read(path)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), \
        f"{path.name} must open with a markdown title (# ...)"
    text = _markdown(nb).lower()
    for part in ("what you will learn", "exercise", "recap"):
        assert part in text, f"{path.name} has no '{part}' section"
    asserts = sum(isinstance(n, ast.Assert)
                  for c in _code(nb) for n in ast.walk(ast.parse(_python(c.source))))
    assert asserts >= 3, f"{path.name} has {asserts} assert checks; each round ends with a check"


def test_autograd_lesson_says_how_to_install_torch():
    path = NOTEBOOKS / "07_autograd_in_frameworks.ipynb"
    assert path.exists()
    code = "\n".join(c.source for c in _code(_read(path)))
    assert "pip install torch" in code and "ImportError" in code
