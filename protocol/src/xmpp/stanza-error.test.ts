import { describe, it, expect } from 'vitest';
import { AppError, ERROR_TABLE } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';
import { serialize, xml } from '../xml/element.ts';
import { parseXml } from '../xml/parse.ts';
import { NS_CLIENT, NS_STANZAS, NS_STREAM_ERRORS, NS_STREAMS } from '../xml/namespaces.ts';
import { errorReply, StanzaError, StreamError } from './stanza-error.ts';

describe('StanzaError', () => {
  it('new StanzaError() without a type uses the RFC 6120 §8.3.3 default', () => {
    expect(new StanzaError('bad-request').type).toBe('modify');
    expect(new StanzaError('not-authorized').type).toBe('auth');
    expect(new StanzaError('forbidden').type).toBe('auth');
    expect(new StanzaError('item-not-found').type).toBe('cancel');
    expect(new StanzaError('resource-constraint').type).toBe('wait');
    expect(new StanzaError('service-unavailable').type).toBe('cancel');
    expect(new StanzaError('conflict', { type: 'modify' }).type).toBe('modify');
  });

  it('StanzaError.toElement() builds the RFC 6120 §8.3.2 element', () => {
    const app = xml('too-many', { xmlns: 'urn:example:app' });
    const err = new StanzaError('policy-violation', { text: 'slow down & wait', application: app });
    expect(serialize(err.toElement())).toBe(
      `<error type="modify"><policy-violation xmlns="${NS_STANZAS}"/>` +
        `<text xmlns="${NS_STANZAS}">slow down &amp; wait</text><too-many xmlns="urn:example:app"/></error>`,
    );
    expect(err.name).toBe('StanzaError');
    expect(err.message).toBe('slow down & wait');
  });

  it('StanzaError.fromElement() of a serialized error stanza round-trips', () => {
    const original = new StanzaError('conflict', {
      type: 'cancel',
      text: 'nick taken',
      application: xml('x', { xmlns: 'urn:example:app' }),
    });
    const stanza = parseXml(serialize(xml('presence', { type: 'error' }, original.toElement())));
    const back = StanzaError.fromElement(stanza);
    expect(back.condition).toBe('conflict');
    expect(back.type).toBe('cancel');
    expect(back.text).toBe('nick taken');
    expect(back.application?.name).toBe('x');
    expect(serialize(back.toElement())).toBe(serialize(original.toElement()));
  });

  it('StanzaError.fromElement() with no or unknown condition gives undefined-condition', () => {
    expect(StanzaError.fromElement(parseXml('<iq type="error"/>')).condition).toBe('undefined-condition');
    const unknown = parseXml(`<iq type="error"><error type="bogus"><nope xmlns="${NS_STANZAS}"/></error></iq>`);
    const err = StanzaError.fromElement(unknown);
    expect(err.condition).toBe('undefined-condition');
    expect(err.type).toBe('cancel');
  });

  it('StanzaError.fromElement() accepts the <error/> element itself', () => {
    const el = parseXml(`<error type="wait"><resource-constraint xmlns="${NS_STANZAS}"/></error>`);
    expect(StanzaError.fromElement(el).condition).toBe('resource-constraint');
  });

  it('StanzaError.from() returns a StanzaError as is', () => {
    const err = new StanzaError('gone');
    expect(StanzaError.from(err)).toBe(err);
  });

  it('StanzaError.from() maps an AppError through ERROR_TABLE', () => {
    const err = StanzaError.from(new AppError('not-found', 'no such room'));
    expect([err.type, err.condition, err.text]).toEqual(['cancel', 'item-not-found', 'no such room']);
    const timeout = StanzaError.from(new AppError('timeout', 'bridge did not answer'));
    expect([timeout.type, timeout.condition]).toEqual(['wait', 'remote-server-timeout']);
  });

  it('StanzaError.from() of an internal AppError or any other value hides the message', () => {
    const internal = StanzaError.from(new AppError('internal', 'db password wrong'));
    expect(internal.condition).toBe('internal-server-error');
    expect(internal.text).toBeUndefined();
    const cause = new Error('secret stack detail');
    const other = StanzaError.from(cause);
    expect([other.type, other.condition, other.text]).toEqual(['cancel', 'internal-server-error', undefined]);
    expect(other.cause).toBe(cause);
    expect(serialize(other.toElement())).not.toContain('secret');
    expect(StanzaError.from('string thrown').condition).toBe('internal-server-error');
  });
});

describe('ERROR_TABLE', () => {
  it('ERROR_TABLE maps every code to an HTTP status and a condition whose type matches', () => {
    for (const [code, mapping] of Object.entries(ERROR_TABLE)) {
      expect(mapping.http, code).toBeGreaterThanOrEqual(400);
      expect(mapping.http, code).toBeLessThan(600);
      expect(new StanzaError(mapping.xmppCondition).type, code).toBe(mapping.xmppType);
    }
    expect(ERROR_TABLE['not-found']).toEqual({ http: 404, xmppType: 'cancel', xmppCondition: 'item-not-found' });
    expect(ERROR_TABLE['resource-constraint'].http).toBe(429);
    expect(Object.isFrozen(ERROR_TABLE)).toBe(true);
  });

  it('AppError keeps code, message, name and cause', () => {
    const cause = new Error('root');
    const err = new AppError('conflict' satisfies ErrorCode, 'exists', { cause });
    expect([err.name, err.code, err.message, err.cause]).toEqual(['AppError', 'conflict', 'exists', cause]);
    expect(err).toBeInstanceOf(Error);
  });
});

describe('errorReply()', () => {
  it('errorReply() to an iq swaps addresses, keeps the id and drops the payload', () => {
    const iq = parseXml(
      `<iq xmlns="${NS_CLIENT}" type="set" id="42" from="a@example.com/r" to="focus.example.com"><conference xmlns="urn:x"/></iq>`,
    );
    const reply = errorReply(iq, new StanzaError('not-allowed'));
    expect(reply.attrs).toEqual({
      xmlns: NS_CLIENT,
      type: 'error',
      id: '42',
      to: 'a@example.com/r',
      from: 'focus.example.com',
    });
    expect(reply.getChildElements().map((c) => c.name)).toEqual(['error']);
    expect(StanzaError.fromElement(reply).condition).toBe('not-allowed');
    expect(iq.getChild('conference')?.parent).toBe(iq);
  });

  it('errorReply() omits absent addresses and id', () => {
    const reply = errorReply(parseXml('<message><body>x</body></message>'), new StanzaError('bad-request'));
    expect(reply.attrs).toEqual({ type: 'error' });
  });

  it('errorReply() to a message or presence keeps a copy of the original payload', () => {
    const message = parseXml('<message to="r@c.example.com" id="m1"><body>hi</body></message>');
    const reply = errorReply(message, new StanzaError('forbidden'));
    expect(reply.name).toBe('message');
    expect(reply.attrs.from).toBe('r@c.example.com');
    expect(reply.attrs.to).toBeUndefined();
    expect(reply.getChildElements().map((c) => c.name)).toEqual(['body', 'error']);
    expect(reply.getChild('body')).not.toBe(message.getChild('body'));
    expect(message.getChildElements()).toHaveLength(1);
  });
});

describe('StreamError', () => {
  it('StreamError.toElement() declares the stream prefix and uses NS_STREAM_ERRORS', () => {
    const err = new StreamError('not-well-formed', { text: 'bad <xml>' });
    const text = serialize(err.toElement());
    expect(text).toBe(
      `<stream:error xmlns:stream="${NS_STREAMS}"><not-well-formed xmlns="${NS_STREAM_ERRORS}"/>` +
        `<text xmlns="${NS_STREAM_ERRORS}">bad &lt;xml&gt;</text></stream:error>`,
    );
    expect(parseXml(text).name).toBe('stream:error');
    expect([err.name, err.condition, err.text]).toEqual(['StreamError', 'not-well-formed', 'bad <xml>']);
  });

  it('StreamError.toElement() without text has only the condition', () => {
    expect(new StreamError('policy-violation').toElement().getChildElements()).toHaveLength(1);
  });
});
