/* twinning-graph interactive map: a canvas renderer for towns, links and country borders.
 * Part of twinning-graph (MIT licence). No third-party code, no network access: the data
 * is in the page (base64 of gzip, see explore/_payload.py) and every text from the data is
 * inserted with textContent or drawn with fillText, never parsed as HTML. */
/* Four files, concatenated in order inside one function by explore/_page.py:
 * map-core.js (data, projection, state, filters, view), map-layers.js (the drawing job:
 * basemap, links, towns), map-overlay.js (selection, labels, hit testing, scheduling),
 * map-ui.js (tooltip, panel, events, start). They share that function's variables. */

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
  // the same spherical Lambert azimuthal equal-area projection as twinning_graph.plot._basemap.project
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
