/// <reference lib="dom" />
/**
 * Today's lib-jitsi-meet on a secure domain with guests, run inside a network namespace with only
 * loopback (ljm-login.test.ts starts it): the edge with AUTH_POLICY=guests and OIDC login against a
 * real OpenID Provider (oidc-provider); a guest page (no token: the library logs in to
 * hosts.anonymousdomain) arrives first and is told authentication is required (jitsi-meet's
 * wait-for-host); the host logs in through the edge's /oidc/* (cookie-jar client: real redirects),
 * joins with the minted token; the guest asks again, as jitsi-meet's wait-for-owner does, and gets
 * in. Prints one JSON line.
 */
import { CookieJarClient } from '../helpers/cookie-jar-fetch.ts';
import { startOidcProvider } from '../helpers/oidc-provider.ts';
import { CURRENT_CONFERENCE_DEFAULTS, openLjm, startWorld, untilInPage, type LjmPage } from './ljm-harness.ts';

const ljm = <T>(p: LjmPage, fn: string) => p.page.evaluate(`(() => { const s = window.ljm; return ${fn}; })()`) as Promise<T>;
const result: Record<string, unknown> = {};
const op = await startOidcProvider({
  users: { hana: { password: 'hana-pw', claims: { name: 'Hana Host', preferred_username: 'hana', email: 'hana@example.com', groups: ['/moderators'] } } },
});
const world = await startWorld({
  AUTH_POLICY: 'guests', OIDC_ISSUER_URL: op.issuer, OIDC_CLIENT_ID: op.clientId, OIDC_CLIENT_SECRET: op.clientSecret,
  OIDC_COOKIE_SECRET: 'ljm-login-cookie-secret-0123456789abcdef',
});
op.register([`${world.edge.url}/oidc/callback`]);
const room = 'securedroom';
try {
  const guest = await openLjm(world, { room, nick: 'guest', build: 'current', conferenceOptions: CURRENT_CONFERENCE_DEFAULTS });
  result.guestDomain = await ljm<string>(guest, 's.connection.xmpp.connection.domain');
  result.guestWaits = await untilInPage(guest, 's.errors.some((e) => e === "conference.authenticationRequired")', 15_000);
  result.guestErrors = await ljm<string[]>(guest, 's.errors');

  const jar = new CookieJarClient();
  const loginPage = await jar.navigate(`${world.edge.url}/oidc/auth?path=/${room}`);
  const back = await jar.submitForm(loginPage, { username: 'hana', password: 'hana-pw' }, { stopAt: (loc) => loc.startsWith(`${world.edge.url}/${room}`) });
  const token = new URL(back.url).searchParams.get('jwt') ?? '';
  result.tokenMinted = token.split('.').length === 3;
  const host = await openLjm(world, { room, nick: 'host', token, build: 'current', conferenceOptions: CURRENT_CONFERENCE_DEFAULTS });
  result.hostJoined = await untilInPage(host, 's.joinedAt > 0', 15_000);
  result.hostModerator = await untilInPage(host, 's.conference.isModerator()', 10_000);
  result.hostErrors = await ljm<string[]>(host, 's.errors');

  // jitsi-meet's wait-for-owner asks again by joining the conference again.
  await guest.page.evaluate(() => (window as unknown as { ljm: { conference: { join(): void } } }).ljm.conference.join());
  result.guestJoined = await untilInPage(guest, 's.joinedAt > 0 && s.conference.getParticipants().length === 1', 15_000);
  result.guestSeesHost = await ljm<string[]>(guest, 's.conference.getParticipants().map((p) => `${p.getDisplayName() ?? ""}|${p.getRole()}`)');
  result.hostSeesGuest = await untilInPage(host, 's.conference.getParticipants().length === 1', 10_000);
  await Promise.all([guest.leave(), host.leave()]);
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
} finally {
  await world.stop();
  await op.stop();
}
console.log(JSON.stringify(result));
