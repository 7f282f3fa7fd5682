// What the browser tests of the hosted pages share: Debian's Chromium through playwright-core,
// pages that record their script errors, the accessibility audit (axe-core), GraphQL calls
// to a server under test, and the invitation links its file transport wrote as .eml files.
//
// CHROMIUM_PATH names the browser (default /usr/bin/chromium). Screenshots go to artifacts/.

import { mkdir, readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

export const artifacts = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'artifacts');
export const PASSWORD = 'correct horse battery';
const axeSource = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** Headless Chromium with nothing of its own on the network; `args` adds flags. */
export async function launchChromium(args = []) {
  await mkdir(artifacts, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...args,
    ],
  });
}

/** `api(query, variables, token)` for `server`'s `/graphql`; errors are thrown. */
export function graphqlOf(server) {
  return async function api(query, variables = {}, token) {
    const headers = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(`${server.baseUrl}/graphql`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
}

/** A new local account `<username>@example.com`; its access token. */
export async function register(api, username) {
  const data = await api(
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    { input: { email: `${username}@example.com`, username, password: PASSWORD } },
  );
  return data.register.accessToken;
}

/** The invitation link of the .eml file `server`'s file transport wrote to `email`. */
export async function emailedLink(server, email) {
  const deadline = Date.now() + 15_000;
  const link = new RegExp(`${server.baseUrl}/invite/[A-Za-z0-9_-]{43}`);
  for (;;) {
    const files = await readdir(server.mailDir).catch(() => []);
    for (const file of files.filter((name) => name.endsWith('.eml'))) {
      // Quoted-printable: join soft line breaks, decode the equals sign.
      const raw = (await readFile(path.join(server.mailDir, file), 'utf8'))
        .replace(/=\r?\n/g, '')
        .replace(/=3D/g, '=');
      if (!raw.includes(`To: ${email}`) && !raw.includes(`<${email}>`)) continue;
      const match = raw.match(link);
      if (match) return match[0];
    }
    if (Date.now() > deadline) throw new Error(`no invitation email for ${email} in ${server.mailDir}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `url` in a new context closed with test `t`, once its page stopped loading; `problems`
 * collects script errors. `options` are the context's (viewport, bypassCSP, …). */
export async function openPage(browser, t, url, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 800 }, ...options });
  t.after(() => context.close());
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  await page.goto(url);
  // Until its script has run, a page's heading says it is loading, in the page's language.
  await page.waitForFunction(() => {
    const heading = document.querySelector('h1')?.textContent ?? 'Loading';
    let messages = {};
    try {
      messages = JSON.parse(document.getElementById('doorman-messages')?.textContent || '{}');
    } catch {
      // no catalogue: only the English lines count
    }
    const loading = ['loading-invitation', 'loading-admin', 'loading-signin'].map((id) => messages[id]);
    return !/^(Loading|Signing you in)/.test(heading) && !loading.includes(heading);
  });
  return { page, problems };
}

/** The serious and critical findings of axe-core on `page` (whose context bypasses CSP, so
 * that the audit's script may run). */
export async function seriousViolations(page) {
  await page.addScriptTag({ path: axeSource });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return results.violations
    .filter((v) => ['serious', 'critical'].includes(v.impact))
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target).join(', ')})`);
}
