"""Drive Debian's headless chromium from tests, with the standard library only.

No DevTools websocket client is needed: chromium's one-shot modes do the work.

* :func:`probe` opens a *copy* of an HTML file into which a small script is injected as the
  very first element of ``<head>`` (before the page's own Content-Security-Policy). The
  script records ``window.onerror``, ``console.error``/``console.warn`` calls, CSP
  violations (every blocked attempt to load something), the resources the page fetched
  (``performance.getEntriesByType('resource')``), the decode state of every image, the
  ``<script>`` elements of the page and its text, and writes them as JSON into the DOM;
  ``--dump-dom`` prints the DOM after load. Chromium's own log (``--enable-logging=stderr``)
  is scanned for console messages too. The host resolver maps every name to nothing, so a
  request that slipped through could not reach the network anyway.
* :func:`screenshot` renders the original file to a PNG; :func:`print_pdf` prints it.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

#: Where chromium is looked for (``TWINNING_CHROMIUM`` overrides).
CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--mute-audio",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)

PROBE_ID = "__tg_probe__"

PROBE_JS = (
    """
<script id="__tg_probe_script__">
(function () {
  var out = {errors: [], console: [], violations: []};
  window.addEventListener('error', function (e) {
    out.errors.push(String(e.message || (e.target && (e.target.src || e.target.href)) || e));
  }, true);
  window.addEventListener('unhandledrejection', function (e) { out.errors.push(String(e.reason)); });
  ['error', 'warn'].forEach(function (level) {
    var orig = console[level];
    console[level] = function () {
      out.console.push(level + ': ' + Array.prototype.join.call(arguments, ' '));
      return orig.apply(console, arguments);
    };
  });
  document.addEventListener('securitypolicyviolation', function (e) {
    out.violations.push(e.violatedDirective + ' ' + e.blockedURI);
  });
  window.addEventListener('load', function () {
    setTimeout(function () {
      var imgs = Array.prototype.map.call(document.images, function (im) {
        return {src: im.getAttribute('src').slice(0, 40), alt: im.alt, complete: im.complete,
                naturalWidth: im.naturalWidth, naturalHeight: im.naturalHeight};
      });
      var scripts = Array.prototype.filter.call(document.scripts, function (s) {
        return s.id !== '__tg_probe_script__';
      }).map(function (s) { return s.outerHTML; });
      var res = performance.getEntriesByType('resource').map(function (r) { return r.name; });
      var doc = document.documentElement;
      var result = {
        errors: out.errors, console: out.console, violations: out.violations,
        resources: res, images: imgs, scripts: scripts,
        text: document.body ? document.body.textContent : '',
        scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth,
        title: document.title
      };
      var pre = document.createElement('pre');
      pre.id = '"""
    + PROBE_ID
    + """';
      pre.textContent = JSON.stringify(result);
      document.body.appendChild(pre);
    }, 50);
  });
})();
</script>
"""
)


def find_chromium() -> str | None:
    """Path of a chromium executable, or None."""
    env = os.environ.get("TWINNING_CHROMIUM")
    for cand in ((env,) if env else ()) + CANDIDATES:
        path = cand if os.path.isabs(cand) else shutil.which(cand)
        if path and os.path.exists(path) and os.access(path, os.X_OK):
            return path
    return None


def _run(args: list[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
    exe = find_chromium()
    if exe is None:
        raise RuntimeError("chromium not found (install Debian's chromium package)")
    with tempfile.TemporaryDirectory(prefix="tg-chromium-") as profile:
        cmd = [exe, *FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )


def inject_probe(source: str) -> str:
    """The HTML with the probe script as the first element of ``<head>``."""
    m = re.search(r"<head[^>]*>", source, flags=re.IGNORECASE)
    if m is None:
        raise ValueError("the HTML has no <head> element")
    return source[: m.end()] + PROBE_JS + source[m.end() :]


def probe(
    path: str | os.PathLike, *, timeout: float = 90.0, window: tuple[int, int] = (1280, 900)
) -> dict[str, Any]:
    """Open a copy of ``path`` with the probe script injected; return what it recorded.

    Returns
    -------
    dict
        errors, console, violations, resources, images, scripts, text, scrollWidth,
        clientWidth (from the page) and ``log_console``: console lines of chromium's own
        log, ``returncode`` and ``stderr`` (tail) of chromium.
    """
    src = Path(path)
    with tempfile.TemporaryDirectory(prefix="tg-probe-") as tmp:
        copy = Path(tmp) / src.name
        copy.write_text(inject_probe(src.read_text(encoding="utf-8")), encoding="utf-8")
        proc = _run(
            [
                "--enable-logging=stderr",
                "--v=0",
                "--virtual-time-budget=15000",
                f"--window-size={window[0]},{window[1]}",
                "--dump-dom",
                copy.resolve().as_uri(),
            ],
            timeout=timeout,
        )
    m = re.search(rf'<pre id="{PROBE_ID}">(.*?)</pre>', proc.stdout, flags=re.DOTALL)
    if m is None:
        raise RuntimeError(
            f"the probe wrote no result (chromium exit {proc.returncode}); "
            f"stderr tail:\n{proc.stderr[-3000:]}"
        )
    result: dict[str, Any] = json.loads(html.unescape(m.group(1)))
    result["log_console"] = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln]
    result["returncode"] = proc.returncode
    result["stderr"] = proc.stderr[-3000:]
    return result


def screenshot(
    path: str | os.PathLike,
    png: str | os.PathLike,
    *,
    window: tuple[int, int] = (1280, 2400),
    print_media: bool = False,
    timeout: float = 90.0,
) -> Path:
    """Render ``path`` in a window of ``window`` pixels and save it as ``png``."""
    out = Path(png).resolve()
    args = [
        f"--window-size={window[0]},{window[1]}",
        "--virtual-time-budget=15000",
        f"--screenshot={out}",
        Path(path).resolve().as_uri(),
    ]
    proc = _run(args, timeout=timeout)
    if not out.exists():
        raise RuntimeError(
            f"chromium wrote no screenshot (exit {proc.returncode}); stderr "
            f"tail:\n{proc.stderr[-3000:]}"
        )
    return out


def print_pdf(path: str | os.PathLike, pdf: str | os.PathLike, *, timeout: float = 90.0) -> Path:
    """Print ``path`` to ``pdf`` as chromium would on paper (print media CSS)."""
    out = Path(pdf).resolve()
    args = [
        "--virtual-time-budget=15000",
        "--no-pdf-header-footer",
        f"--print-to-pdf={out}",
        Path(path).resolve().as_uri(),
    ]
    proc = _run(args, timeout=timeout)
    if not out.exists():
        raise RuntimeError(
            f"chromium wrote no PDF (exit {proc.returncode}); stderr tail:\n{proc.stderr[-3000:]}"
        )
    return out


def pdf_pages(pdf: str | os.PathLike) -> int:
    """Number of pages of a PDF written by chromium (counts ``/Type /Page`` objects)."""
    data = Path(pdf).read_bytes()
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
