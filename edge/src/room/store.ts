/**
 * Durable state of one Room Durable Object, in its SQLite storage: XMPP sessions (with their
 * XEP-0198 counters and unacknowledged queue), MUC occupants, affiliations and room settings.
 * Everything a hibernated or evicted room needs to carry on is here; memory is only a cache.
 * @module
 */
// Internal: not exported from the package entry.
import type { Poll } from '@edgemeet/protocol';
import type { TokenContext } from '../auth/token-context.ts';

export interface SessionRow {
  readonly sid: string;
  readonly jid: string;
  /** XEP-0198 enabled on this session. */
  sm: boolean;
  /** XEP-0198 resumption allowed. */
  resumable: boolean;
  /** Stanzas handled from the client (XEP-0198 `h` we report). */
  hIn: number;
  /** Stanzas sent to the client (sequence of the last queued stanza). */
  hOut: number;
  /** Last `h` the client acknowledged. */
  acked: number;
  /** While detached (socket gone, waiting for resumption): epoch ms when the session expires. */
  detachedUntil: number | null;
}

export interface OccupantRow {
  readonly nick: string;
  readonly sid: string;
  /** Full real JID of the occupant's session. */
  readonly jid: string;
  role: string;
  /** The occupant's last available presence, serialized, without MUC protocol children. */
  presence: string;
  readonly joinedAt: number;
}

/** One occupant's record (by nick), kept after it leaves. */
export interface SpeakerRecord {
  /** Milliseconds counted so far (closed intervals). */
  total: number;
  /** Dominant speaker now. */
  dominant: boolean;
  /** Dominant but reported silent: its time does not count. */
  silent: boolean;
  /** Epoch ms since when the current interval counts (dominant and not silent), else null. */
  since: number | null;
  /** Left the room (its display name then kept). */
  left: boolean;
  displayName?: string;
}

/** The speaker stats component's state (speaker-stats.ts). */
export interface SpeakerStatsState {
  /** Nick of the last reported dominant speaker. */
  dominant: string | null;
  users: Record<string, SpeakerRecord>;
}

export interface RoomSettings {
  name: string;
  createdAt: number;
  meetingId: string;
  password: string | null;
  membersOnly: boolean;
  subject: string;
  title: string;
  maxOccupants: number;
  /** AV moderation (av-moderation.ts): whitelisted occupant JIDs per moderated media type. */
  avModeration?: Partial<Record<'audio' | 'video', string[]>>;
  /** Speaker stats (speaker-stats.ts): dominant-speaker time per nick. */
  speakerStats?: SpeakerStatsState;
  /** Room metadata (room-metadata.ts): what moderators set, by key. */
  metadata?: Record<string, unknown>;
  /** When the meeting started: a second occupant joined (conference-duration.ts), epoch ms. */
  startedAt?: number;
  /** The lobby room's JID while the room has a lobby (lobby.ts; Prosody's `_data.lobbyroom`). */
  lobbyRoom?: string;
  /** Polls (polls.ts), oldest first, with who voted for what. */
  polls?: Poll[];
}

/** What a MUC room keeps (muc-room.ts): the main room's tables here, its lobby's in {@link LobbyStore}. */
export interface MucStore {
  readonly settings: RoomSettings | null;
  saveSettings(settings: RoomSettings): void;
  readonly occupants: ReadonlyMap<string, OccupantRow>;
  putOccupant(o: OccupantRow): void;
  deleteOccupant(nick: string): void;
  readonly affiliations: ReadonlyMap<string, string>;
  setAffiliation(bareJid: string, affiliation: string): void;
  /** Forgets the room (occupants, affiliations, settings); sessions stay. */
  clearRoom(): void;
  sessionAuth(sid: string): TokenContext | undefined;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS sessions (sid TEXT PRIMARY KEY, jid TEXT NOT NULL, sm INTEGER NOT NULL,
     resumable INTEGER NOT NULL, h_in INTEGER NOT NULL, h_out INTEGER NOT NULL, acked INTEGER NOT NULL,
     detached_until INTEGER)`,
  `CREATE TABLE IF NOT EXISTS sm_queue (sid TEXT NOT NULL, seq INTEGER NOT NULL, xml TEXT NOT NULL, PRIMARY KEY (sid, seq))`,
  `CREATE TABLE IF NOT EXISTS occupants (nick TEXT PRIMARY KEY, sid TEXT NOT NULL, jid TEXT NOT NULL, role TEXT NOT NULL,
     presence TEXT NOT NULL, joined_at INTEGER NOT NULL)`,
  /** What a session's verified token said (JWT logins only). */
  `CREATE TABLE IF NOT EXISTS session_auth (sid TEXT PRIMARY KEY, context TEXT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS affiliations (jid TEXT PRIMARY KEY, affiliation TEXT NOT NULL)`,
  /** The lobby room's occupants (its settings are the meta key `lobby`). */
  `CREATE TABLE IF NOT EXISTS lobby_occupants (nick TEXT PRIMARY KEY, sid TEXT NOT NULL, jid TEXT NOT NULL, role TEXT NOT NULL,
     presence TEXT NOT NULL, joined_at INTEGER NOT NULL)`,
];

function occupantOf(r: SqlRow): OccupantRow {
  return {
    nick: String(r.nick), sid: String(r.sid), jid: String(r.jid), role: String(r.role), presence: String(r.presence), joinedAt: Number(r.joined_at),
  };
}

type SqlRow = Record<string, SqlStorageValue>;

/** Typed access to the room's SQLite tables, with an in-memory cache of the small tables. */
export class RoomStore implements MucStore {
  readonly #sql: SqlStorage;
  /** The lobby room's state, in the same storage. */
  readonly lobby: LobbyStore;
  readonly sessions = new Map<string, SessionRow>();
  readonly occupants = new Map<string, OccupantRow>();
  readonly affiliations = new Map<string, string>();
  #settings: RoomSettings | null = null;
  #roomName: string | null = null;
  #focus: unknown = null;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    for (const stmt of SCHEMA) sql.exec(stmt);
    this.#load();
    this.lobby = new LobbyStore(sql, this);
  }

  #load(): void {
    for (const r of this.#sql.exec<SqlRow>('SELECT * FROM sessions')) {
      this.sessions.set(String(r.sid), {
        sid: String(r.sid), jid: String(r.jid), sm: r.sm === 1, resumable: r.resumable === 1,
        hIn: Number(r.h_in), hOut: Number(r.h_out), acked: Number(r.acked),
        detachedUntil: r.detached_until === null ? null : Number(r.detached_until),
      });
    }
    for (const r of this.#sql.exec<SqlRow>('SELECT * FROM occupants ORDER BY joined_at')) this.occupants.set(String(r.nick), occupantOf(r));
    for (const r of this.#sql.exec<SqlRow>('SELECT * FROM affiliations')) {
      this.affiliations.set(String(r.jid), String(r.affiliation));
    }
    for (const r of this.#sql.exec<SqlRow>('SELECT key, value FROM meta')) {
      if (r.key === 'settings') this.#settings = JSON.parse(String(r.value)) as RoomSettings;
      if (r.key === 'room') this.#roomName = String(r.value);
      if (r.key === 'focus') this.#focus = JSON.parse(String(r.value)) as unknown;
    }
  }

  /** The room this object serves, fixed by the first request (the DO's `idFromName`). */
  get roomName(): string | null { return this.#roomName; }
  set roomName(name: string) {
    this.#roomName = name;
    this.#sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('room', ?)`, name);
  }

  // Sessions

  putSession(s: SessionRow): void {
    this.sessions.set(s.sid, s);
    this.#sql.exec(
      `INSERT OR REPLACE INTO sessions (sid, jid, sm, resumable, h_in, h_out, acked, detached_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      s.sid, s.jid, s.sm ? 1 : 0, s.resumable ? 1 : 0, s.hIn, s.hOut, s.acked, s.detachedUntil,
    );
  }

  /** Persists the XEP-0198 counters of a session after they changed. */
  saveCounters(s: SessionRow): void {
    this.#sql.exec(`UPDATE sessions SET h_in = ?, h_out = ?, acked = ? WHERE sid = ?`, s.hIn, s.hOut, s.acked, s.sid);
  }

  putSessionAuth(sid: string, context: TokenContext): void {
    this.#sql.exec(`INSERT OR REPLACE INTO session_auth (sid, context) VALUES (?, ?)`, sid, JSON.stringify(context));
  }

  /** The token context of a JWT session; undefined for anonymous ones. */
  sessionAuth(sid: string): TokenContext | undefined {
    const row = this.#sql.exec<SqlRow>(`SELECT context FROM session_auth WHERE sid = ?`, sid).toArray()[0];
    return row ? JSON.parse(String(row.context)) as TokenContext : undefined;
  }

  deleteSession(sid: string): void {
    this.sessions.delete(sid);
    this.#sql.exec(`DELETE FROM sessions WHERE sid = ?`, sid);
    this.#sql.exec(`DELETE FROM session_auth WHERE sid = ?`, sid);
    this.#sql.exec(`DELETE FROM sm_queue WHERE sid = ?`, sid);
  }

  // XEP-0198 queue of unacknowledged stanzas

  enqueue(sid: string, seq: number, xml: string): void {
    this.#sql.exec(`INSERT OR REPLACE INTO sm_queue (sid, seq, xml) VALUES (?, ?, ?)`, sid, seq, xml);
  }

  /** Drops queued stanzas up to and including `h` (the client's acknowledgement). */
  ack(sid: string, h: number): void {
    this.#sql.exec(`DELETE FROM sm_queue WHERE sid = ? AND seq <= ?`, sid, h);
  }

  /** Queued stanzas after `h`, oldest first (what a resumed client has not received). */
  unacked(sid: string, h: number): string[] {
    return this.#sql.exec<SqlRow>(`SELECT xml FROM sm_queue WHERE sid = ? AND seq > ? ORDER BY seq`, sid, h)
      .toArray().map((r) => String(r.xml));
  }

  // MUC

  putOccupant(o: OccupantRow): void {
    this.occupants.set(o.nick, o);
    this.#sql.exec(
      `INSERT OR REPLACE INTO occupants (nick, sid, jid, role, presence, joined_at) VALUES (?, ?, ?, ?, ?, ?)`,
      o.nick, o.sid, o.jid, o.role, o.presence, o.joinedAt,
    );
  }

  deleteOccupant(nick: string): void {
    this.occupants.delete(nick);
    this.#sql.exec(`DELETE FROM occupants WHERE nick = ?`, nick);
  }

  setAffiliation(bareJid: string, affiliation: string): void {
    if (affiliation === 'none') {
      this.affiliations.delete(bareJid);
      this.#sql.exec(`DELETE FROM affiliations WHERE jid = ?`, bareJid);
    } else {
      this.affiliations.set(bareJid, affiliation);
      this.#sql.exec(`INSERT OR REPLACE INTO affiliations (jid, affiliation) VALUES (?, ?)`, bareJid, affiliation);
    }
  }

  /** The focus's state document (see focus/src/state.ts), or null when no conference runs. */
  get focusState(): unknown { return this.#focus; }
  set focusState(state: unknown) {
    this.#focus = state;
    if (state === null) this.#sql.exec(`DELETE FROM meta WHERE key = 'focus'`);
    else this.#sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('focus', ?)`, JSON.stringify(state));
  }

  get settings(): RoomSettings | null { return this.#settings; }

  saveSettings(settings: RoomSettings): void {
    this.#settings = settings;
    this.#sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('settings', ?)`, JSON.stringify(settings));
  }

  /** Forgets the MUC room (occupants, affiliations, settings); sessions stay. */
  clearRoom(): void {
    this.occupants.clear();
    this.affiliations.clear();
    this.#settings = null;
    this.#sql.exec(`DELETE FROM occupants`);
    this.#sql.exec(`DELETE FROM affiliations`);
    this.#sql.exec(`DELETE FROM meta WHERE key = 'settings'`);
  }
}

/**
 * The lobby room's tables (Prosody keeps a lobby as its own room on the `lobby.<domain>` MUC): its
 * occupants and settings. Affiliations are its main room's (mod_muc_lobby_rooms reads them from
 * there), so it keeps none; sessions and their tokens are the room's.
 */
export class LobbyStore implements MucStore {
  readonly #sql: SqlStorage;
  readonly #main: RoomStore;
  readonly occupants = new Map<string, OccupantRow>();
  readonly affiliations: ReadonlyMap<string, string> = new Map();
  #settings: RoomSettings | null = null;

  constructor(sql: SqlStorage, main: RoomStore) {
    this.#sql = sql;
    this.#main = main;
    for (const r of sql.exec<SqlRow>('SELECT * FROM lobby_occupants ORDER BY joined_at')) this.occupants.set(String(r.nick), occupantOf(r));
    for (const r of sql.exec<SqlRow>(`SELECT value FROM meta WHERE key = 'lobby'`)) this.#settings = JSON.parse(String(r.value)) as RoomSettings;
  }

  get settings(): RoomSettings | null { return this.#settings; }

  saveSettings(settings: RoomSettings): void {
    this.#settings = settings;
    this.#sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('lobby', ?)`, JSON.stringify(settings));
  }

  putOccupant(o: OccupantRow): void {
    this.occupants.set(o.nick, o);
    this.#sql.exec(
      `INSERT OR REPLACE INTO lobby_occupants (nick, sid, jid, role, presence, joined_at) VALUES (?, ?, ?, ?, ?, ?)`,
      o.nick, o.sid, o.jid, o.role, o.presence, o.joinedAt,
    );
  }

  deleteOccupant(nick: string): void {
    this.occupants.delete(nick);
    this.#sql.exec(`DELETE FROM lobby_occupants WHERE nick = ?`, nick);
  }

  /** Affiliations are the main room's: nothing to keep here. */
  setAffiliation(): void {}

  clearRoom(): void {
    this.occupants.clear();
    this.#settings = null;
    this.#sql.exec(`DELETE FROM lobby_occupants`);
    this.#sql.exec(`DELETE FROM meta WHERE key = 'lobby'`);
  }

  sessionAuth(sid: string): TokenContext | undefined {
    return this.#main.sessionAuth(sid);
  }
}
