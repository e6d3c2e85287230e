// Interop: sipvault-agent's HEP3, decoded by hep-js (npm, sipcapture's decoder; none of us
// wrote it). Runs the agent on a capture, receives on UDP, decapsulates every datagram with
// hepjs.decapsulate and compares with the truth that tshark extracted from the same capture.
//
//   node agent_hepjs_interop.js AGENT PCAP TRUTH_TSV EXPECTED_PROTO [agent args...]
//   TRUTH_TSV: one line per SIP message, "epoch_seconds<TAB>payload_hex" (tshark -T fields)
// Exit 0 when every message arrived once with the right payload bytes, time and fields.
'use strict';
const dgram = require('dgram');
const fs = require('fs');
const { spawn } = require('child_process');
const hepjs = require('hep-js');

const [agent, pcap, truthFile, proto, ...extra] = process.argv.slice(2);
const truth = fs.readFileSync(truthFile, 'utf8').split('\n').filter((l) => l.length).map((l) => {
  const [epoch, hex] = l.split('\t');
  const [sec, frac] = epoch.split('.');
  return { sec: Number(sec), usec: Number((frac + '000000').slice(0, 6)), hex };
});
const key = (m) => `${m.sec}.${m.usec}:${m.hex}`;
const want = new Map();
for (const m of truth) want.set(key(m), (want.get(key(m)) || 0) + 1);

const failures = [];
const check = (ok, what) => { if (!ok) failures.push(what); };
const received = [];
const sock = dgram.createSocket('udp4');
sock.on('message', (msg) => {
  const d = hepjs.decapsulate(msg);
  check(d !== false && d !== undefined, 'hep-js could not decode a datagram');
  if (d) received.push(d);
});

sock.bind(0, '127.0.0.1', () => {
  const port = sock.address().port;
  const args = ['-r', pcap, '-H', `udp:127.0.0.1:${port}`, '--capture-id', '4711', '--node-name', 'hepjs-node',
                '--auth-key', 'hepjs-key', ...extra];
  const child = spawn(agent, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  child.on('exit', (code) => {
    check(code === 0, `agent exited with ${code}`);
    setTimeout(finish, 500);  // let the last datagrams land (and duplicates show)
  });
});

function finish() {
  sock.close();
  const got = new Map();
  for (const d of received) {
    const r = d.rcinfo || {};
    check(r.protocolFamily === 2, `protocolFamily ${r.protocolFamily}`);
    check(r.protocol === Number(proto), `protocol ${r.protocol}`);
    check(r.payloadType === 1, `payloadType ${r.payloadType}`);
    check(r.captureId === 4711, `captureId ${r.captureId}`);
    check(r.hepNodeName === 'hepjs-node', `hepNodeName ${r.hepNodeName}`);
    check(r.capturePass === 'hepjs-key', `capturePass ${r.capturePass}`);
    check(/^\d+\.\d+\.\d+\.\d+$/.test(r.srcIp) && /^\d+\.\d+\.\d+\.\d+$/.test(r.dstIp), `ips ${r.srcIp} ${r.dstIp}`);
    check(r.srcPort > 0 && r.dstPort > 0, `ports ${r.srcPort} ${r.dstPort}`);
    // hep-js hands the payload over as a UTF-8 string; these SIP messages are ASCII.
    const k = key({ sec: r.timeSeconds, usec: r.timeUseconds, hex: Buffer.from(d.payload, 'utf8').toString('hex') });
    got.set(k, (got.get(k) || 0) + 1);
  }
  check(received.length === truth.length, `received ${received.length} HEP packets, tshark found ${truth.length} SIP`);
  for (const [k, n] of want) check(got.get(k) === n, `message ${k.slice(0, 60)}... arrived ${got.get(k) || 0}x, want ${n}x`);
  if (failures.length) {
    console.log(`FAIL ${pcap}:\n  ` + [...new Set(failures)].slice(0, 20).join('\n  '));
    process.exit(1);
  }
  console.log(`ok ${pcap}: ${received.length} HEP3 packets decoded by hep-js, payload bytes and times match tshark`);
}
