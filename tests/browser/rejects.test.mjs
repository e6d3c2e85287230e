// SIP that failed to parse (issue 12, "Missing 7"): sent through the real pipeline, listed under
// the search switch "Failed to parse" (time, source, destination, reason) and opened with its
// reason and raw text. The raw text is hostile (markup, an inline handler, invalid UTF-8) and must
// show as text, under the api's CSP and with CSP bypassed.
//
//   ctest --test-dir build/dev -R browser-rejects --output-on-failure
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from './lib/browser.mjs';
import { buildHep3 } from './lib/hep.mjs';
import { requireEnv, sendHep, startStack, stopStack, waitFor } from './lib/stack.mjs';
import { adminToken } from './lib/session.mjs';

const OUT = path.join(requireEnv('SIPVAULT_BROWSER_OUT'), 'rejects');
const SHOTS = path.join(OUT, 'screenshots');

const SCRIPT = '<script>window.__pwned=1</script>';
const IMG = '<img src=x onerror="window.__pwned=2">';
// Not SIP at all (first line), and SIP without a Call-ID: both rejected by the parser.
const REJECTS = [
  {
    src: '203.0.113.70', dst: '198.51.100.9', sport: 5060, dport: 5060, reason: 'not_sip',
    payload: Buffer.concat([Buffer.from(`${SCRIPT}${IMG} HELLO `), Buffer.from([0xff, 0xfe]), Buffer.from('\r\nX-Junk: 1\r\n\r\n')]),
  },
  {
    src: '203.0.113.71', dst: '198.51.100.9', sport: 5070, dport: 5060, reason: 'missing_call_id',
    payload: Buffer.from('OPTIONS sip:probe@198.51.100.9 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.71:5070;branch=z9hG4bK-r1\r\n' +
      'From: <sip:scan@203.0.113.71>;tag=r1\r\nTo: <sip:probe@198.51.100.9>\r\nCSeq: 1 OPTIONS\r\n' +
      `X-Note: ${SCRIPT}\r\nContent-Length: 0\r\n\r\n`),
  },
];

let stack;
let token;
let window_;

before(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  const base = Date.now() * 1000 - 2 * 60e6;
  window_ = { from: `${Math.floor(base / 1000) - 1000}ms`, to: `${Math.floor(base / 1000) + 60_000}ms` };
  stack = await startStack({ out: OUT });
  await sendHep(stack, REJECTS.map((r, i) => buildHep3({
    srcIp: r.src, dstIp: r.dst, srcPort: r.sport, dstPort: r.dport, timeUs: base + i * 1000, captureId: 7800 + i,
    payload: r.payload,
  })));
  token = await adminToken(stack);
  await waitFor('the rejects to be stored', async () => {
    const response = await fetch(`${stack.baseUrl}/api/v1/rejects?from=${window_.from}&to=${window_.to}`,
      { headers: { Authorization: `Bearer ${token}` } });
    return response.status === 200 && (await response.json()).items.length >= REJECTS.length;
  }, { timeoutMs: 60_000, intervalMs: 300 });
});

after(async () => {
  if (stack) await stopStack(stack);
});

// Anything a payload could have put into the DOM (see hostile.test.mjs for the full list).
function domProblems() {
  const bad = [];
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    for (const name of el.getAttributeNames()) if (/^on/i.test(name)) bad.push(`<${tag} ${name}>`);
    if (tag === 'script' && !el.getAttribute('src')) bad.push('<script> without src');
    if (tag === 'img' && !/favicon\.svg$/.test(el.getAttribute('src') || '')) bad.push(`<img src="${el.getAttribute('src')}">`);
  }
  if (window.__pwned !== undefined) bad.push('window.__pwned set');
  return bad;
}

for (const bypassCSP of [false, true]) {
  const mode = bypassCSP ? 'CSP bypassed' : 'under the CSP';
  test(`"Failed to parse" lists rejects and opens one with its reason and raw text as text (${mode})`, async () => {
    const browser = await launchChromium({ bypassCSP });
    const page = browser.context.pages()[0] || await browser.context.newPage();
    const dialogs = [];
    const errors = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      dialog.dismiss().catch(() => {});
    });
    page.on('pageerror', (error) => errors.push(error.message));
    try {
      await page.goto(`${stack.baseUrl}/`);
      await page.waitForSelector('#login-form:visible');
      await page.fill('#login-username', 'admin');
      await page.fill('#login-password', stack.adminPassword);
      await page.click('#login-button');
      await page.waitForSelector('#search-form:visible');

      // A message filter (from_user) does not apply to rejects and must not break the list.
      await page.goto(`${stack.baseUrl}/#/search?from=${window_.from}&to=${window_.to}&from_user=4930`);
      await page.waitForSelector('#results-bar:visible');
      await page.click('[data-view="rejects"]');
      await page.waitForSelector('[data-testid="rejects-table"] tr.reject-row');
      assert.match(page.url(), /view=rejects/);
      const rows = await page.$$eval('tr.reject-row', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
      assert.equal(rows.length, REJECTS.length, 'a row per reject');
      REJECTS.forEach((r, i) => {
        assert.equal(rows[i][1], `${r.src}:${r.sport}`, 'source');
        assert.equal(rows[i][2], `${r.dst}:${r.dport}`, 'destination');
        assert.ok(rows[i][4].includes(r.reason), `reason ${r.reason} in ${rows[i][4]}`);
        assert.match(rows[i][0], /^\d{4}-\d\d-\d\d/, 'time');
      });
      assert.match(await page.textContent('#results-summary'), /2 messages failed to parse/);

      await page.click('tr.reject-row >> nth=0');
      await page.waitForSelector('#detail pre.sip');
      const detail = await page.innerText('#detail');
      assert.ok(detail.includes('not_sip'), 'the detail shows the reason');
      const raw = await page.textContent('#detail pre.sip');
      assert.ok(raw.includes(SCRIPT), 'raw <script> shown as text');
      assert.ok(raw.includes(IMG), 'raw <img onerror> shown as text');
      assert.ok(raw.includes('HELLO \ufffd\ufffd'), 'invalid UTF-8 shown as U+FFFD');
      if (!bypassCSP) await page.screenshot({ path: path.join(SHOTS, 'rejects-detail.png') });

      await page.click('tr.reject-row >> nth=1');
      await page.waitForFunction(() => document.querySelector('#detail pre.sip')?.textContent.includes('OPTIONS sip:probe'));
      assert.ok((await page.innerText('#detail')).includes('missing_call_id'));
      assert.ok((await page.textContent('#detail pre.sip')).includes(`X-Note: ${SCRIPT}`));

      // Reload on the URL: the switch stays on.
      await page.reload();
      await page.waitForSelector('tr.reject-row');
      assert.equal(await page.getAttribute('[data-view="rejects"]', 'aria-selected'), 'true');

      assert.deepEqual(await page.evaluate(domProblems), [], 'nothing from a payload in the DOM');
      assert.deepEqual(dialogs, [], 'no dialog');
      assert.deepEqual(errors, [], 'no page error');
    } finally {
      await browser.close();
    }
  });
}
