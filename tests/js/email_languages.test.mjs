// The invitation email in each of its languages, as mail clients show it: the real binary
// writes the messages (file transport, .eml), mailparser reads them as a mail client would,
// and headless Chromium renders each HTML part, on a desktop and on a phone, audits it with
// axe-core and keeps a screenshot per language in artifacts/ (email-<locale>.png).
//
// CHROMIUM_PATH names the browser (default /usr/bin/chromium).

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { simpleParser } from 'mailparser';

import { artifacts, graphqlOf, launchChromium, register, seriousViolations } from './support/browser.mjs';
import { startDoorman } from './support/doorman.mjs';

const LOCALES = ['en', 'de', 'fr', 'es', 'ja'];
const FOOTER = 'Acme Inc. · 1 Main Street · Springfield';

let server;
let browser;
let api;
/** The parsed invitation email of each locale. */
let emails;

/** The invitation email of each locale, parsed, once the server wrote them all. */
async function invitationEmails() {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = new Map();
    const files = (await readdir(server.mailDir).catch(() => [])).filter((name) => name.endsWith('.eml'));
    for (const file of files) {
      const message = await simpleParser(await readFile(path.join(server.mailDir, file)));
      const locale = message.to.value[0].address.match(/^invitee-(\w+)@/)?.[1];
      if (locale) found.set(locale, message);
    }
    if (found.size === LOCALES.length) return found;
    if (Date.now() > deadline) throw new Error(`${found.size} of ${LOCALES.length} invitations in ${server.mailDir}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  server = await startDoorman({ DOORMAN_OUTBOX_POLL_INTERVAL_MS: '50', DOORMAN_PRODUCT_NAME: 'Acme People' });
  api = graphqlOf(server);
  browser = await launchChromium();
  const alice = await register(api, 'alice');
  await api(
    'mutation { createOrganization(input: { name: "acme", displayName: "Acme Inc." }) { id } }',
    {},
    alice,
  );
  await api(
    `mutation($input: UpdateOrganizationInput!) {
       updateOrganization(org: { name: "acme" }, input: $input) { id } }`,
    { input: { accentColor: '#8250df', emailFooter: FOOTER, replyTo: 'people@acme.example' } },
    alice,
  );
  for (const locale of LOCALES) {
    await api(
      `mutation($input: CreateOrgInvitesInput!) { createOrgInvites(input: $input) { invitations { id } } }`,
      {
        input: {
          org: { name: 'acme' },
          emails: [`invitee-${locale}@example.com`],
          message: 'We would love to have you on the team.',
          locale,
          timeZone: 'Europe/Berlin',
        },
      },
      alice,
    );
  }
  emails = await invitationEmails();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('each language has its own subject and text, and both parts carry the branding', () => {
  assert.deepEqual([...emails.keys()].sort(), [...LOCALES].sort());
  const subjects = new Set(LOCALES.map((locale) => emails.get(locale).subject));
  assert.equal(subjects.size, LOCALES.length, [...subjects].join('\n'));
  for (const locale of LOCALES) {
    const email = emails.get(locale);
    assert.match(email.subject, /Acme Inc\./);
    assert.match(email.subject, /Acme People/);
    assert.equal(email.replyTo.value[0].address, 'people@acme.example');
    const header = (name) => email.headerLines.find((line) => line.key === name)?.line;
    assert.match(header('list-unsubscribe'), /^List-Unsubscribe: <http:\/\/127\.0\.0\.1:\d+\/invite\/[\w-]{43}\/unsubscribe>$/);
    assert.equal(header('list-unsubscribe-post'), 'List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    for (const part of [email.text, email.html]) {
      assert.ok(part.includes(FOOTER), `${locale}: no footer`);
      assert.ok(part.includes('We would love to have you on the team.'), `${locale}: no message`);
    }
  }
});

for (const locale of LOCALES) {
  test(`the ${locale} HTML email renders on a desktop and a phone, and passes the audit`, async (t) => {
    const email = emails.get(locale);
    const context = await browser.newContext({ viewport: { width: 800, height: 900 } });
    t.after(() => context.close());
    const page = await context.newPage();
    // The email alone, as a mail client shows it: no network, no scripts of its own.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(email.html, { waitUntil: 'load' });

    assert.equal(await page.evaluate(() => document.documentElement.lang), locale);
    assert.equal(await page.title(), email.subject);
    const button = page.getByRole('link').first();
    assert.match(await button.getAttribute('href'), /\/invite\/[\w-]{43}$/);
    assert.equal(
      await button.evaluate((link) => getComputedStyle(link.parentElement).backgroundColor),
      'rgb(130, 80, 223)',
    );
    const file = path.join(artifacts, `email-${locale}.png`);
    await page.screenshot({ path: file, fullPage: true });
    assert.ok((await stat(file)).size > 10_000, `${file} is nearly empty`);
    assert.deepEqual(await seriousViolations(page), []);

    // On a phone: nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 800 });
    const overflow = await page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${locale}: ${overflow}px wider than a 375px screen`);
    if (locale === 'en') await page.screenshot({ path: path.join(artifacts, 'email-en-phone.png'), fullPage: true });
  });
}
