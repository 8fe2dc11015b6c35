"""Browser side of the e2e tests: a sealed-off Chromium, error collection and page helpers."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
START_TIMEOUT_S = 120  # a loaded 2-core machine can take a minute to bring Lab up
STDERR_MIME = '[data-mime-type="application/vnd.jupyter.stderr"]'
# Requests to anything but this machine are aborted (Voilà asks a CDN for fonts); the
# pattern is a regex so the loopback traffic is never intercepted at all.
NOT_LOOPBACK = re.compile(r"^(?!(https?|wss?)://(127\.0\.0\.1|localhost|\[::1\])[:/])[a-z]+://")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def missing_browser() -> str | None:
    """A sentence saying what the browser tests lack, or None when they can run."""
    if not os.access(CHROMIUM, os.X_OK):
        return (f"{CHROMIUM} is missing: install it with `tools/system_packages.sh test` "
                "(apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        return "the playwright package is missing: pip install -r requirements-test.txt"
    return None


class Problems:
    """What went wrong in the pages: uncaught JS errors and kernel tracebacks."""

    def __init__(self) -> None:
        self.page_errors: list[str] = []
        self.kernel_errors: list[str] = []
        self.blocked: list[str] = []  # non-loopback URLs that were aborted (information only)
        self.servers: list[tuple] = []  # (server, log offset when a page first opened it)

    def all(self) -> list[str]:
        return ([f"page error: {e}" for e in self.page_errors]
                + [f"kernel error: {e}" for e in self.kernel_errors]
                + [p for server, since in self.servers for p in server.log_problems(since)])

    def watch(self, page) -> None:
        page.on("pageerror", lambda exc: self.page_errors.append(
            f"{exc.message}\n{exc.stack or ''}"[:3000]))
        page.on("websocket", lambda ws: ws.on("framereceived", self._scan_frame))

    def _scan_frame(self, payload) -> None:
        raw = payload if isinstance(payload, bytes) else payload.encode("utf-8", "replace")
        if b'"error"' not in raw and b"Traceback" not in raw:
            return  # the common case: no need to decode a large SVG frame
        error = kernel_error(payload)
        if error:
            self.kernel_errors.append(error)


def watch_server(context, server) -> None:
    """Count tracebacks that `server` logs from now on among the context's problems."""
    problems = getattr(context, "problems", None)
    if problems is not None and all(s is not server for s, _ in problems.servers):
        problems.servers.append((server, server.log_size()))


def _decode_kernel_message(payload) -> dict | None:
    """A kernel message from a websocket frame: JSON text or the binary v1 protocol."""
    try:
        if isinstance(payload, str):
            return json.loads(payload)
        n = int.from_bytes(payload[:8], "little")
        offsets = [int.from_bytes(payload[8 * (i + 1):8 * (i + 2)], "little") for i in range(n)]
        parts = [payload[offsets[i]:offsets[i + 1]] for i in range(n - 1)]
        return {"channel": parts[0].decode(), "header": json.loads(parts[1]),
                "content": json.loads(parts[4])}
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


def kernel_error(payload) -> str | None:
    """The traceback text if the frame is a kernel `error` or a stderr Traceback, else None."""
    msg = _decode_kernel_message(payload)
    if not isinstance(msg, dict):
        return None
    msg_type = (msg.get("header") or {}).get("msg_type") or msg.get("msg_type")
    content = msg.get("content") or {}
    if msg_type == "error":
        text = "\n".join(content.get("traceback") or []) or \
            f"{content.get('ename')}: {content.get('evalue')}"
        return _ANSI.sub("", text)[:3000]
    if msg_type == "stream" and content.get("name") == "stderr" \
            and "Traceback" in content.get("text", ""):
        return _ANSI.sub("", content["text"])[:3000]
    return None


def _fontconfig(folder: Path) -> dict:
    """The browser's environment with a Hangul font, as a Korean student's machine has one: the
    system's fonts plus the NanumGothic that pip installed (a test machine may have no CJK font,
    and every Korean text would be boxes in the screenshots)."""
    from backprop_viz import fonts

    files = fonts.pip_hangul_files()
    if not files:
        return dict(os.environ)
    conf = folder / "fonts.conf"
    dirs = "".join(f"<dir>{d}</dir>" for d in sorted({str(Path(f).parent) for f in files}))
    conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                    '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                    f'{dirs}<cachedir>{folder / "fontconfig-cache"}</cachedir></fontconfig>\n')
    return {**os.environ, "FONTCONFIG_FILE": str(conf)}


def launch_context(playwright, profile_dir: str | os.PathLike, problems: Problems):
    """Debian's Chromium with a fresh profile, offline except loopback, errors collected."""
    context = playwright.chromium.launch_persistent_context(
        str(profile_dir), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 900}, env=_fontconfig(Path(profile_dir).parent))
    context.set_default_timeout(60_000)
    context.set_default_navigation_timeout(START_TIMEOUT_S * 1000)

    def _abort(route):
        problems.blocked.append(route.request.url)
        route.abort()

    context.route(NOT_LOOPBACK, _abort)
    context.on("page", problems.watch)
    for page in context.pages:  # a persistent context opens with one page
        problems.watch(page)
    return context


def blank_page(context):
    """The persistent context's first, still empty tab, or a new one."""
    return next((p for p in context.pages if p.url == "about:blank"), None) or context.new_page()


# -- page helpers ------------------------------------------------------------------------
_KERNEL_STATUS = ("() => { const w = window.jupyterapp.shell.currentWidget;"
                  " const k = w && w.sessionContext && w.sessionContext.session"
                  " && w.sessionContext.session.kernel; return k ? k.status : 'none'; }")


def kernel_status(page) -> str:
    """The Lab notebook's kernel status: 'idle', 'busy', 'starting', … or 'none'."""
    return page.evaluate(_KERNEL_STATUS)


def wait_kernel_idle(page, timeout_s: float = START_TIMEOUT_S) -> None:
    page.wait_for_function(f"() => ({_KERNEL_STATUS})() === 'idle'", timeout=timeout_s * 1000)


_RUN_ALL_DONE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const stderr = [...panel.node.querySelectorAll('%s')].map(e => e.textContent)
                   .find(t => t.includes('Traceback'));
  if (stderr) return 'traceback: ' + stderr.slice(0, 3000);  // Run All stops at a failing cell
  const k = panel.sessionContext.session && panel.sessionContext.session.kernel;
  if (!k || k.status !== 'idle') return false;
  const code = panel.content.widgets.filter(
    c => c.model.type === 'code' && c.model.sharedModel.getSource().trim() !== '');
  return code.every(c => c.model.executionCount !== null && c.model.executionState !== 'running')
    && 'done';
}""" % STDERR_MIME


def lab_run_all(page, timeout_s: float = START_TIMEOUT_S) -> None:
    """Run → Run All Cells from the menu bar, then wait until every code cell has run."""
    wait_kernel_idle(page)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    state = page.wait_for_function(_RUN_ALL_DONE, timeout=timeout_s * 1000).json_value()
    assert state == "done", f"Run All stopped on an error in a cell:\n{state}"
    assert_no_tracebacks(page)


def assert_no_tracebacks(page) -> None:
    """Fail if any stderr output on the page shows a Python traceback."""
    for text in page.locator(STDERR_MIME).all_text_contents():
        assert "Traceback" not in text, f"a cell printed a traceback:\n{text[:3000]}"


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG under artifacts/screenshots/ and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


_PROBE_START = """([clickSel, watchSel, text]) => {
  const target = document.querySelector(clickSel);
  if (!target) throw new Error('nothing on the page matches ' + clickSel);
  const until = %s;
  const shows = () => { const el = document.querySelector(watchSel); return !!el && !!until(el); };
  if (shows()) throw new Error(watchSel + ' already shows the awaited state before the click');
  const probe = window.__e2eProbe = {ms: null};
  let t0 = 0;
  probe.done = new Promise(resolve => {
    probe.observer = new MutationObserver(() => {
      if (!shows()) return;
      probe.ms = performance.now() - t0;
      probe.observer.disconnect(); resolve();
    });
  });
  probe.observer.observe(document.body, {childList: true, subtree: true, characterData: true});
  t0 = performance.now();
  target.click();
}"""
# Wait in short slices so a kernel traceback ends the wait at once instead of at the timeout.
_PROBE_WAIT = """async (sliceMs) => { const p = window.__e2eProbe;
  if (p.ms === null) await Promise.race([p.done, new Promise(r => setTimeout(r, sliceMs))]);
  return p.ms; }"""
# A player's picture holds every look of its sheet, most of them hidden: a text counts where it is drawn.
_SVG_HAS_TEXT = ("el => { const svg = el.querySelector('svg'); if (!svg) return false;"
                 " for (const t of svg.querySelectorAll('text')) if (t.textContent.includes(text)"
                 " && t.getBoundingClientRect().width > 0) return true; return false; }")
# The status line a player's picture draws (its sheet holds every step's, one shown).
PICTURE_STATUS = ".bpv-frame svg .bv-status:visible"


def drawn(scope, text):
    """The texts of the player picture in `scope` (a locator) that are drawn and contain `text`."""
    return scope.locator(".bpv-frame svg text:visible", has_text=text)


def click_latency(page, click: str, watch: str, *, text: str | None = None,
                  until: str | None = None, timeout_s: float = 30) -> float:
    """Milliseconds from element.click() to the DOM showing the new state, measured in-page.

    `click`, `watch`: CSS selectors (first match). The new state is either `text` drawn in
    the SVG inside `watch` (a hidden look does not count), or `until`, a JS function source `el => bool` given `watch`'s element.
    A MutationObserver on the document is started just before the click.
    """
    if (text is None) == (until is None):
        raise ValueError("give exactly one of text= (SVG text to wait for) or until= (JS el => bool)")
    problems = getattr(page.context, "problems", None)
    errors_before = len(problems.all()) if problems else 0
    page.evaluate(_PROBE_START % (until or _SVG_HAS_TEXT), [click, watch, text])
    deadline = time.monotonic() + timeout_s
    while True:
        ms = page.evaluate(_PROBE_WAIT, 250)
        if ms is not None:
            return ms
        new = problems.all()[errors_before:] if problems else []
        late = time.monotonic() > deadline
        if new or late:
            page.evaluate("() => window.__e2eProbe.observer.disconnect()")
            why = "\n\n".join(new) if new else f"nothing changed within {timeout_s} s"
            state = f"text {text!r} in its SVG" if text is not None else until
            raise AssertionError(f"after clicking {click}, {watch} never showed {state}: {why}")


def median(values) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
