import { describe, expect, it } from 'vitest';
import { parseXml } from '../xml/parse.ts';
import { buildJsonMessage, checkJsonMessages, parseJsonMessage } from './json-message.ts';
import { StanzaError } from './stanza-error.ts';
import { parseAvModerationCommand } from './av-moderation-command.ts';

const message = (json: string) => parseXml(`<message xmlns="jabber:client"><json-message xmlns="http://jitsi.org/jitmeet">${json}</json-message></message>`);
const condition = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof StanzaError) return err.condition;
    throw err;
  }
};

describe('json-message', () => {
  it('parseJsonMessage() reads what buildJsonMessage() writes', () => {
    const body = { type: 'av_moderation', enabled: true, mediaType: 'audio' };
    expect(parseJsonMessage(buildJsonMessage(body))).toEqual(body);
  });

  it('checkJsonMessages() refuses deep, wide and broken JSON as bad-request, and leaves other children alone', () => {
    expect(condition(() => checkJsonMessages(message('['.repeat(12_000) + ']'.repeat(12_000))))).toBe('bad-request');
    expect(condition(() => checkJsonMessages(message(`[${'0,'.repeat(2000)}0]`)))).toBe('bad-request');
    expect(condition(() => checkJsonMessages(message('{"type"')))).toBe('bad-request');
    expect(condition(() => checkJsonMessages(message('{"type":"polls","answers":[{"name":"yes"}]}')))).toBeNull();
    expect(condition(() => checkJsonMessages(parseXml('<message xmlns="jabber:client"><body>[[[[</body></message>')))).toBeNull();
  });
});

describe('parseAvModerationCommand()', () => {
  const el = (attrs: string) => parseXml(`<av_moderation xmlns="http://jitsi.org/jitmeet" ${attrs}/>`);

  it("reads lib-jitsi-meet's commands", () => {
    expect(parseAvModerationCommand(el('enable="true" mediaType="audio"'))).toEqual({ media: 'audio', enable: true });
    expect(parseAvModerationCommand(el('enable="false" mediaType="video"'))).toEqual({ media: 'video', enable: false });
    const approve = parseAvModerationCommand(el('jidToWhitelist="r@conference.meet.jitsi/bob" mediaType="audio"'));
    expect('approve' in approve && approve.approve.resource).toBe('bob');
  });

  it('refuses anything else with bad-request: other media, several or no actions, non-boolean enable, huge or bare JIDs', () => {
    for (const attrs of ['enable="true" mediaType="screen"', 'mediaType="audio"', 'enable="yes" mediaType="audio"',
      'enable="true" jidToWhitelist="r@c/b" mediaType="audio"', `jidToWhitelist="${'x'.repeat(5000)}@c/b" mediaType="audio"`,
      'jidToBlacklist="r@conference.meet.jitsi" mediaType="audio"']) {
      expect(condition(() => parseAvModerationCommand(el(attrs))), attrs).toBe('bad-request');
    }
  });
});
