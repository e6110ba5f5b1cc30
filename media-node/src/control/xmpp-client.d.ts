// Minimal types for the parts of @xmpp/client (which ships none) that the media node uses.
declare module '@xmpp/client' {
  import type { Element } from '@edgemeet/protocol';
  interface Client {
    start(): Promise<unknown>;
    stop(): Promise<void>;
    send(el: Element): Promise<void>;
    on(event: string, listener: (...args: any[]) => void): this;
    removeAllListeners(event?: string): this;
    reconnect: { stop(): void };
    iqCallee: {
      get(ns: string, name: string, handler: (ctx: { element: Element; stanza: Element }) => unknown): void;
      set(ns: string, name: string, handler: (ctx: { element: Element; stanza: Element }) => unknown): void;
    };
    iqCaller: { request(el: Element, timeout?: number): Promise<Element> };
    streamManagement: { enabled: boolean; id: string };
  }
  export function client(options: Record<string, unknown>): Client;
  export function xml(name: string, attrs?: Record<string, unknown> | null, ...children: unknown[]): Element;
}
