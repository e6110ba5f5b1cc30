/**
 * Durable state of the Jibri brewery of a region: the recorders registered here with their
 * latest status and selection history (focus/src/jibri/jibri-detector.ts), and which room each
 * recording session belongs to (recorders' status IQs are routed back by it).
 * @module
 */
// Internal: not exported from the package entry.
import type { JibriInstance } from '@edgemeet/focus';

export interface RecorderRecord extends JibriInstance {
  /** Recorder id (its brewery nickname and JID local part). */
  readonly id: string;
  /** Full JID of the recorder's control session. */
  jid: string;
  busy: 'idle' | 'busy';
  health: 'healthy' | 'unhealthy';
  /** Connection id of its control connection. */
  cid: string;
  updatedAt: number;
}

export interface RecordingSessionRecord {
  readonly sessionId: string;
  readonly recorder: string;
  readonly room: string;
  readonly createdAt: number;
}

type Row = Record<string, SqlStorageValue>;
const num = (v: SqlStorageValue | undefined) => (v === null || v === undefined ? null : Number(v));

export class RecorderStore {
  readonly #sql: SqlStorage;
  readonly recorders = new Map<string, RecorderRecord>();

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS recorders (id TEXT PRIMARY KEY, jid TEXT NOT NULL, busy TEXT NOT NULL, health TEXT NOT NULL,
      cid TEXT NOT NULL, updated_at INTEGER NOT NULL, last_selected INTEGER, last_failed INTEGER)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS recording_sessions (session_id TEXT PRIMARY KEY, recorder TEXT NOT NULL, room TEXT NOT NULL,
      created_at INTEGER NOT NULL)`);
    for (const r of sql.exec<Row>('SELECT * FROM recorders')) {
      const busy = r.busy === 'idle' ? 'idle' : 'busy';
      const health = r.health === 'healthy' ? 'healthy' : 'unhealthy';
      this.recorders.set(String(r.id), {
        id: String(r.id), jid: String(r.jid), busy, health, available: busy === 'idle' && health === 'healthy',
        cid: String(r.cid), updatedAt: Number(r.updated_at), lastSelected: num(r.last_selected), lastFailed: num(r.last_failed),
      });
    }
  }

  put(r: RecorderRecord): void {
    this.recorders.set(r.id, r);
    this.#sql.exec(
      `INSERT OR REPLACE INTO recorders (id, jid, busy, health, cid, updated_at, last_selected, last_failed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id, r.jid, r.busy, r.health, r.cid, r.updatedAt, r.lastSelected, r.lastFailed,
    );
  }

  /** Forgets a recorder; returns its sessions (their rooms are told), which are forgotten too. */
  remove(id: string): RecordingSessionRecord[] {
    this.recorders.delete(id);
    const sessions = this.sessionsOf(id);
    this.#sql.exec(`DELETE FROM recorders WHERE id = ?`, id);
    this.#sql.exec(`DELETE FROM recording_sessions WHERE recorder = ?`, id);
    return sessions;
  }

  addSession(s: RecordingSessionRecord): void {
    this.#sql.exec(`INSERT OR REPLACE INTO recording_sessions (session_id, recorder, room, created_at) VALUES (?, ?, ?, ?)`,
      s.sessionId, s.recorder, s.room, s.createdAt);
  }

  removeSession(sessionId: string): void {
    this.#sql.exec(`DELETE FROM recording_sessions WHERE session_id = ?`, sessionId);
  }

  session(sessionId: string): RecordingSessionRecord | undefined {
    return this.#sessionsWhere('session_id = ?', sessionId)[0];
  }

  /** A recorder's sessions, newest first. */
  sessionsOf(recorder: string): RecordingSessionRecord[] {
    return this.#sessionsWhere('recorder = ?', recorder);
  }

  #sessionsWhere(where: string, value: string): RecordingSessionRecord[] {
    return this.#sql.exec<Row>(`SELECT * FROM recording_sessions WHERE ${where} ORDER BY created_at DESC`, value).toArray().map((r) => ({
      sessionId: String(r.session_id), recorder: String(r.recorder), room: String(r.room), createdAt: Number(r.created_at),
    }));
  }
}
