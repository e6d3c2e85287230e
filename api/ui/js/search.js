// The search page: simple + advanced filters, results grouped and coloured per Call-ID (or one
// row per call), the message detail panel, and pcap / text export of calls and result sets.
import { download, getJson } from './api.js';
import { byId, h, replaceChildren, visibleText } from './dom.js';
import { DetailPanel, flowHash } from './detail.js';
import {
  callColor, callFileName, callTint, endpoint, finalLabel, formatDurationMs, formatTimeUs, sipLabel, stateLabel, statusClass,
} from './format.js';
import { clearBanner, errorText, showBanner } from './banner.js';
import {
  COMMON_HEADERS, FILTERS, HEADER_PREFIX, RANGES, apiParams, callRefBytes, formTimeOf, hashFor, isHeaderFilter, isoTime,
  hasCallsOnlyFilter, paramsFromState, stateFromParams, timeToMs,
} from './query.js';
import { lossText, mosClass, mosText } from './qos.js';
import { zoneLabel } from './timezone.js';
import { timeField } from './time_field.js';

let form;
let results;
let summary;
let detail;
let seq = 0;
// The search on screen: {state, query (API params), view, items, cursor}.
let current = null;

function input(filter) {
  const id = `f-${filter.name}`;
  let control;
  if (filter.choices) {
    control = h('select', { id, name: filter.name },
      filter.choices.map((c, i) => h('option', { value: c }, filter.choiceLabels?.[i] || c || 'any')));
  } else {
    control = h('input', {
      id, name: filter.name, type: 'text', placeholder: filter.placeholder || '', spellcheck: 'false',
    });
  }
  return h('label', { class: 'field', for: id }, h('span', null, filter.label), control);
}

function buildForm() {
  form = byId('search-form');
  const simple = byId('simple-fields');
  const advanced = byId('advanced-fields');
  for (const filter of FILTERS) (filter.simple ? simple : advanced).append(input(filter));
  advanced.after(headerPicker());

  const range = h('select', { id: 'f-range', name: 'range' },
    RANGES.map((r) => h('option', { value: r.value }, r.label)));
  simple.append(
    h('label', { class: 'field', for: 'f-range' }, h('span', null, 'Time range'), range),
    timeField('from', 'From'),
    timeField('to', 'To'),
    h('div', { class: 'form-buttons' },
      h('button', { type: 'submit', class: 'primary', id: 'search-button' }, 'Search'),
      h('button', { type: 'reset', id: 'reset-button' }, 'Clear')));

  // call_ref from a link (a Call-ID its text cannot find): shown, and removable, never hidden.
  const chipRemove = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Remove the exact call filter' }, '×');
  const chip = h('span', { id: 'call-ref-chip', class: 'call-ref-chip', 'data-testid': 'call-ref-chip', hidden: true },
    h('span', { class: 'muted' }, 'Exact call '), h('span', { class: 'mono', id: 'call-ref-text' }), chipRemove);
  chipRemove.addEventListener('click', () => showCallRef(''));
  simple.append(chip);

  range.addEventListener('change', syncTimeInputs);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(current ? current.state.view : 'calls');
  });
  form.addEventListener('reset', () => setTimeout(() => {
    showCallRef('');
    form.elements.range.value = '1h';
    syncTimeInputs();
  }));
  for (const tab of document.querySelectorAll('[data-view]')) {
    tab.addEventListener('click', () => submit(tab.dataset.view));
  }
  byId('export-pcap').addEventListener('click', () => exportResults('pcap'));
  byId('export-txt').addEventListener('click', () => exportResults('txt'));
}

// Custom header filters (issue 14): rows of header name (a datalist of common names and of the
// names the results carry) = value, sent as header.<name>=value.
function headerPicker() {
  const rows = h('div', { id: 'header-filter-rows' });
  const add = h('button', { type: 'button', class: 'button', id: 'add-header-filter' }, 'Add header');
  add.addEventListener('click', () => rows.append(headerFilterRow('', '')));
  const columns = h('input', { type: 'checkbox', id: 'header-columns' });
  columns.checked = localStorage.getItem(HEADER_COLUMNS_KEY) !== 'off';
  columns.addEventListener('change', () => {
    localStorage.setItem(HEADER_COLUMNS_KEY, columns.checked ? 'on' : 'off');
    if (current) render();
  });
  return h('div', { class: 'header-filters', 'data-testid': 'header-filters' },
    h('span', { class: 'field-title' }, 'Custom headers (as the parser extracts them; * = any characters)'),
    rows,
    h('div', { class: 'header-filter-actions' }, add,
      h('label', { class: 'inline', for: 'header-columns' }, columns, ' show their values as list columns')),
    h('datalist', { id: 'header-names' }, COMMON_HEADERS.map((n) => h('option', { value: n.toLowerCase() }))));
}

const HEADER_COLUMNS_KEY = 'sipvault.headerColumns';

function headerFilterRow(name, value) {
  const remove = h('button', { type: 'button', class: 'icon-button', 'aria-label': 'Remove this header filter' }, '×');
  const row = h('div', { class: 'header-filter' },
    h('input', { type: 'text', class: 'header-name', list: 'header-names', placeholder: 'header name, e.g. pai_user',
      spellcheck: 'false', 'aria-label': 'Header name', value: name }),
    h('span', { class: 'muted' }, '='),
    h('input', { type: 'text', class: 'header-value', placeholder: 'value (* = any)', spellcheck: 'false',
      'aria-label': 'Header value', value }),
    remove);
  remove.addEventListener('click', () => row.remove());
  return row;
}

// Offers the header names the results carry in the picker's datalist.
function learnHeaderNames(items) {
  const list = byId('header-names');
  const known = new Set([...list.options].map((o) => o.value));
  for (const m of items) {
    for (const c of m.custom_headers || []) {
      if (!known.has(c.name)) {
        known.add(c.name);
        list.append(h('option', { value: c.name }));
      }
    }
  }
}

// Custom from/to are editable only with the "custom" range; otherwise they show what it means.
function syncTimeInputs() {
  const custom = form.elements.range.value === 'custom';
  for (const name of ['from', 'to']) {
    const el = form.elements[name];
    el.disabled = !custom;
    el.closest('.field').classList.toggle('disabled', !custom);
  }
  if (!custom) {
    const q = apiParams({ filters: {}, range: form.elements.range.value });
    form.elements.from.value = formatTimeUs(timeToMs(q.from) * 1000).slice(0, 19);
    form.elements.to.value = formatTimeUs(timeToMs(q.to) * 1000).slice(0, 19);
  }
}

// The "Exact call" chip for `callRef` ('' hides it): the Call-ID it names, as text.
function showCallRef(callRef) {
  const chip = byId('call-ref-chip');
  const bytes = callRef ? callRefBytes(callRef) : null;
  chip.hidden = !bytes;
  chip.dataset.ref = bytes ? callRef : '';
  replaceChildren(byId('call-ref-text'), bytes ? visibleText(new TextDecoder().decode(bytes)) : '');
}

function readForm(view) {
  const filters = {};
  for (const filter of FILTERS) filters[filter.name] = form.elements[filter.name].value;
  if (byId('call-ref-chip').dataset.ref) filters.call_ref = byId('call-ref-chip').dataset.ref;
  for (const row of document.querySelectorAll('.header-filter')) {
    const name = row.querySelector('.header-name').value.trim().toLowerCase();
    const value = row.querySelector('.header-value').value.trim();
    if (name && value) filters[HEADER_PREFIX + name] = value;
  }
  return {
    filters,
    range: form.elements.range.value,
    from: form.elements.from.value,
    to: form.elements.to.value,
    view,
  };
}

function fillForm(state) {
  for (const filter of FILTERS) {
    form.elements[filter.name].value = state.filters[filter.name] || '';
    form.elements[filter.name].classList.remove('invalid');
  }
  showCallRef(state.filters.call_ref || '');
  const headerNames = Object.keys(state.filters).filter(isHeaderFilter);
  replaceChildren(byId('header-filter-rows'),
    headerNames.map((n) => headerFilterRow(n.slice(HEADER_PREFIX.length), state.filters[n])),
    headerNames.length ? null : headerFilterRow('', ''));
  form.elements.range.value = state.range;
  syncTimeInputs();
  if (state.range === 'custom') {
    // Links carry RFC 3339 UTC; the fields show the chosen zone's wall clock.
    form.elements.from.value = formTimeOf(state.from);
    form.elements.to.value = formTimeOf(state.to);
  }
  const advancedUsed = FILTERS.some((f) => !f.simple && state.filters[f.name]) || headerNames.length > 0;
  if (advancedUsed) byId('advanced').open = true;
  for (const tab of document.querySelectorAll('[data-view]')) {
    tab.classList.toggle('active', tab.dataset.view === state.view);
    tab.setAttribute('aria-selected', String(tab.dataset.view === state.view));
    // A final status belongs to a call: with that filter there is no list of messages.
    const callsOnly = tab.dataset.view === 'messages' && hasCallsOnlyFilter(state.filters);
    tab.disabled = callsOnly;
    tab.title = callsOnly ? 'Final status and MOS below filter calls: remove them to list messages' : '';
  }
}

// The URL is the source of truth: a search sets the hash, and the router calls showSearch.
function submit(view) {
  const hash = hashFor('search', paramsFromState(readForm(view)));
  if (location.hash === hash) showSearch(new URLSearchParams(hash.split('?')[1] || ''));
  else location.hash = hash;
}

export function initSearch() {
  buildForm();
  results = byId('results');
  summary = byId('results-summary');
  detail = new DetailPanel(byId('detail'), { onClose: () => markSelected(null) });
  results.addEventListener('keydown', moveByKey);
}

// ArrowDown / ArrowUp move between result rows; with the detail open it follows the row.
function moveByKey(event) {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
  const row = event.target.closest && event.target.closest('tr[tabindex]');
  if (!row) return;
  event.preventDefault();
  const rows = [...results.querySelectorAll('tr[tabindex]')];
  const next = rows[rows.indexOf(row) + (event.key === 'ArrowDown' ? 1 : -1)];
  if (!next) return;
  next.focus();
  next.scrollIntoView({ block: 'nearest' });
  if (!byId('detail').hidden && next.dataset.id) next.click();
}

// ArrowDown with nothing focused: the first result row.
export function focusFirstResult() {
  const first = results.querySelector('tr[tabindex]');
  if (first) first.focus();
  return Boolean(first);
}

export function closeSearchDetail() {
  if (!byId('detail').hidden) detail.close();
}

// Route entry: #/search?... (an empty query shows the form only).
export function showSearch(params) {
  const state = stateFromParams(params);
  fillForm(state);
  if ([...params.keys()].length === 0) {
    current = null;
    byId('results-bar').hidden = true;
    replaceChildren(results, h('p', { class: 'hint' },
      'Search by A-number, B-number or Call-ID, or open "Advanced filters". ',
      '"*" matches any digits in numbers (4930*).'),
      h('p', { class: 'hint small' }, 'Keys: "/" search · ↓ ↑ move between results and ladder arrows · Enter opens · Esc closes the detail.'));
    form.elements.from_user.focus();
    return;
  }
  runSearch(state);
}

// What each result view reads; a reject has only a time and addresses to filter on.
const REJECT_PARAMS = ['from', 'to', 'src_ip', 'dst_ip', 'ip', 'port', 'limit'];

function endpointFor(view) {
  return view === 'calls' ? 'calls' : view === 'rejects' ? 'rejects' : 'messages';
}

function queryFor(view, query) {
  if (view !== 'rejects') return query;
  return Object.fromEntries(Object.entries(query).filter(([name]) => REJECT_PARAMS.includes(name)));
}

async function runSearch(state) {
  const mySeq = ++seq;
  clearBanner();
  closeSearchDetail();
  const query = queryFor(state.view, apiParams(state));
  current = { state, query, view: state.view, items: [], cursor: null };
  byId('results-bar').hidden = false;
  showExportButtons(false);
  summary.textContent = 'Searching…';
  replaceChildren(results, h('p', { class: 'muted pad' }, 'Searching…'));
  try {
    const page = await getJson(endpointFor(state.view), query);
    if (mySeq !== seq) return;
    current.items = page.items || [];
    current.cursor = page.next_cursor || null;
    render();
  } catch (e) {
    if (mySeq !== seq) return;
    showError(e);
  }
}

async function loadMore(button) {
  if (!current || !current.cursor) return;
  const mySeq = seq;
  button.disabled = true;
  button.textContent = 'Loading…';
  try {
    const page = await getJson(endpointFor(current.view), { ...current.query, cursor: current.cursor });
    if (mySeq !== seq) return;
    current.items = current.items.concat(page.items || []);
    current.cursor = page.next_cursor || null;
    render();
  } catch (e) {
    if (mySeq !== seq) return;
    showError(e);
  }
}

function showError(e) {
  summary.textContent = '';
  replaceChildren(results);
  let field = e.parameter && form.elements[e.parameter];
  if (e.parameter && isHeaderFilter(e.parameter)) {
    const name = e.parameter.slice(HEADER_PREFIX.length).toLowerCase();
    field = [...document.querySelectorAll('.header-filter')].find(
      (r) => r.querySelector('.header-name').value.trim().toLowerCase() === name)?.querySelector('.header-value');
  }
  if (field) {
    field.classList.add('invalid');
    if (!FILTERS.find((f) => f.name === e.parameter)?.simple) byId('advanced').open = true;
  }
  showBanner(errorText(e));
}

// "Download results" only when there is something to download (an empty pcap helps nobody).
function showExportButtons(visible) {
  byId('export-actions').hidden = !visible;
}

function render() {
  const { items, cursor, view } = current;
  // The exports take no calls-only filter (final_status, mos_below): no button that would fail.
  showExportButtons(items.length > 0 && view !== 'rejects' && !hasCallsOnlyFilter(current.query || {}));
  if (view === 'rejects') {
    summary.textContent = `${countText(items.length, cursor, 'message')} failed to parse`;
    replaceChildren(results, items.length ? rejectsTable(items) : noResults('unparseable messages'));
  } else if (view === 'calls') {
    summary.textContent = countText(items.length, cursor, 'call');
    replaceChildren(results, items.length ? callsTable(items) : noResults('calls'));
  } else {
    learnHeaderNames(items);
    const groups = groupByCall(items);
    summary.textContent = `${countText(items.length, cursor, 'message')} in ${groups.length} ` +
      `call${groups.length === 1 ? '' : 's'}`;
    replaceChildren(results, items.length ? messagesTable(groups) : noResults());
  }
  if (cursor) {
    const more = h('button', { type: 'button', class: 'load-more', id: 'load-more' }, 'Load more');
    more.addEventListener('click', () => loadMore(more));
    results.append(more);
  }
}

// "37 calls" when that is all (the api fetches one row past the page, so no next_cursor means no
// more match); "100 of more than 100 calls" when more match than are shown.
// A calls page with final_status may hold fewer than `limit` and still go on: "3 calls so far".
function countText(count, more, noun) {
  const plural = (n) => `${noun}${n === 1 ? '' : 's'}`;
  if (!more) return `${count} ${plural(count)}`;
  const limit = Number(current?.query?.limit) || 100;
  return count % limit === 0 ? `${count} of more than ${count} ${plural(2)}` : `${count} ${plural(count)} so far, more may match`;
}

function noResults(what = 'messages') {
  return h('p', { class: 'hint' }, `No ${what} match. Widen the time range or remove a filter.`);
}

// Messages in time order -> groups per call (call_ref: Call-IDs that print alike stay apart), in
// order of each call's first message.
function groupByCall(items) {
  const groups = new Map();
  for (const m of items) {
    const key = m.call_ref || m.call_id || '';
    if (!groups.has(key)) groups.set(key, { callId: m.call_id || '', callRef: m.call_ref || '', messages: [] });
    groups.get(key).messages.push(m);
  }
  return [...groups.values()];
}

// pcap / txt of one call, saved as sipvault-call-<Call-ID>.pcap|.txt.
function exportButtons(callId, params) {
  const make = (kind) => {
    const button = h('button', { type: 'button', class: 'link-button', title: `Download call ${callId} as ${kind}` }, kind);
    button.addEventListener('click', (event) => {
      event.stopPropagation();
      runDownload(button, `export.${kind}`, params, callFileName(callId, kind), { ownName: true });
    });
    return button;
  };
  return [make('pcap'), make('txt')];
}

export async function runDownload(button, path, params, name, options = {}) {
  const text = button.textContent;
  button.disabled = true;
  button.textContent = '…';
  try {
    await download(path, params, name, options);
  } catch (e) {
    showBanner(`Download failed: ${errorText(e)}`);
  } finally {
    button.disabled = false;
    button.textContent = text;
  }
}

// A search for one Call-ID (no wildcard) saves as sipvault-call-<Call-ID>; others keep the
// server's sipvault-<first message time> name.
function exportResults(kind) {
  if (!current) return;
  const callId = current.query.call_id || '';
  const oneCall = callId && !callId.includes('*');
  runDownload(byId(`export-${kind}`), `export.${kind}`, current.query,
    oneCall ? callFileName(callId, kind) : `sipvault-search.${kind}`, { ownName: Boolean(oneCall) });
}

function callExportParams(callId, firstUs, lastUs, callRef = '') {
  return {
    ...(callRef ? { call_ref: callRef } : { call_id: callId }),
    from: isoTime(Math.floor(firstUs / 1000) - 3600e3),
    to: isoTime(Math.ceil(lastUs / 1000) + 3600e3),
  };
}

function callStyle(callId) {
  return { '--call': callColor(callId), '--call-tint': callTint(callId) };
}

const MESSAGE_COLUMNS = () => ['', `Time (${zoneLabel()})`, 'Message', 'From (A)', 'To (B)', 'Source', 'Destination', 'Proto', 'User-Agent'];

// The custom header names to show as list columns: those the page's messages carry, in order of
// first appearance, at most 4; none when the picker's checkbox is off.
function headerColumns(groups) {
  if (localStorage.getItem(HEADER_COLUMNS_KEY) === 'off') return [];
  const names = [];
  for (const g of groups)
    for (const m of g.messages)
      for (const c of m.custom_headers || []) if (!names.includes(c.name) && names.length < 4) names.push(c.name);
  return names;
}

function messagesTable(groups) {
  const extra = headerColumns(groups);
  const table = h('table', { class: 'grid-table messages', 'data-testid': 'messages-table' },
    h('thead', null, h('tr', null, MESSAGE_COLUMNS().map((c) => h('th', null, c)),
      extra.map((n) => h('th', { class: 'header-column' }, visibleText(n))))));
  for (const group of groups) {
    const first = group.messages[0];
    const last = group.messages[group.messages.length - 1];
    const a = group.messages.find((m) => m.from_user)?.from_user || '';
    const b = group.messages.find((m) => m.to_user)?.to_user || '';
    const body = h('tbody', { class: 'call-group', style: callStyle(group.callId) });
    body.append(h('tr', { class: 'group-head' },
      h('td', { class: 'swatch-cell' }),
      h('td', { colspan: MESSAGE_COLUMNS().length + extra.length - 1 },
        h('span', { class: 'group-label' }, 'Call-ID '),
        h('span', { class: 'mono call-id' }, visibleText(group.callId || '(none)')),
        h('span', { class: 'group-numbers mono' }, visibleText(`${a || '?'} → ${b || '?'}`)),
        h('span', { class: 'muted' }, `${group.messages.length} msg`),
        h('span', { class: 'group-actions' },
          group.callId ? h('a', { href: flowHash(group.callId, first.time_us, last.time_us, group.callRef), class: 'flow-link' }, 'Call flow') : null,
          group.callId ? exportButtons(group.callId, callExportParams(group.callId, first.time_us, last.time_us, group.callRef)) : null))));
    for (const m of group.messages) body.append(messageRow(m, extra));
    table.append(body);
  }
  return h('div', { class: 'table-wrap' }, table);
}

// "2026-11-26 12:49:45.061588": the date in its own span, which a narrow table (detail open) hides.
function timeCell(us) {
  const text = formatTimeUs(us);
  return h('td', { class: 'mono nowrap time', title: text },
    h('span', { class: 'date' }, text.slice(0, 11)), text.slice(11));
}

// An address cell: its alias (issue 14) when it has one, the address on hover; else the address.
function peerCell(alias, address) {
  if (!alias) return h('td', { class: 'mono nowrap' }, visibleText(address));
  return h('td', { class: 'nowrap alias', title: address, 'data-testid': 'peer-alias' }, visibleText(String(alias)));
}

function hostsText(c) {
  const names = c.host_aliases || [];
  return (c.hosts || []).map((host, i) => names[i] || host).join(', ');
}

function messageRow(m, headerNames = []) {
  const row = h('tr', { class: 'msg', tabindex: '0', dataset: { id: m.id } },
    h('td', { class: 'swatch-cell' }),
    timeCell(m.time_us),
    h('td', { class: ['nowrap', 'label', statusClass(m)] }, visibleText(sipLabel(m))),
    h('td', { class: 'mono' }, visibleText(m.from_user || '')),
    h('td', { class: 'mono' }, visibleText(m.to_user || m.ruri_user || '')),
    peerCell(m.src_alias, endpoint(m.src_ip, m.src_port)),
    peerCell(m.dst_alias, endpoint(m.dst_ip, m.dst_port)),
    h('td', null, m.transport || ''),
    h('td', { class: 'ua' }, visibleText(m.user_agent || '')),
    headerNames.map((n) => h('td', { class: 'mono header-cell' },
      visibleText((m.custom_headers || []).filter((c) => c.name === n).map((c) => c.value).join(', ')))));
  const open = () => {
    markSelected(row);
    detail.show(m.id);
  };
  row.addEventListener('click', open);
  row.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') open();
  });
  return row;
}

const REJECT_COLUMNS = () => [`Time (${zoneLabel()})`, 'Source', 'Destination', 'Proto', 'Reason', 'Size'];

// SIP that failed to parse: one row each, opening the reason and raw text in the detail panel.
function rejectsTable(items) {
  const body = h('tbody');
  for (const r of items) {
    const row = h('tr', { class: 'reject-row', tabindex: '0', dataset: { id: r.id } },
      h('td', { class: 'mono nowrap' }, formatTimeUs(r.time_us)),
      h('td', { class: 'mono nowrap' }, visibleText(endpoint(r.src_ip, r.src_port))),
      h('td', { class: 'mono nowrap' }, visibleText(endpoint(r.dst_ip, r.dst_port))),
      h('td', null, r.transport || ''),
      h('td', { class: 'reject-reason' }, visibleText(r.reason || '')),
      h('td', { class: 'num' }, `${r.raw_len} B`));
    const open = () => {
      markSelected(row);
      detail.showReject(r.id);
    };
    row.addEventListener('click', open);
    row.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') open();
    });
    body.append(row);
  }
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'grid-table rejects', 'data-testid': 'rejects-table' },
      h('thead', null, h('tr', null, REJECT_COLUMNS().map((c) => h('th', null, c)))), body));
}

function markSelected(row) {
  for (const r of results.querySelectorAll('tr.selected')) r.classList.remove('selected');
  if (row) row.classList.add('selected');
}

const CALL_COLUMNS = () => ['', `First (${zoneLabel()})`, 'Duration', 'A-number', 'B-number', 'Method', 'Final', 'State', 'Msgs', 'MOS', 'Loss', 'Elements', 'Call-ID', 'Export'];

function callsTable(calls) {
  const body = h('tbody');
  for (const c of calls) {
    const href = flowHash(c.call_id, c.first_time_us, c.last_time_us, c.call_ref);
    const status = Number(c.final_status) || 0;
    const row = h('tr', { class: 'call-row', tabindex: '0', style: callStyle(c.call_id) },
      h('td', { class: 'swatch-cell' }),
      h('td', { class: 'mono nowrap' }, formatTimeUs(c.first_time_us)),
      h('td', { class: 'nowrap num' }, formatDurationMs(Number(c.duration_ms))),
      h('td', { class: 'mono' }, visibleText(c.from_user || '')),
      h('td', { class: 'mono' }, visibleText(c.to_user || '')),
      h('td', null, visibleText(c.method || '')),
      h('td', { class: ['nowrap', statusClass({ status })], 'data-testid': 'call-final' }, finalLabel(c) || '—'),
      h('td', { class: ['nowrap', 'call-state', c.state ? `state-${c.state.replace(' ', '-')}` : null], 'data-testid': 'call-state' },
        visibleText(stateLabel(c)) || '—'),
      h('td', { class: 'num' }, String(c.message_count ?? '')),
      // Issue 15: the worst MOS and the highest per-interval loss of the call's quality reports.
      h('td', { class: ['num', 'nowrap', mosClass(c.worst_mos)], 'data-testid': 'call-mos',
        title: c.worst_mos == null ? 'no quality report with this Call-ID' : 'lowest MOS of the call\'s reports' }, mosText(c.worst_mos)),
      h('td', { class: 'num nowrap', 'data-testid': 'call-loss' }, lossText(c.max_loss)),
      h('td', { class: 'mono hosts', title: (c.hosts || []).join(', ') }, visibleText(hostsText(c))),
      h('td', { class: 'mono call-id' }, h('a', { href, class: 'flow-link' }, visibleText(c.call_id || ''))),
      h('td', { class: 'nowrap' }, exportButtons(c.call_id, callExportParams(c.call_id, c.first_time_us, c.last_time_us, c.call_ref))));
    const open = (event) => {
      if (event.target.closest('a, button')) return;
      location.hash = href;
    };
    row.addEventListener('click', open);
    row.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') open(event);
    });
    body.append(row);
  }
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'grid-table calls', 'data-testid': 'calls-table' },
      h('thead', null, h('tr', null, CALL_COLUMNS().map((c) => h('th', null, c)))), body));
}

