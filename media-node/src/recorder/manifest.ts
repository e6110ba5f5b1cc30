/**
 * A recording's directory, as Jibri lays it out (`<RECORDINGS_DIR>/<session_id>/`, the composed
 * `<room>_<yyyy-MM-dd-HH-mm-ss>.mp4`, `metadata.json`) plus our `manifest.json`: room, session,
 * initiator, start and end, every participant's joins, leaves and files with durations and
 * SHA-256 checksums, and how it ended. The manifest is rewritten (atomically) whenever it changes
 * while recording, with `ended: null`; a directory whose manifest still says so after its
 * recorder is gone was cut (see repair.ts).
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PartInfo } from './participant-recording.ts';

export const MANIFEST_FILE = 'manifest.json';
export const METADATA_FILE = 'metadata.json';

export interface ManifestFile extends PartInfo {
  sha256: string | null;
}

export interface ManifestParticipant {
  readonly endpointId: string;
  displayName: string | null;
  /** Session-timeline ms; leftMs null while present. */
  readonly presence: Array<{ joinedMs: number; leftMs: number | null }>;
  files: ManifestFile[];
}

export interface Manifest {
  readonly version: 1;
  readonly recorder: string;
  /** Process that writes it while recording (pid), so that a restart tells its own dead recordings. */
  readonly pid: number;
  readonly room: string;
  readonly roomJid: string;
  readonly sessionId: string;
  readonly mode: 'file' | 'stream';
  readonly initiator: string | null;
  readonly meetingUrl: string;
  readonly startedAt: string;
  endedAt: string | null;
  durationMs: number | null;
  /** null while recording; 'cut' when it did not end by itself (the recorder was killed). */
  ended: 'cleanly' | 'cut' | null;
  endReason: string | null;
  participants: ManifestParticipant[];
  composed: { file: string; bytes: number; sha256: string; durationMs: number | null } | null;
  composeError: string | null;
  metadata: { file: string; sha256: string } | null;
  /** app_data's file_recording_metadata, as given. */
  readonly fileRecordingMetadata: Record<string, unknown> | null;
}

/** Writes the manifest so that a reader (or a kill) never sees half of it. */
export function writeManifest(dir: string, m: Manifest): void {
  const tmp = join(dir, `.${MANIFEST_FILE}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(m, null, 2)}\n`, { mode: 0o640 });
  renameSync(tmp, join(dir, MANIFEST_FILE));
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Jibri's `<callName>_<yyyy-MM-dd-HH-mm-ss>.mp4` (its FileSink, local time of the start). */
export function composedFileName(room: string, startedAtMs: number): string {
  const d = new Date(startedAtMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${room.replace(/[^a-zA-Z0-9_.-]/g, '_')}_${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}-${p(d.getHours())}-${p(d.getMinutes())}-${p(d.getSeconds())}.mp4`;
}

/** Jibri's directory name for a session id (anything outside [a-zA-Z0-9_-] becomes '_'). */
export function sessionDirName(sessionId: string): string {
  return sessionId.replace(/[^a-zA-Z0-9_-]/g, '_');
}

/** Jibri's metadata.json: meeting_url, participants, and file_recording_metadata's keys at the top level. */
export function jibriMetadata(m: Manifest): Record<string, unknown> {
  // Jibri's order: its two properties, then the extra keys (Jackson's @JsonAnyGetter).
  const extra = Object.entries(m.fileRecordingMetadata ?? {}).filter(([k]) => k !== 'meeting_url' && k !== 'participants');
  return {
    meeting_url: m.meetingUrl,
    participants: m.participants.map((p) => ({ id: p.endpointId, ...(p.displayName ? { name: p.displayName } : {}) })),
    ...Object.fromEntries(extra),
  };
}
