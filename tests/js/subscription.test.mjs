// Drives a Doorman subscription with the npm `graphql-ws` client, the way a web app would:
// starts the server binary (support/doorman.mjs: fresh SQLite file, free port), subscribes an
// org admin to `invitationAccepted`, accepts an invitation link over HTTP as another user, checks
// the event.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import { startDoorman } from './support/doorman.mjs';

const PASSWORD = 'correct horse battery';

let server;
let baseUrl;

before(async () => {
  server = await startDoorman();
  baseUrl = server.baseUrl;
});

after(async () => {
  await server?.stop();
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
