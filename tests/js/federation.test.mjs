// Doorman as an Apollo Federation v2 subgraph behind a real Apollo gateway: starts the server
// binary (support/doorman.mjs) and a second, tiny subgraph ("licensing", @apollo/subgraph) that
// adds `Organization.seatsLicensed` and a root field returning an Organization reference;
// composes them with IntrospectAndCompose; serves the gateway with @apollo/server, forwarding
// the caller's Authorization header to the subgraphs; then runs one query that needs both.
// Doorman trusts a real OpenID provider (support/oidc.mjs, npm oidc-provider): a token the
// provider issued, sent to the gateway, signs the caller in at Doorman.

// The gateway reports usage data to Apollo unless told not to; tests talk to 127.0.0.1 only.
process.env.APOLLO_TELEMETRY_DISABLED = 'true';
delete process.env.APOLLO_KEY;
delete process.env.APOLLO_GRAPH_REF;

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';

import { startDoorman } from './support/doorman.mjs';
import { AUDIENCE, startOidcProvider } from './support/oidc.mjs';

const PASSWORD = 'correct horse battery';

/** Seats a licence grants, computed from the organization id (Doorman's ids are numbers). */
const seatsFor = (id) => Number(id) * 10 + 5;

/** The second subgraph: licensing data keyed by Doorman's organization ids. */
function licensingSubgraph(featured) {
  const typeDefs = parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])

    type Organization @key(fields: "id") {
      id: ID!
      "Seats the organization's licence grants."
      seatsLicensed: Int!
    }

    type Query {
      "The organization on the licensing team's front page (a reference Doorman resolves)."
      featuredOrganization: Organization
    }
  `);
  const resolvers = {
    Query: {
      featuredOrganization: () =>
        featured.id === undefined ? null : { __typename: 'Organization', id: featured.id },
    },
    Organization: {
      __resolveReference: (reference) => ({ id: reference.id }),
      seatsLicensed: (organization) => seatsFor(organization.id),
    },
  };
  return new ApolloServer({
    schema: buildSubgraphSchema({ typeDefs, resolvers }),
    plugins: [ApolloServerPluginInlineTraceDisabled()],
  });
}

/** Forwards the caller's `Authorization` (from the gateway's context) to every subgraph. */
class AuthorizedDataSource extends RemoteGraphQLDataSource {
  willSendRequest({ request, context }) {
    if (context?.authorization) {
      request.http.headers.set('authorization', context.authorization);
    }
  }
}

let oidc;
let doorman;
let licensing;
let gateway;
let gatewayUrl;
const featured = { id: undefined };

before(async () => {
  oidc = await startOidcProvider();
  doorman = await startDoorman({
    DOORMAN_OIDC_ISSUER: oidc.issuer,
    DOORMAN_OIDC_AUDIENCE: AUDIENCE,
  });

  licensing = licensingSubgraph(featured);
  const { url: licensingUrl } = await startStandaloneServer(licensing, {
    listen: { host: '127.0.0.1', port: 0 },
  });

  gateway = new ApolloServer({
    gateway: new ApolloGateway({
      supergraphSdl: new IntrospectAndCompose({
        subgraphs: [
          { name: 'doorman', url: `${doorman.baseUrl}/graphql` },
          { name: 'licensing', url: licensingUrl },
        ],
      }),
      buildService: ({ url }) => new AuthorizedDataSource({ url }),
    }),
  });
  ({ url: gatewayUrl } = await startStandaloneServer(gateway, {
    listen: { host: '127.0.0.1', port: 0 },
    context: async ({ req }) => ({ authorization: req.headers.authorization }),
  }));
});

after(async () => {
  await gateway?.stop();
  await licensing?.stop();
  await doorman?.stop();
  await oidc?.stop();
});

/** Posts one operation to `url`; returns the whole body. */
async function post(url, query, variables, token) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not JSON (HTTP ${response.status}) from ${url}: ${text}`);
  }
}

/** Runs an operation directly on Doorman; returns `data`, failing on errors. */
async function doormanData(query, variables, token) {
  const body = await post(`${doorman.baseUrl}/graphql`, query, variables, token);
  assert.equal(body.errors, undefined, `errors from ${query}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

test('one query through the gateway joins Doorman and a second subgraph both ways', async () => {
  const { register } = await doormanData(
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    { input: { username: 'alice', email: 'alice@example.com', password: PASSWORD } },
  );
  const token = register.accessToken;
  const { createOrganization } = await doormanData(
    'mutation { createOrganization(input: { name: "acme", displayName: "Acme Inc." }) { id } }',
    {},
    token,
  );
  const orgId = createOrganization.id;
  featured.id = orgId;

  const body = await post(
    gatewayUrl,
    `query Licences {
      organization(org: { name: "acme" }) { id name seatsLicensed viewerRole }
      featuredOrganization { id name displayName viewerRole seatsLicensed }
    }`,
    {},
    token,
  );

  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  assert.deepEqual(body.data, {
    organization: { id: orgId, name: 'acme', seatsLicensed: seatsFor(orgId), viewerRole: 'ADMIN' },
    featuredOrganization: {
      id: orgId,
      name: 'acme',
      displayName: 'Acme Inc.',
      viewerRole: 'ADMIN',
      seatsLicensed: seatsFor(orgId),
    },
  });
});

test('without the caller\'s token Doorman refuses the entity lookup through the gateway', async () => {
  assert.ok(featured.id, 'runs after the first test has created the organization');

  const body = await post(gatewayUrl, '{ featuredOrganization { id name } }', {});

  assert.ok(body.errors?.length, `expected errors: ${JSON.stringify(body)}`);
  assert.ok(
    body.errors.some((error) => error.extensions?.code === 'UNAUTHENTICATED'),
    JSON.stringify(body.errors),
  );
});

test('the composed supergraph keeps Doorman\'s subscriptions', async () => {
  const body = await post(gatewayUrl, '{ __schema { subscriptionType { fields { name } } } }', {});

  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  const fields = body.data.__schema.subscriptionType.fields.map((field) => field.name).sort();
  assert.deepEqual(fields, ['invitationAccepted', 'invitationEvents', 'orgEvents']);
});

test('an OpenID Connect token sent to the gateway signs the caller in at Doorman', async () => {
  const { accessToken } = await oidc.token('sub-alice');

  const body = await post(gatewayUrl, '{ me { email emailVerified displayName } }', {}, accessToken);

  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  assert.deepEqual(body.data.me, {
    email: 'alice@idp.test',
    emailVerified: true,
    displayName: 'Alice IdP',
  });
  const refused = await post(gatewayUrl, '{ me { email } }', {}, `${accessToken.slice(0, -4)}AAAA`);
  assert.ok(
    refused.errors?.some((error) => error.extensions?.code === 'UNAUTHENTICATED'),
    JSON.stringify(refused),
  );
});
