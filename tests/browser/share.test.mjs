// Share links (issue 16) in the browser, against the real stack: a logged-in user makes a link from
// a call's flow page; a fresh browser with no session opens it and sees that call's ladder and
// message detail, and nothing of the app (no navigation, search sends it to the login page); the
// admin lists the link under "Shares" and revokes it, after which the link no longer opens.
//
//   ctest --test-dir build/dev -R browser-share --output-on-failure
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from './lib/browser.mjs';
import { buildHep3 } from './lib/hep.mjs';
import { requireEnv, sendHep, startStack, stopStack, waitFor } from './lib/stack.mjs';
import { adminToken } from './lib/session.mjs';

const OUT = path.join(requireEnv('SIPVAULT_BROWSER_OUT'), 'share');
const SHOTS = path.join(OUT, 'screenshots');

const SHARED_CALL = 'shared-call@203.0.113.80';
const OTHER_CALL = 'private-call@203.0.113.81';

// A small call: INVITE, 200, ACK, BYE, 200 between two hosts.
function callMessages(callId, from, to) {
  const lines = (start, cseq, extra = []) => [
    start,
    `Via: SIP/2.0/UDP ${from}:5060;branch=z9hG4bK-${cseq.replace(' ', '')}`,
    `From: <sip:alice@${from}>;tag=a1`,
    `To: <sip:bob@${to}>${start.startsWith('SIP/2.0') ? ';tag=b1' : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq}`,
    ...extra,
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
  return [
    { src: from, dst: to, text: lines(`INVITE sip:bob@${to} SIP/2.0`, '1 INVITE') },
    { src: to, dst: from, text: lines('SIP/2.0 200 OK', '1 INVITE') },
    { src: from, dst: to, text: lines(`ACK sip:bob@${to} SIP/2.0`, '1 ACK') },
    { src: from, dst: to, text: lines(`BYE sip:bob@${to} SIP/2.0`, '2 BYE') },
    { src: to, dst: from, text: lines('SIP/2.0 200 OK', '2 BYE') },
  ];
}

let stack;
let token;
let range;

async function api(pathAndQuery, init = {}) {
  return fetch(`${stack.baseUrl}/api/v1/${pathAndQuery}`,
    { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers || {}) } });
}

before(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  const base = Date.now() * 1000 - 2 * 60e6;
  range = { from: `${Math.floor(base / 1000) - 10_000}ms`, to: `${Math.floor(base / 1000) + 60_000}ms` };
  stack = await startStack({ out: OUT });
  const packets = [];
  [[SHARED_CALL, '203.0.113.80', '198.51.100.20'], [OTHER_CALL, '203.0.113.81', '198.51.100.21']].forEach(
    ([callId, a, b], c) => callMessages(callId, a, b).forEach((m, i) => packets.push(buildHep3({
      srcIp: m.src, dstIp: m.dst, srcPort: 5060, dstPort: 5060, timeUs: base + c * 5e6 + i * 100_000,
      captureId: 7900, payload: Buffer.from(m.text, 'latin1'),
    }))));
  await sendHep(stack, packets);
  token = await adminToken(stack);
  await waitFor('both calls to be stored', async () => {
    const response = await api(`calls?from=${range.from}&to=${range.to}`);
    return response.status === 200 && (await response.json()).items.length >= 2;
  }, { timeoutMs: 60_000, intervalMs: 300 });
});

after(async () => {
  if (stack) await stopStack(stack);
});

test('a link made from the flow page opens that call without a login, and nothing else; revoked, it stops', async () => {
  const admin = await launchChromium();
  const guest = await launchChromium();
  const errors = [];
  try {
    // The admin makes the link from the call's flow page.
    const page = admin.context.pages()[0] || await admin.context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${stack.baseUrl}/`);
    await page.waitForSelector('#login-form:visible');
    await page.fill('#login-username', 'admin');
    await page.fill('#login-password', stack.adminPassword);
    await page.click('#login-button');
    await page.waitForSelector('#search-form:visible');
    await page.goto(`${stack.baseUrl}/#/flow?call_id=${encodeURIComponent(SHARED_CALL)}&from=${range.from}&to=${range.to}`);
    await page.waitForSelector('[data-testid="ladder-arrow"]');
    await page.click('#flow-share');
    await page.waitForSelector('[data-testid="share-box"]:visible');
    await page.selectOption('#share-expiry', '3600');
    await page.fill('#share-note', 'for the carrier');
    await page.click('#share-create');
    await page.waitForSelector('[data-testid="share-url"]');
    const url = await page.inputValue('[data-testid="share-url"]');
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/#\/share\?t=svl_\d+_/);
    await page.screenshot({ path: path.join(SHOTS, 'share-create.png'), fullPage: true });

    // A browser with no session opens it: the call's ladder and a message's raw SIP.
    const gpage = guest.context.pages()[0] || await guest.context.newPage();
    gpage.on('pageerror', (error) => errors.push(error.message));
    const requests = [];
    gpage.on('request', (request) => {
      if (request.url().includes('/api/')) requests.push(new URL(request.url()).pathname);
    });
    await gpage.goto(url);
    await gpage.waitForSelector('[data-testid="shared-view"] [data-testid="ladder-arrow"]');
    assert.equal(await gpage.locator('[data-testid="shared-view"] [data-testid="ladder-arrow"]').count(), 5);
    assert.match(await gpage.textContent('#shared-title'), new RegExp(SHARED_CALL.replace(/[.]/g, '\\.')));
    assert.match(await gpage.textContent('[data-testid="shared-summary"]'), /5 messages/);
    assert.equal(await gpage.isVisible('#nav'), false, 'no app navigation without a login');
    assert.equal(await gpage.isVisible('#shared-pcap'), true, 'the call can be downloaded');
    await gpage.click('[data-testid="shared-view"] [data-testid="ladder-arrow"] >> nth=0');
    await gpage.waitForSelector('[data-testid="shared-detail"] pre.sip');
    assert.ok((await gpage.textContent('[data-testid="shared-detail"] pre.sip')).includes(`INVITE sip:bob@198.51.100.20`));
    assert.equal(await gpage.locator('[data-testid="shared-detail"] a[href^="#/flow"]').count(), 0, 'no link into the app');
    const download = gpage.waitForEvent('download');
    await gpage.click('#shared-pcap');
    assert.match((await download).suggestedFilename(), /\.pcap$/);
    await gpage.screenshot({ path: path.join(SHOTS, 'share-open.png'), fullPage: true });
    assert.ok(requests.every((p) => p.startsWith('/api/v1/shared/')), `only shared endpoints: ${requests}`);
    assert.ok(!(await gpage.content()).includes(OTHER_CALL), 'the other call is nowhere');

    // Nothing else: the app itself sends the guest to the login page.
    await gpage.goto(`${stack.baseUrl}/#/search?from=${range.from}&to=${range.to}`);
    await gpage.waitForSelector('#login-form:visible');

    // The admin sees it under Shares and revokes it.
    await page.click('#nav a[data-route="shares"]');
    await page.waitForSelector('[data-testid="share-row"]');
    const row = page.locator('[data-testid="share-row"]', { hasText: 'for the carrier' });
    assert.equal(await row.count(), 1);
    assert.match(await row.textContent(), /shared-call@203\.0\.113\.80/);
    assert.match(await row.textContent(), /admin/);
    await page.screenshot({ path: path.join(SHOTS, 'share-list.png'), fullPage: true });
    await row.locator('[data-testid="share-revoke"]').click();
    await waitFor('the row to go', async () => (await page.locator('[data-testid="share-row"]', { hasText: 'for the carrier' }).count()) === 0);

    await gpage.goto(url);
    await gpage.waitForSelector('[data-testid="shared-empty"]:visible');
    assert.match(await gpage.textContent('[data-testid="shared-empty"]'), /revoked/);
    assert.equal(await gpage.locator('[data-testid="ladder-arrow"]').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await admin.close();
    await guest.close();
  }
});
