// Call quality (issue 15): GET /api/v1/calls/{call_id}/qos (or a share link's /qos) shown as the
// "Quality" panel beside the ladder: per leg and per stream (one reporter's view of one SSRC in
// one direction) a uPlot chart over time of MOS, interval loss %, jitter ms and RTT ms when known,
// with the summary; RTCP report markers for the ladder (flow.js drawLadder); and the MOS / loss
// cells of the calls list. Without reports the panel shows the api's reason sentence, never an
// empty tab. Report text (codec, node, addresses) goes in through text nodes only (dom.js); the
// charts get fixed labels.
import uPlot from '../vendor/uPlot.esm.js';
import { h, replaceChildren, visibleText } from './dom.js';
import { callColor, formatTimeUs } from './format.js';
import { currentZone, zoneLabel } from './timezone.js';

const CHART_W = 330;
const CHART_H = 150;

export function mosText(v) {
  return v == null || !Number.isFinite(Number(v)) ? '—' : Number(v).toFixed(2);
}

// A 0..1 fraction as a percentage.
export function lossText(v) {
  if (v == null || !Number.isFinite(Number(v))) return '—';
  const pct = Number(v) * 100;
  return `${pct >= 10 || pct === 0 ? pct.toFixed(0) : pct.toFixed(1)} %`;
}

// ITU-T G.107 user satisfaction bands: >= 4.03 satisfied, >= 3.6 some, >= 3.1 many dissatisfied.
export function mosClass(v) {
  if (v == null || !Number.isFinite(Number(v))) return null;
  if (Number(v) < 3.1) return 'qos-bad';
  if (Number(v) < 3.6) return 'qos-warn';
  return 'qos-good';
}

function msText(v) {
  return v == null || !Number.isFinite(Number(v)) ? '—' : `${Number(v).toFixed(1)} ms`;
}

function summaryLine(summary, testid) {
  const s = summary || {};
  return h('p', { class: 'qos-summary small', 'data-testid': testid },
    h('span', { class: mosClass(s.worst_mos) }, `worst MOS ${mosText(s.worst_mos)}`), ' · ',
    `worst loss ${lossText(s.worst_interval_loss)}`, ' · ',
    `max jitter ${msText(s.max_jitter_ms)}`,
    s.max_rtt_ms != null ? ` · max RTT ${msText(s.max_rtt_ms)}` : '',
    ` · ${s.report_count || 0} report${s.report_count === 1 ? '' : 's'}`);
}

// The figures of one report, for hover text (chart legend and ladder markers).
function pointText(stream, p) {
  const parts = [`${formatTimeUs(p.time_us)} ${zoneLabel()}`];
  if (p.mos != null) parts.push(`MOS ${mosText(p.mos)}`);
  if (p.interval_loss != null) parts.push(`loss ${lossText(p.interval_loss)}`);
  else if (p.fraction_lost != null) parts.push(`fraction lost ${lossText(p.fraction_lost)}`);
  if (p.jitter_ms != null) parts.push(`jitter ${msText(p.jitter_ms)}`);
  if (p.rtt_ms != null) parts.push(`RTT ${msText(p.rtt_ms)}`);
  if (p.packets != null) parts.push(`${p.packets} packets`);
  return `${streamTitle(stream)}\n${parts.join(' · ')}`;
}

function streamTitle(stream) {
  const who = stream.reporter ? `${stream.reporter}${stream.peer ? ` → ${stream.peer}` : ''}` : 'reported in SIP';
  return `${who} · ${stream.direction} · ${stream.source}${stream.codec ? ` · ${stream.codec}` : ''}`;
}

// Markers for drawLadder: one per report, at its time, coloured by its MOS.
export function qosMarkers(qos) {
  const out = [];
  for (const leg of (qos && qos.legs) || []) {
    for (const stream of leg.streams || []) {
      for (const p of stream.points || []) {
        // Plain text: the ladder puts it in an SVG <title> as a text node.
        out.push({ time_us: Number(p.time_us), level: mosClass(p.mos) || 'qos-none', text: pointText(stream, p) });
      }
    }
  }
  return out.sort((a, b) => a.time_us - b.time_us);
}

function chartOf(stream) {
  const points = stream.points || [];
  const xs = points.map((p) => Number(p.time_us) / 1e6);
  const num = (v) => (v == null || !Number.isFinite(Number(v)) ? null : Number(v));
  const mos = points.map((p) => num(p.mos));
  const loss = points.map((p) => {
    const v = num(p.interval_loss ?? p.fraction_lost);
    return v == null ? null : v * 100;
  });
  const jitter = points.map((p) => num(p.jitter_ms));
  const rtt = points.map((p) => num(p.rtt_ms));
  const hasRtt = rtt.some((v) => v != null);
  const series = [
    { label: `time (${zoneLabel()})`, value: (u, v) => (v == null ? '—' : formatTimeUs(v * 1e6).slice(11, 19)) },
    { label: 'MOS', scale: 'mos', stroke: '#1e6b34', width: 2, points: { show: true, size: 5 }, value: (u, v) => mosText(v) },
    { label: 'loss %', scale: 'v', stroke: '#c5221f', width: 1.5, points: { show: true, size: 4 },
      value: (u, v) => (v == null ? '—' : `${v.toFixed(1)} %`) },
    { label: 'jitter ms', scale: 'v', stroke: '#1a73e8', width: 1.5, points: { show: true, size: 4 }, value: (u, v) => msText(v) },
  ];
  const data = [xs, mos, loss, jitter];
  if (hasRtt) {
    series.push({ label: 'RTT ms', scale: 'v', stroke: '#9334e6', width: 1, dash: [4, 3], points: { show: true, size: 3 },
      value: (u, v) => msText(v) });
    data.push(rtt);
  }
  const opts = {
    width: CHART_W,
    height: CHART_H,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), currentZone()),
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true, range: (u, min, max) => (min === max ? [min - 5, max + 5] : [min, max]) },
      mos: { range: [1, 5] },
      v: { range: (u, min, max) => [0, Math.max(max ?? 0, 1) * 1.15] },
    },
    axes: [
      { stroke: '#333', grid: { stroke: '#e6e8eb' }, values: (u, ticks) => ticks.map((t) => formatTimeUs(t * 1e6).slice(11, 19)) },
      { scale: 'mos', stroke: '#1e6b34', grid: { stroke: '#e6e8eb' }, size: 36, label: 'MOS' },
      { scale: 'v', side: 1, stroke: '#555', grid: { show: false }, size: 44, label: '% · ms' },
    ],
    series,
  };
  const box = h('div', { class: 'qos-chart', 'data-testid': 'qos-chart' });
  // uPlot measures its container: draw once the box is in the document.
  queueMicrotask(() => new uPlot(opts, data, box));
  return box;
}

function streamBlock(stream) {
  return h('div', { class: 'qos-stream', 'data-testid': 'qos-stream' },
    h('h4', { class: 'mono small' }, visibleText(streamTitle(stream))),
    h('p', { class: 'muted small' },
      `SSRC ${Number(stream.ssrc).toString(16).padStart(8, '0')}`,
      stream.node ? [' · node ', visibleText(String(stream.node))] : '',
      stream.correlated ? '' : ' · matched by media address'),
    summaryLine(stream.summary, 'qos-stream-summary'),
    chartOf(stream));
}

// Fills `panel` with the answer of a /qos request (null: still loading).
export function renderQos(panel, qos) {
  const head = h('h2', null, 'Quality');
  if (!qos) {
    replaceChildren(panel, head, h('p', { class: 'muted' }, 'Loading quality reports…'));
    return;
  }
  if (qos.reason) {
    replaceChildren(panel, head,
      h('p', { class: 'hint qos-reason', 'data-testid': 'qos-reason', dataset: { code: String(qos.reason.code || '') } },
        visibleText(String(qos.reason.message || 'No quality reports for this call.'))),
      mediaList(qos));
    return;
  }
  const legs = (qos.legs || []).filter((leg) => (leg.streams || []).length);
  replaceChildren(panel, head, summaryLine(qos.summary, 'qos-call-summary'),
    qos.truncated ? h('p', { class: 'warn small' }, 'Not every report was read (too many): figures cover what was.') : null,
    legs.map((leg) => h('section', { class: 'qos-leg', style: { '--call': callColor(leg.call_id) }, 'data-testid': 'qos-leg' },
      h('h3', { class: 'mono small' }, h('span', { class: 'leg-line' }), visibleText(leg.call_id || ''),
        h('span', { class: 'muted' }, ` ${leg.relation || ''}`)),
      summaryLine(leg.summary, 'qos-leg-summary'),
      (leg.streams || []).map(streamBlock))));
}

// The media addresses the call's SDP named (what reports were looked for), under a reason.
function mediaList(qos) {
  const addresses = [];
  for (const leg of qos.legs || []) for (const m of leg.media || []) addresses.push(`${m.address}${m.rtcp ? ' (RTCP)' : ''}`);
  if (!addresses.length) return null;
  return h('p', { class: 'muted small mono' }, 'Media addresses looked for: ', visibleText(addresses.join(', ')));
}

export function renderQosError(panel, text) {
  replaceChildren(panel, h('h2', null, 'Quality'), h('p', { class: 'error', 'data-testid': 'qos-error' }, visibleText(text)));
}
