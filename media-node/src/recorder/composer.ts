/**
 * The composed recording, after it ends: one MP4 (H.264 + AAC, Debian's ffmpeg) with a grid of
 * the participants present at each moment, each tile with the participant's name, and everyone's
 * audio mixed. Built from the manifest alone (the per-participant WebMs and when each started), so
 * a cut recording composes the same way. {@link composeFilterGraph} is pure; {@link compose} runs
 * ffmpeg with it.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Manifest } from './manifest.ts';

export interface ComposeOptions {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly fontFile: string;
  readonly ffmpegPath: string;
}

export interface ComposePlan {
  /** ffmpeg's inputs, in order (paths in the recording's directory). */
  readonly inputs: string[];
  readonly filterGraph: string;
  /** Name files drawtext reads (path → text): no escaping of names in the graph. */
  readonly textFiles: Map<string, string>;
  readonly durationS: number;
}

const even = (n: number) => Math.max(2, Math.floor(n / 2) * 2);

/** Filter option values: ffmpeg's filtergraph escaping (level 1 and 2) of what may appear in paths. */
function esc(value: string): string {
  return value.replace(/[\\':,;[\]]/g, (c) => `\\${c}`);
}

export function gridOf(n: number, width: number, height: number): { cols: number; rows: number; tileW: number; tileH: number } {
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  const rows = Math.max(1, Math.ceil(n / cols));
  return { cols, rows, tileW: even(width / cols), tileH: even(height / rows) };
}

/** Spans of the timeline with one set of participants present (by index into manifest.participants). */
export function segmentsOf(m: Manifest, durationMs: number): Array<{ startMs: number; endMs: number; present: number[] }> {
  const cuts = new Set<number>([0, durationMs]);
  for (const p of m.participants) {
    for (const r of p.presence) {
      for (const t of [r.joinedMs, r.leftMs ?? durationMs]) if (t > 0 && t < durationMs) cuts.add(Math.round(t));
    }
  }
  const points = [...cuts].sort((a, b) => a - b);
  const out: Array<{ startMs: number; endMs: number; present: number[] }> = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i]!, points[i + 1]!];
    if (b - a < 1) continue;
    const mid = (a + b) / 2;
    const present = m.participants.flatMap((p, k) => (p.presence.some((r) => r.joinedMs <= mid && (r.leftMs ?? durationMs) > mid) ? [k] : []));
    const last = out[out.length - 1];
    if (last && last.present.join() === present.join()) last.endMs = b;
    else out.push({ startMs: a, endMs: b, present });
  }
  return out;
}

export function composeFilterGraph(m: Manifest, textDir: string, o: Omit<ComposeOptions, 'ffmpegPath'>): ComposePlan {
  const durationMs = Math.max(1, m.durationMs ?? 0);
  const D = (durationMs / 1000).toFixed(3);
  const s = (ms: number) => (ms / 1000).toFixed(3);
  const inputs: string[] = [];
  const textFiles = new Map<string, string>();
  const graph: string[] = [];
  const segments = segmentsOf(m, durationMs);
  const maxPresent = Math.max(1, ...segments.map((x) => x.present.length));
  const render = gridOf(maxPresent, o.width, o.height);
  const audio: string[] = [];

  // Where each participant's tile is in each span: one overlay per participant and tile size,
  // moved (or put out of sight) by time expressions. Every branch is consumed at the same pace,
  // so nothing queues up however long the recording (a concat of spans would buffer whole spans).
  const placements = new Map<number, Map<string, Array<{ a: number; b: number; x: number; y: number }>>>();
  for (const seg of segments) {
    if (seg.present.length === 0) continue;
    const g = gridOf(seg.present.length, o.width, o.height);
    const x0 = Math.floor((o.width - g.cols * g.tileW) / 2);
    const y0 = Math.floor((o.height - g.rows * g.tileH) / 2);
    seg.present.forEach((k, n) => {
      const bySize = placements.get(k) ?? new Map<string, Array<{ a: number; b: number; x: number; y: number }>>();
      placements.set(k, bySize);
      const key = `${g.tileW}x${g.tileH}`;
      const list = bySize.get(key) ?? [];
      bySize.set(key, list);
      list.push({ a: seg.startMs / 1000, b: seg.endMs / 1000, x: x0 + (n % g.cols) * g.tileW, y: y0 + Math.floor(n / g.cols) * g.tileH });
    });
  }
  graph.push(`color=c=black:s=${o.width}x${o.height}:r=${o.fps}:d=${D}[canvas0]`);
  let canvas = 'canvas0';
  let overlays = 0;

  m.participants.forEach((p, k) => {
    type Span = { a: number; b: number; x: number; y: number };
    const sizes: Array<[string, Span[]]> = [...(placements.get(k) ?? new Map<string, Span[]>()).entries()];
    if (sizes.length === 0) return;
    let tile = `bg${k}`;
    graph.push(`color=c=0x1e1e1e:s=${render.tileW}x${render.tileH}:r=${o.fps}:d=${D}[${tile}]`);
    p.files.forEach((f, j) => {
      const index = inputs.push(f.file) - 1;
      const off = s(f.startMs);
      if (f.tracks.some((t) => t.kind === 'video')) {
        graph.push(`[${index}:v]setpts=PTS+${off}/TB,scale=${render.tileW}:${render.tileH}:force_original_aspect_ratio=decrease,`
          + `pad=${render.tileW}:${render.tileH}:(ow-iw)/2:(oh-ih)/2,setsar=1[pv${k}_${j}]`);
        graph.push(`[${tile}][pv${k}_${j}]overlay=eof_action=pass[t${k}_${j}]`);
        tile = `t${k}_${j}`;
      }
      if (f.tracks.some((t) => t.kind === 'audio')) {
        // Gaps in the file's timestamps (muted, lost) become silence; then the file moves to its start.
        graph.push(`[${index}:a]aresample=async=1:first_pts=0,adelay=${Math.max(0, Math.round(f.startMs))}:all=1[pa${k}_${j}]`);
        audio.push(`[pa${k}_${j}]`);
      }
    });
    const name = join(textDir, `name-${k}.txt`);
    textFiles.set(name, p.displayName ?? p.endpointId);
    const size = Math.max(12, Math.round(render.tileH / 14));
    graph.push(`[${tile}]drawtext=fontfile='${esc(o.fontFile)}':textfile='${esc(name)}':fontsize=${size}:fontcolor=white:box=1:boxcolor=black@0.55:boxborderw=${Math.round(size / 3)}:x=${size}:y=h-th-${size},`
      + `split=${sizes.length}${sizes.map((_, z) => `[n${k}_${z}]`).join('')}`);
    sizes.forEach(([wh, spans], z) => {
      const when = (v: 'x' | 'y') => spans.reduceRight((rest: string, sp: Span) => `if(gte(t,${sp.a.toFixed(3)})*lt(t,${sp.b.toFixed(3)}),${sp[v]},${rest})`, '-100000');
      const [w, h] = wh.split('x');
      graph.push(`[n${k}_${z}]scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2,setsar=1[z${k}_${z}]`);
      const next = `canvas${++overlays}`;
      graph.push(`[${canvas}][z${k}_${z}]overlay=x='${when('x')}':y='${when('y')}':eval=frame:eof_action=pass[${next}]`);
      canvas = next;
    });
  });
  graph.push(`[${canvas}]format=yuv420p[vout]`);
  if (audio.length === 0) graph.push(`anullsrc=r=48000:cl=stereo,atrim=duration=${D}[aout]`);
  else graph.push(`${audio.join('')}amix=inputs=${audio.length}:duration=longest:normalize=0,apad,atrim=duration=${D}[aout]`);
  return { inputs, filterGraph: graph.join(';\n'), textFiles, durationS: durationMs / 1000 };
}

export class ComposeError extends Error {
  override name = 'ComposeError';
}

/** Composes `<dir>/<outFile>` from the manifest's files; rejects with the end of ffmpeg's output on failure. */
export async function compose(dir: string, m: Manifest, outFile: string, o: ComposeOptions): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'edgemeet-compose-'));
  try {
    const plan = composeFilterGraph(m, work, o);
    for (const [path, text] of plan.textFiles) writeFileSync(path, text);
    const script = join(work, 'graph.txt');
    writeFileSync(script, plan.filterGraph);
    const tmpOut = join(dir, `.${outFile}.part.mp4`);
    const args = [
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
      ...plan.inputs.flatMap((f) => ['-i', join(dir, f)]),
      '-filter_complex_script', script, '-map', '[vout]', '-map', '[aout]',
      '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '23', '-r', String(o.fps), '-g', String(o.fps * 4),
      '-c:a', 'aac', '-b:a', '128k', '-ar', '48000', '-t', plan.durationS.toFixed(3), '-movflags', '+faststart', '-f', 'mp4', tmpOut,
    ];
    const stderr: string[] = [];
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(o.ffmpegPath, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr.on('data', (c: Buffer) => {
        stderr.push(String(c));
        if (stderr.length > 50) stderr.shift();
      });
      child.on('error', reject);
      child.on('exit', resolve);
    });
    if (code !== 0) {
      rmSync(tmpOut, { force: true });
      throw new ComposeError(`ffmpeg exited with ${code}: ${stderr.join('').slice(-2000)}`);
    }
    renameSync(tmpOut, join(dir, outFile));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
