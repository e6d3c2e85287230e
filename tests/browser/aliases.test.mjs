// Aliases (issue 14) in the browser, against the real stack: an admin creates aliases on the
// Aliases page; the call's ladder titles its columns with them (the address on hover), the message
// list shows them, a search by alias finds the call, and an alias name holding HTML is shown as
// text, never as markup.
//
//   ctest --test-dir build/dev -R browser-aliases --output-on-failure
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from './lib/browser.mjs';
import { buildHep3 } from './lib/hep.mjs';
import { requireEnv, sendHep, startStack, stopStack, waitFor } from './lib/stack.mjs';
import { adminToken, loginPage } from './lib/session.mjs';

const OUT = path.join(requireEnv('SIPVAULT_BROWSER_OUT'), 'aliases');
const SHOTS = path.join(OUT, 'screenshots');

const CALL = 'alias-call@203.0.113.90';
const CALLER = '203.0.113.90';
const CALLEE = '198.51.100.30';
const HOSTILE = '<img src=x onerror="window.__aliasXss=1">Core';

function callMessages() {
  const lines = (start, cseq) => [
    start,
    `Via: SIP/2.0/UDP ${CALLER}:5060;branch=z9hG4bK-${cseq.replace(' ', '')}`,
    `From: <sip:alice@${CALLER}>;tag=a1`,
    `To: <sip:bob@${CALLEE}>${start.startsWith('SIP/2.0') ? ';tag=b1' : ''}`,
    `Call-ID: ${CALL}`,
    `CSeq: ${cseq}`,
    'Content-Length: 0',
    '', '',
  ].join('\r\n');
  return [
    { src: CALLER, dst: CALLEE, text: lines(`INVITE sip:bob@${CALLEE} SIP/2.0`, '1 INVITE') },
    { src: CALLEE, dst: CALLER, text: lines('SIP/2.0 180 Ringing', '1 INVITE') },
    { src: CALLEE, dst: CALLER, text: lines('SIP/2.0 200 OK', '1 INVITE') },
    { src: CALLER, dst: CALLEE, text: lines(`ACK sip:bob@${CALLEE} SIP/2.0`, '1 ACK') },
  ];
}

let stack;
let token;
let range;

before(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  const base = Date.now() * 1000 - 2 * 60e6;
  range = { from: `${Math.floor(base / 1000) - 10_000}ms`, to: `${Math.floor(base / 1000) + 60_000}ms` };
  stack = await startStack({ out: OUT });
  await sendHep(stack, callMessages().map((m, i) => buildHep3({
    srcIp: m.src, dstIp: m.dst, srcPort: 5060, dstPort: 5060, timeUs: base + i * 100_000,
    captureId: 7901, payload: Buffer.from(m.text, 'latin1'),
  })));
  token = await adminToken(stack);
  await waitFor('the call to be stored', async () => {
    const r = await fetch(`${stack.baseUrl}/api/v1/messages?call_id=${encodeURIComponent(CALL)}&from=${range.from}&to=${range.to}`,
      { headers: { Authorization: `Bearer ${token}` } });
    return r.status === 200 && (await r.json()).items.length === 4;
  }, { timeoutMs: 60_000, intervalMs: 300 });
});

after(async () => {
  if (stack) await stopStack(stack);
});

test('an admin names two hosts; the ladder and the list show the names, HTML in a name stays text', async () => {
  const browser = await launchChromium();
  const errors = [];
  try {
    const page = browser.context.pages()[0] || await browser.context.newPage();
    page.on('pageerror', (error) => errors.push(error.message));
    await loginPage(page, stack);

    // Create both aliases through the UI's form.
    await page.click('#nav a[data-route="aliases"]');
    await page.waitForSelector('[data-testid="alias-form"]:visible');
    for (const [name, target] of [['SBC-Frankfurt', CALLER], [HOSTILE, `${CALLEE}:5060`]]) {
      await page.fill('#alias-name', name);
      await page.fill('#alias-target', target);
      await page.click('#alias-add');
      await page.waitForSelector(`[data-testid="alias-row"] >> text=${target}`);
    }
    // A bad target is refused with the api's reason, nothing added.
    await page.fill('#alias-name', 'Broken');
    await page.fill('#alias-target', '192.0.2.1/24');
    await page.click('#alias-add');
    await page.waitForSelector('[data-testid="alias-error"]:has-text("host bits")');
    assert.equal(await page.locator('[data-testid="alias-row"]').count(), 2);
    const names = await page.locator('[data-testid="alias-name"]').allTextContents();
    assert.ok(names.includes(HOSTILE), `the HTML name is listed as text: ${names}`);
    await page.screenshot({ path: path.join(SHOTS, 'aliases-page.png'), fullPage: true });

    // The ladder's columns carry the names; hovering gives the address.
    await page.goto(`${stack.baseUrl}/#/flow?call_id=${encodeURIComponent(CALL)}&from=${range.from}&to=${range.to}`);
    await page.waitForSelector('[data-testid="ladder-arrow"]');
    const titles = await page.locator('[data-testid="host-title"]').evaluateAll(
      (nodes) => nodes.map((n) => ({ text: n.firstChild.textContent, hover: n.querySelector('title').textContent })));
    assert.deepEqual(titles.map((t) => t.text), ['SBC-Frankfurt', HOSTILE]);
    assert.equal(titles[0].hover, `SBC-Frankfurt (${CALLER}:5060)`);
    assert.equal(await page.locator('#ladder img').count(), 0, 'no element made from the name');
    await page.screenshot({ path: path.join(SHOTS, 'aliases-ladder.png'), fullPage: true });

    // Search by alias: the messages list shows the names, the address on hover.
    await page.goto(`${stack.baseUrl}/#/search?view=messages&alias=SBC-Frankfurt&from=${range.from}&to=${range.to}`);
    await page.waitForSelector('[data-testid="peer-alias"]');
    const cells = page.locator('[data-testid="peer-alias"]');
    assert.equal(await cells.count(), 8, 'both ends of all 4 messages have an alias');
    const texts = await cells.allTextContents();
    assert.ok(texts.includes('SBC-Frankfurt') && texts.includes(HOSTILE), `names: ${texts}`);
    assert.equal(await cells.first().getAttribute('title'), `${CALLER}:5060`);
    assert.equal(await page.locator('#results img').count(), 0);
    await page.screenshot({ path: path.join(SHOTS, 'aliases-messages.png'), fullPage: true });

    assert.equal(await page.evaluate(() => window.__aliasXss), undefined, 'the name never ran as markup');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
