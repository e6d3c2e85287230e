// The hostile SIP corpus (tests/hostile/make_hostile.py, issue 6) through the real pipeline into
// the web UI, in Debian's Chromium: markup, script, javascript: URLs, quotes, NUL, bare CR, invalid
// UTF-8, bidi overrides, long Call-IDs. The search results (messages and calls), every message's
// detail, its call flow (ladder) and the dashboard must show the hostile text as text; no dialog
// may open, no element or attribute from a payload may reach the DOM, and the page may request
// nothing but the api's own origin. Run twice: under the api's CSP and with CSP bypassed (then only
// the UI's own escaping stands between the payload and the DOM).
//
//   ctest --test-dir build/dev -R browser-hostile --output-on-failure
//
// Truth is the generator's manifest (what each message is; expect: message / reject / dropped).
// Messages are sent as HEP3 over UDP, the big ones compressed (chunk 16), timed a few minutes ago.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { launchChromium } from './lib/browser.mjs';
import { buildHep3 } from './lib/hep.mjs';
import { requireEnv, sendHep, startStack, stopStack, waitFor } from './lib/stack.mjs';
import { adminToken, getJson } from './lib/session.mjs';

const SOURCE = requireEnv('SIPVAULT_SOURCE_DIR');
const OUT = path.join(requireEnv('SIPVAULT_BROWSER_OUT'), 'hostile');
const SHOTS = path.join(OUT, 'screenshots');
const CORPUS = path.join(OUT, 'corpus');
const CAPTURE_ID_BASE = 7700;

// The api's text for stored bytes (proto/packet_convert.h toValidUtf8: one U+FFFD per bad byte).
function apiText(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length;) {
    const n = utf8Length(bytes, i);
    if (n === 0) {
      out += '\ufffd';
      i += 1;
    } else {
      out += bytes.subarray(i, i + n).toString('utf8');
      i += n;
    }
  }
  return out;
}
function utf8Length(b, i) {
  const c = b[i];
  const cont = (k) => i + k < b.length && (b[i + k] & 0xc0) === 0x80;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if (c === 0xe0 && b[i + 1] < 0xa0) return 0;
    if (c === 0xed && b[i + 1] > 0x9f) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c === 0xf0 && b[i + 1] < 0x90) return 0;
    if (c === 0xf4 && b[i + 1] > 0x8f) return 0;
    return 4;
  }
  return 0;
}

let stack;
let token;
let corpus;    // manifest messages with bytes, capture id, stored id
let stored;    // the ones that must be in sip_messages
let window_;   // {from, to} epoch ms around the corpus

const apiJson = (route) => getJson(stack, token, route);

before(async () => {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(SHOTS, { recursive: true });
  execFileSync('python3', [path.join(SOURCE, 'tests/hostile/make_hostile.py'), CORPUS]);
  const manifest = JSON.parse(readFileSync(path.join(CORPUS, 'manifest.json'), 'utf8'));
  const base = Date.now() * 1000 - 3 * 60e6;
  corpus = manifest.messages.map((m) => ({
    ...m,
    bytes: readFileSync(path.join(CORPUS, m.file)),
    captureId: CAPTURE_ID_BASE + m.index,
    timeUs: base + m.index * 1000,
  }));
  stored = corpus.filter((m) => m.expect === 'message');
  window_ = { from: `${Math.floor(base / 1000) - 1000}ms`, to: `${Math.floor(base / 1000) + 60_000}ms` };
  assert.ok(stored.length >= 20, 'the generator makes at least 20 storable hostile messages');

  stack = await startStack({ out: OUT });
  // The browser stack's collector listens on UDP only: everything goes as datagrams; compressed
  // ones fit (the generator keeps them under 64 KiB).
  await sendHep(stack, corpus.map((m) => buildHep3({
    srcIp: '203.0.113.66', dstIp: '198.51.100.7', srcPort: 5060, dstPort: 5060, timeUs: m.timeUs,
    captureId: m.captureId, payload: m.bytes, ipProto: m.ip_proto, compress: m.compress,
    node: m.node ? Buffer.from(m.node, 'hex') : null,
    correlationId: m.correlation_id ? Buffer.from(m.correlation_id, 'hex') : null,
  })));

  token = await adminToken(stack);
  const range = `from=${window_.from}&to=${window_.to}`;
  await waitFor(`all ${stored.length} hostile messages to be searchable`, async () => {
    const { items } = await apiJson(`messages?${range}&limit=1000`);
    return items.length >= stored.length;
  }, { timeoutMs: 60_000, intervalMs: 500 });
  const { items } = await apiJson(`messages?${range}&limit=1000`);
  assert.equal(items.length, stored.length, 'exactly the storable messages are stored');
  for (const m of stored) {
    const item = items.find((i) => i.capture_id === m.captureId);
    assert.ok(item, `${m.name} stored`);
    m.id = item.id;
    m.callId = apiText(Buffer.from(m.fields.call_id, 'hex').subarray(0, 255));
    assert.equal(item.call_id, m.callId, `${m.name}: Call-ID as the api prints it`);
  }
});

after(async () => {
  if (stack) await stopStack(stack);
});

// Everything in the DOM that a payload could have put there: inline handlers, javascript:/data:
// URLs, elements that load or run something, anything pointing off-site. The UI itself has only
// its module script, two stylesheets, the favicon and #... links.
function domProblems() {
  const origin = location.origin;
  const bad = [];
  const offsite = (url) => {
    try {
      return new URL(url, location.href).origin !== origin;
    } catch {
      return true;
    }
  };
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    for (const name of el.getAttributeNames()) {
      const value = el.getAttribute(name) || '';
      if (/^on/i.test(name)) bad.push(`<${tag} ${name}>`);
      if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'background'].includes(name.toLowerCase()) &&
          (/^\s*(javascript|vbscript|data):/i.test(value) || (!value.startsWith('#') && offsite(value)))) {
        bad.push(`<${tag} ${name}="${value.slice(0, 60)}">`);
      }
    }
    if (['iframe', 'frame', 'object', 'embed', 'style', 'base', 'video', 'audio', 'math', 'template'].includes(tag)) bad.push(`<${tag}>`);
    if (tag === 'script' && !el.getAttribute('src')) bad.push('<script> without src');
    if (tag === 'img' && !/favicon\.svg$/.test(el.getAttribute('src') || '')) bad.push(`<img src="${el.getAttribute('src')}">`);
    if (tag === 'a' && el.closest('svg')) bad.push('<a> inside the ladder');
  }
  if (window.__pwned !== undefined) bad.push('window.__pwned set');
  return bad;
}

for (const bypassCSP of [false, true]) {
  const mode = bypassCSP ? 'CSP bypassed' : 'under the CSP';
  test(`hostile messages show as text everywhere in the UI, nothing runs or loads (${mode})`, async () => {
    const browser = await launchChromium({ bypassCSP });
    const page = browser.context.pages()[0] || await browser.context.newPage();
    const dialogs = [];
    const offsite = [];
    const consoleProblems = [];
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(`${stack.baseUrl}/`)) offsite.push(request.url());
    });
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy/i.test(message.text())) {
        consoleProblems.push(`${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => consoleProblems.push(`pageerror: ${error.message}`));
    const assertClean = async (where) => {
      assert.deepEqual(await page.evaluate(domProblems), [], `${where}: nothing from a payload in the DOM`);
      assert.deepEqual(dialogs, [], `${where}: no dialog`);
      assert.deepEqual(offsite, [], `${where}: no request off the api's origin`);
      assert.deepEqual(consoleProblems, [], `${where}: no console error / CSP violation`);
    };
    const shot = (name) => (bypassCSP ? null : page.screenshot({ path: path.join(SHOTS, `${name}.png`) }));

    try {
      await page.goto(`${stack.baseUrl}/`);
      await page.waitForSelector('#login-form:visible');
      await page.fill('#login-username', 'admin');
      await page.fill('#login-password', stack.adminPassword);
      await page.click('#login-button');
      await page.waitForSelector('#search-form:visible');

      // Search results: every stored message, one group per call.
      const range = `from=${window_.from}&to=${window_.to}`;
      await page.goto(`${stack.baseUrl}/#/search?${range}&limit=1000&view=messages`);
      await page.waitForSelector('tr.msg');
      await assertClean('search results');
      assert.equal(await page.locator('tr.msg').count(), stored.length, 'a row per stored message');
      assert.equal(await page.locator('tbody.call-group').count(), stored.length, 'a group per call');
      const results = await page.innerText('#results');
      for (const literal of ['<script>alert("x1")</script>', '<img src=x onerror=alert(2)>', 'javascript:alert(3)',
        '<iframe src=javascript:alert(23)></iframe>', "' OR 1=1 --", '"; DROP TABLE sip_messages; --']) {
        assert.ok(results.includes(literal), `results show ${literal} as text`);
      }
      const callIds = await page.$$eval('tbody.call-group .group-head .call-id', (cells) => cells.map((c) => c.textContent));
      for (const m of stored) {
        if (/^[\x20-\x7e]*$/.test(m.callId)) assert.ok(callIds.includes(m.callId), `${m.name}: Call-ID shown as text`);
      }
      // Invisible and control characters are shown, not applied: U+202E (22), NUL (8), U+FFFD (9).
      const marks = await page.$$eval('#results .ctrl', (spans) => spans.map((s) => s.textContent));
      for (const mark of ['<U+202E>', '\u2400', '\ufffd']) assert.ok(marks.includes(mark), `${JSON.stringify(mark)} marked`);
      await shot('hostile-01-search');
      await assertClean('search results');

      // Calls view: every call, also the one with a 986-byte Call-ID (its column holds 255).
      await page.click('[data-view="calls"]');
      await page.waitForSelector('tr.call-row');
      assert.equal(await page.locator('tr.call-row').count(), stored.length, 'a row per call');
      assert.ok((await page.innerText('#results')).includes('hostile-01-<script>alert(1)</script>"\'><img src=x onerror=alert(1)>'));
      await assertClean('calls view');

      // Each message: detail, then its call flow and the message opened from the ladder.
      for (const m of stored.filter((x) => x.ui)) {
        await page.goto(`${stack.baseUrl}/#/search?capture_id=${m.captureId}&${range}&view=messages`);
        await page.waitForSelector(`tr.msg[data-id="${m.id}"]`);
        await page.click(`tr.msg[data-id="${m.id}"]`);
        await page.waitForSelector('#detail pre.sip');
        const raw = await page.textContent('#detail pre.sip');
        for (const literal of m.show) assert.ok(raw.includes(literal), `${m.name}: detail shows ${literal}`);
        if (m.name === 'crlf-in-uri-user') {
          const crs = await page.$$eval('#detail pre.sip .ctrl', (s) => s.filter((x) => x.textContent === '\u240d').length);
          assert.ok(crs >= 2, `${m.name}: bare CRs shown as ␍, not as line breaks (${crs})`);
        }
        if (m.name === 'crlf-folded') {
          const names = await page.$$eval('#detail .sip-hname', (s) => s.map((x) => x.textContent));
          assert.ok(!names.includes('X-Injected'), `${m.name}: a folded line is not shown as a header`);
        }
        if (m.index === 1) await shot('hostile-02-detail');
        await assertClean(`${m.name} detail`);

        await page.click('#detail a.button');
        await page.waitForSelector(`svg.ladder-svg g.arrow[data-id="${m.id}"]`);
        if (m.index === 1) {
          // Message 2 points at 1 with its HEP correlation id: both legs, hostile Call-IDs as text.
          const legs = await page.$$eval('#flow-legs .leg-chip', (chips) => chips.map((c) => c.textContent));
          const second = stored.find((x) => x.index === 2);
          assert.equal(legs.length, 2, 'the flow has the correlated leg');
          assert.ok(legs.some((l) => l.includes(second.callId)), `leg chip shows ${second.callId}`);
          assert.equal(await page.locator('svg.ladder-svg g.arrow').count(), 2);
          await shot('hostile-03-flow');
        }
        await page.click(`svg.ladder-svg g.arrow[data-id="${m.id}"]`);
        await page.waitForSelector('#flow-detail pre.sip');
        const flowRaw = await page.textContent('#flow-detail pre.sip');
        for (const literal of m.show) assert.ok(flowRaw.includes(literal), `${m.name}: flow detail shows ${literal}`);
        const title = await page.textContent('#flow-title');
        assert.ok(title.includes(m.callId.slice(0, 40).replace(/[\u0000-\u001f\u200b-\u200f\u2028-\u202e\ufeff]/g, '')
          .slice(0, 10)), `${m.name}: flow title names the call`);
        await assertClean(`${m.name} flow`);
      }

      await page.goto(`${stack.baseUrl}/#/dashboard?range=1h`);
      await page.waitForSelector('.chart canvas');
      await page.waitForSelector('#dashboard-out td.ua');
      const agents = await page.$$eval('#dashboard-out td.ua', (cells) => cells.map((c) => c.textContent));
      assert.ok(agents.some((a) => a.includes('<')), `top User-Agents show markup as text: ${JSON.stringify(agents)}`);
      await shot('hostile-04-dashboard');
      await assertClean('dashboard');
      assert.equal(await page.evaluate(() => window.__pwned), undefined);
    } finally {
      await browser.close();
    }
  });
}
