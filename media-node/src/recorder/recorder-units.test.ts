import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JitterBuffer } from './jitter-buffer.ts';
import { WebmWriter, repairWebm } from './webm-writer.ts';

const haveFfprobe = spawnSync('ffprobe', ['-version']).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'edgemeet-webm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function probe(path: string): { streams: Array<{ codec_name: string; nb_read_packets?: string; width?: number }>; format: { duration?: string } } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_packets', '-show_streams', '-show_format', '-of', 'json', path], { encoding: 'utf8' });
  return JSON.parse(r.stdout);
}

describe('JitterBuffer', () => {
  it('pull() releases reordered packets in order and gives a gap up after the latency', () => {
    const jb = new JitterBuffer<number>({ latencyMs: 100 });
    jb.push(65_534, 1, 0);
    jb.push(0, 3, 1); // 65535 missing, wrapped
    expect(jb.pull(2).map((o) => o.kind)).toEqual(['packet']);
    expect(jb.nacks(2)).toEqual([65_535]);
    jb.push(65_535, 2, 10);
    expect(jb.pull(11).flatMap((o) => (o.kind === 'packet' ? [o.packet] : []))).toEqual([2, 3]);
    jb.push(3, 5, 20); // 1, 2 missing
    expect(jb.pull(50)).toEqual([]);
    expect(jb.pull(121)).toEqual([{ kind: 'lost', from: 131_072 + 1, count: 2 }, { kind: 'packet', seq: 131_072 + 3, packet: 5 }]);
    jb.push(1, 9, 130);
    expect(jb.late).toBe(1);
  });
});

describe.skipIf(!haveFfprobe)('WebmWriter', () => {
  const frames = (w: WebmWriter, seconds: number) => {
    for (let ms = 0; ms < seconds * 1000; ms += 20) {
      w.add(1, ms, Buffer.from([0xfc, 0xff, 0xfe]), true); // an Opus TOC byte and two bytes of data
      if (ms % 100 === 0) w.add(2, ms, Buffer.concat([Buffer.from([ms % 1000 === 0 ? 0x10 : 0x11, 0, 0, 0x9d, 0x01, 0x2a, 64, 1, 48, 0]), Buffer.alloc(20)]), ms % 1000 === 0);
      w.writeUntil(ms - 200);
    }
  };

  it('close() leaves a WebM ffprobe reads, with its Duration', () => {
    const path = join(dir, 'clean.webm');
    const w = new WebmWriter({ path, tracks: [{ kind: 'audio', codec: 'opus' }, { kind: 'video', codec: 'vp8', width: 320, height: 240 }], title: 't', startedAtMs: Date.now(), clusterMs: 1000 });
    frames(w, 5);
    const summary = w.close();
    const p = probe(path);
    expect(p.streams.map((s) => s.codec_name)).toEqual(['opus', 'vp8']);
    expect(p.streams[1]!.width).toBe(320);
    expect(Number(p.streams[0]!.nb_read_packets)).toBe(250);
    expect(Number(p.format.duration)).toBeCloseTo(summary.durationMs / 1000, 2);
  });

  it('repairWebm() cuts a cluster a kill interrupted and writes the Duration', () => {
    const path = join(dir, 'cut.webm');
    const w = new WebmWriter({ path, tracks: [{ kind: 'audio', codec: 'opus' }], title: 't', startedAtMs: Date.now(), clusterMs: 1000 });
    frames(w, 5); // never closed: as after kill -9
    const size = statSync(path).size;
    truncateSync(path, size - 7);
    const r = repairWebm(path);
    expect(r.truncatedBytes).toBeGreaterThan(0);
    expect(r.durationMs).toBeGreaterThan(2500);
    const p = probe(path);
    expect(Number(p.format.duration)).toBeCloseTo(r.durationMs / 1000, 2);
    expect(Number(p.streams[0]!.nb_read_packets)).toBe(Math.round(r.durationMs / 20));
  });
});
