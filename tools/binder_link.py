"""Binder links for this repository: print them, or write them into README.md (for a fork).

Both editions of the lessons: JupyterLab on the English index (notebooks/) and on the Korean one
(notebooks/ko/), and every lesson of each as an app (Voilà). `--write` also puts the repository into
the `pip install "backprop_viz @ git+https://github.com/…"` lines: the README's and the install cell
at the top of both index notebooks (what a hosted notebook runs when it lacks the package).

    python tools/binder_link.py                       # from `git remote get-url origin`
    python tools/binder_link.py --repo you/backprop_viz --ref main
    python tools/binder_link.py --write               # put your repository into README's badge
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"
INDEX = "notebooks/00_index.ipynb"
EDITIONS = {"English": "notebooks", "Korean (한국어)": "notebooks/ko"}  # name -> folder of its lessons
BINDER = "https://mybinder.org/v2/gh"
_BINDER_URL = re.compile(r"https://mybinder\.org/v2/gh/[^/\s)]+/[^/\s)]+/[^?\s)]+")
# the pip URL of the package: a repository name is letters, digits, '.', '-' and '_'
_PIP_URL = re.compile(r"git\+https://github\.com/[\w.-]+/[\w.-]+?(?=[\\\"'\s)`]|$)")
# the files that name the pip URL: the Korean index is built from its translation (tools/lessons.py)
PIP_FILES = ("README.md", INDEX, "notebooks/ko/translations/00_index.txt", "notebooks/ko/00_index.ipynb")


def github_repo(remote_url: str) -> str:
    """'owner/name' from a GitHub remote URL (https or ssh), or a ValueError saying why not."""
    m = re.fullmatch(r"(?:https?://(?:[^@/]+@)?github\.com/|git@github\.com:|ssh://git@github\.com/)"
                     r"([\w.-]+)/([\w.-]+?)(?:\.git)?/?", remote_url.strip())
    if not m:
        raise ValueError(f"{remote_url!r} is not a GitHub repository URL: give --repo OWNER/NAME.")
    return f"{m.group(1)}/{m.group(2)}"


def lab_url(repo: str, ref: str = "HEAD", path: str = INDEX) -> str:
    """Binder opening `path` in JupyterLab."""
    return f"{BINDER}/{repo}/{ref}?urlpath={urllib.parse.quote('lab/tree/' + path)}"


def voila_url(repo: str, ref: str = "HEAD", path: str = INDEX) -> str:
    """Binder showing `path` as an app with Voilà (no code cells)."""
    return f"{BINDER}/{repo}/{ref}?urlpath={urllib.parse.quote('voila/render/' + path)}"


def rewrite_readme(text: str, repo: str, ref: str = "HEAD") -> str:
    """README text with every Binder link pointing at `repo` and `ref`."""
    if not _BINDER_URL.search(text):
        raise ValueError("README.md has no mybinder.org link to rewrite.")
    return _BINDER_URL.sub(f"{BINDER}/{repo}/{ref}", text)


def rewrite_pip_urls(text: str, repo: str) -> str:
    """text with every `git+https://github.com/OWNER/NAME` install URL naming `repo`."""
    return _PIP_URL.sub(f"git+https://github.com/{repo}", text)


def _origin() -> str:
    done = subprocess.run(["git", "-C", str(REPO_ROOT), "remote", "get-url", "origin"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise ValueError("this clone has no `origin` remote: give --repo OWNER/NAME.")
    return done.stdout.strip()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", help="GitHub OWNER/NAME (default: from the origin remote)")
    parser.add_argument("--ref", default="HEAD", help="branch, tag or commit (default: HEAD)")
    parser.add_argument("--write", action="store_true", help="rewrite README.md's Binder links")
    args = parser.parse_args(argv)
    try:
        repo = args.repo or github_repo(_origin())
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo):
            raise ValueError(f"--repo must look like OWNER/NAME, not {repo!r}.")
        if args.write:
            README.write_text(rewrite_readme(README.read_text(encoding="utf-8"), repo, args.ref),
                              encoding="utf-8")
            for name in PIP_FILES:
                path = REPO_ROOT / name
                path.write_text(rewrite_pip_urls(path.read_text(encoding="utf-8"), repo), encoding="utf-8")
            print(f"README.md's Binder links now open {repo} at {args.ref}; the pip install lines of the "
                  f"README and of both index notebooks install from github.com/{repo}.")
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    for line in links(repo, args.ref):
        print(line)
    return 0


def links(repo: str, ref: str = "HEAD") -> list[str]:
    """For each edition: its index in JupyterLab, then each of its lessons as an app (Voilà)."""
    lines = []
    for edition, folder in EDITIONS.items():
        lessons = sorted((REPO_ROOT / folder).glob("[0-9][0-9]_*.ipynb"))
        if not lessons:
            continue
        lines.append(f"{edition} lessons in JupyterLab: {lab_url(repo, ref, f'{folder}/00_index.ipynb')}")
        lines += [f"  {folder}/{nb.name} as an app (Voilà): {voila_url(repo, ref, f'{folder}/{nb.name}')}"
                  for nb in lessons if nb.name != "00_index.ipynb"]
    return lines


if __name__ == "__main__":
    sys.exit(main())
