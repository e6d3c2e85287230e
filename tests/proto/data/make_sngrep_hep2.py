#!/usr/bin/env python3
# Makes sngrep16-hep2-udp.pcap (issue 12):
#   tests/proto/data/make_sngrep_hep2.py tests/proto/data/sngrep16-hep2-udp.pcap \
#       ../shared/corpus/pcap/sngrep_aaa.pcap:12 ../shared/corpus/pcap/sngrep_ipv6frag.pcap:4
# (the first 12 HEP packets sngrep sends for the IPv4 capture, the first 4 for the IPv6 one).
# Runs sngrep 1.6 (-N -q -I capture -H udp:127.0.0.1:PORT, eep.send.version 2) and writes what it
# sent as a pcap: Ethernet/IPv4/UDP 127.0.0.1 -> 127.0.0.1:9060, one frame per HEP datagram.
import os, socket, struct, subprocess, sys, tempfile, time
out, inputs = sys.argv[1], sys.argv[2:]
rc = tempfile.NamedTemporaryFile('w', suffix='.sngreprc', delete=False)
rc.write('set eep.send on\nset eep.send.version 2\nset eep.send.id 2002\n'); rc.close()
frames = []
for spec in inputs:
    path, count = spec.rsplit(':', 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('127.0.0.1', 0))
    env = dict(os.environ, SNGREPRC=rc.name, HOME=os.path.dirname(rc.name))
    subprocess.run(['sngrep', '-N', '-q', '-I', path, '-H', 'udp:127.0.0.1:%d' % s.getsockname()[1]], env=env, timeout=60, check=True)
    s.settimeout(1); got = []
    try:
        while True: got.append(s.recvfrom(70000)[0])
    except socket.timeout: pass
    frames += got[:int(count)]
os.unlink(rc.name)
def csum(h):
    t = sum(struct.unpack('!%dH' % (len(h) // 2), h)); t = (t >> 16) + (t & 0xffff); t += t >> 16
    return (~t) & 0xffff
with open(out, 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    t0 = 1796529849
    for i, hep in enumerate(frames):
        udp = struct.pack('!HHHH', 40000, 9060, 8 + len(hep), 0) + hep
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0, b'\x7f\0\0\1', b'\x7f\0\0\1')
        ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
        eth = b'\0' * 12 + b'\x08\x00'
        pkt = eth + ip + udp
        f.write(struct.pack('<IIII', t0 + i, 0, len(pkt), len(pkt)) + pkt)
print(len(frames), 'frames')
