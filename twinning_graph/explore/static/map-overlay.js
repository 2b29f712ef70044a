/* twinning-graph interactive map, part 3 of 4 (selection overlay, labels, hit testing, scheduling): see map-core.js. */
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
      // the selected town's links as great-circle arcs (as on the static maps)
      var ll = D.a.lonlat, arcs = {};
      c.strokeStyle = hs.link; c.lineWidth = 1.6; c.globalAlpha = 0.85; c.beginPath();
      for (k = adjStart[selected]; k < adjStart[selected + 1]; k++) {
        i = adjTown[k];
        var pts = arcs[i] = arcScreen(ll[2 * selected], ll[2 * selected + 1], ll[2 * i], ll[2 * i + 1]);
        c.moveTo(pts[0], pts[1]);
        for (var q = 2; q < pts.length; q += 2) c.lineTo(pts[q], pts[q + 1]);
      }
      c.stroke(); c.globalAlpha = 1;
      var partners = [];
      for (k = adjStart[selected]; k < adjStart[selected + 1]; k++) partners.push(adjTown[k]);
      partners.sort(function (p, q) { return deg[q] - deg[p]; });
      // markers a partner hidden under the star must not cover: candidates, other partners
      // (those the star hides are not in the way)
      var used = [];
      var near = function (ux, uy) { return Math.hypot(ux - x0, uy - y0) < 11; };
      for (k = 0; k < cands.length; k++) if (!near(sx(CX[k]), sy(CY[k]))) used.push([sx(CX[k]), sy(CY[k]), 7, -1]);
      partners.forEach(function (p) { if (!near(sx(X[p]), sy(Y[p]))) used.push([sx(X[p]), sy(Y[p]), Math.max(4.5, radius[p] * g + 1.5) + 2, p]); });
      api.displaced = [];
      partners.forEach(function (p, n) {
        var x = sx(X[p]), y = sy(Y[p]), r = Math.max(4.5, radius[p] * g + 1.5), moved = false;
        var spot = displaceFromStar(x0, y0, x, y, r, used, p);
        if (spot) {
          // hidden under the star (a partner 1 km away): drawn beside it, a line to its place
          c.beginPath(); c.moveTo(x, y); c.lineTo(spot[0], spot[1]);
          c.lineWidth = 1.2; c.strokeStyle = hs.color; c.stroke();
          x = spot[0]; y = spot[1]; moved = true;
          api.displaced.push({town: D.ids[p], x: x, y: y});
        }
        // the partner's country colour, a white gap, then a ring in the highlight colour
        c.beginPath(); c.arc(x, y, r, 0, 2 * Math.PI);
        c.fillStyle = townColor[D.a.country[p]]; c.fill();
        c.lineWidth = 1.5; c.strokeStyle = '#fff'; c.stroke();
        c.beginPath(); c.arc(x, y, r + 1.8, 0, 2 * Math.PI);
        c.lineWidth = 1.6; c.strokeStyle = hs.color; c.stroke();
        if (n >= 40) return;
        if (x >= 0 && x <= W && y >= 0 && y <= H) labels.push({x: x, y: y, r: r + 2, text: D.names[p], prio: moved ? 0.5 : 2, town: p});
        else {
          // off the frame: named where its link leaves the map, with an arrow to it
          var e = arcExit(arcs[p]);
          if (e) labels.push({x: e[0], y: e[1], r: 2, text: arrow(e[2], e[3]) + ' ' + D.names[p] + ' (' + D.countries[D.a.country[p]].code + ')', prio: 2, town: p, edge: true});
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
  // A free spot beside the star (centre hx, hy; radius 11) for a partner marker at (x, y)
  // that the star hides, or null when it is not hidden: rings of 16 directions, farther out
  // when candidates or other partners crowd the star.
  function displaceFromStar(hx, hy, x, y, r, used, self) {
    if (Math.hypot(x - hx, y - hy) >= 11 + r * 0.5) return null;
    var step = 11 + r + 6, rings = [1, 1.5, 2.1, 2.8, 3.6];
    for (var i = 0; i < rings.length; i++) {
      for (var a = 0; a < 16; a++) {
        var ang = (45 + a * 67.5) * D2R;  // 45°, then steps that visit all 16 directions
        var cx = hx + step * rings[i] * Math.cos(ang), cy = hy + step * rings[i] * Math.sin(ang);
        if (cx < r || cx > W - r || cy < r || cy > H - r) continue;
        var clash = used.some(function (u) { return u[3] !== self && Math.hypot(u[0] - cx, u[1] - cy) < u[2] + r + 2; });
        if (clash) continue;
        used.push([cx, cy, r + 2, self]);
        return [cx, cy];
      }
    }
    return null;
  }
  // A great-circle arc between two places, in screen coordinates [x0, y0, x1, y1, ...]:
  // spherical interpolation, 2 points (a chord) under 500 km, 24 beyond.
  function arcScreen(lon1, lat1, lon2, lat2) {
    var p1 = lat1 * D2R, p2 = lat2 * D2R, l1 = lon1 * D2R, l2 = lon2 * D2R;
    var a = [Math.cos(p1) * Math.cos(l1), Math.cos(p1) * Math.sin(l1), Math.sin(p1)];
    var b = [Math.cos(p2) * Math.cos(l2), Math.cos(p2) * Math.sin(l2), Math.sin(p2)];
    var om = Math.acos(Math.max(-1, Math.min(1, a[0] * b[0] + a[1] * b[1] + a[2] * b[2])));
    var n = om * R > 500000 ? 24 : 2, out = [], tmp = [0, 0], so = Math.sin(om);
    for (var k = 0; k < n; k++) {
      var t = k / (n - 1), wa = so < 1e-9 ? 1 - t : Math.sin((1 - t) * om) / so, wb = so < 1e-9 ? t : Math.sin(t * om) / so;
      var x = wa * a[0] + wb * b[0], y = wa * a[1] + wb * b[1], z = wa * a[2] + wb * b[2];
      project(Math.atan2(y, x) / D2R, Math.atan2(z, Math.sqrt(x * x + y * y)) / D2R, tmp, 0);
      out.push(toScreenX(tmp[0]), toScreenY(tmp[1]));
    }
    return out;
  }
  // where an arc that starts inside the map leaves it: [x, y, dx, dy] (direction of travel)
  function arcExit(pts) {
    for (var k = 2; k < pts.length; k += 2) {
      var x = pts[k], y = pts[k + 1];
      if (x < 0 || x > W || y < 0 || y > H) {
        var e = edgePoint(pts[k - 2], pts[k - 1], x, y);
        return e ? [e[0], e[1], x - pts[k - 2], y - pts[k - 1]] : null;
      }
    }
    return null;
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
  // greedy label placement: by priority, four positions beside the marker, then (for the
  // selected town's partners and the candidates) farther ones with a leader line; no overlap
  function placeLabels(c, labels) {
    labels.sort(function (p, q) { return p.prio - q.prio; });
    var placed = [{x0: 0, x1: 46, y0: 0, y1: 104}];  // the zoom buttons
    labels.forEach(function (l) {
      placed.push({x0: l.x - l.r, x1: l.x + l.r, y0: l.y - l.r, y1: l.y + l.r, mark: true});
    });
    c.textBaseline = 'middle';
    var shown = 0, named = {};
    api.labelBoxes = [];
    labels.forEach(function (l) {
      if (l.x < 0 || l.x > W || l.y < 0 || l.y > H) return;
      if (l.town !== undefined) { if (named[l.town]) return; named[l.town] = true; }
      c.font = (l.bold ? 'bold ' : '') + (l.prio === 3 ? '11px' : '12px') + ' system-ui, sans-serif';
      var text = l.text.length > 40 ? l.text.slice(0, 39) + '…' : l.text;
      var w = c.measureText(text).width, h = 14, gap = l.r + 3;
      var spots = [[l.x + gap, l.y - h / 2 - 2], [l.x - gap - w, l.y - h / 2 - 2], [l.x + gap, l.y + 2], [l.x - gap - w, l.y + 2 - h / 2 + 4]];
      if (l.prio <= 2) {
        // then farther away, joined to the marker by a thin leader line (crowded candidates)
        [1.8 * h, 3 * h, 4.5 * h, 6.5 * h].forEach(function (dist) {
          [30, 150, 210, 330, 0, 180, 90, 270].forEach(function (deg) {
            var ux = Math.cos(deg * D2R), uy = -Math.sin(deg * D2R);
            var cx = l.x + ux * (gap + dist + w / 2 * Math.abs(ux)), cy = l.y + uy * (gap + dist + h / 2 * Math.abs(uy));
            spots.push([cx - w / 2, cy - h / 2, true]);
          });
        });
      }
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
        api.labelBoxes.push({text: text, x0: box.x0, y0: box.y0, x1: box.x1, y1: box.y1, leader: !!spots[s][2]});
        if (spots[s][2]) {
          c.beginPath(); c.moveTo(l.x, l.y);
          c.lineTo(Math.max(bx, Math.min(bx + w, l.x)), Math.max(by, Math.min(by + h, l.y)));
          c.lineWidth = 0.8; c.strokeStyle = '#555'; c.stroke();
        }
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
  api.busy = function () { return !!job || !!frameReq; };
  api.redraw = function () { drawFull(); return lastDrawMs; };
  api.setView = function (cx, cy, s) { view.cx = cx; view.cy = cy; view.s = s; drawFull(); };
  api.setViewPreview = function (cx, cy, s) { view.cx = cx; view.cy = cy; view.s = s; present(); };
  api.topTownInView = function () { return grid && grid.top.length ? D.ids[grid.top[0]] : null; };
  api.view = function () { return {cx: view.cx, cy: view.cy, s: view.s, W: W, H: H}; };
