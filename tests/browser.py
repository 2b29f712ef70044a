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
      // optional page actions (probe(actions=...)): their result is kept as result.actions
      var run = window.__tg_probe_actions;
      var done = run ? Promise.resolve().then(run) : Promise.resolve(null);
      done.then(collect, function (err) { out.errors.push('probe actions: ' + err); collect(null); });
    }, 50);
    function collect(actionsResult) {
      var imgs = Array.prototype.map.call(document.images, function (im) {
        return {src: im.getAttribute('src').slice(0, 40), alt: im.alt, complete: im.complete,
                naturalWidth: im.naturalWidth, naturalHeight: im.naturalHeight};
      });
      var scripts = Array.prototype.filter.call(document.scripts, function (s) {
        return s.id !== '__tg_probe_script__' && s.id !== '__tg_probe_actions__';
      }).map(function (s) { return s.outerHTML; });
      var res = performance.getEntriesByType('resource').map(function (r) { return r.name; });
      var doc = document.documentElement;
      var result = {
        errors: out.errors, console: out.console, violations: out.violations,
        resources: res, images: imgs, scripts: scripts,
        text: document.body ? document.body.textContent : '',
        scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth,
        title: document.title, actions: actionsResult
      };
      var pre = document.createElement('pre');
      pre.id = '"""
    + PROBE_ID
    + """';
      pre.textContent = JSON.stringify(result);
      document.body.appendChild(pre);
    }
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


def inject_probe(source: str, *, actions: str | None = None) -> str:
    """The HTML with the probe script as the first element of ``<head>``.

    ``actions``: JavaScript, the body of an (async) function run once the page has loaded;
    what it returns (JSON-serialisable) becomes ``result["actions"]`` of :func:`probe`.
    """
    m = re.search(r"<head[^>]*>", source, flags=re.IGNORECASE)
    if m is None:
        raise ValueError("the HTML has no <head> element")
    extra = ""
    if actions is not None:
        extra = (
            '\n<script id="__tg_probe_actions__">\n'
            f"window.__tg_probe_actions = async function () {{\n{actions}\n}};\n</script>\n"
        )
    return source[: m.end()] + PROBE_JS + extra + source[m.end() :]


def probe(
    path: str | os.PathLike,
    *,
    timeout: float = 90.0,
    window: tuple[int, int] = (1280, 900),
    actions: str | None = None,
    budget_ms: int = 15000,
) -> dict[str, Any]:
    """Open a copy of ``path`` with the probe script injected; return what it recorded.

    ``actions`` (JavaScript, see :func:`inject_probe`) runs after the page loaded, e.g. to
    hover and click; ``budget_ms`` is chromium's virtual time budget.

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
        copy.write_text(
            inject_probe(src.read_text(encoding="utf-8"), actions=actions), encoding="utf-8"
        )
        proc = _run(
            [
                "--enable-logging=stderr",
                "--v=0",
                f"--virtual-time-budget={int(budget_ms)}",
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


# --------------------------------------------------------------------------- DevTools session


class Session:
    """A headless chromium driven over the DevTools protocol on a pipe (standard library only).

    Unlike :func:`probe` (virtual time, one shot), a session runs in real time, so pages can
    be timed, and sends real input events (``mouse``) to the page::

        with browser.Session() as s:
            s.open("map.html")
            s.evaluate("document.title")
            s.mouse("mouseMoved", 100, 200)
            s.requests       # every URL the page asked the network stack for
            s.problems()     # console errors/warnings and uncaught exceptions

    Chromium reads protocol messages from file descriptor 3 and writes its answers to 4
    (``--remote-debugging-pipe``), each a JSON text ending in a NUL byte.
    """

    def __init__(self, *, window: tuple[int, int] = (1280, 800), timeout: float = 120.0) -> None:
        import threading

        exe = find_chromium()
        if exe is None:
            raise RuntimeError("chromium not found (install Debian's chromium package)")
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="tg-cdp-")
        import fcntl

        def high(fd: int) -> int:  # above 4, so the shell's 3<& / 4>& cannot clobber it
            new = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(fd)
            return new

        to_chrome_r, self._to_chrome = (high(fd) for fd in os.pipe())
        self._from_chrome, from_chrome_w = (high(fd) for fd in os.pipe())
        # chromium expects the pipe ends on fds 3 and 4 of its own process: a shell puts
        # them there and execs chromium (bash: dash takes single-digit fds only)
        cmd = [
            shutil.which("bash") or "/bin/bash",
            "-c",
            f'exec "$0" "$@" 3<&{to_chrome_r} 4>&{from_chrome_w}',
            exe,
            *FLAGS,
            f"--user-data-dir={self._profile.name}",
            f"--window-size={window[0]},{window[1]}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(to_chrome_r, from_chrome_w),
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self.events: list[dict[str, Any]] = []
        self._mark = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable", session=True)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": window[0], "height": window[1], "deviceScaleFactor": 1, "mobile": False},
            session=True,
        )

    # -- protocol
    def _read(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._from_chrome, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._cond:
                    self._cond.notify_all()
                return
            buf += chunk
            while b"\0" in buf:
                raw, buf = buf.split(b"\0", 1)
                msg = json.loads(raw)
                with self._cond:
                    if "id" in msg:
                        self._replies[msg["id"]] = msg
                    else:
                        self.events.append(msg)
                    self._cond.notify_all()

    def call(
        self, method: str, params: dict[str, Any] | None = None, *, session: bool = False
    ) -> dict[str, Any]:
        """Send one command and return its result (raises on a protocol error)."""
        import time

        with self._cond:
            self._next_id += 1
            mid = self._next_id
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        with self._cond:
            while mid not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or self._proc.poll() is not None:
                    raise RuntimeError(f"no answer from chromium to {method}")
                self._cond.wait(min(left, 0.5))
            reply = self._replies.pop(mid)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_event(self, method: str, *, since: int = 0) -> dict[str, Any]:
        """The first event named ``method`` at position ``since`` or later (waits for it)."""
        import time

        deadline = time.monotonic() + self.timeout
        with self._cond:
            while True:
                for ev in self.events[since:]:
                    if ev.get("method") == method:
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"chromium sent no {method} event")
                self._cond.wait(min(left, 0.5))

    # -- page
    def open(self, path: str | os.PathLike) -> None:
        """Navigate to a local file and wait for its load event.

        ``requests`` and ``problems()`` report on this page only (events since this call).
        """
        with self._cond:
            self._mark = len(self.events)
        self.call("Page.navigate", {"url": Path(path).resolve().as_uri()}, session=True)
        self.wait_event("Page.loadEventFired", since=self._mark)

    def evaluate(self, expression: str) -> Any:
        """Value of a JavaScript expression (promises are awaited); raises on an exception."""
        res = self.call(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            session=True,
        )
        if "exceptionDetails" in res:
            raise RuntimeError(f"JavaScript error: {res['exceptionDetails']}")
        return res["result"].get("value")

    def wait_for(self, expression: str, *, timeout: float | None = None) -> Any:
        """Poll ``expression`` until it is truthy; return its value."""
        import time

        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        raise RuntimeError(f"timed out waiting for {expression!r}")

    def mouse(self, kind: str, x: float, y: float, *, button: str = "none") -> None:
        """A real mouse event (``mouseMoved``, ``mousePressed``, ``mouseReleased``)."""
        params: dict[str, Any] = {"type": kind, "x": x, "y": y, "button": button}
        if kind in ("mousePressed", "mouseReleased"):
            params["clickCount"] = 1
        self.call("Input.dispatchMouseEvent", params, session=True)

    def wheel(self, x: float, y: float, delta_y: float) -> None:
        """A mouse wheel turn at (x, y): negative ``delta_y`` scrolls up (zooms a map in)."""
        self.call(
            "Input.dispatchMouseEvent",
            {"type": "mouseWheel", "x": x, "y": y, "deltaX": 0, "deltaY": delta_y},
            session=True,
        )

    def drag(self, x0: float, y0: float, x1: float, y1: float, *, steps: int = 5) -> None:
        """Press the left button at (x0, y0), move to (x1, y1) in ``steps``, release."""
        self.mouse("mouseMoved", x0, y0)
        self.mouse("mousePressed", x0, y0, button="left")
        for k in range(1, steps + 1):
            xk, yk = x0 + (x1 - x0) * k / steps, y0 + (y1 - y0) * k / steps
            self.call(
                "Input.dispatchMouseEvent",
                {"type": "mouseMoved", "x": xk, "y": yk, "button": "left", "buttons": 1},
                session=True,
            )
        self.mouse("mouseReleased", x1, y1, button="left")

    def click(self, x: float, y: float) -> None:
        """Move to (x, y), press and release the left button."""
        self.mouse("mouseMoved", x, y)
        self.mouse("mousePressed", x, y, button="left")
        self.mouse("mouseReleased", x, y, button="left")

    def screenshot(self, png: str | os.PathLike) -> Path:
        """A PNG of the viewport."""
        import base64

        data = self.call("Page.captureScreenshot", {"format": "png"}, session=True)["data"]
        out = Path(png)
        out.write_bytes(base64.b64decode(data))
        return out

    @property
    def requests(self) -> list[str]:
        """URLs of every request the current page made (Network.requestWillBeSent)."""
        return [
            ev["params"]["request"]["url"]
            for ev in self.events[self._mark :]
            if ev.get("method") == "Network.requestWillBeSent"
        ]

    def problems(self) -> list[str]:
        """Uncaught exceptions, console errors/warnings and log errors of the current page."""
        out = []
        for ev in self.events[self._mark :]:
            m, p = ev.get("method"), ev.get("params", {})
            if m == "Runtime.exceptionThrown":
                out.append(f"exception: {p['exceptionDetails'].get('text')}")
            elif m == "Runtime.consoleAPICalled" and p.get("type") in (
                "error",
                "warning",
                "assert",
            ):
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in p["args"])
                out.append(f"console.{p['type']}: {args}")
            elif m == "Log.entryAdded" and p["entry"].get("level") in ("error", "warning"):
                out.append(f"log: {p['entry'].get('text')} {p['entry'].get('url', '')}")
        return out

    # -- lifetime
    def close(self) -> None:
        """Close chromium and clean up."""
        try:
            if self._proc.poll() is None:
                try:
                    os.write(
                        self._to_chrome,
                        json.dumps({"id": 0, "method": "Browser.close"}).encode() + b"\0",
                    )
                except OSError:
                    pass
                try:
                    self._proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(timeout=10)
        finally:
            for fd in (self._to_chrome, self._from_chrome):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self._profile.cleanup()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
