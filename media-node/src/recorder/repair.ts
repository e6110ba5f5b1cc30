/**
 * Recordings this recorder left unfinished (the process was killed: manifest `ended` null, written
 * by another pid): on start, each is marked `cut`, its WebMs made whole (repairWebm: the last,
 * interrupted cluster cut off, Duration written), the manifest's file spans and the recording's
 * end taken from what the files hold, then it is composed and finalized like any recording.
 * A directory that fails is logged and left as it is; it never stops the recorder from starting.
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import { finishRecording } from './finish.ts';
import { MANIFEST_FILE, writeManifest, type Manifest } from './manifest.ts';
import type { RecorderConfig } from './recorder-config.ts';
import { repairWebm } from './webm-writer.ts';

/** Repairs one cut directory; returns its manifest. */
export async function repairRecording(dir: string, config: RecorderConfig, log: Logger): Promise<Manifest> {
  const m = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
  let endMs = 0;
  for (const p of m.participants) {
    for (const f of p.files) {
      const path = join(dir, f.file);
      if (!existsSync(path)) continue;
      const r = repairWebm(path);
      f.durationMs = r.durationMs;
      f.endMs = f.startMs + r.durationMs;
      f.bytes = statSync(path).size;
      endMs = Math.max(endMs, f.endMs);
      log.info('recording.repaired_file', { file: f.file, durationMs: r.durationMs, truncatedBytes: r.truncatedBytes });
    }
  }
  for (const p of m.participants) for (const r of p.presence) r.leftMs ??= endMs;
  m.ended = 'cut';
  m.endReason = 'the recorder was stopped before the recording ended (killed or crashed); repaired on its restart';
  m.durationMs = endMs;
  m.endedAt = new Date(Date.parse(m.startedAt) + endMs).toISOString();
  writeManifest(dir, m);
  await finishRecording(dir, m, { ...config, width: config.composeWidth, height: config.composeHeight, fps: config.composeFps }, log);
  return m;
}

/** Every unfinished recording of this recorder (`config.recorderId`) in RECORDINGS_DIR, repaired. */
export async function repairRecordings(config: RecorderConfig, log: Logger): Promise<number> {
  if (!existsSync(config.recordingsDir)) return 0;
  let repaired = 0;
  for (const name of readdirSync(config.recordingsDir)) {
    const dir = join(config.recordingsDir, name);
    try {
      if (!existsSync(join(dir, MANIFEST_FILE))) continue;
      const m = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as Manifest;
      if (m.recorder !== config.recorderId || m.ended !== null || m.pid === process.pid) continue;
      log.warn('recording.cut', { dir, session: m.sessionId, room: m.room });
      await repairRecording(dir, config, log);
      repaired++;
    } catch (err) {
      log.error('recording.repair_failed', { dir, err });
    }
  }
  return repaired;
}
