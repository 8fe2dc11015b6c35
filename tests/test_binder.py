"""binder/: its requirements, its Debian packages, the README's Binder links, and every lesson run in
a fresh environment built from exactly those files (as repo2docker builds it)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BINDER = REPO / "binder"
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb")) + sorted((REPO / "notebooks" / "ko").glob("*.ipynb"))
CELL_TIMEOUT_S = 600
# What repo2docker would not copy either (plus our local build products).
_NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis",
                                     "artifacts", "*.egg-info", "build", ".ipynb_checkpoints")


def _requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _apt_names() -> list[str]:
    return _requirement_lines(BINDER / "apt.txt")


# -- the binder files --------------------------------------------------------------------
def test_binder_requirements_are_the_projects_with_the_project_installed():
    binder = _requirement_lines(BINDER / "requirements.txt")
    assert "." in binder, "binder/requirements.txt must install the project itself (a `.` line)"
    pinned = {_name(r): r for r in binder if r != "."}
    for requirement in _requirement_lines(REPO / "requirements.txt"):
        assert pinned.get(_name(requirement)) == requirement, (
            f"binder/requirements.txt must list {requirement!r} exactly as requirements.txt does "
            f"(found {pinned.get(_name(requirement))!r})")
    for requirement in pinned.values():
        assert re.search(r">=\s*\d", requirement), f"{requirement!r} needs a minimum version (>=)"


def test_binder_runtime_names_a_supported_python():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-3\.(\d+)", runtime)
    assert match, f"binder/runtime.txt must read like 'python-3.11', not {runtime!r}"
    pyproject = (REPO / "pyproject.toml").read_text()
    minimum = int(re.search(r'requires-python\s*=\s*">=3\.(\d+)"', pyproject).group(1))
    assert int(match.group(1)) >= minimum, f"{runtime} is older than pyproject's requires-python"


def test_binder_needs_no_system_package():
    """Graphviz, the GIF rasteriser and a Hangul font come with pip: apt.txt names nothing."""
    assert _apt_names() == []


def test_apt_names_are_the_ones_our_setup_script_installs():
    script = (REPO / "tools" / "system_packages.sh").read_text()
    script_names = set(re.findall(r"missing\+=\(([\w.+-]+)\)", script)) - {"chromium"}
    assert set(_apt_names()) == script_names, (
        "binder/apt.txt and tools/system_packages.sh (lab) must name the same system packages: "
        f"apt.txt {sorted(_apt_names())}, script {sorted(script_names)}")


def test_every_apt_name_is_a_debian_package():
    if shutil.which("apt-cache") is None:
        pytest.skip("apt-cache is missing: not a Debian-like system, cannot look packages up")
    lists = Path("/var/lib/apt/lists")
    have_lists = lists.is_dir() and any(p.name.endswith(("Packages", "Packages.lz4", "Packages.gz",
                                                         "Packages.xz")) for p in lists.iterdir())
    unknown = []
    for name in _apt_names():
        shown = subprocess.run(["apt-cache", "show", "--no-all-versions", name],
                               capture_output=True, text=True)
        if shown.returncode != 0 or f"Package: {name}\n" not in shown.stdout:
            unknown.append(name)
    if unknown and not have_lists:
        pytest.skip(f"apt knows no package lists yet, so {unknown} could not be checked: "
                    "run `apt-get update` first")
    assert not unknown, (f"binder/apt.txt names {unknown}, which apt-cache does not know "
                         "(even after apt-get update): fix the package names")


# -- the README's Binder links -----------------------------------------------------------
def _binder_links() -> list[str]:
    readme = (REPO / "README.md").read_text()
    return re.findall(r"https://mybinder\.org/v2/gh/[^\s)\]>\"']+", readme)


def _target(url: str) -> str:
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    (urlpath,) = query.get("urlpath", [""])
    for prefix in ("lab/tree/", "voila/render/", "tree/", "notebooks/"):
        if urlpath.startswith(prefix):
            return urllib.parse.unquote(urlpath[len(prefix):])
    raise AssertionError(f"{url} opens no file (urlpath={urlpath!r})")


def test_readme_binder_links_open_lab_on_the_index_and_files_that_exist():
    links = _binder_links()
    assert any("urlpath=lab/tree/notebooks/00_index.ipynb" in url for url in links), (
        "README.md needs a Binder link opening notebooks/00_index.ipynb in JupyterLab")
    for url in links:
        target = _target(url)
        assert (REPO / target).is_file(), f"README's Binder link {url} opens {target}, which is missing"


# -- every lesson in a fresh Binder environment -------------------------------------------
@pytest.fixture(scope="module")
def binder_env(tmp_path_factory):
    """A copy of the repository and a fresh venv made from binder/requirements.txt, run from the
    copy's root as repo2docker does. pip's download cache is used as usual. binder/apt.txt installs
    no system package, so the lessons' kernels run with a PATH of the venv only: no `dot`, no
    `rsvg-convert` (what this machine may have installed by hand is not found)."""
    tmp = tmp_path_factory.mktemp("binder")
    repo = tmp / "repo"
    shutil.copytree(REPO, repo, ignore=_NOT_COPIED)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         "-r", "binder/requirements.txt"], cwd=repo, capture_output=True, text=True)
    assert install.returncode == 0, f"pip install -r binder/requirements.txt failed:\n{install.stderr[-4000:]}"
    where = subprocess.run([str(python), "-c", "import backprop_viz; print(backprop_viz.__file__)"],
                           cwd=repo / "notebooks", capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(venv), (
        f"the lessons must import the installed package, not {where.stdout.strip()}")
    kernels = tmp / "kernels"
    (kernels / "binder-env").mkdir(parents=True)
    (kernels / "binder-env" / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "env": {"PATH": str(venv / "bin")},
        "display_name": "Binder environment", "language": "python"}))
    return repo, kernels


def _outputs_with_tracebacks(nb) -> list[str]:
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr" \
                    and "Traceback" in out.get("text", ""):
                found.append(out["text"][:2000])
    return found


@pytest.mark.slow
@pytest.mark.dot
@pytest.mark.parametrize("notebook", NOTEBOOKS or [None],
                         ids=lambda p: p.relative_to(REPO / "notebooks").as_posix() if p else "none")
def test_lesson_runs_in_a_fresh_binder_environment(notebook, binder_env):
    if notebook is None:
        pytest.fail("notebooks/ holds no .ipynb: the Binder badge opens notebooks/00_index.ipynb",
                    pytrace=False)
    import nbformat
    from jupyter_client import KernelManager
    from jupyter_client.kernelspec import KernelSpecManager
    from nbclient import NotebookClient

    repo, kernels = binder_env
    copy = repo / notebook.relative_to(REPO)
    nb = nbformat.read(copy, as_version=4)
    km = KernelManager(kernel_name="binder-env",
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)]))
    client = NotebookClient(nb, km=km, timeout=CELL_TIMEOUT_S, allow_errors=False,
                            resources={"metadata": {"path": str(copy.parent)}})
    client.execute()  # raises CellExecutionError naming the cell on any error
    assert not _outputs_with_tracebacks(nb), _outputs_with_tracebacks(nb)
    ran = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert all(c.execution_count for c in ran), "every code cell must have run"


# -- tools/binder_link.py: the links for a fork --------------------------------------------
def _binder_link():
    import importlib.util

    spec = importlib.util.spec_from_file_location("binder_link", REPO / "tools" / "binder_link.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("remote", ["https://github.com/kim/backprop_viz.git", "git@github.com:kim/backprop_viz.git",
                                    "https://github.com/kim/backprop_viz", "ssh://git@github.com/kim/backprop_viz.git"])
def test_binder_link_reads_the_github_repository_from_a_remote(remote):
    assert _binder_link().github_repo(remote) == "kim/backprop_viz"


def test_binder_link_refuses_a_remote_that_is_not_github():
    with pytest.raises(ValueError, match="not a GitHub repository URL"):
        _binder_link().github_repo("https://gitlab.com/kim/backprop_viz.git")


def test_binder_link_rewrites_every_readme_link_and_keeps_the_targets():
    tool = _binder_link()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    new = tool.rewrite_readme(readme, "kim/backprop_viz", "main")
    old_links, new_links = _binder_links(), re.findall(r"https://mybinder\.org/v2/gh/[^\s)\]>\"']+", new)
    assert len(new_links) == len(old_links) >= 1
    assert all(url.startswith("https://mybinder.org/v2/gh/kim/backprop_viz/main?") for url in new_links)
    assert [_target(u) for u in new_links] == [_target(u) for u in old_links]
    assert _target(tool.lab_url("kim/x")) == "notebooks/00_index.ipynb"
    assert _target(tool.voila_url("kim/x", path="notebooks/04_chain_rule.ipynb")) == "notebooks/04_chain_rule.ipynb"


def test_binder_link_prints_lab_and_voila_links_for_both_editions():
    lines = _binder_link().links("kim/backprop_viz")
    targets = [_target(line.split(": ", 1)[1]) for line in lines]
    assert "notebooks/00_index.ipynb" in targets and "notebooks/ko/00_index.ipynb" in targets
    for folder in ("notebooks", "notebooks/ko"):
        for nb in sorted((REPO / folder).glob("[0-9][0-9]_*.ipynb")):
            if nb.name != "00_index.ipynb":
                assert f"{folder}/{nb.name}" in targets, f"no Voilà link for {folder}/{nb.name}"
    assert all((REPO / t).is_file() for t in targets)


_PIP_LINE = re.compile(r"git\+https://github\.com/[^\s\"'\\)`]+")


def test_binder_link_writes_the_repository_into_every_pip_install_line():
    tool = _binder_link()
    for name in tool.PIP_FILES:
        text = (REPO / name).read_text(encoding="utf-8")
        new = tool.rewrite_pip_urls(text, "kim/backprop_viz")
        before, after = _PIP_LINE.findall(text), _PIP_LINE.findall(new)
        assert before, f"{name} has no pip install line to write the repository into"
        named = [u for u in before if "<" not in u]  # '<owner>/<name>': the sentence's example stays
        assert [u for u in after if "<" not in u] == ["git+https://github.com/kim/backprop_viz"] * len(named), name
        assert [u for u in after if "<" in u] == [u for u in before if "<" in u], name
        assert new.replace("git+https://github.com/kim/backprop_viz", "") == \
            text.replace("git+https://github.com/OWNER/REPO", ""), f"{name}: only the URLs may change"


class _Shell:
    """What the index's install cell asks of IPython: one %pip line (recorded, not run)."""

    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line):
        self.magics.append((name, line))


def _install_branch(notebook):
    """The `if importlib.util.find_spec(...) is None:` block of the index's first code cell."""
    import ast

    import nbformat

    cell = next(c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code")
    tree = ast.parse(cell.source)
    block = next(n for n in tree.body if isinstance(n, ast.If) and "find_spec" in ast.unparse(n.test))
    return ast.unparse(block)


@pytest.mark.parametrize("notebook", ["notebooks/00_index.ipynb", "notebooks/ko/00_index.ipynb"])
def test_the_index_installs_the_package_from_the_repository_it_names(notebook, capsys):
    """A hosted notebook without the package: the first cell installs it from the repository the
    README names; a copy that names none yet says so in a sentence instead of a failing pip run."""
    import importlib.util
    import types

    tool = _binder_link()
    code = _install_branch(REPO / notebook)
    missing = types.SimpleNamespace(util=types.SimpleNamespace(find_spec=lambda name: None))
    here = types.SimpleNamespace(util=importlib.util)

    shell = _Shell()
    exec(code, {"importlib": missing, "get_ipython": lambda: shell})
    said = capsys.readouterr().out
    assert shell.magics == [], "with OWNER/REPO still in it, the cell must not run pip"
    assert "backprop_viz" in said and "%pip install" in said and "GitHub" in said
    if "/ko/" in notebook:
        assert re.search("[\uac00-\ud7a3]{2}", said) and "커널을 다시 시작하십시오" in said

    shell = _Shell()
    written = tool.rewrite_pip_urls(code, "kim/backprop_viz")
    exec(written, {"importlib": missing, "get_ipython": lambda: shell})
    assert shell.magics == [("pip", 'install -q "backprop_viz @ git+https://github.com/kim/backprop_viz"')]
    assert capsys.readouterr().out == ""

    shell = _Shell()
    exec(written, {"importlib": here, "get_ipython": lambda: shell})  # installed: nothing happens
    assert shell.magics == []
