// A tiny classic-pcap reader: enough to replay the UDP payloads (HEP datagrams) of a corpus
// capture. Layout (all fields in the file's byte order, told by the magic):
//
//   global header, 24 bytes:
//     magic u32 (a1b2c3d4 µs / a1b23c4d ns) | version u16,u16 | thiszone i32 | sigfigs u32
//     | snaplen u32 | linktype u32 (1 = Ethernet, 113 = Linux cooked, 0 = BSD loopback)
//   then per record, 16 bytes + data:
//     ts_sec u32 | ts_frac u32 (µs or ns) | incl_len u32 | orig_len u32 | incl_len bytes
//
//   Ethernet: dst(6) src(6) [0x8100 tag(2)]* ethertype(2) | IPv4: ver/ihl, ..., proto @9,
//   src @12, dst @16, header = ihl*4 | UDP: sport(2) dport(2) len(2) csum(2) payload
import { readFileSync } from 'node:fs';

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

// Returns [{timeUs, srcIp, dstIp, srcPort, dstPort, payload: Buffer}] for every IPv4/UDP packet
// (unfragmented); other packets are skipped. Throws on a file that is not classic pcap.
export function readUdpPayloads(path) {
  const file = readFileSync(path);
  if (file.length < 24) throw new Error(`${path}: too short for a pcap header`);
  let le;
  let nano;
  const magicLe = file.readUInt32LE(0);
  const magicBe = file.readUInt32BE(0);
  if (magicLe === MAGIC_US || magicLe === MAGIC_NS) {
    le = true;
    nano = magicLe === MAGIC_NS;
  } else if (magicBe === MAGIC_US || magicBe === MAGIC_NS) {
    le = false;
    nano = magicBe === MAGIC_NS;
  } else {
    throw new Error(`${path}: not a classic pcap file (pcapng is not supported here)`);
  }
  const u32 = (offset) => (le ? file.readUInt32LE(offset) : file.readUInt32BE(offset));
  const linktype = u32(20);
  const packets = [];
  let offset = 24;
  while (offset + 16 <= file.length) {
    const sec = u32(offset);
    const frac = u32(offset + 4);
    const inclLen = u32(offset + 8);
    const start = offset + 16;
    const end = start + inclLen;
    if (end > file.length) break; // truncated last record
    const frame = file.subarray(start, end);
    offset = end;
    const udp = udpFromFrame(frame, linktype);
    if (!udp) continue;
    packets.push({ timeUs: sec * 1e6 + (nano ? Math.floor(frac / 1000) : frac), ...udp });
  }
  return packets;
}

function udpFromFrame(frame, linktype) {
  let ip;
  if (linktype === 1) {
    let p = 12;
    let type = frame.length >= 14 ? frame.readUInt16BE(12) : 0;
    while ((type === 0x8100 || type === 0x88a8) && frame.length >= p + 6) {
      p += 4;
      type = frame.readUInt16BE(p);
    }
    if (type !== 0x0800) return null;
    ip = frame.subarray(p + 2);
  } else if (linktype === 113) {
    if (frame.length < 16 || frame.readUInt16BE(14) !== 0x0800) return null;
    ip = frame.subarray(16);
  } else if (linktype === 0) {
    if (frame.length < 4 || frame.readUInt32LE(0) !== 2) return null;
    ip = frame.subarray(4);
  } else {
    throw new Error(`unsupported pcap link type ${linktype}`);
  }
  if (ip.length < 20 || ip[0] >> 4 !== 4) return null;
  const ihl = (ip[0] & 0x0f) * 4;
  const totalLen = ip.readUInt16BE(2);
  const fragment = ip.readUInt16BE(6) & 0x3fff;
  if (ip[9] !== 17 || fragment !== 0 || ihl < 20 || ip.length < ihl + 8) return null;
  const udp = ip.subarray(ihl, Math.min(ip.length, totalLen));
  const udpLen = udp.readUInt16BE(4);
  return {
    srcIp: [...ip.subarray(12, 16)].join('.'),
    dstIp: [...ip.subarray(16, 20)].join('.'),
    srcPort: udp.readUInt16BE(0),
    dstPort: udp.readUInt16BE(2),
    payload: Buffer.from(udp.subarray(8, Math.min(udp.length, udpLen))),
  };
}
