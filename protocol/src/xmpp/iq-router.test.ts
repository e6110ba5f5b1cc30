import { describe, it, expect } from 'vitest';
import { AppError } from '../errors.ts';
import { Element, serialize, xml } from '../xml/element.ts';
import { parseXml } from '../xml/parse.ts';
import { NS_DISCO_INFO, NS_PING } from '../xml/namespaces.ts';
import { IqRouter } from './iq-router.ts';
import { StanzaError } from './stanza-error.ts';

interface Ctx {
  user: string;
}

const ctx: Ctx = { user: 'alice' };

function iq(type: string, payload?: string, attrs = 'id="q1" from="a@example.com/r" to="example.com"'): Element {
  return parseXml(`<iq type="${type}" ${attrs}>${payload ?? ''}</iq>`);
}

function errorOf(reply: Element | undefined): [string | undefined, string | undefined] {
  const error = reply?.getChild('error');
  return [error?.attrs.type as string | undefined, error?.getChildElements()[0]?.name];
}

describe('IqRouter', () => {
  it('route() with a handler returning a payload replies with a result carrying it', async () => {
    const router = new IqRouter<Ctx>().on('get', NS_DISCO_INFO, 'query', (c, _iq, payload) =>
      xml('query', { xmlns: NS_DISCO_INFO, node: payload.attrs.node }, xml('identity', { name: c.user })),
    );
    const reply = await router.route(ctx, iq('get', `<query xmlns="${NS_DISCO_INFO}" node="n"/>`));
    expect(serialize(reply!)).toBe(
      `<iq type="result" id="q1" to="a@example.com/r" from="example.com">` +
        `<query xmlns="${NS_DISCO_INFO}" node="n"><identity name="alice"/></query></iq>`,
    );
  });

  it('route() with an async handler returning nothing replies with an empty result', async () => {
    const router = new IqRouter<Ctx>().on('get', NS_PING, 'ping', async () => {});
    const reply = await router.route(ctx, iq('get', `<ping xmlns="${NS_PING}"/>`));
    expect(reply?.attrs).toEqual({ type: 'result', id: 'q1', to: 'a@example.com/r', from: 'example.com' });
    expect(reply?.children).toEqual([]);
  });

  it('route() with a handler returning null replies with an empty result', async () => {
    const router = new IqRouter<Ctx>().on('set', 'urn:x', 'do', () => null);
    expect((await router.route(ctx, iq('set', '<do xmlns="urn:x"/>')))?.attrs.type).toBe('result');
  });

  it('route() with an unknown payload replies cancel/service-unavailable', async () => {
    const router = new IqRouter<Ctx>().on('get', NS_PING, 'ping', () => null);
    expect(errorOf(await router.route(ctx, iq('get', '<query xmlns="urn:unknown"/>')))).toEqual([
      'cancel',
      'service-unavailable',
    ]);
    expect(errorOf(await router.route(ctx, iq('set', `<ping xmlns="${NS_PING}"/>`)))).toEqual([
      'cancel',
      'service-unavailable',
    ]);
  });

  it('route() with no child, two children or a missing id replies modify/bad-request', async () => {
    const router = new IqRouter<Ctx>().on('get', NS_PING, 'ping', () => null);
    const ping = `<ping xmlns="${NS_PING}"/>`;
    for (const request of [iq('get'), iq('get', ping + ping), iq('get', ping, 'to="example.com"'), iq('bogus', ping)]) {
      const reply = await router.route(ctx, request);
      expect(errorOf(reply)).toEqual(['modify', 'bad-request']);
      expect(reply?.attrs.type).toBe('error');
    }
  });

  it('route() ignores text around the single payload', async () => {
    const router = new IqRouter<Ctx>().on('get', NS_PING, 'ping', () => null);
    const reply = await router.route(ctx, iq('get', `\n  <ping xmlns="${NS_PING}"/>\n`));
    expect(reply?.attrs.type).toBe('result');
  });

  it('route() with a throwing handler replies internal-server-error without leaking the message', async () => {
    const seen: unknown[] = [];
    const router = new IqRouter<Ctx>({ onHandlerError: (err) => seen.push(err) }).on(
      'get',
      NS_PING,
      'ping',
      () => {
        throw new Error('secret: connection string xyz');
      },
    );
    const reply = await router.route(ctx, iq('get', `<ping xmlns="${NS_PING}"/>`));
    expect(errorOf(reply)).toEqual(['cancel', 'internal-server-error']);
    expect(serialize(reply!)).not.toContain('secret');
    expect(seen).toHaveLength(1);
    expect((seen[0] as Error).message).toContain('secret');
  });

  it('route() with a handler throwing StanzaError replies with that error', async () => {
    const seen: unknown[] = [];
    const router = new IqRouter<Ctx>({ onHandlerError: (err) => seen.push(err) }).on('set', 'urn:x', 'do', () => {
      throw new StanzaError('not-acceptable', { text: 'bad value' });
    });
    const reply = await router.route(ctx, iq('set', '<do xmlns="urn:x"/>'));
    expect(errorOf(reply)).toEqual(['modify', 'not-acceptable']);
    expect(StanzaError.fromElement(reply!).text).toBe('bad value');
    expect(seen).toEqual([]);
  });

  it('route() with a handler rejecting with AppError maps it through ERROR_TABLE', async () => {
    const router = new IqRouter<Ctx>().on('set', 'urn:x', 'do', async () => {
      throw new AppError('forbidden', 'moderators only');
    });
    const reply = await router.route(ctx, iq('set', '<do xmlns="urn:x"/>'));
    expect(errorOf(reply)).toEqual(['auth', 'forbidden']);
    expect(StanzaError.fromElement(reply!).text).toBe('moderators only');
  });

  it('route() with a handler throwing AppError(internal) hides the message and reports it', async () => {
    const seen: unknown[] = [];
    const router = new IqRouter<Ctx>({ onHandlerError: (err) => seen.push(err) }).on('set', 'urn:x', 'do', () => {
      throw new AppError('internal', 'invariant broken');
    });
    const reply = await router.route(ctx, iq('set', '<do xmlns="urn:x"/>'));
    expect(errorOf(reply)).toEqual(['cancel', 'internal-server-error']);
    expect(serialize(reply!)).not.toContain('invariant');
    expect(seen).toHaveLength(1);
  });

  it('route() with a result or error iq returns undefined without calling handlers', async () => {
    let calls = 0;
    const router = new IqRouter<Ctx>().on('get', NS_PING, 'ping', () => {
      calls++;
      return null;
    });
    expect(await router.route(ctx, iq('result', `<ping xmlns="${NS_PING}"/>`))).toBeUndefined();
    expect(await router.route(ctx, iq('error'))).toBeUndefined();
    expect(calls).toBe(0);
  });

  it('route() with a non-iq stanza rejects with TypeError', async () => {
    await expect(new IqRouter<Ctx>().route(ctx, xml('message'))).rejects.toBeInstanceOf(TypeError);
  });

  it('route() matches a prefixed payload by local name and namespace', async () => {
    const router = new IqRouter<Ctx>().on('get', 'urn:x', 'q', () => null);
    const reply = await router.route(ctx, iq('get', '<p:q xmlns:p="urn:x"/>'));
    expect(reply?.attrs.type).toBe('result');
  });

  it('has() is true only for well-formed requests with a handler', () => {
    const router = new IqRouter<Ctx>().on('get', NS_PING, 'ping', () => null);
    expect(router.has(iq('get', `<ping xmlns="${NS_PING}"/>`))).toBe(true);
    expect(router.has(iq('set', `<ping xmlns="${NS_PING}"/>`))).toBe(false);
    expect(router.has(iq('get', '<ping xmlns="urn:other"/>'))).toBe(false);
    expect(router.has(iq('result', `<ping xmlns="${NS_PING}"/>`))).toBe(false);
    expect(router.has(iq('get'))).toBe(false);
  });

  it('on() with a duplicate key or a bad type throws TypeError', () => {
    const router = new IqRouter<Ctx>().on('get', NS_PING, 'ping', () => null);
    expect(() => router.on('get', NS_PING, 'ping', () => null)).toThrow(TypeError);
    expect(() => router.on('result' as 'get', NS_PING, 'ping', () => null)).toThrow(TypeError);
  });
});
