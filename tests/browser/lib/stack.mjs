// Starts the real sipvault pipeline for the browser tests, on free loopback ports:
//
//   HEP/UDP ─► sipvault-collector ─ZeroMQ─► sipvault-parser ─ZeroMQ─► sipvault-writer ─► MariaDB
//                                                                      sipvault-api ◄─┘ (HTTP + UI)
//
// MariaDB is the CTest fixture's private server (tests/support/CMakeLists.txt); this module only
// creates a fresh database on it and drops it on stop. Binaries and locations come from the
// environment CMake sets (tests/browser/CMakeLists.txt):
//   SIPVAULT_COLLECTOR, SIPVAULT_PARSER, SIPVAULT_WRITER, SIPVAULT_API   binaries in the build tree
//   SIPVAULT_SOURCE_DIR      the repo (the api serves api/ui from it)
//   SIPVAULT_DB_SOCKET       the fixture's MariaDB socket (user/password sipvault/sipvault)
//   SIPVAULT_BROWSER_OUT     output dir (daemon logs, screenshots, downloads)
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export function requireEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this test through CTest (ctest -L browser)`);
  return value;
}

// A port nobody listens on right now, TCP and UDP, random in 15000-21999: below the kernel's ephemeral
// range, where a listen(0) port comes from and another test's outgoing connection can take it before
// our daemon binds it (tests/support/free_port.py, child_process.h kFreePortFirst/Last).
export async function freePort() {
  const tcpFree = (port) => new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  const udpFree = (port) => new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 15000 + Math.floor(Math.random() * 7000);
    if ((await tcpFree(port)) && (await udpFree(port))) return port;
  }
  throw new Error('no free port found in 15000-21999');
}

export async function waitFor(what, check, { timeoutMs = 30_000, intervalMs = 100, process: proc } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError = null;
  while (Date.now() < deadline) {
    if (proc && proc.exitCode !== null) throw new Error(`${what}: ${proc.name} exited with ${proc.exitCode} (see ${proc.logPath})`);
    try {
      const value = await check();
      if (value) return value;
    } catch (e) {
      lastError = e;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
}

async function httpOk(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return response.ok;
}

class Daemon {
  constructor(name, binary, args, logDir) {
    this.name = name;
    this.logPath = path.join(logDir, `${name}.log`);
    const log = createWriteStream(this.logPath);
    this.child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.pipe(log);
    this.child.stderr.pipe(log);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve(code ?? signal)));
    this.child.once('error', (e) => log.write(`spawn failed: ${e.message}\n`));
  }

  get exitCode() {
    return this.child.exitCode ?? (this.child.signalCode ? -1 : null);
  }

  async stop(timeoutMs = 15_000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const done = await Promise.race([this.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    if (!done) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  logTail(lines = 20) {
    try {
      return readFileSync(this.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }
}

function mariadb(socket, sql) {
  return execFileSync('mariadb', ['--no-defaults', '--protocol=socket', `--socket=${socket}`,
    '-usipvault', '-psipvault', '-N', '-B', '-e', sql], { encoding: 'utf8' });
}

// Starts the pipeline and the api; returns the stack (see stop()). `out` receives the logs.
// `parserArgs`: extra sipvault-parser options (e.g. ['--config', ini] for header rules or an ingest policy).
export async function startStack({ out, parserArgs = [] }) {
  const bin = {
    collector: requireEnv('SIPVAULT_COLLECTOR'),
    parser: requireEnv('SIPVAULT_PARSER'),
    writer: requireEnv('SIPVAULT_WRITER'),
    api: requireEnv('SIPVAULT_API'),
  };
  for (const [name, file] of Object.entries(bin)) {
    if (!existsSync(file)) throw new Error(`sipvault-${name} not built: ${file}`);
  }
  const sourceDir = requireEnv('SIPVAULT_SOURCE_DIR');
  const socket = requireEnv('SIPVAULT_DB_SOCKET');
  const logDir = path.join(out, 'logs');
  mkdirSync(logDir, { recursive: true });

  const db = `sipvault_browser_${process.pid}`;
  mariadb(socket, `DROP DATABASE IF EXISTS ${db}; CREATE DATABASE ${db}`);

  const ports = {
    hep: await freePort({ udp: true }),
    collectorOut: await freePort(),
    writerIn: await freePort(),
    http: await freePort(),
    collectorMetrics: await freePort(),
    parserMetrics: await freePort(),
    writerMetrics: await freePort(),
  };
  const stack = { db, ports, daemons: [], socket, baseUrl: `http://127.0.0.1:${ports.http}`, logDir };
  const adminPasswordFile = path.join(out, 'admin-password');
  rmSync(adminPasswordFile, { force: true });
  stack.adminPasswordFile = adminPasswordFile;

  const dbArgs = ['--db-socket', socket, '--db-user', 'sipvault', '--db-password', 'sipvault', '--db-name', db];
  try {
    const writer = new Daemon('writer', bin.writer, [
      '--listen', `bind:tcp://127.0.0.1:${ports.writerIn}`, ...dbArgs, '--flush-ms', '50',
      '--metrics-listen', `127.0.0.1:${ports.writerMetrics}`], logDir);
    stack.daemons.push(writer);
    await waitFor('the writer to create its schema', () => mariadb(socket,
      `SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='${db}' AND table_name='sip_messages'`).trim() === '1',
    { process: writer, timeoutMs: 60_000, intervalMs: 250 });

    const parser = new Daemon('parser', bin.parser, [
      '--input', `connect:tcp://127.0.0.1:${ports.collectorOut}`,
      '--output', `connect:tcp://127.0.0.1:${ports.writerIn}`,
      '--metrics-listen', `127.0.0.1:${ports.parserMetrics}`, ...parserArgs], logDir);
    stack.daemons.push(parser);
    const collector = new Daemon('collector', bin.collector, [
      '--udp', `127.0.0.1:${ports.hep}`, '--tcp', '',
      '--output', `bind:tcp://127.0.0.1:${ports.collectorOut}`,
      '--metrics-listen', `127.0.0.1:${ports.collectorMetrics}`,
      // The hostile corpus stores compressed messages up to ~1 MB: the default bound is 64 KiB.
      '--max-inflated-kb', '1024'], logDir);
    stack.daemons.push(collector);
    await waitFor('the parser', () => httpOk(`http://127.0.0.1:${ports.parserMetrics}/healthz`), { process: parser });
    await waitFor('the collector', () => httpOk(`http://127.0.0.1:${ports.collectorMetrics}/healthz`), { process: collector });

    const api = new Daemon('api', bin.api, apiArgs({ ports, dbArgs, sourceDir, adminPasswordFile }), logDir);
    stack.daemons.push(api);
    await waitFor('the api', () => httpOk(`${stack.baseUrl}/api/v1/health`), { process: api, timeoutMs: 60_000 });
    await waitFor('the admin password file', () => existsSync(adminPasswordFile) && readFileSync(adminPasswordFile, 'utf8').trim(),
      { process: api });
    stack.adminPassword = readFileSync(adminPasswordFile, 'utf8').trim();
  } catch (e) {
    const tails = stack.daemons.map((d) => `--- ${d.name} (${d.logPath})\n${d.logTail()}`).join('\n');
    await stopStack(stack);
    throw new Error(`${e.message}\n${tails}`);
  }
  return stack;
}

// The api's command line. Kept in one place because it is the part that follows sipvault-api's
// options (api/README.md).
function apiArgs({ ports, dbArgs, sourceDir, adminPasswordFile }) {
  return [
    '--listen', `127.0.0.1:${ports.http}`,
    '--metrics-listen', '',
    ...dbArgs,
    '--ui-dir', path.join(sourceDir, 'api', 'ui'),
    '--create-admin', 'admin',
    '--admin-password-file', adminPasswordFile,
  ];
}

// Sends HEP datagrams to the collector, a few at a time so the loopback socket buffer never
// overflows.
export async function sendHep(stack, packets) {
  const socket = dgram.createSocket('udp4');
  try {
    for (let i = 0; i < packets.length; i++) {
      await new Promise((resolve, reject) => socket.send(packets[i], stack.ports.hep, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
      if (i % 20 === 19) await sleep(5);
    }
  } finally {
    socket.close();
  }
}

// Sends SIP texts as HEP3 ([{from: {ip, port}, to, timeUs, text}], capture id 2001), logs the
// admin in through the REST api and waits until all of them are searchable. Returns the token.
export async function loadSip(stack, messages) {
  const { buildHep3 } = await import('./hep.mjs');
  await sendHep(stack, messages.map((m) => buildHep3({
    srcIp: m.from.ip, dstIp: m.to.ip, srcPort: m.from.port, dstPort: m.to.port,
    timeUs: m.timeUs, captureId: 2001, payload: m.text,
  })));
  const response = await fetch(`${stack.baseUrl}/api/v1/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: stack.adminPassword }),
  });
  const { token } = await response.json();
  await waitFor(`all ${messages.length} messages to be searchable`, async () => {
    const r = await fetch(`${stack.baseUrl}/api/v1/messages?limit=1000`, { headers: { Authorization: `Bearer ${token}` } });
    return r.ok && (await r.json()).items.length === messages.length;
  }, { timeoutMs: 60_000, intervalMs: 500 });
  return token;
}

export async function stopStack(stack) {
  // Upstream first so nothing is in flight when the writer drains.
  for (const name of ['api', 'collector', 'parser', 'writer']) {
    const daemon = stack.daemons.find((d) => d.name === name);
    if (daemon) await daemon.stop();
  }
  if (!process.env.SIPVAULT_KEEP_DB) {
    try {
      mariadb(stack.socket, `DROP DATABASE IF EXISTS ${stack.db}`);
    } catch {
      // the fixture server may already be gone
    }
  }
}
