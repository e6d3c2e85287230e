// Keep-alives: GET /api/v1/summaries, the minute counts of messages the ingest policy summarizes
// (by default OPTIONS and their answers; docs/operations.md "Ingest policy"). One row per peer
// pair, method and status: the count of each interval (newest last), the total and the last time
// seen, so "the OPTIONS from 192.0.2.10 stopped at 14:03" and "were answered 503" show at a glance.
// State in the URL: #/keepalives?range=1h&ip=192.0.2.10&step=60.
import { getJson } from './api.js';
import { byId, h, replaceChildren, visibleText } from './dom.js';
import { clearBanner, errorText, showBanner } from './banner.js';
import { formatTimeUs } from './format.js';
import { RANGES, apiParams, hashFor } from './query.js';
import { zoneLabel } from './timezone.js';

// The last intervals shown per row (the table stays readable over a 24 h range).
const MAX_CELLS = 30;
const FIELDS = ['ip', 'method', 'status'];

let form;
let seq = 0;

export function initSummaries() {
  form = byId('summaries-form');
  for (const r of RANGES.filter((x) => x.value !== 'custom')) form.elements.range.append(h('option', { value: r.value }, r.label));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const params = new URLSearchParams({ range: form.elements.range.value, step: form.elements.step.value });
    for (const name of FIELDS) {
      const value = form.elements[name].value.trim();
      if (value) params.set(name, value);
    }
    const hash = hashFor('keepalives', params);
    if (location.hash === hash) showSummaries(params);
    else location.hash = hash;
  });
}

function statusText(status) {
  return Number(status) === 0 ? 'request' : String(status);
}

export async function showSummaries(params) {
  const mySeq = ++seq;
  clearBanner();
  const range = RANGES.some((r) => r.value === params.get('range') && r.value !== 'custom') ? params.get('range') : '1h';
  form.elements.range.value = range;
  form.elements.step.value = ['60', '300', '900', '3600'].includes(params.get('step')) ? params.get('step') : '60';
  const filters = {};
  for (const name of FIELDS) {
    form.elements[name].value = params.get(name) || '';
    if (params.get(name)) filters[name] = params.get(name);
  }
  const query = { ...apiParams({ filters: {}, range }), ...filters, step: form.elements.step.value, limit: '10000' };
  const out = byId('summaries-out');
  replaceChildren(out, h('p', { class: 'muted pad' }, 'Loading keep-alives…'));
  let answer;
  try {
    answer = await getJson('summaries', query);
  } catch (e) {
    if (mySeq !== seq) return;
    replaceChildren(out);
    showBanner(errorText(e));
    return;
  }
  if (mySeq !== seq) return;
  render(out, answer);
}

function render(out, answer) {
  const items = answer.items || [];
  // Rows: one per (source, destination, port, method, status), in order of first appearance.
  const rows = new Map();
  for (const item of items) {
    const key = JSON.stringify([item.src_ip, item.dst_ip, item.dst_port, item.method, item.status]);
    if (!rows.has(key)) rows.set(key, { item, cells: [], total: 0, last: 0 });
    const row = rows.get(key);
    row.cells.push(item);
    row.total += Number(item.count) || 0;
    row.last = Math.max(row.last, Number(item.time_us) || 0);
  }
  const summary = h('p', { class: 'dash-summary' },
    h('strong', { 'data-testid': 'summaries-total' }, String(items.reduce((n, i) => n + (Number(i.count) || 0), 0))),
    ' summarized messages · ', String(rows.size), ' peer pairs · step ', String(answer.step ?? ''), ' s · times ', zoneLabel(),
    answer.truncated ? ' · more rows than shown: narrow the range or raise the interval' : '');
  if (!rows.size) {
    replaceChildren(out, summary, h('p', { class: 'hint' }, 'No summarized messages in this time range.'));
    return;
  }
  const sorted = [...rows.values()].sort((a, b) => b.last - a.last);
  replaceChildren(out, summary, h('table', { class: 'grid-table compact', 'data-testid': 'summaries-table' },
    h('thead', null, h('tr', null,
      h('th', null, 'Source'), h('th', null, 'Destination'), h('th', null, 'Method'), h('th', null, 'Status'),
      h('th', null, 'Per interval (newest last)'), h('th', { class: 'num' }, 'Total'), h('th', null, 'Last seen'))),
    h('tbody', null, sorted.map((row) => {
      const { item } = row;
      const status = Number(item.status) || 0;
      return h('tr', { class: ['summary-row', status >= 400 ? 'summary-bad' : ''] },
        h('td', { class: 'mono' }, visibleText(String(item.src_ip ?? ''))),
        h('td', { class: 'mono' }, visibleText(`${item.dst_ip ?? ''}:${item.dst_port ?? ''}`)),
        h('td', null, visibleText(String(item.method ?? ''))),
        h('td', { class: 'summary-status' }, statusText(status)),
        h('td', { class: 'summary-cells' }, row.cells.slice(-MAX_CELLS).map((c) => h('span',
          { class: 'summary-cell', title: formatTimeUs(Number(c.time_us)).slice(0, 19) },
          `${formatTimeUs(Number(c.time_us)).slice(11, 16)} ${c.count}`))),
        h('td', { class: 'num summary-count' }, String(row.total)),
        h('td', { class: 'summary-last' }, formatTimeUs(row.last).slice(0, 19)));
    }))));
}
