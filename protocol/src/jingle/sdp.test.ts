import { describe, expect, it } from 'vitest';
import { fixture } from '../fixtures.test-helper.ts';
import { parseJingle } from './jingle.ts';
import { jingleToSdp, sdpToJingleContents } from './sdp.ts';

describe('Jingle ↔ SDP', () => {
  it('jingleToSdp() of a session-initiate carries transport, codecs, sources and BUNDLE', () => {
    const sdp = jingleToSdp(parseJingle(fixture('session-initiate.xml')), { role: 'initiator' });
    expect(sdp).toContain('a=group:BUNDLE audio video');
    expect(sdp).toContain('m=audio 9 UDP/TLS/RTP/SAVPF 111 126');
    expect(sdp).toContain('a=ice-ufrag:q8w7e6');
    expect(sdp).toContain('a=setup:actpass');
    expect(sdp).toContain('a=candidate:1 1 udp 2130706431 192.0.2.10 10000 typ host generation 0');
    expect(sdp).toContain('a=fmtp:111 minptime=10;useinbandfec=1');
    expect(sdp).toContain('a=rtcp-fb:100 nack pli');
    expect(sdp).toContain('a=ssrc-group:FID 4001 4002');
    expect(sdp).toContain('a=ssrc:3001 msid:s-0a1b t-0a1b-a');
  });

  it('sdpToJingleContents() reads back what jingleToSdp() wrote', () => {
    const j = parseJingle(fixture('session-initiate.xml'));
    const { contents, groups } = sdpToJingleContents(jingleToSdp(j, { role: 'initiator' }), { creator: 'initiator' });
    expect(groups).toEqual(j.groups);
    expect(contents.map((c) => c.name)).toEqual(['audio', 'video']);
    const audio = contents[0]!;
    expect(audio.transport).toMatchObject({ ufrag: 'q8w7e6', pwd: 'z1x2c3v4b5n6m7l8k9j0h1g2', rtcpMux: true });
    expect(audio.transport?.fingerprints[0]).toMatchObject({ hash: 'sha-256', setup: 'actpass' });
    expect(audio.transport?.candidates[0]).toMatchObject({ ip: '192.0.2.10', port: 10000, type: 'host' });
    expect(audio.description?.payloadTypes.map((p) => [p.id, p.name, p.clockrate])).toEqual([[111, 'opus', 48000], [126, 'telephone-event', 8000]]);
    expect(contents[1]!.description?.sources.map((s) => s.ssrc)).toEqual([4001, 4002]);
    expect(contents[1]!.description?.groups).toEqual([{ semantics: 'FID', ssrcs: [4001, 4002] }]);
  });

  it('sdpToJingleContents() maps a browser-style answer: setup active, sendrecv, ssrc names', () => {
    const answer = ['v=0', 'o=- 5 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE audio',
      'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=ice-ufrag:abcd', 'a=ice-pwd:0123456789012345678901',
      'a=fingerprint:sha-256 AA:BB', 'a=setup:active', 'a=mid:audio', 'a=sendrecv', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2',
      'a=ssrc:777 cname:x', 'a=ssrc:777 name:ep-a0', 'a=candidate:9 1 udp 100 127.0.0.1 5000 typ host', ''].join('\r\n');
    const { contents } = sdpToJingleContents(answer, { creator: 'responder' });
    expect(contents[0]).toMatchObject({ name: 'audio', senders: 'both', creator: 'responder' });
    expect(contents[0]!.transport?.fingerprints).toEqual([{ hash: 'sha-256', value: 'AA:BB', setup: 'active' }]);
    expect(contents[0]!.description?.sources).toEqual([{ ssrc: 777, name: 'ep-a0' }]);
  });

  it('sdpToJingleContents() gives every SSRC the m-line\'s a=msid when the browser no longer writes it per SSRC (lib-jitsi-meet needs it)', () => {
    const answer = ['v=0', 'o=- 5 2 IN IP4 127.0.0.1', 's=-', 't=0 0',
      'm=video 9 UDP/TLS/RTP/SAVPF 100 96', 'a=mid:video', 'a=sendonly', 'a=msid:stream-1 track-1',
      'a=ssrc-group:FID 10 11', 'a=ssrc:10 cname:x', 'a=ssrc:11 cname:x', ''].join('\r\n');
    const { contents } = sdpToJingleContents(answer, { creator: 'responder' });
    expect(contents[0]!.description?.sources).toEqual([{ ssrc: 10, msid: 'stream-1 track-1' }, { ssrc: 11, msid: 'stream-1 track-1' }]);
  });
});
