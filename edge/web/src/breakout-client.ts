/**
 * The web app's side of Jitsi's breakout rooms, as lib-jitsi-meet's BreakoutRooms and jitsi-meet's
 * breakout-rooms actions do it: moderators send `<breakout_rooms/>` commands to the component
 * (add, remove, rename, move a participant by its real JID); everyone keeps the component's list
 * (`update`); a `move-to-room` is followed (the meeting leaves its room and joins the other on the
 * same connection). Closing a room sends its people back to the main room, then removes it.
 * @module
 */
import { buildBreakoutCommand, readBreakoutEvent, type BreakoutRoomInfo, type Element } from '@edgemeet/protocol';

export interface BreakoutHost {
  /** The component's address (`breakout_rooms` identity in the domain's disco#info), if the server has one. */
  component(): string | undefined;
  send(el: Element): void;
  /** Leave this room and join `roomJid` (a breakout room or the main room). */
  moveTo(roomJid: string): void;
  /** The list changed. */
  rooms(rooms: BreakoutRoomInfo[]): void;
}

export class BreakoutClient {
  readonly #host: BreakoutHost;
  #rooms: BreakoutRoomInfo[] = [];
  /** Rooms made so far in this meeting (the component's `roomCounter`). */
  #counter = 0;

  constructor(host: BreakoutHost) {
    this.#host = host;
  }

  get supported(): boolean { return this.#host.component() !== undefined; }
  /** The main room first, then the breakout rooms in the order they were made. */
  get rooms(): readonly BreakoutRoomInfo[] { return this.#rooms; }
  get mainRoom(): BreakoutRoomInfo | undefined { return this.#rooms.find((r) => r.isMainRoom); }

  /** A message from the component: the list, or a move to follow. True when it was one. */
  message(el: Element): boolean {
    if (el.attrs.from !== this.#host.component()) return false;
    const event = readBreakoutEvent(el);
    if (!event) return false;
    if (event.event === 'move-to-room') {
      this.#host.moveTo(event.roomJid);
      return true;
    }
    this.#counter = event.update.roomCounter;
    this.#rooms = Object.values(event.update.rooms).sort((a, b) => (a.isMainRoom ? -1 : b.isMainRoom ? 1 : 0));
    this.#host.rooms(this.#rooms);
    return true;
  }

  #send(command: Parameters<typeof buildBreakoutCommand>[1]): void {
    const to = this.#host.component();
    if (to) this.#host.send(buildBreakoutCommand(to, command));
  }

  add(): void {
    // Named by the meeting's counter, as jitsi-meet's default names ("Breakout room #N").
    this.#send({ type: 'add', subject: `Breakout room #${this.#counter + 1}` });
  }

  rename(roomJid: string, name: string): void {
    this.#send({ type: 'rename', breakoutRoomJid: roomJid, subject: name });
  }

  /** Sends the participant (its real JID, as the list gives it) to a room. */
  send(participantJid: string, roomJid: string): void {
    this.#send({ type: 'move-to-room', participantJid, roomJid });
  }

  /** jitsi-meet's closeBreakoutRoom, then removeBreakoutRoom: everyone in it back to the main room, the room gone. */
  close(roomJid: string): void {
    const room = this.#rooms.find((r) => r.jid === roomJid);
    const main = this.mainRoom;
    if (!room || !main) return;
    for (const p of Object.values(room.participants)) this.send(p.jid, main.jid);
    this.#send({ type: 'remove', breakoutRoomJid: roomJid });
  }
}
