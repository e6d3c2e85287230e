// The message detail panel: every field of GET /api/v1/messages/{id} and the raw SIP as text,
// header names highlighted by wrapping them in spans (never by building markup from the text).
import { getJson, saveBlob } from './api.js';
import { h, replaceChildren, visibleText } from './dom.js';
import { callColor, endpoint, formatTimeUs, sipLabel, statusClass } from './format.js';
import { hashFor, isoTime } from './query.js';
import { zoneLabel } from './timezone.js';
import { parseSdp } from './sdp.js';

// Splits raw SIP into start line, header lines (name / value, folded continuations) and body.
export function renderRawSip(raw) {
  const pre = h('pre', { class: 'sip', 'data-testid': 'raw-sip' });
  const lines = String(raw).split(/\r?\n/);
  let inHeaders = true;
  lines.forEach((line, index) => {
    let row;
    if (index === 0) {
      row = h('span', { class: 'sip-start' }, visibleText(line));
    } else if (inHeaders && line === '') {
      inHeaders = false;
      row = h('span', { class: 'sip-blank' });
    } else if (inHeaders && /^[ \t]/.test(line)) {
      row = h('span', { class: 'sip-hval' }, visibleText(line));
    } else if (inHeaders && line.indexOf(':') > 0) {
      const colon = line.indexOf(':');
      row = h('span', null,
        h('span', { class: 'sip-hname' }, visibleText(line.slice(0, colon))),
        ':',
        h('span', { class: 'sip-hval' }, visibleText(line.slice(colon + 1))));
    } else {
      row = h('span', { class: inHeaders ? 'sip-bad' : 'sip-body' }, visibleText(line));
    }
    pre.append(row, '\n');
  });
  return pre;
}

function base64ToBytes(b64) {
  const bin = atob(b64 || '');
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

// A flow link around one message: from an hour before to an hour after it. `callRef` (the api's
// call_ref) names the call exactly, also when its Call-ID is not UTF-8 or longer than 255 bytes
// (then `callId`, the text the api printed, is not enough to find it).
export function flowHash(callId, firstUs, lastUs = firstUs, callRef = '') {
  return hashFor('flow', {
    call_id: callId,
    ...(callRef ? { call_ref: callRef } : {}),
    from: isoTime(Math.floor(firstUs / 1000) - 3600e3),
    to: isoTime(Math.ceil(lastUs / 1000) + 3600e3),
  });
}

function field(label, value, opts = {}) {
  if (value === undefined || value === null || value === '' || (opts.hideZero && !value)) return null;
  return [h('dt', null, label), h('dd', { class: opts.mono ? 'mono' : null }, visibleText(String(value)))];
}

// The SDP of a message at a glance: a row per m= line.
function sdpTable(sdp) {
  return h('table', { class: 'grid-table compact sdp-table', 'data-testid': 'sdp-summary' },
    h('thead', null, h('tr', null, ['Media', 'RTP to', 'Codecs', 'Direction'].map((c) => h('th', null, c)))),
    h('tbody', null, sdp.media.map((x) => h('tr', { class: x.rejected ? 'muted' : null },
      h('td', null, visibleText(x.type)),
      h('td', { class: 'mono' }, x.rejected ? 'rejected (port 0)' : visibleText(endpoint(x.address || '?', x.port))),
      h('td', { class: 'mono' }, visibleText(x.codecs.join(' '))),
      h('td', { class: x.direction !== 'sendrecv' || x.hold ? 'sdp-hold' : null },
        visibleText(x.direction + (x.hold ? ' (hold: 0.0.0.0)' : '')))))));
}

// Shows message `id` in `panel`. Only the latest call renders (fast clicking is fine).
// `context` may add {leg, inferred} from a call flow; `onClose` runs when the panel closes.
export class DetailPanel {
  // messagePath: the API path of a message by id (a share link reads through its own, share.js).
  constructor(panel, { onClose, messagePath } = {}) {
    this.panel = panel;
    this.onClose = onClose || (() => {});
    this.messagePath = messagePath || ((id) => `messages/${encodeURIComponent(id)}`);
    this.shared = Boolean(messagePath);  // a share link's view: no "Call flow" (that page needs a login)
    this.seq = 0;
  }

  close() {
    this.seq++;
    this.panel.hidden = true;
    replaceChildren(this.panel);
    this.onClose();
  }

  async show(id, context = {}) {
    const seq = ++this.seq;
    this.panel.hidden = false;
    replaceChildren(this.panel, this.header('Loading message…'), h('p', { class: 'muted pad' }, 'Loading…'));
    let message;
    try {
      message = await getJson(this.messagePath(id));
    } catch (e) {
      if (seq !== this.seq) return;
      replaceChildren(this.panel, this.header('Message'), h('p', { class: 'error pad' }, e.message));
      return;
    }
    if (seq !== this.seq) return;
    this.render(message, context);
  }

  // Shows reject `id` (GET /api/v1/rejects/{id}): SIP that failed to parse, its reason and raw text.
  async showReject(id) {
    const seq = ++this.seq;
    this.panel.hidden = false;
    replaceChildren(this.panel, this.header('Loading…'), h('p', { class: 'muted pad' }, 'Loading…'));
    let r;
    try {
      r = await getJson(`rejects/${encodeURIComponent(id)}`);
    } catch (e) {
      if (seq !== this.seq) return;
      replaceChildren(this.panel, this.header('Failed to parse'), h('p', { class: 'error pad' }, e.message));
      return;
    }
    if (seq !== this.seq) return;
    const rawButton = h('button', { type: 'button', class: 'button' }, 'Download raw');
    rawButton.addEventListener('click', () => {
      const blob = new Blob([base64ToBytes(r.raw_base64)], { type: 'application/octet-stream' });
      saveBlob(blob, `sipvault-reject-${String(r.id).replace(/[^0-9A-Za-z-]/g, '_')}.sip`);
    });
    const facts = h('dl', { class: 'facts' },
      field('Reason', r.reason),
      field(`Time (${zoneLabel()})`, formatTimeUs(r.time_us), { mono: true }),
      field('Source', endpoint(r.src_ip, r.src_port), { mono: true }),
      field('Destination', endpoint(r.dst_ip, r.dst_port), { mono: true }),
      field('Transport', r.transport),
      field('Correlation ID', r.correlation_id, { mono: true }),
      field('Capture ID', r.capture_id, { hideZero: true }),
      field('Node', r.node),
      field('Size', `${r.raw_len} bytes`),
      field('ID', r.id, { mono: true }));
    replaceChildren(this.panel,
      this.header(`Failed to parse · ${endpoint(r.src_ip, r.src_port)} → ${endpoint(r.dst_ip, r.dst_port)}`),
      h('div', { class: 'detail-actions' }, rawButton),
      facts,
      h('h3', null, 'Raw message'),
      renderRawSip(r.raw ?? ''));
    this.panel.scrollTop = 0;
  }

  header(title, message) {
    const close = h('button', { type: 'button', class: 'icon-button', title: 'Close (Esc)', 'aria-label': 'Close' }, '×');
    close.addEventListener('click', () => this.close());
    const heading = h('h2', { class: message ? statusClass(message) : null }, title);
    return h('div', { class: 'detail-head' }, heading, close);
  }

  render(m, context) {
    // A response's own reason phrase ("SIP/2.0 403 Wrong password") rather than the code's standard one.
    const own = /^SIP\/2\.0 \d{3} (.+)$/.exec(m.start_line || '');
    const title = `${sipLabel(m, own ? own[1] : '')} · ${endpoint(m.src_ip, m.src_port)} → ${endpoint(m.dst_ip, m.dst_port)}`;
    const actions = h('div', { class: 'detail-actions' });
    if (m.call_id && !this.shared) {
      actions.append(h('a', { class: 'button', href: flowHash(m.call_id, m.time_us, m.time_us, m.call_ref) }, 'Call flow'));
    }
    const rawButton = h('button', { type: 'button', class: 'button' }, 'Download raw');
    rawButton.addEventListener('click', () => {
      const blob = new Blob([base64ToBytes(m.raw_base64)], { type: 'application/sip' });
      saveBlob(blob, `sipvault-message-${String(m.id).replace(/[^0-9A-Za-z-]/g, '_')}.sip`);
    });
    actions.append(rawButton);

    const swatch = h('span', { class: 'swatch', style: { '--call': callColor(m.call_id) } });
    const facts = h('dl', { class: 'facts' },
      field(`Time (${zoneLabel()})`, formatTimeUs(m.time_us), { mono: true }),
      field('Call-ID', m.call_id, { mono: true }),
      context.leg !== undefined && context.leg !== m.call_id ? field('Leg', context.leg, { mono: true }) : null,
      context.inferred ? field('Leg relation', 'inferred (same numbers, short window)') : null,
      field('From user (A)', m.from_user, { mono: true }),
      field('To user (B)', m.to_user, { mono: true }),
      field('R-URI user', m.ruri_user, { mono: true }),
      field('From tag', m.from_tag, { mono: true }),
      field('To tag', m.to_tag, { mono: true }),
      field('CSeq', m.cseq ? `${m.cseq} ${m.method || ''}` : ''),
      field('Source', endpoint(m.src_ip, m.src_port), { mono: true }),
      field('Destination', endpoint(m.dst_ip, m.dst_port), { mono: true }),
      field('Transport', m.transport),
      field('User-Agent', m.user_agent),
      field('Via branch', m.via_branch, { mono: true }),
      field('X-CID', m.x_cid, { mono: true }),
      field('Correlation ID', m.correlation_id, { mono: true }),
      field('Capture ID', m.capture_id, { hideZero: true }),
      field('Node', m.node),
      field('VLAN', m.vlan, { hideZero: true }),
      field('Size', m.raw_len !== undefined ? `${m.raw_len} bytes` : ''),
      field('ID', m.id, { mono: true }),
      // Values the parser's header and correlation rules extracted (issue 14).
      (m.custom_headers || []).map((c) => field(`Header ${c.name}`, c.value, { mono: true })),
      (m.links || []).map((l) => field(`Link ${l.rule}`, l.value, { mono: true })));
    facts.prepend(h('dt', null, 'Call'), h('dd', null, swatch));

    const sdp = parseSdp(m.body);
    replaceChildren(this.panel,
      this.header(title, m),
      actions,
      facts,
      sdp ? [h('h3', null, 'SDP'), sdpTable(sdp)] : null,
      h('h3', null, 'Raw message'),
      renderRawSip(m.raw ?? ''));
    this.panel.scrollTop = 0;
  }
}
