// Share links (issue 16, api/API_CONTRACT.md "Share links"):
//   * a "Share" button on the call-flow page: POST /api/v1/shares for the call and range on
//     screen, then the link to copy (shown once: only its hash is stored);
//   * #/share?t=<token>: the shared call opened without a login (GET /api/v1/shared/{token}/flow,
//     messages and downloads through the same token), nothing else of the app;
//   * #/shares: active links (an admin sees everyone's, a viewer their own) with Revoke.
// The views are built here, not in index.html, so that the page shell stays the UI's own. All
// text goes in through text nodes (dom.js).
import { deleteJson, getJson, postJson } from './api.js';
import { byId, h, replaceChildren, visibleText } from './dom.js';
import { DetailPanel } from './detail.js';
import { drawLadder } from './flow.js';
import { formatDeltaUs, formatTimeUs } from './format.js';
import { normalizeTime, parseHash } from './query.js';
import { clearBanner, errorText, showBanner } from './banner.js';
import { runDownload } from './search.js';
import { qosMarkers, renderQos, renderQosError } from './qos.js';

const LIFETIMES = [
  ['3600', '1 hour'],
  ['86400', '1 day'],
  ['604800', '7 days'],
  ['2592000', '30 days'],
];

let sharedDetail;
let sharedSeq = 0;

export function initShare() {
  const main = document.querySelector('main');
  main.append(
    h('section', { id: 'view-share', class: 'view', hidden: true, 'data-testid': 'shared-view' },
      h('div', { class: 'flow-bar card' },
        h('h1', { id: 'shared-title' }),
        h('span', { class: 'spacer' }),
        h('button', { type: 'button', id: 'shared-pcap', class: 'button', hidden: true }, 'Download pcap'),
        h('button', { type: 'button', id: 'shared-txt', class: 'button', hidden: true }, 'Download txt')),
      h('div', { class: 'flow-meta' },
        h('span', { id: 'shared-summary', class: 'muted', 'data-testid': 'shared-summary' })),
      h('p', { id: 'shared-empty', class: 'hint', 'data-testid': 'shared-empty', hidden: true }),
      h('div', { class: 'split' },
        h('div', { id: 'shared-ladder', class: 'ladder' }),
        h('aside', { id: 'shared-qos', class: 'qos-panel', 'data-testid': 'shared-qos-panel', hidden: true }),
        h('aside', { id: 'shared-detail', class: 'detail', 'data-testid': 'shared-detail', hidden: true }))),
    h('section', { id: 'view-shares', class: 'view', hidden: true },
      h('div', { class: 'flow-bar card' }, h('h1', null, 'Share links'), h('span', { class: 'spacer' }),
        h('span', { id: 'shares-scope', class: 'muted small' })),
      h('div', { id: 'shares-list', class: 'table-wrap', 'data-testid': 'shares-list' })));
  byId('nav').append(h('a', { href: '#/shares', dataset: { route: 'shares' } }, 'Shares'));

  // The flow page's Share button and the box that makes the link.
  const box = h('div', { id: 'share-box', class: 'card share-box', hidden: true, 'data-testid': 'share-box' });
  byId('flow-pcap').before(h('button', { type: 'button', id: 'flow-share', class: 'button' }, 'Share'));
  document.querySelector('#view-flow .flow-bar').after(box);
  byId('flow-share').addEventListener('click', () => {
    box.hidden = !box.hidden;
    if (!box.hidden) fillShareBox(box);
  });
  window.addEventListener('hashchange', () => {
    box.hidden = true;
  });
  sharedDetail = new DetailPanel(byId('shared-detail'), {
    messagePath: (id) => `shared/${encodeURIComponent(currentToken())}/messages/${encodeURIComponent(id)}`,
  });
}

export function closeSharedDetail() {
  if (sharedDetail && !byId('shared-detail').hidden) sharedDetail.close();
}

function currentToken() {
  return parseHash(location.hash).params.get('t') || '';
}

function fillShareBox(box) {
  const expiry = h('select', { id: 'share-expiry', name: 'expires_s' },
    LIFETIMES.map(([value, text]) => h('option', { value, selected: value === '604800' }, text)));
  const note = h('input', { id: 'share-note', type: 'text', maxlength: 255, placeholder: 'for whom (optional)' });
  const create = h('button', { type: 'button', id: 'share-create', class: 'primary' }, 'Create link');
  const out = h('div', { id: 'share-result', 'data-testid': 'share-result' });
  replaceChildren(box,
    h('label', { class: 'field' }, h('span', null, 'Expires after'), expiry),
    h('label', { class: 'field' }, h('span', null, 'Note'), note),
    create, out);
  create.addEventListener('click', async () => {
    const { params } = parseHash(location.hash);
    const body = { call_id: params.get('call_id') || '', expires_s: Number(expiry.value) };
    if (params.get('call_ref')) body.call_ref = params.get('call_ref');
    for (const key of ['from', 'to']) {
      const value = normalizeTime(params.get(key));
      if (value) body[key] = value;
    }
    if (note.value) body.note = note.value;
    create.disabled = true;
    try {
      const link = await postJson('shares', body);
      const url = new URL(link.url, location.href).href;
      const field = h('input', { type: 'text', readonly: true, class: 'mono share-url', value: url, 'data-testid': 'share-url' });
      const copy = h('button', { type: 'button' }, 'Copy');
      copy.addEventListener('click', async () => {
        field.select();
        try {
          await navigator.clipboard.writeText(url);
          copy.textContent = 'Copied';
        } catch {
          copy.textContent = 'Select and copy';
        }
      });
      replaceChildren(out, h('p', { class: 'muted small' },
        `Anyone with this link can see this call until ${formatTimeUs(Date.parse(link.expires_at) * 1000)} UTC. It is shown only now.`),
      field, copy);
    } catch (e) {
      replaceChildren(out, h('p', { class: 'error' }, errorText(e)));
    } finally {
      create.disabled = false;
    }
  });
}

// Route entry: #/share?t=<token>, no login needed.
export async function showShared(params) {
  const mySeq = ++sharedSeq;
  clearBanner();
  closeSharedDetail();
  const token = params.get('t') || '';
  const ladder = byId('shared-ladder');
  const empty = byId('shared-empty');
  replaceChildren(byId('shared-title'), 'Shared call');
  byId('shared-summary').textContent = '';
  for (const id of ['shared-pcap', 'shared-txt']) byId(id).hidden = true;
  empty.hidden = true;
  byId('shared-qos').hidden = true;
  replaceChildren(ladder, h('p', { class: 'muted pad' }, 'Loading call flow…'));
  const base = `shared/${encodeURIComponent(token)}`;
  let flow;
  try {
    flow = await getJson(`${base}/flow`);
  } catch (e) {
    if (mySeq !== sharedSeq) return;
    replaceChildren(ladder);
    empty.textContent = e.status === 410 || e.status === 404
      ? `This share link cannot be opened: ${e.message}.` : errorText(e);
    empty.hidden = false;
    return;
  }
  if (mySeq !== sharedSeq) return;
  const messages = flow.messages || [];
  const legs = flow.legs || [];
  replaceChildren(byId('shared-title'), 'Shared call ', h('span', { class: 'mono call-id' }, visibleText(flow.call_id || '')));
  byId('shared-pcap').onclick = () => runDownload(byId('shared-pcap'), `${base}/export.pcap`, null, 'sipvault-call.pcap');
  byId('shared-txt').onclick = () => runDownload(byId('shared-txt'), `${base}/export.txt`, null, 'sipvault-call.txt');
  for (const id of ['shared-pcap', 'shared-txt']) byId(id).hidden = false;
  const expires = flow.share ? ` · link expires ${formatTimeUs(Date.parse(flow.share.expires_at) * 1000)} UTC` : '';
  const span = messages.length ? formatDeltaUs(messages[messages.length - 1].time_us - messages[0].time_us).replace('+', '') : '';
  byId('shared-summary').textContent =
    `${messages.length} message${messages.length === 1 ? '' : 's'} · ${legs.length} leg${legs.length === 1 ? '' : 's'} · ${span}${expires}`;
  replaceChildren(ladder, drawLadder(flow.hosts || [], messages, legs, ladder.clientWidth, sharedDetail));
  // The call's quality through the same token (issue 15), and its markers on the ladder.
  const panel = byId('shared-qos');
  panel.hidden = false;
  renderQos(panel, null);
  try {
    const qos = await getJson(`${base}/qos`);
    if (mySeq !== sharedSeq) return;
    renderQos(panel, qos);
    const markers = qosMarkers(qos);
    if (markers.length) {
      replaceChildren(ladder, drawLadder(flow.hosts || [], messages, legs, ladder.clientWidth, sharedDetail, [], markers));
    }
  } catch (e) {
    if (mySeq === sharedSeq) renderQosError(panel, errorText(e));
  }
}

// Route entry: #/shares, the active links with Revoke.
export async function showShares(user) {
  const list = byId('shares-list');
  byId('shares-scope').textContent = user && user.role === 'admin' ? 'every user\'s active links' : 'your active links';
  replaceChildren(list, h('p', { class: 'muted pad' }, 'Loading…'));
  let items;
  try {
    items = (await getJson('shares')).items || [];
  } catch (e) {
    replaceChildren(list);
    showBanner(errorText(e));
    return;
  }
  if (!items.length) {
    replaceChildren(list, h('p', { class: 'muted pad', 'data-testid': 'shares-empty' }, 'No active share links.'));
    return;
  }
  const rows = items.map((link) => {
    const revoke = h('button', { type: 'button', class: 'link-button', 'data-testid': 'share-revoke' }, 'Revoke');
    revoke.addEventListener('click', async () => {
      revoke.disabled = true;
      try {
        await deleteJson(`shares/${encodeURIComponent(link.id)}`);
        showShares(user);
      } catch (e) {
        revoke.disabled = false;
        showBanner(errorText(e));
      }
    });
    return h('tr', { dataset: { id: link.id }, 'data-testid': 'share-row' },
      h('td', { class: 'mono call-id' }, visibleText(link.call_id || '')),
      h('td', null, visibleText(link.created_by || '')),
      h('td', { class: 'mono' }, link.created_at || ''),
      h('td', { class: 'mono' }, link.expires_at || ''),
      h('td', null, visibleText(link.note || '')),
      h('td', null, revoke));
  });
  replaceChildren(list, h('table', { class: 'grid-table' },
    h('thead', null, h('tr', null, ['Call-ID', 'Created by', 'Created', 'Expires', 'Note', ''].map((t) => h('th', null, t)))),
    h('tbody', null, rows)));
}
