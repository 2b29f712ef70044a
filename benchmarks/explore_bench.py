"""How big is an interactive map, and how fast does it draw in headless chromium?

Builds ``tg.explore`` pages of the bundled network and of a SYNTHETIC 100,000-town network
(``tg.synthetic_network(100_000, 250_000, seed=0)``: about 311,000 linked pairs with its
projects), writes them, and opens each in Debian's headless chromium (DevTools session, real time) (software rendering,
no GPU: the slow case) with a script that records, inside the page:

- ``first_paint_ms``: from navigation start to the first frame painted after the first full
  drawing (HTML parsed, data decoded and unpacked, towns projected, partner lists built,
  basemap, links and towns drawn); ``decoded_ms`` and ``script_to_drawn_ms`` split it;
- ``redraw_ms``: a full redraw (basemap, every link, every town, labels), median of 5, at the
  map of Europe, a country (Poland) and a town (zoomed in);
- ``preview_ms``: a frame while dragging/zooming (the cached layers moved + the overlay);
- ``hover_ms``: finding the town under the mouse and showing its tooltip;
- ``click_ms``: selecting a town (partner list built and drawn);
- ``filter_ms``: changing the country filter (links recomputed and redrawn).

Timings are wall-clock on a shared 2-core machine: note the load (printed) when you quote them.

    python benchmarks/explore_bench.py [--towns 100000] [--links 250000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import browser  # noqa: E402

import twinning_graph as tg  # noqa: E402

ACTIONS = r"""(async function () {
var m = window.__tgmap;
var cv = document.getElementById('tg-canvas'), c2 = cv.getContext('2d');
function flush() { c2.getImageData(0, 0, 1, 1); }
var out = {first_paint_ms: m.timings.firstPaint, script_to_drawn_ms: m.timings.firstDraw,
           decoded_ms: m.timings.decoded, links_drawn: {}, redraw_ms: {}};
function median(xs) { xs.sort(function (a, b) { return a - b; }); return xs[Math.floor(xs.length / 2)]; }
function timeRedraw() {
  var xs = [];
  for (var i = 0; i < 5; i++) { var t0 = performance.now(); m.redraw(); flush(); xs.push(performance.now() - t0); }
  return median(xs);
}
var v0 = m.view();
out.redraw_ms.europe = timeRedraw(); out.links_drawn.europe = m.timings.linksDrawn;
var pl = m.project(19.0, 52.0);
m.setView(pl[0], pl[1], v0.s * 3.5);
out.redraw_ms.country = timeRedraw(); out.links_drawn.country = m.timings.linksDrawn;
var kr = m.project(19.94, 50.06);
m.setView(kr[0], kr[1], v0.s * 40);
out.redraw_ms.town = timeRedraw(); out.links_drawn.town = m.timings.linksDrawn;
m.setView(v0.cx, v0.cy, v0.s);
var xs = [], i;
for (i = 0; i < 5; i++) {
  var t1 = performance.now();
  m.setViewPreview(v0.cx + 1000 * (i + 1), v0.cy, v0.s); flush();
  xs.push(performance.now() - t1);
}
out.preview_ms = median(xs);
m.setView(v0.cx, v0.cy, v0.s);
var id = m.topTownInView();
var p = m.screenOf(id);
xs = [];
for (i = 0; i < 5; i++) { var t2 = performance.now(); m.hover(p[0] + (i % 2), p[1]); flush(); xs.push(performance.now() - t2); }
out.hover_ms = median(xs);
var t3 = performance.now(); m.click(p[0], p[1]); flush(); out.click_ms = performance.now() - t3;
out.partners_listed = document.querySelectorAll('#tg-partners li').length;
var t4 = performance.now(); m.setCountries(['PL']); flush(); out.filter_ms = performance.now() - t4;
return out;
})()"""


def measure(path: Path) -> dict:
    with browser.Session(window=(1280, 800), timeout=600) as s:
        s.open(path)
        s.wait_for("window.__tgmap && window.__tgmap.timings.firstPaint", timeout=600)
        out = s.evaluate(ACTIONS)
        # the benchmark's own getImageData flushes make chromium suggest willReadFrequently
        problems = [p for p in s.problems() if "willReadFrequently" not in p]
        requests = [u for u in s.requests if u != Path(path).resolve().as_uri()]
    if problems or requests:
        raise RuntimeError(f"page problems {problems}, requests {requests}")
    return {k: (round(v, 1) if isinstance(v, float) else v) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--towns", type=int, default=100_000)
    ap.add_argument("--links", type=int, default=250_000)
    ap.add_argument("--out", type=Path, default=None, help="keep the HTML files here")
    args = ap.parse_args()
    if browser.find_chromium() is None:
        sys.exit("chromium not found: apt-get install chromium")
    out_dir = args.out or Path(tempfile.mkdtemp(prefix="tg-explore-bench-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"load average: {os.getloadavg()}")
    rows = {}
    t = time.perf_counter()
    bundled = tg.load()
    cases = {"bundled": bundled}
    t = time.perf_counter()
    synthetic = tg.synthetic_network(args.towns, args.links, seed=0)
    print(
        f"synthetic network: {len(synthetic.towns):,} towns, {len(synthetic.edges):,} links "
        f"({time.perf_counter() - t:.1f} s to generate)"
    )
    cases["synthetic"] = synthetic
    for name, data in cases.items():
        t = time.perf_counter()
        m = tg.explore(data)
        build_s = time.perf_counter() - t
        path = m.save(out_dir / f"explore_{name}.html")
        size_mb = path.stat().st_size / 1e6
        t = time.perf_counter()
        timings = measure(path)
        wall_s = time.perf_counter() - t
        rows[name] = {
            "towns": m.n_towns,
            "links": m.n_links,
            "build_s": round(build_s, 2),
            "file_mb": round(size_mb, 2),
            "chromium_wall_s": round(wall_s, 1),
            **timings,
        }
        print(json.dumps({name: rows[name]}, indent=1, default=str))
    print(f"load average: {os.getloadavg()}")
    print(f"pages in {out_dir}")


if __name__ == "__main__":
    main()
