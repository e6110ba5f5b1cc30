/**
 * A real OpenID Provider on loopback for login tests: the `oidc-provider` package (a certified
 * OP) as the Keycloak stand-in, with a Keycloak-shaped issuer (`http://127.0.0.1:PORT/realms/<realm>`),
 * a confidential client, PKCE required, and users with Keycloak-like claims (preferred_username,
 * groups with full paths). The login page is our own small form (`/realms/<realm>/interaction/<uid>`:
 * username + password), so a browser or the cookie-jar client can log in the way a person does.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestUser {
  readonly password: string;
  readonly claims: Record<string, unknown>;
}

export interface RunningProvider {
  /** `http://127.0.0.1:PORT/realms/<realm>` */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Registers the client with its redirect URIs (known once the edge runs); call before any login. */
  register(redirectUris: string[]): void;
  /** Requests the provider has served, by path (for asserting what the edge asked for). */
  readonly requests: string[];
  stop(): Promise<void>;
}

function formPage(uid: string, prefix: string, error?: string): string {
  return `<!doctype html><html><head><title>Sign in to edgemeet realm</title></head><body>
<h1>Sign in</h1>${error ? `<p id="error">${error}</p>` : ''}
<form method="post" action="${prefix}/interaction/${uid}">
<label>Username <input id="username" name="username" autocomplete="username"></label>
<label>Password <input id="password" name="password" type="password"></label>
<button id="kc-login" type="submit">Sign In</button>
</form></body></html>`;
}

async function body(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startOidcProvider(o: { realm?: string; users: Record<string, TestUser> }): Promise<RunningProvider> {
  const realm = o.realm ?? 'edgemeet';
  const prefix = `/realms/${realm}`;
  const clientId = 'edgemeet-web';
  const clientSecret = 'client-secret-0123456789abcdef0123456789';
  const requests: string[] = [];
  let provider: Provider | undefined;
  let callback: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  async function interaction(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const p = provider!;
    const details = await p.interactionDetails(req, res);
    if (details.uid !== uid) throw new Error('interaction mismatch');
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(formPage(uid, prefix));
      return;
    }
    const form = await body(req);
    const username = form.get('username') ?? '';
    const user = o.users[username];
    if (!user || user.password !== form.get('password')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(formPage(uid, prefix, 'Invalid username or password.'));
      return;
    }
    const grant = new p.Grant({ accountId: username, clientId: details.params.client_id as string });
    grant.addOIDCScope(String(details.params.scope ?? 'openid'));
    const grantId = await grant.save();
    await p.interactionFinished(req, res, { login: { accountId: username }, consent: { grantId } }, { mergeWithLastSubmission: false });
  }

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url.split('?')[0]!);
    const m = /^\/realms\/[^/]+\/interaction\/([A-Za-z0-9_-]+)/.exec(url);
    if (m && url.startsWith(prefix)) {
      interaction(req, res, m[1]!).catch((err: unknown) => res.writeHead(500).end(String(err)));
      return;
    }
    if (!url.startsWith(prefix) || !callback) {
      res.writeHead(404).end('not found');
      return;
    }
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = url.slice(prefix.length) || '/';
    callback(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}${prefix}`;


  return {
    issuer, clientId, clientSecret, requests,
    register(redirectUris) {
    provider = new Provider(issuer, {
      clients: [{
        client_id: clientId, client_secret: clientSecret, grant_types: ['authorization_code'], response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: redirectUris,
      }],
      pkce: { required: () => true },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx: unknown, i: { uid: string }) => `${prefix}/interaction/${i.uid}` },
      cookies: { keys: ['oidc-test-cookie-key-0123456789'] },
      claims: { openid: ['sub'], profile: ['name', 'preferred_username', 'picture', 'groups', 'jitsi_features'], email: ['email', 'email_verified'] },
      // Keycloak puts the profile claims in the id_token too.
      conformIdTokenClaims: false,
      async findAccount(_ctx: unknown, id: string) {
        const user = o.users[id];
        if (!user) return undefined;
        return { accountId: id, claims: async () => ({ sub: id, ...user.claims }) };
      },
      renderError(ctx: { type: string; body: string }, out: Record<string, string>) {
        ctx.type = 'html';
        ctx.body = `<!doctype html><p id="op-error">${out.error}: ${out.error_description ?? ''}</p>`;
      },
    });
    provider.on('server_error', (_ctx: unknown, err: Error) => console.error('oidc-provider server_error', err));
    callback = provider.callback();
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
