// A small app built on the typed operations: an admin invites by email, an invitee previews
// and accepts. Every variable and result is checked by TypeScript against schema.graphql.
//
//   npm run example -- http://127.0.0.1:8080
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';

import {
  Accept,
  CreateInviteLink,
  CreateOrgInvites,
  CreateOrganization,
  Preview,
  Register,
} from './operations.js';

const endpoint = `${process.argv[2] ?? 'http://127.0.0.1:8080'}/graphql`;

/** Runs a typed operation; the result type follows from the document. */
export async function execute<Result, Variables>(
  document: TypedDocumentNode<Result, Variables>,
  variables: Variables,
  accessToken?: string,
): Promise<Result> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
    },
    body: JSON.stringify({ query: print(document), variables }),
  });
  const body = (await response.json()) as { data?: Result; errors?: { message: string; extensions?: { code?: string } }[] };
  if (body.errors?.length) {
    const [error] = body.errors;
    throw new Error(`${error.extensions?.code ?? 'ERROR'}: ${error.message}`);
  }
  return body.data as Result;
}

async function main(): Promise<void> {
  const suffix = Date.now().toString(36);
  const admin = await execute(Register, {
    input: { email: `admin-${suffix}@example.com`, username: `admin-${suffix}`, password: 'correct horse battery' },
  });
  const token = admin.register.accessToken;
  const org = await execute(CreateOrganization, { input: { name: `org-${suffix}` } }, token);
  const created = await execute(
    CreateOrgInvites,
    { input: { org: { name: org.createOrganization.name }, emails: [`guest-${suffix}@example.com`], sendEmail: false } },
    token,
  );
  for (const error of created.createOrgInvites.errors) console.log(`not invited: ${error.input} (${error.code})`);
  const [invitation] = created.createOrgInvites.invitations;
  const inviteToken = invitation.invitationLink?.split('/').pop() ?? '';

  const guest = await execute(Register, {
    input: { email: `guest-${suffix}@example.com`, username: `guest-${suffix}`, password: 'correct horse battery' },
  });
  const preview = await execute(Preview, { token: inviteToken }, guest.register.accessToken);
  console.log(`next step for the guest: ${preview.invitation?.nextStep}`);
  try {
    await execute(Accept, { token: inviteToken }, guest.register.accessToken);
  } catch (error) {
    // A link shown to the inviter needs a verified email: the error says which rule.
    console.log(`the email invitation waits: ${(error as Error).message}`);
  }

  // An open link takes anyone signed in.
  const link = await execute(
    CreateInviteLink,
    { input: { org: { name: org.createOrganization.name }, role: 'VISITOR', maxUses: 10 } },
    token,
  );
  const linkToken = link.createInviteLink.invitationLink?.split('/').pop() ?? '';
  const accepted = await execute(Accept, { token: linkToken }, guest.register.accessToken);
  const { membership } = accepted.acceptInvitation;
  console.log(`joined ${membership.organization.name} as ${membership.role}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main();
}
