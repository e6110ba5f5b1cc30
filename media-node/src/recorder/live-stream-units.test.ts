import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { OggOpusWriter, ivfFrame, ivfHeader, oggCrc } from './live-containers.ts';
import { PcmQueue, blitYuv, fillYuv, gridLayout, mixPcm, yuvBytes } from './live-compositor.ts';
import { StreamTargetError, liveStreamViewUrl, parseRtmpAllow, redactTarget, resolveStreamTarget, YOUTUBE_INGEST, type AllowedTarget } from './stream-target.ts';

function allowList(value: string): AllowedTarget[] {
  const parsed = parseRtmpAllow(value);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
}

describe('stream targets (Jibri: rtmp(s):// as is, else a YouTube key; an allow-list)', () => {
  const youtube = allowList('a.rtmp.youtube.com');
  it('sends a bare stream key to YouTube ingest', () => {
    expect(resolveStreamTarget('abcd-efgh-ijkl', youtube)).toBe(`${YOUTUBE_INGEST}abcd-efgh-ijkl`);
  });
  it('uses an rtmp:// or rtmps:// URL as it is, if its host is allowed', () => {
    const allow = allowList('127.0.0.1:1935, live.example.org');
    expect(resolveStreamTarget('rtmp://127.0.0.1:1935/live/test', allow)).toBe('rtmp://127.0.0.1:1935/live/test');
    expect(resolveStreamTarget('rtmp://127.0.0.1/live/test', allow)).toBe('rtmp://127.0.0.1/live/test');
    expect(resolveStreamTarget('rtmps://live.example.org/app/key', allow)).toBe('rtmps://live.example.org/app/key');
    expect(() => resolveStreamTarget('rtmp://127.0.0.1:1936/live/test', allow)).toThrow(/not in RECORDER_RTMP_ALLOW/);
  });
  it('refuses other hosts, other schemes, credentials, spaces and an empty id', () => {
    expect(() => resolveStreamTarget('rtmp://evil.example/live/x', youtube)).toThrow(StreamTargetError);
    expect(() => resolveStreamTarget('http://a.rtmp.youtube.com/live2/x', youtube)).toThrow(/nor a stream key/);
    expect(() => resolveStreamTarget('rtmp://u:p@a.rtmp.youtube.com/live2/x', youtube)).toThrow(/credentials/);
    expect(() => resolveStreamTarget('key with space', youtube)).toThrow(/spaces/);
    expect(() => resolveStreamTarget('', youtube)).toThrow(/no stream id/);
    expect(() => resolveStreamTarget('rtmp://a.rtmp.youtube.com/live2', youtube)).toThrow(/no application and stream key/);
  });
  it('parses the allow-list and names a bad entry', () => {
    expect(parseRtmpAllow('A.Example.org:1935 b.example.org')).toEqual([{ host: 'a.example.org', port: 1935 }, { host: 'b.example.org' }]);
    expect(parseRtmpAllow('a.example.org:99999')).toMatch(/bad entry/);
    expect(parseRtmpAllow('rtmp://a.example.org')).toMatch(/bad entry/);
  });
  it('hides the stream key in logs, and makes the YouTube viewing URL from a broadcast id', () => {
    expect(redactTarget('rtmp://a.rtmp.youtube.com/live2/secret-key')).toBe('rtmp://a.rtmp.youtube.com/live2/…');
    expect(liveStreamViewUrl('abc_DEF-1')).toBe('https://youtu.be/abc_DEF-1');
    expect(liveStreamViewUrl('bad id')).toBeUndefined();
    expect(liveStreamViewUrl(undefined)).toBeUndefined();
  });
});

describe('decoder containers', () => {
  it("computes Ogg's CRC (polynomial 0x04c11db7, initial 0, not reflected, no final xor)", () => {
    // That CRC's check value for "123456789".
    expect(oggCrc(Buffer.from('123456789')).toString(16)).toBe('89a1897f');
  });
  it('writes Ogg Opus pages that ffmpeg reads, and IVF frames that ffmpeg reads', () => {
    if (spawnSync('ffprobe', ['-version']).status !== 0) return;
    const ogg = new OggOpusWriter();
    // An Opus "silence" packet (TOC 0xf8: CELT FB 20 ms, one frame) repeated: 1 s.
    const pages = [ogg.header(), ...Array.from({ length: 50 }, (_, i) => ogg.packet(Buffer.from([0xf8, 0xff, 0xfe]), (i + 1) * 960))];
    const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,channels', '-of', 'csv=p=0', '-f', 'ogg', '-i', 'pipe:0'], { input: Buffer.concat(pages), encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('opus,2');
    const h = ivfHeader('vp8', 320, 240);
    expect(h.subarray(0, 4).toString()).toBe('DKIF');
    expect(h.subarray(8, 12).toString()).toBe('VP80');
    expect(ivfFrame(40, Buffer.from([1, 2, 3])).readBigInt64LE(4)).toBe(40n);
  });
});

describe('live compositor', () => {
  it('lays out a centred grid with even coordinates', () => {
    expect(gridLayout(1, 640, 360)).toEqual([{ x: 0, y: 0, w: 640, h: 360 }]);
    expect(gridLayout(3, 640, 360)).toEqual([
      { x: 0, y: 0, w: 320, h: 180 }, { x: 320, y: 0, w: 320, h: 180 }, { x: 0, y: 180, w: 320, h: 180 },
    ]);
    for (const t of gridLayout(5, 1280, 720)) expect([t.x % 2, t.y % 2, t.w % 2, t.h % 2]).toEqual([0, 0, 0, 0]);
  });
  it('copies a tile into its place in every plane', () => {
    const canvas = Buffer.alloc(yuvBytes(8, 4));
    fillYuv(canvas, 8, 4);
    const tile = { x: 4, y: 2, w: 4, h: 2 };
    const pic = Buffer.alloc(yuvBytes(4, 2));
    pic.fill(200, 0, 8);
    pic.fill(50, 8, 10);
    pic.fill(60, 10, 12);
    blitYuv(canvas, 8, 4, tile, pic);
    expect([...canvas.subarray(0, 32)]).toEqual([...Array(16).fill(16), 16, 16, 16, 16, 200, 200, 200, 200, 16, 16, 16, 16, 200, 200, 200, 200]);
    expect([...canvas.subarray(32, 40)]).toEqual([128, 128, 128, 128, 128, 128, 50, 50]);
    expect([...canvas.subarray(40, 48)]).toEqual([128, 128, 128, 128, 128, 128, 60, 60]);
    expect(() => blitYuv(canvas, 8, 4, tile, Buffer.alloc(3))).toThrow(RangeError);
  });
  it('mixes with clipping', () => {
    const a = Buffer.alloc(4);
    a.writeInt16LE(30000, 0);
    a.writeInt16LE(-100, 2);
    const b = Buffer.alloc(4);
    b.writeInt16LE(10000, 0);
    b.writeInt16LE(50, 2);
    const m = mixPcm([a, b], 4);
    expect([m.readInt16LE(0), m.readInt16LE(2)]).toEqual([32767, -50]);
    expect(mixPcm([], 4).equals(Buffer.alloc(4))).toBe(true);
  });
  it('plays a queue out after its start buffer, re-buffers when dry, and bounds its delay', () => {
    const q = new PcmQueue(10, 40, 192);
    q.push(Buffer.alloc(192 * 5));
    expect(q.take(192)).toBeNull();
    q.push(Buffer.alloc(192 * 5));
    expect(q.take(192 * 4)?.length).toBe(192 * 4);
    expect(q.take(192 * 7)).toBeNull();
    q.push(Buffer.alloc(192 * 100));
    expect(q.queuedBytes).toBeLessThanOrEqual(192 * 40);
    expect(q.dropped).toBeGreaterThan(0);
  });
});
