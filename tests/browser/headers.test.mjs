// Custom headers and correlation rules in the UI (issue 14): the advanced search's header picker
// (header.<name>=value), the header values as list columns and in the message detail, and the
// ladder saying why a leg is linked. The parser runs with a header rule (the PAI user) and the
// icid correlation rule; the PAI display name is markup and must show as text.
//
//   ctest --test-dir build/dev -R browser-headers --output-on-failure
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from './lib/browser.mjs';
import { buildHep3 } from './lib/hep.mjs';
import { requireEnv, sendHep, startStack, stopStack, waitFor } from './lib/stack.mjs';
import { adminToken, getJson, loginPage } from './lib/session.mjs';

const OUT = path.join(requireEnv('SIPVAULT_BROWSER_OUT'), 'headers');
const SHOTS = path.join(OUT, 'screenshots');
const PARSER_INI = '[parser]\nheaders.extract = pai_user, P-Asserted-Identity\n' +
  'headers.pai_user.header = P-Asserted-Identity\nheaders.pai_user.regex = <?sips?:([^@;>]+)@\n' +
  'correlation.rules = icid\n';
const XSS = '<img src=x onerror="window.__pwned=1">';
const ICID = 'icid-b2b-9001';

function invite(callId, a, b, extra) {
  return `INVITE sip:${b}@198.51.100.20 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-${callId}\r\n` +
    `From: <sip:${a}@198.51.100.10>;tag=t-${callId}\r\nTo: <sip:${b}@198.51.100.20>\r\nCall-ID: ${callId}\r\n` +
    `CSeq: 1 INVITE\r\n${extra}Content-Length: 0\r\n\r\n`;
}

let stack;
let window_;
const LEG_A = `hdr-leg-a-${process.pid}@198.51.100.10`;
const LEG_B = `hdr-leg-b-${process.pid}@198.51.100.20`;

before(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  const ini = path.join(OUT, 'parser.ini');
  writeFileSync(ini, PARSER_INI);
  const base = Date.now() * 1000 - 2 * 60e6;
  window_ = { from: `${Math.floor(base / 1000) - 1000}ms`, to: `${Math.floor(base / 1000) + 60_000}ms` };
  stack = await startStack({ out: OUT, parserArgs: ['--config', ini] });
  const pcv = `P-Charging-Vector: icid-value=${ICID};orig-ioi=home1.net\r\n`;
  const messages = [
    { src: '198.51.100.10', dst: '198.51.100.20', payload: invite(LEG_A, '4981111', '4982222',
      `${pcv}P-Asserted-Identity: "${XSS}" <sip:+4981111@ims.example.net>\r\n`) },
    { src: '198.51.100.20', dst: '198.51.100.30', payload: invite(LEG_B, '4983333', '4984444', pcv) },
  ];
  await sendHep(stack, messages.map((m, i) => buildHep3({
    srcIp: m.src, dstIp: m.dst, srcPort: 5060, dstPort: 5060, timeUs: base + i * 10_000, captureId: 7900, payload: m.payload,
  })));
  const token = await adminToken(stack);
  await waitFor('the messages to be stored', async () =>
    (await getJson(stack, token, `messages?from=${window_.from}&to=${window_.to}`)).items.length >= 2,
  { timeoutMs: 60_000, intervalMs: 300 });
});

after(async () => {
  if (stack) await stopStack(stack);
});

test('the header picker searches header.<name>=value; values show as columns, in the detail and the ladder', async () => {
  const browser = await launchChromium();
  const page = browser.context.pages()[0] || await browser.context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  try {
    await loginPage(page, stack);
    await page.goto(`${stack.baseUrl}/#/search?from=${window_.from}&to=${window_.to}&view=messages`);
    await page.waitForSelector('tr.msg');
    assert.equal(await page.locator('tr.msg').count(), 2);

    // The picker: name (offered by the datalist, learnt from the results) = value.
    await page.click('#advanced summary');
    const offered = await page.$$eval('#header-names option', (os) => os.map((o) => o.value));
    assert.ok(offered.includes('pai_user'), `datalist offers pai_user: ${offered}`);
    await page.fill('.header-filter .header-name', 'pai_user');
    await page.fill('.header-filter .header-value', '+4981*');
    await page.click('#search-button');
    await page.waitForFunction(() => document.querySelectorAll('tr.msg').length === 1);
    assert.match(decodeURIComponent(page.url()), /header\.pai_user=\+4981\*/, 'the filter is in the link');
    const heads = await page.$$eval('table.messages th.header-column', (ths) => ths.map((t) => t.textContent));
    assert.deepEqual(heads, ['pai_user', 'p-asserted-identity']);
    const cells = await page.$$eval('tr.msg td.header-cell', (tds) => tds.map((t) => t.textContent));
    assert.equal(cells[0], '+4981111');
    assert.ok(cells[1].includes(XSS), 'the PAI display name shows as text');
    await page.screenshot({ path: path.join(SHOTS, 'header-search.png') });

    // Reload: the picker row comes back from the link.
    await page.reload();
    await page.waitForSelector('tr.msg');
    assert.equal(await page.inputValue('.header-filter .header-name'), 'pai_user');

    // Detail: the custom header values and the link value.
    await page.click('tr.msg');
    await page.waitForSelector('#detail pre.sip');
    const detail = await page.innerText('#detail');
    assert.ok(detail.includes('Header pai_user'), 'detail names the header');
    assert.ok(detail.includes(`Link icid`) && detail.includes(ICID), 'detail shows the link value');

    // The ladder: leg B linked by icid.
    await page.goto(`${stack.baseUrl}/#/flow?call_id=${encodeURIComponent(LEG_A)}&from=${window_.from}&to=${window_.to}`);
    await page.waitForSelector('[data-testid="leg-why"]');
    assert.equal(await page.textContent('[data-testid="leg-why"]'), `by icid = ${ICID}`);
    await page.screenshot({ path: path.join(SHOTS, 'flow-linked-by-icid.png') });

    const pwned = await page.evaluate(() => window.__pwned);
    assert.equal(pwned, undefined, 'nothing from a header ran');
    assert.deepEqual(errors, [], 'no page error');
  } finally {
    await browser.close();
  }
});
