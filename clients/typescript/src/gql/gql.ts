/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { accessToken expiresAt user { id username emailVerified } }\n  }\n": typeof types.RegisterDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) { accessToken expiresAt user { id username } }\n  }\n": typeof types.LoginDocument,
    "\n  mutation CreateOrganization($input: CreateOrganizationInput!) {\n    createOrganization(input: $input) { id name viewerRole }\n  }\n": typeof types.CreateOrganizationDocument,
    "\n  mutation CreateOrgInvites($input: CreateOrgInvitesInput!) {\n    createOrgInvites(input: $input) {\n      invitations { id email role status expiresAt invitationLink }\n      errors { input email code message }\n      members { email roleBefore role }\n      validEmails\n    }\n  }\n": typeof types.CreateOrgInvitesDocument,
    "\n  mutation CreateInviteLink($input: CreateInviteLinkInput!) {\n    createInviteLink(input: $input) { id invitationLink maxUses usesRemaining expiresAt }\n  }\n": typeof types.CreateInviteLinkDocument,
    "\n  query Preview($token: String!) {\n    invitation(token: $token) {\n      id action role status expiresAt message emailHint nextStep tokenSuperseded redirectUrl\n      organization { name displayName }\n      invitedBy { username displayName }\n    }\n  }\n": typeof types.PreviewDocument,
    "\n  mutation Accept($token: String!) {\n    acceptInvitation(token: $token) {\n      redirectUrl\n      membership { role organization { name } }\n      invitation { status usageCount }\n    }\n  }\n": typeof types.AcceptDocument,
    "\n  mutation Decline($token: String!) { declineInvitation(token: $token) { id status } }\n": typeof types.DeclineDocument,
    "\n  mutation RequestNewInvitation($token: String!) { requestNewInvitation(token: $token) }\n": typeof types.RequestNewInvitationDocument,
    "\n  query OrgInvitations($org: OrgSelector!, $status: [InvitationStatus!], $orderBy: InvitationOrder, $first: Int, $after: String) {\n    orgInvitations(org: $org, status: $status, orderBy: $orderBy, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id email role status emailStatus expiresAt usageCount maxUses paused }\n    }\n  }\n": typeof types.OrgInvitationsDocument,
    "\n  mutation CancelInvitation($id: ID!) { cancelInvitation(id: $id) { id status } }\n": typeof types.CancelInvitationDocument,
    "\n  mutation Resend($input: ResendInput!) {\n    resend(input: $input) { count invitations { id expiresAt } errors { id email code message retryAfter } }\n  }\n": typeof types.ResendDocument,
    "\n  subscription OrgEventsFeed($org: OrgSelector!, $kinds: [OrgEventKind!]) {\n    orgEvents(org: $org, kinds: $kinds) { kind at actor { username } invitation { id email role } }\n  }\n": typeof types.OrgEventsFeedDocument,
};
const documents: Documents = {
    "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { accessToken expiresAt user { id username emailVerified } }\n  }\n": types.RegisterDocument,
    "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) { accessToken expiresAt user { id username } }\n  }\n": types.LoginDocument,
    "\n  mutation CreateOrganization($input: CreateOrganizationInput!) {\n    createOrganization(input: $input) { id name viewerRole }\n  }\n": types.CreateOrganizationDocument,
    "\n  mutation CreateOrgInvites($input: CreateOrgInvitesInput!) {\n    createOrgInvites(input: $input) {\n      invitations { id email role status expiresAt invitationLink }\n      errors { input email code message }\n      members { email roleBefore role }\n      validEmails\n    }\n  }\n": types.CreateOrgInvitesDocument,
    "\n  mutation CreateInviteLink($input: CreateInviteLinkInput!) {\n    createInviteLink(input: $input) { id invitationLink maxUses usesRemaining expiresAt }\n  }\n": types.CreateInviteLinkDocument,
    "\n  query Preview($token: String!) {\n    invitation(token: $token) {\n      id action role status expiresAt message emailHint nextStep tokenSuperseded redirectUrl\n      organization { name displayName }\n      invitedBy { username displayName }\n    }\n  }\n": types.PreviewDocument,
    "\n  mutation Accept($token: String!) {\n    acceptInvitation(token: $token) {\n      redirectUrl\n      membership { role organization { name } }\n      invitation { status usageCount }\n    }\n  }\n": types.AcceptDocument,
    "\n  mutation Decline($token: String!) { declineInvitation(token: $token) { id status } }\n": types.DeclineDocument,
    "\n  mutation RequestNewInvitation($token: String!) { requestNewInvitation(token: $token) }\n": types.RequestNewInvitationDocument,
    "\n  query OrgInvitations($org: OrgSelector!, $status: [InvitationStatus!], $orderBy: InvitationOrder, $first: Int, $after: String) {\n    orgInvitations(org: $org, status: $status, orderBy: $orderBy, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id email role status emailStatus expiresAt usageCount maxUses paused }\n    }\n  }\n": types.OrgInvitationsDocument,
    "\n  mutation CancelInvitation($id: ID!) { cancelInvitation(id: $id) { id status } }\n": types.CancelInvitationDocument,
    "\n  mutation Resend($input: ResendInput!) {\n    resend(input: $input) { count invitations { id expiresAt } errors { id email code message retryAfter } }\n  }\n": types.ResendDocument,
    "\n  subscription OrgEventsFeed($org: OrgSelector!, $kinds: [OrgEventKind!]) {\n    orgEvents(org: $org, kinds: $kinds) { kind at actor { username } invitation { id email role } }\n  }\n": types.OrgEventsFeedDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { accessToken expiresAt user { id username emailVerified } }\n  }\n"): (typeof documents)["\n  mutation Register($input: RegisterInput!) {\n    register(input: $input) { accessToken expiresAt user { id username emailVerified } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Login($input: LoginInput!) {\n    login(input: $input) { accessToken expiresAt user { id username } }\n  }\n"): (typeof documents)["\n  mutation Login($input: LoginInput!) {\n    login(input: $input) { accessToken expiresAt user { id username } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateOrganization($input: CreateOrganizationInput!) {\n    createOrganization(input: $input) { id name viewerRole }\n  }\n"): (typeof documents)["\n  mutation CreateOrganization($input: CreateOrganizationInput!) {\n    createOrganization(input: $input) { id name viewerRole }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateOrgInvites($input: CreateOrgInvitesInput!) {\n    createOrgInvites(input: $input) {\n      invitations { id email role status expiresAt invitationLink }\n      errors { input email code message }\n      members { email roleBefore role }\n      validEmails\n    }\n  }\n"): (typeof documents)["\n  mutation CreateOrgInvites($input: CreateOrgInvitesInput!) {\n    createOrgInvites(input: $input) {\n      invitations { id email role status expiresAt invitationLink }\n      errors { input email code message }\n      members { email roleBefore role }\n      validEmails\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateInviteLink($input: CreateInviteLinkInput!) {\n    createInviteLink(input: $input) { id invitationLink maxUses usesRemaining expiresAt }\n  }\n"): (typeof documents)["\n  mutation CreateInviteLink($input: CreateInviteLinkInput!) {\n    createInviteLink(input: $input) { id invitationLink maxUses usesRemaining expiresAt }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Preview($token: String!) {\n    invitation(token: $token) {\n      id action role status expiresAt message emailHint nextStep tokenSuperseded redirectUrl\n      organization { name displayName }\n      invitedBy { username displayName }\n    }\n  }\n"): (typeof documents)["\n  query Preview($token: String!) {\n    invitation(token: $token) {\n      id action role status expiresAt message emailHint nextStep tokenSuperseded redirectUrl\n      organization { name displayName }\n      invitedBy { username displayName }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Accept($token: String!) {\n    acceptInvitation(token: $token) {\n      redirectUrl\n      membership { role organization { name } }\n      invitation { status usageCount }\n    }\n  }\n"): (typeof documents)["\n  mutation Accept($token: String!) {\n    acceptInvitation(token: $token) {\n      redirectUrl\n      membership { role organization { name } }\n      invitation { status usageCount }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Decline($token: String!) { declineInvitation(token: $token) { id status } }\n"): (typeof documents)["\n  mutation Decline($token: String!) { declineInvitation(token: $token) { id status } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RequestNewInvitation($token: String!) { requestNewInvitation(token: $token) }\n"): (typeof documents)["\n  mutation RequestNewInvitation($token: String!) { requestNewInvitation(token: $token) }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query OrgInvitations($org: OrgSelector!, $status: [InvitationStatus!], $orderBy: InvitationOrder, $first: Int, $after: String) {\n    orgInvitations(org: $org, status: $status, orderBy: $orderBy, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id email role status emailStatus expiresAt usageCount maxUses paused }\n    }\n  }\n"): (typeof documents)["\n  query OrgInvitations($org: OrgSelector!, $status: [InvitationStatus!], $orderBy: InvitationOrder, $first: Int, $after: String) {\n    orgInvitations(org: $org, status: $status, orderBy: $orderBy, first: $first, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      nodes { id email role status emailStatus expiresAt usageCount maxUses paused }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CancelInvitation($id: ID!) { cancelInvitation(id: $id) { id status } }\n"): (typeof documents)["\n  mutation CancelInvitation($id: ID!) { cancelInvitation(id: $id) { id status } }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Resend($input: ResendInput!) {\n    resend(input: $input) { count invitations { id expiresAt } errors { id email code message retryAfter } }\n  }\n"): (typeof documents)["\n  mutation Resend($input: ResendInput!) {\n    resend(input: $input) { count invitations { id expiresAt } errors { id email code message retryAfter } }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription OrgEventsFeed($org: OrgSelector!, $kinds: [OrgEventKind!]) {\n    orgEvents(org: $org, kinds: $kinds) { kind at actor { username } invitation { id email role } }\n  }\n"): (typeof documents)["\n  subscription OrgEventsFeed($org: OrgSelector!, $kinds: [OrgEventKind!]) {\n    orgEvents(org: $org, kinds: $kinds) { kind at actor { username } invitation { id email role } }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;