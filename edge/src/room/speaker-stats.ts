/**
 * The room's speaker stats component, `speakerstats.<domain>` (what jitsi-meet's
 * mod_speakerstats_component does; lib-jitsi-meet finds it in the domain's disco#info as a
 * `speakerstats` identity). As in Jitsi, the clients feed it: the media node announces the
 * dominant speaker on the bridge channel, and the client that became dominant speaker reports
 * `<speakerstats room=… silence=…/>`; only its own occupant becomes dominant. Time counts while an
 * occupant is dominant and not silent. An occupant who joins gets everyone's totals so far
 * (those who spoke, those who left, the current speaker), keyed by nick, with the display name
 * of those who left. The state lives in the room's settings (storage), so it survives joins,
 * leaves and evictions, and goes with the room.
 * @module
 */
// Internal: not exported from the package entry.
import {
  NS_NICK, buildComponentMessage, buildSpeakerStatsMessage, parseXml, readSpeakerStatsReport, refused, type Element,
  type SpeakerStatsEntry,
} from '@edgemeet/protocol';
import type { Logger } from '../log.ts';
import { componentMessage, isRoom, type RoomComponent, type ServiceOccupant } from './component.ts';
import type { MucRoom } from './muc/muc-room.ts';
import type { Sessions } from './sessions.ts';
import type { OccupantRow, SessionRow, SpeakerRecord, SpeakerStatsState } from './store.ts';

export interface SpeakerStatsOptions {
  readonly address: string;
  readonly room: MucRoom;
  readonly sessions: Sessions;
  readonly log: Logger;
  readonly now: () => number;
  readonly isService: ServiceOccupant;
}

function fresh(): SpeakerRecord {
  return { total: 0, dominant: false, silent: false, since: null, left: false };
}

/** lib-jitsi-meet's SpeakerStats.setDominantSpeaker rules, on the server's clock. */
function setDominant(r: SpeakerRecord, dominant: boolean, silent: boolean, now: number): void {
  const counting = r.since !== null;
  const shouldCount = dominant && !silent;
  if (counting && !shouldCount) {
    r.total += Math.max(0, now - r.since!);
    r.since = null;
  } else if (!counting && shouldCount) {
    r.since = now;
  }
  r.dominant = dominant;
  r.silent = silent;
}

export class SpeakerStats implements RoomComponent {
  readonly #o: SpeakerStatsOptions;

  constructor(o: SpeakerStatsOptions) {
    this.#o = o;
  }

  get address(): string {
    return this.#o.address;
  }

  /** The stored stats (a copy to change and {@link #save}). */
  #state(): SpeakerStatsState {
    const s = this.#o.room.settings?.speakerStats;
    return s ? { dominant: s.dominant, users: Object.fromEntries(Object.entries(s.users).map(([k, v]) => [k, { ...v }])) } : { dominant: null, users: {} };
  }

  #save(state: SpeakerStatsState): void {
    const settings = this.#o.room.settings;
    if (settings) this.#o.room.saveSettings({ ...settings, speakerStats: state });
  }

  /** A client's report that it is the dominant speaker now. */
  handle(session: SessionRow, stanza: Element): void {
    const message = componentMessage(stanza);
    if (!message) return;
    const report = readSpeakerStatsReport(message);
    if (!report) return;
    if (!isRoom(report.room, this.#o.room.jid)) throw refused('no such room here');
    const occ = this.#o.room.occupantBySid(session.sid);
    if (!occ) throw refused('not an occupant of the room');
    const now = this.#o.now();
    const state = this.#state();
    const previous = state.dominant;
    if (previous !== null && previous !== occ.nick && state.users[previous]) setDominant(state.users[previous], false, false, now);
    const record = (state.users[occ.nick] ??= fresh());
    setDominant(record, true, report.silence, now);
    state.dominant = occ.nick;
    this.#save(state);
    this.#o.log.debug('speakerstats.dominant', { nick: occ.nick, silence: report.silence });
  }

  /** What the stats say now: who spoke, who left, who speaks (Prosody's selection), with running time. */
  snapshot(except?: string): Record<string, SpeakerStatsEntry> {
    const now = this.#o.now();
    const users: Record<string, SpeakerStatsEntry> = {};
    for (const [nick, r] of Object.entries(this.#state().users)) {
      if (nick === except || !(r.total > 0 || r.left || r.dominant)) continue;
      const total = r.total + (r.since !== null ? Math.max(0, now - r.since) : 0);
      users[nick] = { ...(r.displayName !== undefined ? { displayName: r.displayName } : {}), totalDominantSpeakerTime: total };
    }
    return users;
  }

  /** A newcomer gets the stats so far, then is tracked (a nick that comes back starts again, as in Jitsi). */
  occupantJoined(occ: OccupantRow): void {
    if (this.#o.isService(occ)) return;
    const users = this.snapshot(occ.nick);
    if (Object.keys(users).length > 0) {
      this.#o.sessions.deliver(occ.sid, buildComponentMessage(this.#o.address, occ.jid, buildSpeakerStatsMessage(users)));
    }
    const state = this.#state();
    state.users[occ.nick] = fresh();
    if (state.dominant === occ.nick) state.dominant = null;
    this.#save(state);
  }

  /** One who leaves stops speaking; its display name is kept for latecomers. */
  occupantLeaving(occ: OccupantRow): void {
    if (this.#o.isService(occ)) return;
    const state = this.#state();
    const r = state.users[occ.nick];
    if (!r) return;
    setDominant(r, false, false, this.#o.now());
    r.left = true;
    const name = parseXml(occ.presence).getChildText('nick', NS_NICK);
    if (name !== null) r.displayName = name;
    if (state.dominant === occ.nick) state.dominant = null;
    this.#save(state);
  }
}
