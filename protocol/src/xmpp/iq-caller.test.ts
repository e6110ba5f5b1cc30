import { afterEach, beforeEach, describe, it, expect, vi } from 'vitest';
import { AppError } from '../errors.ts';
import { Element, xml } from '../xml/element.ts';
import { NS_PING, NS_STANZAS } from '../xml/namespaces.ts';
import { IqCaller } from './iq-caller.ts';
import { StanzaError } from './stanza-error.ts';

function setup(options: { timeoutMs?: number } = {}) {
  const sent: Element[] = [];
  const caller = new IqCaller({ send: (iq) => sent.push(iq), idPrefix: 't-', ...options });
  return { caller, sent };
}

function ping(to?: string): Element {
  return xml('iq', { type: 'get', to }, xml('ping', { xmlns: NS_PING }));
}

function response(type: 'result' | 'error', id: string, from?: string, ...children: Element[]): Element {
  return xml('iq', { type, id, from, to: 'focus@example.com/f' }, ...children);
}

describe('IqCaller', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('request() assigns an id, sends, and resolves with the result', async () => {
    const { caller, sent } = setup();
    const promise = caller.request(ping('jvb@example.com/x'));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.attrs.id).toBe('t-1');
    expect(caller.pending).toBe(1);
    const result = response('result', 't-1', 'jvb@example.com/x');
    expect(caller.handleResponse(result)).toBe(true);
    await expect(promise).resolves.toBe(result);
    expect(caller.pending).toBe(0);
  });

  it('request() keeps an id the caller set', async () => {
    const { caller, sent } = setup();
    const request = ping();
    request.attrs.id = 'mine';
    const promise = caller.request(request);
    expect(sent[0]?.attrs.id).toBe('mine');
    expect(caller.handleResponse(response('result', 'mine'))).toBe(true);
    await expect(promise).resolves.toBeInstanceOf(Element);
  });

  it('request() with an error reply rejects with StanzaError.fromElement()', async () => {
    const { caller } = setup();
    const promise = caller.request(ping('jvb@example.com'));
    const error = xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: NS_STANZAS }));
    expect(caller.handleResponse(response('error', 't-1', 'jvb@example.com', error))).toBe(true);
    const err = await promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StanzaError);
    expect((err as StanzaError).condition).toBe('item-not-found');
  });

  it('request() without a response rejects with AppError(timeout) after the default 10 s', async () => {
    const { caller } = setup();
    const promise = caller.request(ping('jvb@example.com'));
    const settled = promise.catch((e: unknown) => e);
    vi.advanceTimersByTime(9_999);
    expect(caller.pending).toBe(1);
    vi.advanceTimersByTime(1);
    const err = await settled;
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('timeout');
    expect(caller.pending).toBe(0);
    expect(caller.handleResponse(response('result', 't-1', 'jvb@example.com'))).toBe(false);
  });

  it('request() with a per-call timeout uses it', async () => {
    const { caller } = setup({ timeoutMs: 60_000 });
    const settled = caller.request(ping(), 50).catch((e: unknown) => e);
    vi.advanceTimersByTime(50);
    expect(((await settled) as AppError).code).toBe('timeout');
  });

  it('request() that resolves clears its timer', async () => {
    const { caller } = setup();
    const promise = caller.request(ping());
    caller.handleResponse(response('result', 't-1'));
    await promise;
    expect(vi.getTimerCount()).toBe(0);
  });

  it('request() whose send throws rejects with that error and forgets the request', async () => {
    const boom = new Error('socket closed');
    const caller = new IqCaller({
      send: () => {
        throw boom;
      },
    });
    await expect(caller.request(ping())).rejects.toBe(boom);
    expect(caller.pending).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('request() with a non-request stanza or a duplicate pending id rejects with TypeError', async () => {
    const { caller } = setup();
    await expect(caller.request(xml('iq', { type: 'result' }))).rejects.toBeInstanceOf(TypeError);
    await expect(caller.request(xml('message'))).rejects.toBeInstanceOf(TypeError);
    const a = ping();
    a.attrs.id = 'dup';
    const b = ping();
    b.attrs.id = 'dup';
    void caller.request(a).catch(() => {
      // Settled by closeAll() below; this test only checks the duplicate.
    });
    await expect(caller.request(b)).rejects.toBeInstanceOf(TypeError);
    caller.closeAll();
  });

  it('handleResponse() from a JID other than the request target is ignored', async () => {
    const { caller } = setup();
    const promise = caller.request(ping('jvb@example.com/x'));
    expect(caller.handleResponse(response('result', 't-1', 'mallory@example.com/x'))).toBe(false);
    expect(caller.handleResponse(response('result', 't-1'))).toBe(false);
    expect(caller.pending).toBe(1);
    expect(caller.handleResponse(response('result', 't-1', 'JVB@Example.com/x'))).toBe(true);
    await expect(promise).resolves.toBeInstanceOf(Element);
  });

  it('handleResponse() with unknown ids, requests or other stanzas returns false', () => {
    const { caller } = setup();
    expect(caller.handleResponse(response('result', 'nope'))).toBe(false);
    expect(caller.handleResponse(xml('iq', { type: 'get', id: 't-1' }))).toBe(false);
    expect(caller.handleResponse(xml('message', { type: 'error', id: 't-1' }))).toBe(false);
  });

  it('closeAll() rejects every pending request with InvalidStateError and clears timers', async () => {
    const { caller } = setup();
    const results = [caller.request(ping()), caller.request(ping())].map((p) => p.catch((e: unknown) => e));
    caller.closeAll('bridge gone');
    for (const err of await Promise.all(results)) {
      expect((err as Error).name).toBe('InvalidStateError');
      expect((err as Error).message).toBe('bridge gone');
    }
    expect(caller.pending).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('new IqCaller() without send throws TypeError', () => {
    expect(() => new IqCaller({} as unknown as { send: (iq: Element) => void })).toThrow(TypeError);
  });
});
