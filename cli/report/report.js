/*
 * cli/report/report.js - draws kmm's HTML report from the data kmm wrote
 * into the page (the JSON in #kmm-data; docs/report.md has its format).
 * SPDX-License-Identifier: MIT
 *
 * Everything is drawn as inline SVG: per machine the physical memory map
 * (zone bands and bins, colour by zone, migrate type, use or free order,
 * hover and zoom), the buddy lists now and over time, the timeline of every
 * command (free pages against the watermarks, kernel memory, RSS, faults,
 * reclaim, events), each process's address space with a page-table walk
 * for a chosen address, the slab caches and the vmalloc area. Nothing is
 * fetched; errors are shown on the page (and so in the browser's console).
 */
'use strict';
(function () {
  const SVGNS = 'http://www.w3.org/2000/svg';
  const DATA = JSON.parse(document.getElementById('kmm-data').textContent);
  const ORDERS = 11;
  const ZONE_COLORS = { DMA: '#8e6bbf', DMA32: '#4f86c6', Normal: '#3aa36b', HighMem: '#e0a33a', Movable: '#c95d63' };
  const MT_NAMES = ['Unmovable', 'Movable', 'Reclaimable', 'HighAtomic', 'CMA', 'Isolate'];
  const MT_COLORS = ['#c0504d', '#4bacc6', '#9bbb59', '#8064a2', '#f79646', '#7f7f7f'];
  const USES = ['free', 'pcp', 'slab', 'pagetable', 'anon', 'file', 'kernel', 'reserved'];
  const USE_COLORS = { free: '#dcefdc', pcp: '#a6d8a6', slab: '#e08a2c', pagetable: '#8e44ad',
    anon: '#2e86de', file: '#16a085', kernel: '#c0392b', reserved: '#5b5f66' };
  const HOLE_COLOR = '#ffffff';
  const SERIES_COLORS = ['#2563eb', '#d92d20', '#039855', '#dc6803', '#7a5af8', '#0e9384', '#c11574',
    '#475467', '#ca8504', '#1570ef', '#e31b54', '#15b79e'];
  const tip = document.getElementById('tip');

  /* ---- Helpers ---- */

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVGNS, name);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function h(name, attrs, parent, text) {
    const e = document.createElement(name);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  /* A column string (cli/report_sample.c json_column): base-36 differences, D*COUNT runs. */
  function decode(s) {
    const out = [];
    if (!s) return out;
    let v = 0;
    for (const tok of s.split(',')) {
      const star = tok.indexOf('*');
      const d = parseInt(star < 0 ? tok : tok.slice(0, star), 36);
      const n = star < 0 ? 1 : parseInt(tok.slice(star + 1), 36);
      for (let i = 0; i < n; i++) { v += d; out.push(v); }
    }
    return out;
  }
  function hex(n) { return '0x' + n.toString(16); }
  function big(s) { return BigInt(s); }
  function pages(n) {
    const kib = n * 4;
    if (kib >= 1048576 && kib % 1048576 === 0) return (kib / 1048576) + ' GiB';
    if (kib >= 1024) return (kib / 1024).toFixed(kib % 1024 ? 1 : 0) + ' MiB';
    return kib + ' KiB';
  }
  function bytes(n) {
    if (n >= 1 << 30) return (n / (1 << 30)).toFixed(1).replace(/\.0$/, '') + ' GiB';
    if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1).replace(/\.0$/, '') + ' MiB';
    if (n >= 1024) return (n / 1024).toFixed(1).replace(/\.0$/, '') + ' KiB';
    return n + ' B';
  }
  function seconds(ns) { return (ns / 1e9).toFixed(6) + ' s'; }
  function showTip(ev, text) {
    tip.textContent = text;
    tip.hidden = false;
    const pad = 14, w = tip.offsetWidth, hh = tip.offsetHeight;
    let x = ev.clientX + pad, y = ev.clientY + pad;
    if (x + w > window.innerWidth - 4) x = Math.max(4, ev.clientX - w - pad);
    if (y + hh > window.innerHeight - 4) y = Math.max(4, ev.clientY - hh - pad);
    tip.style.left = x + 'px';
    tip.style.top = y + 'px';
  }
  function hideTip() { tip.hidden = true; }
  function legend(parent, items) {
    const d = h('div', { class: 'legend' }, parent);
    for (const [name, color] of items) {
      const s = h('span', {}, d);
      h('i', { style: 'background:' + color }, s);
      s.appendChild(document.createTextNode(name));
    }
    return d;
  }
  function width(container) { return Math.max(480, Math.min(1400, container.clientWidth || 960)); }
  function niceTicks(lo, hi, n) {
    const span = hi - lo;
    if (!(span > 0)) return [lo];
    const step0 = span / n, mag = Math.pow(10, Math.floor(Math.log10(step0)));
    const step = [1, 2, 5, 10].map(f => f * mag).find(s => s >= step0) || 10 * mag;
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) out.push(t);
    return out;
  }
  /* an integer (or a short fraction) with thin spaces between groups of three digits */
  function group(n) {
    const r = Math.round(n * 100) / 100, [i, f] = String(Math.abs(r)).split('.');
    return (r < 0 ? '-' : '') + i.replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009') + (f ? '.' + f : '');
  }
  function short(n) {
    const a = Math.abs(n);
    if (a >= 1e9) return (n / 1e9).toFixed(1).replace(/\.0$/, '') + 'G';
    if (a >= 1e6) return (n / 1e6).toFixed(1).replace(/\.0$/, '') + 'M';
    if (a >= 1e4) return (n / 1e3).toFixed(0) + 'k';
    return String(Math.round(n * 100) / 100);
  }
  /* a clock tick in seconds with as many decimals as the step between ticks needs */
  function clockTick(t, ticks) {
    const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1e9;
    const dec = Math.max(0, Math.min(9, Math.ceil(-Math.log10(step / 1e9) - 1e-9)));
    return (t / 1e9).toFixed(dec) + ' s';
  }
  function cmdText(i) {
    const c = DATA.commands[i];
    return c ? (c[0] ? c[0] + ':' + c[1] + ': ' : '') + c[2] : '?';
  }

  /* ---- The memory map ---- */

  function drawMap(sec, m) {
    const map = m.map, zones = m.zones;
    h('h3', {}, sec, 'Physical memory');
    h('p', { class: 'note' }, sec, 'Physical addresses from 0 to ' + hex(m.max_pfn * 4096) +
      ' (' + pages(m.max_pfn) + '), left to right. The top band is the zones, as wide as the pages ' +
      'they span; below, one column per ' + (map.bin === m.pageblock ? 'pageblock' : 'bin') + ' of ' +
      pages(map.bin) + '. Hover for details; drag across the map to zoom in.');
    const panel = h('div', { class: 'panel' }, sec);
    const ctl = h('div', { class: 'controls' }, panel);
    const modes = [['zone', 'zone'], ['mt', 'migrate type'], ['use', 'use'], ['order', 'largest free block']];
    const mid = 'm' + m.serial;
    let mode = 'use';
    for (const [k, label] of modes) {
      const l = h('label', {}, ctl);
      const r = h('input', { type: 'radio', name: mid + '-mode', value: k }, l);
      if (k === mode) r.checked = true;
      r.addEventListener('change', () => { mode = k; render(); });
      l.appendChild(document.createTextNode(' ' + label));
    }
    const zin = h('button', { type: 'button', title: 'zoom in' }, ctl, '+');
    const zout = h('button', { type: 'button', title: 'zoom out' }, ctl, '\u2212');
    const zall = h('button', { type: 'button', title: 'whole memory' }, ctl, 'all');
    const range = h('span', { class: 'note mono' }, ctl);
    const host = h('div', {}, panel);
    const leg = h('div', {}, panel);
    if (!map.use) { h('p', { class: 'warn' }, panel, 'The page frames could not be read.'); return; }
    const n = map.bins, bin = map.bin;
    const zoneOf = decode(map.zone), mtOf = decode(map.mt), maxo = decode(map.maxorder);
    const use = {};
    for (const u of USES) use[u] = decode(map.use[u]);
    let v0 = 0, v1 = m.max_pfn;
    const W = width(sec), BAND = 22, ROWS = 56, AX = 20, H = BAND + 4 + ROWS + AX;

    function binColor(i) {
      if (mode === 'zone') return zoneOf[i] >= 0 ? ZONE_COLORS[zones[zoneOf[i]].name] : HOLE_COLOR;
      if (mode === 'mt') return mtOf[i] >= 0 ? MT_COLORS[mtOf[i]] : HOLE_COLOR;
      const o = maxo[i];
      if (o < 0) return holeOrFull(i);
      const t = o / (ORDERS - 1);
      return 'hsl(' + (48 + 80 * t) + ',' + (70 - 10 * t) + '%,' + (82 - 50 * t) + '%)';
    }
    function holeOrFull(i) {
      let s = 0;
      for (const u of USES) s += use[u][i];
      return s ? '#d0d5dd' : HOLE_COLOR;
    }
    function binInfo(i) {
      const s = i * bin, e = Math.min((i + 1) * bin, m.max_pfn) - 1;
      const lines = ['pfn ' + hex(s) + '\u2013' + hex(e) + '  (phys ' + hex(s * 4096) + ', ' + pages(e - s + 1) + ')'];
      lines.push('zone ' + (zoneOf[i] >= 0 ? zones[zoneOf[i]].name : 'none (no RAM)') +
        (m.nodes > 1 && zoneOf[i] >= 0 ? ' (node ' + zones[zoneOf[i]].nid + ')' : '') +
        ', migrate type ' + (mtOf[i] >= 0 ? MT_NAMES[mtOf[i]] : '-'));
      const parts = [];
      let any = 0;
      for (const u of USES) if (use[u][i]) { parts.push(u + ' ' + use[u][i]); any += use[u][i]; }
      if (any < e - s + 1) parts.push('no RAM ' + (e - s + 1 - any));
      lines.push('pages: ' + parts.join(', '));
      lines.push(maxo[i] >= 0 ? 'largest free block starting here: order ' + maxo[i] +
        ' (' + pages(1 << maxo[i]) + ')' : 'no free block starts here');
      return lines.join('\n');
    }
    function render() {
      host.textContent = '';
      const svg = el('svg', { width: W, height: H, class: 'memmap', 'data-machine': m.serial }, host);
      const span = v1 - v0, x = p => (p - v0) / span * W;
      /* zone bands: one per populated zone, as wide as its span */
      const gz = el('g', { class: 'zones' }, svg);
      zones.forEach((z, zi) => {
        const a = Math.max(z.start, v0), b = Math.min(z.end, v1);
        if (b <= a) return;
        const r = el('rect', { class: 'zone-band', x: x(a), y: 0, width: Math.max(0.5, x(b) - x(a)), height: BAND,
          fill: ZONE_COLORS[z.name] || '#999', 'data-zone': z.name, 'data-nid': z.nid, 'data-spanned': z.spanned,
          'data-start': z.start, 'data-end': z.end }, gz);
        r.addEventListener('mousemove', ev => showTip(ev, 'zone ' + z.name + (m.nodes > 1 ? ' node ' + z.nid : '') +
          '\npfn ' + hex(z.start) + '\u2013' + hex(z.end - 1) + ': ' + z.spanned + ' pages spanned, ' +
          z.present + ' present, ' + z.managed + ' managed\nfree ' + z.free + ' (min ' + z.min + ', low ' +
          z.low + ', high ' + z.high + ')'));
        r.addEventListener('mouseleave', hideTip);
        if (x(b) - x(a) > 40) {
          const t = el('text', { class: 'zone-label', x: x(a) + 5, y: 15 }, gz);
          t.textContent = z.name + (m.nodes > 1 ? ' ' + z.nid : '');
        }
      });
      /* bins */
      const gb = el('g', { class: 'bins', transform: 'translate(0,' + (BAND + 4) + ')', 'shape-rendering': 'crispEdges' }, svg);
      const first = Math.max(0, Math.floor(v0 / bin)), last = Math.min(n - 1, Math.ceil(v1 / bin) - 1);
      for (let i = first; i <= last; i++) {
        const a = Math.max(i * bin, v0), b = Math.min((i + 1) * bin, v1, m.max_pfn);
        const bx = x(a), bw = Math.max(0.4, x(b) - x(a));
        if (mode === 'use') {
          /* stacked by use, free at the bottom */
          let y = ROWS, tot = 0;
          for (const u of USES) tot += use[u][i];
          if (!tot) {
            el('rect', { class: 'bin hole', x: bx, y: 0, width: bw, height: ROWS, fill: HOLE_COLOR, 'data-i': i }, gb);
            continue;
          }
          const g = el('g', { class: 'bin', 'data-i': i }, gb);
          for (const u of USES) {
            const c = use[u][i];
            if (!c) continue;
            const hh = c / (b - a > 0 ? bin : 1) * ROWS;
            y -= hh;
            el('rect', { class: 'seg', x: bx, y: y, width: bw, height: hh, fill: USE_COLORS[u], 'data-i': i, 'data-use': u }, g);
          }
        } else {
          el('rect', { class: 'bin', x: bx, y: 0, width: bw, height: ROWS, fill: binColor(i), 'data-i': i }, gb);
        }
      }
      /* axis: physical addresses */
      const ga = el('g', { class: 'axis', transform: 'translate(0,' + (BAND + 4 + ROWS) + ')' }, svg);
      el('line', { x1: 0, x2: W, y1: 0, y2: 0 }, ga);
      for (const t of niceTicks(v0, v1, 8)) {
        el('line', { x1: x(t), x2: x(t), y1: 0, y2: 4 }, ga);
        const tx = el('text', { x: x(t), y: 15, 'text-anchor': 'middle' }, ga);
        tx.textContent = hex(Math.round(t) * 4096);
      }
      range.textContent = 'pfn ' + hex(Math.floor(v0)) + '\u2013' + hex(Math.ceil(v1) - 1);
      /* hover and drag to zoom */
      let drag = null, selr = null;
      const pfnAt = ev => v0 + (ev.clientX - svg.getBoundingClientRect().left) / W * span;
      svg.addEventListener('mousemove', ev => {
        if (drag !== null) {
          const a = Math.min(drag, pfnAt(ev)), b = Math.max(drag, pfnAt(ev));
          selr.setAttribute('x', x(a));
          selr.setAttribute('width', Math.max(0, x(b) - x(a)));
          return;
        }
        const t = ev.target.closest ? ev.target.closest('[data-i]') : null;
        if (t) showTip(ev, binInfo(+t.getAttribute('data-i')));
      });
      svg.addEventListener('mouseleave', () => { hideTip(); });
      gb.addEventListener('mouseleave', hideTip);
      svg.addEventListener('mousedown', ev => {
        drag = pfnAt(ev);
        selr = el('rect', { class: 'sel', x: x(drag), y: 0, width: 0, height: BAND + 4 + ROWS }, svg);
        ev.preventDefault();
      });
      svg.addEventListener('mouseup', ev => {
        if (drag === null) return;
        const a = Math.max(0, Math.min(drag, pfnAt(ev))), b = Math.min(m.max_pfn, Math.max(drag, pfnAt(ev)));
        drag = null;
        if (b - a >= Math.max(1, span / 500)) { v0 = a; v1 = b; render(); } else if (selr) selr.remove();
      });
      leg.textContent = '';
      if (mode === 'zone') legend(leg, zones.map(z => [z.name + (m.nodes > 1 ? ' (node ' + z.nid + ')' : ''), ZONE_COLORS[z.name]]));
      else if (mode === 'mt') legend(leg, MT_NAMES.map((nm, i) => [nm, MT_COLORS[i]]));
      else if (mode === 'use') legend(leg, USES.map(u => [u, USE_COLORS[u]]).concat([['no RAM', HOLE_COLOR]]));
      else legend(leg, [0, 3, 6, 9, 10].map(o => ['order ' + o, (() => { const t = o / 10; return 'hsl(' + (48 + 80 * t) + ',' + (70 - 10 * t) + '%,' + (82 - 50 * t) + '%)'; })()]).concat([['no free block', '#d0d5dd']]));
    }
    zin.addEventListener('click', () => { const c = (v0 + v1) / 2, s = (v1 - v0) / 4; v0 = Math.max(0, c - s); v1 = Math.min(m.max_pfn, c + s); render(); });
    zout.addEventListener('click', () => { const c = (v0 + v1) / 2, s = v1 - v0; v0 = Math.max(0, c - s); v1 = Math.min(m.max_pfn, c + s); render(); });
    zall.addEventListener('click', () => { v0 = 0; v1 = m.max_pfn; render(); });
    render();
  }

  /* ---- The buddy lists ---- */

  function drawBuddy(sec, m, tl) {
    h('h3', {}, sec, 'Buddy allocator: free blocks per order');
    h('p', { class: 'note' }, sec, 'Now (as /proc/buddyinfo), split by the migrate type of each block\'s pageblock ' +
      '(as /proc/pagetypeinfo); below, each order over the run (darker: more blocks).');
    const panel = h('div', { class: 'panel' }, sec);
    const W = width(sec);
    m.zones.forEach((z, zi) => {
      h('div', { class: 'mono' }, panel, 'Node ' + z.nid + ', zone ' + z.name + ': ' + z.free + ' pages free');
      const BW = Math.min(60, (W - 60) / ORDERS), H = 90;
      const svg = el('svg', { width: W, height: H + 20, class: 'buddy', 'data-zone': z.name }, panel);
      const max = Math.max(1, ...z.orders);
      for (let o = 0; o < ORDERS; o++) {
        let y = H;
        const bx = 40 + o * BW;
        const types = Object.keys(z.by_type);
        let drawn = 0;
        for (const t of types) {
          const c = z.by_type[t][o];
          if (!c) continue;
          const hh = c / max * H;
          y -= hh;
          drawn += c;
          const r = el('rect', { x: bx + 2, y: y, width: BW - 4, height: hh, fill: MT_COLORS[MT_NAMES.indexOf(t)] || '#999', class: 'buddy-bar', 'data-order': o }, svg);
          r.addEventListener('mousemove', ev => showTip(ev, 'order ' + o + ' (' + pages(1 << o) + '): ' + c + ' ' + t + ' blocks of ' + z.orders[o]));
          r.addEventListener('mouseleave', hideTip);
        }
        if (drawn < z.orders[o]) {	/* counted by the zone, not seen in the scan */
          const hh = (z.orders[o] - drawn) / max * H;
          el('rect', { x: bx + 2, y: y - hh, width: BW - 4, height: hh, fill: '#98a2b3' }, svg);
        }
        const t = el('text', { x: bx + BW / 2, y: H + 13, 'text-anchor': 'middle' }, svg);
        t.textContent = o;
        const c = el('text', { x: bx + BW / 2, y: Math.max(10, H - z.orders[o] / max * H - 3), 'text-anchor': 'middle' }, svg);
        c.textContent = z.orders[o];
      }
      const lt = el('text', { x: 0, y: H + 13 }, svg);
      lt.textContent = 'order';
      if (tl && tl.n > 1) drawBuddyHeat(panel, m, tl, zi, W);
    });
    legend(panel, MT_NAMES.map((nm, i) => [nm, MT_COLORS[i]]));
  }

  function drawBuddyHeat(panel, m, tl, zi, W) {
    const RH = 11, cols = Math.min(tl.n, Math.floor((W - 40) / 2)), H = ORDERS * RH;
    const svg = el('svg', { width: W, height: H + 4, class: 'buddy-heat', 'data-zone': m.zones[zi].name, 'data-cols': cols }, panel);
    const series = [];
    let max = 1;
    for (let o = 0; o < ORDERS; o++) {
      const s = tl.col('z' + zi + '.o' + o);
      series.push(s);
      for (const v of s) if (v > max) max = v;
    }
    const cw = (W - 40) / cols;
    for (let o = 0; o < ORDERS; o++) {
      const y = (ORDERS - 1 - o) * RH;
      const t = el('text', { x: 0, y: y + 9, style: 'font-size:9px' }, svg);
      t.textContent = 'order ' + o;
      for (let c = 0; c < cols; c++) {
        const i = Math.min(tl.n - 1, Math.floor((c + 1) * tl.n / cols) - 1);
        const v = series[o][i];
        if (!v) continue;
        const a = Math.log1p(v) / Math.log1p(max);
        el('rect', { class: 'heat-cell', x: 40 + c * cw, y: y, width: cw + 0.3, height: RH - 1, fill: 'rgba(3,152,85,' + (0.12 + 0.88 * a).toFixed(3) + ')',
          'data-order': o, 'data-col': c, 'data-i': i }, svg);
      }
    }
    svg.addEventListener('mousemove', ev => {
      const r = svg.getBoundingClientRect(), c = Math.floor((ev.clientX - r.left - 40) / cw);
      if (c < 0 || c >= cols) return hideTip();
      const i = Math.min(tl.n - 1, Math.floor((c + 1) * tl.n / cols) - 1);
      showTip(ev, tl.label(i) + '\nfree blocks by order: ' + series.map(s => s[i]).join(' '));
    });
    svg.addEventListener('mouseleave', hideTip);
  }

  /* ---- The timeline ---- */

  function timeline(m) {
    const t = m.timeline;
    if (!t || !t.points) return null;
    const cols = {};
    const tl = {
      n: t.points, stride: t.stride,
      col(name) { if (!(name in cols)) cols[name] = t.cols[name] === undefined ? null : decode(t.cols[name]); return cols[name]; },
      has(name) { return t.cols[name] !== undefined; },
      names() { return Object.keys(t.cols); },
      label(i) {
        const no = this.col('no')[i], first = this.col('first')[i];
        const head = first !== no ? 'commands ' + first + '\u2013' + no + ', the last: ' : 'command ' + no + ': ';
        return head + cmdText(this.col('cmd')[i]) + '\nvirtual clock ' + seconds(this.col('clock')[i]);
      }
    };
    return tl;
  }

  function drawTimeline(sec, m, tl) {
    h('h3', {}, sec, 'Timeline');
    if (!tl) { h('p', { class: 'note' }, sec, 'No command ran on this machine after it booted.'); return; }
    h('p', { class: 'note' }, sec, tl.n + ' points' + (tl.stride > 1 ? ', each for ' + tl.stride +
      ' commands (the last one\'s values; free pages also show their lowest in between)' : ', one per command') +
      '. Hover to see the command and the values.');
    const panel = h('div', { class: 'panel timeline', 'data-machine': m.serial }, sec);
    const ctl = h('div', { class: 'controls' }, panel);
    let xmode = 'clock', yfit = true;
    for (const [k, label] of [['clock', 'x: virtual clock'], ['cmd', 'x: command']]) {
      const l = h('label', {}, ctl);
      const r = h('input', { type: 'radio', name: 'x' + m.serial, value: k }, l);
      if (k === xmode) r.checked = true;
      r.addEventListener('change', () => { xmode = k; render(); });
      l.appendChild(document.createTextNode(' ' + label));
    }
    const yl = h('label', {}, ctl);
    const yc = h('input', { type: 'checkbox' }, yl);
    yc.checked = !yfit;
    yc.addEventListener('change', () => { yfit = !yc.checked; render(); });
    yl.appendChild(document.createTextNode(' y from 0 (else fitted to what moves; a watermark off the scale is named at the edge)'));
    const host = h('div', {}, panel);
    const clock = tl.col('clock'), no = tl.col('no');
    const W = width(sec), L = 62, R = 12, PW = W - L - R;
    const charts = [];
    m.zones.forEach((z, zi) => charts.push({
      title: 'zone ' + z.name + (m.nodes > 1 ? ' (node ' + z.nid + ')' : '') + ': free pages and watermarks',
      key: 'zone' + zi,
      series: [['free', 'z' + zi + '.free', '#039855'], ['lowest free', 'z' + zi + '.freemin', '#a6f4c5', 'area'],
        ['min', 'z' + zi + '.min', '#d92d20', 'dash'], ['low', 'z' + zi + '.low', '#dc6803', 'dash'],
        ['high', 'z' + zi + '.high', '#2563eb', 'dash']]
    }));
    charts.push({ title: 'kernel and page-cache memory (pages)', key: 'kernel',
      series: [['slab', 'slab', '#e08a2c'], ['page tables', 'pgtable', '#8e44ad'], ['vmalloc', 'vmalloc', '#0e9384'],
        ['anon', 'anon', '#2e86de'], ['file', 'file', '#16a085'], ['shmem', 'shmem', '#c11574']] });
    const procs = tl.names().filter(nm => /^p\d+\.rss$/.test(nm));
    if (procs.length || tl.has('procs.other')) {
      const pname = pid => { const p = (m.procs || []).find(q => q.pid === pid); return p ? p.comm + ' (' + pid + ')' : 'pid ' + pid; };
      charts.push({ title: 'resident pages per process (RSS)', key: 'rss',
        series: procs.map((nm, i) => [pname(+nm.slice(1, -4)), nm, SERIES_COLORS[i % SERIES_COLORS.length]])
          .concat(tl.has('procs.other') ? [['others', 'procs.other', '#98a2b3']] : []) });
    }
    charts.push({ title: 'page faults (since boot)', key: 'faults',
      series: [['faults', 'ev.pgfault', '#2563eb'], ['major faults', 'ev.pgmajfault', '#d92d20']] });
    const nz = s => { const v = tl.col(s); return v && v.some(x => x > 0); };
    const lru = ['lru.active_anon', 'lru.inactive_anon', 'lru.active_file', 'lru.inactive_file', 'lru.unevictable'].filter(nz);
    if (lru.length || nz('swap'))
      charts.push({ title: 'LRU lists and swap (pages)', key: 'lru',
        series: lru.map((nm, i) => [nm.slice(4).replace('_', ' '), nm, SERIES_COLORS[i]]).concat(nz('swap') ? [['swap entries', 'swap', '#475467']] : []) });
    const rec = ['ev.pswpin', 'ev.pswpout', 'ev.pgscan_kswapd', 'ev.pgsteal_kswapd', 'ev.pgscan_direct', 'ev.pgsteal_direct'].filter(nz);
    if (rec.length)
      charts.push({ title: 'reclaim and swap I/O (pages, since boot)', key: 'reclaim',
        series: rec.map((nm, i) => [nm.slice(3), nm, SERIES_COLORS[i + 2]]) });
    const events = [['kswapd runs', 'ev.kswapd_runs', '#7a5af8'], ['allocation stalls', 'ev.allocstall', '#dc6803'],
      ['OOM kills', 'ev.oom_kill', '#d92d20']].filter(e => nz(e[1]));

    function render() {
      host.textContent = '';
      const xs = xmode === 'clock' ? clock : no;
      const x0 = xs[0], x1 = xs[tl.n - 1] > x0 ? xs[tl.n - 1] : x0 + 1;
      const X = v => L + (v - x0) / (x1 - x0) * PW;
      const px = xs.map(X);
      const cursors = [];
      function axis(svg, y) {
        const ga = el('g', { class: 'axis', transform: 'translate(0,' + y + ')' }, svg);
        el('line', { x1: L, x2: L + PW, y1: 0, y2: 0 }, ga);
        const ticks = niceTicks(x0, x1, 8);
        for (const t of ticks) {
          el('line', { x1: X(t), x2: X(t), y1: 0, y2: 4 }, ga);
          const tx = el('text', { x: X(t), y: 15, 'text-anchor': 'middle' }, ga);
          tx.textContent = xmode === 'clock' ? clockTick(t, ticks) : short(t);
        }
      }
      /* events: a mark where a counter went up */
      if (events.length) {
        const svg = el('svg', { width: W, height: 22 + 14 * events.length, class: 'events' }, host);
        events.forEach(([label, nm, color], k) => {
          const v = tl.col(nm), y = 8 + k * 14;
          const t = el('text', { x: 0, y: y + 4 }, svg);
          t.textContent = label;
          for (let i = 1; i < tl.n; i++)
            if (v[i] > v[i - 1]) {
              const mk = el('line', { class: 'event-mark', 'data-event': nm, x1: px[i], x2: px[i], y1: y - 5, y2: y + 5, stroke: color }, svg);
              mk.addEventListener('mousemove', ev => showTip(ev, tl.label(i) + '\n' + label + ': +' + (v[i] - v[i - 1])));
              mk.addEventListener('mouseleave', hideTip);
            }
        });
      }
      for (const ch of charts) {
        const ser = ch.series.map(([label, nm, color, style]) => ({ label, nm, color, style, v: tl.col(nm) })).filter(s => s.v);
        if (!ser.length) continue;
        let lo = 0, hi = 1;
        for (const s of ser) for (const v of s.v) if (v > hi) hi = v;
        if (yfit) {
          /* fit to the lines that move, and to the watermarks near them */
          let a = Infinity, b = -Infinity;
          for (const s of ser) if (s.style !== 'dash') for (const v of s.v) if (v >= 0) { a = Math.min(a, v); b = Math.max(b, v); }
          if (a <= b) {
            const pad = Math.max(1, (b - a) * 0.1);
            lo = Math.max(0, a - pad); hi = b + pad;
            for (const s of ser) if (s.style === 'dash') for (const v of s.v) if (v >= lo - 3 * (hi - lo) && v < lo) lo = Math.max(0, v - pad);
          }
        } else hi *= 1.05;
        const H = 120, T = 18;
        h('div', { class: 'chart-title mono' }, host, ch.title);
        const svg = el('svg', { width: W, height: H + T + 20, class: 'chart', 'data-chart': ch.key }, host);
        const Y = v => T + H - (Math.min(hi, Math.max(lo, v)) - lo) / (hi - lo) * H;
        for (const t of niceTicks(lo, hi, 4)) {
          el('line', { class: 'grid', x1: L, x2: L + PW, y1: Y(t), y2: Y(t) }, svg);
          const tx = el('text', { x: L - 6, y: Y(t) + 4, 'text-anchor': 'end' }, svg);
          tx.textContent = Math.abs(t) < 1e7 ? group(t) : short(t);
        }
        const gl = el('g', {}, svg);
        ser.forEach((s, k) => {
          const pts = [];
          for (let i = 0; i < tl.n; i++) {
            if (s.v[i] < 0) continue;	/* the process did not exist then */
            pts.push(px[i].toFixed(1) + ',' + Y(s.v[i]).toFixed(1));
          }
          if (s.style === 'area') {
            /* the band between the lowest free pages of each point and the free pages after it */
            const top = ser[0].v;
            if (!pts.length || !top) return;
            const back = [];
            for (let i = tl.n - 1; i >= 0; i--) if (top[i] >= 0) back.push(px[i].toFixed(1) + ',' + Y(top[i]).toFixed(1));
            el('polygon', { points: pts.join(' ') + ' ' + back.join(' '), fill: s.color, opacity: 0.8, class: 'area', 'data-series': s.nm }, gl);
            return;
          }
          if (s.style === 'dash' && s.v.every(v => v < lo || v > hi)) return;	/* named at the edge instead */
          el('polyline', { points: pts.join(' '), stroke: s.color, class: s.style === 'dash' ? 'wmark' : 'series',
            'data-series': s.nm, 'data-points': pts.length }, gl);
          if (k === 0 && tl.n <= 2000) {
            /* one mark per point on the chart's first series */
            const gp = el('g', { class: 'points' }, gl);
            for (let i = 0; i < tl.n; i++)
              if (s.v[i] >= 0) el('circle', { class: 'point', cx: px[i].toFixed(1), cy: Y(s.v[i]).toFixed(1), r: 2.6, fill: s.color, 'data-i': i }, gp);
          }
        });
        const off = [];
        for (const s of ser) {
          const last = s.v[tl.n - 1];
          if (s.style === 'dash' && (last < lo || last > hi)) off.push(s.label + ' ' + last);
        }
        if (off.length) {
          const t = el('text', { x: L + PW - 4, y: T + H - 5, 'text-anchor': 'end', class: 'offscale' }, svg);
          t.textContent = 'off the scale: ' + off.join(', ');
        }
        axis(svg, T + H);
        const lg = el('g', {}, svg);
        let lx = L;
        for (const s of ser) {
          el('rect', { x: lx, y: 2, width: 10, height: 10, fill: s.color }, lg);
          const t = el('text', { x: lx + 14, y: 11 }, lg);
          t.textContent = s.label;
          lx += 24 + 6.5 * s.label.length;
        }
        const cur = el('line', { class: 'cursor', x1: -10, x2: -10, y1: T, y2: T + H, visibility: 'hidden' }, svg);
        cursors.push(cur);
        const hit = el('rect', { x: L, y: T, width: PW, height: H, fill: 'transparent' }, svg);
        hit.addEventListener('mousemove', ev => {
          const r = svg.getBoundingClientRect(), mx = ev.clientX - r.left;
          /* the nearest point: binary search on the x positions */
          let a = 0, b = tl.n - 1;
          while (a < b) { const c = (a + b) >> 1; if (px[c] < mx) a = c + 1; else b = c; }
          if (a > 0 && Math.abs(px[a - 1] - mx) <= Math.abs(px[a] - mx)) a--;
          /* several commands at the same clock: the last of them */
          while (a + 1 < tl.n && px[a + 1] === px[a]) a++;
          for (const c of cursors) { c.setAttribute('x1', px[a]); c.setAttribute('x2', px[a]); c.setAttribute('visibility', 'visible'); }
          showTip(ev, tl.label(a) + '\n' + ser.map(s => s.label + ': ' + (s.v[a] < 0 ? '-' : s.v[a])).join('\n'));
        });
        hit.addEventListener('mouseleave', () => { hideTip(); for (const c of cursors) c.setAttribute('visibility', 'hidden'); });
      }
    }
    render();
  }

  /* ---- Processes ---- */

  function pageTables(p) {
    /* the tables by address, each table's entries, and the first address each table maps */
    const pt = p.pt, tables = new Map(), base = new Map();
    const mask = big(pt.mask);
    pt.tables.forEach(([pa, lvl], i) => tables.set(i, { pa: big('0x' + pa), level: lvl, entries: new Map() }));
    const byPa = new Map();
    for (const t of tables.values()) byPa.set(t.pa, t);
    for (const [ti, idx, val] of pt.entries) tables.get(ti).entries.set(idx, big('0x' + val));
    const root = byPa.get(big(pt.root));
    if (root) base.set(root, 0n);
    const next = l => { do l++; while (l < 5 && !pt.real[l]); return l; };
    const leaves = [];
    /* entries come parent before child: one pass gives every table its base address */
    for (const [ti, idx, val] of pt.entries) {
      const t = tables.get(ti), b = base.get(t);
      if (b === undefined) continue;
      const va = b + (BigInt(idx) << BigInt(pt.shift[t.level]));
      const v = big('0x' + val);
      if (t.level === 4) leaves.push([va, v]);
      else { const child = byPa.get(v & mask); if (child) base.set(child, va); }
    }
    return { root, byPa, next, mask, leaves };
  }

  function drawProcs(sec, m) {
    h('h3', {}, sec, 'Processes');
    const procs = m.procs || [];
    if (!procs.length) { h('p', { class: 'note' }, sec, 'No process ran on this machine.'); return; }
    const W = width(sec);
    for (const p of procs) {
      const box = h('div', { class: 'panel proc', 'data-pid': p.pid }, sec);
      const head = p.comm + ' (pid ' + p.pid + (p.ppid ? ', parent ' + p.ppid : '') + ')';
      if (!p.alive) {
        h('div', { class: 'mono' }, box, head + ': exited' + (p.signal ? ', killed by signal ' + p.signal : ' with code ' + p.exit_code));
        continue;
      }
      h('div', { class: 'mono' }, box, head + ': RSS ' + pages(p.rss_anon + p.rss_file + p.rss_shmem) + ' (anon ' + p.rss_anon +
        ', file ' + p.rss_file + ', shmem ' + p.rss_shmem + ' pages), ' + (p.swapents ? p.swapents + ' swapped, ' : '') +
        'virtual ' + pages(p.total_vm) + ', ' + p.vmas.length + ' VMAs, ' + p.nr_ptes + ' page-table pages, faults ' + p.min_flt + ' minor ' + p.maj_flt + ' major');
      const T = p.pt ? pageTables(p) : null;
      const resident = new Map();	/* VMA index -> sorted resident page addresses */
      const vmas = p.vmas.map(([s, e, perm, name]) => ({ s: big(s), e: big(e), perm, name }));
      if (T) {
        let vi = 0;
        const sorted = T.leaves.slice().sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        for (const [va, v] of sorted) {
          if (!(v & 1n)) continue;
          while (vi < vmas.length && vmas[vi].e <= va) vi++;
          if (vi < vmas.length && vmas[vi].s <= va) {
            if (!resident.has(vi)) resident.set(vi, []);
            resident.get(vi).push(va);
          }
        }
      }
      const top = big(m.layout.task_size);
      /* to scale: the whole user address space */
      h('div', { class: 'note' }, box, 'The address space to scale, 0 to ' + hex(Number(top)) + ' (every mapping at least 2 pixels wide):');
      const s1 = el('svg', { width: W, height: 26, class: 'aspace-scale' }, box);
      el('rect', { x: 0, y: 4, width: W, height: 16, fill: '#f2f4f7', stroke: '#d0d5dd' }, s1);
      const color = v => v.perm[0] !== 'r' && v.perm[1] !== 'w' ? '#d0d5dd' : v.perm[2] === 'x' ? '#16a085' : v.perm[1] === 'w' ? '#2e86de' : '#7a5af8';
      vmas.forEach(v => {
        const x = Number(v.s * 100000n / top) / 100000 * W, w = Math.max(2, Number((v.e - v.s) * 100000n / top) / 100000 * W);
        const r = el('rect', { class: 'vma', x, y: 4, width: w, height: 16, fill: color(v) }, s1);
        r.addEventListener('mousemove', ev => showTip(ev, vmaInfo(v, resident)));
        r.addEventListener('mouseleave', hideTip);
      });
      /* every mapping side by side, gaps shrunk; resident pages marked */
      h('div', { class: 'note' }, box, 'The mappings side by side (gaps left out), resident pages dark; click a mapping to walk the page tables:');
      const total = vmas.reduce((a, v) => a + Math.log2(1 + Number((v.e - v.s) >> 12n)), 0) || 1;
      const gap = 6, avail = W - gap * vmas.length;
      const s2 = el('svg', { width: W, height: 46, class: 'aspace' }, box);
      let x = 0;
      const walkBox = h('div', { class: 'walk' }, box);
      const ctl = h('div', { class: 'controls' }, walkBox);
      ctl.appendChild(document.createTextNode('page-table walk of '));
      const inp = h('input', { type: 'text', value: '', 'aria-label': 'address' }, ctl);
      const go = h('button', { type: 'button' }, ctl, 'walk');
      const out = h('div', {}, walkBox);
      vmas.forEach((v, i) => {
        const w = Math.max(24, Math.log2(1 + Number((v.e - v.s) >> 12n)) / total * avail);
        const g = el('g', { class: 'vma-g', 'data-vma': i }, s2);
        const r = el('rect', { class: 'vma', x, y: 2, width: w, height: 24, fill: color(v), opacity: 0.35 }, g);
        const res = resident.get(i) || [], np = Number((v.e - v.s) >> 12n);
        /* resident pages: one tick per page, or density per pixel for big mappings */
        const cols = Math.max(1, Math.floor(w));
        const dens = new Array(cols).fill(0);
        for (const va of res) dens[Math.min(cols - 1, Math.floor(Number((va - v.s) >> 12n) / np * cols))]++;
        const per = np / cols;
        for (let c = 0; c < cols; c++)
          if (dens[c]) el('rect', { x: x + c, y: 2, width: 1, height: 24, fill: color(v), opacity: Math.min(1, 0.3 + 0.7 * dens[c] / Math.max(1, per)), class: 'resident' }, g);
        const t = el('text', { x: x + 2, y: 40 }, s2);
        const label = v.name || (v.perm + ' anon');
        t.textContent = label.length * 6 < w ? label : '';
        g.addEventListener('mousemove', ev => showTip(ev, vmaInfo(v, resident, i)));
        g.addEventListener('mouseleave', hideTip);
        g.addEventListener('click', () => { const a = (res[0] !== undefined ? res[0] : v.s); inp.value = hex(Number(a)); walk(); });
        x += w + gap;
      });
      function walk() {
        let a;
        try { a = BigInt(inp.value.trim()); } catch (e) { out.textContent = 'not an address: ' + inp.value; return; }
        drawWalk(out, p, T, a, W);
      }
      go.addEventListener('click', walk);
      inp.addEventListener('keydown', ev => { if (ev.key === 'Enter') walk(); });
      let first = null;
      for (const [, r] of resident) if (r.length && (first === null || r[0] < first)) first = r[0];
      inp.value = hex(Number(first !== null ? first : (vmas[0] ? vmas[0].s : 0n)));
      if (T) walk(); else out.textContent = 'The page tables were not recorded.';
    }
  }

  function vmaInfo(v, resident, i) {
    const np = Number((v.e - v.s) >> 12n), res = i === undefined ? null : (resident.get(i) || []).length;
    return hex(Number(v.s)) + '\u2013' + hex(Number(v.e)) + ' ' + v.perm + ' ' + (v.name || '(anonymous)') +
      '\n' + np + ' pages (' + pages(np) + ')' + (res !== null ? ', ' + res + ' resident' : '');
  }

  const PTE_BITS = [[0, 'P'], [1, 'RW'], [2, 'U'], [3, 'PWT'], [4, 'PCD'], [5, 'A'], [6, 'D'], [7, 'PS/PAT'], [8, 'G'], [63, 'NX']];
  function flags(v) { return PTE_BITS.filter(([b]) => (v >> BigInt(b)) & 1n).map(([, n]) => n).join(' ') || 'none'; }

  function drawWalk(out, p, T, addr, W) {
    out.textContent = '';
    const pt = p.pt, names = ['PGD', 'P4D', 'PUD', 'PMD', 'PTE'];
    const svg = el('svg', { width: W, height: 5 * 46 + 30, class: 'walk-svg', 'data-addr': hex(Number(addr)) }, out);
    const defs = el('defs', {}, svg);
    const mk = el('marker', { id: 'arrowhead', markerWidth: 8, markerHeight: 8, refX: 7, refY: 4, orient: 'auto' }, defs);
    el('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#667085' }, mk);
    let table = T.root, y = 4, stop = null;
    for (let l = 0; l < 5; l++) {
      const g = el('g', { class: 'walk-level', 'data-level': names[l] }, svg);
      if (!pt.real[l]) {
        el('rect', { class: 'fold', x: 0, y, width: W - 2, height: 34, rx: 4 }, g);
        const t = el('text', { x: 10, y: y + 21 }, g);
        t.textContent = names[l] + ': folded into the level above (this arch has no such table)';
        y += 46;
        continue;
      }
      const idx = Number((addr >> BigInt(pt.shift[l])) & ((1n << BigInt(pt.bits[l])) - 1n));
      const e = table ? (table.entries.get(idx) || 0n) : 0n;
      const present = (e & 1n) === 1n;
      el('rect', { class: present ? 'hit' : 'miss', x: 0, y, width: W - 2, height: 34, rx: 4 }, g);
      const t = el('text', { x: 10, y: y + 14, class: 'mono' }, g);
      t.textContent = names[l] + ' table at phys ' + hex(Number(table ? table.pa : 0n)) + ', entry [' + idx + '] (address bits ' +
        (pt.shift[l] + pt.bits[l] - 1) + '\u2013' + pt.shift[l] + ')';
      const t2 = el('text', { x: 10, y: y + 28, class: 'mono' }, g);
      t2.textContent = '= 0x' + e.toString(16).padStart(pt.entry_size * 2, '0') + '  ' + (e ? flags(e) : 'empty');
      y += 46;
      if (l === 4 || !present) {
        if (l === 4 && present) stop = 'frame: pfn ' + hex(Number((e & T.mask) >> 12n)) + ', physical address ' + hex(Number((e & T.mask) | (addr & 0xfffn)));
        else if (l === 4 && e) stop = 'not present: ' + ((e & 0x100n) && !(e & 1n) ? 'PROT_NONE (any access faults)' : 'swapped out (a swap entry)');
        else stop = l === 4 ? 'no page here: an access would fault and the fault handler would fill the entry' : 'no ' + names[T.next(l)] + ' table below: nothing mapped in this range';
        break;
      }
      el('line', { class: 'arrow', x1: 30, x2: 30, y1: y - 12, y2: y - 1 }, svg);
      table = T.byPa.get(e & T.mask);
    }
    const t = el('text', { x: 10, y: y + 14, class: 'walk-result' }, svg);
    t.textContent = '\u2192 ' + (stop || '');
    svg.setAttribute('height', y + 24);
  }

  /* ---- Slab caches ---- */

  function drawSlab(sec, m) {
    h('h3', {}, sec, 'Slab caches');
    const caches = (m.slab || []).slice();
    if (!caches.length) { h('p', { class: 'note' }, sec, 'No slab layer on this machine.'); return; }
    caches.sort((a, b) => b.slabs * (1 << b.order) - a.slabs * (1 << a.order) || (a.name < b.name ? -1 : 1));
    const used = caches.filter(c => c.slabs);
    h('p', { class: 'note' }, sec, used.length + ' of ' + caches.length + ' caches hold slabs, largest first. ' +
      'The bar is the objects its slabs can hold, the dark part those in use; then its slabs: full, partial, empty and per-CPU.');
    const panel = h('div', { class: 'panel' }, sec);
    const tbl = h('table', { class: 'slab' }, panel);
    const hr = h('tr', {}, tbl);
    for (const c of ['cache', 'object', 'in use / capacity', '', 'slabs: full', 'partial', 'empty', 'cpu', 'memory']) h('th', {}, hr, c);
    const maxObjs = Math.max(1, ...used.map(c => c.objs));
    for (const c of used) {
      const tr = h('tr', { class: 'slab-row', 'data-cache': c.name }, tbl);
      h('td', { class: 'mono' }, tr, c.name);
      h('td', {}, tr, c.object_size + ' B');
      h('td', {}, tr, c.active + ' / ' + c.objs);
      const td = h('td', {}, tr);
      const svg = el('svg', { width: 220, height: 12 }, td);
      el('rect', { x: 0, y: 1, width: Math.max(1, c.objs / maxObjs * 220), height: 10, fill: '#fde7cf' }, svg);
      el('rect', { x: 0, y: 1, width: c.active / maxObjs * 220, height: 10, fill: '#e08a2c', class: 'slab-used' }, svg);
      for (const k of ['full', 'partial', 'empty', 'cpu']) h('td', {}, tr, String(c[k]));
      h('td', {}, tr, pages(c.slabs << c.order));
    }
    const idle = caches.filter(c => !c.slabs);
    if (idle.length) {
      const d = h('details', {}, panel);
      h('summary', {}, d, idle.length + ' caches without slabs');
      h('p', { class: 'mono' }, d, idle.map(c => c.name).join('  '));
    }
  }

  /* ---- vmalloc ---- */

  function drawVmalloc(sec, m) {
    h('h3', {}, sec, 'The vmalloc area');
    const v = m.vmalloc;
    if (!v) return;
    const s = big(v.start), e = big(v.end), span = e - s;
    h('p', { class: 'note' }, sec, hex(Number(s)) + '\u2013' + hex(Number(e)) + ' (' + bytes(Number(span)) + '), to scale; ' +
      v.areas.length + ' areas (each drawn at least 2 pixels wide, the smaller over the larger; the guard page is part of each).');
    const panel = h('div', { class: 'panel' }, sec);
    const W = width(sec);
    const svg = el('svg', { width: W, height: 30, class: 'vmalloc-map' }, panel);
    el('rect', { x: 0, y: 4, width: W, height: 18, fill: '#f2f4f7', stroke: '#d0d5dd' }, svg);
    const kinds = { vmalloc: '#0e9384', vmap: '#7a5af8', ioremap: '#dc6803', other: '#98a2b3', user: '#2e86de', vpages: '#0e9384', unpurged: '#d0d5dd', vm_map_ram: '#c11574' };
    // the smaller areas drawn last, over their neighbours: an area widened to 2 pixels stays in sight
    const order = v.areas.map((a, i) => [big(a[1]) - big(a[0]), i]).sort((p, q) => (q[0] > p[0]) - (q[0] < p[0]) || p[1] - q[1]);
    for (const [, i] of order) {
      const [a0, a1, size, caller, kind, np] = v.areas[i];
      const a = big(a0), b = big(a1);
      const x = Number((a - s) * 100000n / span) / 100000 * W, w = Math.max(2, Number((b - a) * 100000n / span) / 100000 * W);
      const r = el('rect', { class: 'vm-area', x, y: 4, width: w, height: 18, fill: kinds[kind] || '#98a2b3' }, svg);
      r.addEventListener('mousemove', ev => showTip(ev, a0 + '\u2013' + a1 + ' ' + bytes(size) + '\n' + caller + ' (' + kind + ')' + (np ? ', ' + np + ' pages' : '')));
      r.addEventListener('mouseleave', hideTip);
    }
    legend(panel, Object.entries(kinds).filter(([k]) => v.areas.some(a => a[4] === k)));
  }

  /* ---- The page ---- */

  function drawMachine(root, m, k) {
    const sec = h('section', { class: 'machine', id: 'machine-' + m.serial, 'data-serial': m.serial }, root);
    h('h2', {}, sec, 'Machine ' + (k + 1) + ': ' + m.cmdline);
    if (m.gone) { h('p', { class: 'note' }, sec, 'This machine ended before its state could be recorded.'); return; }
    const mem = m.zones.reduce((a, z) => a + z.present, 0);
    h('p', { class: 'note' }, sec, m.arch + ', ' + pages(mem) + ' of RAM in ' + m.zones.length + ' zones' +
      (m.nodes > 1 ? ' on ' + m.nodes + ' nodes' : '') + ', ' + m.cpus + ' CPU' + (m.cpus > 1 ? 's' : '') +
      '; the state below is at virtual time ' + seconds(m.clock) + (m.halted ? '; the machine halted (kernel panic)' : ''));
    const tl = timeline(m);
    drawMap(sec, m);
    drawBuddy(sec, m, tl);
    drawTimeline(sec, m, tl);
    drawProcs(sec, m);
    drawSlab(sec, m);
    drawVmalloc(sec, m);
  }

  function main() {
    document.title = DATA.title + ' \u2014 kmm report';
    document.getElementById('title').textContent = DATA.title;
    const ms = DATA.machines || [];
    document.getElementById('summary').textContent = DATA.generator + ': ' + DATA.commands_run + ' commands run on ' +
      ms.length + ' machine' + (ms.length === 1 ? '' : 's') +
      (DATA.machines_dropped ? ' (' + DATA.machines_dropped + ' later machines are left out)' : '') + '.';
    const root = document.getElementById('machines');
    ms.forEach((m, k) => drawMachine(root, m, k));
    document.body.setAttribute('data-ready', '1');
  }
  main();
})();
