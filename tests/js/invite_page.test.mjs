// The hosted invitation page (`/invite/<token>`) in headless Chromium, against the real binary
// on its default settings (SQLite, mail to .eml files): the journeys an invitee takes from
// the emailed link, with the keyboard alone, on a phone, and through an accessibility audit.
//
// CHROMIUM_PATH names the browser (default /usr/bin/chromium). Screenshots go to artifacts/.

import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import {
  PASSWORD,
  artifacts,
  emailedLink as emailedLinkOf,
  graphqlOf,
  launchChromium,
  openPage as openPageIn,
  register as registerAt,
  seriousViolations,
} from './support/browser.mjs';
import { startDoorman } from './support/doorman.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

let server;
let browser;
let admin;
let api;

before(async () => {
  server = await startDoorman({ DOORMAN_OUTBOX_POLL_INTERVAL_MS: '50' });
  api = graphqlOf(server);
  browser = await launchChromium();
  admin = await register('alice');
  await api(
    'mutation { createOrganization(input: { name: "acme", displayName: "Acme Inc." }) { id } }',
    {},
    admin,
  );
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const register = (username) => registerAt(api, username);
const emailedLink = (email) => emailedLinkOf(server, email);
const openPage = (t, url, options) => openPageIn(browser, t, url, options);

/** Invites `email` to acme by email; `extra` adds input fields. */
async function invite(email, extra = {}) {
  const data = await api(
    'mutation($input: CreateOrgInvitesInput!) { createOrgInvites(input: $input) { invitations { id } errors { code } } }',
    { input: { org: { name: 'acme' }, emails: [email], message: 'Come build with us', ...extra } },
    admin,
  );
  assert.deepEqual(data.createOrgInvites.errors, []);
  return data.createOrgInvites.invitations[0].id;
}

async function members() {
  const data = await api(
    '{ organization(org: { name: "acme" }) { members(first: 50) { nodes { user { username } role } } } }',
    {},
    admin,
  );
  return data.organization.members.nodes.map((node) => node.user.username);
}

test('an invitee with no account signs up and joins from the emailed link', async (t) => {
  await invite('ivy@example.com');
  const link = await emailedLink('ivy@example.com');
  const { page, problems } = await openPage(t, link);

  await page.getByRole('heading', { name: 'You are invited to join Acme Inc.' }).waitFor();
  assert.ok(await page.getByText('Come build with us').isVisible());
  await page.screenshot({ path: path.join(artifacts, 'invite-sign-up.png'), fullPage: true });
  await page.getByLabel('Email').fill('ivy@example.com');
  await page.getByLabel('Username').fill('ivy');
  await page.getByLabel('Password (at least 8 characters)').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('button', { name: 'Accept invitation' }).click();
  await page.getByRole('heading', { name: 'Welcome aboard' }).waitFor();
  await page.screenshot({ path: path.join(artifacts, 'invite-joined.png'), fullPage: true });

  assert.ok((await members()).includes('ivy'));
  assert.deepEqual(problems, []);
});

test('someone signed in with the wrong account is told to switch', async (t) => {
  await invite('jo@example.com');
  const link = await emailedLink('jo@example.com');
  await register('sam');
  const { page } = await openPage(t, link);

  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Email or username').fill('sam');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).last().click();

  const alert = page.getByRole('alert').filter({ hasText: 'You are signed in as sam' });
  await alert.waitFor();
  assert.match(await alert.textContent(), /j\*+@example\.com/);
  await page.screenshot({ path: path.join(artifacts, 'invite-wrong-account.png'), fullPage: true });
  assert.ok(!(await members()).includes('sam'));
});

test('an expired link says so and lets the invitee ask for a new one', async (t) => {
  const soon = new Date(Date.now() + 2_000).toISOString();
  await invite('late@example.com', { expiresAt: soon });
  const link = await emailedLink('late@example.com');
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const { page } = await openPage(t, link);

  await page.getByText('This invitation has expired').waitFor();
  await page.getByRole('button', { name: 'Ask for a new invitation' }).click();
  await page.getByText('We told the organization').waitFor();
  await page.screenshot({ path: path.join(artifacts, 'invite-expired.png'), fullPage: true });
  const events = await api(
    '{ orgEvents(org: { name: "acme" }, kinds: [RENEWAL_REQUESTED]) { nodes { kind } } }',
    {},
    admin,
  );
  assert.equal(events.orgEvents.nodes.length, 1);
});

test('the whole journey works with the keyboard alone', async (t) => {
  await invite('kay@example.com');
  const link = await emailedLink('kay@example.com');
  const { page } = await openPage(t, link);
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('name') || document.activeElement?.textContent);

  // Focus starts on the heading; the form follows in reading order.
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'email');
  await page.keyboard.type('kay@example.com');
  await page.keyboard.press('Tab');
  await page.keyboard.type('kay');
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Accept invitation' }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await focused(), 'Accept invitation');
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Welcome aboard' }).waitFor();
  assert.ok((await members()).includes('kay'));
});

test('the page passes an accessibility audit and fits a phone', async (t) => {
  await invite('axe@example.com');
  const link = await emailedLink('axe@example.com');
  const { page } = await openPage(t, link, { viewport: { width: 375, height: 667 }, bypassCSP: true });
  await page.getByRole('heading', { name: /You are invited/ }).waitFor();

  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  await page.screenshot({ path: path.join(artifacts, 'invite-phone.png'), fullPage: true });
  assert.deepEqual(await seriousViolations(page), []);
});

test('the page sends its strict policy and keeps the token out of the logs', async () => {
  await invite('csp@example.com');
  const link = await emailedLink('csp@example.com');
  const response = await fetch(link);
  const policy = response.headers.get('content-security-policy');
  assert.match(policy, /default-src 'none'/);
  assert.match(policy, /script-src 'self'/);
  assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
  const html = await response.text();
  const token = link.split('/').pop();
  assert.ok(!html.includes(token), 'the token is not in the HTML');
  assert.ok(!server.log().includes(token), 'the token is not in the server log');
});

test('on an invitation-only server, signing up from the link joins in one step', async (t) => {
  const closed = await startDoorman({ DOORMAN_REGISTRATION_MODE: 'INVITATION_ONLY', DOORMAN_OUTBOX_POLL_INTERVAL_MS: '50' });
  t.after(() => closed.stop());
  const binary = path.resolve(here, process.env.DOORMAN_BIN ?? '../../target/debug/doorman');
  const database = `sqlite://${path.dirname(closed.mailDir)}/doorman.db?mode=rwc`;
  const created = spawnSync(binary, ['admin', 'create-user', '--email', 'root@example.com', '--username', 'root', '--server-admin'], {
    env: { ...process.env, DOORMAN_DATABASE_URL: database },
    input: `${PASSWORD}\n`,
  });
  assert.equal(created.status, 0, String(created.stderr));
  const call = graphqlOf(closed);
  const root = (await call('mutation { login(input: { login: "root", password: "correct horse battery" }) { accessToken } }')).login.accessToken;
  await call('mutation { createOrganization(input: { name: "closed" }) { id } }', {}, root);
  await call('mutation { createOrgInvites(input: { org: { name: "closed" }, emails: ["nia@example.com"] }) { errors { code } } }', {}, root);
  const link = await emailedLinkOf(closed, 'nia@example.com');
  const { page, problems } = await openPage(t, link);

  await page.getByLabel('Email').fill('nia@example.com');
  await page.getByLabel('Username').fill('nia');
  await page.getByLabel('Password (at least 8 characters)').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Welcome aboard' }).waitFor();

  const members = await call('{ organization(org: { name: "closed" }) { members(first: 10) { nodes { user { username } } } } }', {}, root);
  assert.ok(members.organization.members.nodes.some((node) => node.user.username === 'nia'));
  assert.deepEqual(problems, []);
});
