// The hosted pages in the visitor's language: the message catalogues of the pages
// (assets/pages/locales/<lang>.ftl) agree with each other, and in headless Chromium against the
// real binary the invitation page and the admin console come in the language the browser asks
// for (Accept-Language) or the address names (`?lang=`), with no script error (a message a
// script asks for and the catalogue lacks is one) and no serious accessibility finding.
//
// CHROMIUM_PATH names the browser (default /usr/bin/chromium). Screenshots go to artifacts/.

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import {
  PASSWORD,
  artifacts,
  emailedLink,
  graphqlOf,
  launchChromium,
  openPage as openPageIn,
  register,
  seriousViolations,
} from './support/browser.mjs';
import { startDoorman } from './support/doorman.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const pages = path.resolve(here, '../../assets/pages');
const LOCALES = ['en', 'de', 'fr', 'es', 'ja'];
/** The product name of a server on its default settings. */
const PRODUCT = 'Doorman';

/** The messages of `locale`'s catalogue in file order: id, text and variable names. */
function catalogue(locale) {
  const source = readFileSync(path.join(pages, 'locales', `${locale}.ftl`), 'utf8');
  const messages = [];
  for (const [index, line] of source.split('\n').entries()) {
    if (line === '' || line.startsWith('#')) continue;
    const where = `${locale}.ftl:${index + 1}`;
    const match = line.match(/^([a-z][a-z0-9-]*) = (\S.*)$/);
    assert.ok(match, `${where}: not "message-id = Text" on one line: ${line}`);
    const [, id, text] = match;
    const variables = [...text.matchAll(/\{ \$([A-Za-z][A-Za-z0-9_-]*) \}/g)].map((found) => found[1]);
    const rest = text.replace(/\{ \$[A-Za-z][A-Za-z0-9_-]* \}/g, '');
    assert.ok(!/[{}]/.test(rest), `${where}: ${id} has a brace that is not a { $variable }`);
    messages.push({ id, text, variables: [...new Set(variables)].sort() });
  }
  return messages;
}

/** Message `id` of `locale` as a page shows it: `{ $product }` and `values` filled in. */
function message(locale, id, values = {}) {
  const found = catalogue(locale).find((entry) => entry.id === id);
  assert.ok(found, `${locale}.ftl has no ${id}`);
  return found.text.replace(/\{ \$([A-Za-z][A-Za-z0-9_-]*) \}/g, (_, name) =>
    name === 'product' ? PRODUCT : String(values[name]));
}

test('every page catalogue has the same messages in the same order, with the same variables', () => {
  const files = readdirSync(path.join(pages, 'locales')).filter((name) => name.endsWith('.ftl')).sort();
  assert.deepEqual(files, LOCALES.map((locale) => `${locale}.ftl`).sort());
  const english = catalogue('en');
  const ids = english.map((entry) => entry.id);
  assert.equal(new Set(ids).size, ids.length, 'an id is twice in en.ftl');
  // The server writes these into the page itself.
  for (const id of ['page-title-invitation', 'page-title-admin', 'page-title-signin', 'loading-invitation',
    'loading-admin', 'loading-signin', 'needs-javascript']) {
    assert.ok(ids.includes(id), `en.ftl has no ${id}`);
  }
  for (const locale of LOCALES.slice(1)) {
    const other = catalogue(locale);
    assert.deepEqual(other.map((entry) => entry.id), ids, `${locale}.ftl: not the ids of en.ftl in its order`);
    for (const [index, entry] of other.entries()) {
      assert.deepEqual(entry.variables, english[index].variables, `${locale}.ftl: ${entry.id} has other variables`);
    }
  }
  // Each message a script names outright is in the catalogues.
  for (const script of ['common.js', 'invite.js', 'admin.js', 'signin.js']) {
    const source = readFileSync(path.join(pages, script), 'utf8');
    for (const [, id] of source.matchAll(/\bt\('([^']+)'/g)) {
      assert.ok(ids.includes(id), `${script} asks for ${id}, which en.ftl lacks`);
    }
  }
});

describe('the pages in the browser', () => {
  let server;
  let browser;
  let link;

  before(async () => {
    server = await startDoorman({ DOORMAN_OUTBOX_POLL_INTERVAL_MS: '50' });
    const api = graphqlOf(server);
    browser = await launchChromium();
    const alice = await register(api, 'alice');
    await api(
      'mutation { createOrganization(input: { name: "acme", displayName: "Acme Inc." }) { id } }',
      {},
      alice,
    );
    const data = await api(
      'mutation($input: CreateOrgInvitesInput!) { createOrgInvites(input: $input) { errors { code } } }',
      { input: { org: { name: 'acme' }, emails: ['bob@example.com'] } },
      alice,
    );
    assert.deepEqual(data.createOrgInvites.errors, []);
    link = await emailedLink(server, 'bob@example.com');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const openPage = (t, url, options) => openPageIn(browser, t, url, options);
  const lang = (page) => page.evaluate(() => document.documentElement.lang);
  const h1 = (page) => page.locator('h1').textContent();
  /** Waits for the invitation's heading in `locale` (the page first says it is loading). */
  const invitationHeading = (page, locale) =>
    page.getByRole('heading', { level: 1, name: message(locale, 'invite-heading', { organization: 'Acme Inc.' }), exact: true }).waitFor();

  test('a German browser gets the invitation page in German', async (t) => {
    const { page, problems } = await openPage(t, link, { locale: 'de-DE', bypassCSP: true });
    await invitationHeading(page, 'de');

    assert.equal(await lang(page), 'de');
    assert.equal(await page.title(), message('de', 'page-title-invitation'));
    assert.notEqual(await page.title(), message('en', 'page-title-invitation'));
    assert.notEqual(await h1(page), message('en', 'invite-heading', { organization: 'Acme Inc.' }));
    await page.screenshot({ path: path.join(artifacts, 'invitation-page-de.png'), fullPage: true });
    assert.deepEqual(await seriousViolations(page), []);
    assert.deepEqual(problems, []);
  });

  test('?lang= in the address wins over the browser', async (t) => {
    const { page, problems } = await openPage(t, `${link}?lang=ja`, { locale: 'en-US' });
    await invitationHeading(page, 'ja');

    assert.equal(await lang(page), 'ja');
    assert.equal(await page.title(), message('ja', 'page-title-invitation'));
    assert.deepEqual(problems, []);
  });

  test('an English browser gets the English page', async (t) => {
    const { page, problems } = await openPage(t, link, { locale: 'en-US' });
    await page.getByRole('heading', { level: 1, name: 'You are invited to join Acme Inc.', exact: true }).waitFor();

    assert.equal(await lang(page), 'en');
    assert.equal(await h1(page), message('en', 'invite-heading', { organization: 'Acme Inc.' }));
    assert.equal(await page.title(), message('en', 'page-title-invitation'));
    assert.deepEqual(problems, []);
  });

  test('a French browser gets the admin console in French, signed in too', async (t) => {
    const { page, problems } = await openPage(t, `${server.baseUrl}/admin`, { locale: 'fr-FR' });
    await page.getByRole('heading', { level: 1, name: message('fr', 'admin-heading'), exact: true }).waitFor();
    assert.equal(await lang(page), 'fr');
    assert.equal(await page.title(), message('fr', 'page-title-admin'));

    // Signed in, the console's screens ask for most of its messages.
    await page.getByLabel(message('fr', 'field-login'), { exact: true }).fill('alice');
    await page.getByLabel(message('fr', 'field-password'), { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: message('fr', 'sign-in'), exact: true }).click();
    await page.getByRole('heading', { name: message('fr', 'admin-invite-by-email'), exact: true }).waitFor();
    await page.getByText(message('fr', 'admin-invitation-count', { count: 1 }), { exact: true }).waitFor();
    await page.getByRole('button', { name: message('fr', 'admin-cancel-email', { email: 'bob@example.com' }), exact: true }).waitFor();
    assert.deepEqual(problems, []);
  });
});
