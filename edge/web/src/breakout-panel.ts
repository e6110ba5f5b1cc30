/**
 * Breakout rooms in the room's UI: the meeting's rooms with who is in each; everyone may join a
 * room; moderators add rooms, move a participant with a room picker, and close a room (its people
 * back to the main room, the room removed). The protocol is in breakout-client.ts.
 * @module
 */
import type { BreakoutRoomInfo } from '@edgemeet/protocol';
import type { BreakoutClient } from './breakout-client.ts';

type H = <K extends keyof HTMLElementTagNameMap>(tag: K, props?: Record<string, unknown>, ...children: Array<Node | string | null | false>) => HTMLElementTagNameMap[K];

export interface BreakoutPanelHost {
  readonly breakout: BreakoutClient;
  readonly isModerator: boolean;
  moveTo(roomJid: string): Promise<void>;
}

const roomName = (r: BreakoutRoomInfo) => (r.isMainRoom ? 'Main room' : r.name || r.id);

/** The side panel's breakout rooms section (hidden when the server has no breakout rooms component). */
export function breakoutPanel(h: H, host: BreakoutPanelHost): { element: HTMLElement; update(rooms: readonly BreakoutRoomInfo[], current: string): void } {
  const add = h('button', { type: 'button', id: 'breakout-add', onclick: () => host.breakout.add() }, 'Add breakout room');
  const list = h('ul', { id: 'breakout-rooms', 'aria-label': 'Breakout rooms' });
  const element = h('div', { id: 'breakout', hidden: true }, h('h2', {}, 'Breakout rooms'), add, list);
  return {
    element,
    update(rooms, current) {
      element.hidden = !host.breakout.supported || (rooms.length <= 1 && !host.isModerator);
      add.hidden = !host.isModerator;
      const others = (here: BreakoutRoomInfo) => rooms.filter((r) => r.jid !== here.jid);
      list.replaceChildren(...rooms.map((room) => h('li', { dataset: { jid: room.jid, main: String(room.isMainRoom === true) }, class: room.jid === current ? 'current' : '' },
        h('span', { class: 'row' },
          h('strong', { class: 'breakout-name' }, roomName(room)),
          room.jid === current ? h('span', { class: 'here' }, ' (you are here)')
            : h('button', { type: 'button', class: 'breakout-join', onclick: () => void host.moveTo(room.jid), 'aria-label': `Join ${roomName(room)}` }, 'Join'),
          host.isModerator && !room.isMainRoom
            ? h('button', { type: 'button', class: 'breakout-close', onclick: () => host.breakout.close(room.jid), 'aria-label': `Close ${roomName(room)}` }, 'Close') : null),
        h('ul', { class: 'breakout-people' }, ...Object.values(room.participants).map((p) => h('li', { dataset: { jid: p.jid } },
          h('span', { class: 'breakout-person' }, p.displayName ?? p.jid),
          host.isModerator ? h('select', {
            class: 'breakout-move', 'aria-label': `Move ${p.displayName ?? p.jid} to`,
            onchange: (ev: Event) => { const to = (ev.target as HTMLSelectElement).value; if (to) host.breakout.send(p.jid, to); },
          }, h('option', { value: '' }, 'Move to…'), ...others(room).map((r) => h('option', { value: r.jid }, roomName(r)))) : null))))));
    },
  };
}
