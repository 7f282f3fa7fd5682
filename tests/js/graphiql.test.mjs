// Opens Doorman's GraphiQL in headless Chromium (Debian's, driven by playwright-core) the way a
// person would: types into the editors, presses run, reads the result pane. Every request the
// page makes must go to the server under test: GraphiQL works with no internet.
//
// CHROMIUM_PATH names the browser (default /usr/bin/chromium). Screenshots go to artifacts/.

import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { artifacts, launchChromium } from './support/browser.mjs';
import { startDoorman } from './support/doorman.mjs';

const QUERY_EDITOR = '.graphiql-query-editor .CodeMirror';
const RESPONSE = '.graphiql-response .CodeMirror';
// The variables and headers editors share one section; the shown one is not `.hidden`.
const TOOL_EDITOR = '.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror';

let server;
let browser;

before(async () => {
  server = await startDoorman();
  browser = await launchChromium(['--disable-quic']);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * Opens GraphiQL in a fresh browser context and waits for the query editor. `offsite()` lists
 * every request or WebSocket to a host other than 127.0.0.1; `problems()` lists script errors
 * and content-security-policy violations.
 */
async function openGraphiQL(t) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const urls = [];
  const problems = [];
  page.on('request', (request) => urls.push(request.url()));
  page.on('websocket', (socket) => urls.push(socket.url()));
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });

  await page.goto(`${server.baseUrl}/graphql`);
  await page.waitForSelector(QUERY_EDITOR, { timeout: 20_000 });
  return {
    page,
    urls: () => urls,
    offsite: () =>
      urls.filter((url) => {
        const { protocol, hostname } = new URL(url);
        return protocol !== 'data:' && protocol !== 'blob:' && hostname !== '127.0.0.1';
      }),
    problems: () => problems,
  };
}

/** Sets an editor's text through its CodeMirror instance, as typing would. */
async function setEditor(page, selector, text) {
  await page.locator(selector).evaluate((element, value) => element.CodeMirror.setValue(value), text);
}

/**
 * Puts a named operation into the query editor, runs it, and returns the result pane as JSON.
 * GraphiQL parses the editor after a short debounce; the tab taking the operation's name shows
 * that it has, so the run button sends the operation over the right transport.
 */
async function run(page, operationName, query) {
  await setEditor(page, QUERY_EDITOR, query);
  await page.locator('.graphiql-tab-button', { hasText: operationName }).waitFor();
  await setEditor(page, RESPONSE, '');
  await page.click('.graphiql-execute-button');
  const pane = await page.waitForFunction(
    (selector) => {
      const text = document.querySelector(selector).CodeMirror.getValue();
      try {
        return JSON.parse(text);
      } catch {
        return null; // empty, or still arriving
      }
    },
    RESPONSE,
    { timeout: 15_000 },
  );
  return pane.jsonValue();
}

async function screenshot(page, name) {
  await mkdir(artifacts, { recursive: true });
  const file = path.join(artifacts, name);
  await page.screenshot({ path: file });
  const { size } = await stat(file);
  assert.ok(size > 0, `${file} is empty`);
  return file;
}

function assertOffline(graphiql) {
  assert.deepEqual(graphiql.offsite(), [], 'GraphiQL reached beyond the server under test');
  assert.deepEqual(graphiql.problems(), []);
}

test('GraphiQL loads from the server alone and runs a query from the editor', async (t) => {
  const graphiql = await openGraphiQL(t);
  const { page } = graphiql;

  const result = await run(page, 'Registration', 'query Registration { serverInfo { registrationMode } }');
  assert.deepEqual(result, { data: { serverInfo: { registrationMode: 'OPEN' } } });
  await page.getByText('"OPEN"').waitFor();
  await screenshot(page, 'graphiql-query.png');

  // A dialog injects a <style>: the page's nonce must admit it under the policy.
  await page.click('[aria-label="Open settings dialog"]');
  await page.getByRole('dialog').waitFor();
  await page.keyboard.press('Escape');

  const base = server.baseUrl;
  assert.ok(graphiql.urls().includes(`${base}/graphiql/init.js`), graphiql.urls().join('\n'));
  assertOffline(graphiql);
});

test('a subscription from the page runs over /graphql/ws and reports UNAUTHENTICATED', async (t) => {
  const graphiql = await openGraphiQL(t);
  const { page } = graphiql;

  const result = await run(
    page,
    'Accepted',
    'subscription Accepted { invitationAccepted(org: { name: "x" }) { acceptedAt } }',
  );

  assert.equal(result.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED', JSON.stringify(result));
  assert.ok(
    graphiql.urls().includes(`${server.baseUrl.replace('http:', 'ws:')}/graphql/ws`),
    `no WebSocket to /graphql/ws: ${graphiql.urls().join('\n')}`,
  );
  await screenshot(page, 'graphiql-subscription.png');
  assertOffline(graphiql);
});

test('an access token in the headers pane signs in queries and subscriptions', async (t) => {
  const response = await fetch(`${server.baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
      variables: {
        input: { username: 'grace', email: 'grace@example.com', password: 'correct horse battery' },
      },
    }),
  });
  const { data, errors } = await response.json();
  assert.equal(errors, undefined, JSON.stringify(errors));
  const graphiql = await openGraphiQL(t);
  const { page } = graphiql;

  await page.getByRole('button', { name: 'Headers' }).click();
  await setEditor(
    page,
    TOOL_EDITOR,
    JSON.stringify({ Authorization: `Bearer ${data.register.accessToken}` }),
  );

  const me = await run(page, 'Me', 'query Me { me { username } }');
  assert.deepEqual(me, { data: { me: { username: 'grace' } } });
  // Signed in, the unknown org is the error now (anonymously it would be UNAUTHENTICATED).
  const events = await run(
    page,
    'Events',
    'subscription Events { invitationEvents(org: { name: "nosuchorg" }) { kind } }',
  );
  assert.equal(events.errors?.[0]?.extensions?.code, 'NOT_FOUND', JSON.stringify(events));
  assertOffline(graphiql);
});

test('GraphiQL opens on a tab with the first minutes of the README', async (t) => {
  const graphiql = await openGraphiQL(t);
  const document = await graphiql.page
    .locator(QUERY_EDITOR)
    .evaluate((element) => element.CodeMirror.getValue());
  const operations = [...document.matchAll(/^(?:mutation|query) (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(operations, ['Register', 'CreateOrganization', 'Invite', 'Preview', 'Accept']);
  await screenshot(graphiql.page, 'graphiql-first-minutes.png');
  assertOffline(graphiql);
});
