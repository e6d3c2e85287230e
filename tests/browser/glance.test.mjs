// Browser tests of issue 12 "Missing" 3, 4, 5 and 8 against the real stack (private MariaDB
// fixture, sipvault-collector/-parser/-writer/-api from the build tree) in Debian's Chromium:
//
//   ctest --test-dir build/dev -R browser-glance --output-on-failure
//
// Data, a few minutes ago (inside the UI's default "last hour"):
// - an answered call UA -> proxy: INVITE with SDP offer, 407 challenge, ACK, INVITE again (SDP),
//   100, 180, 200 OK with the SDP answer, ACK, BYE, 200; its Call-ID holds "/" and "<>" (file names);
//   the offer's rtpmap names a codec with markup (must stay text);
// - a call that fails with 503 (error colour on the ladder);
// - 6 more short calls (404), so the calls list can say "more than 5".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from './lib/browser.mjs';
import { loadSip, requireEnv, startStack, stopStack } from './lib/stack.mjs';
import { getJson, loginPage } from './lib/session.mjs';

const OUT = path.join(requireEnv('SIPVAULT_BROWSER_OUT'), 'glance');
const SHOTS = path.join(OUT, 'screenshots');

const UA = { ip: '192.0.2.10', port: 5060 };
const PROXY = { ip: '192.0.2.20', port: 5060 };
const ANSWERED = `ans/${process.pid}<x>@192.0.2.10`;
const FAILED = `fail-${process.pid}@192.0.2.10`;
const HOSTILE_CODEC = '<img src=x onerror="window.__pwned=1">';

function sdp(ip, port, codecs, extra = []) {
  return [
    'v=0', `o=- 1 1 IN IP4 ${ip}`, 's=-', `c=IN IP4 ${ip}`, 't=0 0',
    `m=audio ${port} RTP/AVP ${codecs.map((c) => c[0]).join(' ')}`,
    ...codecs.filter((c) => c[1]).map(([pt, name]) => `a=rtpmap:${pt} ${name}/8000`),
    ...extra, '',
  ].join('\r\n');
}

function sip(startLine, { callId, cseq, method, toTag = '', body = '', a = '4930111', b = '4930222' }) {
  return [
    startLine,
    `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-${cseq}-${method}-${callId.length}`,
    'Max-Forwards: 70',
    `From: <sip:${a}@192.0.2.10>;tag=f1`,
    `To: <sip:${b}@192.0.2.30>${toTag ? `;tag=${toTag}` : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    'User-Agent: glance-test',
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${Buffer.byteLength(body)}`,
    '', body,
  ].join('\r\n');
}

const OFFER = sdp('192.0.2.10', 40000, [['0', 'PCMU'], ['8', 'PCMA'], ['101', HOSTILE_CODEC]]);
const ANSWER = sdp('192.0.2.30', 50000, [['8', 'PCMA'], ['101', 'telephone-event']], ['a=sendrecv']);

function answeredCall() {
  const c = { callId: ANSWERED };
  const inv = (cseq) => `INVITE sip:4930222@192.0.2.30 SIP/2.0`;
  return [
    [0, UA, PROXY, sip(inv(1), { ...c, cseq: 1, method: 'INVITE', body: OFFER })],
    [5, PROXY, UA, sip('SIP/2.0 407 Proxy Authentication Required', { ...c, cseq: 1, method: 'INVITE', toTag: 'p1' })],
    [8, UA, PROXY, sip('ACK sip:4930222@192.0.2.30 SIP/2.0', { ...c, cseq: 1, method: 'ACK', toTag: 'p1' })],
    [20, UA, PROXY, sip(inv(2), { ...c, cseq: 2, method: 'INVITE', body: OFFER })],
    [22, PROXY, UA, sip('SIP/2.0 100 Trying', { ...c, cseq: 2, method: 'INVITE' })],
    [300, PROXY, UA, sip('SIP/2.0 180 Ringing', { ...c, cseq: 2, method: 'INVITE', toTag: 'u1' })],
    [2000, PROXY, UA, sip('SIP/2.0 200 OK', { ...c, cseq: 2, method: 'INVITE', toTag: 'u1', body: ANSWER })],
    [2010, UA, PROXY, sip('ACK sip:4930222@192.0.2.30 SIP/2.0', { ...c, cseq: 2, method: 'ACK', toTag: 'u1' })],
    [9000, UA, PROXY, sip('BYE sip:4930222@192.0.2.30 SIP/2.0', { ...c, cseq: 3, method: 'BYE', toTag: 'u1' })],
    [9010, PROXY, UA, sip('SIP/2.0 200 OK', { ...c, cseq: 3, method: 'BYE', toTag: 'u1' })],
  ];
}

function failedCall(callId, status, reason, a = '4930333') {
  const c = { callId, a };
  return [
    [0, UA, PROXY, sip('INVITE sip:4930222@192.0.2.30 SIP/2.0', { ...c, cseq: 1, method: 'INVITE', body: OFFER })],
    [50, PROXY, UA, sip(`SIP/2.0 ${status} ${reason}`, { ...c, cseq: 1, method: 'INVITE', toTag: 'e1' })],
    [55, UA, PROXY, sip('ACK sip:4930222@192.0.2.30 SIP/2.0', { ...c, cseq: 1, method: 'ACK', toTag: 'e1' })],
  ];
}

let stack;
let chromium;
let page;
let token;
let baseMs;
const apiRequests = [];

const apiJson = (route) => getJson(stack, token, route);
const login = (p = page) => loginPage(p, stack);

before(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  baseMs = Date.now() - 6 * 60e3;
  const messages = [];
  const add = (offsetMs, msgs) => {
    for (const [t, from, to, text] of msgs) messages.push({ t: offsetMs + t, from, to, text });
  };
  add(0, answeredCall());
  add(20_000, failedCall(FAILED, 503, 'Service Unavailable'));
  for (let i = 0; i < 6; i++) add(30_000 + i * 1000, failedCall(`nf-${i}-${process.pid}@192.0.2.10`, 404, 'Not Found', '4930444'));
  stack = await startStack({ out: OUT });
  token = await loadSip(stack, messages.map((m) => ({ ...m, timeUs: (baseMs + m.t) * 1000 })));

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
});

async function openAnsweredFlow() {
  await page.goto(`${stack.baseUrl}/#/search?from_user=4930111&range=1h`);
  await page.waitForSelector('tr.call-row');
  await page.click('tr.call-row a.flow-link');
  await page.waitForSelector('svg.ladder-svg g.arrow');
}

test('times show in UTC, the browser zone or a chosen IANA zone, remembered; typed and picked times are read in it (Missing 3)', async () => {
  const { items } = await apiJson('calls?from_user=4930111');
  const firstUs = items[0].first_time_us;
  const tokyo = (us) => new Date(Math.floor(us / 1000) + 9 * 3600e3).toISOString().slice(0, 19).replace('T', ' ');
  await page.goto(`${stack.baseUrl}/#/search?from_user=4930111&range=1h`);
  await page.waitForSelector('tr.call-row');
  assert.equal(await page.textContent('table.calls th >> nth=1'), 'First (UTC)', 'UTC by default');
  assert.equal((await page.textContent('tr.call-row td >> nth=1')).slice(0, 19),
    new Date(Math.floor(firstUs / 1000)).toISOString().slice(0, 19).replace('T', ' '));

  // Asia/Tokyo: +09:00 all year (no DST), so the expected wall clock is plain arithmetic.
  await page.selectOption('#tz-select', 'Asia/Tokyo');
  await page.waitForFunction(() => document.querySelector('table.calls th:nth-child(2)')?.textContent === 'First (Asia/Tokyo)');
  assert.equal((await page.textContent('tr.call-row td >> nth=1')).slice(0, 19), tokyo(firstUs));
  assert.equal(await page.textContent('label[for="f-from"] > span'), 'From (Asia/Tokyo)');
  await page.reload();
  await page.waitForSelector('tr.call-row');
  assert.equal(await page.inputValue('#tz-select'), 'Asia/Tokyo', 'the choice is remembered');
  assert.equal((await page.textContent('tr.call-row td >> nth=1')).slice(0, 19), tokyo(firstUs));

  // The picker fills the text field in the zone and switches the range to custom; the link and the
  // api get the instant in UTC.
  const fromWall = tokyo(firstUs - 60e6).slice(0, 16);           // a minute before, in Tokyo
  await page.fill('[data-testid="f-from-picker"]', fromWall.replace(' ', 'T'));
  assert.equal(await page.inputValue('#f-range'), 'custom');
  assert.equal(await page.inputValue('#f-from'), `${fromWall}:00`);
  await page.fill('#f-to', new Date(Math.floor(firstUs / 1000) + 3600e3).toISOString().slice(0, 16).replace(/$/, 'Z'));  // ...T05:00Z form
  apiRequests.length = 0;
  await page.click('#search-button');
  await page.waitForSelector('tr.call-row');
  const fromUtc = new Date(Date.parse(`${fromWall.replace(' ', 'T')}:00+09:00`)).toISOString().replace('.000Z', 'Z');
  assert.equal(new URLSearchParams(page.url().split('?')[1]).get('from'), fromUtc, 'the link holds the UTC instant');
  const sent = apiRequests.map((u) => new URL(u)).find((u) => u.pathname.endsWith('/calls'));
  assert.equal(Date.parse(sent.searchParams.get('from')), Date.parse(fromUtc), 'the api gets the instant typed in the zone');
  assert.equal(await page.inputValue('#f-from'), `${fromWall}:00`, 'the form shows it back in the zone');

  // ISO with an offset and no seconds, typed: the same instant (UI and API accept the same forms).
  const offsetText = new Date(Math.floor(firstUs / 1000) - 120e3 + 3600e3).toISOString().slice(0, 16) + '+01:00';
  await page.fill('#f-from', offsetText);
  await page.click('#search-button');
  await page.waitForFunction((t) => new URLSearchParams(location.hash.split('?')[1]).get('from') !== t, fromUtc);
  const fromLink = new URLSearchParams(page.url().split('?')[1]).get('from');
  assert.equal(Date.parse(fromLink), Date.parse(offsetText.replace('+01:00', ':00+01:00')));
  const api = await fetch(`${stack.baseUrl}/api/v1/calls?from=${encodeURIComponent(offsetText)}&from_user=4930111`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(api.status, 200, 'the api takes the same form');

  // The dashboard reads and shows its range in the zone too, with the same picker.
  await page.goto(`${stack.baseUrl}/#/dashboard?range=1h`);
  await page.waitForSelector('#dashboard-out .chart, #dashboard-out .hint');
  assert.equal(await page.textContent('label[for="d-from"] > span'), 'From (Asia/Tokyo)');
  assert.equal(await page.locator('[data-testid="d-from-picker"]').count(), 1);
  await page.screenshot({ path: path.join(SHOTS, '01-dashboard-tokyo.png') });

  // The ladder and the detail use the zone too; then back to UTC for the other tests.
  await openAnsweredFlow();
  assert.match(await page.textContent('#flow-summary'), /Asia\/Tokyo/);
  await page.screenshot({ path: path.join(SHOTS, '01-flow-tokyo.png') });
  await page.selectOption('#tz-select', 'local');
  assert.equal(await page.evaluate(() => localStorage.getItem('sipvault.timezone')), 'local');
  await page.selectOption('#tz-select', 'UTC');
});

test('the ladder marks SDP (address, codecs, direction) and colours error responses; the detail lists the SDP (Missing 4)', async () => {
  await openAnsweredFlow();
  await page.waitForFunction(() => document.querySelectorAll('g.arrow.has-sdp').length === 3);
  const arrows = await page.$$eval('svg.ladder-svg g.arrow', (gs) => gs.map((g) => ({
    label: g.querySelector('.arrow-label').textContent,
    sdp: g.querySelector('[data-testid="ladder-sdp"]')?.textContent || '',
    cls: g.getAttribute('class'),
  })));
  const invites = arrows.filter((a) => a.label === 'INVITE');
  assert.equal(invites.length, 2);
  for (const a of invites) assert.match(a.sdp, /^192\.0\.2\.10:40000 PCMU,PCMA,/);
  const ok = arrows.find((a) => a.label === '200 OK' && a.sdp);
  assert.equal(ok.sdp, '192.0.2.30:50000 PCMA,telephone-event');
  assert.equal(arrows.filter((a) => a.sdp).length, 3, 'only the offers and the answer');
  const challenge = arrows.find((a) => a.label.startsWith('407'));
  assert.match(challenge.cls, /sip-challenge/);
  assert.doesNotMatch(challenge.cls, /sip-error/, 'a 407 is a challenge, not a failure');
  await page.screenshot({ path: path.join(SHOTS, '02-ladder-sdp.png') });

  // The detail of the offer: a row per m= line; the codec with markup stays text.
  await page.click('svg.ladder-svg g.arrow >> nth=0');
  await page.waitForSelector('#flow-detail [data-testid="sdp-summary"]');
  const rows = await page.$$eval('#flow-detail [data-testid="sdp-summary"] tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.deepEqual(rows, [['audio', '192.0.2.10:40000', `PCMU PCMA ${HOSTILE_CODEC}`, 'sendrecv']]);
  assert.equal(await page.locator('#flow-detail img, svg.ladder-svg img').count(), 0, 'no element from SIP text');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  // The 503 call: its label red on a pill.
  await page.goto(`${stack.baseUrl}/#/search?call_id=${encodeURIComponent(FAILED)}&range=1h`);
  await page.waitForSelector('tr.call-row');
  await page.click('tr.call-row a.flow-link');
  await page.waitForSelector('svg.ladder-svg g.arrow.sip-error');
  const error = page.locator('svg.ladder-svg g.arrow.sip-error');
  assert.equal(await error.locator('.arrow-label').textContent(), '503 Service Unavailable');
  assert.equal(await error.locator('rect.error-pill').count(), 1);
  assert.equal(await error.locator('.arrow-label').evaluate((t) => getComputedStyle(t).fill), 'rgb(180, 35, 24)');
  assert.notEqual(await page.locator('svg.ladder-svg g.arrow.request .arrow-label >> nth=0').evaluate((t) => getComputedStyle(t).fill), 'rgb(180, 35, 24)');
  await page.screenshot({ path: path.join(SHOTS, '03-ladder-error.png') });
});

test('a link opened in a new tab stays logged in; logging out in one tab ends every tab (Missing 5)', async () => {
  await page.goto(`${stack.baseUrl}/#/search?from_user=4930111&range=1h`);
  await page.waitForSelector('tr.call-row');
  const tab = await chromium.context.newPage();
  try {
    await tab.goto(`${stack.baseUrl}/#/search?from_user=4930333&range=1h`);
    await tab.waitForSelector('tr.call-row', { timeout: 10_000 });
    assert.equal(await tab.isVisible('#login-form'), false, 'no second login');
    assert.equal(await tab.textContent('#session-user'), 'admin (admin)');
    // The token stays out of storage that outlives the tabs.
    const persisted = await tab.evaluate(() => Object.keys(localStorage).map((k) => localStorage.getItem(k)).join(' '));
    assert.doesNotMatch(persisted, /svs_/, 'no session token in localStorage');

    await tab.click('#logout');
    await tab.waitForSelector('#login-form:visible');
    await page.waitForSelector('#login-form:visible', { timeout: 5_000 });
    assert.match(await page.textContent('[data-testid="banner-text"]'), /logged out in another tab/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('sipvault.token')), null);
    // A new tab now asks for a login, and logging in there lets the waiting tab in too.
    const third = await chromium.context.newPage();
    await third.goto(`${stack.baseUrl}/#/search?from_user=4930111&range=1h`);
    await third.waitForSelector('#login-form:visible');
    await third.close();
    await login(tab);
    await page.waitForSelector('#search-form:visible', { timeout: 5_000 });
  } finally {
    await tab.close();
  }
});

test('result counts say "more than N"; arrow keys and "/" move around; downloads carry the Call-ID (Missing 8)', async () => {
  await page.goto(`${stack.baseUrl}/#/search?range=1h&limit=5`);
  await page.waitForSelector('tr.call-row');
  assert.equal(await page.textContent('#results-summary'), '5 of more than 5 calls');
  await page.click('#load-more');
  await page.waitForFunction(() => document.querySelectorAll('tr.call-row').length === 8);
  assert.equal(await page.textContent('#results-summary'), '8 calls', 'all of them: an exact total');

  // Arrow keys between rows; in the messages view the open detail follows.
  await page.goto(`${stack.baseUrl}/#/search?from_user=4930111&range=1h&view=messages`);
  await page.waitForSelector('tr.msg');
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => document.activeElement.matches('tr.msg') && document.activeElement === document.querySelectorAll('tr.msg')[0]), true);
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => /^INVITE · /.test(document.querySelector('#detail h2')?.textContent || ''));
  await page.locator('tr.msg >> nth=0').focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => /^407 Proxy Authentication Required · /.test(document.querySelector('#detail h2')?.textContent || ''));
  assert.equal(await page.evaluate(() => document.activeElement === document.querySelectorAll('tr.msg')[1]), true);
  await page.keyboard.press('ArrowUp');
  await page.waitForFunction(() => /^INVITE · /.test(document.querySelector('#detail h2')?.textContent || ''));

  // No column cut at 1280 px with the detail open (messages) or in the calls list.
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.waitForTimeout(200);
  const cut = () => page.$eval('#results .table-wrap', (w) => w.scrollWidth - w.clientWidth);
  await page.screenshot({ path: path.join(SHOTS, '04-1280-detail.png') });
  assert.ok(await cut() <= 1, `messages with the detail open overflow by ${await cut()} px`);
  await page.goto(`${stack.baseUrl}/#/search?range=1h`);
  await page.waitForSelector('tr.call-row');
  await page.screenshot({ path: path.join(SHOTS, '05-1280-calls.png') });
  assert.ok(await cut() <= 1, `calls overflow by ${await cut()} px`);

  // Download names: the Call-ID, reduced to safe characters.
  const row = page.locator('tr.call-row', { has: page.locator('td.call-id', { hasText: ANSWERED }) });
  const [pcap] = await Promise.all([page.waitForEvent('download'), row.locator('button', { hasText: 'pcap' }).click()]);
  assert.equal(pcap.suggestedFilename(), `sipvault-call-ans_${process.pid}_x_@192.0.2.10.pcap`);
  await openAnsweredFlow();
  const [txt] = await Promise.all([page.waitForEvent('download'), page.click('#flow-txt')]);
  assert.equal(txt.suggestedFilename(), `sipvault-call-ans_${process.pid}_x_@192.0.2.10.txt`);

  // The ladder uses the page width; arrow keys walk its arrows and open each.
  const widths = await page.evaluate(() => ({
    svg: document.querySelector('svg.ladder-svg').getBoundingClientRect().width,
    ladder: document.querySelector('#ladder').clientWidth,
  }));
  assert.ok(widths.svg >= widths.ladder - 4, `ladder ${widths.svg} px of ${widths.ladder} px`);
  await page.locator('svg.ladder-svg g.arrow >> nth=0').focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => /^407 /.test(document.querySelector('#flow-detail h2')?.textContent || ''));
  assert.equal(await page.evaluate(() => document.activeElement === document.querySelectorAll('svg.ladder-svg g.arrow')[1]), true);
  await page.keyboard.press('ArrowDown');
  await page.waitForFunction(() => /^ACK /.test(document.querySelector('#flow-detail h2')?.textContent || ''));

  // "/" from the flow page: the search form, its first field focused.
  await page.keyboard.press('Escape');
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('/');
  await page.waitForFunction(() => document.activeElement?.id === 'f-from_user');
  assert.equal(await page.isVisible('#view-search'), true, 'back on the search page');
  assert.doesNotMatch(await page.inputValue('#f-from_user'), /\//, 'the slash is not typed into the field');
  await page.setViewportSize({ width: 1440, height: 900 });
});
