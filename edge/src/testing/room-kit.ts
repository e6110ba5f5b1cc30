/**
 * Test kit for the room's pieces outside workerd (vitest `unit` project): a Durable Object SQLite
 * storage over Node's `node:sqlite`, connections that record their frames, a parsed default config
 * and a silent logger. Test code only.
 * @module
 */
// Internal: not exported from the package entry.
import { parseXml, type Element, type Logger } from '@edgemeet/protocol';
import { parseEdgeConfig, type EdgeConfig } from '../config.ts';
import type { Connection, ConnectionState } from '../xmpp/connection.ts';
import { RoomStore } from '../room/store.ts';

interface SqliteStatement { all(...params: unknown[]): Array<Record<string, SqlStorageValue>> }
interface SqliteDatabase { prepare(sql: string): SqliteStatement }
// A computed specifier: the edge's own typecheck has Workers types, not Node's.
const sqlite = (await import('node:sqlite' as string)) as { DatabaseSync: new (path: string) => SqliteDatabase };

/** A `SqlStorage` (the subset the room uses: `exec` with bindings, iteration, `toArray`, `one`) in memory. */
export function memorySql(): SqlStorage {
  const db = new sqlite.DatabaseSync(':memory:');
  const storage = {
    exec(query: string, ...bindings: unknown[]) {
      const rows = db.prepare(query).all(...bindings);
      return {
        [Symbol.iterator]: () => rows[Symbol.iterator](),
        toArray: () => rows,
        one: () => {
          if (rows.length !== 1) throw new Error(`expected one row, got ${rows.length}`);
          return rows[0];
        },
      };
    },
  };
  return storage as unknown as SqlStorage;
}

export function memoryStore(): RoomStore {
  return new RoomStore(memorySql());
}

export const silentLog: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLog };

export function testConfig(env: Record<string, string> = {}): EdgeConfig {
  return parseEdgeConfig({ BRIDGE_SECRET: 'test-bridge-secret-0123456789', ...env });
}

/** A connection that keeps what was sent on it; `stanzas()` parses the frames. */
export class RecordingConnection implements Connection {
  readonly state: ConnectionState;
  readonly frames: string[] = [];
  closed: { code?: number; reason?: string } | null = null;
  saves = 0;

  constructor(cid: string, room = 'r1') {
    this.state = { cid, stage: 'bind', room, token: null, node: cid, sid: null, ackRequested: false };
  }

  save(): void { this.saves += 1; }
  send(frame: string): void { this.frames.push(frame); }
  close(code?: number, reason?: string): void { this.closed = { code, reason }; }

  /** Frames parsed, from index `since` on. */
  stanzas(since = 0): Element[] {
    return this.frames.slice(since).map((f) => parseXml(f));
  }

  /** Forgets what was sent so far. */
  clear(): void { this.frames.length = 0; }
}
