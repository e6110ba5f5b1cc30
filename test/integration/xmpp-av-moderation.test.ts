import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from '@edgemeet/protocol';
import { startEdge, type RunningEdge } from '../helpers/edge.ts';
import { joinRoom, xml, type TestClient } from '../helpers/xmpp-client.ts';

const MUC = 'conference.meet.jitsi';
const AVMOD = 'avmoderation.meet.jitsi';

const avMessage = (s: Element) => s.name === 'message' && s.attrs.from === AVMOD;
const body = (s: Element) => JSON.parse(s.getChildText('json-message', 'http://jitsi.org/jitmeet') ?? '{}') as Record<string, unknown>;

describe('the AV moderation component (avmoderation.<domain>, as Prosody\'s mod_av_moderation)', () => {
  let edge: RunningEdge;
  const clients: TestClient[] = [];
  beforeAll(async () => { edge = await startEdge({ LOG_LEVEL: 'warn' }); });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop()));
    await edge?.stop();
  });

  it('is announced in the domain\'s disco#info; moderators enable it and approve or reject participants; others are refused; bad commands get errors', async () => {
    const room = 'avmod';
    const roomJid = `${room}@${MUC}`;
    const mod = await joinRoom(edge.wsUrl, room, 'mod');
    const pat = await joinRoom(edge.wsUrl, room, 'pat');
    clients.push(mod, pat);
    const info = await mod.iq(xml('iq', { type: 'get', to: 'meet.jitsi' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    expect(info.getChild('query')?.getChildren('identity').map((i) => i.attrs)).toContainEqual({ category: 'component', type: 'av_moderation', name: AVMOD });

    const command = (attrs: Record<string, string>) => xml('message', { to: AVMOD }, xml('av_moderation', attrs));
    // A participant cannot enable it.
    await pat.send(command({ enable: 'true', mediaType: 'audio' }));
    const refused = await pat.waitFor((s) => s.name === 'message' && s.attrs.type === 'error');
    expect(refused.getChild('error')?.getChild('forbidden', 'urn:ietf:params:xml:ns:xmpp-stanzas')).toBeDefined();

    await mod.send(command({ enable: 'true', mediaType: 'audio' }));
    for (const c of [mod, pat]) {
      expect(body(await c.waitFor((s) => avMessage(s) && body(s).enabled === true))).toMatchObject({ type: 'av_moderation', enabled: true, mediaType: 'audio', actor: `${roomJid}/mod` });
    }
    expect(body(await mod.waitFor((s) => avMessage(s) && body(s).whitelists !== undefined))).toMatchObject({ whitelists: { audio: [] } });

    await mod.send(command({ mediaType: 'audio', jidToWhitelist: `${roomJid}/pat` }));
    expect(body(await pat.waitFor((s) => avMessage(s) && body(s).approved === true))).toMatchObject({ mediaType: 'audio' });
    expect(body(await mod.waitFor((s) => avMessage(s) && body(s).whitelists !== undefined))).toMatchObject({ whitelists: { audio: [`${roomJid}/pat`] }, removed: false });
    await mod.send(command({ mediaType: 'audio', jidToBlacklist: `${roomJid}/pat` }));
    expect(body(await pat.waitFor((s) => avMessage(s) && body(s).removed === true))).toMatchObject({ mediaType: 'audio' });

    // A newcomer is told what is moderated.
    const late = await joinRoom(edge.wsUrl, room, 'late');
    clients.push(late);
    expect(body(await late.waitFor((s) => avMessage(s)))).toMatchObject({ enabled: true, mediaType: 'audio' });

    for (const [attrs, condition] of [
      [{ enable: 'true', mediaType: 'smell' }, 'bad-request'],
      [{ mediaType: 'audio', jidToWhitelist: `${roomJid}/nobody` }, 'item-not-found'],
      [{ mediaType: 'video', jidToWhitelist: `${roomJid}/pat` }, 'not-allowed'],
      [{ mediaType: 'audio' }, 'bad-request'],
    ] as const) {
      await mod.send(command(attrs));
      const err = await mod.waitFor((s) => s.name === 'message' && s.attrs.type === 'error');
      expect(err.getChild('error')?.getChild(condition, 'urn:ietf:params:xml:ns:xmpp-stanzas'), JSON.stringify(attrs)).toBeDefined();
    }
    // Off again: everyone hears.
    await mod.send(command({ enable: 'false', mediaType: 'audio' }));
    expect(body(await late.waitFor((s) => avMessage(s) && body(s).enabled === false))).toMatchObject({ mediaType: 'audio' });
  });
});
