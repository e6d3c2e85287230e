// SDP at a glance (issue 12, Missing 4): what an offer or answer says about the media, read from a
// message body (RFC 4566 / RFC 3264): per m= line the media type, the address and port RTP goes
// to (media c= over session c=), the codecs by name (a=rtpmap, else the static payload types of
// RFC 3551), and the direction (media a= over session a=, sendrecv when none). A port 0 stream is
// rejected; c=0.0.0.0 is an old-style hold (RFC 2543). Pure: text in, value out.

const STATIC_PT = {
  0: 'PCMU', 3: 'GSM', 4: 'G723', 5: 'DVI4', 6: 'DVI4', 7: 'LPC', 8: 'PCMA', 9: 'G722', 10: 'L16', 11: 'L16',
  12: 'QCELP', 13: 'CN', 14: 'MPA', 15: 'G728', 16: 'DVI4', 17: 'DVI4', 18: 'G729', 25: 'CelB', 26: 'JPEG',
  28: 'nv', 31: 'H261', 32: 'MPV', 33: 'MP2T', 34: 'H263',
};
const DIRECTIONS = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

// The SDP part of a body: the whole body, or the application/sdp part of a multipart one (from
// its "v=" line to the next boundary). '' when there is none.
export function sdpText(body) {
  const lines = String(body || '').split(/\r?\n/);
  const start = lines.findIndex((l) => /^v=\d/.test(l));
  if (start < 0) return '';
  const out = [];
  for (const line of lines.slice(start)) {
    if (line.startsWith('--')) break;
    out.push(line);
  }
  return out.some((l) => l.startsWith('m=')) ? out.join('\n') : '';
}

// {media: [{type, address, port, proto, codecs: [names], direction, rejected, hold}]} or null.
export function parseSdp(body) {
  const text = sdpText(body);
  if (!text) return null;
  let sessionAddress = '';
  let sessionDirection = '';
  const media = [];
  let m = null;
  for (const line of text.split('\n')) {
    const type = line[0];
    const value = line.slice(2).trim();
    if (line[1] !== '=') continue;
    if (type === 'm') {
      const [kind, port, proto, ...formats] = value.split(/\s+/);
      m = {
        type: kind || '?', port: Number.parseInt(port, 10) || 0, proto: proto || '', formats,
        address: '', direction: '', rtpmap: new Map(),
      };
      media.push(m);
    } else if (type === 'c') {
      const address = value.split(/\s+/)[2] || '';
      if (m) m.address = address.split('/')[0];
      else sessionAddress = address.split('/')[0];
    } else if (type === 'a') {
      if (DIRECTIONS.includes(value)) {
        if (m) m.direction = value;
        else sessionDirection = value;
      } else if (m && value.startsWith('rtpmap:')) {
        // "rtpmap:<pt> <encoding name>/<clock rate>[/<channels>]"
        const rm = /^rtpmap:(\d+)\s+(.+?)(?:\/\d+(?:\/\d+)?)?$/.exec(value);
        if (rm) m.rtpmap.set(rm[1], rm[2]);
      }
    }
  }
  if (!media.length) return null;
  return {
    media: media.map((x) => {
      const address = x.address || sessionAddress;
      return {
        type: x.type,
        address,
        port: x.port,
        proto: x.proto,
        codecs: x.formats.map((pt) => x.rtpmap.get(pt) || STATIC_PT[pt] || pt),
        direction: x.direction || sessionDirection || 'sendrecv',
        rejected: x.port === 0,
        hold: address === '0.0.0.0' || address === '::',
      };
    }),
  };
}

function hostPort(address, port) {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

// One line per stream: "audio 192.0.2.10:40000 PCMU PCMA telephone-event sendrecv",
// "video rejected (port 0)", "audio 0.0.0.0:40000 PCMU sendonly hold".
export function sdpLines(summary) {
  if (!summary) return [];
  return summary.media.map((x) => {
    if (x.rejected) return `${x.type} rejected (port 0)`;
    return [x.type, hostPort(x.address || '?', x.port), x.codecs.join(' '), x.direction, x.hold ? 'hold' : '']
      .filter(Boolean).join(' ');
  });
}

// The ladder's short form: the first active stream's address and first codecs, and its direction
// when not sendrecv: "192.0.2.10:40000 PCMU,PCMA,… sendonly".
export function sdpShort(summary) {
  if (!summary) return '';
  const active = summary.media.find((x) => !x.rejected) || summary.media[0];
  if (active.rejected) return `${active.type} rejected`;
  const codecs = active.codecs.slice(0, 3).join(',') + (active.codecs.length > 3 ? ',…' : '');
  const direction = active.direction !== 'sendrecv' ? ` ${active.direction}` : '';
  const more = summary.media.length > 1 ? ` +${summary.media.length - 1}` : '';
  return `${hostPort(active.address || '?', active.port)} ${codecs}${direction}${active.hold ? ' hold' : ''}${more}`;
}
