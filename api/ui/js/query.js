// Search state: the filters of the API contract, the time range, and their round trip through
// the page URL (location.hash), so a search can be shared as a link and survives a reload.
//
//   #/search?from_user=4930*&range=1h&view=messages    (view: calls when absent)
//   #/search?call_id=abc@host&from=2026-11-26T12:00:00Z&to=2026-11-26T13:00:00Z
//
// `range` (15m, 1h, 6h, 24h, 7d) is relative to the moment the search runs; `from`/`to` are
// absolute and win over `range`. The form takes RFC 3339 / ISO 8601 with a zone
// (`2026-11-26T06:04+01:00`, `2026-11-26T05:00Z`: seconds optional, as the API), a zoneless
// "YYYY-MM-DD HH:MM[:SS]" read in the chosen time zone (timezone.js), or epoch time with its unit
// (1795000000s / ...ms / ...us). Links carry them as RFC 3339 UTC, so a link names the same instant
// in every browser; a zoneless time in a link (older links) is read as UTC.
import { currentZone, wallClock, wallToInstant } from './timezone.js';

// Every search filter of the contract, in the order the advanced form shows them.
export const FILTERS = [
  { name: 'from_user', label: 'A-number (From user)', placeholder: '4930* or sipp', simple: true },
  { name: 'to_user', label: 'B-number (To / R-URI user)', placeholder: '1000', simple: true },
  { name: 'call_id', label: 'Call-ID', placeholder: 'Call-ID (* = any characters)', simple: true },
  // legs=linked: the Call-ID with every leg its call flow shows (X-CID, correlation, inferred).
  { name: 'legs', label: 'Legs', choices: ['', 'linked'], choiceLabels: ['this Call-ID', 'with linked legs'], simple: true },
  { name: 'method', label: 'Method', placeholder: 'INVITE,BYE' },
  { name: 'status', label: 'Status (any message)', placeholder: '486 or 4xx or 200,180' },
  // The call's final response (API final_status), not any message of it: a filter of calls only.
  { name: 'final_status', label: 'Final status (calls)', placeholder: '486 or 4xx', callsOnly: true },
  // Issue 15: calls with a quality report whose MOS is below this (API mos_below, 1..5).
  { name: 'mos_below', label: 'MOS below (calls)', placeholder: '3.5', callsOnly: true },
  { name: 'from_tag', label: 'From tag' },
  { name: 'to_tag', label: 'To tag' },
  { name: 'user_agent', label: 'User-Agent contains' },
  { name: 'ip', label: 'IP (either side)', placeholder: '192.0.2.1' },
  { name: 'src_ip', label: 'Source IP' },
  { name: 'dst_ip', label: 'Destination IP' },
  { name: 'port', label: 'Port (either side)', placeholder: '5060' },
  { name: 'src_port', label: 'Source port' },
  { name: 'dst_port', label: 'Destination port' },
  { name: 'transport', label: 'Transport', choices: ['', 'udp', 'tcp', 'sctp'] },
  { name: 'capture_id', label: 'Capture ID', placeholder: '2001' },
  // Aliases (issue 14, #/aliases): a name for addresses, prefixes or capture ids.
  { name: 'alias', label: 'Alias (either side)', placeholder: 'SBC-Frankfurt' },
  { name: 'src_alias', label: 'Source alias' },
  { name: 'dst_alias', label: 'Destination alias' },
  // Storage class (ingest policy, docs/operations.md): calls, registrations, other; empty = all.
  { name: 'class', label: 'Storage class', choices: ['', 'calls', 'registrations', 'other'], choiceLabels: ['any', 'calls', 'registrations', 'other'] },
  { name: 'limit', label: 'Limit', placeholder: '100 (max 10000)' },
];
// Filters a link may carry that are no text field: call_ref (the api's exact name of a call, for
// Call-IDs its text cannot reach; see detail.js flowHash). The form shows it as a removable
// "Exact call" chip (search.js), so no search filters by something the user cannot see.
export const HIDDEN_FILTERS = ['call_ref'];

// The stored Call-ID bytes inside a call_ref (base64url of "r1:<key>:<bytes>"), or null.
export function callRefBytes(callRef) {
  try {
    const raw = atob(String(callRef).replace(/-/g, '+').replace(/_/g, '/'));
    const colon = raw.indexOf(':', 3);
    if (!raw.startsWith('r1:') || colon < 0) return null;
    return Uint8Array.from(raw.slice(colon + 1), (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}
export const FILTER_NAMES = [...FILTERS.map((f) => f.name), ...HIDDEN_FILTERS];

// Custom header filters (API `header.<name>=value`, issue 14): the parser's configured header
// names, picked in the advanced form (search.js); any number of them in a link, at most 4 in the API.
export const HEADER_PREFIX = 'header.';
export const COMMON_HEADERS = ['P-Asserted-Identity', 'Diversion', 'History-Info', 'P-Charging-Vector', 'Reason'];
export function isHeaderFilter(name) {
  return name.startsWith(HEADER_PREFIX) && name.length > HEADER_PREFIX.length;
}
// Every filter name a state carries: the fixed ones, then its header.<name> ones.
function stateFilterNames(filters) {
  return [...FILTER_NAMES, ...Object.keys(filters).filter(isHeaderFilter)];
}

export const RANGES = [
  { value: '15m', label: 'last 15 minutes', ms: 15 * 60e3 },
  { value: '1h', label: 'last hour', ms: 3600e3 },
  { value: '6h', label: 'last 6 hours', ms: 6 * 3600e3 },
  { value: '24h', label: 'last 24 hours', ms: 24 * 3600e3 },
  { value: '7d', label: 'last 7 days', ms: 7 * 24 * 3600e3 },
  { value: 'custom', label: 'custom', ms: 0 },
];
export const DEFAULT_RANGE = '1h';

const ZONELESS = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?$/;

// "2026-11-26 12:49" / "2026-11-26T12:49:45.5" (read in `zone`, the chosen one by default) ->
// RFC 3339 UTC ("...Z"). Values with an explicit zone and epoch values with a unit pass unchanged;
// anything else too (a bare number included), and the API names it if bad.
export function normalizeTime(value, zone = currentZone()) {
  const text = String(value || '').trim();
  if (!text || /^\d+(s|ms|us)?$/.test(text)) return text;
  const m = ZONELESS.exec(text);
  if (!m) return text;
  const fraction = m[7] ? Number(m[7]) * 1000 : 0;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] || 0));
  if (!Number.isFinite(wall)) return text;
  const instant = wallToInstant(wall, zone) + fraction;
  if (zone === 'UTC') return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}${m[6] ? `:${m[6]}${m[7] || ''}` : ':00'}Z`;
  return isoSeconds(instant);
}

// Milliseconds since the epoch for a time parameter (zoneless text read in `zone`), or NaN.
export function timeToMs(value, zone = currentZone()) {
  const text = normalizeTime(value, zone);
  const epoch = /^(\d+)(s|ms|us)$/.exec(text);
  if (epoch) return Number(epoch[1]) * { s: 1000, ms: 1, us: 0.001 }[epoch[2]];
  if (/^\d+$/.test(text)) return NaN;  // a bare number: seconds or milliseconds? (the API refuses it too)
  // Date.parse needs seconds before a zone: "2026-11-26T05:00Z" -> "2026-11-26T05:00:00Z".
  return Date.parse(text.replace(/^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(Z|[+-]\d{2}:?\d{2})$/i, '$1:00$2'));
}

// Epoch ms -> RFC 3339 UTC ("2026-11-26T12:49:45.061Z"), the form the UI sends to the API.
export function isoTime(ms) {
  return new Date(ms).toISOString();
}

// Epoch ms -> RFC 3339 UTC without a zero fraction ("2026-11-26T12:49:45Z"), for links.
export function isoSeconds(ms) {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

// Epoch ms -> "2026-11-26 12:49:45" in the chosen zone (whole seconds: down, or up with `ceil`),
// the form fields' format.
export function formTime(ms, { ceil = false, zone = currentZone() } = {}) {
  const s = (ceil ? Math.ceil(ms / 1000) : Math.floor(ms / 1000)) * 1000;
  const w = wallClock(s, zone);
  const pad = (n) => String(n).padStart(2, '0');
  return `${w.year}-${pad(w.month)}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}`;
}

// A time from a link or the form -> what a form field shows: the chosen zone's wall clock for
// any absolute time (a zoneless link time is UTC), anything unreadable as it is.
export function formTimeOf(value, { ceil = false } = {}) {
  const text = String(value || '').trim();
  if (!text) return '';
  const ms = timeToMs(text, 'UTC');
  if (!Number.isFinite(ms)) return text;
  const fraction = ms % 1000;
  return !ceil && fraction ? `${formTime(ms)}.${String(fraction).padStart(3, '0')}` : formTime(ms, { ceil });
}

// A time typed in the form -> the link's form: RFC 3339 UTC (unreadable text is kept, so the API
// names it).
export function linkTime(value) {
  const text = String(value || '').trim();
  const ms = timeToMs(text);
  return Number.isFinite(ms) ? isoSeconds(ms) : text;
}

// The state of a search page, parsed from the hash query.
export function stateFromParams(params) {
  const filters = {};
  for (const name of FILTER_NAMES) {
    const value = params.get(name);
    if (value) filters[name] = value;
  }
  for (const [name, value] of params) if (isHeaderFilter(name) && value) filters[name.toLowerCase()] = value;
  const from = params.get('from') || '';
  const to = params.get('to') || '';
  let range = params.get('range') || '';
  if (!RANGES.some((r) => r.value === range)) range = from || to ? 'custom' : DEFAULT_RANGE;
  // Calls are the default view (issue 12); a final_status filter has no messages view.
  // "rejects": SIP that failed to parse (issue 12); only time and address filters apply.
  let view = params.get('view') === 'messages' && !hasCallsOnlyFilter(filters) ? 'messages' : 'calls';
  if (params.get('view') === 'rejects') view = 'rejects';
  return { filters, range, from, to, view };
}

// A filter of calls only (final_status, mos_below) is set: there is no messages view then.
export function hasCallsOnlyFilter(filters) {
  return FILTERS.some((f) => f.callsOnly && String(filters[f.name] || '').trim());
}

export function paramsFromState(state) {
  const params = new URLSearchParams();
  for (const name of stateFilterNames(state.filters)) {
    const value = (state.filters[name] || '').trim();
    if (value) params.set(name, value);
  }
  if (state.range === 'custom') {
    if (state.from) params.set('from', linkTime(state.from));
    if (state.to) params.set('to', linkTime(state.to));
  } else {
    params.set('range', state.range || DEFAULT_RANGE);
  }
  if (state.view === 'messages' && !hasCallsOnlyFilter(state.filters)) params.set('view', 'messages');
  if (state.view === 'rejects') params.set('view', 'rejects');
  return params;
}

// The API query for a state at time `nowMs`: filters plus absolute from/to (RFC 3339 for relative
// ranges, so every request of one search uses the same window).
export function apiParams(state, nowMs = Date.now()) {
  const params = {};
  for (const name of stateFilterNames(state.filters)) {
    const value = (state.filters[name] || '').trim();
    if (value) params[name] = value;
  }
  if (state.range === 'custom') {
    // From a link: RFC 3339 (or older zoneless links, UTC).
    if (state.from) params.from = normalizeTime(state.from, 'UTC');
    if (state.to) params.to = normalizeTime(state.to, 'UTC');
  } else {
    const range = RANGES.find((r) => r.value === state.range) || RANGES[1];
    params.from = isoTime(nowMs - range.ms);
    params.to = isoTime(nowMs);
  }
  return params;
}

// A hash route "#/name?query" -> { name, params }.
export function parseHash(hash) {
  const text = hash.replace(/^#\/?/, '');
  const q = text.indexOf('?');
  const name = (q < 0 ? text : text.slice(0, q)) || '';
  const params = new URLSearchParams(q < 0 ? '' : text.slice(q + 1));
  return { name, params };
}

export function hashFor(name, params) {
  const qs = params ? new URLSearchParams(params).toString() : '';
  return `#/${name}${qs ? `?${qs}` : ''}`;
}
