/**
 * The self-hosted edge: the Worker on workerd from its generated config (scripts/workerd-config.mjs),
 * Durable Objects on a local directory, a media node dialling in, two participants in a call
 * through the focus and the node. Then workerd is restarted mid-call (SIGTERM, as `systemctl
 * restart` does, and started again on the same storage): media keeps flowing through the node while
 * the edge is down, the participants resume their XMPP sessions (XEP-0198, @xmpp/client), nobody
 * saw anybody leave, the node registers again, and a newcomer finds the room, its occupants and
 * their affiliations as they were and joins the call (the focus's state came back from disk).
 */
import { get } from 'node:http';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinConference, type Participant } from '../helpers/jingle-participant.ts';
import { registeredBridges, startMediaNodeProcess, type MediaNodeProcess } from '../helpers/media-node-process.ts';
import { freePort, generateSelfHostedConfig, startWorkerd, type WorkerdEdge } from '../helpers/self-hosted-edge.ts';
import { itemOf, presenceFrom, sleep, xml } from '../helpers/xmpp-client.ts';

const SECRET = 'self-hosted-bridge-secret';
const ROOM = 'selfhosted';
const MUC = 'conference.meet.jitsi';
const roomJid = `${ROOM}@${MUC}`;

/** Sends audio from `senders` in short bursts until `done()` holds. */
async function flowUntil(senders: Participant[], done: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('media did not flow in time');
    await Promise.all(senders.map((p) => p.sendAudio(5)));
  }
}

function httpGet(url: string, headers: Record<string, string>): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

/** The parts of @xmpp/client used here that its typings leave out (EventEmitters, reconnect()). */
interface Resumable {
  once(event: 'disconnect', listener: () => void): void;
  streamManagement: { enabled: boolean; id: string; once(event: 'resumed', listener: () => void): void };
  reconnect: { reconnect(): Promise<void> };
}
const client = (p: Participant) => p.xmpp.xmpp as unknown as Resumable;

const got = (receiver: Participant, sender: Participant) => receiver.received.get(sender.ssrc!) ?? 0;

describe('the self-hosted edge (workerd, generated config, local Durable Object storage)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgemeet-self-hosted-'));
  const configDir = join(dir, 'config');
  const storage = join(dir, 'durable-objects');
  const env = { BRIDGE_SECRET: SECRET, LOG_LEVEL: process.env.EDGE_LOG_LEVEL ?? 'warn', XMPP_DOMAIN: 'meet.jitsi' };
  let port: number;
  let edge: WorkerdEdge | undefined;
  let node: MediaNodeProcess | undefined;
  const people: Participant[] = [];

  beforeAll(async () => {
    await generateSelfHostedConfig(configDir, storage);
    port = await freePort();
    edge = await startWorkerd({ configDir, storage, port, env });
  });
  afterAll(async () => {
    await Promise.all(people.map((p) => p.leave().catch(() => undefined)));
    node?.kill('SIGKILL');
    await edge?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the web app, /config.js behind a TLS terminator, and the health route', async () => {
    // A browser's navigation to a room URL gets the web app (fetch() cannot send Sec-Fetch-Mode: navigate).
    const page = await httpGet(`${edge!.url}/some-room`, { 'sec-fetch-mode': 'navigate' });
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/^text\/html/);
    expect(page.body).toContain('<script');
    // Its script, by the path the page names, with a JavaScript type.
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${edge!.url}${script}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    // A path that is neither an asset nor a navigation reaches the Worker (its JSON 404).
    expect((await fetch(`${edge!.url}/no-such-thing`)).status).toBe(404);
    const config = (await httpGet(`${edge!.url}/config.js`, { 'x-forwarded-proto': 'https', host: 'meet.example.com' })).body;
    expect(config).toContain('"websocket": "wss://meet.example.com/xmpp-websocket"');
    expect((await (await fetch(`${edge!.url}/about/health`)).json())).toMatchObject({ service: 'edgemeet-edge' });
  });

  it('holds a call through a restart of workerd: sessions resume, the room and its occupants come back from disk', async () => {
    node = await startMediaNodeProcess({ edgeUrl: `ws://127.0.0.1:${port}`, secret: SECRET, nodeId: 'self-hosted-node' });
    await expect.poll(async () => (await registeredBridges(edge!.url)).filter((b) => b.connected).map((b) => b.id), { timeout: 15_000 }).toContain('self-hosted-node');
    for (const nick of ['alice', 'bob']) people.push(await joinConference(edge!.wsUrl, ROOM, nick));
    const [alice, bob] = people as [Participant, Participant];
    await expect.poll(() => people.every((p) => p.ssrc !== null), { timeout: 15_000 }).toBe(true);
    await flowUntil(people, () => got(bob, alice) > 0 && got(alice, bob) > 0);
    // Every participant's stream is resumable.
    await expect.poll(() => people.every((p) => p.xmpp.xmpp.streamManagement.enabled), { timeout: 5_000 }).toBe(true);
    const ids = people.map((p) => p.xmpp.xmpp.streamManagement.id);
    expect(ids.every((id) => /^[0-9a-f]{32}$/.test(id))).toBe(true);
    const aliceSelf = alice.xmpp.received((s) => s.name === 'presence' && s.attrs.from === `${roomJid}/alice`).at(-1)!;
    const affiliationBefore = itemOf(aliceSelf).affiliation;
    const storedFiles = readdirSync(storage, { recursive: true }).map(String);
    expect(storedFiles.some((f) => f.startsWith('edgemeet-RoomDurableObject/') && f.endsWith('.sqlite'))).toBe(true);

    // systemctl restart: SIGTERM, then a new process on the same storage.
    const down = people.map((p) => new Promise<void>((resolve) => client(p).once('disconnect', () => resolve())));
    const stoppedAt = performance.now();
    const how = await edge!.stop();
    await Promise.all(down);
    // The node keeps forwarding while the edge is away: media needs no signalling.
    const during = [got(bob, alice), got(alice, bob)];
    await flowUntil(people, () => got(bob, alice) > during[0]! + 10 && got(alice, bob) > during[1]! + 10, 5_000);
    edge = await startWorkerd({ configDir, storage, port, env });
    console.log(`workerd restarted on the same storage: stopped by ${how}, down for ${Math.round(performance.now() - stoppedAt)} ms`);

    // The participants resume their sessions (XEP-0198: <resume previd h/>, as @xmpp/client does on reconnect).
    const resumed = people.map((p) => new Promise<void>((resolve) => client(p).streamManagement.once('resumed', () => resolve())));
    await Promise.all(people.map((p) => client(p).reconnect.reconnect()));
    await Promise.all(resumed);
    expect(people.map((p) => p.xmpp.xmpp.streamManagement.id)).toEqual(ids);
    // A resumed session works: a message goes through the room.
    await alice.xmpp.send(xml('message', { to: roomJid, type: 'groupchat' }, xml('body', null, 'still here after the restart')));
    await bob.xmpp.waitFor((s) => s.getChildText('body') === 'still here after the restart', 10_000);
    // Nobody saw anybody leave.
    for (const [watcher, other] of [[alice, 'bob'], [bob, 'alice']] as const) {
      expect(watcher.xmpp.received(presenceFrom(roomJid, other, 'unavailable'))).toHaveLength(0);
    }
    // The media node comes back by itself, under the same process (its conferences are kept).
    await expect.poll(async () => (await registeredBridges(edge!.url)).filter((b) => b.connected).map((b) => b.id), { timeout: 20_000 }).toContain('self-hosted-node');

    // A newcomer finds the room as it was (occupants, affiliations) and joins the call: the focus
    // invites it on the same node with the others' sources, and media flows all ways.
    people.push(await joinConference(edge!.wsUrl, ROOM, 'carol'));
    const carol = people[2]!;
    const aliceSeen = await carol.xmpp.waitFor(presenceFrom(roomJid, 'alice'), 10_000);
    await carol.xmpp.waitFor(presenceFrom(roomJid, 'bob'), 10_000);
    await carol.xmpp.waitFor(presenceFrom(roomJid, 'focus'), 10_000);
    expect(itemOf(aliceSeen).affiliation).toBe(affiliationBefore);
    await expect.poll(() => carol.ssrc !== null, { timeout: 15_000 }).toBe(true);
    expect(carol.sessions).toHaveLength(1);
    await flowUntil(people, () => got(carol, alice) > 5 && got(carol, bob) > 5 && got(alice, carol) > 5 && got(bob, carol) > 5);
    // Alice and Bob kept their first sessions throughout: nobody was re-invited.
    expect(alice.sessions).toHaveLength(1);
    expect(bob.sessions).toHaveLength(1);
    await sleep(100);
  }, 120_000);
});
