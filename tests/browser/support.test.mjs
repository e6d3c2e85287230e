// Browser tests of what a support engineer tripped over (issue 12, "Broken" 1-5), against the real
// stack (private MariaDB fixture, sipvault-collector/-parser/-writer/-api from the build tree) in
// Debian's Chromium:
//
//   ctest --test-dir build/dev -R browser-support --output-on-failure
//
// The data is a realistic failed call through a proxy: leg A (UA -> proxy) gets 100 and 486, the
// proxy's leg B (proxy -> UAS, X-CID: <A>) gets 100 and 486, both ACKed: 8 messages, 2 legs. A 404
// call starts after A but fails before it, so a list by first failure differs from a list by first
// message. Times are a few minutes ago, inside the UI's default "last hour".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from './lib/browser.mjs';
import { readUdpPayloads } from './lib/pcap.mjs';
import { loadSip, requireEnv, startStack, stopStack } from './lib/stack.mjs';
import { getJson, loginPage } from './lib/session.mjs';

const OUT = path.join(requireEnv('SIPVAULT_BROWSER_OUT'), 'support');
const SHOTS = path.join(OUT, 'screenshots');
const DOWNLOADS = path.join(OUT, 'downloads');

const UA = { ip: '192.0.2.10', port: 5060 };
const PROXY_IN = { ip: '192.0.2.20', port: 5060 };
const PROXY_OUT = { ip: '192.0.2.20', port: 5062 };
const UAS = { ip: '192.0.2.30', port: 5060 };
const LEG_A = `a-leg-${process.pid}@192.0.2.10`;
const LEG_B = `b-leg-${process.pid}@192.0.2.20`;
const CALL_404 = `c404-${process.pid}@192.0.2.10`;
// Not UTF-8 (bytes FF FE, sent as latin1): only the api's call_ref finds it.
const CALL_BYTES = `bytes-\xff\xfe-${process.pid}@192.0.2.10`;

function sip(startLine, { callId, cseq, method, fromTag, toTag = '', extra = [], viaHost, a = '4930111', b = '4930222' }) {
  return [
    startLine,
    `Via: SIP/2.0/UDP ${viaHost};branch=z9hG4bK-${callId.slice(0, 6)}-${cseq}-${method}`,
    'Max-Forwards: 70',
    `From: "Alice" <sip:${a}@192.0.2.10>;tag=${fromTag}`,
    `To: <sip:${b}@192.0.2.30>${toTag ? `;tag=${toTag}` : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    ...extra,
    'User-Agent: issue12-test',
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
}

// One call's messages [offset ms, from, to, text] for a leg that fails with `status reason`.
// Numbers a -> b (another pair than A's makes a call that is no inferred leg of A).
function failedLeg({ callId, caller, callee, t0, status, reason, extra = [], finalExtra = [], trying = true, a, b }) {
  const base = { callId, cseq: 1, method: 'INVITE', fromTag: `f${callId.slice(0, 4)}`, viaHost: `${caller.ip}:${caller.port}`, a, b };
  const msgs = [[0, caller, callee, sip('INVITE sip:4930222@192.0.2.30 SIP/2.0', { ...base, extra })]];
  if (trying) msgs.push([t0.trying, callee, caller, sip('SIP/2.0 100 Trying', base)]);
  msgs.push([t0.final, callee, caller, sip(`SIP/2.0 ${status} ${reason}`, { ...base, toTag: 'u1', extra: finalExtra })]);
  msgs.push([t0.final + 5, caller, callee, sip('ACK sip:4930222@192.0.2.30 SIP/2.0', { ...base, method: 'ACK', toTag: 'u1' })]);
  return msgs.map(([offset, from, to, text]) => ({ offset: t0.start + offset, from, to, text, callId }));
}

let stack;
let chromium;
let page;
let token;
let baseMs;
const apiRequests = [];

const apiJson = (route, bearer = token) => getJson(stack, bearer, route);
const login = (p = page) => loginPage(p, stack);

before(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  mkdirSync(DOWNLOADS, { recursive: true });
  baseMs = Date.now() - 5 * 60e3;
  const messages = [
    ...failedLeg({
      callId: LEG_A, caller: UA, callee: PROXY_IN, t0: { start: 0, trying: 2, final: 2000 }, status: 486, reason: 'Busy Here',
      finalExtra: ['Reason: Q.850;cause=17;text="User busy"'],
    }),
    ...failedLeg({
      callId: LEG_B, caller: PROXY_OUT, callee: UAS, t0: { start: 5, trying: 3, final: 1985 }, status: 486, reason: 'Busy Here',
      extra: [`X-CID: ${LEG_A}`],
    }),
    ...failedLeg({ callId: CALL_404, caller: UA, callee: PROXY_IN, t0: { start: 1000, trying: 2, final: 100 }, status: 404, reason: 'Not Found', trying: false, a: '4930333', b: '4930444' }),
    ...failedLeg({ callId: CALL_BYTES, caller: UA, callee: PROXY_IN, t0: { start: 3000, trying: 2, final: 100 }, status: 603, reason: 'Decline', trying: false, a: '4960555', b: '4960666' }),
  ];
  assert.equal(messages.filter((m) => m.callId === LEG_A || m.callId === LEG_B).length, 8);
  stack = await startStack({ out: OUT });
  token = await loadSip(stack, messages.map((m) => ({ ...m, timeUs: (baseMs + m.offset) * 1000 })));

  chromium = await launchChromium();
  page = chromium.context.pages()[0] || await chromium.context.newPage();
  page.on('request', (request) => {
    if (request.url().includes('/api/v1/')) apiRequests.push(request.url());
  });
  await login();
});

after(async () => {
  if (chromium) await chromium.close();
  if (stack) await stopStack(stack);
  rmSync(DOWNLOADS, { recursive: true, force: true });
});

async function openFlowOfLegA() {
  await page.goto(`${stack.baseUrl}/#/search?from_user=4930111&range=1h&view=messages`);
  await page.waitForSelector('tr.msg');
  const group = page.locator('tbody.call-group', { has: page.locator('.group-head .call-id', { hasText: LEG_A }) });
  await group.locator('a.flow-link').click();
  await page.waitForSelector('svg.ladder-svg g.arrow');
}

test('the flow page downloads every linked leg as pcap and txt (Broken 1)', async () => {
  await openFlowOfLegA();
  assert.match(await page.textContent('#flow-summary'), /^8 messages · 2 legs/);
  assert.equal(await page.locator('svg.ladder-svg g.arrow').count(), 8);

  const [pcap] = await Promise.all([page.waitForEvent('download'), page.click('#flow-pcap')]);
  const pcapFile = path.join(DOWNLOADS, 'call.pcap');
  await pcap.saveAs(pcapFile);
  const frames = readUdpPayloads(pcapFile).map((f) => f.payload.toString('latin1'));
  assert.equal(frames.length, 8, 'a frame per message of both legs');
  assert.equal(frames.filter((f) => f.includes(`Call-ID: ${LEG_A}\r\n`)).length, 4);
  assert.equal(frames.filter((f) => f.includes(`Call-ID: ${LEG_B}\r\n`)).length, 4);

  const [txt] = await Promise.all([page.waitForEvent('download'), page.click('#flow-txt')]);
  const txtFile = path.join(DOWNLOADS, 'call.txt');
  await txt.saveAs(txtFile);
  const trace = readFileSync(txtFile, 'latin1');
  assert.equal(trace.split(`Call-ID: ${LEG_A}\n`).length - 1, 4);
  assert.equal(trace.split(`Call-ID: ${LEG_B}\n`).length - 1, 4);
  await page.screenshot({ path: path.join(SHOTS, '01-flow-two-legs.png') });
});

test('"Messages" fills the Call-ID field, shows date-times and lists both legs (Broken 1, 2)', async () => {
  await openFlowOfLegA();
  await page.click('#flow-search');
  await page.waitForSelector('tr.msg');
  const hash = decodeURIComponent(new URL(page.url()).hash);
  assert.ok(!hash.includes('call_ref'), `no hidden filter in ${hash}`);
  assert.equal(await page.inputValue('#f-call_id'), LEG_A, 'the Call-ID field shows what is searched');
  assert.equal(await page.inputValue('#f-legs'), 'linked', 'the linked legs are a visible choice');
  for (const field of ['#f-from', '#f-to']) {
    const value = await page.inputValue(field);
    assert.match(value, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, `${field} is a date-time, not epoch ms: ${value}`);
  }
  assert.equal(await page.locator('tr.msg').count(), 8, 'the messages of both legs');
  assert.equal(await page.locator('tbody.call-group').count(), 2);
  assert.match(await page.textContent('#results-summary'), /^8 messages in 2 calls/);
  await page.screenshot({ path: path.join(SHOTS, '02-messages-of-both-legs.png') });
});

test('"Messages" of a call only call_ref can name shows it as a visible, removable chip (Broken 2)', async () => {
  await page.goto(`${stack.baseUrl}/#/search?from_user=4960555&range=1h&view=messages`);
  await page.waitForSelector('tr.msg');
  await page.click('tbody.call-group a.flow-link');
  await page.waitForSelector('svg.ladder-svg g.arrow');
  await page.click('#flow-search');
  await page.waitForSelector('tr.msg');
  assert.match(decodeURIComponent(new URL(page.url()).hash), /call_ref=/, 'the exact call, by call_ref');
  assert.equal(await page.isVisible('[data-testid="call-ref-chip"]'), true, 'the call_ref filter is shown');
  const shown = await page.textContent('#call-ref-text');
  assert.ok(shown.startsWith('bytes-') && shown.includes('\ufffd') && shown.endsWith('@192.0.2.10'), shown);
  assert.equal(await page.locator('tr.msg').count(), 3);
  // Removing it and searching again drops the filter.
  await page.click('[data-testid="call-ref-chip"] button');
  await page.fill('#f-from_user', '4960555');
  await page.selectOption('#f-legs', '');
  await page.click('#search-button');
  await page.waitForFunction(() => !location.hash.includes('call_ref'));
  assert.equal(await page.isVisible('[data-testid="call-ref-chip"]'), false);
});

test('export buttons only with results; an unknown Call-ID has no ladder and no downloads (Broken 4)', async () => {
  await page.goto(`${stack.baseUrl}/#/search?from_user=nobody-here&range=1h&view=messages`);
  await page.waitForFunction(() => /No messages match/.test(document.querySelector('#results').textContent));
  assert.equal(await page.isVisible('#export-pcap'), false, 'no pcap download of nothing');
  assert.equal(await page.isVisible('#export-txt'), false);
  await page.goto(`${stack.baseUrl}/#/search?from_user=4930111&range=1h&view=messages`);
  await page.waitForSelector('tr.msg');
  assert.equal(await page.isVisible('#export-pcap'), true, 'download offered with results');

  await page.goto(`${stack.baseUrl}/#/flow?call_id=no-such-call-${process.pid}`);
  await page.waitForSelector('[data-testid="flow-empty"]:visible');
  assert.match(await page.textContent('[data-testid="flow-empty"]'), /no messages for this Call-ID/i);
  assert.equal(await page.isVisible('#ladder'), false, 'no empty ladder frame');
  assert.equal(await page.isVisible('#flow-pcap'), false, 'no pcap download');
  assert.equal(await page.isVisible('#flow-txt'), false, 'no txt download');
  assert.equal(await page.isVisible('#banner'), false, 'a state, not an error banner');
  await page.screenshot({ path: path.join(SHOTS, '03-unknown-call.png') });
  // A known call afterwards gets its frame and buttons back.
  await openFlowOfLegA();
  assert.equal(await page.isVisible('#flow-pcap'), true);
  assert.equal(await page.isVisible('[data-testid="flow-empty"]'), false);
});

test('with status=4xx the Calls list is in the order of its "First (UTC)" column (Broken 5)', async () => {
  await page.goto(`${stack.baseUrl}/#/search?status=4xx&range=1h&view=calls`);  // CALL_BYTES got a 603
  await page.waitForSelector('tr.call-row');
  const rows = await page.$$eval('tr.call-row', (trs) => trs.map((tr) => ({
    first: tr.cells[1].textContent, callId: tr.querySelector('td.call-id').textContent,
  })));
  assert.deepEqual(rows.map((r) => r.callId), [LEG_A, LEG_B, CALL_404]);
  const firsts = rows.map((r) => r.first);
  assert.deepEqual(firsts, [...firsts].sort(), `ordered by First (UTC): ${firsts.join(', ')}`);
});

test('calls are the default view and filter by their final status (Missing 2)', async () => {
  await page.goto(`${stack.baseUrl}/#/search?from_user=4930*&range=1h`);
  await page.waitForSelector('tr.call-row');
  assert.equal(await page.getAttribute('[data-view="calls"]', 'aria-selected'), 'true', 'calls by default');
  await page.evaluate(() => { document.querySelector('#advanced').open = true; });
  await page.fill('#f-final_status', '486');
  await page.click('#search-button');
  await page.waitForFunction(() => location.hash.includes('final_status=486'));
  await page.waitForFunction(() => document.querySelectorAll('tr.call-row').length === 2);
  const finals = await page.$$eval('tr.call-row', (trs) => trs.map((tr) => [
    tr.querySelector('td.call-id').textContent, tr.querySelector('[data-testid="call-final"]').textContent]));
  assert.deepEqual(finals, [[LEG_A, '486 Busy Here'], [LEG_B, '486 Busy Here']]);
  assert.equal(await page.isDisabled('[data-view="messages"]'), true, 'no messages view of a final status');
  // A class, from a link: the 404 call too, not the call that ended with a 603.
  await page.goto(`${stack.baseUrl}/#/search?final_status=4xx&range=1h`);
  await page.waitForFunction(() => document.querySelectorAll('tr.call-row').length === 3);
  const ids = await page.$$eval('tr.call-row td.call-id', (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(ids, [LEG_A, LEG_B, CALL_404]);
  await page.goto(`${stack.baseUrl}/#/search?final_status=4x&range=1h`);
  await page.waitForSelector('#f-final_status.invalid');
});

test('responses are named with their reason phrase, calls with their outcome and Q.850 cause (Missing 1)', async () => {
  await openFlowOfLegA();
  const labels = await page.$$eval('svg.ladder-svg g.arrow .arrow-label', (l) => l.map((x) => x.textContent));
  assert.deepEqual([...new Set(labels)].sort(), ['100 Trying', '486 Busy Here', 'ACK', 'INVITE']);
  await page.goto(`${stack.baseUrl}/#/search?from_user=4930*&range=1h&view=calls`);
  await page.waitForSelector('tr.call-row');
  const calls = await page.$$eval('tr.call-row', (trs) => trs.map((tr) => ({
    callId: tr.querySelector('td.call-id').textContent,
    final: tr.querySelector('[data-testid="call-final"]').textContent,
    state: tr.querySelector('[data-testid="call-state"]').textContent,
  })));
  const byId = new Map(calls.map((c) => [c.callId, c]));
  assert.deepEqual(byId.get(LEG_A), { callId: LEG_A, final: '486 Busy Here', state: 'busy · Q.850 17 User busy' });
  assert.deepEqual(byId.get(LEG_B), { callId: LEG_B, final: '486 Busy Here', state: 'busy' });
  assert.deepEqual(byId.get(CALL_404), { callId: CALL_404, final: '404 Not Found', state: 'failed' });
  const headers = await page.$$eval('table.calls th', (th) => th.map((x) => x.textContent));
  assert.ok(headers.includes('State'));
  await page.screenshot({ path: path.join(SHOTS, '05-calls-state.png') });
  // The message table and the detail too.
  await page.goto(`${stack.baseUrl}/#/search?call_id=${encodeURIComponent(CALL_404)}&range=1h&view=messages`);
  await page.waitForSelector('tr.msg');
  const cells = await page.$$eval('tr.msg td.label', (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(cells, ['INVITE', '404 Not Found', 'ACK']);
  await page.click('tr.msg >> nth=1');
  await page.waitForSelector('#detail pre.sip');
  assert.match(await page.textContent('#detail h2'), /^404 Not Found · /);
});

test('the UI never sends a bare epoch number as a time (REST friction)', async () => {
  const times = apiRequests.flatMap((url) => {
    const params = new URL(url).searchParams;
    return ['from', 'to'].map((name) => params.get(name)).filter((v) => v !== null);
  });
  assert.ok(times.length > 5, 'the searches above sent times');
  for (const value of times) assert.doesNotMatch(value, /^\d+$/, `a bare number was sent: ${value}`);
});

test('a session ended elsewhere shows "Your session has ended", not the raw API text (Broken 3)', async () => {
  await page.goto(`${stack.baseUrl}/#/search?from_user=4930111&range=1h&view=messages`);
  await page.waitForSelector('tr.msg');
  // The same session logged out from another place (another tab, a script with the token).
  const tabToken = await page.evaluate(() => sessionStorage.getItem('sipvault.token'));
  const logout = await fetch(`${stack.baseUrl}/api/v1/logout`, { method: 'POST', headers: { Authorization: `Bearer ${tabToken}` } });
  assert.equal(logout.status, 200);
  await page.click('#search-button');
  await page.waitForSelector('#login-form:visible');
  await page.waitForSelector('#banner:visible');
  const text = await page.textContent('[data-testid="banner-text"]');
  assert.match(text, /Your session has ended/);
  assert.doesNotMatch(text, /bearer token/i);
  await page.screenshot({ path: path.join(SHOTS, '04-session-ended.png') });
});
