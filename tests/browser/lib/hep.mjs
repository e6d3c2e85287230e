// HEPv3 building and chunk editing for the browser tests (layout: proto/hep_codec.h).
//
//   "HEP3" | total length u16 (whole packet) | chunks...
//   chunk: vendor u16 | type u16 | length u16 (incl. these 6 bytes) | value
//   generic (vendor 0) types used here: 1 family u8 (2 = IPv4), 2 ip proto u8, 3/4 IPv4 src/dst,
//   7/8 src/dst port u16, 9 ts sec u32, 10 ts usec u32, 11 payload type u8 (1 = SIP),
//   12 capture id u32, 15 payload, 16 compressed payload (zlib), 17 correlation id, 19 node name
// All integers big-endian.
import { deflateSync } from 'node:zlib';

function chunk(type, value) {
  const header = Buffer.alloc(6);
  header.writeUInt16BE(0, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt16BE(6 + value.length, 4);
  return Buffer.concat([header, value]);
}
const u8 = (n) => Buffer.from([n]);
const u16 = (n) => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const ipv4 = (text) => Buffer.from(text.split('.').map(Number));

// One HEP3 packet carrying `payload` (Buffer or string, sent as is) as SIP over IPv4 (UDP unless
// `ipProto` says otherwise). Optional: `correlationId` (chunk 17) and `node` (chunk 19) as Buffers,
// and `compress` (the payload zlib-deflated in chunk 16, for messages over HEP's 16-bit length).
export function buildHep3({ srcIp, dstIp, srcPort, dstPort, timeUs, captureId = 0, payload, ipProto = 17,
  correlationId = null, node = null, compress = false }) {
  const bytes = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'latin1');
  const body = Buffer.concat([
    chunk(1, u8(2)),
    chunk(2, u8(ipProto)),
    chunk(3, ipv4(srcIp)),
    chunk(4, ipv4(dstIp)),
    chunk(7, u16(srcPort)),
    chunk(8, u16(dstPort)),
    chunk(9, u32(Math.floor(timeUs / 1e6))),
    chunk(10, u32(timeUs % 1e6)),
    chunk(11, u8(1)),
    chunk(12, u32(captureId)),
    ...(correlationId ? [chunk(17, correlationId)] : []),
    ...(node ? [chunk(19, node)] : []),
    compress ? chunk(16, deflateSync(bytes, { level: 9 })) : chunk(15, bytes),
  ]);
  if (body.length + 6 > 0xffff) throw new Error('HEP3 packet too large');
  const head = Buffer.alloc(6);
  head.write('HEP3', 0, 'latin1');
  head.writeUInt16BE(body.length + 6, 4);
  return Buffer.concat([head, body]);
}

// Walks the generic chunks of a HEP3 packet: [{type, vendor, offset (of the value), length}].
export function hep3Chunks(packet) {
  if (packet.length < 6 || packet.toString('latin1', 0, 4) !== 'HEP3') throw new Error('not HEP3');
  const total = Math.min(packet.readUInt16BE(4), packet.length);
  const chunks = [];
  let p = 6;
  while (p + 6 <= total) {
    const vendor = packet.readUInt16BE(p);
    const type = packet.readUInt16BE(p + 2);
    const length = packet.readUInt16BE(p + 4);
    if (length < 6 || p + length > total) throw new Error(`bad HEP3 chunk at ${p}`);
    chunks.push({ vendor, type, offset: p + 6, length: length - 6 });
    p += length;
  }
  return chunks;
}

// The capture time (chunks 9 + 10) of a HEP3 packet, in µs.
export function hep3TimeUs(packet) {
  let sec = null;
  let usec = 0;
  for (const c of hep3Chunks(packet)) {
    if (c.vendor !== 0) continue;
    if (c.type === 9 && c.length === 4) sec = packet.readUInt32BE(c.offset);
    if (c.type === 10 && c.length === 4) usec = packet.readUInt32BE(c.offset);
  }
  if (sec === null) throw new Error('HEP3 packet without a timestamp chunk');
  return sec * 1e6 + usec;
}

// A copy of a HEP3 packet with its capture time (chunks 9 + 10) set to `timeUs`; every other
// byte is kept.
export function withHep3Time(packet, timeUs) {
  const copy = Buffer.from(packet);
  for (const c of hep3Chunks(copy)) {
    if (c.vendor !== 0) continue;
    if (c.type === 9 && c.length === 4) copy.writeUInt32BE(Math.floor(timeUs / 1e6), c.offset);
    if (c.type === 10 && c.length === 4) copy.writeUInt32BE(timeUs % 1e6, c.offset);
  }
  return copy;
}

// The SIP payload (chunk 15) of a HEP3 packet.
export function hep3Payload(packet) {
  const c = hep3Chunks(packet).find((x) => x.vendor === 0 && x.type === 15);
  return c ? packet.subarray(c.offset, c.offset + c.length) : Buffer.alloc(0);
}

// The IPv4 addresses and ports (chunks 3, 4, 7, 8) of a HEP3 packet as "ip:port" strings.
export function hep3Endpoints(packet) {
  let srcIp = '';
  let dstIp = '';
  let srcPort = 0;
  let dstPort = 0;
  for (const c of hep3Chunks(packet)) {
    if (c.vendor !== 0) continue;
    const value = packet.subarray(c.offset, c.offset + c.length);
    if (c.type === 3 && c.length === 4) srcIp = [...value].join('.');
    if (c.type === 4 && c.length === 4) dstIp = [...value].join('.');
    if (c.type === 7 && c.length === 2) srcPort = value.readUInt16BE(0);
    if (c.type === 8 && c.length === 2) dstPort = value.readUInt16BE(0);
  }
  return { src: `${srcIp}:${srcPort}`, dst: `${dstIp}:${dstPort}` };
}
