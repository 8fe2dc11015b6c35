"""How a lesson treats the class: checks, exercises and solutions are tagged (Voilà leaves them out of a
presented lesson), a collapsed solution gives nothing away on its first line, no check moves a widget the
student sees, pictures name their values as the text does, and every character has a glyph.

The cell tags (the convention of every lesson):
- `check`: code that asserts or prints what the lesson just showed, for the teacher and the tests;
- `exercise`: a cell the student fills in (`my_answer = None`) and the cell that gives the feedback;
- `solution`: collapsed (`metadata.jupyter.source_hidden`), first line exactly SOLUTION_LINE.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import re
import sys
import unicodedata
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
KO = NOTEBOOKS / "ko"
TAGS = {"check", "exercise", "solution"}
SOLUTION_LINE = "# Solution: expand this cell to read it."
# The lessons that follow the tag convention (add a lesson here once it does).
CONVENTION = {"00_index", "01_objective_and_gradient_descent", "02_from_regression_to_deep_nets", "03_without_backprop",
              "04_chain_rule", "05_backprop_step_by_step", "06_training_a_network", "07_autograd_in_frameworks"}
CELL_TIMEOUT = 180
V_NUMBER = re.compile(r"^v\d+$")  # the engine's name for a value nobody labelled


def _read(path):
    return nbformat.read(path, as_version=4)


def _tags(cell):
    return set(cell.metadata.get("tags", []))


ENGLISH = [p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if p.stem in CONVENTION]
EDITIONS = ENGLISH + [KO / p.name for p in ENGLISH if (KO / p.name).exists()]


def _id(path):
    return ("ko/" if path.parent == KO else "") + path.stem


def _python(source):
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


@functools.lru_cache(maxsize=None)
def _tool():
    spec = importlib.util.spec_from_file_location("lessons_tool", ROOT / "tools" / "lessons.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _korean_solution_line(english_path):
    """The Korean of SOLUTION_LINE, from the lesson's translation file."""
    tool = _tool()
    return tool.read_translation(tool.translation_path(english_path)).comments.get(SOLUTION_LINE)


# --- tags -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", EDITIONS, ids=_id)
def test_solutions_are_collapsed_and_their_first_line_gives_nothing_away(path):
    nb = _read(path)
    if not any("solution" in _tags(c) for c in nb.cells):
        expected = None
    elif path.parent == KO:
        expected = _korean_solution_line(NOTEBOOKS / path.name)
        assert expected, (f"notebooks/ko/translations/{path.stem}.txt has no Korean for the comment "
                          f"{SOLUTION_LINE!r}")
    else:
        expected = SOLUTION_LINE
    problems = []
    for i, cell in enumerate(nb.cells):
        hidden = cell.metadata.get("jupyter", {}).get("source_hidden", False)
        if "solution" in _tags(cell):
            if not hidden:
                problems.append(f"cell {i}: a solution without metadata.jupyter.source_hidden = true")
            first = cell.source.split("\n", 1)[0]
            if first != expected:
                problems.append(f"cell {i}: a solution's first line is {first!r}, not {expected!r} "
                                "(a collapsed cell shows its first line)")
        elif hidden or "hide-input" in _tags(cell):
            problems.append(f"cell {i}: a collapsed cell that is not tagged solution")
    assert not problems, f"{_id(path)}:\n" + "\n".join(problems)


def test_every_korean_lesson_says_the_solution_line_the_same_way():
    lines = {p.stem: _korean_solution_line(p) for p in ENGLISH
             if any("solution" in _tags(c) for c in _read(p).cells)}
    assert len(set(lines.values())) == 1, f"the Korean of {SOLUTION_LINE!r} differs between lessons: {lines}"


def _asserts(source):
    return any(isinstance(n, ast.Assert) for n in ast.walk(ast.parse(_python(source))))


def _is_exercise(source):
    """A cell the student fills in (a `my_… = None`, a `return None  # ← …`) or its feedback."""
    return bool(re.search(r"^\s*my_\w+\s*=\s*None\b|return None\s*#\s*←|answered yet", source, re.M | re.I))


@pytest.mark.parametrize("path", ENGLISH, ids=_id)
def test_every_check_and_exercise_cell_is_tagged(path):
    problems = []
    for i, cell in enumerate(_read(path).cells):
        tags = _tags(cell)
        if cell.cell_type != "code":
            if tags & TAGS:
                problems.append(f"cell {i}: a {cell.cell_type} cell tagged {sorted(tags & TAGS)}")
            continue
        if len(tags & TAGS) > 1:
            problems.append(f"cell {i}: tagged {sorted(tags & TAGS)}; one of them, please")
        if _is_exercise(cell.source) and "exercise" not in tags:
            problems.append(f"cell {i}: an exercise (the student fills it in, or its feedback) not tagged exercise")
        elif _asserts(cell.source) and not tags & TAGS:
            problems.append(f"cell {i}: asserts, but is not tagged check (or exercise / solution): "
                            f"{cell.source.splitlines()[0][:60]!r}")
    assert not problems, f"{path.name}:\n" + "\n".join(problems)


def test_the_tag_rules_tell_cells_apart():
    assert _is_exercise("my_h = None       # h = 3·1 − 1")
    assert _is_exercise('def f(A1):\n    return None   # ← your formula, using A1')
    assert _is_exercise('if mine is None:\n    print(f"{name}: not answered yet")')
    assert not _is_exercise("h = None\nassert h is None")
    assert _asserts("for r in t:\n    assert r")
    assert not _asserts("print('assert')")


# --- Voilà ------------------------------------------------------------------------------------

def _voila_settings(path):
    """The TagRemovePreprocessor settings of a Voilà config file (VoilaExporter.TagRemovePreprocessor)."""
    return json.loads(path.read_text())["VoilaExporter"]["TagRemovePreprocessor"]


@pytest.mark.parametrize("config", ["voila.json", "binder/jupyter_server_config.json"])
def test_voila_leaves_solutions_checks_and_exercises_out(config):
    settings = _voila_settings(ROOT / config)
    assert settings.get("enabled") is True
    assert set(settings.get("remove_cell_tags", [])) == TAGS, f"{config} must remove the cells tagged {TAGS}"


def test_make_present_passes_the_same_settings_and_binder_installs_them():
    makefile = (ROOT / "Makefile").read_text()
    voila = re.search(r"\$\(BIN\)/voila .*?\"\$\$f\"", makefile, re.S).group(0)
    assert "--TagRemovePreprocessor.enabled=True" in voila
    assert set(re.findall(r"--TagRemovePreprocessor\.remove_cell_tags=(\w+)", voila)) == TAGS
    post_build = (ROOT / "binder" / "postBuild").read_text()
    assert "jupyter --config-dir" in post_build and "binder/jupyter_server_config.json" in post_build


def _as_presented(nb):
    """The lesson as Voilà runs it: nbconvert's TagRemovePreprocessor with the settings of voila.json."""
    from nbconvert.preprocessors import TagRemovePreprocessor
    from traitlets.config import Config

    config = Config({"TagRemovePreprocessor": _voila_settings(ROOT / "voila.json")})
    nb, _ = TagRemovePreprocessor(config=config).preprocess(nb, {})
    return nb


def _run(nb, folder):
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    return nb


def _errors(nb):
    return [f"cell {i}: {o.ename}: {o.evalue}" for i, c in enumerate(nb.cells)
            for o in c.get("outputs", []) if o.output_type == "error"]


@pytest.mark.parametrize("path", ENGLISH, ids=_id)
def test_the_presented_lesson_runs_without_its_checks_exercises_and_solutions(path):
    """Voilà does not run the tagged cells: nothing the rest of the lesson needs may live in them."""
    nb = _as_presented(_read(path))
    assert not any(_tags(c) & TAGS for c in nb.cells)
    nb = _run(nb, path.parent)
    assert not _errors(nb), "\n".join(_errors(nb))


# --- the widgets a student sees ----------------------------------------------------------------

# Run first: every widget the lesson displays is remembered with its state at that moment; run last:
# what changed since (a check that drove it), players shown at their end, values named v1, v2, ….
_SPY = '''
import ipywidgets as _bpv_ipw
_bpv_shown = []

def _bpv_state(w):
    state = {}
    if hasattr(w, "index") and hasattr(w, "trace"):
        state["index"] = w.index
    for name in ("right", "asked"):
        if isinstance(getattr(w, name, None), int):
            state[name] = getattr(w, name)
    for name in ("answer_box", "feedback"):
        if hasattr(w, name):
            state[name] = getattr(w, name).value
    if getattr(w, "player", None) is not None and hasattr(w.player, "index"):
        state["player index"] = w.player.index
    if hasattr(w, "losses"):
        state["training steps"] = len(w.losses)
    return state

_bpv_repr = _bpv_ipw.Widget._repr_mimebundle_

def _bpv_spy(self, **kwargs):
    if not any(self is w for w, _ in _bpv_shown):
        _bpv_shown.append((self, _bpv_state(self)))
    return _bpv_repr(self, **kwargs)

_bpv_ipw.Widget._repr_mimebundle_ = _bpv_spy
'''
_REPORT = '''
import json as _bpv_json
_bpv_report = {"shown": [], "moved": [], "at_end": [], "unnamed": []}
for _bpv_w, _bpv_before in _bpv_shown:
    _bpv_what = type(_bpv_w).__name__
    _bpv_report["shown"].append(_bpv_what)
    if _bpv_state(_bpv_w) != _bpv_before:
        _bpv_report["moved"].append(f"{_bpv_what} shown as {_bpv_before}, left as {_bpv_state(_bpv_w)}")
    _bpv_trace = getattr(_bpv_w, "trace", None)
    if _bpv_trace is not None and hasattr(_bpv_w, "index") and _bpv_before.get("index") == len(_bpv_trace):
        _bpv_report["at_end"].append(f"{_bpv_what} shown at its last step {len(_bpv_trace)}")
    if _bpv_trace is not None:
        _bpv_names = [_bpv_trace.name(n) for n in range(len(_bpv_trace.nodes))]
        _bpv_report["unnamed"] += [f"{_bpv_what}: {n}" for n in _bpv_names if __import__("re").match(r"^v\\d+$", n)]
print("BPV-REPORT " + _bpv_json.dumps(_bpv_report))
'''


def _report(nb):
    for out in nb.cells[-1].outputs:
        if out.output_type == "stream" and "BPV-REPORT " in out.text:
            return json.loads(out.text.split("BPV-REPORT ", 1)[1])
    raise AssertionError(f"no report from the last cell: {nb.cells[-1].outputs}")


def _svg_value_names(nb):
    """Texts of the graph pictures a lesson shows (draw(...)) that are engine names like v7."""
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            svg = out.get("data", {}).get("image/svg+xml")
            if svg and ("bv-graph" in svg or 'class="node"' in svg):
                texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
                found += [f"cell {i}: {t}" for t in texts if V_NUMBER.match(t.strip())]
    return found


@pytest.mark.parametrize("path", ENGLISH, ids=_id)
def test_after_run_all_every_widget_is_where_the_student_starts(path):
    """A check works on a copy: after Run All every player, quiz and view is as it was when shown, no
    player was shown at its last step, and no picture names a value v1, v2, … ."""
    nb = _read(path)
    nb.cells.insert(0, nbformat.v4.new_code_cell(_SPY))
    nb.cells.append(nbformat.v4.new_code_cell(_REPORT))
    nb = _run(nb, path.parent)
    assert not _errors(nb), "\n".join(_errors(nb))
    report = _report(nb)
    problems = [f"moved by a later cell: {m}" for m in report["moved"]]
    problems += [f"starts at its end (next is disabled): {m}" for m in report["at_end"]]
    # a network's insides too: nn names each value in a neuron (L1.N0.w0·x0, L1.N0.Σ2, L1.N0.z)
    problems += [f"a value without a name in a picture: {m}" for m in report["unnamed"] + _svg_value_names(nb)]
    assert not problems, f"{path.name} (shows {report['shown']}):\n" + "\n".join(problems)


def test_the_widget_check_sees_a_check_that_drives_a_shown_player(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(_SPY), nbformat.v4.new_code_cell(
        "from backprop_viz import Value, record, BackpropPlayer\n"
        "a = Value(2.0, 'a')\nwith record() as t:\n    y = a * a + 1\n    y.label = 'y'\n    y.backward()\n"
        "p = BackpropPlayer(t)\np"),
        nbformat.v4.new_code_cell("p.last()\nassert p.index == len(t)"),
        nbformat.v4.new_code_cell("from backprop_viz import draw, trace_of\nq = (a * 3) * a\nq.label = 'q'\n"
                                  "q.backward()\ndraw(trace_of(q).snapshot(0))"),
        nbformat.v4.new_code_cell(_REPORT)]
    nb = _run(nb, tmp_path)
    report = _report(nb)
    assert report["shown"] == ["BackpropPlayer"]
    assert len(report["moved"]) == 1 and "'index': 0" in report["moved"][0]
    assert any(V_NUMBER.match(m.split(": ")[1]) for m in report["unnamed"])  # a * a is unnamed
    assert _svg_value_names(nb), "the picture of (a * 3) * a names a * 3 by its v-number"


# --- glyphs ------------------------------------------------------------------------------------

def _font_chars(name):
    """The characters of one of the DejaVu fonts matplotlib ships (always installed with it)."""
    import matplotlib
    from matplotlib import ft2font

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    return {chr(c) for c in ft2font.FT2Font(str(path)).get_charmap()}


def _east_asian(ch):
    return unicodedata.name(ch, "").startswith(("HANGUL", "CJK", "FULLWIDTH", "IDEOGRAPHIC"))


@pytest.mark.parametrize("path", EDITIONS, ids=_id)
def test_every_character_a_lesson_shows_has_a_glyph(path):
    """Text in DejaVu Sans (code in DejaVu Sans Mono), Korean in Noto Sans CJK: a character missing from
    them (⏮, ⏭) shows as an empty box on many machines. Maths ($…$) is MathJax's and not checked."""
    sans, mono = _font_chars("DejaVuSans.ttf"), _font_chars("DejaVuSansMono.ttf")
    missing = set()
    for cell in _read(path).cells:
        text = cell.source
        if cell.cell_type == "markdown":
            text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", " ", text, flags=re.S)
        font = sans if cell.cell_type == "markdown" else mono
        missing |= {ch for ch in text if ord(ch) > 127 and ch not in font and not _east_asian(ch)}
    assert not missing, (f"{_id(path)} uses characters DejaVu does not have: "
                         + ", ".join(f"{ch} (U+{ord(ch):04X})" for ch in sorted(missing)))


@pytest.mark.parametrize("path", EDITIONS, ids=_id)
def test_bold_text_renders_bold(path):
    """`**` closes only where CommonMark lets it: `**다음 ▶**을` or `**[link](…)**부터` (a particle right
    after punctuation) shows the stars instead of bold text. Written so, the Korean needs a space or the
    stars inside the link: `**다음 ▶** 버튼을`, `[**1강**](…)부터`."""
    mistune = pytest.importorskip("mistune")
    render = mistune.create_markdown()
    stray = []
    for i, cell in enumerate(_read(path).cells):
        if cell.cell_type == "markdown":
            text = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", "x", cell.source, flags=re.S)
            html = re.sub(r"<code>.*?</code>|<pre>.*?</pre>", "", render(text), flags=re.S)
            stray += [f"cell {i}: …{m.group()}…" for m in re.finditer(r".{0,25}\*\*.{0,25}", html)]
    assert not stray, f"{_id(path)} shows literal ** where bold was meant:\n" + "\n".join(stray)
