// Formatting of times, addresses and SIP labels, and the colour of a call.
import { currentZone, wallClock } from './timezone.js';

const pad = (n, width = 2) => String(n).padStart(width, '0');

// µs since the epoch -> "2026-11-26 12:49:45.061588" in the chosen time zone (timezone.js; UTC
// unless the user picked another).
export function formatTimeUs(us, zone = currentZone()) {
  if (!Number.isFinite(us)) return '';
  const ms = Math.floor(us / 1000);
  const d = wallClock(ms, zone);
  const micro = Math.floor(us - Math.floor(us / 1e6) * 1e6);
  return `${d.year}-${pad(d.month)}-${pad(d.day)} ` +
    `${pad(d.hour)}:${pad(d.minute)}:${pad(d.second)}.${pad(micro, 6)}`;
}

// µs -> "12:49:45.061" (chosen zone), for the ladder's time column.
export function formatClockUs(us) {
  if (!Number.isFinite(us)) return '';
  return formatTimeUs(us).slice(11, 23);
}

// A duration in µs, short: "+0.112 ms", "+1.250 s", "+3 m 05 s".
export function formatDeltaUs(us) {
  if (!Number.isFinite(us)) return '';
  const sign = us < 0 ? '-' : '+';
  const abs = Math.abs(us);
  if (abs < 1e6) return `${sign}${(abs / 1000).toFixed(3)} ms`;
  if (abs < 60e6) return `${sign}${(abs / 1e6).toFixed(3)} s`;
  const s = Math.round(abs / 1e6);
  return `${sign}${Math.floor(s / 60)} m ${pad(s % 60)} s`;
}

export function formatDurationMs(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60e3) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} m ${pad(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${pad(Math.floor((s % 3600) / 60))} m`;
}

// "ip:port" with IPv6 in brackets, as in the flow's `hosts`.
export function endpoint(ip, port) {
  const host = String(ip || '?');
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

// The ladder / table label of a message: the method of a request; for a response its code and
// reason phrase, and the CSeq method when it is not INVITE: "486 Busy Here", "200 OK (BYE)".
// `reason` (the message's own phrase, from its start line) wins over the code's standard one.
export function sipLabel(message, reason = '') {
  if (message.is_request === false || message.status > 0) {
    const text = `${message.status} ${reason || message.status_text || ''}`.trim();
    return message.method && message.method !== 'INVITE' ? `${text} (${message.method})` : text;
  }
  return message.method || '?';
}

// "486 Busy Here" for a call's final status (its standard phrase from the api), '' for none.
export function finalLabel(call) {
  const status = Number(call.final_status) || 0;
  return status ? `${status} ${call.final_reason || ''}`.trim() : '';
}

// A call's outcome: "busy · Q.850 17 User busy", "answered", '' when the api has none.
export function stateLabel(call) {
  const q850 = call.q850 ? `Q.850 ${call.q850.cause}${call.q850.text ? ` ${call.q850.text}` : ''}` : '';
  return [call.state || '', q850].filter(Boolean).join(' · ');
}

export function statusClass(message) {
  const status = Number(message.status) || 0;
  if (!status) return 'req';
  return `s${Math.floor(status / 100)}xx`;
}

// A stable colour per Call-ID (FNV-1a over the UTF-16 units -> hue), so a call has the same
// colour in the result table, the call list and as a leg in the ladder.
export function callHue(callId) {
  let hash = 0x811c9dc5;
  const text = String(callId || '');
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // Golden-ratio spread keeps neighbouring hashes apart; skip the washed-out yellow band.
  let hue = Math.floor(((hash * 0.618033988749895) % 1) * 360);
  if (hue > 45 && hue < 75) hue += 40;
  return hue;
}

export function callColor(callId) {
  return `hsl(${callHue(callId)} 62% 40%)`;
}

export function callTint(callId) {
  return `hsl(${callHue(callId)} 70% 95%)`;
}

// A download name carrying the Call-ID: "sipvault-call-a84b4c76e66710@pc33.atlanta.com.pcap".
// Only [A-Za-z0-9._@-] survive (anything else, U+FFFD and path separators included, becomes
// "_"), no leading dot, at most 100 characters of Call-ID: safe on every file system.
export function callFileName(callId, ext, prefix = 'sipvault-call') {
  const safe = String(callId || '').replace(/[^A-Za-z0-9._@-]+/g, '_').replace(/^[._-]+/, '').slice(0, 100);
  return safe ? `${prefix}-${safe}.${ext}` : `${prefix}.${ext}`;
}
