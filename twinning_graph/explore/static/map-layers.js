/* twinning-graph interactive map, part 2 of 4 (the drawing job: basemap, links, towns): see map-core.js. */
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
