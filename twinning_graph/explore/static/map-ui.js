/* twinning-graph interactive map, part 4 of 4 (tooltip, panel, events, start): see map-core.js. */
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
    item(function (c) {
      c.beginPath(); c.arc(18, 11, 5, 0, 7); c.fillStyle = townColor[0] || palette.other; c.fill();
      c.lineWidth = 1.5; c.strokeStyle = '#fff'; c.stroke();
      c.beginPath(); c.arc(18, 11, 6.8, 0, 7); c.lineWidth = 1.6; c.strokeStyle = palette.highlight.color; c.stroke();
    }, 'its partners (their country\u2019s colour)');
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
