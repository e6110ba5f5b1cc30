/**
 * What happens to a recording's directory once its media is written, ended cleanly or cut:
 * checksums and durations in the manifest, the composed MP4 (Jibri's file name), Jibri's
 * metadata.json, and the finalize command run on the directory as Jibri runs its finalize script
 * (the directory as its one argument; its exit status is logged, never fatal).
 * @module
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.ts';
import { compose, type ComposeOptions } from './composer.ts';
import { composedFileName, jibriMetadata, METADATA_FILE, sha256File, writeManifest, type Manifest } from './manifest.ts';

export interface FinishOptions extends ComposeOptions {
  readonly compose: boolean;
  readonly finalizeCommand: string;
}

/** Probe of a composed file's duration; null if ffprobe is not there or cannot read it. */
async function probeDuration(path: string, ffmpegPath: string): Promise<number | null> {
  const ffprobe = ffmpegPath.replace(/ffmpeg$/, 'ffprobe');
  const out = await new Promise<string>((resolve) => {
    const child = spawn(ffprobe, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path], { stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.on('data', (c: Buffer) => { text += String(c); });
    child.on('error', () => resolve(''));
    child.on('exit', () => resolve(text));
  });
  const s = Number(out.trim());
  return out.trim() && Number.isFinite(s) ? Math.round(s * 1000) : null;
}

export async function finishRecording(dir: string, m: Manifest, o: FinishOptions, log: Logger): Promise<void> {
  for (const p of m.participants) {
    for (const f of p.files) {
      const path = join(dir, f.file);
      if (!existsSync(path)) continue;
      f.bytes = statSync(path).size;
      f.sha256 = await sha256File(path);
    }
  }
  const hasMedia = m.participants.some((p) => p.files.some((f) => (f.durationMs ?? 0) > 0));
  if (o.compose && hasMedia) {
    const file = composedFileName(m.room, Date.parse(m.startedAt));
    const started = performance.now();
    try {
      await compose(dir, m, file, o);
      const path = join(dir, file);
      m.composed = { file, bytes: statSync(path).size, sha256: await sha256File(path), durationMs: await probeDuration(path, o.ffmpegPath) };
      log.info('recording.composed', { file, ms: Math.round(performance.now() - started), durationMs: m.durationMs });
    } catch (err) {
      m.composeError = err instanceof Error ? err.message : String(err);
      log.error('recording.compose_failed', { err });
    }
  }
  const metadataPath = join(dir, METADATA_FILE);
  writeFileSync(metadataPath, `${JSON.stringify(jibriMetadata(m), null, 2)}\n`, { mode: 0o640 });
  m.metadata = { file: METADATA_FILE, sha256: await sha256File(metadataPath) };
  writeManifest(dir, m);
  if (o.finalizeCommand) await runFinalize(o.finalizeCommand, dir, log);
}

/** Runs the finalize command with the directory as its argument, as Jibri does; resolves when it exits. */
export async function runFinalize(command: string, dir: string, log: Logger): Promise<void> {
  await new Promise<void>((resolve) => {
    const child = spawn(command, [dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => { err = (err + String(c)).slice(-1000); });
    child.on('error', (e) => {
      log.error('recording.finalize_failed', { command, err: e });
      resolve();
    });
    child.on('exit', (code, signal) => {
      log.info('recording.finalized', { command, code, signal, ...(code ? { stderr: err } : {}) });
      resolve();
    });
  });
}
