// Keep-alives (issue 14): OPTIONS and their 200/503 answers through the real pipeline, the parser
// running the shipped ingest policy (deploy/config/parser.ini: OPTIONS summarized), shown on the
// "Keep-alives" page as one row per peer pair, method and status with the counts per minute, the
// total and the last time seen; and the storage class select of the advanced search form (a
// REGISTER and an INVITE, stored in classes registrations and calls by the same policy).
//
//   ctest --test-dir build/dev -R browser-summaries --output-on-failure
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from './lib/browser.mjs';
import { buildHep3 } from './lib/hep.mjs';
import { requireEnv, sendHep, startStack, stopStack, waitFor } from './lib/stack.mjs';
import { adminToken, loginPage } from './lib/session.mjs';

const OUT = path.join(requireEnv('SIPVAULT_BROWSER_OUT'), 'summaries');
const SHOTS = path.join(OUT, 'screenshots');
const A = '198.51.100.1';
const B = '198.51.100.2';
const MINUTE_US = 60e6;

function options(n) {
  return Buffer.from(`OPTIONS sip:${B} SIP/2.0\r\nVia: SIP/2.0/UDP ${A}:5060;branch=z9hG4bKb${n}\r\n` +
    `From: <sip:ka@${A}>;tag=k${n}\r\nTo: <sip:${B}>\r\nCall-ID: ka-${n}@${A}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
}
function answer(n, status, reason) {
  return Buffer.from(`SIP/2.0 ${status} ${reason}\r\nVia: SIP/2.0/UDP ${A}:5060;branch=z9hG4bKb${n}\r\n` +
    `From: <sip:ka@${A}>;tag=k${n}\r\nTo: <sip:${B}>;tag=b${n}\r\nCall-ID: ka-${n}@${A}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
}

let stack;
let base;

before(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  // The shipped policy rules, without the shipped ports.
  const shipped = readFileSync(path.join(requireEnv('SIPVAULT_SOURCE_DIR'), 'deploy/config/parser.ini'), 'utf8');
  const policy = path.join(OUT, 'parser.ini');
  writeFileSync(policy, shipped.slice(shipped.indexOf('[policy.rule.'), shipped.indexOf('[metrics]')));
  stack = await startStack({ out: OUT, parserArgs: ['--config', policy] });
  const now = Date.now() * 1000;
  base = now - 10 * MINUTE_US - (now % MINUTE_US);
  const packets = [];
  const hep = (src, dst, timeUs, payload) => buildHep3({ srcIp: src, dstIp: dst, srcPort: 5060, dstPort: 5060, timeUs, captureId: 7900, payload });
  let n = 0;
  for (let i = 0; i < 3; i++, n++) {
    packets.push(hep(A, B, base + i * 10e6, options(n)), hep(B, A, base + i * 10e6 + 5000, answer(n, 200, 'OK')));
  }
  for (let i = 0; i < 2; i++, n++) {
    packets.push(hep(A, B, base + MINUTE_US + i * 10e6, options(n)),
      hep(B, A, base + MINUTE_US + i * 10e6 + 5000, answer(n, 503, 'Service Unavailable')));
  }
  // Stored, not summarized: a REGISTER (class registrations) and an INVITE (calls), same From user.
  for (const [i, method] of ['REGISTER', 'INVITE'].entries()) {
    packets.push(hep(A, B, base + 3 * MINUTE_US + i * 1000, Buffer.from(`${method} sip:${B} SIP/2.0\r\n` +
      `Via: SIP/2.0/UDP ${A}:5060;branch=z9hG4bKc${i}\r\nFrom: <sip:kaclass@${A}>;tag=c${i}\r\nTo: <sip:kaclass@${B}>\r\n` +
      `Call-ID: class-${i}@${A}\r\nCSeq: 1 ${method}\r\nContact: <sip:kaclass@${A}>\r\nContent-Length: 0\r\n\r\n`)));
  }
  await sendHep(stack, packets);
  const token = await adminToken(stack);
  await waitFor('the summaries to be counted', async () => {
    const response = await fetch(`${stack.baseUrl}/api/v1/summaries?from=${base}us&to=${base + 5 * MINUTE_US}us`,
      { headers: { Authorization: `Bearer ${token}` } });
    if (response.status !== 200) return false;
    if ((await response.json()).items.reduce((sum, i) => sum + i.count, 0) < 10) return false;
    const stored = await fetch(`${stack.baseUrl}/api/v1/messages?from=${base}us&to=${base + 5 * MINUTE_US}us&from_user=kaclass`,
      { headers: { Authorization: `Bearer ${token}` } });
    return stored.status === 200 && (await stored.json()).items.length === 2;
  }, { timeoutMs: 60_000, intervalMs: 300 });
});

after(async () => {
  if (stack) await stopStack(stack);
});

test('"Keep-alives" shows counts per minute per peer pair and status, the 503s marked, and the last time seen', async () => {
  const browser = await launchChromium({});
  const page = browser.context.pages()[0] || await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  try {
    await loginPage(page, stack);

    // The storage class select of the advanced search form.
    const classes = await page.$$eval('#f-class option', (os) => os.map((o) => o.value));
    assert.deepEqual(classes, ['', 'calls', 'registrations', 'other']);

    await page.click('#nav a[data-route="keepalives"]');
    await page.waitForSelector('#summaries-form:visible');
    await page.fill('#k-ip', A);
    await page.click('#summaries-form button[type="submit"]');
    await page.waitForSelector('[data-testid="summaries-table"] tr.summary-row');
    assert.match(page.url(), /#\/keepalives\?.*ip=198\.51\.100\.1/);
    const rows = await page.$$eval('tr.summary-row', (trs) => trs.map((tr) => ({
      cells: [...tr.cells].map((c) => c.textContent), bad: tr.classList.contains('summary-bad'),
    })));
    const key = (r) => `${r.cells[0]} ${r.cells[1]} ${r.cells[3]}`;
    const byKey = new Map(rows.map((r) => [key(r), r]));
    assert.equal(rows.length, 3, `rows: ${rows.map(key).join(' | ')}`);
    const requests = byKey.get(`${A} ${B}:5060 request`);
    const ok = byKey.get(`${B} ${A}:5060 200`);
    const unavailable = byKey.get(`${B} ${A}:5060 503`);
    assert.ok(requests && ok && unavailable, `rows: ${rows.map(key).join(' | ')}`);
    assert.equal(requests.cells[2], 'OPTIONS');
    assert.equal(requests.cells[5], '5');
    assert.equal(ok.cells[5], '3');
    assert.equal(unavailable.cells[5], '2');
    assert.ok(unavailable.bad, 'a 503 row is marked');
    assert.ok(!ok.bad, 'a 200 row is not');
    // Per minute: 3 then 2 requests; the last time seen is the second minute.
    assert.match(requests.cells[4], /^\d\d:\d\d 3\d\d:\d\d 2$/);
    assert.match(unavailable.cells[4], /^\d\d:\d\d 2$/);
    assert.equal(requests.cells[6].slice(11, 16), unavailable.cells[4].slice(0, 5), 'last seen = the last minute');
    assert.match(await page.textContent('[data-testid="summaries-total"]'), /^10$/);
    await page.screenshot({ path: path.join(SHOTS, 'keepalives.png') });

    // Only answers with 5xx.
    await page.fill('#k-status', '5xx');
    await page.click('#summaries-form button[type="submit"]');
    await page.waitForFunction(() => document.querySelectorAll('tr.summary-row').length === 1);
    assert.equal(await page.textContent('tr.summary-row td.summary-status'), '503');

    // The class select narrows a search: both messages, then only the registration.
    await page.goto(`${stack.baseUrl}/#/search?from_user=kaclass&range=1h&view=messages`);
    await page.waitForFunction(() => document.querySelectorAll('tr.msg').length === 2);
    await page.evaluate(() => { document.querySelector('#advanced').open = true; });
    await page.selectOption('#f-class', 'registrations');
    await page.click('#search-button');
    await page.waitForFunction(() => location.hash.includes('class=registrations'));
    await page.waitForFunction(() => document.querySelectorAll('tr.msg').length === 1);
    assert.match(await page.textContent('tr.msg'), /REGISTER/);
    assert.deepEqual(errors, [], 'no page error');
  } finally {
    await browser.close();
  }
});
