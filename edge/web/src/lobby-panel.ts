/**
 * The lobby in the room's UI: for moderators, a switch and the people knocking with Admit and
 * Reject; for a knocker, the waiting screen with its name. The protocol is in lobby-client.ts.
 * @module
 */
import type { LobbyClient, LobbyState } from './lobby-client.ts';

type H = <K extends keyof HTMLElementTagNameMap>(tag: K, props?: Record<string, unknown>, ...children: Array<Node | string | null | false>) => HTMLElementTagNameMap[K];

/** The moderators' lobby section of the side panel. */
export function lobbyPanel(h: H, lobby: LobbyClient, fail: (text: string) => void): { element: HTMLElement; update(state: LobbyState): void } {
  let enabled = false;
  const act = (p: Promise<unknown>, what: string) => void p.catch((err: unknown) => fail(`${what} failed (${(err as Error).message}).`));
  const toggle = h('button', { type: 'button', id: 'lobby-toggle', 'aria-pressed': 'false', onclick: () => act(enabled ? lobby.disable() : lobby.enable(), 'Changing the lobby') }, 'Enable lobby');
  const list = h('ul', { id: 'lobby-knockers', 'aria-label': 'Waiting in the lobby' });
  const element = h('div', { id: 'lobby', hidden: true }, h('h2', {}, 'Lobby'), toggle, list);
  return {
    element,
    update(state) {
      enabled = state.enabled;
      toggle.textContent = enabled ? 'Disable lobby' : 'Enable lobby';
      toggle.setAttribute('aria-pressed', String(enabled));
      list.replaceChildren(...state.knockers.map((k) => h('li', { dataset: { id: k.id } }, h('span', { class: 'knocker-name' }, k.name),
        h('span', { class: 'row' },
          h('button', { type: 'button', class: 'admit', onclick: () => lobby.admit(k.id), 'aria-label': `Admit ${k.name}` }, 'Admit'),
          h('button', { type: 'button', class: 'reject', onclick: () => act(lobby.reject(k.id), 'Rejecting'), 'aria-label': `Reject ${k.name}` }, 'Reject')))));
    },
  };
}

/** What a knocker sees while it waits to be let in. */
export function waitingScreen(h: H): { element: HTMLElement; show(name: string | null): void } {
  const who = h('strong', { id: 'lobby-waiting-name' });
  const element = h('div', { id: 'lobby-waiting', class: 'status', role: 'status', hidden: true },
    h('h2', {}, 'Waiting to be let in'), h('p', {}, 'You asked to join as ', who, '. A moderator will let you in shortly.'));
  return {
    element,
    show(name) {
      who.textContent = name ?? '';
      element.hidden = name === null;
    },
  };
}
