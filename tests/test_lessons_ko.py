"""The Korean lessons (notebooks/ko/): one per English lesson, built from it by tools/lessons.py, the same
code, Korean prose without particle placeholders. (They run on a fresh kernel in test_notebooks.py.)"""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
KO = NOTEBOOKS / "ko"
ENGLISH = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
KOREAN = sorted(KO.glob("[0-9][0-9]_*.ipynb"))
LANG_LINE = re.compile(r'^LANG = "(en|ko)"  # or "(en|ko)"$', re.M)


def _tool():
    spec = importlib.util.spec_from_file_location("lessons_tool", ROOT / "tools" / "lessons.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


lessons = _tool()


def _read(path):
    return nbformat.read(path, as_version=4)


def _pairs():
    return [(p, KO / p.name) for p in ENGLISH]


# -- one Korean edition per English lesson, and back -------------------------------------------

def test_every_english_lesson_has_a_korean_edition_and_back():
    english, korean = {p.name for p in ENGLISH}, {p.name for p in KOREAN}
    assert english, "notebooks/ holds no lessons"
    assert not english - korean, (f"no Korean edition in notebooks/ko/ of {sorted(english - korean)}: "
                                  "translate them (python tools/lessons.py todo), then build")
    assert not korean - english, f"notebooks/ko/ has lessons with no English lesson: {sorted(korean - english)}"
    translations = {p.stem for p in lessons.TRANSLATIONS.glob("*.txt")}
    assert translations == {p.stem for p in ENGLISH}, (
        "one translation file per lesson in notebooks/ko/translations/: "
        f"missing {sorted({p.stem for p in ENGLISH} - translations)}, "
        f"without a lesson {sorted(translations - {p.stem for p in ENGLISH})}")


@pytest.mark.parametrize("english", ENGLISH, ids=lambda p: p.stem)
def test_korean_edition_is_built_from_the_english_lesson_and_complete(english):
    """What `python tools/lessons.py check` says: nothing untranslated or stale, the notebook as built."""
    problems = lessons.check_one(english)
    assert not problems, "\n".join(problems)


# -- the same code ---------------------------------------------------------------------------

class _Blank(ast.NodeTransformer):
    """Every string literal (f-strings included) made empty: what is left is the code itself."""

    def visit_Constant(self, node):
        return ast.Constant("") if isinstance(node.value, str) else node

    def visit_JoinedStr(self, node):  # the code in its fields stays (in any order: word order differs)
        return ast.Constant(" ".join(sorted(ast.dump(self.visit(v.value)) for v in node.values
                                            if isinstance(v, ast.FormattedValue)
                                            and not isinstance(v.value, (ast.Constant, ast.JoinedStr)))))


def _code_shape(source):
    source = LANG_LINE.sub('LANG = "?"', source)
    source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    return ast.dump(_Blank().visit(ast.parse(source)))


@pytest.mark.parametrize("english, korean", _pairs(), ids=lambda p: p.stem)
def test_korean_code_is_the_english_code(english, korean):
    """Cell by cell the same kinds and ids, and code that differs only in its strings and comments."""
    if not korean.exists():
        pytest.fail(f"{korean.relative_to(ROOT)} is missing: python tools/lessons.py build")
    en, ko = _read(english), _read(korean)
    assert [(c.cell_type, c.id) for c in en.cells] == [(c.cell_type, c.id) for c in ko.cells], (
        f"{korean.name}: not the cells of {english.name}: python tools/lessons.py build")
    for e, k in zip(en.cells, ko.cells):
        if e.cell_type == "code":
            assert _code_shape(e.source) == _code_shape(k.source), (
                f"{korean.name}, cell {k.id}: its code differs from the English beyond strings and comments:\n"
                f"{k.source}")
            assert e.metadata == k.metadata, f"{korean.name}, cell {k.id}: other cell metadata (hidden, tags)"
    first = next(c for c in ko.cells if c.cell_type == "code")
    assert re.search(r'^LANG = "ko"  # or "en"$', first.source, re.M), f"{korean.name} must set LANG = \"ko\""


def test_code_check_tells_code_from_strings():
    assert _code_shape('print(f"step {k}: {x}")  # a step') == _code_shape('print(f"{k}단계: {x}")')
    assert _code_shape('LANG = "en"  # or "ko"\nx = 1') == _code_shape('LANG = "ko"  # or "en"\nx = 1')
    assert _code_shape('print(f"{a} of {b}")') == _code_shape('print(f"{b}개 중 {a}")')
    assert _code_shape('print(f"{a}")') != _code_shape('print(f"{b}")')
    assert _code_shape("x = 1") != _code_shape("x = 2")
    assert _code_shape('d["a"] = 1') == _code_shape('d["가"] = 1')
    assert _code_shape("y = f(x)") != _code_shape("y = f(x, 1)")


_HANGUL = re.compile(r"[\uac00-\ud7a3\u3131-\u318e]")


_PADDED = re.compile(r"[\uac00-\ud7a3\u3131-\u318e][^ ]*  ")  # Hangul, then spaces that line it up


def _padded_after_hangul(source):
    """The f-strings of `source` that line Hangul up in columns by counting characters: a width
    (:>10, :12.1f, …) on Hangul text, or a width after a line's Hangul label or after Hangul padded
    with spaces. (Between fields, the same Hangul in every line keeps the columns: `{n:4d}번, {m:6d}개`.)"""
    found = []
    for node in ast.walk(ast.parse(LANG_LINE.sub('LANG = "?"', source))):
        if not isinstance(node, ast.JoinedStr):
            continue
        labelled = padded = False
        for k, part in enumerate(node.values):
            text = part.value if isinstance(part, ast.Constant) else \
                part.value.value if isinstance(part.value, ast.Constant) else ""
            hangul = bool(_HANGUL.search(str(text)))
            if isinstance(part, ast.FormattedValue):
                spec = ast.unparse(part.format_spec) if part.format_spec is not None else ""
                if re.search(r"\d", spec.split(".")[0]) and (hangul or labelled or padded):
                    found.append(ast.unparse(node))
                    break
            labelled = labelled or (hangul and k == 0)  # the line starts with a Hangul label
            padded = padded or bool(_PADDED.search(str(text)))
    return found


@pytest.mark.parametrize("korean", KOREAN, ids=lambda p: p.stem)
def test_korean_output_does_not_line_hangul_up_by_counting_characters(korean):
    """A Hangul syllable is wider than a Latin letter in every code font, by more or less from one
    font to the next, so spaces counted in characters never line Hangul up with the digits of other
    lines: a printed table puts its numbers first or says what its columns are in a line of its own."""
    bad = [(c.id, s) for c in _read(korean).cells if c.cell_type == "code" for s in _padded_after_hangul(c.source)]
    assert not bad, f"{korean.name}: Hangul lined up by character count: {bad}"


def test_the_hangul_alignment_check_finds_what_it_should():
    assert _padded_after_hangul('print(f"  역전파   {n:>15,}")')
    assert _padded_after_hangul("print(f\"{'간선':>10} | {x:8.1f}\")")
    assert not _padded_after_hangul('print(f"  {n:>15,}  역전파")')
    assert not _padded_after_hangul('print(f"{name}: 손실 {a:.2f} → {b:.3g}")')  # a precision is no width
    assert _padded_after_hangul('print(f"역전파:    {t:7.1f} ms")')
    assert _padded_after_hangul('print(f"유한 차분: {t:7.1f} ms")')  # a label: other lines have others
    assert not _padded_after_hangul('print(f"{n:4d}번의 순전파, {m:6d}개의 연산: 역전파")')
    assert not _padded_after_hangul("print(f\"{'edge':>10} | {x:8.1f}\")")


# -- Korean prose ------------------------------------------------------------------------------

@pytest.mark.parametrize("korean", KOREAN, ids=lambda p: p.stem)
def test_korean_prose_is_mostly_hangul(korean):
    cells = [c for c in _read(korean).cells if c.cell_type == "markdown"]
    prose = "\n\n".join(lessons._prose(c.source) for c in cells)
    assert lessons.hangul_share(prose) >= 0.85, (
        f"{korean.name}: only {lessons.hangul_share(prose):.0%} of its prose is Hangul")
    for cell in cells:
        share = lessons.hangul_share(lessons._prose(cell.source))
        assert share >= lessons.MIN_HANGUL_SHARE, f"{korean.name}, cell {cell.id}: {share:.0%} Hangul:\n{cell.source}"


@pytest.mark.parametrize("korean", KOREAN, ids=lambda p: p.stem)
def test_korean_lesson_has_no_particle_placeholder(korean):
    for cell in _read(korean).cells:
        found = lessons.PLACEHOLDER.search(cell.source)
        assert not found, f"{korean.name}, cell {cell.id}: {found.group()!r} — choose the particle (or rephrase)"


@pytest.mark.parametrize("korean", KOREAN[1:], ids=lambda p: p.stem)
def test_korean_lesson_has_the_parts_of_a_lesson(korean):
    text = "\n".join(c.source for c in _read(korean).cells if c.cell_type == "markdown")
    for part in ("이 수업에서 배울 내용", "연습 문제", "## 정리"):
        assert part in text, f"{korean.name} has no '{part}'"
    assert "다음 수업:" in text or "처음으로 돌아가기" in text, f"{korean.name} does not end with a link onward"


TERMS = {"역전파": "backpropagation", "순전파": "forward pass", "기울기": "(?:gradient|slope)", "연쇄 법칙": "chain rule",
         "손실 함수": "loss function", "학습률": "learning rate", "경사 하강법": "gradient descent",
         "매개변수": "parameter"}


@pytest.mark.parametrize("korean", KOREAN, ids=lambda p: p.stem)
def test_korean_lesson_gives_the_english_term_where_it_first_uses_one(korean):
    """The course's terms, with the English one (as in PyTorch's documentation) in parentheses the first
    time a lesson's text uses them (headings aside)."""
    text = "\n".join(line for c in _read(korean).cells if c.cell_type == "markdown"
                     for line in lessons._prose(c.source).split("\n") if not line.startswith("#"))
    missing = []
    for korean_term, english_term in TERMS.items():
        first = text.find(korean_term)
        if first >= 0 and not re.match(rf"{korean_term}\**\s*\(\s*{english_term}", text[first:]):
            missing.append(f"{korean_term} ({english_term}): {text[first:first + 40]!r}")
    assert not missing, f"{korean.name}: the first use of a term lacks the English term after it: {missing}"


def test_the_korean_checks_catch_what_they_should():
    assert lessons.PLACEHOLDER.search("손실이 {loss}이(가) 되었습니다")
    assert lessons.PLACEHOLDER.search("{after}(으)로 바뀝니다") and lessons.PLACEHOLDER.search("b은(는)")
    assert not lessons.PLACEHOLDER.search("손실(loss)이 줄어듭니다 (예: 0.5)")
    assert lessons.hangul_share("The loss goes down") == 0.0
    assert lessons.hangul_share("손실 함수(loss function)는 모델이 얼마나 틀렸는지 알려 줍니다.") > 0.7
    assert lessons.korean_problems("기울기가 더해진다.", "x", markdown=True)
    assert lessons.korean_problems("눌러 보세요.", "x", markdown=True)
    assert not lessons.korean_problems("기울기가 더해집니다. 눌러 보십시오. 해 봅시다.", "x", markdown=True)
    assert lessons.korean_problems("The loss goes down.", "x", markdown=True)
    # bold that Markdown leaves as literal stars: a closing ** after punctuation, then a particle
    assert lessons.emphasis_problems("**다음 ▶**을 누르십시오.") and lessons.emphasis_problems("**[1강](01.ipynb)**부터")
    assert lessons.emphasis_problems("**$\\eta$**가") and lessons.emphasis_problems("**`None`**을")
    assert not lessons.emphasis_problems("**다음 ▶** 버튼을, [**1강**](01.ipynb)부터, **손실**(loss)을, *아주 작은* 것")


def test_the_code_spans_are_the_literals_a_student_reads():
    source = ('text = {"en": {"title": "Loss"}, "ko": {"title": "손실"}}[LANG]\n'
              'print(f"after {t} steps: {text[\'title\']}")  # the loss\n'
              'plt.plot(x, y, "o-", color="tab:blue", label="w0")\n')
    spans = lessons.code_spans(source)
    required = [s.text for s in spans if s.required]
    assert required == ['f"after {t} steps: {text[\'title\']}"', "# the loss", '"tab:blue"']
    for span in spans:
        assert source[span.start:span.end] == span.text


def test_build_translates_strings_comments_markdown_and_the_lang_line(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"),
                nbformat.v4.new_code_cell('LANG = "en"  # or "ko"\nprint("Ready.", f"{1 + 1} steps")  # done')]
    nb.cells[0].id, nb.cells[1].id = "md", "code"
    english = tmp_path / "01_x.ipynb"
    nbformat.write(nb, english)
    tr = tmp_path / "01_x.txt"
    tr.write_text(f"=== markdown md en:{lessons.source_hash('# Title')}\n# 제목\n\n"
                  '=== string\n"Ready."\n---\n"준비되었습니다."\n\n'
                  '=== string\nf"{1 + 1} steps"\n---\nf"{1 + 1}단계"\n\n'
                  "=== comment\n# done\n---\n# 끝\n", encoding="utf-8")
    ko, missing = lessons.build_one(english, lessons.read_translation(tr))
    assert not missing
    assert ko.cells[0].source == "# 제목"
    assert ko.cells[1].source == 'LANG = "ko"  # or "en"\nprint("준비되었습니다.", f"{1 + 1}단계")  # 끝'
    nb.cells[0].source = "# A new title"  # the English changed: the translation is stale
    nbformat.write(nb, english)
    _, missing = lessons.build_one(english, lessons.read_translation(tr))
    assert [(m.kind, m.key) for m in missing] == [("markdown", "md")]


def test_todo_marks_what_to_translate_and_build_then_check_agree(tmp_path, monkeypatch, capsys):
    """A teacher's round: the English changes, `todo` adds blocks, translating them makes `check` pass."""
    notebooks = tmp_path / "notebooks"
    monkeypatch.setattr(lessons, "ROOT", tmp_path)
    monkeypatch.setattr(lessons, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(lessons, "KO", notebooks / "ko")
    monkeypatch.setattr(lessons, "TRANSLATIONS", notebooks / "ko" / "translations")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# One\n\nThe loss goes down."),
                nbformat.v4.new_code_cell('LANG = "en"  # or "ko"\nprint("Loss went down.", "tab:blue")')]
    nb.cells[0].id, nb.cells[1].id = "md", "code"
    notebooks.mkdir()
    english = notebooks / "01_one.ipynb"
    nbformat.write(nb, english)

    assert lessons.main(["check"]) == 1 and "01_one.txt is missing" in capsys.readouterr().out
    lessons.main(["todo"])
    path = lessons.translation_path(english)
    text = path.read_text(encoding="utf-8")
    assert text.count("TODO") == 3  # the markdown cell and two strings (tab:blue too, until kept)
    text = (text.replace("# One\n\nThe loss goes down.", "# 하나\n\n손실이 줄어듭니다.")
                .replace('"Loss went down."\n---\n"Loss went down."', '"Loss went down."\n---\n"손실이 줄었습니다."')
                .replace('=== string TODO\n"tab:blue"\n---\n"tab:blue"', '=== keep\n"tab:blue"')
                .replace(" TODO", ""))
    path.write_text(text, encoding="utf-8")
    assert lessons.main(["build"]) == 0
    assert lessons.main(["check"]) == 0, capsys.readouterr().out
    ko = nbformat.read(lessons.korean_path(english), as_version=4)
    assert ko.cells[1].source == 'LANG = "ko"  # or "en"\nprint("손실이 줄었습니다.", "tab:blue")'

    nb.cells[0].source = "# One\n\nThe loss goes down, step by step."   # the English lesson changes
    nbformat.write(nb, english)
    capsys.readouterr()
    assert lessons.main(["check"]) == 1
    out = capsys.readouterr().out
    assert "markdown cell md is stale" in out and "step by step" in out
    lessons.main(["todo"])
    text = path.read_text(encoding="utf-8")
    assert "손실이 줄어듭니다." in text and lessons.ENGLISH_NOW in text and "TODO" in text
    start = text.index(lessons.ENGLISH_NOW)
    end = text.index("===", start)
    text = (text[:start] + text[end:]).replace("손실이 줄어듭니다.", "손실이 한 단계씩 줄어듭니다.").replace(" TODO", "")
    path.write_text(text, encoding="utf-8")
    assert lessons.main(["build"]) == 0
    assert lessons.main(["check"]) == 0, capsys.readouterr().out
