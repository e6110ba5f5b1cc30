/**
 * Durable state of a Registry Durable Object: the media nodes registered in this region with
 * their latest stats, and which rooms have conferences on which node (to tell those rooms
 * when the node goes away).
 * @module
 */
// Internal: not exported from the package entry.
import type { BridgeStats } from '@edgemeet/protocol';

export interface BridgeRecord {
  /** Node id (its brewery nickname and JID local part). */
  readonly id: string;
  /** Full JID of the node's control session. */
  jid: string;
  stats: BridgeStats;
  /** Connection id of the live control connection; null while disconnected. */
  cid: string | null;
  /** Last presence, epoch ms. */
  updatedAt: number;
  /** When the control connection dropped, epoch ms. */
  disconnectedAt: number | null;
}

type Row = Record<string, SqlStorageValue>;

/**
 * One Durable Object instance owns its SQLite database, so within it nothing contends; writes
 * that belong together still go in one transaction (`ctx.storage.transactionSync`). The
 * `SQLITE_BUSY` once seen here came from two local workerd processes sharing `.wrangler/state`
 * (two instances of this object on one file), which scripts/state-lock.mjs now prevents.
 */
export class RegistryStore {
  readonly #sql: SqlStorage;
  readonly #transaction: <T>(fn: () => T) => T;
  readonly bridges = new Map<string, BridgeRecord>();

  constructor(sql: SqlStorage, transaction: <T>(fn: () => T) => T = (fn) => fn()) {
    this.#sql = sql;
    this.#transaction = transaction;
    sql.exec(`CREATE TABLE IF NOT EXISTS bridges (id TEXT PRIMARY KEY, jid TEXT NOT NULL, stats TEXT NOT NULL, cid TEXT,
      updated_at INTEGER NOT NULL, disconnected_at INTEGER)`);
    sql.exec(`CREATE TABLE IF NOT EXISTS placements (bridge TEXT NOT NULL, room TEXT NOT NULL, PRIMARY KEY (bridge, room))`);
    for (const r of sql.exec<Row>('SELECT * FROM bridges')) {
      this.bridges.set(String(r.id), {
        id: String(r.id), jid: String(r.jid), stats: JSON.parse(String(r.stats)) as BridgeStats,
        cid: r.cid === null ? null : String(r.cid), updatedAt: Number(r.updated_at),
        disconnectedAt: r.disconnected_at === null ? null : Number(r.disconnected_at),
      });
    }
  }

  put(b: BridgeRecord): void {
    this.bridges.set(b.id, b);
    this.#sql.exec(
      `INSERT OR REPLACE INTO bridges (id, jid, stats, cid, updated_at, disconnected_at) VALUES (?, ?, ?, ?, ?, ?)`,
      b.id, b.jid, JSON.stringify(b.stats), b.cid, b.updatedAt, b.disconnectedAt,
    );
  }

  /** Forgets a node; returns the rooms that had conferences on it. */
  remove(id: string): string[] {
    this.bridges.delete(id);
    return this.#transaction(() => {
      const rooms = this.rooms(id);
      this.#sql.exec(`DELETE FROM bridges WHERE id = ?`, id);
      this.#sql.exec(`DELETE FROM placements WHERE bridge = ?`, id);
      return rooms;
    });
  }

  place(bridge: string, room: string): void {
    this.#sql.exec(`INSERT OR IGNORE INTO placements (bridge, room) VALUES (?, ?)`, bridge, room);
  }

  unplace(bridge: string, room: string): void {
    this.#sql.exec(`DELETE FROM placements WHERE bridge = ? AND room = ?`, bridge, room);
  }

  rooms(bridge: string): string[] {
    return this.#sql.exec<Row>(`SELECT room FROM placements WHERE bridge = ?`, bridge).toArray().map((r) => String(r.room));
  }
}
