/**
 * The room's AV moderation component, `avmoderation.<domain>` (what Prosody's mod_av_moderation
 * does for Jitsi; lib-jitsi-meet finds it in the domain's disco#info as an `av_moderation`
 * identity). Moderators send it a message with an `av_moderation` element whose attributes say
 * `enable` (true/false) and `mediaType`, or `jidToWhitelist` / `jidToBlacklist` (an occupant JID)
 * with `mediaType`; it answers with `json-message`s of
 * type `av_moderation` from its own address: `enabled` to everyone, `whitelists` to moderators,
 * `approved`/`removed` to the participant concerned. Enforcement (muting the others, refusing
 * unapproved unmutes) is the focus's job, as it is Jicofo's.
 * @module
 */
// Internal: not exported from the package entry.
import { NS_CLIENT, StanzaError, buildJsonMessage, parseAvModerationCommand, resourceOf, xml, type Element } from '@edgemeet/protocol';
import type { Logger } from '../log.ts';
import type { MucRoom } from './muc/muc-room.ts';
import type { Sessions } from './sessions.ts';
import type { OccupantRow, RoomSettings, SessionRow } from './store.ts';

export type ModeratedMedia = 'audio' | 'video';
const MEDIA: readonly ModeratedMedia[] = ['audio', 'video'];

export interface AvModerationOptions {
  /** The component's address, `avmoderation.<domain>`. */
  readonly address: string;
  readonly room: MucRoom;
  readonly sessions: Sessions;
  readonly log: Logger;
  /** Tells the focus (which enforces); absent where no focus runs. */
  readonly onChange?: (media: ModeratedMedia, enabled: boolean, approvedNicks: readonly string[], actorNick: string) => Promise<void>;
}

export class AvModeration {
  readonly #o: AvModerationOptions;

  constructor(o: AvModerationOptions) {
    this.#o = o;
  }

  get address(): string {
    return this.#o.address;
  }

  /** Whitelists (occupant JIDs) of the moderated media types; absent: not moderated. */
  #state(): Partial<Record<ModeratedMedia, string[]>> {
    return this.#o.room.settings?.avModeration ?? {};
  }

  #save(state: Partial<Record<ModeratedMedia, string[]>>): void {
    const settings = this.#o.room.settings;
    if (settings) this.#o.room.saveSettings({ ...settings, avModeration: state } satisfies RoomSettings);
  }

  /** A message to the component from a client session. */
  async handle(session: SessionRow, stanza: Element): Promise<void> {
    if (stanza.name !== 'message') {
      if (stanza.name === 'iq' && (stanza.attrs.type === 'get' || stanza.attrs.type === 'set')) throw new StanzaError('service-unavailable');
      return;
    }
    if (stanza.attrs.type === 'error') return;
    const element = stanza.getChild('av_moderation');
    if (!element) throw new StanzaError('bad-request', { text: 'expected <av_moderation/>' });
    const command = parseAvModerationCommand(element);
    const actor = this.#o.room.occupantBySid(session.sid);
    if (!actor) throw new StanzaError('not-acceptable', { text: 'join the room first' });
    if (actor.role !== 'moderator') throw new StanzaError('forbidden', { text: 'only moderators control AV moderation' });
    const { media } = command;
    const state = { ...this.#state() };
    const actorJid = `${this.#o.room.jid}/${actor.nick}`;

    if ('enable' in command) {
      const { enable } = command;
      if (enable === (state[media] !== undefined)) return;
      if (enable) state[media] = [];
      else delete state[media];
      this.#save(state);
      this.#o.log.info('av_moderation.changed', { media, enabled: enable, actor: actor.nick });
      for (const occ of this.#o.room.occupants.values()) this.#send(occ, { enabled: enable, mediaType: media, actor: actorJid });
      if (enable) this.#sendWhitelists(state, media, false);
      await this.#o.onChange?.(media, enable, [], actor.nick);
      return;
    }
    const approve = 'approve' in command;
    const target = 'approve' in command ? command.approve : command.reject;
    const list = state[media];
    if (!list) throw new StanzaError('not-allowed', { text: `${media} moderation is off` });
    const occupant = target.bare().toString() === this.#o.room.jid ? this.#o.room.occupants.get(target.resource) : undefined;
    if (!occupant) throw new StanzaError('item-not-found', { text: 'no such occupant' });
    const occupantJid = `${this.#o.room.jid}/${occupant.nick}`;
    state[media] = approve ? [...new Set([...list, occupantJid])] : list.filter((j) => j !== occupantJid);
    this.#save(state);
    this.#o.log.info('av_moderation.participant', { media, target: occupant.nick, approved: approve });
    this.#sendWhitelists(state, media, !approve);
    this.#send(occupant, approve ? { approved: true, mediaType: media } : { removed: true, mediaType: media });
    await this.#o.onChange?.(media, true, state[media].map(resourceOf), actor.nick);
  }

  /** A newcomer learns which media are moderated (Prosody sends this when an occupant joins). */
  occupantJoined(occ: OccupantRow): void {
    const state = this.#state();
    for (const media of MEDIA) if (state[media]) this.#send(occ, { enabled: true, mediaType: media });
  }

  #sendWhitelists(state: Partial<Record<ModeratedMedia, string[]>>, media: ModeratedMedia, removed: boolean): void {
    for (const occ of this.#o.room.occupants.values()) {
      if (occ.role === 'moderator') this.#send(occ, { whitelists: state, removed, mediaType: media });
    }
  }

  #send(occ: OccupantRow, body: Record<string, unknown>): void {
    this.#o.sessions.deliver(occ.sid, xml('message', { xmlns: NS_CLIENT, from: this.#o.address, to: occ.jid },
      buildJsonMessage({ type: 'av_moderation', room: this.#o.room.jid, ...body })));
  }
}
