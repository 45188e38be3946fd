// The Chimney dashboard: polls the control API of the same origin and draws what it answers. No libraries.
'use strict';

const POLL_MS = 500;
let since = 0;
let busy = false;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

async function api(path, options) {
  const r = await fetch('/api/' + path, options);
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function human(n) {
  const units = ['', 'K', 'M', 'G', 'T'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + units[i];
}

function renderStatus(s) {
  document.getElementById('host').textContent = s.host + ' ' + s.addresses.join(' ');
  const adm = document.getElementById('admission');
  const a = s.offload ? s.offload.admission : 'no target';
  adm.textContent = a;
  adm.className = 'admission ' + a;
  const c = s.connections;
  document.getElementById('summary').textContent = c.total + ' connections: ' + c.Offloaded + ' Offloaded, '
      + c.InHost + ' InHost' + (c.Offloading + c.Uploading > 0 ? ', ' + (c.Offloading + c.Uploading) + ' moving' : '')
      + (s.offload ? ' — target ' + s.offload.target + ', policy ' + s.offload.policy : '');
}

function renderConnections(list) {
  const tbody = document.querySelector('#connections tbody');
  tbody.replaceChildren(...list.connections.map(c => el('tr', {'data-id': c.id, 'data-offload-state': c.offloadState},
      el('td', {}, c.id), el('td', {}, c.local), el('td', {}, c.remote), el('td', {}, c.state),
      el('td', {class: 'offload-state ' + c.offloadState}, c.offloadState), el('td', {}, c.runsOn),
      el('td', {class: 'num'}, human(c.bytesAcked)), el('td', {class: 'num'}, human(c.bytesReceived)),
      el('td', {class: 'num'}, human(c.cwnd)), el('td', {class: 'num'}, (c.srttUs / 1000).toFixed(2)),
      el('td', {class: 'num'}, c.retransmits))));
}

function renderObjects(o) {
  const root = el('ul', {class: 'tree root'});
  for (const n of o.neighbors) {
    const paths = el('ul', {class: 'tree'});
    for (const p of n.paths) {
      const conns = el('ul', {class: 'tree'});
      for (const c of p.connections) {
        conns.append(el('li', {'data-id': c.id}, 'TCP #' + c.id + ' ' + c.local + ' → ' + c.remote + ' ' + c.state + ' ',
            el('span', {class: c.offloadState}, c.offloadState)));
      }
      paths.append(el('li', {}, 'path ' + p.source + ' → ' + p.destination + ' mtu ' + p.pathMtu + ' ',
          el('span', {class: p.offloadState}, p.offloadState), conns));
    }
    root.append(el('li', {}, 'neighbor ' + n.ip + ' ' + (n.mac || '?') + ' ' + n.cacheState + ' ',
        el('span', {class: n.offloadState}, n.offloadState), paths));
  }
  const box = document.getElementById('objects');
  box.replaceChildren(root, el('div', {}, o.connectionsInHost + ' connection(s) run in the host, outside these trees'));
}

function renderEvents(ev) {
  const box = document.getElementById('timeline');
  const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  for (const e of ev.events) {
    box.append(el('div', {class: e.kind}, (e.timeMs / 1000).toFixed(3).padStart(9) + ' s  ' + e.kind.padEnd(10) + ' ' + e.text));
  }
  while (box.childElementCount > 400) box.firstElementChild.remove();
  since = ev.next;
  if (atBottom) box.scrollTop = box.scrollHeight;
}

function renderCounters(st) {
  const lines = [];
  for (const [k, v] of Object.entries(st.drops)) if (v !== 0) lines.push(['drop ' + k, v]);
  const sections = [['offload', st.host.offload || {}], ['tcp', st.host.tcp], ['tcpip', st.host.tcpip], ['ip', st.host.ip]];
  for (const [name, counters] of sections) {
    for (const [k, v] of Object.entries(counters)) if (v !== 0) lines.push([name + '.' + k, v]);
  }
  if (st.target) {
    for (const fam of ['ipv4', 'ipv6', 'tcp4', 'tcp6']) {
      for (const [k, v] of Object.entries(st.target[fam])) if (v !== 0) lines.push(['target.' + fam + '.' + k, v]);
    }
  }
  document.getElementById('counters').replaceChildren(
      el('div', {}, 'drops total: ' + st.dropsTotal),
      ...lines.map(([k, v]) => el('div', {'data-counter': k}, k + ' = ' + v)));
}

function renderThroughput(tp) {
  const canvas = document.getElementById('throughput');
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height, pad = 40;
  ctx.clearRect(0, 0, w, h);
  const pts = tp.points;
  let max = 1;
  for (const p of pts) max = Math.max(max, p.inBytesPerSecond, p.outBytesPerSecond);
  ctx.strokeStyle = '#ccc';
  ctx.fillStyle = '#666';
  ctx.font = '11px sans-serif';
  for (let i = 0; i <= 4; i++) {
    const y = h - pad / 2 - (h - pad) * i / 4;
    ctx.beginPath(); ctx.moveTo(pad, y); ctx.lineTo(w, y); ctx.stroke();
    ctx.fillText(human(max * i / 4 * 8) + 'b/s', 0, y + 4);
  }
  const series = [['inBytesPerSecond', '#1565c0'], ['outBytesPerSecond', '#2e7d32'],
    ['offloadedInBytesPerSecond', '#ef6c00'], ['offloadedOutBytesPerSecond', '#8e24aa']];
  const n = Math.max(pts.length, 2);
  for (const [key, color] of series) {
    // totals wide and solid; the share through the target thin and dashed on top, so both stay visible
    const share = key.startsWith('offloaded');
    ctx.strokeStyle = color;
    ctx.lineWidth = share ? 1.5 : 3;
    ctx.setLineDash(share ? [6, 4] : []);
    ctx.beginPath();
    pts.forEach((p, i) => {
      const x = pad + (w - pad) * i / (n - 1);
      const y = h - pad / 2 - (h - pad) * p[key] / max;
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  }
  ctx.setLineDash([]);
  const last = pts[pts.length - 1];
  document.getElementById('rate').textContent = last
      ? 'now: in ' + human(last.inBytesPerSecond * 8) + 'b/s, out ' + human(last.outBytesPerSecond * 8) + 'b/s' : '';
}

async function poll() {
  try {
    const [status, conns, objects, events, stats, tp] = await Promise.all([
      api('status'), api('connections?query=0'), api('objects'), api('events?since=' + since), api('stats'),
      api('throughput')]);
    renderStatus(status);
    renderConnections(conns);
    renderObjects(objects);
    renderEvents(events);
    renderCounters(stats);
    renderThroughput(tp);
    document.body.dataset.polls = String(Number(document.body.dataset.polls || 0) + 1);
  } catch (e) {
    document.getElementById('message').textContent = 'control API: ' + e.message;
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

for (const b of document.querySelectorAll('button[data-action]')) {
  b.addEventListener('click', async () => {
    if (busy) return;
    busy = true;
    const buttons = document.querySelectorAll('button[data-action]');
    buttons.forEach(x => x.disabled = true);
    const msg = document.getElementById('message');
    msg.textContent = b.dataset.action + '…';
    try {
      const r = await api(b.dataset.action, {method: 'POST'});
      msg.textContent = r.message;
    } catch (e) {
      msg.textContent = b.dataset.action + ': ' + e.message;
    } finally {
      buttons.forEach(x => x.disabled = false);
      busy = false;
    }
  });
}

poll();
