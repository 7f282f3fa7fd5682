// Drives a Doorman subscription with the npm `graphql-ws` client, the way a web app would:
// starts the server binary on a fresh SQLite file and a free port, subscribes an org admin to
// `invitationAccepted`, accepts an invitation link over HTTP as another user, checks the event.
//
// DOORMAN_BIN names the binary (default: ../../target/debug/doorman from this folder).

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
const binary = path.resolve(here, process.env.DOORMAN_BIN ?? '../../target/debug/doorman');
const PASSWORD = 'correct horse battery';

let server;
let serverLog = '';
let workDir;
let baseUrl;

/** A port nothing listens on: bound to 0, then released. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (server.exitCode !== null) {
      throw new Error(`doorman exited with ${server.exitCode}:\n${serverLog}`);
    }
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`doorman did not answer /healthz within ${timeoutMs} ms:\n${serverLog}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

before(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'doorman-js-'));
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  // Only our settings: DOORMAN_* variables of the calling shell must not leak in.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('DOORMAN_')),
  );
  server = spawn(binary, [], {
    env: {
      ...env,
      DOORMAN_DATABASE_URL: `sqlite://${workDir}/doorman.db?mode=rwc`,
      DOORMAN_LISTEN: `127.0.0.1:${port}`,
      DOORMAN_MAIL_DIR: path.join(workDir, 'mail'),
      DOORMAN_TOKEN_SECRET: 'doorman-js-test-secret-0123456789abcdef',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout.on('data', (chunk) => (serverLog += chunk));
  server.stderr.on('data', (chunk) => (serverLog += chunk));
  await new Promise((resolve, reject) => {
    server.once('spawn', resolve);
    server.once('error', (error) => reject(new Error(`cannot start ${binary}: ${error.message}`)));
  });
  await waitForHealth(baseUrl, 30_000);
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Posts one GraphQL operation; returns `data`, failing on errors. */
async function graphql(query, variables, token) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  assert.equal(body.errors, undefined, `errors from ${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function register(username) {
  const data = await graphql(
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    { input: { username, email: `${username}@example.com`, password: PASSWORD } },
  );
  return data.register.accessToken;
}

/** Resolves with the first result of `query`; rejects on an error or an early end. */
function firstResult(client, query, variables) {
  let dispose;
  const result = new Promise((resolve, reject) => {
    dispose = client.subscribe(
      { query, variables },
      {
        next: resolve,
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => reject(new Error('the subscription completed without a result')),
      },
    );
  });
  // Failures surface where the result is awaited, not as unhandled rejections.
  result.catch(() => {});
  return { result, dispose };
}

function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

test('an org admin using graphql-ws hears an acceptance made over HTTP', async () => {
  const alice = await register('alice');
  const bob = await register('bob');
  await graphql(
    'mutation { createOrganization(input: { name: "acme" }) { id } }',
    {},
    alice,
  );
  await graphql('mutation { createOrganization(input: { name: "probe" }) { id } }', {}, alice);
  const link = (
    await graphql(
      'mutation { createInviteLink(input: { org: { name: "acme" }, maxUses: 5 }) { id invitationLink } }',
      {},
      alice,
    )
  ).createInviteLink;
  const inviteToken = link.invitationLink.split('/invite/')[1];

  const client = createClient({
    url: `${baseUrl.replace('http://', 'ws://')}/graphql/ws`,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${alice}` },
    retryAttempts: 0,
    lazy: false,
  });
  try {
    const accepted = firstResult(
      client,
      `subscription { invitationAccepted(org: { name: "acme" }) {
        invitation { id status usageCount }
        user { username }
        membership { role user { username } organization { name } }
        acceptedAt } }`,
      {},
    );
    // The protocol acknowledges no subscription: hear the probe org's feed (started after the
    // one under test, on the same connection) before acting.
    const probe = firstResult(
      client,
      'subscription { invitationEvents(org: { name: "probe" }) { kind } }',
      {},
    );
    let heard = false;
    probe.result.then(() => (heard = true), () => {});
    for (let attempt = 0; !heard; attempt++) {
      assert.ok(attempt < 40, 'the probe subscription heard nothing');
      await graphql(
        'mutation { createInviteLink(input: { org: { name: "probe" } }) { id } }',
        {},
        alice,
      );
      await Promise.race([probe.result, new Promise((resolve) => setTimeout(resolve, 250))]);
    }
    probe.dispose();

    const acceptedBefore = Date.now();
    await graphql(
      'mutation($token: String!) { acceptInvitation(token: $token) { membership { role } } }',
      { token: inviteToken },
      bob,
    );

    const event = await within(accepted.result, 5_000, 'invitationAccepted event');
    accepted.dispose();
    assert.equal(event.errors, undefined, JSON.stringify(event.errors));
    const { acceptedAt, ...rest } = event.data.invitationAccepted;
    assert.deepEqual(rest, {
      invitation: { id: link.id, status: 'PENDING', usageCount: 1 },
      user: { username: 'bob' },
      membership: { role: 'MEMBER', user: { username: 'bob' }, organization: { name: 'acme' } },
    });
    const at = Date.parse(acceptedAt);
    assert.ok(Math.abs(at - acceptedBefore) < 10_000, `acceptedAt ${acceptedAt} is not now`);
  } finally {
    await client.dispose();
  }
});
