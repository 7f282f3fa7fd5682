// What a web app sees when its access token goes bad, with the real npm `graphql-ws` client and
// with fetch: the server binary (support/doorman.mjs) closes a subscription socket with 4403 and a
// reason that starts with `EXPIRED` or `INVALID`, and answers HTTP with 401, `UNAUTHENTICATED`
// and `extensions.reason`.
//
// Short-lived tokens are minted here: support/doorman.mjs starts the server with a known
// DOORMAN_TOKEN_SECRET, and access tokens are HS256 JWTs { sub, iat, exp }.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import { startDoorman } from './support/doorman.mjs';

const PASSWORD = 'correct horse battery';
const TOKEN_SECRET = 'doorman-js-test-secret-0123456789abcdef';
const OTHER_SECRET = 'not-the-server-secret-0123456789abcdef';

let server;
let baseUrl;
let wsUrl;

before(async () => {
  server = await startDoorman();
  baseUrl = server.baseUrl;
  wsUrl = `${baseUrl.replace('http://', 'ws://')}/graphql/ws`;
});

after(async () => {
  await server?.stop();
});

/**
 * An HS256 JWT { sub, iat, exp } for user `userId`, expiring `lifetimeSeconds` from now or up to
 * a second later (`exp` is in whole seconds).
 */
function mintToken(userId, lifetimeSeconds, secret = TOKEN_SECRET) {
  const now = Date.now() / 1000;
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signingInput = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
    sub: String(userId),
    iat: Math.floor(now),
    exp: Math.ceil(now + lifetimeSeconds),
  })}`;
  const signature = createHmac('sha256', secret).update(signingInput).digest('base64url');
  return `${signingInput}.${signature}`;
}

/** Posts one GraphQL operation; returns the response and its parsed body. */
async function post(query, variables, token) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  return { response, body: await response.json() };
}

/** Posts one GraphQL operation; returns `data`, failing on errors. */
async function graphql(query, variables, token) {
  const { body } = await post(query, variables, token);
  assert.equal(body.errors, undefined, `errors from ${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Registers an account: its access token and user id. */
async function register(username) {
  const data = await graphql(
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
    { input: { username, email: `${username}@example.com`, password: PASSWORD } },
  );
  return { token: data.register.accessToken, id: data.register.user.id };
}

function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A promise with its resolve function outside, for events heard by listeners. */
function signal() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Subscribes through `client` for as long as the test runs: every result goes to `results`
 * (and wakes `more` waiters), and an error or a completion is kept in `ended`, which is not
 * expected while the client reconnects.
 */
function keepSubscribed(client, query) {
  const subscription = {
    results: [],
    ended: null,
    waiters: [],
    dispose: null,
    /** Resolves once more than `count` results have come in. */
    more(count) {
      if (subscription.results.length > count) return Promise.resolve();
      return new Promise((resolve) => subscription.waiters.push({ count, resolve }));
    },
  };
  subscription.dispose = client.subscribe(
    { query },
    {
      next: (result) => {
        subscription.results.push(result);
        for (const waiter of subscription.waiters.splice(0)) {
          if (subscription.results.length > waiter.count) waiter.resolve();
          else subscription.waiters.push(waiter);
        }
      },
      // A CloseEvent does not survive JSON.stringify: keep what tells it apart.
      error: (error) =>
        (subscription.ended ??= {
          error:
            error?.code === undefined ? error : { code: error.code, reason: String(error.reason) },
        }),
      complete: () => (subscription.ended ??= { complete: true }),
    },
  );
  return subscription;
}

/**
 * Makes events in the probe org's feed until `probe` hears one that came after this call: the
 * server then has the subscriptions started before the probe on the same connection running
 * (the protocol acknowledges no subscription).
 */
async function heardProbe(probe, adminToken, probeOrg) {
  const seen = probe.results.length;
  let heard = false;
  probe.more(seen).then(() => (heard = true));
  for (let attempt = 0; !heard; attempt++) {
    assert.ok(attempt < 40, 'the probe subscription heard nothing');
    assert.equal(probe.ended, null, `the probe subscription ended: ${JSON.stringify(probe.ended)}`);
    await graphql(
      `mutation { createInviteLink(input: { org: { name: "${probeOrg}" } }) { id } }`,
      {},
      adminToken,
    );
    await Promise.race([probe.more(seen), new Promise((resolve) => setTimeout(resolve, 250))]);
  }
}

test('a web app refreshing its token in connectionParams keeps its subscription across 4403 EXPIRED', async () => {
  const alice = await register('alice');
  const bob = await register('bob');
  for (const name of ['acme', 'probe']) {
    await graphql(
      'mutation($name: String!) { createOrganization(input: { name: $name }) { id } }',
      { name },
      alice.token,
    );
  }
  const link = (
    await graphql(
      `mutation { createInviteLink(input: { org: { name: "acme" }, maxUses: 5 }) {
        id invitationLink } }`,
      {},
      alice.token,
    )
  ).createInviteLink;
  const inviteToken = link.invitationLink.split('/invite/')[1];

  // The app's token store: the first token runs out in about two seconds, every later one is
  // fresh (as after a refresh).
  const tokensGiven = [];
  const closes = [];
  const connects = [];
  const reconnected = signal();
  const firstClose = signal();
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: async () => {
      const token = mintToken(alice.id, tokensGiven.length === 0 ? 2 : 600);
      tokensGiven.push(token);
      return { Authorization: `Bearer ${token}` };
    },
    retryWait: async () => {},
    on: {
      connected: (_socket, _payload, wasRetry) => {
        connects.push(wasRetry);
        if (wasRetry) reconnected.resolve();
      },
      closed: (event) => {
        closes.push({ code: event.code, reason: String(event.reason) });
        firstClose.resolve();
      },
    },
  });
  try {
    const accepted = keepSubscribed(
      client,
      `subscription { invitationAccepted(org: { name: "acme" }) {
        invitation { id usageCount } user { username } membership { role } acceptedAt } }`,
    );
    // Started after the one under test, on the same connection: it tells when both run.
    const probe = keepSubscribed(
      client,
      'subscription { invitationEvents(org: { name: "probe" }) { kind } }',
    );

    await within(firstClose.promise, 10_000, 'close of the socket when the first token expired');
    assert.deepEqual(connects.slice(0, 1), [false], 'the first token was not accepted');
    assert.equal(closes[0].code, 4403, JSON.stringify(closes[0]));
    assert.ok(closes[0].reason.startsWith('EXPIRED'), `close reason: ${closes[0].reason}`);

    // The client connects again on its own, with a new token from connectionParams, and
    // subscribes again what was running.
    await within(reconnected.promise, 10_000, 'reconnection');
    await within(heardProbe(probe, alice.token, 'probe'), 15_000, 'probe event after reconnecting');
    assert.ok(tokensGiven.length >= 2, `connectionParams called ${tokensGiven.length} times`);
    assert.notEqual(tokensGiven.at(-1), tokensGiven[0]);
    assert.equal(accepted.ended, null, `the subscription ended: ${JSON.stringify(accepted.ended)}`);
    assert.equal(accepted.results.length, 0, JSON.stringify(accepted.results));

    await graphql(
      'mutation($token: String!) { acceptInvitation(token: $token) { membership { role } } }',
      { token: inviteToken },
      bob.token,
    );
    await within(accepted.more(0), 5_000, 'invitationAccepted event after reconnecting');
    const [event] = accepted.results;
    assert.equal(event.errors, undefined, JSON.stringify(event.errors));
    const { acceptedAt, ...rest } = event.data.invitationAccepted;
    assert.deepEqual(rest, {
      invitation: { id: link.id, usageCount: 1 },
      user: { username: 'bob' },
      membership: { role: 'MEMBER' },
    });
    assert.equal(accepted.ended, null, `the subscription ended: ${JSON.stringify(accepted.ended)}`);
    // One expiry, one reconnection: the fresh token is not refused.
    assert.deepEqual(
      closes.map(({ code }) => code),
      [4403],
      `closes: ${JSON.stringify(closes)}`,
    );
    assert.deepEqual(connects, [false, true]);
    accepted.dispose();
    probe.dispose();
  } finally {
    await client.dispose();
  }
});

test('a web app whose stored token has already expired connects again with a fresh one', async () => {
  const carol = await register('carol');
  await graphql(
    'mutation { createOrganization(input: { name: "globex" }) { id } }',
    {},
    carol.token,
  );

  const tokensGiven = [];
  const closes = [];
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: async () => {
      // First the token the app kept from before (expired a minute ago), then a refreshed one.
      const token = mintToken(carol.id, tokensGiven.length === 0 ? -60 : 600);
      tokensGiven.push(token);
      return { Authorization: `Bearer ${token}` };
    },
    retryWait: async () => {},
    on: { closed: (event) => closes.push({ code: event.code, reason: String(event.reason) }) },
  });
  try {
    const events = keepSubscribed(
      client,
      'subscription { invitationEvents(org: { name: "globex" }) { kind } }',
    );
    await within(heardProbe(events, carol.token, 'globex'), 15_000, 'event after reconnecting');
    const [first] = events.results;
    assert.equal(first.data?.invitationEvents.kind, 'CREATED', JSON.stringify(first));
    assert.equal(tokensGiven.length, 2, `connectionParams called ${tokensGiven.length} times`);
    assert.equal(closes.length, 1, JSON.stringify(closes));
    assert.equal(closes[0].code, 4403);
    assert.ok(closes[0].reason.startsWith('EXPIRED: '), `close reason: ${closes[0].reason}`);
    events.dispose();
  } finally {
    await client.dispose();
  }
});

test('a web app stops retrying with shouldRetry when the token is INVALID', async () => {
  const dave = await register('dave');
  await graphql(
    'mutation { createOrganization(input: { name: "initech" }) { id } }',
    {},
    dave.token,
  );

  const cases = [
    ['garbage', 'not-a-token'],
    ['signed with another secret', mintToken(dave.id, 600, OTHER_SECRET)],
    ['naming no account', mintToken(987654, 600)],
  ];
  for (const [what, token] of cases) {
    let paramsCalls = 0;
    let connects = 0;
    const closes = [];
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: async () => {
        paramsCalls++;
        return { Authorization: `Bearer ${token}` };
      },
      shouldRetry: (event) => !(event?.code === 4403 && String(event.reason).startsWith('INVALID')),
      on: {
        connected: () => connects++,
        closed: (event) => closes.push(event),
      },
    });
    try {
      const started = Date.now();
      const outcome = new Promise((resolve) => {
        client.subscribe(
          { query: 'subscription { invitationEvents(org: { name: "initech" }) { kind } }' },
          {
            next: (result) => resolve({ next: result }),
            error: (error) => resolve({ error }),
            complete: () => resolve({ complete: true }),
          },
        );
      });
      // Retrying (5 attempts with exponential backoff) would take about 40 s.
      const { error, ...other } = await within(outcome, 5_000, `error for a token ${what}`);
      const elapsed = Date.now() - started;
      assert.ok(error, `a token ${what}: ${JSON.stringify(other)}`);
      assert.equal(error.code, 4403, `a token ${what}: ${error.code} ${error.reason}`);
      assert.ok(
        String(error.reason).startsWith('INVALID: '),
        `a token ${what}: close reason ${error.reason}`,
      );
      assert.ok(elapsed < 3_000, `a token ${what}: the error took ${elapsed} ms`);
      // Nothing connects again: no retry in the background either.
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal(paramsCalls, 1, `a token ${what}: connectionParams called ${paramsCalls} times`);
      assert.equal(connects, 0, `a token ${what}: connected ${connects} times`);
      assert.equal(closes.length, 1, `a token ${what}: ${closes.length} closes`);
    } finally {
      await client.dispose();
    }
  }
});

test('over HTTP a bad token is 401 UNAUTHENTICATED with a reason, no token is anonymous', async () => {
  const erin = await register('erin');
  const query = '{ serverInfo { version } }';

  const bad = [
    ['garbage', 'not-a-token', 'INVALID'],
    ['signed with another secret', mintToken(erin.id, 600, OTHER_SECRET), 'INVALID'],
    ['expired', mintToken(erin.id, -60), 'EXPIRED'],
  ];
  for (const [what, token, reason] of bad) {
    const { response, body } = await within(post(query, {}, token), 5_000, `answer (${what})`);
    const seen = `a token ${what}: ${response.status} ${JSON.stringify(body)}`;
    assert.equal(response.status, 401, seen);
    const challenge = response.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer /, `${seen}; WWW-Authenticate: ${challenge}`);
    assert.match(challenge, /error="invalid_token"/, `${seen}; WWW-Authenticate: ${challenge}`);
    assert.equal(body.data, undefined, seen);
    assert.equal(body.errors?.length, 1, seen);
    const [error] = body.errors;
    assert.equal(typeof error.message, 'string', seen);
    assert.equal(error.extensions?.code, 'UNAUTHENTICATED', seen);
    assert.equal(error.extensions?.reason, reason, seen);
  }

  const valid = await within(post(query, {}, mintToken(erin.id, 600)), 5_000, 'answer (valid)');
  assert.equal(valid.response.status, 200, JSON.stringify(valid.body));

  const anonymous = await within(post(query, {}), 5_000, 'answer without a token');
  assert.equal(anonymous.response.status, 200, JSON.stringify(anonymous.body));
  assert.equal(anonymous.body.errors, undefined, JSON.stringify(anonymous.body.errors));
  assert.equal(typeof anonymous.body.data.serverInfo.version, 'string');
});
