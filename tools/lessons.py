"""The Korean lessons: built from the English lessons and one translation file each, and checked.

    python tools/lessons.py build      # write notebooks/ko/NN_*.ipynb from notebooks/NN_*.ipynb + translations
    python tools/lessons.py check      # is every Korean lesson up to date? says which cells need translating
    python tools/lessons.py todo       # add a block, still in English and marked TODO, for each of them

The English lesson is the source: its code, in the same cells, is the Korean lesson's code. A
translation file (notebooks/ko/translations/NN_name.txt) holds, in blocks that start with a `===` line,
the Korean of every markdown cell (by cell id, with a hash of the English it translates), of every
string literal in the code that a student reads (by its exact English source, f-strings included) and
of the comments. The line `LANG = "en"  # or "ko"` becomes `LANG = "ko"  # or "en"`; a link to another
lesson (`05_….ipynb`) then opens the Korean lesson, as both live side by side in notebooks/ko/.
"""
from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import io
import re
import sys
import tokenize
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
KO = NOTEBOOKS / "ko"
TRANSLATIONS = KO / "translations"

LANG_EN = re.compile(r'^LANG = "en"  # or "ko"$', re.M)
LANG_KO = 'LANG = "ko"  # or "en"'
HANGUL = re.compile("[\uac00-\ud7a3]")
HANGUL_WORD = re.compile("[\uac00-\ud7a3]+")
LATIN_WORD = re.compile(r"(?<![\w\\])[A-Za-z]{2,}")
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")  # a literal or comment with one of these is read by students
# "(으)로", "이(가)", "은(는)", "을(를)", "와(과)", "(이)다": a particle left for the reader to choose
PLACEHOLDER = re.compile(r"\((?:으|이|가|은|는|을|를|와|과|아|야|이어|이라)\)")
# a sentence ending in 해라체 or 해요체 (the lessons speak 합니다체: "-ㅂ니다", "-ㅂ시다", "-십시오", "-ㅂ니까")
PLAIN_ENDING = re.compile(r"[가-힣]*(?<![니시])(?:다|요|자|지|네|니|까)(?=[.!?](?:\s|$|\*|\)))")
MIN_HANGUL_SHARE = 0.6  # of the words of a markdown cell, once maths, code and link targets are removed

BLOCK = re.compile(r"^=== (markdown|string|comment|keep)\b(.*)$", re.M)
SEPARATOR = "\n---\n"
ENGLISH_NOW = "--- English now (update the Korean above to match it, then delete this line and the English below it)"


def english_lessons() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def korean_lessons() -> list[Path]:
    return sorted(KO.glob("[0-9][0-9]_*.ipynb"))


def korean_path(english: Path) -> Path:
    return KO / english.name


def translation_path(english: Path) -> Path:
    return TRANSLATIONS / f"{english.stem}.txt"


def source_hash(text: str) -> str:
    """A short fingerprint of the English a translation was made from."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


# -- what a lesson has to translate ---------------------------------------------------------------

@dataclass(frozen=True)
class Item:
    """One thing of an English lesson a student reads: a markdown cell, a string literal, a comment."""
    kind: str      # "markdown" | "string" | "comment"
    key: str       # the cell id, or the literal's / comment's exact English source
    english: str   # the English text


@dataclass
class Span:
    kind: str      # "string" | "comment"
    start: int     # character offsets in the cell's source
    end: int
    text: str      # the source between them
    required: bool  # holds English a student reads (not a key, label or option)


def _python(source: str) -> str:
    """IPython magics and shell escapes blanked out, so that the offsets of the rest still hold."""
    return "\n".join(" " * len(line) if line.lstrip().startswith(("%", "!")) else line
                     for line in source.split("\n"))


def _offsets(source: str):
    """(line, byte column) -> character offset, for ast positions (columns count UTF-8 bytes)."""
    starts, pos = [], 0
    for line in source.split("\n"):
        starts.append(pos)
        pos += len(line) + 1
    lines = source.split("\n")

    def at(lineno: int, col: int) -> int:
        line = lines[lineno - 1]
        return starts[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8"))
    return at


def _is_str(node) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _words_of(node) -> str:
    """The text of a string node, with the text of string literals nested in an f-string's fields
    (but not of keys, as in {text['class']}: a key is code)."""
    keys = {id(n.slice) for n in ast.walk(node) if isinstance(n, ast.Subscript)}
    return " ".join(n.value for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in keys).strip()


def _by_language(node) -> bool:
    """A dict like {"en": ..., "ko": ...}: the lesson already picks its words by LANG there."""
    return isinstance(node, ast.Dict) and {getattr(k, "value", None) for k in node.keys} == {"en", "ko"}


def code_spans(source: str) -> list[Span]:
    """The string literals (outermost, implicit concatenations as one) and comments of a code cell."""
    python = _python(source)
    tree = ast.parse(python)
    at = _offsets(python)
    spans: list[Span] = []

    def visit(node, picked_by_lang=False):
        if _is_str(node):
            start, end = at(node.lineno, node.col_offset), at(node.end_lineno, node.end_col_offset)
            words = _words_of(node)
            required = (not picked_by_lang and bool(ENGLISH_WORD.search(words))
                        and not re.fullmatch(r"[\w.]+", words))  # a key, label, option or file name
            spans.append(Span("string", start, end, source[start:end], required))
            return
        inside = picked_by_lang or _by_language(node)
        for child in ast.iter_child_nodes(node):
            visit(child, inside)
    visit(tree)
    lines = python.split("\n")
    starts = [sum(len(line) + 1 for line in lines[:i]) for i in range(len(lines))]
    for tok in tokenize.generate_tokens(io.StringIO(python).readline):
        if tok.type == tokenize.COMMENT:
            start = starts[tok.start[0] - 1] + tok.start[1]
            line = lines[tok.start[0] - 1]
            on_lang_line = bool(LANG_EN.fullmatch(line))
            spans.append(Span("comment", start, start + len(tok.string), tok.string,
                              not on_lang_line and bool(ENGLISH_WORD.search(tok.string))))
    return sorted(spans, key=lambda s: s.start)


def lesson_items(nb) -> list[Item]:
    """Everything of an English lesson that its Korean edition must say in Korean, in order."""
    items, seen = [], set()
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            items.append(Item("markdown", cell.id, cell.source))
        elif cell.cell_type == "code":
            for span in code_spans(cell.source):
                if span.required and (span.kind, span.text) not in seen:
                    seen.add((span.kind, span.text))
                    items.append(Item(span.kind, span.text, span.text))
    return items


# -- translation files ------------------------------------------------------------------------------

@dataclass
class Translation:
    """A lesson's translation file: markdown by cell id, strings and comments by their English source."""
    path: Path
    markdown: dict = field(default_factory=dict)   # id -> (hash, Korean, todo)
    strings: dict = field(default_factory=dict)    # English source -> Korean source
    comments: dict = field(default_factory=dict)
    todo: list = field(default_factory=list)       # what is marked TODO
    errors: list = field(default_factory=list)


def read_translation(path: Path) -> Translation:
    tr = Translation(path)
    if not path.exists():
        return tr
    text = path.read_text(encoding="utf-8")
    found = list(BLOCK.finditer(text))
    for i, m in enumerate(found):
        kind, rest = m.group(1), m.group(2).split()
        body = text[m.end() + 1: found[i + 1].start() if i + 1 < len(found) else len(text)]
        body = body.rstrip("\n")
        todo = "TODO" in rest
        line = text.count("\n", 0, m.start()) + 1
        where = f"{path.name}:{line}"
        if kind == "markdown":
            if len(rest) < 2 or not rest[1].startswith("en:"):
                tr.errors.append(f"{where}: a markdown block starts `=== markdown CELL-ID en:HASH`")
                continue
            cell_id, digest = rest[0], rest[1][3:]
            if ENGLISH_NOW in body:
                body, todo = body.split(ENGLISH_NOW)[0].rstrip("\n"), True
            if cell_id in tr.markdown:
                tr.errors.append(f"{where}: cell {cell_id} is translated twice")
            tr.markdown[cell_id] = (digest, body, todo)
            if todo:
                tr.todo.append(f"{where}: markdown cell {cell_id} is marked TODO")
        elif kind == "keep":
            for literal in filter(None, (s.strip() for s in body.split("\n"))):
                tr.strings[literal] = literal
        else:
            if SEPARATOR not in "\n" + body + "\n":
                tr.errors.append(f"{where}: a {kind} block is the English, a line `---`, then the Korean")
                continue
            english, korean = ("\n" + body + "\n").split(SEPARATOR, 1)
            english, korean = english.strip("\n"), korean.strip("\n")
            table = tr.strings if kind == "string" else tr.comments
            if english in table:
                tr.errors.append(f"{where}: {english[:60]!r} is translated twice")
            table[english] = korean
            if todo:
                tr.todo.append(f"{where}: the {kind} {english[:60]!r} is marked TODO")
    return tr


def _markdown_block(cell_id: str, english: str, todo: str = " TODO") -> str:
    return f"=== markdown {cell_id} en:{source_hash(english)}{todo}\n{english}\n"


def _code_block(kind: str, english: str) -> str:
    return f"=== {kind} TODO\n{english}\n---\n{english}\n"


# -- building ---------------------------------------------------------------------------------------

def _translate_code(source: str, tr: Translation, missing: list) -> str:
    pieces, last = [], 0
    for span in code_spans(source):
        table = tr.strings if span.kind == "string" else tr.comments
        korean = table.get(span.text)
        if korean is None:
            if span.required:
                missing.append(Item(span.kind, span.text, span.text))
            continue
        pieces += [source[last:span.start], korean]
        last = span.end
    pieces.append(source[last:])
    return LANG_EN.sub(LANG_KO, "".join(pieces))


def build_one(english: Path, tr: Translation | None = None):
    """The Korean edition of one English lesson, and the Items it still lacks (missing or stale)."""
    tr = tr or read_translation(translation_path(english))
    nb = nbformat.read(english, as_version=4)
    ko = copy.deepcopy(nb)
    missing: list[Item] = []
    for cell in ko.cells:
        if cell.cell_type == "markdown":
            digest, korean, _ = tr.markdown.get(cell.id, (None, None, False))
            if korean is None or digest != source_hash(cell.source):
                missing.append(Item("markdown", cell.id, cell.source))
            if korean is not None:
                cell.source = korean
        elif cell.cell_type == "code":
            cell.source = _translate_code(cell.source, tr, missing)
            cell.outputs, cell.execution_count = [], None
    ko.metadata["backprop_viz"] = {
        "edition": "ko", "built_from": f"../{english.name}",
        "edit": f"notebooks/ko/translations/{translation_path(english).name}, then: python tools/lessons.py build"}
    return ko, missing


def _write(nb, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")


# -- checking ---------------------------------------------------------------------------------------

def _prose(markdown: str) -> str:
    """A markdown text without its maths, code, link targets and HTML: the words a student reads."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", " ", text, flags=re.S)
    text = re.sub(r"\$[^$\n]+\$", " ", text)
    text = re.sub(r"`[^`\n]+`", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"<[^>\n]+>", " ", text)
    return text


def hangul_share(text: str) -> float:
    """Of the words of a text, the share in Hangul (English names and terms in parentheses count against it)."""
    hangul, latin = len(HANGUL_WORD.findall(text)), len(LATIN_WORD.findall(text))
    return hangul / (hangul + latin) if hangul + latin else 1.0


def korean_problems(text: str, where: str, markdown: bool) -> list[str]:
    """What is wrong with a piece of Korean a student reads: placeholders, too little Hangul, plain endings."""
    found = []
    prose = _prose(text) if markdown else text
    if PLACEHOLDER.search(text):
        found.append(f"{where}: a particle placeholder {PLACEHOLDER.search(text).group()!r} "
                     "(rephrase so the particle follows a fixed word)")
    if markdown and hangul_share(prose) < MIN_HANGUL_SHARE:
        found.append(f"{where}: not mostly Korean ({hangul_share(prose):.0%} of its words are Hangul)")
    if not markdown and not HANGUL.search(text):
        found.append(f"{where}: the translation has no Korean in it")
    for m in PLAIN_ENDING.finditer(prose):
        found.append(f"{where}: {m.group()!r} ends a sentence outside 합니다체 (-ㅂ니다, -ㅂ시다, -십시오)")
    if markdown:
        found += [f"{where}: {bad} (Markdown does not open or close the emphasis there: move the particle "
                  "out, e.g. **다음 ▶** 버튼을, or end the bold on a letter)" for bad in emphasis_problems(text)]
    return found


def _punctuation(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


def emphasis_problems(markdown: str) -> list[str]:
    """`**…**` (or `*…*`) that CommonMark will not render as emphasis. A closing run right after
    punctuation must be followed by a space or punctuation, so `**다음 ▶**을` and `**[1강](…)**부터` stay
    literal asterisks; likewise an opening run before punctuation must follow a space or punctuation."""
    text = re.sub(r"`[^`\n]*`", "`", _prose_keeping_emphasis(markdown))  # ends in punctuation, as code does
    found = []
    for paragraph in re.split(r"\n\s*\n", text):
        runs = [m for m in re.finditer(r"(?<!\*)(\*\*|\*)(?!\*)", paragraph)
                if not (m.group() == "*" and re.match(r"\s*$", paragraph[:m.start()].split("\n")[-1])
                        and paragraph[m.end():m.end() + 1] == " ")]  # a "* " list bullet
        for opening, closing in zip(runs[::2], runs[1::2]):
            for run, side in ((opening, "open"), (closing, "close")):
                before = paragraph[run.start() - 1] if run.start() else " "
                after = paragraph[run.end()] if run.end() < len(paragraph) else " "
                inner, outer = (after, before) if side == "open" else (before, after)
                if inner.isspace() or (_punctuation(inner) and not (outer.isspace() or _punctuation(outer))):
                    found.append(f"{paragraph[max(0, run.start() - 12):run.end() + 8].strip()!r}")
    return found


def _prose_keeping_emphasis(markdown: str) -> str:
    """Markdown without code blocks, its maths as "@" (JupyterLab hides maths from Markdown as @@n@@)."""
    text = re.sub(r"```.*?```", " ", markdown, flags=re.S)
    text = re.sub(r"\$\$.*?\$\$", "@", text, flags=re.S)
    return re.sub(r"\$[^$\n]+\$", "@", text)


def check_one(english: Path) -> list[str]:
    """Everything that keeps one Korean lesson from being a current, complete translation."""
    tpath, kpath = translation_path(english), korean_path(english)
    rel = lambda p: p.relative_to(ROOT).as_posix()  # noqa: E731
    if not tpath.exists():
        return [f"{rel(tpath)} is missing: run `python tools/lessons.py todo` and translate it"]
    tr = read_translation(tpath)
    problems = [f"{rel(tpath.parent)}/{e}" for e in tr.errors + tr.todo]
    ko, missing = build_one(english, tr)
    for item in missing:
        state = "stale (its English changed)" if item.kind == "markdown" and item.key in tr.markdown \
            else "not translated"
        what = f"markdown cell {item.key}" if item.kind == "markdown" else f"the {item.kind} {item.key[:70]!r}"
        english_text = "\n".join("    | " + line for line in item.english.split("\n"))
        problems.append(f"{rel(tpath)}: {what} is {state}; the English now:\n{english_text}")
    nb = nbformat.read(english, as_version=4)
    ids = {c.id for c in nb.cells if c.cell_type == "markdown"}
    used = {(s.kind, s.text) for c in nb.cells if c.cell_type == "code" for s in code_spans(c.source)}
    for cell_id in tr.markdown:
        if cell_id not in ids:
            problems.append(f"{rel(tpath)}: markdown cell {cell_id} is no longer in {english.name}: delete its block")
    for kind, table in (("string", tr.strings), ("comment", tr.comments)):
        for key, korean in table.items():
            if (kind, key) not in used:
                problems.append(f"{rel(tpath)}: the {kind} {key[:70]!r} is no longer in {english.name}: delete it")
            elif korean != key:
                problems += korean_problems(korean, f"{rel(tpath)}: the {kind} {key[:50]!r}", markdown=False)
                problems += _literal_problems(kind, key, korean, rel(tpath))
    for cell_id, (_, korean, _) in tr.markdown.items():
        problems += korean_problems(korean, f"{rel(tpath)}: markdown cell {cell_id}", markdown=True)
    if not kpath.exists():
        problems.append(f"{rel(kpath)} is missing: run `python tools/lessons.py build`")
    elif kpath.read_text(encoding="utf-8") != nbformat.writes(ko) + "\n":
        problems.append(f"{rel(kpath)} differs from what its English lesson and translation build "
                        "(edit the translation file, not the Korean notebook): run `python tools/lessons.py build`")
    return problems


def _literal_problems(kind: str, english: str, korean: str, where: str) -> list[str]:
    if kind == "comment":
        ok = korean.startswith("#") and "\n" not in korean
        return [] if ok else [f"{where}: the comment {english[:50]!r} must stay one line starting with #"]
    try:
        node = ast.parse("(" + korean.strip() + ")", mode="eval").body
    except SyntaxError as err:
        return [f"{where}: the Korean of {english[:50]!r} is not a Python string literal ({err.msg})"]
    def fields(n):  # the code in an f-string's fields; a field that is only a string literal is text
        return sorted(ast.unparse(v.value) for v in ast.walk(n)
                      if isinstance(v, ast.FormattedValue) and not _is_str(v.value))
    if not _is_str(node):
        return [f"{where}: the Korean of {english[:50]!r} is not a string literal"]
    if fields(node) != fields(ast.parse("(" + english.strip() + ")", mode="eval").body):
        return [f"{where}: the Korean of {english[:50]!r} must use the same {{fields}} as the English"]
    return []


def orphans() -> list[str]:
    """Korean lessons or translation files without an English lesson."""
    names = {p.stem for p in english_lessons()}
    return [f"{p.relative_to(ROOT).as_posix()} has no English lesson notebooks/{p.stem}.ipynb"
            for p in korean_lessons() + sorted(TRANSLATIONS.glob("*.txt")) if p.stem not in names]


# -- commands ---------------------------------------------------------------------------------------

def _selected(names) -> list[Path]:
    lessons = english_lessons()
    if not names:
        return lessons
    picked = [p for p in lessons if any(p.stem.startswith(n.zfill(2) if n.isdigit() else n) for n in names)]
    if not picked:
        raise SystemExit(f"no lesson matches {names}: the lessons are {[p.stem for p in lessons]}")
    return picked


def cmd_build(names) -> int:
    incomplete = 0
    for english in _selected(names):
        ko, missing = build_one(english)
        _write(ko, korean_path(english))
        note = f" — {len(missing)} parts still English or stale (see `check`)" if missing else ""
        incomplete += bool(missing)
        print(f"built {korean_path(english).relative_to(ROOT)}{note}")
    return 1 if incomplete else 0


def cmd_check(names) -> int:
    problems = orphans() if not names else []
    for english in _selected(names):
        problems += check_one(english)
    for p in problems:
        print(p)
    if problems:
        print(f"\n{len(problems)} problems. Translate in notebooks/ko/translations/, then run "
              "`python tools/lessons.py build` (`todo` adds a block for each missing part).")
        return 1
    print(f"The Korean lessons are complete and up to date ({len(_selected(names))} lessons).")
    return 0


def cmd_todo(names) -> int:
    for english in _selected(names):
        path = translation_path(english)
        tr = read_translation(path)
        _, missing = build_one(english, tr)
        if not missing:
            continue
        text = path.read_text(encoding="utf-8") if path.exists() else (
            f"Korean of notebooks/{english.name}, built into notebooks/ko/{english.name} by\n"
            "`python tools/lessons.py build`. Blocks start with a line `=== markdown CELL-ID en:HASH`,\n"
            "`=== string` or `=== comment` (the English source, a line `---`, the Korean source) or `=== keep`\n"
            "(literals that stay as they are). Text above the first block is not used.\n\n")
        for item in missing:
            if item.kind == "markdown" and item.key in tr.markdown:  # stale: keep the Korean, show the English
                m = re.search(rf"^=== markdown {re.escape(item.key)} en:\w+.*$", text, re.M)
                end = BLOCK.search(text, m.end())
                end = end.start() if end else len(text)
                body = text[m.end():end].split(ENGLISH_NOW)[0].rstrip("\n")
                text = (text[:m.start()] + _markdown_block(item.key, item.english).split("\n")[0] + body
                        + f"\n{ENGLISH_NOW}\n{item.english}\n\n" + text[end:].lstrip("\n"))
            elif item.kind == "markdown":
                text = text.rstrip("\n") + "\n\n" + _markdown_block(item.key, item.english)
            else:
                text = text.rstrip("\n") + "\n\n" + _code_block(item.kind, item.english)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"{path.relative_to(ROOT)}: {len(missing)} block{'s' if len(missing) > 1 else ''} to translate "
              "(marked TODO)")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("build", "check", "todo"))
    parser.add_argument("lessons", nargs="*", help="lesson numbers or names (default: every lesson)")
    args = parser.parse_args(argv)
    return {"build": cmd_build, "check": cmd_check, "todo": cmd_todo}[args.command](args.lessons)


if __name__ == "__main__":
    sys.exit(main())
