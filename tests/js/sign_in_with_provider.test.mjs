// "Continue with <provider>" on the hosted pages, in headless Chromium, against the real binary
// and a real OpenID provider (`support/oidc.mjs`, npm `oidc-provider`) that knows the pages as a
// public client: an invitee joins from the emailed link with the provider's account, an admin
// signs in to the console the same way, a forged return to `/signin/callback` signs nobody in,
// and the pages' policy lets their scripts reach the provider's token endpoint and nothing else.

import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  artifacts,
  emailedLink,
  graphqlOf,
  launchChromium,
  openPage as openPageIn,
  register,
  seriousViolations,
} from './support/browser.mjs';
import { startDoorman } from './support/doorman.mjs';
import { AUDIENCE, startOidcProvider } from './support/oidc.mjs';

const CLIENT_ID = 'doorman-pages';
const PROVIDER = 'Example ID';

let oidc;
let server;
let browser;
let api;
let admin;

before(async () => {
  oidc = await startOidcProvider();
  server = await startDoorman({
    DOORMAN_OUTBOX_POLL_INTERVAL_MS: '50',
    DOORMAN_OIDC_ISSUER: oidc.issuer,
    DOORMAN_OIDC_AUDIENCE: AUDIENCE,
    DOORMAN_OIDC_CLIENT_ID: CLIENT_ID,
    DOORMAN_OIDC_PROVIDER_NAME: PROVIDER,
  });
  oidc.addPublicClient(CLIENT_ID, `${server.baseUrl}/signin/callback`);
  api = graphqlOf(server);
  browser = await launchChromium();
  admin = await register(api, 'alice');
  await api('mutation { createOrganization(input: { name: "acme", displayName: "Acme Inc." }) { id } }', {}, admin);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await oidc?.stop();
});

const openPage = (t, url, options) => openPageIn(browser, t, url, options);

async function invite(email, role = 'MEMBER') {
  const data = await api(
    'mutation($input: CreateOrgInvitesInput!) { createOrgInvites(input: $input) { errors { code } } }',
    { input: { org: { name: 'acme' }, emails: [email], role } },
    admin,
  );
  assert.deepEqual(data.createOrgInvites.errors, []);
  return emailedLink(server, email);
}

async function memberEmails() {
  const data = await api(
    '{ organization(org: { name: "acme" }) { members(first: 50) { nodes { role user { email } } } } }',
    {},
    admin,
  );
  return Object.fromEntries(data.organization.members.nodes.map((node) => [node.user.email, node.role]));
}

test('an invitee continues with the provider and joins from the emailed link', async (t) => {
  const link = await invite('carol@idp.test');
  oidc.signInAs('sub-carol');
  const { page, problems } = await openPage(t, link);

  const button = page.getByRole('button', { name: `Continue with ${PROVIDER}` });
  await button.waitFor();
  await page.screenshot({ path: path.join(artifacts, 'invite-provider.png'), fullPage: true });
  await button.click();
  // Off to the provider and back through /signin/callback, to the invitation.
  await page.getByRole('button', { name: 'Accept invitation' }).waitFor();
  assert.equal(page.url(), link);
  await page.getByRole('button', { name: 'Accept invitation' }).click();
  await page.getByRole('heading', { name: 'Welcome aboard' }).waitFor();

  assert.equal((await memberEmails())['carol@idp.test'], 'MEMBER');
  // The token endpoint is the one other address the page may call: no policy violation.
  assert.deepEqual(problems, []);
});

test('an admin signs in to the console with the provider', async (t) => {
  // alice@idp.test joins acme as an admin through the API, with a token of the provider.
  const link = await invite('alice@idp.test', 'ADMIN');
  const { accessToken } = await oidc.token('sub-alice');
  await api('mutation($t: String!) { acceptInvitation(token: $t) { membership { role } } }', { t: link.split('/').pop() }, accessToken);
  oidc.signInAs('sub-alice');
  const { page, problems } = await openPage(t, `${server.baseUrl}/admin`);

  await page.getByRole('button', { name: `Continue with ${PROVIDER}` }).click();
  await page.getByRole('heading', { name: 'Invite by email' }).waitFor();
  await page.getByText(/Signed in as alice/).waitFor();
  assert.deepEqual(problems, []);
});

test('where the provider is the only way in, the page offers nothing else', async (t) => {
  const only = await startDoorman({
    DOORMAN_OUTBOX_POLL_INTERVAL_MS: '50',
    DOORMAN_OIDC_ISSUER: oidc.issuer,
    DOORMAN_OIDC_AUDIENCE: AUDIENCE,
    DOORMAN_OIDC_CLIENT_ID: 'doorman-pages-only',
    DOORMAN_LOCAL_ACCOUNTS: 'false',
  });
  t.after(() => only.stop());
  oidc.addPublicClient('doorman-pages-only', `${only.baseUrl}/signin/callback`);
  const call = graphqlOf(only);
  const { accessToken: owner } = await oidc.token('sub-alice');
  await call('mutation { createOrganization(input: { name: "solo" }) { id } }', {}, owner);
  await call('mutation { createOrgInvites(input: { org: { name: "solo" }, emails: ["carol@idp.test"] }) { errors { code } } }', {}, owner);
  const link = await emailedLink(only, 'carol@idp.test');
  oidc.signInAs('sub-carol');
  const { page, problems } = await openPage(t, link);

  await page.getByRole('heading', { name: 'Sign in to continue' }).waitFor();
  assert.equal(await page.getByLabel('Password').count(), 0, 'no password form');
  // Without a name set, the button names the issuer's host.
  await page.getByRole('button', { name: 'Continue with 127.0.0.1' }).click();
  await page.getByRole('button', { name: 'Accept invitation' }).click();
  await page.getByRole('heading', { name: 'Welcome aboard' }).waitFor();
  const members = await call('{ organization(org: { name: "solo" }) { members(first: 10) { nodes { user { email } } } } }', {}, owner);
  assert.ok(members.organization.members.nodes.some((node) => node.user.email === 'carol@idp.test'));
  assert.deepEqual(problems, []);
});

test('a return to /signin/callback that did not start in the tab signs nobody in', async (t) => {
  const { page } = await openPage(t, `${server.baseUrl}/signin/callback?code=forged-code&state=forged-state`);

  await page.getByRole('heading', { name: 'Signing in did not work' }).waitFor();
  assert.match(await page.getByRole('alert').textContent(), /did not start in this tab/);
  assert.equal(page.url(), `${server.baseUrl}/signin/callback`, 'the code left the address bar');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('doorman.accessToken')), null);

  // A provider's refusal is a sentence too.
  await page.goto(`${server.baseUrl}/signin/callback?error=access_denied&state=x`);
  await page.getByRole('heading', { name: 'Signing in did not work' }).waitFor();
  assert.match(await page.getByRole('alert').textContent(), /cancelled, or the provider refused/);
});

test('the pages may call the provider only at its token endpoint, and the choice is accessible', async (t) => {
  const { serverInfo } = await api('{ serverInfo { signInMethods oidcSignIn { providerName clientId tokenEndpoint scope resource } } }');
  assert.deepEqual(serverInfo.signInMethods, ['PASSWORD', 'OIDC']);
  assert.equal(serverInfo.oidcSignIn.providerName, PROVIDER);
  assert.equal(serverInfo.oidcSignIn.clientId, CLIENT_ID);
  assert.equal(serverInfo.oidcSignIn.resource, AUDIENCE);
  assert.ok(serverInfo.oidcSignIn.tokenEndpoint.startsWith(`${oidc.issuer}/`));

  const link = await invite('axe@idp.test');
  const response = await fetch(link);
  const connect = response.headers.get('content-security-policy').match(/connect-src ([^;]*)/)[1];
  assert.deepEqual(connect.split(' '), ["'self'", 'ws:', 'wss:', oidc.issuer]);

  const { page } = await openPage(t, link, { viewport: { width: 375, height: 667 }, bypassCSP: true });
  await page.getByRole('button', { name: `Continue with ${PROVIDER}` }).waitFor();
  assert.deepEqual(await seriousViolations(page), []);
});
