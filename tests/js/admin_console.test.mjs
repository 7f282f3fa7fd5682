// The admin console (`/admin`) in headless Chromium against the real binary: an admin signs
// in, invites three people, shares a link, cancels an invitation, and sees an acceptance
// arrive live over the subscription. Screenshots go to artifacts/.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import {
  PASSWORD,
  artifacts,
  emailedLink,
  graphqlOf,
  launchChromium,
  register as registerAt,
  seriousViolations,
} from './support/browser.mjs';
import { startDoorman } from './support/doorman.mjs';

let server;
let browser;
let api;

before(async () => {
  server = await startDoorman({ DOORMAN_OUTBOX_POLL_INTERVAL_MS: '50', DOORMAN_RESEND_COOLDOWN_SECONDS: '0' });
  api = graphqlOf(server);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const register = (username) => registerAt(api, username);

test('an admin invites three people, shares a link, cancels one, and sees an acceptance live', async (t) => {
  const alice = await register('alice');
  await api('mutation { createOrganization(input: { name: "acme", displayName: "Acme Inc." }) { id } }', {}, alice);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(error.message));

  await page.goto(`${server.baseUrl}/admin`);
  await page.getByLabel('Email or username').fill('alice');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Invite by email' }).waitFor();

  await page.getByLabel('Emails (one per line, or separated by commas)').fill('ivy@example.com\njo@example.com, kay@example.com');
  await page.getByRole('button', { name: 'Send invitations' }).click();
  for (const email of ['ivy@example.com', 'jo@example.com', 'kay@example.com']) {
    await page.getByText(`Invited ${email}`).waitFor();
  }
  await page.getByText('3 invitations').waitFor();

  await page.getByRole('button', { name: 'Create link' }).click();
  const link = await page.locator('#new-link').inputValue();
  assert.match(link, new RegExp(`^${server.baseUrl}/invite/[A-Za-z0-9_-]{43}$`));

  await page.getByRole('button', { name: 'Cancel kay@example.com' }).click();
  await page.getByRole('row', { name: /kay@example\.com.*CANCELLED/ }).waitFor();

  const ivy = await register('ivy');
  await api('mutation($t: String!) { acceptInvitation(token: $t) { membership { role } } }', { t: (await emailedLink(server, 'ivy@example.com')).split('/').pop() }, ivy);
  await page.locator('#live li', { hasText: 'ivy joined as MEMBER' }).waitFor({ timeout: 10_000 });
  await page.getByRole('row', { name: /ivy@example\.com.*ACCEPTED/ }).waitFor();
  await page.screenshot({ path: path.join(artifacts, 'admin-console.png'), fullPage: true });

  assert.deepEqual(problems, []);
});

test('the console passes an accessibility audit', async (t) => {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, bypassCSP: true });
  t.after(() => context.close());
  const page = await context.newPage();
  await page.goto(`${server.baseUrl}/admin`);
  await page.getByLabel('Email or username').fill('alice');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Invitations' }).waitFor();
  await page.getByText(/\d+ invitations/).waitFor();
  assert.deepEqual(await seriousViolations(page), []);
});
