// The admin console (`/admin`) in headless Chromium against the real binary: an admin signs
// in, invites three people, shares a link, cancels an invitation, and sees an acceptance
// arrive live over the subscription. Screenshots go to artifacts/.

import { mkdir, readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { startDoorman } from './support/doorman.mjs';

const artifacts = path.join(path.dirname(fileURLToPath(import.meta.url)), 'artifacts');
const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const PASSWORD = 'correct horse battery';

let server;
let browser;

before(async () => {
  await mkdir(artifacts, { recursive: true });
  server = await startDoorman({ DOORMAN_OUTBOX_POLL_INTERVAL_MS: '50', DOORMAN_RESEND_COOLDOWN_SECONDS: '0' });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function api(query, variables = {}, token) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${server.baseUrl}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

async function register(username) {
  const data = await api('mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    { input: { email: `${username}@example.com`, username, password: PASSWORD } });
  return data.register.accessToken;
}

async function emailedToken(email) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const files = await readdir(server.mailDir).catch(() => []);
    for (const file of files.filter((name) => name.endsWith('.eml'))) {
      const raw = (await readFile(path.join(server.mailDir, file), 'utf8')).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      if (!raw.includes(email)) continue;
      const match = raw.match(/\/invite\/([A-Za-z0-9_-]{43})/);
      if (match) return match[1];
    }
    if (Date.now() > deadline) throw new Error(`no invitation email for ${email}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

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
  await api('mutation($t: String!) { acceptInvitation(token: $t) { membership { role } } }', { t: await emailedToken('ivy@example.com') }, ivy);
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
  await page.addScriptTag({ path: axeSource });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const serious = results.violations.filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.deepEqual(serious.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`), []);
});
