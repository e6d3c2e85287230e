// The call-flow page: GET /api/v1/calls/{call_id}/flow drawn as an SVG ladder. One column per host
// (the flow's `hosts`, in order of appearance), one arrow per message labelled with its method or
// status, the capture time and the delta to the previous message on the left, one colour per leg
// (the leg's Call-ID colour, as in the result table), inferred legs dashed. Clicking an arrow opens
// that message in the detail panel. All text goes in through text nodes (dom.js).
//
// Issue 12, Missing 4 and 8: error responses are coloured (4xx amber, 5xx/6xx red, on a tinted
// pill; 401/407 challenges amber text only); arrows that carry SDP get an "SDP" badge and the media
// address, codecs and direction under the arrow (from each offer/answer's detail, fetched after
// the ladder is drawn); the ladder fills the page width (redrawn when its width changes); arrow
// keys move between arrows, opening each in the detail panel.
//
// Issue 15: the "Quality" panel beside the ladder (qos.js, GET /calls/{call_id}/qos) and a small
// marker per quality report at the ladder's right edge, at the report's time between the messages.
import { getJson } from './api.js';
import { byId, h, replaceChildren, s, visibleText } from './dom.js';
import { DetailPanel } from './detail.js';
import { callColor, callFileName, endpoint, formatClockUs, formatDeltaUs, formatTimeUs, sipLabel } from './format.js';
import { callRefBytes, hashFor, isoSeconds, normalizeTime, timeToMs } from './query.js';
import { zoneLabel } from './timezone.js';
import { parseSdp, sdpLines, sdpShort } from './sdp.js';
import { clearBanner, errorText, showBanner } from './banner.js';
import { runDownload } from './search.js';
import { qosMarkers, renderQos, renderQosError } from './qos.js';

const GUTTER = 150;     // time + delta column
const HEAD_H = 56;      // host boxes
const ROW_H = 38;       // one message (label above the arrow, SDP below)
const MIN_COL_W = 190;
const CHAR_W = 7.4;     // 12px monospace, for sizing columns to the longest host or label

let detail;
let seq = 0;
let selected = null;
// The flow on screen, to redraw it at another width: {hosts, messages, legs}.
let shown = null;
// SDP summaries of the flow's messages by id (null: fetched, none).
const sdpById = new Map();
let lastWidth = 0;

export function initFlow() {
  detail = new DetailPanel(byId('flow-detail'), { onClose: () => select(null) });
  const ladder = byId('ladder');
  if (typeof ResizeObserver === 'function') {
    new ResizeObserver(() => {
      const width = ladder.clientWidth;
      if (!shown || ladder.hidden || Math.abs(width - lastWidth) < 8) return;
      redraw();
    }).observe(ladder);
  }
}

// Draws `shown` to the ladder's width again, keeping the selected arrow.
function redraw() {
  const ladder = byId('ladder');
  const selectedId = selected ? selected.dataset.id : null;
  const focused = document.activeElement;
  const focusedId = focused && ladder.contains(focused) && focused.dataset ? focused.dataset.id : null;
  lastWidth = ladder.clientWidth;
  const svg = drawLadder(shown.hosts, shown.messages, shown.legs, Math.max(0, lastWidth - 2), detail, shown.aliases,
    shown.markers || []);
  replaceChildren(ladder, svg);
  selected = null;
  if (selectedId) {
    const group = svg.querySelector(`g.arrow[data-id="${CSS.escape(selectedId)}"]`);
    if (group) select(group);
  }
  if (focusedId) svg.querySelector(`g.arrow[data-id="${CSS.escape(focusedId)}"]`)?.focus();
}

// ArrowDown with nothing focused: the first arrow of the ladder.
export function focusFirstArrow() {
  const first = byId('ladder').querySelector('g.arrow');
  if (first) first.focus();
  return Boolean(first);
}

export function closeFlowDetail() {
  if (!byId('flow-detail').hidden) detail.close();
}

function select(group) {
  if (selected) selected.classList.remove('selected');
  selected = group;
  if (group) group.classList.add('selected');
}

// Does `callRef` (the api's call_ref: base64url of "r1:<key>:<stored Call-ID bytes>") name more
// than `callId` already does? Only for a Call-ID that is not UTF-8 or longer than the 255 stored
// bytes; any other call is found by its Call-ID, which the search form can show.
function refNeeded(callId, callRef) {
  if (!callRef) return false;
  const stored = callRefBytes(callRef);
  const bytes = new TextEncoder().encode(callId);
  return !stored || bytes.length >= 255 || stored.length !== bytes.length || stored.some((b, i) => b !== bytes[i]);
}

// The flow's actions: shown only with a flow on screen (an unknown Call-ID has nothing to export).
function showActions(visible) {
  for (const id of ['flow-pcap', 'flow-txt']) byId(id).hidden = !visible;
}

// Route entry: #/flow?call_id=...[&call_ref=...]&from=...&to=...
export async function showFlow(params) {
  const mySeq = ++seq;
  clearBanner();
  closeFlowDetail();
  const callId = params.get('call_id') || '';
  const callRef = params.get('call_ref') || '';
  // call_ref names the call exactly (a Call-ID that is not UTF-8 or longer than 255 bytes is not
  // found by its printed text); without it, the Call-ID text.
  const call = callRef ? { call_ref: callRef } : { call_id: callId };
  // Link times are RFC 3339 UTC (a zoneless one, from an older link, is UTC too).
  const range = { from: normalizeTime(params.get('from'), 'UTC'), to: normalizeTime(params.get('to'), 'UTC') };
  const title = byId('flow-title');
  const ladder = byId('ladder');
  const empty = byId('flow-empty');
  replaceChildren(title, 'Call flow ', h('span', { class: 'mono call-id' }, visibleText(callId)));
  replaceChildren(byId('flow-legs'));
  byId('flow-summary').textContent = '';
  replaceChildren(byId('flow-qos'));
  byId('flow-qos').hidden = true;
  shown = null;
  showActions(false);
  empty.hidden = true;
  ladder.hidden = false;
  const noFlow = (text) => {
    replaceChildren(ladder);
    ladder.hidden = true;
    empty.textContent = text;
    empty.hidden = false;
  };
  // Downloads and the message list cover every leg the ladder shows (legs=linked).
  const linked = { ...call, ...range, legs: 'linked' };
  byId('flow-pcap').onclick = () => runDownload(byId('flow-pcap'), 'export.pcap', linked, callFileName(callId, 'pcap'), { ownName: true });
  byId('flow-txt').onclick = () => runDownload(byId('flow-txt'), 'export.txt', linked, callFileName(callId, 'txt'), { ownName: true });
  setSearchLink(callId, callRef, range, 1);
  if (!callId) {
    noFlow('No Call-ID given.');
    return;
  }
  replaceChildren(ladder, h('p', { class: 'muted pad' }, 'Loading call flow…'));
  let flow;
  try {
    flow = await getJson(`calls/${encodeURIComponent(callId)}/flow`, { ...range, ...(callRef ? { call_ref: callRef } : {}) });
  } catch (e) {
    if (mySeq !== seq) return;
    if (e.status === 404) noFlow('No messages for this Call-ID in the time range.');
    else {
      replaceChildren(ladder);
      showBanner(errorText(e));
    }
    return;
  }
  if (mySeq !== seq) return;
  const messages = flow.messages || [];
  const legs = flow.legs && flow.legs.length ? flow.legs : [{ call_id: callId, relation: 'self' }];
  replaceChildren(byId('flow-legs'), legs.map(legChip));
  if (!messages.length) {
    noFlow('No messages for this Call-ID in the time range.');
    return;
  }
  setSearchLink(callId, callRef, range, legs.length);
  showActions(true);
  const first = messages[0].time_us;
  const last = messages[messages.length - 1].time_us;
  byId('flow-summary').textContent = `${messages.length} message${messages.length === 1 ? '' : 's'} · ${legs.length} leg${legs.length === 1 ? '' : 's'} · ` +
    `${formatTimeUs(first)} ${zoneLabel()} · ${formatDeltaUs(last - first).replace('+', '')}`;
  shown = { hosts: flow.hosts || [], messages, legs, aliases: flow.host_aliases || [] };
  redraw();
  loadSdp(messages, mySeq);
  loadQos(`calls/${encodeURIComponent(callId)}/qos`, { ...range, ...(callRef ? { call_ref: callRef } : {}) }, mySeq);
}

// The Quality panel and the ladder's report markers for the flow on screen.
async function loadQos(path, params, mySeq) {
  const panel = byId('flow-qos');
  panel.hidden = false;
  renderQos(panel, null);
  let qos;
  try {
    qos = await getJson(path, params);
  } catch (e) {
    if (mySeq === seq) renderQosError(panel, errorText(e));
    return;
  }
  if (mySeq !== seq || !shown) return;
  renderQos(panel, qos);
  shown.markers = qosMarkers(qos);
  if (shown.markers.length) redraw();
}

// Which messages can carry an offer or answer (RFC 3261 / 3262 / 3311): INVITE, ACK, PRACK and
// UPDATE requests and their 18x / 2xx responses.
const SDP_METHODS = new Set(['INVITE', 'ACK', 'PRACK', 'UPDATE']);
const MAX_SDP_FETCH = 200;

function mayCarrySdp(m) {
  if (!SDP_METHODS.has(m.method)) return false;
  const status = Number(m.status) || 0;
  return !status || (status >= 180 && status < 300);
}

// Fetches the detail of each message that may carry SDP (4 at a time, at most MAX_SDP_FETCH) and
// marks its arrow. The ladder is usable meanwhile.
async function loadSdp(messages, mySeq) {
  if (sdpById.size > 20 * MAX_SDP_FETCH) sdpById.clear();  // a cache of recent flows, not of the session
  const todo = messages.filter((m) => mayCarrySdp(m) && !sdpById.has(m.id)).slice(0, MAX_SDP_FETCH);
  for (const m of messages) if (sdpById.has(m.id)) annotate(m.id);
  const worker = async () => {
    while (todo.length && mySeq === seq) {
      const m = todo.shift();
      try {
        const full = await getJson(`messages/${encodeURIComponent(m.id)}`);
        sdpById.set(m.id, parseSdp(full.body));
      } catch {
        continue;  // no badge; the detail panel shows the error if opened
      }
      if (mySeq === seq) annotate(m.id);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

// Adds the SDP badge and summary to the arrow of message `id` on screen.
function annotate(id) {
  const summary = sdpById.get(id);
  const group = byId('ladder').querySelector(`g.arrow[data-id="${CSS.escape(id)}"]`);
  if (!summary || !group || group.classList.contains('has-sdp')) return;
  const { labelX, y, labelW } = group.dataset;
  const short = sdpShort(summary);
  group.classList.add('has-sdp');
  group.dataset.sdp = short;
  group.append(
    s('rect', { x: Number(labelX) + Number(labelW) / 2 + 6, y: Number(y) - 13, width: 28, height: 14, rx: 3, class: 'sdp-badge' }),
    s('text', { x: Number(labelX) + Number(labelW) / 2 + 20, y: Number(y) - 2, 'text-anchor': 'middle', class: 'sdp-badge-text' }, 'SDP'),
    s('text', { x: Number(labelX), y: Number(y) + 17, 'text-anchor': 'middle', class: 'sdp-text', 'data-testid': 'ladder-sdp' },
      short));
  const title = group.querySelector('title');
  if (title) title.append(`\nSDP: ${sdpLines(summary).join(' | ')}`);
  group.setAttribute('aria-label', `${group.getAttribute('aria-label')}, SDP ${short}`);
}

// "Messages": the search page with what it searches in its fields: the Call-ID (call_ref only
// when the Call-ID text cannot find the call), "with linked legs" when the flow has more than
// one, and the flow's time range as date-times.
function setSearchLink(callId, callRef, range, legCount) {
  const fromMs = timeToMs(range.from);
  const toMs = timeToMs(range.to);
  byId('flow-search').href = hashFor('search', {
    ...(refNeeded(callId, callRef) ? { call_ref: callRef } : { call_id: callId }),
    ...(legCount > 1 ? { legs: 'linked' } : {}),
    ...(Number.isFinite(fromMs) && Number.isFinite(toMs)
      ? { from: isoSeconds(Math.floor(fromMs / 1000) * 1000), to: isoSeconds(Math.ceil(toMs / 1000) * 1000) } : {}),
    view: 'messages',
  });
}

function legChip(leg) {
  const inferred = leg.relation === 'inferred';
  return h('span', { class: ['leg-chip', inferred ? 'inferred' : null], style: { '--call': callColor(leg.call_id) } },
    h('span', { class: 'leg-line' }),
    h('span', { class: 'mono' }, visibleText(leg.call_id || '')),
    h('span', { class: 'muted' }, leg.relation || ''),
    // Why the leg is linked (issue 14): the rule (x-cid, correlation, or a parser rule like icid)
    // and the value both legs carry.
    leg.linked_by ? h('span', { class: 'muted leg-why', 'data-testid': 'leg-why' },
      visibleText(`by ${leg.linked_by.rule} = ${leg.linked_by.value}`)) : null);
}

// Column index of a message's endpoint; unknown hosts get a column at the end.
function columnIndex(hosts, index, ip, port) {
  for (const key of [endpoint(ip, port), `${ip}:${port}`]) {
    if (index.has(key)) return index.get(key);
  }
  const key = endpoint(ip, port);
  hosts.push(key);
  index.set(key, hosts.length - 1);
  return hosts.length - 1;
}

// Error responses: 4xx amber, 5xx/6xx red; 401/407 are challenges, normal before an
// authenticated retry, so they get amber text without the error pill.
function errorClass(status) {
  if (status === 401 || status === 407) return ['sip-challenge'];
  return status >= 400 ? ['sip-error', `err${Math.floor(status / 100)}xx`] : [];
}

// `panel`: where a clicked message opens (the shared-call view passes its own). `hostAliases`: the
// flow's host_aliases (an alias name or null per host): the column's title, the address on hover.
// `markers`: quality reports (qos.js qosMarkers: {time_us, level, text}), drawn small at the right.
export function drawLadder(flowHosts, messages, legs, availableWidth = 0, panel = detail, hostAliases = [],
  markers = []) {
  const hosts = flowHosts.map(String);
  const index = new Map(hosts.map((host, i) => [host, i]));
  const rows = messages.map((m) => ({
    m,
    from: columnIndex(hosts, index, m.src_ip, m.src_port),
    to: columnIndex(hosts, index, m.dst_ip, m.dst_port),
    label: sipLabel(m),
  }));
  const inferredLegs = new Set(legs.filter((l) => l.relation === 'inferred').map((l) => l.call_id));
  // Column titles: the alias where there is one (hosts added above for unknown endpoints have none).
  const titles = hosts.map((host, i) => (hostAliases[i] ? String(hostAliases[i]) : host));
  const longest = Math.max(0, ...titles.map((x) => x.length), ...rows.map((r) => r.label.length + 4));
  const needed = Math.max(MIN_COL_W, Math.ceil(longest * CHAR_W) + 24);
  // The page width when it has room: columns share what is left of it after the time gutter.
  const colW = Math.max(needed, Math.floor((availableWidth - GUTTER - 40) / Math.max(1, hosts.length)));
  const width = GUTTER + hosts.length * colW + 40;
  const height = HEAD_H + rows.length * ROW_H + 24;
  const x = (col) => GUTTER + col * colW + colW / 2;

  const svg = s('svg', {
    class: 'ladder-svg', width, height, viewBox: `0 0 ${width} ${height}`,
    role: 'img', 'aria-label': `call flow with ${rows.length} messages`, 'data-testid': 'ladder-svg',
  });

  // One arrowhead marker per colour; ids are indexes, never data.
  const defs = s('defs');
  const markerFor = new Map();
  const marker = (color) => {
    if (!markerFor.has(color)) {
      const id = `sv-arrow-${markerFor.size}`;
      defs.append(s('marker', {
        id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 10, markerHeight: 10, markerUnits: 'userSpaceOnUse',
        orient: 'auto-start-reverse',
      }, s('path', { d: 'M0,0 L10,5 L0,10 z', fill: color })));
      markerFor.set(color, id);
    }
    return `url(#${markerFor.get(color)})`;
  };
  svg.append(defs);

  svg.append(s('text', { x: 8, y: 20, class: 'ladder-head-text' }, `time (${zoneLabel()})`),
    s('text', { x: 8, y: 36, class: 'ladder-delta' }, 'Δ previous'));
  hosts.forEach((host, col) => {
    const cx = x(col);
    svg.append(
      s('line', { x1: cx, y1: HEAD_H - 8, x2: cx, y2: height - 8, class: 'lifeline' }),
      s('rect', { x: cx - colW / 2 + 8, y: 8, width: colW - 16, height: 34, rx: 4, class: 'host-box' }),
      s('text', { x: cx, y: 30, 'text-anchor': 'middle', class: 'host-text', 'data-testid': 'host-title' },
        titles[col], s('title', null, titles[col] === host ? host : `${titles[col]} (${host})`)));
  });

  let previous = null;
  rows.forEach((row, k) => {
    const { m } = row;
    const y = HEAD_H + 14 + k * ROW_H;
    const leg = m.leg || m.call_id || '';
    const color = callColor(leg);
    const inferred = Boolean(m.inferred) || inferredLegs.has(leg);
    svg.append(
      s('text', { x: 8, y: y - 2, class: 'ladder-time' }, formatClockUs(m.time_us)),
      s('text', { x: 8, y: y + 11, class: 'ladder-delta' }, previous === null ? '' : formatDeltaUs(m.time_us - previous)));
    previous = m.time_us;

    const status = Number(m.status) || 0;
    const x1 = x(row.from);
    const x2 = x(row.to);
    const labelX = row.from === row.to ? x1 + 42 + (row.label.length * CHAR_W) / 2 : (x1 + x2) / 2;
    const labelW = Math.ceil(row.label.length * CHAR_W);
    const group = s('g', {
      class: ['arrow', status ? 'response' : 'request', inferred ? 'inferred' : null, ...errorClass(status)],
      tabindex: 0, role: 'button', 'data-testid': 'ladder-arrow',
      dataset: { id: m.id, leg, labelX, labelW, y },
      'aria-label': `${row.label} from ${hosts[row.from]} to ${hosts[row.to]}`,
    });
    const left = Math.min(x1, x2);
    const right = Math.max(x1, x2);
    const dash = inferred ? '6 4' : null;
    group.append(s('title', null,
      `${row.label}  ${hosts[row.from]} → ${hosts[row.to]}\n${formatTimeUs(m.time_us)} ${zoneLabel()}\nCall-ID ${m.call_id || ''}`));
    if (status >= 400 && status !== 401 && status !== 407) {
      group.append(s('rect', { x: labelX - labelW / 2 - 4, y: y - 14, width: labelW + 8, height: 16, rx: 3, class: 'error-pill' }));
    }
    if (row.from === row.to) {
      // A message a host sends to itself: a small loop to the right of its lifeline.
      group.append(
        s('rect', { x: x1 - 4, y: y - ROW_H / 2, width: colW / 2, height: ROW_H, class: 'hit' }),
        s('path', {
          d: `M${x1},${y - 6} h36 v12 h-34`, fill: 'none', stroke: color, 'stroke-width': 1.6,
          'stroke-dasharray': dash, 'marker-end': marker(color), class: 'arrow-line',
        }),
        s('text', { x: labelX, y: y - 2, 'text-anchor': 'middle', fill: color, class: 'arrow-label' }, row.label));
    } else {
      group.append(
        s('rect', { x: left, y: y - ROW_H / 2, width: right - left, height: ROW_H, class: 'hit' }),
        s('line', {
          x1, y1: y + 4, x2, y2: y + 4, stroke: color, 'stroke-width': 1.6,
          'stroke-dasharray': dash, 'marker-end': marker(color), class: 'arrow-line',
        }),
        s('text', { x: (x1 + x2) / 2, y: y - 2, 'text-anchor': 'middle', fill: color, class: 'arrow-label' }, row.label));
    }
    const open = () => {
      select(group);
      panel.show(m.id, { leg, inferred });
    };
    group.addEventListener('click', open);
    group.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        open();
      } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        // The next / previous message, opened in the detail panel.
        event.preventDefault();
        const arrows = [...svg.querySelectorAll('g.arrow')];
        const next = arrows[arrows.indexOf(group) + (event.key === 'ArrowDown' ? 1 : -1)];
        if (!next) return;
        next.focus();
        next.scrollIntoView({ block: 'nearest' });
        next.dispatchEvent(new MouseEvent('click'));
      }
    });
    svg.append(group);
    if (sdpById.has(m.id)) queueMicrotask(() => annotate(m.id));
  });
  if (markers.length) drawMarkers(svg, rows.map((r) => r.m.time_us), markers, width, height);
  return svg;
}

// Quality report markers in the spare column at the right edge: each at its time, placed between
// the rows of the messages before and after it (rows are evenly spaced, not to time scale).
function drawMarkers(svg, times, markers, width, height) {
  const x = width - 18;
  const rowY = (k) => HEAD_H + 14 + k * ROW_H;
  const yOf = (t) => {
    if (!times.length || t <= times[0]) return HEAD_H + 4;
    for (let k = 0; k + 1 < times.length; ++k) {
      if (t < times[k + 1]) {
        const span = times[k + 1] - times[k];
        return rowY(k) + (span > 0 ? ((t - times[k]) / span) * ROW_H : 0);
      }
    }
    return Math.min(height - 8, rowY(times.length - 1) + ROW_H / 2);
  };
  svg.append(s('text', { x, y: HEAD_H - 12, 'text-anchor': 'middle', class: 'qos-marker-head' }, 'QoS'));
  let lastY = -Infinity;
  for (const mk of markers) {
    // Reports at the same place stack a little, but never spill past the ladder.
    let y = yOf(mk.time_us);
    if (y - lastY < 3) y = Math.min(height - 6, lastY + 3);
    lastY = y;
    svg.append(s('g', { class: ['qos-marker', mk.level], 'data-testid': 'qos-marker' },
      s('circle', { cx: x, cy: y, r: 3.5 }), s('title', null, mk.text)));
  }
}
