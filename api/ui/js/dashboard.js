// The dashboard: GET /api/v1/stats drawn with uPlot (vendored from npm into vendor/, see
// vendor.sh): message rates by method and by response status class over time, and the top
// User-Agents. State in the URL: #/dashboard?range=6h&step=auto (or from/to for a fixed window).
import uPlot from '../vendor/uPlot.esm.js';
import { getJson } from './api.js';
import { byId, h, replaceChildren, visibleText } from './dom.js';
import { clearBanner, errorText, showBanner } from './banner.js';
import { formatTimeUs } from './format.js';
import { RANGES, apiParams, formTimeOf, hashFor, linkTime, timeToMs } from './query.js';
import { currentZone, zoneLabel } from './timezone.js';
import { timeField } from './time_field.js';

// Whole minutes only: the api answers an unfiltered request with such a step from the writers'
// per-minute counts (milliseconds over days) instead of scanning the messages.
const STEPS = [60, 300, 900, 3600, 6 * 3600, 86400];
const METHOD_COLORS = {
  INVITE: '#1f5fbf', ACK: '#6b8fd6', BYE: '#b4326e', CANCEL: '#c2571a', REGISTER: '#2b8a3e',
  OPTIONS: '#7d7d7d', SUBSCRIBE: '#8250c4', NOTIFY: '#a87ee0', PRACK: '#0f8b8d', UPDATE: '#5c940d',
  INFO: '#b08800', MESSAGE: '#d6336c', REFER: '#495057', PUBLISH: '#1098ad',
};
const OTHER_COLORS = ['#343a40', '#e8590c', '#087f5b', '#5f3dc4', '#c92a2a', '#364fc7'];
const STATUS_COLORS = {
  '1xx': '#868e96', '2xx': '#2b8a3e', '3xx': '#1971c2', '4xx': '#e67700', '5xx': '#c92a2a', '6xx': '#862e9c',
};
const MAX_METHOD_SERIES = 10;

let form;
let charts = [];
let seq = 0;

export function initDashboard() {
  form = byId('dashboard-form');
  const range = form.elements.range;
  for (const r of RANGES) range.append(h('option', { value: r.value }, r.label));
  byId('d-times').replaceWith(timeField('from', 'From', 'd'), timeField('to', 'To', 'd'));
  range.addEventListener('change', syncInputs);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams({ range: range.value, step: form.elements.step.value });
    if (range.value === 'custom') {
      params.set('from', linkTime(form.elements.from.value));
      params.set('to', linkTime(form.elements.to.value));
    }
    const hash = hashFor('dashboard', params);
    if (location.hash === hash) showDashboard(params);
    else location.hash = hash;
  });
  window.addEventListener('resize', () => {
    for (const { chart, box } of charts) chart.setSize({ width: chartWidth(box), height: 240 });
  });
}

function syncInputs() {
  const custom = form.elements.range.value === 'custom';
  for (const name of ['from', 'to']) {
    form.elements[name].disabled = !custom;
    form.elements[name].closest('.field').classList.toggle('disabled', !custom);
  }
}

function autoStep(spanMs) {
  const wanted = spanMs / 1000 / 150;
  return STEPS.find((s) => s >= wanted) || STEPS[STEPS.length - 1];
}

function chartWidth(box) {
  return Math.max(320, box.clientWidth - 4);
}

export async function showDashboard(params) {
  const mySeq = ++seq;
  clearBanner();
  const rangeValue = RANGES.some((r) => r.value === params.get('range')) ? params.get('range')
    : (params.get('from') ? 'custom' : '1h');
  form.elements.range.value = rangeValue;
  form.elements.step.value = params.get('step') || 'auto';
  if (!form.elements.step.value) form.elements.step.value = 'auto';
  syncInputs();

  const window_ = apiParams({ filters: {}, range: rangeValue, from: params.get('from') || '', to: params.get('to') || '' });
  // Relative ranges show the window they mean; custom ones the link's times; both in the chosen zone.
  form.elements.from.value = rangeValue === 'custom' ? formTimeOf(params.get('from')) : formatTimeUs(timeToMs(window_.from) * 1000).slice(0, 19);
  form.elements.to.value = rangeValue === 'custom' ? formTimeOf(params.get('to')) : formatTimeUs(timeToMs(window_.to) * 1000).slice(0, 19);
  const spanMs = timeToMs(window_.to) - timeToMs(window_.from);
  const stepChoice = form.elements.step.value;
  const step = stepChoice === 'auto' ? autoStep(Number.isFinite(spanMs) ? spanMs : 3600e3) : Number(stepChoice);
  const query = { ...window_, step: String(step) };

  destroyCharts();
  const out = byId('dashboard-out');
  replaceChildren(out, h('p', { class: 'muted pad' }, 'Loading statistics…'));
  let stats;
  try {
    stats = await getJson('stats', query);
  } catch (e) {
    if (mySeq !== seq) return;
    replaceChildren(out);
    showBanner(errorText(e));
    return;
  }
  if (mySeq !== seq) return;
  render(out, stats, Number(stats.step) || step);
}

function destroyCharts() {
  for (const { chart } of charts) chart.destroy();
  charts = [];
}

function render(out, stats, step) {
  const series = stats.series || [];
  const xs = series.map((p) => Number(p.time_us) / 1e6);

  const totals = new Map();
  for (const p of series) {
    for (const [method, n] of Object.entries(p.methods || {})) totals.set(method, (totals.get(method) || 0) + Number(n));
  }
  const methods = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([m]) => m);
  const shown = methods.slice(0, MAX_METHOD_SERIES);
  const rest = methods.slice(MAX_METHOD_SERIES);

  const perSecond = (n) => (Number(n) || 0) / step;
  const methodData = shown.map((m) => series.map((p) => perSecond((p.methods || {})[m])));
  if (rest.length) methodData.push(series.map((p) => perSecond(rest.reduce((sum, m) => sum + (Number((p.methods || {})[m]) || 0), 0))));
  const methodNames = rest.length ? [...shown, 'other'] : shown;
  let other = 0;
  const methodColors = methodNames.map((m) => METHOD_COLORS[m] || OTHER_COLORS[other++ % OTHER_COLORS.length]);

  const classes = Object.keys(STATUS_COLORS);
  const statusData = classes.map((c) => series.map((p) => perSecond((p.status || {})[c])));

  const summary = h('p', { class: 'dash-summary' },
    h('strong', { 'data-testid': 'stats-total' }, String(stats.total ?? 0)), ' messages · ',
    `${formatTimeUs(Number(xs[0]) * 1e6 || NaN).slice(0, 19) || '—'} – `,
    `${formatTimeUs(Number(xs[xs.length - 1]) * 1e6 || NaN).slice(0, 19) || '—'} ${zoneLabel()} · step ${step} s`);

  const methodBox = h('div', { class: 'chart', 'data-testid': 'chart-methods' });
  const statusBox = h('div', { class: 'chart', 'data-testid': 'chart-status' });
  replaceChildren(out, summary,
    h('div', { class: 'dash-grid' },
      h('section', { class: 'card' }, h('h2', null, 'Messages per second by method'), methodBox),
      h('section', { class: 'card' }, h('h2', null, 'Responses per second by status class'), statusBox),
      h('section', { class: 'card' }, h('h2', null, 'Top User-Agents'), userAgents(stats.top_user_agents || []))));

  if (!xs.length) {
    methodBox.append(h('p', { class: 'hint' }, 'No messages in this time range.'));
    statusBox.append(h('p', { class: 'hint' }, 'No messages in this time range.'));
    return;
  }
  charts.push(chart(methodBox, xs, methodNames, methodData, methodColors));
  charts.push(chart(statusBox, xs, classes, statusData, classes.map((c) => STATUS_COLORS[c])));
}

function chart(box, xs, names, data, colors) {
  const opts = {
    width: chartWidth(box),
    height: 240,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), currentZone()),
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max, 0.01) * 1.1] } },
    axes: [
      { stroke: '#333', grid: { stroke: '#e6e8eb' }, values: timeTicks },
      { stroke: '#333', grid: { stroke: '#e6e8eb' }, size: 56, values: (u, ticks) => ticks.map(formatRate) },
    ],
    series: [
      { label: `time (${zoneLabel()})`, value: (u, v) => (v == null ? '—' : formatTimeUs(v * 1e6).slice(0, 19)) },
      ...names.map((name, i) => ({
        label: name,
        stroke: colors[i],
        width: 1.5,
        points: { show: xs.length < 60, size: 4 },
        value: (u, v) => (v == null ? '—' : `${formatRate(v)}/s`),
      })),
    ],
  };
  const instance = new uPlot(opts, [xs, ...data], box);
  return { chart: instance, box };
}

// Axis ticks in the chosen zone, 24-hour: "14:05", with seconds for short spans and the date for long ones.
function timeTicks(u, ticks) {
  const span = ticks.length > 1 ? ticks[ticks.length - 1] - ticks[0] : 0;
  return ticks.map((ts) => {
    const text = formatTimeUs(ts * 1e6);
    if (span > 2 * 86400) return text.slice(5, 16);
    if (span < 600) return text.slice(11, 19);
    return text.slice(11, 16);
  });
}

function formatRate(v) {
  if (v === 0) return '0';
  if (Math.abs(v) >= 100) return v.toFixed(0);
  if (Math.abs(v) >= 1) return v.toFixed(1);
  return v.toFixed(3);
}

function userAgents(rows) {
  if (!rows.length) return h('p', { class: 'hint' }, 'None.');
  return h('table', { class: 'grid-table compact' },
    h('thead', null, h('tr', null, h('th', null, 'User-Agent'), h('th', { class: 'num' }, 'Messages'))),
    h('tbody', null, rows.map((r) => h('tr', null,
      h('td', { class: 'ua' }, visibleText(String(r.user_agent ?? ''))),
      h('td', { class: 'num' }, String(r.count ?? ''))))));
}
