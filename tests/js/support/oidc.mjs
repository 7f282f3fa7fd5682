// A real OpenID provider for tests: the certified `oidc-provider` package on a free port of
// 127.0.0.1, with one confidential client and a few accounts. Tokens come from a real
// authorization-code grant (authorize, sign in, code, token endpoint) that `token()` drives
// over HTTP like a browser would; the sign-in step picks the account named by `login_hint`
// and consent is pre-granted. Access tokens are JWTs for the resource `urn:doorman` carrying
// the account's email claims. `rotateKeys()` swaps the signing keys (same issuer), as a
// provider does when it rotates. `addPublicClient()` registers a browser app (PKCE, no secret,
// CORS from its redirect URI's origin) whose visitors sign in as the account `signInAs()`
// names.

import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

export const AUDIENCE = 'urn:doorman';
export const CLIENT_ID = 'doorman-tests';
const CLIENT_SECRET = 'doorman-tests-client-secret-0123456789';
const REDIRECT_URI = 'http://127.0.0.1/callback';

/** The accounts of the provider, by subject. */
export const ACCOUNTS = {
  'sub-alice': { email: 'alice@idp.test', email_verified: true, name: 'Alice IdP', preferred_username: 'alice' },
  'sub-bob': { email: 'bob@idp.test', email_verified: false, name: 'Bob IdP', preferred_username: 'bob' },
  'sub-carol': { email: 'carol@idp.test', email_verified: true, name: 'Carol IdP', preferred_username: 'carol' },
};

/** One signing key per algorithm Doorman accepts, with key ids naming the generation. */
function signingKeys(generation) {
  const jwk = (pair, alg, kid) => ({ ...pair.privateKey.export({ format: 'jwk' }), alg, kid, use: 'sig' });
  return [
    jwk(generateKeyPairSync('rsa', { modulusLength: 2048 }), 'RS256', `rs256-${generation}`),
    jwk(generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'ES256', `es256-${generation}`),
    jwk(generateKeyPairSync('ed25519'), 'EdDSA', `eddsa-${generation}`),
  ];
}

function provider(issuer, keys, next, publicClients) {
  return new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: 'RS256',
      },
      ...publicClients,
    ],
    // A browser app may call the token endpoint from the origin it is sent back to.
    clientBasedCORS: (_ctx, origin, client) =>
      client.redirectUris.some((uri) => new URL(uri).origin === origin),
    jwks: { keys },
    cookies: { keys: ['doorman-tests-cookie-key'] },
    pkce: { required: () => false },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
    },
    conformIdTokenClaims: false,
    findAccount: async (_ctx, sub) =>
      ACCOUNTS[sub] && { accountId: sub, claims: async () => ({ sub, ...ACCOUNTS[sub] }) },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => ({
          scope: 'api',
          audience: resource,
          accessTokenTTL: next.ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: next.alg } },
        }),
      },
    },
    extraTokenClaims: async (_ctx, token) => {
      const account = ACCOUNTS[token.accountId];
      return account && { ...account };
    },
    // Consent is pre-granted: every scope and claim the client asks for.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid email profile');
      grant.addOIDCClaims(['email', 'email_verified', 'name', 'preferred_username']);
      grant.addResourceScope(next.resource, 'api');
      await grant.save();
      return grant;
    },
  });
}

/** Cookies as a browser keeps them for one host (paths ignored: all go to every request). */
class CookieJar {
  constructor() {
    this.cookies = new Map();
  }

  store(response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const [name, ...value] = pair.split('=');
      this.cookies.set(name.trim(), value.join('='));
    }
  }

  header() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/**
 * Starts the provider.
 * @returns {Promise<{ issuer: string, token: Function, rotateKeys: Function, stop: Function }>}
 */
export async function startOidcProvider() {
  let generation = 1;
  let keys = signingKeys(generation);
  const publicClients = [];
  const next = { ttl: 300, alg: 'RS256', resource: AUDIENCE, account: null };
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  let current = provider(issuer, keys, next, publicClients);
  server.on('request', async (req, res) => {
    // The sign-in step: the account is the `login_hint` of the authorization request, else
    // the one `signInAs()` named.
    const interaction = req.url.match(/^\/interaction\/([^/?]+)/);
    if (interaction) {
      try {
        const details = await current.interactionDetails(req, res);
        const accountId = details.params.login_hint || next.account;
        await current.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
      } catch (error) {
        res.statusCode = 500;
        res.end(String(error));
      }
      return;
    }
    current.callback()(req, res);
  });

  /** Follows redirects by hand, keeping cookies, until the redirect to the client. */
  async function authorize(account) {
    const jar = new CookieJar();
    const query = new URLSearchParams({
      client_id: CLIENT_ID,
      response_type: 'code',
      scope: 'openid email profile api',
      redirect_uri: REDIRECT_URI,
      login_hint: account,
      resource: next.resource,
      state: 'state-of-the-test',
      nonce: 'nonce-of-the-test',
    });
    let url = `${issuer}/auth?${query}`;
    for (let hop = 0; hop < 10; hop += 1) {
      const response = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
      jar.store(response);
      const location = response.headers.get('location');
      if (!location) {
        throw new Error(`no redirect from ${url}: ${response.status} ${await response.text()}`);
      }
      const target = new URL(location, url);
      if (target.href.startsWith(REDIRECT_URI)) {
        const code = target.searchParams.get('code');
        if (!code) throw new Error(`no code in ${target.href}`);
        return code;
      }
      url = target.href;
    }
    throw new Error('too many redirects');
  }

  return {
    issuer,
    /**
     * An access token (and ID token) for `account` through the authorization-code grant.
     * @param {{ ttl?: number, alg?: string, resource?: string }} options
     */
    async token(account, { ttl = 300, alg = 'RS256', resource = AUDIENCE } = {}) {
      Object.assign(next, { ttl, alg, resource });
      const code = await authorize(account);
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT_URI,
          resource,
        }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(`token endpoint: ${JSON.stringify(body)}`);
      return { accessToken: body.access_token, idToken: body.id_token };
    },
    /** New signing keys under the same issuer: tokens from now on carry new key ids. */
    rotateKeys() {
      generation += 1;
      keys = signingKeys(generation);
      current = provider(issuer, keys, next, publicClients);
    },
    /** Registers a browser app: a public client sent back to `redirectUri`. */
    addPublicClient(clientId, redirectUri) {
      publicClients.push({
        client_id: clientId,
        token_endpoint_auth_method: 'none',
        redirect_uris: [redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        id_token_signed_response_alg: 'RS256',
      });
      current = provider(issuer, keys, next, publicClients);
    },
    /** The account a browser signs in as from now on (a subject of `ACCOUNTS`). */
    signInAs(account) {
      next.account = account;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
