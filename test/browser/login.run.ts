/// <reference lib="dom" />
/**
 * Our web app's Log in, run inside a network namespace with only loopback (login.test.ts starts
 * it): a real OpenID Provider (oidc-provider, Keycloak-shaped realm) and the edge; Chromium clicks
 * Log in on the pre-join screen, signs in on the provider's page, comes back signed in (name,
 * moderator by group claim, the token gone from the address bar), joins and is a moderator in the
 * room that someone else created; Log in on the home page, Log out. Prints one JSON line.
 */
import { mkdirSync } from 'node:fs';
import { launchChromium } from '../helpers/chromium.ts';
import { startEdge } from '../helpers/edge.ts';
import { startOidcProvider } from '../helpers/oidc-provider.ts';
import { connectClient, isSelfPresence, joinPresence } from '../helpers/xmpp-client.ts';

const result: Record<string, unknown> = {};
const shots = 'test-results/login';
mkdirSync(shots, { recursive: true });
const op = await startOidcProvider({
  users: { alice: { password: 'alice-pw', claims: { name: 'Alice Example', preferred_username: 'alice', email: 'alice@example.com', groups: ['/moderators'] } } },
});
const edge = await startEdge({
  LOG_LEVEL: 'warn', JWT_APP_ID: 'edgemeet-browser', JWT_APP_SECRET: 'browser-login-secret-0123456789abcdef0123', JWT_ALLOW_ANONYMOUS: 'true',
  OIDC_ISSUER_URL: op.issuer, OIDC_CLIENT_ID: op.clientId, OIDC_CLIENT_SECRET: op.clientSecret, OIDC_COOKIE_SECRET: 'browser-login-cookie-0123456789abcdef0123',
});
op.register([`${edge.url}/oidc/callback`]);
const browser = await launchChromium();
try {
  const page = await browser.newPage();
  await page.goto(`${edge.url}/loginroom`);
  await page.waitForSelector('#log-in');
  result.prejoinLoginButton = await page.textContent('#log-in');
  await page.click('#log-in');
  await page.waitForSelector('#username');
  result.providerPage = new URL(page.url()).pathname.replace(/[A-Za-z0-9_-]{20,}$/, '<uid>');
  await page.screenshot({ path: `${shots}/provider-login.png` });
  await page.fill('#username', 'alice');
  await page.fill('#password', 'alice-pw');
  await page.click('#kc-login');
  await page.waitForSelector('#account-name');
  result.backAt = page.url();
  result.signedIn = await page.textContent('#account-name');
  result.displayName = await page.inputValue('#display-name');
  await page.screenshot({ path: `${shots}/prejoin-signed-in.png` });
  await page.waitForFunction(() => (document.querySelector('.prejoin video') as HTMLVideoElement | null)?.srcObject !== null);
  // Someone else created the room: Alice is a moderator by her group claim, not as its creator.
  const early = await connectClient(edge.wsUrl, 'loginroom');
  await early.send(joinPresence('loginroom@conference.meet.jitsi', 'early'));
  await early.waitFor(isSelfPresence('loginroom@conference.meet.jitsi', 'early'));
  await page.click('#join');
  await page.waitForFunction(() => (window as unknown as { meeting?: { isModerator: boolean } }).meeting?.isModerator === true, null, { timeout: 15_000 });
  result.moderatorInRoom = true;
  result.identityInRoom = await page.evaluate(() => (window as unknown as { meeting: { local: { name: string } } }).meeting.local.name);
  await page.click('#toggle-side');
  result.selfInList = await page.textContent('ul[aria-label="Participants"] li');
  await early.stop();
  await page.screenshot({ path: `${shots}/room-moderator.png` });

  // The home page offers Log in too; this tab is signed in (a room token), Log out forgets it.
  await page.goto(`${edge.url}/`);
  await page.waitForSelector('#account');
  result.homeAccount = await page.textContent('#account');
  const fresh = await browser.newPage();
  await fresh.goto(`${edge.url}/`);
  result.homeLoginButton = await (await fresh.waitForSelector('#log-in')).getAttribute('href');
  await page.goto(`${edge.url}/loginroom`);
  await page.click('#log-out');
  await page.waitForSelector('#log-in');
  result.afterLogout = await page.textContent('#account');
} catch (err) {
  result.error = err instanceof Error ? err.stack : String(err);
} finally {
  await browser.close().catch(() => undefined);
  await edge.stop();
  await op.stop();
}
console.log(JSON.stringify(result));
