// Call quality (issue 15) in the browser, against the real stack: a call with quality reports shows
// the "Quality" panel beside the ladder with a uPlot chart per stream, its summary and report
// markers on the ladder (hover: the figures); a call without reports shows the reason sentence,
// not an empty panel; report text with markup (codec, node) stays text; the calls list shows the
// worst MOS and loss and the search form's "MOS below" field filters calls; a share link's view
// shows the panel too. The SIP goes through the real pipeline; the reports are sip_qos rows as
// store/sql/012_sip_qos.sql documents them (written here until the parser fills the table).
//
//   ctest --test-dir build/dev -R browser-qos --output-on-failure
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from './lib/browser.mjs';
import { buildHep3 } from './lib/hep.mjs';
import { requireEnv, sendHep, startStack, stopStack, waitFor } from './lib/stack.mjs';
import { adminToken, loginPage } from './lib/session.mjs';

const OUT = path.join(requireEnv('SIPVAULT_BROWSER_OUT'), 'qos');
const SHOTS = path.join(OUT, 'screenshots');

const QOS_CALL = 'qos-call@203.0.113.70';
const QUIET_CALL = 'quiet-call@203.0.113.71';
const HOSTILE_CODEC = 'PCMA<img src=x onerror=__xss=1>';  // 29 bytes: codec is VARBINARY(32)

// INVITE (offer) / 200 (answer) / ACK / BYE / 200, both with SDP media at `media`.
function callMessages(callId, a, b, media) {
  const sdp = (ip, port) => ['v=0', `o=- 1 1 IN IP4 ${ip}`, 's=-', `c=IN IP4 ${ip}`, 't=0 0',
    `m=audio ${port} RTP/AVP 8`, 'a=rtpmap:8 PCMA/8000', ''].join('\r\n');
  const lines = (start, cseq, body = '') => [
    start,
    `Via: SIP/2.0/UDP ${a}:5060;branch=z9hG4bK-${callId.slice(0, 4)}${cseq.replace(' ', '')}`,
    `From: <sip:alice@${a}>;tag=a1`,
    `To: <sip:bob@${b}>${start.startsWith('SIP/2.0') ? ';tag=b1' : ''}`,
    `Call-ID: ${callId}`,
    `CSeq: ${cseq}`,
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${body.length}`,
    '', body,
  ].join('\r\n');
  return [
    { src: a, dst: b, text: lines(`INVITE sip:bob@${b} SIP/2.0`, '1 INVITE', sdp(a, media[0])) },
    { src: b, dst: a, text: lines('SIP/2.0 200 OK', '1 INVITE', sdp(b, media[1])) },
    { src: a, dst: b, text: lines(`ACK sip:bob@${b} SIP/2.0`, '1 ACK') },
    { src: a, dst: b, text: lines(`BYE sip:bob@${b} SIP/2.0`, '2 BYE') },
    { src: b, dst: a, text: lines('SIP/2.0 200 OK', '2 BYE') },
  ];
}

let stack;
let token;
let range;
let base;

function sql(statement) {
  return execFileSync('mariadb', ['--no-defaults', '--protocol=socket', `--socket=${stack.socket}`,
    '-usipvault', '-psipvault', '-N', '-B', stack.db, '-e', statement], { encoding: 'utf8' });
}

const hex = (text) => `X'${Buffer.from(text, 'latin1').toString('hex')}'`;
const ip = (text) => `X'${Buffer.from(text.split('.').map(Number)).toString('hex')}'`;

async function api(route) {
  return fetch(`${stack.baseUrl}/api/v1/${route}`, { headers: { Authorization: `Bearer ${token}` } });
}

before(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  base = Math.floor(Date.now() / 1000) * 1e6 - 5 * 60e6;
  range = { from: `${Math.floor(base / 1000) - 60_000}ms`, to: `${Math.floor(base / 1000) + 600_000}ms` };
  stack = await startStack({ out: OUT });
  const packets = [];
  [[QOS_CALL, '203.0.113.70', '198.51.100.70', [40000, 41000]], [QUIET_CALL, '203.0.113.71', '198.51.100.71', [42000, 43000]]]
    .forEach(([callId, a, b, media], c) => callMessages(callId, a, b, media).forEach((m, i) => packets.push(buildHep3({
      srcIp: m.src, dstIp: m.dst, srcPort: 5060, dstPort: 5060, timeUs: base + c * 120e6 + i * 5e6,
      captureId: 7950, payload: Buffer.from(m.text, 'latin1'),
    }))));
  await sendHep(stack, packets);
  token = await adminToken(stack);
  await waitFor('both calls to be stored', async () => {
    const response = await api(`messages?from=${range.from}&to=${range.to}&limit=100`);
    return response.status === 200 && (await response.json()).items.length >= 10;
  }, { timeoutMs: 60_000, intervalMs: 300 });
  // QOS_CALL: the callee's receiver reports on the caller's stream (RTCP port 41001), every 5 s:
  // lost 5 of the first 100, then 20 of the next 100 (cumulative 25: 20 %), MOS falling from 4.3 to 3.0.
  const hash = (await (await api(`calls?call_id=${encodeURIComponent(QOS_CALL)}&from=${range.from}&to=${range.to}`)).json());
  assert.equal(hash.items.length, 1);
  const rows = [[1, 5, 95, 1100, 0.05, 4, 4.3], [2, 25, null, 1200, 0.2, 18, 3.0]];
  for (const [n, lost, packets, seq, fraction, jitter, mos] of rows) {
    sql('INSERT INTO sip_qos (id, capture_us, call_id_hash, call_id, source, report_type, direction, src_ip, dst_ip, ' +
      'src_port, dst_port, ssrc, reporter_ssrc, packets, lost, highest_seq, fraction_lost, jitter_ms, rtt_ms, mos, codec, ' +
      `capture_id, node) SELECT ${n}, ${base + 3e6 + n * 5e6}, call_id_hash, call_id, 1, 201, 0, ${ip('198.51.100.70')}, ` +
      `${ip('203.0.113.70')}, 41001, 40001, 4660, 22136, ${packets ?? 'NULL'}, ${lost}, ${seq}, ${fraction}, ${jitter}, ` +
      `${n === 2 ? 42 : 'NULL'}, ${mos}, ${hex(HOSTILE_CODEC)}, 7950, ${hex('<b>edge</b>')} ` +
      `FROM sip_messages WHERE call_id = ${hex(QOS_CALL)} LIMIT 1`);
  }
});

after(async () => {
  if (stack) await stopStack(stack);
});

test('the Quality panel: charts and markers for a call with reports, the reason for one without', async () => {
  const browser = await launchChromium();
  const errors = [];
  try {
    const page = browser.context.pages()[0] || await browser.context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await loginPage(page, stack);

    await page.goto(`${stack.baseUrl}/#/flow?call_id=${encodeURIComponent(QOS_CALL)}&from=${range.from}&to=${range.to}`);
    await page.waitForSelector('[data-testid="qos-panel"] [data-testid="qos-chart"] canvas');
    assert.equal(await page.locator('[data-testid="qos-panel"] [data-testid="qos-stream"]').count(), 1);
    const summary = await page.textContent('[data-testid="qos-call-summary"]');
    assert.match(summary, /worst MOS 3\.00/);
    assert.match(summary, /worst loss 20 %/);
    assert.match(summary, /2 reports/);
    // Markup in the report's codec and node is text, never elements.
    const streamText = await page.textContent('[data-testid="qos-stream"]');
    assert.ok(streamText.includes(HOSTILE_CODEC), streamText);
    assert.ok(streamText.includes('<b>edge</b>'), streamText);
    assert.equal(await page.locator('[data-testid="qos-panel"] img, [data-testid="qos-panel"] b').count(), 0);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    // Markers on the ladder, one per report, small, with the figures on hover.
    await page.waitForSelector('[data-testid="qos-marker"]');
    assert.equal(await page.locator('[data-testid="qos-marker"]').count(), 2);
    assert.equal(await page.locator('[data-testid="ladder-arrow"]').count(), 5, 'the SIP arrows are all there');
    const hover = await page.locator('[data-testid="qos-marker"] >> nth=1').locator('title').textContent();
    assert.match(hover, /MOS 3\.00/);
    assert.match(hover, /loss 20 %/);
    assert.match(hover, /RTT 42\.0 ms/);
    assert.ok((await page.getAttribute('[data-testid="qos-marker"] >> nth=1', 'class')).includes('qos-bad'));
    await page.screenshot({ path: path.join(SHOTS, 'qos-panel.png'), fullPage: true });

    await page.goto(`${stack.baseUrl}/#/flow?call_id=${encodeURIComponent(QUIET_CALL)}&from=${range.from}&to=${range.to}`);
    await page.waitForSelector('[data-testid="qos-reason"]');
    assert.equal(await page.getAttribute('[data-testid="qos-reason"]', 'data-code'), 'no_reports_for_media');
    assert.match(await page.textContent('[data-testid="qos-reason"]'), /No RTCP or quality report was seen/);
    assert.match(await page.textContent('[data-testid="qos-panel"]'), /203\.0\.113\.71:42001 \(RTCP\)/);
    assert.equal(await page.locator('[data-testid="qos-marker"]').count(), 0);
    assert.equal(await page.locator('[data-testid="qos-chart"]').count(), 0);
    await page.screenshot({ path: path.join(SHOTS, 'qos-empty.png'), fullPage: true });

    // The calls list: MOS / Loss columns, and the "MOS below" field keeps the call with a bad report.
    await page.goto(`${stack.baseUrl}/#/search?from=${new Date(base / 1000 - 60_000).toISOString()}` +
      `&to=${new Date(base / 1000 + 600_000).toISOString()}`);
    await page.waitForSelector('[data-testid="calls-table"]');
    assert.equal(await page.locator('[data-testid="call-mos"]').count(), 2);
    assert.deepEqual((await page.locator('[data-testid="call-mos"]').allTextContents()).sort(), ['3.00', '—']);
    assert.ok((await page.locator('[data-testid="call-loss"]').allTextContents()).includes('20 %'));
    await page.locator('#advanced').evaluate((d) => { d.open = true; });
    await page.fill('[name="mos_below"]', '3.5');
    await page.press('[name="mos_below"]', 'Enter');
    await waitFor('the filtered list', async () => (await page.locator('[data-testid="call-mos"]').count()) === 1);
    assert.equal(await page.textContent('[data-testid="call-mos"]'), '3.00');
    assert.match(page.url(), /mos_below=3\.5/);
    await page.screenshot({ path: path.join(SHOTS, 'qos-calls.png'), fullPage: true });
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('a share link of the call shows its Quality panel', async () => {
  const made = await fetch(`${stack.baseUrl}/api/v1/shares`, {
    method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ call_id: QOS_CALL, from: range.from, to: range.to, expires_s: 600 }),
  });
  assert.equal(made.status, 201);
  const { url } = await made.json();
  const guest = await launchChromium();
  try {
    const page = guest.context.pages()[0] || await guest.context.newPage();
    await page.goto(`${stack.baseUrl}${url}`);
    await page.waitForSelector('[data-testid="shared-qos-panel"] [data-testid="qos-chart"] canvas');
    assert.match(await page.textContent('[data-testid="shared-qos-panel"]'), /worst MOS 3\.00/);
    await page.waitForSelector('[data-testid="shared-view"] [data-testid="qos-marker"]');
    assert.equal(await page.locator('[data-testid="shared-view"] [data-testid="qos-marker"]').count(), 2);
  } finally {
    await guest.close();
  }
});
