/**
 * Jingle ↔ SDP for clients built on WebRTC (jitsi-wire-protocol §4.6): a session-initiate becomes
 * a remote offer (one m-line per content, BUNDLE, ICE/DTLS from the transport, codecs, header
 * extensions, sources); a local answer becomes session-accept contents. lib-jitsi-meet additionally
 * "explodes" every remote SSRC into an m-line of its own for Chrome; one m-line per content is
 * enough for our test participants and the recorder, which read SSRCs from a=ssrc lines.
 * @module
 */
import type { Fingerprint, IceCandidate, IceUdpTransport, JingleContent, PayloadType, RtpDescription, SsrcGroup, SsrcSource } from './types.ts';

function direction(senders: JingleContent['senders'], role: 'initiator' | 'responder'): string {
  switch (senders ?? 'both') {
    case 'both': return 'sendrecv';
    case 'none': case 'rejected': return 'inactive';
    case 'initiator': return role === 'initiator' ? 'sendonly' : 'recvonly';
    case 'responder': return role === 'responder' ? 'sendonly' : 'recvonly';
  }
}

function candidateLine(c: IceCandidate): string {
  let line = `a=candidate:${c.foundation} ${c.component} ${c.protocol} ${c.priority} ${c.ip} ${c.port} typ ${c.type}`;
  if (c.relAddr !== undefined) line += ` raddr ${c.relAddr} rport ${c.relPort ?? 0}`;
  if (c.tcptype !== undefined) line += ` tcptype ${c.tcptype}`;
  return `${line} generation ${c.generation}`;
}

function payloadLines(pt: PayloadType): string[] {
  const lines = [`a=rtpmap:${pt.id} ${pt.name}/${pt.clockrate}${pt.channels && pt.channels !== 1 ? `/${pt.channels}` : ''}`];
  if (pt.parameters.length > 0) lines.push(`a=fmtp:${pt.id} ${pt.parameters.map((p) => (p.name === undefined ? p.value : `${p.name}=${p.value}`)).join(';')}`);
  for (const fb of pt.rtcpFeedback) lines.push(`a=rtcp-fb:${pt.id} ${fb.type}${fb.subtype ? ` ${fb.subtype}` : ''}`);
  return lines;
}

function sourceLines(sources: readonly SsrcSource[], groups: readonly SsrcGroup[]): string[] {
  const lines = groups.map((g) => `a=ssrc-group:${g.semantics} ${g.ssrcs.join(' ')}`);
  for (const s of sources) {
    lines.push(`a=ssrc:${s.ssrc} cname:${s.owner ?? 'edgemeet'}`);
    if (s.name) lines.push(`a=ssrc:${s.ssrc} name:${s.name}`);
    if (s.msid) lines.push(`a=ssrc:${s.ssrc} msid:${s.msid}`);
  }
  return lines;
}

/** An SDP offer (or answer, by `role` of the sender) from Jingle contents. */
export function jingleToSdp(
  session: { sid: string; contents: readonly JingleContent[]; groups: ReadonlyArray<{ semantics: string; contents: string[] }> },
  options: { role: 'initiator' | 'responder'; version?: number } = { role: 'initiator' },
): string {
  const lines = ['v=0', `o=- ${session.sid.replace(/\D/g, '').slice(0, 15) || '1'} ${options.version ?? 2} IN IP4 0.0.0.0`, 's=-', 't=0 0'];
  for (const g of session.groups) lines.push(`a=group:${g.semantics} ${g.contents.join(' ')}`);
  lines.push('a=msid-semantic: WMS *');
  for (const c of session.contents) {
    const d = c.description;
    const t = c.transport;
    const media = d?.media ?? 'application';
    lines.push(`m=${media} 9 UDP/TLS/RTP/SAVPF ${(d?.payloadTypes ?? []).map((p) => p.id).join(' ')}`, 'c=IN IP4 0.0.0.0', 'a=rtcp:1 IN IP4 0.0.0.0');
    if (t?.ufrag) lines.push(`a=ice-ufrag:${t.ufrag}`);
    if (t?.pwd) lines.push(`a=ice-pwd:${t.pwd}`);
    for (const fp of t?.fingerprints ?? []) lines.push(`a=fingerprint:${fp.hash} ${fp.value}`, `a=setup:${fp.setup ?? 'actpass'}`);
    for (const cand of t?.candidates ?? []) lines.push(candidateLine(cand));
    lines.push(`a=${direction(c.senders, options.role)}`, `a=mid:${c.name}`);
    if (d?.rtcpMux || t?.rtcpMux) lines.push('a=rtcp-mux');
    for (const pt of d?.payloadTypes ?? []) lines.push(...payloadLines(pt));
    for (const fb of d?.rtcpFeedback ?? []) lines.push(`a=rtcp-fb:* ${fb.type}${fb.subtype ? ` ${fb.subtype}` : ''}`);
    for (const h of d?.headerExtensions ?? []) lines.push(`a=extmap:${h.id} ${h.uri}`);
    if (d?.extmapAllowMixed) lines.push('a=extmap-allow-mixed');
    lines.push(...sourceLines(d?.sources ?? [], d?.groups ?? []));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function attr(line: string, name: string): string | undefined {
  return line.startsWith(`a=${name}:`) ? line.slice(name.length + 3) : undefined;
}

function parseCandidate(value: string): IceCandidate | undefined {
  const p = value.split(' ');
  if (p.length < 8 || p[6] !== 'typ') return undefined;
  const c: IceCandidate = {
    foundation: p[0]!, component: Number(p[1]), protocol: p[2]!.toLowerCase(), priority: Number(p[3]), ip: p[4]!, port: Number(p[5]),
    type: p[7]!, generation: 0,
  };
  for (let i = 8; i + 1 < p.length; i += 2) {
    if (p[i] === 'raddr') c.relAddr = p[i + 1];
    if (p[i] === 'rport') c.relPort = Number(p[i + 1]);
    if (p[i] === 'tcptype') c.tcptype = p[i + 1];
    if (p[i] === 'generation') c.generation = Number(p[i + 1]);
  }
  return c;
}

/** Jingle contents (and the BUNDLE group) from a local SDP, for session-accept or transport-info. */
export function sdpToJingleContents(sdp: string, options: { creator: 'initiator' | 'responder' }):
{ contents: JingleContent[]; groups: Array<{ semantics: string; contents: string[] }> } {
  const sections = sdp.split(/\r?\n(?=m=)/);
  const session = sections[0]!.split(/\r?\n/);
  const groups = session.flatMap((l) => {
    const v = attr(l, 'group');
    if (!v) return [];
    const [semantics, ...contents] = v.split(' ');
    return [{ semantics: semantics!, contents }];
  });
  const sessionUfrag = session.map((l) => attr(l, 'ice-ufrag')).find(Boolean);
  const sessionPwd = session.map((l) => attr(l, 'ice-pwd')).find(Boolean);
  const contents = sections.slice(1).map((section): JingleContent => {
    const lines = section.split(/\r?\n/).filter(Boolean);
    const [m] = lines;
    const [mediaField, , , ...pts] = m!.slice(2).split(' ');
    const media = mediaField === 'audio' || mediaField === 'video' ? mediaField : 'application';
    const payloadTypes = new Map<number, PayloadType>();
    for (const id of pts) payloadTypes.set(Number(id), { id: Number(id), name: '', clockrate: 0, parameters: [], rtcpFeedback: [] });
    const sources = new Map<number, SsrcSource>();
    const description: RtpDescription = {
      media, payloadTypes: [], headerExtensions: [], rtcpMux: false, extmapAllowMixed: false, sources: [], groups: [], rtcpFeedback: [],
    };
    const transport: IceUdpTransport = { fingerprints: [], candidates: [], rtcpMux: false, webSocketUrls: [], ufrag: sessionUfrag, pwd: sessionPwd };
    let mid = media as string;
    let senders: JingleContent['senders'] = 'both';
    const fingerprints: Fingerprint[] = [];
    let setup: string | undefined;
    let mediaMsid: string | undefined;
    for (const line of lines.slice(1)) {
      let v: string | undefined;
      if ((v = attr(line, 'mid')) !== undefined) mid = v;
      else if ((v = attr(line, 'msid')) !== undefined) mediaMsid = v;
      else if ((v = attr(line, 'ice-ufrag')) !== undefined) transport.ufrag = v;
      else if ((v = attr(line, 'ice-pwd')) !== undefined) transport.pwd = v;
      else if ((v = attr(line, 'fingerprint')) !== undefined) {
        const [hash = '', value = ''] = v.split(' ');
        fingerprints.push({ hash, value });
      } else if ((v = attr(line, 'setup')) !== undefined) setup = v;
      else if ((v = attr(line, 'candidate')) !== undefined) {
        const c = parseCandidate(v);
        if (c) transport.candidates.push(c);
      } else if (line === 'a=rtcp-mux') {
        description.rtcpMux = true;
        transport.rtcpMux = true;
      } else if (line === 'a=extmap-allow-mixed') description.extmapAllowMixed = true;
      else if ((v = attr(line, 'rtpmap')) !== undefined) {
        const [id, spec = ''] = v.split(' ');
        const [name = '', clock = '0', channels] = spec.split('/');
        const pt = payloadTypes.get(Number(id));
        if (pt) Object.assign(pt, { name, clockrate: Number(clock), ...(channels ? { channels: Number(channels) } : {}) });
      } else if ((v = attr(line, 'fmtp')) !== undefined) {
        const [id, params = ''] = [v.slice(0, v.indexOf(' ')), v.slice(v.indexOf(' ') + 1)];
        const pt = payloadTypes.get(Number(id));
        if (pt) pt.parameters = params.split(';').map((kv) => (kv.includes('=') ? { name: kv.slice(0, kv.indexOf('=')).trim(), value: kv.slice(kv.indexOf('=') + 1) } : { value: kv }));
      } else if ((v = attr(line, 'rtcp-fb')) !== undefined) {
        const [id, type = '', subtype] = v.split(' ');
        const fb = subtype ? { type, subtype } : { type };
        if (id === '*') description.rtcpFeedback.push(fb);
        else payloadTypes.get(Number(id))?.rtcpFeedback.push(fb);
      } else if ((v = attr(line, 'extmap')) !== undefined) {
        const [idDir = '', uri = ''] = v.split(' ');
        description.headerExtensions.push({ id: Number(idDir.split('/')[0]), uri });
      } else if ((v = attr(line, 'ssrc-group')) !== undefined) {
        const [semantics = '', ...ssrcs] = v.split(' ');
        description.groups.push({ semantics, ssrcs: ssrcs.map(Number) });
      } else if ((v = attr(line, 'ssrc')) !== undefined) {
        const space = v.indexOf(' ');
        const ssrc = Number(v.slice(0, space));
        const [key, ...rest] = v.slice(space + 1).split(':');
        const value = rest.join(':');
        const s = sources.get(ssrc) ?? { ssrc };
        if (key === 'name') s.name = value;
        if (key === 'msid') s.msid = value;
        sources.set(ssrc, s);
      } else if (['a=sendrecv', 'a=sendonly', 'a=recvonly', 'a=inactive'].includes(line)) {
        const dir = line.slice(2);
        const mine = options.creator;
        const other = mine === 'initiator' ? 'responder' : 'initiator';
        senders = dir === 'sendrecv' ? 'both' : dir === 'inactive' ? 'none' : dir === 'sendonly' ? mine : other;
      }
    }
    transport.fingerprints = fingerprints.map((f) => (setup ? { ...f, setup } : f));
    description.payloadTypes = [...payloadTypes.values()];
    // Current Chrome names the stream and track once per m-line (a=msid), no longer per SSRC.
    description.sources = [...sources.values()].map((s) => (s.msid === undefined && mediaMsid !== undefined ? { ...s, msid: mediaMsid } : s));
    return { creator: options.creator, name: mid, senders, description, transport };
  });
  return { contents, groups };
}
