/// <reference lib="dom" />
/**
 * lib-jitsi-meet interop, run inside a network namespace with only loopback (ljm-interop.test.ts
 * starts it): the unmodified lib-jitsi-meet bundle from npm, in Debian Chromium, against the real
 * edge and a real media node. Prints one JSON line with what every participant saw.
 */
import { mkdirSync } from 'node:fs';
import { SignJWT } from 'jose';
import { JWT, LJM_VERSION, openLjm, startWorld, type LjmPage } from './ljm-harness.ts';

interface Inbound { kind: string; ssrc: number; packets: number; framesDecoded: number; height: number; samples: number }
interface Stats { p2p: boolean; state: string; inbound: Inbound[]; senderReports: number }
interface LjmEvent { t: number; type: string; [k: string]: unknown }

const stats = (p: LjmPage) => p.page.evaluate(() => (window as unknown as { ljmStats(): Promise<Stats> }).ljmStats());
const events = (p: LjmPage) => p.page.evaluate(() => (window as unknown as { ljm: { events: LjmEvent[] } }).ljm.events);
const ljm = <T>(p: LjmPage, fn: string) => p.page.evaluate(`(() => { const s = window.ljm; return ${fn}; })()`) as Promise<T>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `fn` (an expression over `s`, the page's window.ljm) is truthy; false on timeout. */
async function until(p: LjmPage, fn: string, timeoutMs = 15_000): Promise<boolean> {
  try {
    await p.page.waitForFunction(`(() => { const s = window.ljm; return ${fn}; })()`, undefined, { timeout: timeoutMs, polling: 100 });
    return true;
  } catch {
    return false;
  }
}

/** SSRCs whose decoding progressed over `ms`: video frames decoded, audio samples that were not concealment. */
async function flowing(p: LjmPage, ms = 1500): Promise<{ video: number; audio: number; p2p: boolean; heights: number[] }> {
  const a = await stats(p);
  await sleep(ms);
  const b = await stats(p);
  const before = new Map(a.inbound.map((s) => [s.ssrc, s]));
  const grew = b.inbound.filter((s) => {
    const old = before.get(s.ssrc);
    return s.kind === 'video' ? s.framesDecoded > (old?.framesDecoded ?? 0) : s.samples > (old?.samples ?? 0);
  });
  return {
    video: grew.filter((s) => s.kind === 'video').length, audio: grew.filter((s) => s.kind === 'audio').length, p2p: b.p2p,
    heights: grew.filter((s) => s.kind === 'video').map((s) => s.height),
  };
}

/** Polls {@link flowing} until it shows at least `video` and `audio` streams, or gives the last sample. */
async function waitFlowing(p: LjmPage, video: number, audio: number, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last = await flowing(p, 1000);
  while ((last.video < video || last.audio < audio) && Date.now() < deadline) last = await flowing(p, 1000);
  return last;
}

/** Polls the heights of the videos `p` decodes until they are `want` (sorted) or 10 s passed; returns the last. */
async function heightsWithin(p: LjmPage, want: number[]): Promise<number[]> {
  const deadline = Date.now() + 10_000;
  let heights: number[] = [];
  do heights = (await flowing(p, 1000)).heights.sort((a, b) => a - b);
  while (heights.join() !== want.join() && Date.now() < deadline);
  return heights;
}

/** Video layers (outbound SSRCs) `p` is sending, counted by bytes growing over a second. */
async function sentLayers(p: LjmPage): Promise<number> {
  const bytes = () => p.page.evaluate(async () => {
    const pc = (window as unknown as { ljm: { conference: { jvbJingleSession: { peerconnection: { peerconnection: RTCPeerConnection } } } } }).ljm.conference.jvbJingleSession.peerconnection.peerconnection;
    const m: Record<string, number> = {};
    (await pc.getStats()).forEach((s: Record<string, unknown>) => { if (s.type === 'outbound-rtp' && s.kind === 'video') m[String(s.ssrc)] = Number(s.bytesSent); });
    return m;
  });
  const a = await bytes();
  await sleep(1000);
  const b = await bytes();
  return Object.entries(b).filter(([ssrc, n]) => n > (a[ssrc] ?? 0)).length;
}

const myId = (p: LjmPage) => ljm<string>(p, 's.conference.myUserId()');
const result: Record<string, unknown> = { ljmVersion: LJM_VERSION };
const world = await startWorld();
const shots = process.env.SCREENSHOT_DIR;
if (shots) mkdirSync(shots, { recursive: true });
try {
  // 1. Three participants through the bridge.
  const names = ['alice', 'bob', 'carol'];
  const people: LjmPage[] = [];
  for (const nick of names) people.push(await openLjm(world, { room: 'ljm-bridge', nick }));
  const [alice, bob, carol] = people as [LjmPage, LjmPage, LjmPage];
  result.joined = await Promise.all(people.map((p) => until(p, 's.joinedAt > 0')));
  const ids = await Promise.all(people.map(myId));
  result.sawOthers = await Promise.all(people.map((p) => until(p, 'new Set(s.events.filter((e) => e.type === "user-joined").map((e) => e.name)).size === 2')));
  result.remoteTracks = await Promise.all(people.map(async (p) => {
    await until(p, 's.remoteTracks.length >= 4');
    return ljm<Array<{ owner: string; type: string }>>(p, 's.remoteTracks');
  }));
  result.idsOfOthers = ids;
  result.bridgeFlow = await Promise.all(people.map((p) => waitFlowing(p, 2, 2)));
  result.firstFrameMs = await Promise.all(people.map((p) => ljm<number>(p, 's.firstRemoteFrameAt ? Math.round(s.firstRemoteFrameAt - s.joinRequestedAt) : -1')));
  result.bridgeChannel = await Promise.all(people.map((p) => until(p, 's.events.some((e) => e.type === "bridge-channel-open")', 5000)));
  result.dominantSpeaker = await Promise.all(people.map((p) => until(p, 's.events.some((e) => e.type === "dominant-speaker")', 10_000)));
  if (shots) for (const [i, p] of people.entries()) await p.page.screenshot({ path: `${shots}/ljm-${names[i]}.png` });

  // Chat, endpoint messages over the bridge channel, mute.
  await alice.page.evaluate(() => (window as unknown as { ljm: { conference: { sendTextMessage(t: string): void } } }).ljm.conference.sendTextMessage('hello from alice'));
  result.chat = await Promise.all([bob, carol].map((p) => until(p, `s.messages.some((m) => m.text === 'hello from alice' && m.id === ${JSON.stringify(ids[0])})`, 5000)));
  await bob.page.evaluate(() => (window as unknown as { ljm: { conference: { broadcastEndpointMessage(m: unknown): void } } }).ljm.conference.broadcastEndpointMessage({ type: 'interop-hello' }));
  result.endpointMessage = await Promise.all([alice, carol].map((p) => until(p, `s.events.some((e) => e.type === 'endpoint-message' && e.msg.type === 'interop-hello' && e.from === ${JSON.stringify(ids[1])})`, 5000)));
  await ljm(bob, 's.localTracks.find((t) => t.getType() === "audio").mute()');
  result.audioMuteSeen = await Promise.all([alice, carol].map((p) => until(p, `s.events.some((e) => e.type === 'mute-changed' && e.owner === ${JSON.stringify(ids[1])} && e.type === 'mute-changed' && e.muted === true)`, 5000)));
  await ljm(bob, 's.localTracks.find((t) => t.getType() === "audio").unmute()');
  await ljm(carol, 's.localTracks.find((t) => t.getType() === "audio").unmute()');
  result.audioUnmuteSeen = await Promise.all([alice, carol].map((p) => until(p, `s.events.filter((e) => e.type === 'mute-changed' && e.owner === ${JSON.stringify(ids[1])}).at(-1)?.muted === false`, 5000)));

  // Simulcast: carol limits what she receives (thumbnails), then puts alice on stage.
  const constrain = (p: LjmPage, c: unknown) => p.page.evaluate((x) => (window as unknown as { ljm: { conference: { setReceiverConstraints(c: unknown): void } } }).ljm.conference.setReceiverConstraints(x), c);
  const setConstraints = async (c: unknown) => { await constrain(bob, c); await constrain(carol, c); };
  // Tiny thumbnails (90p): receivers get the lowest layer there is (180p here).
  await setConstraints({ lastN: -1, constraints: {}, defaultConstraints: { maxHeight: 90 }, onStageEndpoints: [], selectedEndpoints: [] });
  result.thumbnailHeights = await heightsWithin(carol, [180, 180]);
  // Bob and carol want 90p only: the node tells alice (SenderVideoConstraints idealHeight 90) and she
  // stops encoding her upper layer.
  result.thumbnailSentLayers = await sentLayers(alice);
  await constrain(carol, { lastN: -1, constraints: { [ids[0]!]: { maxHeight: 720 } }, defaultConstraints: { maxHeight: 180 }, onStageEndpoints: [ids[0]], selectedEndpoints: [] });
  // Senders were told to stop their 360p layer for thumbnails; it comes back for the stage.
  result.stageHeights = await heightsWithin(carol, [180, 360]);
  result.stageSentLayers = await sentLayers(alice);
  await setConstraints({ lastN: -1, constraints: {}, defaultConstraints: { maxHeight: 720 }, onStageEndpoints: [], selectedEndpoints: [] });

  // Chrome sends audio SRs every few seconds: by now every stream has had some.
  result.senderReports = await Promise.all(people.map(async (p) => (await stats(p)).senderReports));

  // Screen sharing: alice swaps her camera for a screen capture.
  try {
    result.shareType = await alice.page.evaluate(() => (window as unknown as { ljmShareScreen(): Promise<string> }).ljmShareScreen());
    result.desktopSeen = await Promise.all([bob, carol].map((p) => until(p, `s.conference.getParticipantById(${JSON.stringify(ids[0])})?.getTracksByMediaType('video')[0]?.getVideoType() === 'desktop'`, 10_000)));
    result.afterShareFlow = await Promise.all([bob, carol].map((p) => waitFlowing(p, 2, 0, 10_000)));
  } catch (err) {
    result.shareError = String(err);
  }

  // Last-N: carol asks for one video only. Bob and carol go quiet so alice stays the dominant speaker.
  await ljm(bob, 's.localTracks.find((t) => t.getType() === "audio").mute()');
  await ljm(carol, 's.localTracks.find((t) => t.getType() === "audio").mute()');
  await until(carol, `s.events.filter((e) => e.type === 'dominant-speaker').at(-1)?.id === ${JSON.stringify(ids[0])}`, 5000);
  await ljm(carol, 's.conference.setLastN(1)');
  result.lastN = await until(carol, 'Array.isArray(s.lastN) && s.lastN.length === 1', 10_000) ? await ljm(carol, 's.lastN') : await ljm(carol, 's.lastN');
  // A forwarded video that last-N paused and resumed starts again at a keyframe: a few windows.
  await sleep(1000);
  let lastNFlow = await flowing(carol);
  for (let i = 0; i < 3 && lastNFlow.video !== 1; i++) lastNFlow = await flowing(carol);
  result.lastNFlow = lastNFlow;
  await ljm(carol, 's.conference.setLastN(-1)');
  await ljm(bob, 's.localTracks.find((t) => t.getType() === "audio").unmute()');
  await ljm(carol, 's.localTracks.find((t) => t.getType() === "audio").unmute()');

  // Carol leaves: the others see her go and lose her tracks.
  await carol.page.evaluate(() => (window as unknown as { ljmLeave(): Promise<void> }).ljmLeave());
  result.leftSeen = await Promise.all([alice, bob].map((p) => until(p, `s.left.includes(${JSON.stringify(ids[2])}) && s.events.filter((e) => e.type === 'track-removed' && e.owner === ${JSON.stringify(ids[2])}).length >= 1`, 10_000)));
  result.afterLeaveFlow = await Promise.all([alice, bob].map((p) => waitFlowing(p, 1, 1, 10_000)));
  // Moderator actions: alice (the first, so the owner) mutes bob, makes him a moderator, kicks a newcomer.
  result.aliceModerator = await ljm<boolean>(alice, 's.conference.isModerator()');
  await ljm(alice, `s.conference.muteParticipant(${JSON.stringify(ids[1])})`);
  result.remoteMuteApplied = await until(bob, 's.localTracks.find((t) => t.getType() === "audio").isMuted()', 5000);
  result.remoteMuteSeen = await until(alice, `s.events.filter((e) => e.type === 'mute-changed' && e.owner === ${JSON.stringify(ids[1])}).at(-1)?.muted === true`, 5000);
  await ljm(alice, `s.conference.grantOwner(${JSON.stringify(ids[1])})`);
  result.grantSeen = await until(bob, `s.events.some((e) => e.type === 'role' && e.id === ${JSON.stringify(ids[1])} && e.role === 'moderator')`, 5000);
  const dave = await openLjm(world, { room: 'ljm-bridge', nick: 'dave' });
  await until(dave, 's.joinedAt > 0');
  await ljm(alice, `s.conference.kickParticipant(${JSON.stringify(await myId(dave))})`);
  result.kicked = await until(dave, 's.events.some((e) => e.type === "kicked")', 5000);
  await dave.page.close();

  result.consoleErrors = people.map((p) => p.console.filter((l) => l.startsWith('pageerror') || /error:.*(Jingle|XMPP|strophe|session)/i.test(l)).slice(0, 10));
  for (const p of people) await p.page.close();

  // 2. A locked room: the password is required, then accepted.
  const owner = await openLjm(world, { room: 'ljm-locked', nick: 'owner' });
  await until(owner, 's.joinedAt > 0');
  await ljm(owner, 's.conference.lock("sesame")');
  await sleep(500);
  const guest = await openLjm(world, { room: 'ljm-locked', nick: 'guest' });
  result.passwordRequired = await until(guest, 's.errors.includes("conference.passwordRequired")', 10_000);
  await ljm(guest, 's.conference.join("sesame")');
  result.passwordAccepted = await until(guest, 's.joinedAt > 0', 10_000);
  await owner.page.close();
  await guest.page.close();

  // 3. One-to-one: P2P between the two browsers, Jingle relayed by the room.
  const p1 = await openLjm(world, { room: 'ljm-p2p', nick: 'p1', p2p: true });
  const p2 = await openLjm(world, { room: 'ljm-p2p', nick: 'p2', p2p: true });
  result.p2pOn = await Promise.all([p1, p2].map((p) => until(p, 's.events.some((e) => e.type === "p2p" && e.on === true)', 15_000)));
  result.p2pFlow = await Promise.all([p1, p2].map((p) => waitFlowing(p, 1, 1, 10_000)));
  // A third joins: everyone is on the bridge (P2P ends), and each decodes the other two.
  const p3 = await openLjm(world, { room: 'ljm-p2p', nick: 'p3', p2p: true });
  result.p2pOff = await Promise.all([p1, p2].map((p) => until(p, 's.events.filter((e) => e.type === "p2p").at(-1)?.on === false', 15_000)));
  result.afterThirdFlow = await Promise.all([p1, p2, p3].map((p, i) => waitFlowing(p, i === 2 ? 2 : 1, i === 2 ? 2 : 1, 15_000)));
  for (const p of [p1, p2, p3]) await p.page.close();

  // 4. JWT: a token with a moderator claim makes an owner of a later joiner; its user is the identity others see.
  const jwt = (claims: Record<string, unknown>, secret = JWT.secret) => new SignJWT({ aud: 'jitsi', sub: '*', ...claims })
    .setProtectedHeader({ alg: 'HS256' }).setIssuer(JWT.appId).setIssuedAt().setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
  const anon = await openLjm(world, { room: 'ljm-jwt', nick: 'anon' });
  await until(anon, 's.joinedAt > 0');
  const jay = await openLjm(world, { room: 'ljm-jwt', nick: 'jay', token: await jwt({ room: 'ljm-jwt', moderator: true, context: { user: { id: 'jay-1', name: 'Jay Token' } } }) });
  result.jwtJoined = await until(jay, 's.joinedAt > 0', 10_000);
  result.jwtModerator = await ljm<boolean>(jay, 's.conference.isModerator()');
  const jayId = await myId(jay);
  result.jwtIdentity = await ljm(anon, `s.conference.getParticipantById(${JSON.stringify(jayId)})?._identity ?? null`);
  result.jwtFlow = await waitFlowing(jay, 1, 1, 10_000);
  const forged = await openLjm(world, { room: 'ljm-jwt', nick: 'forger', token: await jwt({ room: 'ljm-jwt', moderator: true }, 'not-the-secret-0123456789abcdef0123456') });
  result.forgedRefused = await ljm<string | undefined>(forged, 's.connectError');
  const wrongRoom = await openLjm(world, { room: 'ljm-jwt', nick: 'lost', token: await jwt({ room: 'another-room' }) });
  result.wrongRoomRefused = await until(wrongRoom, 's.errors.length > 0', 10_000) ? await ljm<string[]>(wrongRoom, 's.errors') : [];

  for (const p of [anon, jay, forged, wrongRoom]) await p.page.close();

  // 5. AV moderation: the moderator turns audio moderation on (the other is muted by the focus and
  // silenced on the bridge), then approves the participant, who unmutes and is heard again.
  const mod = await openLjm(world, { room: 'ljm-avmod', nick: 'mod' });
  await until(mod, 's.joinedAt > 0');
  const pat = await openLjm(world, { room: 'ljm-avmod', nick: 'pat' });
  await until(pat, 's.joinedAt > 0');
  result.avSupported = await ljm<boolean>(mod, 's.conference.isAVModerationSupported()');
  result.avBefore = await waitFlowing(mod, 1, 1, 15_000);
  await ljm(mod, 's.conference.enableAVModeration("audio")');
  result.avEnabledSeen = await until(pat, 's.events.some((e) => e.type === "av-moderation" && e.enabled === true && e.media === "audio")', 5000);
  result.avPatMuted = await until(pat, 's.localTracks.find((t) => t.getType() === "audio").isMuted()', 5000);
  await sleep(500);
  result.avWhileModerated = await flowing(mod);
  await ljm(mod, `s.conference.avModerationApprove("audio", ${JSON.stringify(await myId(pat))})`);
  result.avApprovedSeen = await until(pat, 's.events.some((e) => e.type === "av-approved" && e.media === "audio")', 5000);
  await ljm(pat, 's.localTracks.find((t) => t.getType() === "audio").unmute()');
  result.avAfterApproval = await waitFlowing(mod, 1, 1, 10_000);

  result.events = Object.fromEntries(await Promise.all([alice, p1].map(async (p, i) => [i, (await events(p).catch(() => [])).filter((e) => e.type !== 'dominant-speaker').slice(0, 60)])));
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
} finally {
  await world.stop();
}
console.log(JSON.stringify(result));
