/* twinning-graph interactive map: a canvas renderer for towns, links and country borders.
 * Part of twinning-graph (MIT licence). No third-party code, no network access: the data
 * is in the page (base64 of gzip, see explore/_payload.py) and every text from the data is
 * inserted with textContent or drawn with fillText, never parsed as HTML. */
(function () {
  'use strict';

  var cfg = JSON.parse(document.getElementById('tg-config').textContent);
  var canvas = document.getElementById('tg-canvas');
  var ctx = canvas.getContext('2d');
  var statusEl = document.getElementById('tg-status');
  var tooltip = document.getElementById('tg-tooltip');
  var T0 = performance.now();
  var api = window.__tgmap = {timings: {}, ready: false, layers: {links: true, towns: true}};

  function $(id) { return document.getElementById(id); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function fmt(n) { return Math.round(n).toLocaleString('en-US'); }
  function fold(s) { return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase(); }

  // ------------------------------------------------------------------ decoding
  function decode(b64) {
    var bin = atob(b64.trim());
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    if (typeof DecompressionStream === 'undefined') {
      return Promise.reject(new Error('this browser cannot decompress the map data (DecompressionStream)'));
    }
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).arrayBuffer();
  }
  var TYPED = {
    float32: Float32Array, float64: Float64Array, int16: Int16Array, int32: Int32Array,
    uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array
  };
  function unpack(buf) {
    var n = new DataView(buf).getUint32(0, true);
    var header = JSON.parse(new TextDecoder('utf-8').decode(new Uint8Array(buf, 4, n)));
    var arrays = {};
    Object.keys(header.arrays).forEach(function (name) {
      var spec = header.arrays[name];
      arrays[name] = new TYPED[spec[0]](buf, spec[1], spec[2]);
    });
    header.a = arrays;
    return header;
  }

  // ------------------------------------------------------------------ projection
  var D2R = Math.PI / 180;
  var P = cfg.projection;
  var mercator = !!cfg.tiles;
  var R = P.radius, L0 = P.lon0 * D2R, SP0 = Math.sin(P.lat0 * D2R), CP0 = Math.cos(P.lat0 * D2R);
  // the same spherical Lambert azimuthal equal-area projection as twinning_graph._basemap.project
  function project(lon, lat, out, k) {
    var lam = lon * D2R - L0, phi = lat * D2R;
    if (mercator) {
      var la = Math.max(-85.05, Math.min(85.05, lat)) * D2R;
      out[k] = R * lon * D2R;
      out[k + 1] = R * Math.log(Math.tan(Math.PI / 4 + la / 2));
      return;
    }
    var sp = Math.sin(phi), cp = Math.cos(phi), cl = Math.cos(lam);
    var den = 1 + SP0 * sp + CP0 * cp * cl;
    var kk = den > 1e-12 ? Math.sqrt(2 / den) : NaN;
    out[k] = R * kk * cp * Math.sin(lam);
    out[k + 1] = R * kk * (CP0 * sp - SP0 * cp * cl);
  }
  api.project = function (lon, lat) { var o = [0, 0]; project(lon, lat, o, 0); return o; };

  // ------------------------------------------------------------------ state
  var D;              // the unpacked data
  var N, M;           // towns, links
  var X, Y;           // projected town coordinates (metres)
  var SX, SY;         // screen coordinates of the last full draw (CSS pixels)
  var deg, adjStart, adjTown, adjEdge;
  var radius;         // base radius (px) per town
  var drawOrder;      // towns by decreasing radius
  var townColor;      // per-country colour strings
  var countrySel, kindSel = 0xffffffff, linkMode = 'touch';
  var edgeVis, townVis, nEdgeVis = 0, allCountries = true;
  var view = {cx: 0, cy: 0, s: 1};   // centre (metres) and scale (px per metre)
  var home = null;
  var W = 0, H = 0, DPR = 1;
  var selected = -1, hovered = -1, hoveredCand = -1;
  var cands = [], CX = [], CY = [];
  var base = null;    // basemap Path2D objects {eu, other}
  var cache = document.createElement('canvas');
  var cacheView = null, lastDrawMs = 0, settleTimer = 0, frameReq = 0;
  var grid = null;
  var tiles = {};
  var palette = cfg.style;

  // ------------------------------------------------------------------ setup
  function setup() {
    var a = D.a;
    N = D.ids.length; M = a.edge_a.length;
    X = new Float32Array(N); Y = new Float32Array(N);
    var tmp = [0, 0];
    for (var i = 0; i < N; i++) {
      project(a.lonlat[2 * i], a.lonlat[2 * i + 1], tmp, 0);
      X[i] = tmp[0]; Y[i] = tmp[1];
    }
    SX = new Float32Array(N); SY = new Float32Array(N);
    // partners of each town: CSR lists built by counting (one pass over the links)
    deg = new Uint32Array(N);
    for (var e = 0; e < M; e++) { deg[a.edge_a[e]]++; deg[a.edge_b[e]]++; }
    adjStart = new Uint32Array(N + 1);
    for (i = 0; i < N; i++) adjStart[i + 1] = adjStart[i] + deg[i];
    adjTown = new Uint32Array(2 * M); adjEdge = new Uint32Array(2 * M);
    var fill = adjStart.slice(0, N);
    for (e = 0; e < M; e++) {
      var u = a.edge_a[e], v = a.edge_b[e];
      adjTown[fill[u]] = v; adjEdge[fill[u]++] = e;
      adjTown[fill[v]] = u; adjEdge[fill[v]++] = e;
    }
    var maxDeg = 1;
    for (i = 0; i < N; i++) if (deg[i] > maxDeg) maxDeg = deg[i];
    // markers shrink as the map gets crowded, as on the static maps
    var rmax = Math.max(3.5, Math.min(9, 9 * Math.cbrt(200 / Math.max(N, 1))));
    var rmin = N > 2000 ? 1.1 : 2.5;
    radius = new Float32Array(N);
    for (i = 0; i < N; i++) radius[i] = rmin + (rmax - rmin) * Math.sqrt(deg[i] / maxDeg);
    drawOrder = new Uint32Array(N);
    for (i = 0; i < N; i++) drawOrder[i] = i;
    drawOrder.sort(function (p, q) { return radius[q] - radius[p]; });
    townColor = D.countries.map(function (c) { return c.color; });
    countrySel = new Uint8Array(D.countries.length).fill(1);
    edgeVis = new Uint8Array(M); townVis = new Uint8Array(N);
    // candidates
    cands = D.candidates || [];
    CX = new Float32Array(cands.length); CY = new Float32Array(cands.length);
    cands.forEach(function (c, k) {
      project(c.lon, c.lat, tmp, 0); CX[k] = tmp[0]; CY[k] = tmp[1];
      c.index = c.id !== null ? D.idIndex(c.id) : -1;
    });
    buildBasemap();
  }

  function buildBasemap() {
    if (mercator) { base = null; return; }
    var a = D.a, eu = new Path2D(), other = new Path2D(), tmp = [0, 0];
    for (var r = 0; r + 1 < a.ring_start.length; r++) {
      var f = D.basemap[a.ring_owner[r]], path = f.eu ? eu : other;
      for (var k = a.ring_start[r]; k < a.ring_start[r + 1]; k++) {
        project(a.ring_lonlat[2 * k], a.ring_lonlat[2 * k + 1], tmp, 0);
        if (k === a.ring_start[r]) path.moveTo(tmp[0], tmp[1]); else path.lineTo(tmp[0], tmp[1]);
      }
      path.closePath();
    }
    base = {eu: eu, other: other};
  }

  // ------------------------------------------------------------------ filters
  function computeVisibility() {
    var a = D.a, c = a.country, i, e;
    allCountries = true;
    for (i = 0; i < countrySel.length; i++) if (!countrySel[i]) { allCountries = false; break; }
    var allKinds = (kindSel >>> 0) === ((1 << D.kinds.length) - 1 >>> 0) || D.kinds.length >= 32 && kindSel === 0xffffffff;
    nEdgeVis = 0;
    for (e = 0; e < M; e++) {
      var u = a.edge_a[e], v = a.edge_b[e];
      var ok = (a.edge_kinds[e] & kindSel) !== 0;
      if (ok && !allCountries) {
        ok = linkMode === 'touch' ? (countrySel[c[u]] || countrySel[c[v]]) : (countrySel[c[u]] && countrySel[c[v]]);
      }
      edgeVis[e] = ok ? 1 : 0;
      if (ok) nEdgeVis++;
    }
    for (i = 0; i < N; i++) townVis[i] = countrySel[c[i]] && (allKinds || deg[i] === 0) ? 1 : 0;
    for (e = 0; e < M; e++) if (edgeVis[e]) { townVis[a.edge_a[e]] = 1; townVis[a.edge_b[e]] = 1; }
  }

  // ------------------------------------------------------------------ view
  function resize() {
    var rect = canvas.getBoundingClientRect();
    DPR = Math.min(window.devicePixelRatio || 1, 2);
    W = Math.max(1, Math.round(rect.width)); H = Math.max(1, Math.round(rect.height));
    canvas.width = Math.round(W * DPR); canvas.height = Math.round(H * DPR);
    cache.width = canvas.width; cache.height = canvas.height;
    cacheView = null;
  }
  function fitPoints(pts) {
    var tmp = [0, 0], x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    pts.forEach(function (p) {
      project(p[0], p[1], tmp, 0);
      if (!isFinite(tmp[0]) || !isFinite(tmp[1])) return;
      x0 = Math.min(x0, tmp[0]); x1 = Math.max(x1, tmp[0]);
      y0 = Math.min(y0, tmp[1]); y1 = Math.max(y1, tmp[1]);
    });
    if (!isFinite(x0)) { x0 = -3e6; x1 = 3e6; y0 = -2.5e6; y1 = 2.5e6; }
    var half = 50000;  // a single town still gets a window of about 100 km
    var mx = (x0 + x1) / 2, my = (y0 + y1) / 2;
    x0 = Math.min(x0, mx - half); x1 = Math.max(x1, mx + half);
    y0 = Math.min(y0, my - half); y1 = Math.max(y1, my + half);
    var s = Math.min((W - 40) / (x1 - x0), (H - 40) / (y1 - y0));
    return {cx: mx, cy: my, s: s * 0.95};
  }
  function toScreenX(x) { return (x - view.cx) * view.s + W / 2; }
  function toScreenY(y) { return H / 2 - (y - view.cy) * view.s; }
  function zoomAt(px, py, factor) {
    var s = Math.max(home.s / 8, Math.min(home.s * 4000, view.s * factor));
    var mx = view.cx + (px - W / 2) / view.s, my = view.cy - (py - H / 2) / view.s;
    view.s = s;
    view.cx = mx - (px - W / 2) / s; view.cy = my + (py - H / 2) / s;
    interact();
  }
  // the size factor of markers: they grow a little when zooming in from the map of Europe
  var europeS = 1;
  function zoomGrow(v) { return Math.max(1, Math.min(3, Math.pow((v || view).s / europeS, 0.35))); }

  // ------------------------------------------------------------------ drawing
  // A full drawing (basemap, links, towns) is a job of small steps: it runs in slices of
  // about 40 ms, so the page keeps answering the mouse while 300,000 links are drawn, and a
  // new view or filter cancels it. It draws into a back canvas that replaces the cached
  // layers when done; until then the old layers are shown, moved to the current view.
  var next = document.createElement('canvas');
  var job = null;
  var RASTER_LINKS = 5000;       // more links in view than this: our own line rasteriser
  var acc = null, layer = document.createElement('canvas');

  function startJob() {
    if (job) job.cancelled = true;
    job = {v: {cx: view.cx, cy: view.cy, s: view.s}, stage: 0, e: 0, cls: 0, t0: performance.now(), cancelled: false};
    return job;
  }
  function runJob(j, budget) {
    var tEnd = performance.now() + budget;
    while (j.stage < 4 && !j.cancelled) {
      if (j.stage === 0) { prepare(j); j.stage = 1; }
      else if (j.stage === 1) { if (!api.layers.links || linksStep(j, tEnd)) j.stage = 2; }
      else if (j.stage === 2) {
        if (!api.layers.towns) { flushPixels(j); j.stage = 3; } else if (townsStep(j)) j.stage = 3;
      }
      else { finishJob(j); j.stage = 4; }
      if (j.stage < 4 && performance.now() > tEnd) return false;
    }
    return true;
  }
  function drawFull() { runJob(startJob(), Infinity); }
  function drawSoon() {
    var j = startJob();
    (function slice() {
      if (j.cancelled) return;
      if (!runJob(j, 40)) setTimeout(slice, 0);
    })();
  }
  function prepare(j) {
    var v = j.v;
    if (next.width !== canvas.width || next.height !== canvas.height) { next.width = canvas.width; next.height = canvas.height; }
    var c = j.c = next.getContext('2d');
    c.setTransform(DPR, 0, 0, DPR, 0, 0);
    c.globalAlpha = 1;
    c.fillStyle = palette.sea; c.fillRect(0, 0, W, H);
    drawBase(c, v);
    for (var i = 0; i < N; i++) { SX[i] = (X[i] - v.cx) * v.s + W / 2; SY[i] = H / 2 - (Y[i] - v.cy) * v.s; }
    j.nView = countLinksInView();
    // api.rasterLinks: true / false forces one way of drawing links (tests, benchmarks)
    j.raster = api.rasterLinks === true || (j.nView > RASTER_LINKS && api.rasterLinks !== false);
    j.drawnLinks = 0;
    if (j.raster) {
      var w = Math.round(W * DPR), h = Math.round(H * DPR);
      if (!acc || acc.length !== w * h) acc = new Uint16Array(w * h); else acc.fill(0);
      j.w = w; j.h = h;
    } else {
      c.strokeStyle = palette.link;
      c.lineWidth = j.nView < 500 ? 0.9 : j.nView < 5000 ? 0.6 : 0.4;
      j.batch = 0;
      c.beginPath();
    }
  }
  function drawBase(c, v) {
    if (mercator) { drawTiles(c, v); return; }
    c.save();
    c.setTransform(DPR * v.s, 0, 0, -DPR * v.s, DPR * (W / 2 - v.cx * v.s), DPR * (H / 2 + v.cy * v.s));
    c.fillStyle = palette.nonEuFill; c.fill(base.other);
    c.fillStyle = palette.euFill; c.fill(base.eu);
    c.lineWidth = 0.6 / v.s; c.strokeStyle = palette.border;
    c.stroke(base.other); c.stroke(base.eu);
    c.restore();
  }
  function drawTiles(c, v) {
    var world = 2 * Math.PI * R;
    var z = Math.max(0, Math.min(19, Math.round(Math.log2(v.s * world / 256))));
    var n = 1 << z, size = world / n;                 // metres per tile
    var x0 = v.cx - W / 2 / v.s, x1 = v.cx + W / 2 / v.s;
    var y0 = v.cy - H / 2 / v.s, y1 = v.cy + H / 2 / v.s;
    var tx0 = Math.floor((x0 + world / 2) / size), tx1 = Math.floor((x1 + world / 2) / size);
    var ty0 = Math.floor((world / 2 - y1) / size), ty1 = Math.floor((world / 2 - y0) / size);
    for (var ty = Math.max(0, ty0); ty <= Math.min(n - 1, ty1); ty++) {
      for (var tx = tx0; tx <= tx1; tx++) {
        var wx = ((tx % n) + n) % n;
        var url = cfg.tiles.url.replace('{z}', z).replace('{x}', wx).replace('{y}', ty).replace('{s}', 'abc'[(wx + ty) % 3]);
        var img = tiles[url];
        if (!img) {
          img = tiles[url] = new Image();
          img.onload = function () { drawSoon(); };
          img.src = url;
        }
        if (img.complete && img.naturalWidth) {
          var left = (tx * size - world / 2 - v.cx) * v.s + W / 2, top = H / 2 - (world / 2 - ty * size - v.cy) * v.s;
          c.drawImage(img, left, top, size * v.s + 0.5, size * v.s + 0.5);
        }
      }
    }
  }
  function linkAlpha(n) { return Math.max(0.04, Math.min(0.7, 12 / Math.sqrt(Math.max(n, 1)))); }
  function countLinksInView() {
    var ea = D.a.edge_a, eb = D.a.edge_b, n = 0;
    for (var e = 0; e < M; e++) {
      if (!edgeVis[e]) continue;
      var x1 = SX[ea[e]], y1 = SY[ea[e]], x2 = SX[eb[e]], y2 = SY[eb[e]];
      if ((x1 < 0 && x2 < 0) || (x1 > W && x2 > W) || (y1 < 0 && y2 < 0) || (y1 > H && y2 > H)) continue;
      n++;
    }
    return n;
  }
  function linksStep(j, tEnd) {
    var ea = D.a.edge_a, eb = D.a.edge_b, c = j.c, e = j.e;
    if (j.raster) {
      // Many links: our own line rasteriser counts, per pixel, the links crossing it; the
      // count d shows with the opacity of d overlapping strokes of alpha a (1 - (1-a)^d).
      // Same look as the canvas strokes, a fraction of their cost at 300,000 links.
      var w = j.w, h = j.h, xmax = w - 1, ymax = h - 1;
      for (; e < M; e++) {
        if ((e & 4095) === 0 && performance.now() > tEnd) { j.e = e; return false; }
        if (!edgeVis[e]) continue;
        var x1 = SX[ea[e]] * DPR, y1 = SY[ea[e]] * DPR, x2 = SX[eb[e]] * DPR, y2 = SY[eb[e]] * DPR;
        var dx = x2 - x1, dy = y2 - y1, t0 = 0, t1 = 1, r;
        // clip to the canvas (Liang-Barsky), each side in turn
        if (dx === 0) { if (x1 < 0 || x1 > xmax) continue; }
        else {
          var ra = -x1 / dx, rb = (xmax - x1) / dx;
          if (dx > 0) { if (ra > t0) t0 = ra; if (rb < t1) t1 = rb; } else { if (rb > t0) t0 = rb; if (ra < t1) t1 = ra; }
        }
        if (dy === 0) { if (y1 < 0 || y1 > ymax) continue; }
        else {
          var rc = -y1 / dy, rd = (ymax - y1) / dy;
          if (dy > 0) { if (rc > t0) t0 = rc; if (rd < t1) t1 = rd; } else { if (rd > t0) t0 = rd; if (rc < t1) t1 = rc; }
        }
        if (t0 > t1) continue;
        var ax = x1 + t0 * dx, ay = y1 + t0 * dy, bx = x1 + t1 * dx, by = y1 + t1 * dy;
        var adx = bx - ax, ady = by - ay;
        var steps = Math.ceil(Math.max(adx < 0 ? -adx : adx, ady < 0 ? -ady : ady)) || 1;
        var sx2 = adx / steps, sy2 = ady / steps, x = ax + 0.5, y = ay + 0.5;
        for (r = 0; r <= steps; r++) {
          var q = (y | 0) * w + (x | 0);
          if (acc[q] < 65535) acc[q]++;
          x += sx2; y += sy2;
        }
        j.drawnLinks++;
      }
      j.e = M;
      toneMap(j);
    } else {
      c.globalAlpha = linkAlpha(j.nView);
      for (; e < M; e++) {
        if ((e & 4095) === 0 && performance.now() > tEnd) { j.e = e; c.stroke(); c.beginPath(); c.globalAlpha = 1; return false; }
        if (!edgeVis[e]) continue;
        var u = ea[e], v = eb[e], p1 = SX[u], q1 = SY[u], p2 = SX[v], q2 = SY[v];
        if ((p1 < 0 && p2 < 0) || (p1 > W && p2 > W) || (q1 < 0 && q2 < 0) || (q1 > H && q2 > H)) continue;
        c.moveTo(p1, q1); c.lineTo(p2, q2);
        j.drawnLinks++;
        // strokes in batches, so that overlapping links darken (density stays visible)
        if (++j.batch === 3000) { c.stroke(); c.beginPath(); j.batch = 0; }
      }
      c.stroke();
      c.globalAlpha = 1;
      j.e = M;
    }
    api.timings.linksDrawn = j.drawnLinks;
    api.timings.linkMode = j.raster ? 'raster' : 'vector';
    return true;
  }
  function toneMap(j) {
    // a one-pixel line covers its pixels fully where a 0.4 px anti-aliased stroke covers
    // about 40 %: the same factor keeps the two looks alike
    var a = linkAlpha(j.nView) * 0.45, rgb = hexRgb(palette.link), lut = new Uint32Array(1024);
    // little-endian RGBA words; the opacity of d links looked up, not computed per pixel
    for (var d = 1; d < 1024; d++) {
      var alpha = Math.round(255 * (1 - Math.pow(1 - a, d)));
      lut[d] = ((alpha << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0;
    }
    var px = pixels(j);
    for (var i = 0; i < acc.length; i++) {
      var n = acc[i];
      if (n) px[i] = lut[n < 1024 ? n : 1023];
    }
  }
  // the pixel layer of a job (raster links, small towns), put on the canvas after them
  function pixels(j) {
    if (!j.img) {
      j.img = new ImageData(Math.round(W * DPR), Math.round(H * DPR));
      j.px = new Uint32Array(j.img.data.buffer);
    }
    return j.px;
  }
  function flushPixels(j) {
    if (!j.img) return;
    if (layer.width !== j.img.width || layer.height !== j.img.height) { layer.width = j.img.width; layer.height = j.img.height; }
    layer.getContext('2d').putImageData(j.img, 0, 0);
    j.c.save(); j.c.setTransform(1, 0, 0, 1, 0, 0); j.c.drawImage(layer, 0, 0); j.c.restore();
    j.img = null; j.px = null;
  }
  function hexRgb(hex) {
    var v = parseInt(hex.slice(1), 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  // towns in four size classes, big first (small towns stay visible on top), one path per
  // country colour and class; with many towns in view the smallest (2-3 px squares) are
  // written straight into the pixel layer, which is much faster than 100,000 canvas shapes
  var townRGBA = null;
  function townsStep(j) {
    var c = j.c, country = D.a.country, g = zoomGrow(j.v), classes = 4, per = Math.ceil(N / classes);
    var nC = townColor.length, paths = [], k, i, idx, cls = j.cls;
    if (cls === 0) {
      j.drawnTowns = 0;
      j.pixelTowns = N > 5000;
      if (!townRGBA) townRGBA = townColor.map(function (h) { var v = hexRgb(h); return ((255 << 24) | (v[2] << 16) | (v[1] << 8) | v[0]) >>> 0; });
      if (j.pixelTowns) {
        // pixel towns are drawn first, then the layer, then the bigger towns as shapes
        var px = pixels(j), w = j.img.width, h = j.img.height;
        for (idx = N - 1; idx >= 0; idx--) {
          i = drawOrder[idx];
          if (!townVis[i] || radius[i] * g >= 1.6) continue;
          var d = radius[i] * g < 1.1 ? 2 : 3, sd = Math.max(1, Math.round(d * DPR));
          var x0 = Math.round(SX[i] * DPR - sd / 2), y0 = Math.round(SY[i] * DPR - sd / 2);
          if (x0 < 0 || y0 < 0 || x0 + sd > w || y0 + sd > h) continue;
          var col = townRGBA[country[i]];
          for (var yy = 0; yy < sd; yy++) for (var xx = 0, q = (y0 + yy) * w + x0; xx < sd; xx++) px[q + xx] = col;
          j.drawnTowns++;
        }
      }
      flushPixels(j);
    }
    var end = Math.min(N, (cls + 1) * per);
    for (idx = cls * per; idx < end; idx++) {
      i = drawOrder[idx];
      if (!townVis[i]) continue;
      var x = SX[i], y = SY[i], r = radius[i] * g;
      if (r < 1.6 && j.pixelTowns) continue;
      if (x < -r || x > W + r || y < -r || y > H + r) continue;
      var p = paths[country[i]] || (paths[country[i]] = new Path2D());
      if (r < 1.6) { var dd = r < 1.1 ? 2 : 3; p.rect(Math.round(x - dd / 2), Math.round(y - dd / 2), dd, dd); }
      else { p.moveTo(x + r, y); p.arc(x, y, r, 0, 2 * Math.PI); }
      j.drawnTowns++;
    }
    for (k = 0; k < nC; k++) {
      if (!paths[k]) continue;
      c.fillStyle = townColor[k]; c.fill(paths[k]);
      if (N < 4000) { c.lineWidth = 0.6; c.strokeStyle = 'rgba(255,255,255,0.9)'; c.stroke(paths[k]); }
    }
    j.cls = cls + 1;
    api.timings.townsDrawn = j.drawnTowns;
    return j.cls >= classes;
  }
  function finishJob(j) {
    var tmp = cache; cache = next; next = tmp;
    cacheView = j.v;
    buildGrid(j.v);
    lastDrawMs = performance.now() - j.t0;
    api.timings.lastFullDraw = lastDrawMs;
    if (job === j) job = null;
    present();
  }

  // the cached layers (moved and scaled while the user drags or zooms) and the overlay
  function present() {
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    if (cacheView && (cacheView.cx !== view.cx || cacheView.cy !== view.cy || cacheView.s !== view.s)) {
      ctx.fillStyle = palette.sea; ctx.fillRect(0, 0, canvas.width, canvas.height);
      var k = view.s / cacheView.s;
      var dx = ((cacheView.cx - view.cx) * view.s + W / 2 - W / 2 * k) * DPR;
      var dy = ((view.cy - cacheView.cy) * view.s + H / 2 - H / 2 * k) * DPR;
      ctx.drawImage(cache, dx, dy, canvas.width * k, canvas.height * k);
    } else {
      ctx.drawImage(cache, 0, 0);
    }
    ctx.setTransform(DPR, 0, 0, DPR, 0, 0);
    if (selected >= 0 || cands.length) {
      // a selection: the rest of the network steps back behind a light veil
      ctx.fillStyle = 'rgba(255,255,255,0.45)'; ctx.fillRect(0, 0, W, H);
    }
    drawOverlay(ctx);
  }
  function sx(x) { return toScreenX(x); }
  function sy(y) { return toScreenY(y); }
  function star(c, x, y, r) {
    c.beginPath();
    for (var k = 0; k < 10; k++) {
      var rr = k % 2 ? r * 0.45 : r, ang = -Math.PI / 2 + k * Math.PI / 5;
      c.lineTo(x + rr * Math.cos(ang), y + rr * Math.sin(ang));
    }
    c.closePath();
  }
  function diamond(c, x, y, r) {
    c.beginPath(); c.moveTo(x, y - r); c.lineTo(x + r, y); c.lineTo(x, y + r); c.lineTo(x - r, y); c.closePath();
  }
  function drawOverlay(c) {
    var labels = [], g = zoomGrow(), hs = palette.highlight, i, k;
    if (selected >= 0) {
      var x0 = sx(X[selected]), y0 = sy(Y[selected]);
      // candidate lines first (dashed), then the partner links
      if (cands.length) {
        c.save(); c.setLineDash([5, 4]); c.strokeStyle = palette.candidate.link; c.lineWidth = 1.1; c.globalAlpha = 0.8;
        c.beginPath();
        for (k = 0; k < cands.length; k++) { c.moveTo(x0, y0); c.lineTo(sx(CX[k]), sy(CY[k])); }
        c.stroke(); c.restore();
      }
      c.strokeStyle = hs.link; c.lineWidth = 1.6; c.globalAlpha = 0.85; c.beginPath();
      for (k = adjStart[selected]; k < adjStart[selected + 1]; k++) {
        i = adjTown[k];
        c.moveTo(x0, y0); c.lineTo(sx(X[i]), sy(Y[i]));
      }
      c.stroke(); c.globalAlpha = 1;
      var partners = [];
      for (k = adjStart[selected]; k < adjStart[selected + 1]; k++) partners.push(adjTown[k]);
      partners.sort(function (p, q) { return deg[q] - deg[p]; });
      partners.forEach(function (p, n) {
        var x = sx(X[p]), y = sy(Y[p]), r = Math.max(4.5, radius[p] * g + 1.5);
        // the partner's country colour, a white gap, then a ring in the highlight colour
        c.beginPath(); c.arc(x, y, r, 0, 2 * Math.PI);
        c.fillStyle = townColor[D.a.country[p]]; c.fill();
        c.lineWidth = 1.5; c.strokeStyle = '#fff'; c.stroke();
        c.beginPath(); c.arc(x, y, r + 1.8, 0, 2 * Math.PI);
        c.lineWidth = 1.6; c.strokeStyle = hs.color; c.stroke();
        if (n >= 40) return;
        if (x >= 0 && x <= W && y >= 0 && y <= H) labels.push({x: x, y: y, r: r + 2, text: D.names[p], prio: 2, town: p});
        else {
          // off the frame: named where its link leaves the map, with an arrow to it
          var e = edgePoint(x0, y0, x, y);
          if (e) labels.push({x: e[0], y: e[1], r: 2, text: arrow(x - x0, y - y0) + ' ' + D.names[p] + ' (' + D.countries[D.a.country[p]].code + ')', prio: 2, town: p, edge: true});
        }
      });
    }
    // candidates: diamonds in their country's colour
    for (k = 0; k < cands.length; k++) {
      var cx = sx(CX[k]), cy = sy(CY[k]);
      diamond(c, cx, cy, 6.5);
      c.fillStyle = cands[k].color; c.fill();
      c.lineWidth = 1.3; c.strokeStyle = palette.candidate.edge; c.stroke();
      labels.push({x: cx, y: cy, r: 7, text: cands[k].rank + '. ' + cands[k].name, prio: 1});
    }
    if (selected >= 0) {
      var hx = sx(X[selected]), hy = sy(Y[selected]);
      star(c, hx, hy, 11);
      c.fillStyle = hs.color; c.fill(); c.lineWidth = 1.2; c.strokeStyle = hs.edge; c.stroke();
      labels.push({x: hx, y: hy, r: 11, text: D.names[selected], prio: 0, bold: true, town: selected});
    }
    if (hovered >= 0) {
      c.beginPath(); c.arc(sx(X[hovered]), sy(Y[hovered]), Math.max(5, radius[hovered] * g + 3), 0, 2 * Math.PI);
      c.lineWidth = 2; c.strokeStyle = '#000'; c.stroke();
    }
    // the most connected towns in view are named too (when nothing is selected)
    if (grid && grid.top && selected < 0) {
      grid.top.forEach(function (i2) {
        labels.push({x: sx(X[i2]), y: sy(Y[i2]), r: radius[i2] * g, text: D.names[i2], prio: 3, town: i2});
      });
    }
    placeLabels(c, labels);
  }
  // where the segment from (x0, y0) inside the map towards (x1, y1) leaves it (4 px inset)
  function edgePoint(x0, y0, x1, y1) {
    var m = 4, t = 1, dx = x1 - x0, dy = y1 - y0;
    if (x0 < m || x0 > W - m || y0 < m || y0 > H - m) return null;
    if (dx > 0) t = Math.min(t, (W - m - x0) / dx); else if (dx < 0) t = Math.min(t, (m - x0) / dx);
    if (dy > 0) t = Math.min(t, (H - m - y0) / dy); else if (dy < 0) t = Math.min(t, (m - y0) / dy);
    return [x0 + t * dx, y0 + t * dy];
  }
  function arrow(dx, dy) {
    var k = Math.round(Math.atan2(dy, dx) / (Math.PI / 4));
    return ['\u2192', '\u2198', '\u2193', '\u2199', '\u2190', '\u2196', '\u2191', '\u2197'][(k + 8) % 8];
  }
  // greedy label placement: by priority, four positions each, no overlap
  function placeLabels(c, labels) {
    labels.sort(function (p, q) { return p.prio - q.prio; });
    var placed = [{x0: 0, x1: 46, y0: 0, y1: 104}];  // the zoom buttons
    labels.forEach(function (l) {
      placed.push({x0: l.x - l.r, x1: l.x + l.r, y0: l.y - l.r, y1: l.y + l.r, mark: true});
    });
    c.textBaseline = 'middle';
    var shown = 0, named = {};
    labels.forEach(function (l) {
      if (l.x < 0 || l.x > W || l.y < 0 || l.y > H) return;
      if (l.town !== undefined) { if (named[l.town]) return; named[l.town] = true; }
      c.font = (l.bold ? 'bold ' : '') + (l.prio === 3 ? '11px' : '12px') + ' system-ui, sans-serif';
      var text = l.text.length > 40 ? l.text.slice(0, 39) + '…' : l.text;
      var w = c.measureText(text).width, h = 14, gap = l.r + 3;
      var spots = [[l.x + gap, l.y - h / 2 - 2], [l.x - gap - w, l.y - h / 2 - 2], [l.x + gap, l.y + 2], [l.x - gap - w, l.y + 2 - h / 2 + 4]];
      if (l.edge) {
        // at the frame edge: kept inside the map, beside the point where the link leaves
        var ex = Math.max(2, Math.min(W - w - 2, l.x - w / 2)), ey = Math.max(2, Math.min(H - h - 2, l.y - h / 2));
        spots = [[ex, ey], [ex, Math.max(2, ey - h - 2)], [ex, Math.min(H - h - 2, ey + h + 2)], [50, ey], [ex, 108]];
      }
      for (var s = 0; s < spots.length; s++) {
        var bx = spots[s][0], by = spots[s][1];
        var box = {x0: bx - 1, x1: bx + w + 1, y0: by, y1: by + h};
        if (box.x0 < 0 || box.x1 > W || box.y0 < 0 || box.y1 > H) continue;
        var clash = placed.some(function (o) {
          if (o.mark && l.prio === 0) return false;  // the selected town's name always shows
          if (o.mark && Math.abs(o.x0 + o.x1 - 2 * l.x) < 0.01 && Math.abs(o.y0 + o.y1 - 2 * l.y) < 0.01) return false;
          return box.x0 < o.x1 && box.x1 > o.x0 && box.y0 < o.y1 && box.y1 > o.y0;
        });
        if (clash) continue;
        placed.push(box);
        c.lineWidth = 3; c.strokeStyle = 'rgba(255,255,255,0.92)'; c.lineJoin = 'round';
        c.strokeText(text, bx, by + h / 2); c.fillStyle = '#111'; c.fillText(text, bx, by + h / 2);
        shown++;
        return;
      }
    });
    api.timings.labels = shown;
  }

  // ------------------------------------------------------------------ hit testing
  var CELL = 12;
  function buildGrid(v) {
    var gw = Math.ceil(W / CELL) + 1, gh = Math.ceil(H / CELL) + 1, n = gw * gh;
    var count = new Uint32Array(n + 1), cell = new Int32Array(N), i, g = zoomGrow(v);
    for (i = 0; i < N; i++) {
      cell[i] = -1;
      if (!townVis[i]) continue;
      var x = SX[i], y = SY[i];
      if (x < 0 || x >= W || y < 0 || y >= H) continue;
      cell[i] = Math.floor(x / CELL) + Math.floor(y / CELL) * gw;
      count[cell[i] + 1]++;
    }
    for (i = 0; i < n; i++) count[i + 1] += count[i];
    var items = new Uint32Array(count[n]), fill = count.slice(0, n);
    for (i = 0; i < N; i++) if (cell[i] >= 0) items[fill[cell[i]]++] = i;
    // the 12 most connected towns in view get a label (drawOrder: most partners first)
    var best = [];
    for (var k = 0; k < N && best.length < 12; k++) if (cell[drawOrder[k]] >= 0) best.push(drawOrder[k]);
    grid = {gw: gw, gh: gh, start: count, items: items, top: best, grow: g};
  }
  function hit(px, py) {
    if (!grid) return -1;
    var gx = Math.floor(px / CELL), gy = Math.floor(py / CELL), bestI = -1, bestD = Infinity;
    for (var yy = gy - 1; yy <= gy + 1; yy++) {
      for (var xx = gx - 1; xx <= gx + 1; xx++) {
        if (xx < 0 || yy < 0 || xx >= grid.gw || yy >= grid.gh) continue;
        var cidx = xx + yy * grid.gw;
        for (var k = grid.start[cidx]; k < grid.start[cidx + 1]; k++) {
          var i = grid.items[k];
          var dx = toScreenX(X[i]) - px, dy = toScreenY(Y[i]) - py, d = dx * dx + dy * dy;
          var lim = Math.max(6, radius[i] * zoomGrow() + 3);
          if (d <= lim * lim && d < bestD) { bestD = d; bestI = i; }
        }
      }
    }
    return bestI;
  }
  function hitCandidate(px, py) {
    for (var k = 0; k < cands.length; k++) {
      var dx = sx(CX[k]) - px, dy = sy(CY[k]) - py;
      if (dx * dx + dy * dy <= 81) return k;
    }
    return -1;
  }

  // ------------------------------------------------------------------ scheduling
  function scheduleFull() {
    if (frameReq) return;
    frameReq = requestAnimationFrame(function () { frameReq = 0; drawFull(); });
  }
  function interact() {
    // a cheap frame now (the cached layers moved), the full drawing once the user pauses
    if (lastDrawMs < 30) { scheduleFull(); return; }
    if (job) { job.cancelled = true; job = null; }
    grid = null;
    requestAnimationFrame(present);
    clearTimeout(settleTimer);
    settleTimer = setTimeout(drawSoon, 160);
  }
  // after a filter, a jump or a resize: at once when drawing is quick, else in slices
  function update() {
    if (lastDrawMs < 60) { drawFull(); return; }
    if (!(cacheView && cacheView.cx === view.cx && cacheView.cy === view.cy && cacheView.s === view.s)) grid = null;
    present();
    drawSoon();
  }
  api.redraw = function () { drawFull(); return lastDrawMs; };
  api.setView = function (cx, cy, s) { view.cx = cx; view.cy = cy; view.s = s; drawFull(); };
  api.setViewPreview = function (cx, cy, s) { view.cx = cx; view.cy = cy; view.s = s; present(); };
  api.topTownInView = function () { return grid && grid.top.length ? D.ids[grid.top[0]] : null; };
  api.view = function () { return {cx: view.cx, cy: view.cy, s: view.s, W: W, H: H}; };

  // ------------------------------------------------------------------ tooltip
  function showTooltip(px, py, lines) {
    tooltip.textContent = '';
    lines.forEach(function (l, k) { tooltip.appendChild(el(k === 0 ? 'b' : 'div', l)); });
    tooltip.hidden = false;
    var tw = tooltip.offsetWidth, th = tooltip.offsetHeight;
    var left = px + 14, top = py + 14;
    if (left + tw > W) left = Math.max(0, px - tw - 10);
    if (top + th > H) top = Math.max(0, py - th - 10);
    tooltip.style.left = left + 'px'; tooltip.style.top = top + 'px';
  }
  function countryLabel(k) {
    var c = D.countries[k];
    return c.code ? c.name + ' (' + c.code + ')' : c.name;
  }
  function townLines(i) {
    var pop = D.a.population[i];
    return [
      D.names[i],
      countryLabel(D.a.country[i]),
      'population: ' + (pop >= 0 ? fmt(pop) : 'unknown'),
      'partners: ' + deg[i],
      D.ids[i]
    ];
  }
  function candidateLines(k) {
    var c = cands[k], out = ['candidate ' + c.rank + ': ' + c.name];
    out.push(c.country ? countryName(c.country) : 'country unknown');
    if (c.population !== undefined) out.push('population: ' + fmt(c.population));
    if (c.partners !== undefined) out.push('partners: ' + c.partners);
    if (c.distance_km !== undefined) out.push(fmt(c.distance_km) + ' km away');
    if (c.score !== undefined) out.push('score: ' + Number(c.score).toFixed(2));
    if (c.reason) out.push(c.reason);
    return out;
  }
  function countryName(code) {
    for (var k = 0; k < D.countries.length; k++) if (D.countries[k].code === code) return countryLabel(k);
    return code;
  }

  // ------------------------------------------------------------------ selection panel
  function select(i, opts) {
    selected = i;
    var box = $('tg-selection');
    if (i < 0) { box.hidden = true; present(); return; }
    box.hidden = false;
    $('tg-sel-name').textContent = D.names[i];
    var pop = D.a.population[i];
    $('tg-sel-info').textContent = countryLabel(D.a.country[i]) + ' · population ' + (pop >= 0 ? fmt(pop) : 'unknown') + ' · ' + D.ids[i];
    $('tg-sel-count').textContent = deg[i] === 1 ? '1 partner' : deg[i] + ' partners';
    var list = $('tg-partners');
    list.textContent = '';
    var rows = [];
    for (var k = adjStart[i]; k < adjStart[i + 1]; k++) rows.push([adjTown[k], adjEdge[k]]);
    rows.sort(function (p, q) {
      var a = D.countries[D.a.country[p[0]]].code, b = D.countries[D.a.country[q[0]]].code;
      return a < b ? -1 : a > b ? 1 : (D.names[p[0]] < D.names[q[0]] ? -1 : 1);
    });
    rows.forEach(function (r) {
      var j = r[0], e = r[1], li = el('li');
      var sw = el('span', null, 'tg-swatch');
      sw.style.background = townColor[D.a.country[j]];
      li.appendChild(sw); li.appendChild(document.createTextNode(' ' + D.names[j] + ' '));
      var bits = [D.countries[D.a.country[j]].code];
      if (D.a.edge_since[e]) bits.push('since ' + D.a.edge_since[e]);
      var ks = [];
      D.kinds.forEach(function (name, b) { if (D.a.edge_kinds[e] & (1 << b)) ks.push(name); });
      if (ks.length) bits.push(ks.join(', '));
      li.appendChild(el('span', bits.join(' · '), 'tg-sub'));
      li.dataset.town = String(j);
      li.addEventListener('click', function () { select(j); });
      list.appendChild(li);
    });
    if (opts && opts.zoom) zoomToSelection(); else present();
  }
  function zoomToSelection() {
    if (selected < 0) return;
    var pts = [[D.a.lonlat[2 * selected], D.a.lonlat[2 * selected + 1]]];
    for (var k = adjStart[selected]; k < adjStart[selected + 1]; k++) {
      var j = adjTown[k], lon = D.a.lonlat[2 * j], lat = D.a.lonlat[2 * j + 1];
      if (lon > -25 && lon < 45 && lat > 34 && lat < 72) pts.push([lon, lat]);
    }
    cands.forEach(function (c) { pts.push([c.lon, c.lat]); });
    var v = fitPoints(pts);
    view.cx = v.cx; view.cy = v.cy; view.s = v.s;
    update();
  }

  // ------------------------------------------------------------------ side panel
  function buildPanel() {
    $('tg-title').textContent = cfg.title;
    $('tg-subtitle').textContent = cfg.subtitle;
    $('tg-credits').textContent = cfg.credits;
    // legend (drawn with the map's own shapes)
    var legend = $('tg-legend');
    function item(draw, text) {
      var li = el('li'), cv = document.createElement('canvas');
      cv.width = 36; cv.height = 22; draw(cv.getContext('2d'));
      li.appendChild(cv); li.appendChild(el('span', text)); legend.appendChild(li);
    }
    item(function (c) {
      [[7, 13, 3], [17, 9, 4.5], [29, 12, 6]].forEach(function (p, k) {
        c.fillStyle = townColor[k % townColor.length] || palette.other; c.beginPath(); c.arc(p[0], p[1], p[2], 0, 7); c.fill();
      });
    }, 'town, coloured by country; size: partners');
    item(function (c) { c.strokeStyle = palette.link; c.lineWidth = 1.5; c.beginPath(); c.moveTo(2, 16); c.lineTo(34, 6); c.stroke(); }, 'twinning link');
    item(function (c) { star(c, 18, 11, 9); c.fillStyle = palette.highlight.color; c.fill(); c.strokeStyle = palette.highlight.edge; c.stroke(); }, 'selected town (click a town)');
    item(function (c) { c.beginPath(); c.arc(18, 11, 6, 0, 7); c.fillStyle = '#ccc'; c.fill(); c.lineWidth = 2; c.strokeStyle = palette.highlight.color; c.stroke(); }, 'its partners');
    if (cands.length) {
      item(function (c) {
        c.setLineDash([4, 3]); c.strokeStyle = palette.candidate.link; c.beginPath(); c.moveTo(2, 11); c.lineTo(12, 11); c.stroke(); c.setLineDash([]);
        diamond(c, 22, 11, 6.5); c.fillStyle = cands[0].color; c.fill(); c.strokeStyle = palette.candidate.edge; c.lineWidth = 1.3; c.stroke();
      }, 'candidate partner (its country\u2019s colour)');
      var ol = $('tg-candidates');
      cands.forEach(function (cd, k) {
        var li = el('li');
        var sw = el('span', null, 'tg-swatch'); sw.style.background = cd.color;
        li.appendChild(sw); li.appendChild(document.createTextNode(' ' + cd.name + ' '));
        li.appendChild(el('span', (cd.country || '') + (cd.reason ? ' · ' + cd.reason : ''), 'tg-sub'));
        li.addEventListener('click', function () {
          if (cd.index >= 0) select(cd.index);
          var v = fitPoints([[cd.lon, cd.lat]]); view.cx = v.cx; view.cy = v.cy; view.s = Math.min(v.s, view.s * 4);
          update();
        });
        ol.appendChild(li);
      });
      $('tg-cand-box').hidden = false;
    }
    // kinds
    if (D.kinds.length > 1) {
      var counts = new Array(D.kinds.length).fill(0);
      for (var e = 0; e < M; e++) for (var b = 0; b < D.kinds.length; b++) if (D.a.edge_kinds[e] & (1 << b)) counts[b]++;
      D.kinds.forEach(function (name, b) {
        var li = el('li'), lab = el('label'), box = el('input');
        box.type = 'checkbox'; box.checked = true; box.dataset.kind = name;
        box.addEventListener('change', function () {
          kindSel = box.checked ? (kindSel | (1 << b)) : (kindSel & ~(1 << b));
          refilter();
        });
        lab.appendChild(box); lab.appendChild(el('span', name + ' (' + fmt(counts[b]) + ')'));
        li.appendChild(lab); $('tg-kinds').appendChild(li);
      });
      $('tg-kinds-box').hidden = false;
    }
    kindSel = D.kinds.length >= 32 ? 0xffffffff : ((1 << D.kinds.length) - 1) >>> 0;
    // countries, by number of towns
    var nTowns = new Array(D.countries.length).fill(0);
    for (var i = 0; i < N; i++) nTowns[D.a.country[i]]++;
    var order = D.countries.map(function (c, k) { return k; }).sort(function (p, q) {
      return nTowns[q] - nTowns[p] || (D.countries[p].code < D.countries[q].code ? -1 : 1);
    });
    var boxes = [];
    order.forEach(function (k) {
      var c = D.countries[k], li = el('li'), lab = el('label'), box = el('input');
      box.type = 'checkbox'; box.checked = true; box.dataset.country = c.code;
      box.addEventListener('change', function () { countrySel[k] = box.checked ? 1 : 0; refilter(); });
      var sw = el('span', null, 'tg-swatch'); sw.style.background = c.color;
      lab.appendChild(box); lab.appendChild(sw);
      lab.appendChild(el('span', (c.code ? c.code + ' ' : '') + c.name + ' (' + fmt(nTowns[k]) + ')'));
      li.appendChild(lab); $('tg-countries').appendChild(li);
      boxes[k] = box;
    });
    function setAll(v) { for (var k = 0; k < countrySel.length; k++) { countrySel[k] = v; boxes[k].checked = !!v; } refilter(); }
    $('tg-c-all').addEventListener('click', function () { setAll(1); });
    $('tg-c-none').addEventListener('click', function () { setAll(0); });
    $('tg-c-mode').addEventListener('change', function (ev) { linkMode = ev.target.value; refilter(); });
    api.setCountries = function (codes) {
      for (var k = 0; k < countrySel.length; k++) {
        countrySel[k] = codes.indexOf(D.countries[k].code) >= 0 ? 1 : 0; boxes[k].checked = !!countrySel[k];
      }
      refilter();
    };
    if (cfg.showCountries && cfg.showCountries.length) {
      for (var k2 = 0; k2 < countrySel.length; k2++) {
        countrySel[k2] = cfg.showCountries.indexOf(D.countries[k2].code) >= 0 ? 1 : 0;
        boxes[k2].checked = !!countrySel[k2];
      }
    }
    // search
    var folded = null;
    $('tg-search').addEventListener('input', function (ev) {
      var q = fold(ev.target.value.trim()), out = $('tg-results');
      out.textContent = '';
      if (q.length < 2) return;
      if (!folded) folded = D.names.map(function (s) { return fold(s || ''); });
      var hits = [];
      for (var i2 = 0; i2 < N && hits.length < 200; i2++) if (folded[i2].indexOf(q) >= 0) hits.push(i2);
      hits.sort(function (p, q2) { return (folded[p].indexOf(q) !== 0) - (folded[q2].indexOf(q) !== 0) || deg[q2] - deg[p]; });
      hits.slice(0, 10).forEach(function (i3) {
        var li = el('li');
        li.appendChild(document.createTextNode(D.names[i3] + ' '));
        li.appendChild(el('span', D.countries[D.a.country[i3]].code + ' · ' + deg[i3] + ' partners', 'tg-sub'));
        li.addEventListener('click', function () { out.textContent = ''; select(i3, {zoom: true}); });
        out.appendChild(li);
      });
    });
    $('tg-sel-clear').addEventListener('click', function () { select(-1); });
    $('tg-sel-zoom').addEventListener('click', zoomToSelection);
    $('tg-zoom-in').addEventListener('click', function () { zoomAt(W / 2, H / 2, 1.6); });
    $('tg-zoom-out').addEventListener('click', function () { zoomAt(W / 2, H / 2, 1 / 1.6); });
    $('tg-zoom-home').addEventListener('click', function () { view.cx = home.cx; view.cy = home.cy; view.s = home.s; update(); });
  }
  function refilter() { computeVisibility(); update(); }

  // ------------------------------------------------------------------ events
  function bindEvents() {
    var drag = null, moved = false;
    canvas.addEventListener('pointerdown', function (ev) {
      drag = {x: ev.offsetX, y: ev.offsetY, cx: view.cx, cy: view.cy}; moved = false;
      if (canvas.setPointerCapture) { try { canvas.setPointerCapture(ev.pointerId); } catch (err) { /* synthetic events */ } }
    });
    canvas.addEventListener('pointermove', function (ev) {
      if (drag) {
        var dx = ev.offsetX - drag.x, dy = ev.offsetY - drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) moved = true;
        if (moved) {
          canvas.classList.add('tg-dragging'); tooltip.hidden = true;
          view.cx = drag.cx - dx / view.s; view.cy = drag.cy + dy / view.s; interact();
          return;
        }
      }
      onHover(ev.offsetX, ev.offsetY);
    });
    canvas.addEventListener('pointerup', function (ev) {
      canvas.classList.remove('tg-dragging');
      var was = drag; drag = null;
      if (was && !moved) onClick(ev.offsetX, ev.offsetY);
    });
    canvas.addEventListener('pointerleave', function () { tooltip.hidden = true; if (hovered >= 0) { hovered = -1; present(); } });
    canvas.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      zoomAt(ev.offsetX, ev.offsetY, Math.pow(2, -ev.deltaY / (ev.deltaMode === 1 ? 8 : 300)));
    }, {passive: false});
    canvas.addEventListener('dblclick', function (ev) { zoomAt(ev.offsetX, ev.offsetY, 2); });
    window.addEventListener('resize', function () { resize(); update(); });
    document.addEventListener('keydown', function (ev) { if (ev.key === 'Escape') select(-1); });
  }
  function onHover(px, py) {
    var k = hitCandidate(px, py), i = k >= 0 ? -1 : hit(px, py);
    canvas.classList.toggle('tg-pointer', i >= 0 || k >= 0);
    if (k >= 0) showTooltip(px, py, candidateLines(k));
    else if (i >= 0) showTooltip(px, py, townLines(i));
    else tooltip.hidden = true;
    if (i !== hovered || k !== hoveredCand) { hovered = i; hoveredCand = k; present(); }
  }
  function onClick(px, py) {
    var k = hitCandidate(px, py);
    if (k >= 0 && cands[k].index >= 0) { select(cands[k].index); return; }
    var i = hit(px, py);
    select(i);
  }
  api.hover = onHover;
  api.click = onClick;
  api.screenOf = function (id) {
    var i = D.idIndex(id);
    return i < 0 ? null : [toScreenX(X[i]), toScreenY(Y[i])];
  };

  // ------------------------------------------------------------------ start
  decode(document.getElementById('tg-data').textContent).then(function (buf) {
    api.timings.decoded = performance.now() - T0;
    D = unpack(buf);
    var idMap = null;
    D.idIndex = function (id) {
      if (!idMap) { idMap = new Map(); D.ids.forEach(function (t, k) { idMap.set(t, k); }); }
      var v = idMap.get(id);
      return v === undefined ? -1 : v;
    };
    setup();
    buildPanel();
    computeVisibility();
    resize();
    europeS = fitPoints(cfg.europe).s;
    home = fitPoints(cfg.fit);
    view.cx = home.cx; view.cy = home.cy; view.s = home.s;
    bindEvents();
    drawFull();
    if (cfg.highlight) {
      var h = D.idIndex(cfg.highlight);
      if (h >= 0) select(h);
    }
    statusEl.textContent = '';
    api.timings.firstDraw = performance.now() - T0;
    // since navigation start: the HTML parsed, the data decoded, the map drawn and painted
    requestAnimationFrame(function () {
      setTimeout(function () { api.timings.firstPaint = performance.now(); }, 0);
    });
    api.ready = true;
    document.documentElement.setAttribute('data-tg-ready', '1');
  }).catch(function (err) {
    statusEl.textContent = 'The map could not be drawn: ' + (err && err.message ? err.message : err);
    if (window.console) console.error(err);
  });
})();
