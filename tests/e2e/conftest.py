"""Fixtures for the browser tests: Chromium context, JupyterLab, Notebook 7 and Voilà servers, screenshots."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from . import pages, servers

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
_LATENCIES: list[tuple[str, list[float]]] = []


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"_e2e_rep_{report.when}", report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After the test body, fail it on any page error, kernel error or logged traceback."""
    context = item.funcargs.get("browser_context")
    try:
        result = yield
    except BaseException:
        found = context.problems.all() if context is not None else []
        if found:
            item.add_report_section("call", "browser problems", "\n\n".join(found))
        raise
    found = context.problems.all() if context is not None else []
    if found:
        pytest.fail("problems in the browser or kernel during the test:\n\n"
                    + "\n\n".join(found), pytrace=False)
    return result


def _failed(item) -> bool:
    rep = getattr(item, "_e2e_rep_call", None)
    return rep is None or rep.failed


def _test_name(request) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)


@pytest.fixture(scope="session")
def _playwright():
    reason = pages.missing_browser()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run on CI, but {reason}", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # widget updates on a loaded machine
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture
def browser_context(_playwright, tmp_path, request):
    """A Playwright BrowserContext on /usr/bin/chromium with a fresh profile.

    Non-loopback requests are aborted; uncaught page errors and kernel `error` messages
    (seen on the kernel websocket) fail the test. `browser_context.problems` holds them."""
    problems = pages.Problems()
    context = pages.launch_context(_playwright, tmp_path / "profile", problems)
    context.problems = problems
    yield context
    if _failed(request.node):
        for i, page in enumerate(context.pages):
            try:
                pages.screenshot(page, f"{_test_name(request)}-failed-{i}")
            except Exception:  # a crashed page must not hide the real failure
                pass
    context.close()


def _server_factory(cls, request):
    started = []

    def start(*paths):
        server = cls(*paths)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        if _failed(request.node):
            print(f"\n--- end of the {server.kind} log ---\n{server.log_tail()}")
        server.stop()


@pytest.fixture
def jupyter_lab(request):
    """Factory: `jupyter_lab(notebook, *other_files)` starts JupyterLab over a temp copy.

    Returns a servers.LabServer; `server.open(browser_context)` gives a Page showing the
    first notebook with its kernel idle. Stopped (with its kernels) after the test."""
    yield from _server_factory(servers.LabServer, request)


@pytest.fixture
def jupyter_notebook(request):
    """Factory: `jupyter_notebook(notebook, *other_files)` starts Jupyter Notebook 7 over a temp copy.

    Returns a servers.NotebookServer; `server.open(browser_context)` gives a Page showing the
    first notebook with its kernel idle. Stopped (with its kernels) after the test."""
    yield from _server_factory(servers.NotebookServer, request)


@pytest.fixture
def voila(request):
    """Factory: `voila(notebook, *other_files)` starts Voilà on that notebook (temp copy).

    Returns a servers.VoilaServer; `server.open(browser_context)` gives the rendered Page."""
    yield from _server_factory(servers.VoilaServer, request)


@pytest.fixture
def screenshot(request):
    """`screenshot(page, "label")` saves artifacts/screenshots/<test>-<label>.png."""
    return lambda page, label: pages.screenshot(page, f"{_test_name(request)}-{label}")


@pytest.fixture
def report_latency():
    """`report_latency("lab: click → SVG", [ms, …])` prints the median in the summary."""
    return lambda label, values: _LATENCIES.append((label, list(values)))


def pytest_terminal_summary(terminalreporter):
    if not _LATENCIES:
        return
    terminalreporter.section("browser latency (in-page, click → DOM updated)")
    for label, values in _LATENCIES:
        terminalreporter.write_line(
            f"{label}: median {pages.median(values):.1f} ms over {len(values)} clicks "
            f"(min {min(values):.1f}, max {max(values):.1f})")
