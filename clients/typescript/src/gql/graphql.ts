/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';
export type CreateInviteLinkInput = {
  /**
   * Only accounts with an email in these domains may accept (`[]` = any). Default: the
   * organization's `defaultAllowedEmailDomains`.
   */
  allowedEmailDomains?: Array<string> | null | undefined;
  /**
   * Default: the organization's `defaultInviteExpiryHours` from now, else 7 days.
   * `null`: never, where the server allows it (`DOORMAN_INVITATION_MAX_EXPIRY_DAYS=none`).
   */
  expiresAt?: string | null | undefined;
  /**
   * A retry with the same key and input within 24 hours returns the same link; the same
   * key with another input is `CONFLICT`.
   */
  idempotencyKey?: string | null | undefined;
  /** Null means unlimited. */
  maxUses?: number | null | undefined;
  /** A JSON object (at most 4 KiB) copied to each membership made through the link. */
  metadata?: unknown;
  org: OrgSelector;
  /** Where the app should go after accepting (an allowed origin's URL). */
  redirectUrl?: string | null | undefined;
  /** Default: the organization's `defaultInviteRole` (MEMBER unless an admin changed it). */
  role?: OrgRole | null | undefined;
};

export type CreateOrgInvitesInput = {
  /**
   * Emails invited with the call's `role` and `message`; each is trimmed and lower-cased.
   * With `invites`, at most 100 entries in all (configurable).
   */
  emails?: Array<string> | null | undefined;
  /**
   * Default: the organization's `defaultInviteExpiryHours` from now, else 7 days; at
   * most 30 days ahead.
   */
  expiresAt?: string | null | undefined;
  /**
   * A retry with the same key and input within 24 hours returns the first answer and
   * invites nobody twice; the same key with another input is `CONFLICT`.
   */
  idempotencyKey?: string | null | undefined;
  /** Emails each with its own role or note. */
  invites?: Array<InviteEntryInput> | null | undefined;
  /**
   * The language of the emails (`de`, `fr-CA`, …: one of `serverInfo.emailLocales` or a
   * regional form of one); default: the organization's `defaultLocale`, else the server's.
   */
  locale?: string | null | undefined;
  /** A personal note shown in the email (at most 1000 characters). */
  message?: string | null | undefined;
  /** A JSON object (at most 4 KiB) copied to the membership on accept, for admins. */
  metadata?: unknown;
  /** What to do with entries for people who are already members. */
  onExistingMember?: OnExistingMember;
  org: OrgSelector;
  /**
   * Where the invitee's app should go after accepting; its origin must be one of
   * `DOORMAN_REDIRECT_ORIGINS`.
   */
  redirectUrl?: string | null | undefined;
  /** Default: the organization's `defaultInviteRole` (MEMBER unless an admin changed it). */
  role?: OrgRole | null | undefined;
  /**
   * Email each invitation (the default): the link then goes only to the invitee and is
   * not in the payload. `false` returns the links for you to share; accepting one of those
   * needs an account whose email is verified.
   */
  sendEmail?: boolean;
  /** The IANA time zone the emails write dates in (`Europe/Berlin`); default: UTC. */
  timeZone?: string | null | undefined;
  /** Report the outcomes without creating anything. */
  validateOnly?: boolean;
};

export type CreateOrganizationInput = {
  displayName?: string | null | undefined;
  /** Let members (not only admins) invite others, up to MEMBER. */
  membersCanInvite?: boolean;
  /** Unique handle: 1–39 letters, digits, '-' or '_'. */
  name: string;
};

export type EmailDeliveryStatus =
  | 'FAILED'
  | 'NOT_REQUESTED'
  | 'QUEUED'
  | 'SENT';

/**
 * Every code a client can meet: the `extensions.code` of an error, and the `code` of a
 * per-item outcome (`InviteError`, `ResendError`). One list, spelled as clients see it; the
 * schema documents it as the `ErrorCode` enum.
 */
export type ErrorCode =
  /** Per item of a bulk invite: the email has a pending invitation already. */
  | 'ALREADY_INVITED'
  /** Already a member of the organization. */
  | 'ALREADY_MEMBER'
  /**
   * An invalid argument, a value that does not fit its type, or a request over a limit
   * (`extensions.limit` names the setting).
   */
  | 'BAD_USER_INPUT'
  /** A username, email or organization name that is taken. */
  | 'CONFLICT'
  /** Per item of a bulk invite or resend: named more than once in the request. */
  | 'DUPLICATE_IN_REQUEST'
  /** The caller's email is not in a domain the link allows. */
  | 'EMAIL_DOMAIN_NOT_ALLOWED'
  /** The caller's email is not the invited one. */
  | 'EMAIL_MISMATCH'
  /** Joining through this invitation (or listing one's invitations) needs a verified email. */
  | 'EMAIL_NOT_VERIFIED'
  /** Signed in, but not allowed. */
  | 'FORBIDDEN'
  /** The document does not parse. */
  | 'GRAPHQL_PARSE_FAILED'
  /** The document does not fit the schema. */
  | 'GRAPHQL_VALIDATION_FAILED'
  /** Anything unexpected; the details are in the server's log. */
  | 'INTERNAL_SERVER_ERROR'
  /** Per item of a bulk invite or resend: not an email address. */
  | 'INVALID_EMAIL'
  /**
   * An email-verification token that is unknown, used, or for an address the account no
   * longer has.
   */
  | 'INVALID_TOKEN'
  /** An email invitation that was used. */
  | 'INVITATION_ALREADY_ACCEPTED'
  | 'INVITATION_CANCELLED'
  | 'INVITATION_DECLINED'
  | 'INVITATION_EXPIRED'
  /** No invitation has this token. */
  | 'INVITATION_NOT_FOUND'
  /** An open link its admins paused. */
  | 'INVITATION_PAUSED'
  /** A newer token was sent for this invitation. */
  | 'INVITATION_SUPERSEDED'
  /** A link with no uses left. */
  | 'INVITATION_USED_UP'
  /** The change would leave the organization without an admin. */
  | 'LAST_ADMIN'
  /** No such organization, invitation or user, or one the caller may not see. */
  | 'NOT_FOUND'
  /** A persisted-query hash the server does not know (yet): send the query with it. */
  | 'PERSISTED_QUERY_NOT_FOUND'
  /** Too many calls, or a quota reached (`extensions.retryAfter`). */
  | 'RATE_LIMITED'
  /** The request outlived `DOORMAN_REQUEST_TIMEOUT_SECONDS` (HTTP 408). */
  | 'REQUEST_TIMEOUT'
  /** An email-verification token whose time has run out: request a new one. */
  | 'TOKEN_EXPIRED'
  /**
   * No access token where one is needed, a wrong login or password, or an access token that
   * is sent but expired or invalid (`extensions.reason`).
   */
  | 'UNAUTHENTICATED';

export type InvitationAction =
  /** Join an organization. */
  | 'JOIN_ORG'
  /** Create an account (and optionally join an organization). */
  | 'REGISTER_ACCOUNT';

/** The order of a list. */
export type InvitationOrder = {
  direction?: OrderDirection;
  field: InvitationOrderField;
};

/** What `orgInvitations` sorts by; ties go by creation. */
export type InvitationOrderField =
  | 'CREATED_AT'
  /** The invitee's email; open links (no email) come first going up. */
  | 'EMAIL'
  | 'EXPIRES_AT';

export type InvitationStatus =
  /** An email invitation that was used. */
  | 'ACCEPTED'
  | 'CANCELLED'
  | 'DECLINED'
  /**
   * `expiresAt` has passed while pending (stored by the expiry sweep, derived at read
   * time until it runs).
   */
  | 'EXPIRED'
  | 'PENDING'
  /** A link whose uses are exhausted. */
  | 'USED_UP';

/** One email of `createOrgInvites` with its own role or note. */
export type InviteEntryInput = {
  email: string;
  /** Default: the call's `message`. */
  message?: string | null | undefined;
  /** Default: the call's `role`, else the organization's `defaultInviteRole`. */
  role?: OrgRole | null | undefined;
};

export type LoginInput = {
  /** Email or username. */
  login: string;
  password: string;
};

/** What the caller should do now with an invitation. */
export type NextStep =
  /** `acceptInvitation` will succeed (barring a race). */
  | 'ACCEPT'
  /** The caller already belongs to the organization. */
  | 'ALREADY_MEMBER'
  /**
   * Expired, cancelled, declined, used, or a token a newer one replaced: ask for a new one
   * (`requestNewInvitation`).
   */
  | 'REQUEST_NEW'
  /** Sign in: an account has the invited email, or it is an open link. */
  | 'SIGN_IN'
  /** Create an account: no account has the invited email, or the invitation registers one. */
  | 'SIGN_UP'
  /** Signed in as someone the invitation is not for: sign in as the invitee. */
  | 'SWITCH_ACCOUNT'
  /** Verify the account's email (`requestEmailVerification`), then accept. */
  | 'VERIFY_EMAIL';

/** What `createOrgInvites` does with an entry for someone who is already a member. */
export type OnExistingMember =
  /** An `ALREADY_MEMBER` error for that entry (the default). */
  | 'ERROR'
  /** Leave them as they are; the entry is listed in `members`. */
  | 'SKIP'
  /**
   * Raise their role to the entry's (never lower it), with a `MEMBER_ROLE_CHANGED` event;
   * organization admins only. The entry is listed in `members`.
   */
  | 'UPGRADE_ROLE';

export type OrderDirection =
  | 'ASC'
  | 'DESC';

/** What an organization's log records. */
export type OrgEventKind =
  /** Someone joined through an invitation (the actor). */
  | 'ACCEPTED'
  | 'CANCELLED'
  /** An invitation or link was created. */
  | 'CREATED'
  /** The invitee declined. */
  | 'DECLINED'
  /** The expiry sweep found an invitation past its expiry. */
  | 'EXPIRED'
  /** A member left (actor and subject). */
  | 'MEMBER_LEFT'
  /** An admin removed a member (the subject). */
  | 'MEMBER_REMOVED'
  /**
   * A member's role changed (the subject; `changes`: role). Also an invitation created
   * with `onExistingMember: UPGRADE_ROLE` for someone already a member.
   */
  | 'MEMBER_ROLE_CHANGED'
  /**
   * The organization was deleted (`changes`: its name, how many invitations were
   * cancelled).
   */
  | 'ORG_DELETED'
  /** Settings changed (`changes`: each setting, before and after). */
  | 'ORG_UPDATED'
  /** An admin paused a link. */
  | 'PAUSED'
  /** A link got a new token; the old one stopped working. */
  | 'REGENERATED'
  /** The one reminder before expiry was emailed to the invitee. */
  | 'REMINDED'
  /** Someone holding an invitation's token asked for a new one (resend it if you agree). */
  | 'RENEWAL_REQUESTED'
  /** An invitation got a new token and email. */
  | 'RESENT'
  /** An admin resumed a paused link. */
  | 'RESUMED'
  /** A webhook endpoint failed for too long and was disabled (`changes`: its URL). */
  | 'WEBHOOK_DISABLED'
  /** The mailbox an invitation went to said it was not meant for them; it was cancelled. */
  | 'WRONG_RECIPIENT';

/** A member's role, ordered VISITOR < MEMBER < ADMIN. */
export type OrgRole =
  | 'ADMIN'
  | 'MEMBER'
  | 'VISITOR';

/** Names an organization by exactly one of `id` or `name`. */
export type OrgSelector =
  {   id: string | number; name?: never; }
  |  { id?: never;   name: string; };

export type RegisterInput = {
  displayName?: string | null | undefined;
  email: string;
  /**
   * Required on invitation-only servers: a registration invitation, or an organization
   * invitation for this same email (the account is created and joins in one step).
   */
  invitationToken?: string | null | undefined;
  /** At least 8 characters. */
  password: string;
  username: string;
};

/** Which of an organization's email invitations to resend; each field narrows the choice. */
export type ResendFilterInput = {
  /** Invitations created before this time. */
  createdBefore?: string | null | undefined;
  /** Invitees in this domain (`example.com`). */
  emailDomain?: string | null | undefined;
  /** Invitations whose email stands in one of these (e.g. `[FAILED]`). */
  emailStatus?: Array<EmailDeliveryStatus> | null | undefined;
  /** `PENDING`, `EXPIRED` or both (the default): only those can be resent. */
  status?: Array<InvitationStatus> | null | undefined;
};

/** Pick invitations by `ids`, by `org` and `emails`, or by `org` and `filter`. */
export type ResendInput = {
  emails?: Array<string> | null | undefined;
  /** With `org`: every email invitation that matches (at most 100, configurable). */
  filter?: ResendFilterInput | null | undefined;
  /**
   * A retry with the same key and input within 24 hours returns the first answer and
   * sends nothing again; the same key with another input is `CONFLICT`.
   */
  idempotencyKey?: string | null | undefined;
  ids?: Array<string | number> | null | undefined;
  org?: OrgSelector | null | undefined;
  sendEmail?: boolean;
  /** Send nothing: `count` says how many would be resent, `errors` which would not. */
  validateOnly?: boolean;
};

export type RegisterMutationVariables = Exact<{
  input: RegisterInput;
}>;


export type RegisterMutation = { register: { accessToken: string, expiresAt: string, user: { id: string, username: string, emailVerified: boolean } } };

export type LoginMutationVariables = Exact<{
  input: LoginInput;
}>;


export type LoginMutation = { login: { accessToken: string, expiresAt: string, user: { id: string, username: string } } };

export type CreateOrganizationMutationVariables = Exact<{
  input: CreateOrganizationInput;
}>;


export type CreateOrganizationMutation = { createOrganization: { id: string, name: string, viewerRole: OrgRole | null } };

export type CreateOrgInvitesMutationVariables = Exact<{
  input: CreateOrgInvitesInput;
}>;


export type CreateOrgInvitesMutation = { createOrgInvites: { validEmails: Array<string>, invitations: Array<{ id: string, email: string | null, role: OrgRole | null, status: InvitationStatus, expiresAt: string | null, invitationLink: string | null }>, errors: Array<{ input: string, email: string, code: ErrorCode, message: string }>, members: Array<{ email: string, roleBefore: OrgRole, role: OrgRole }> } };

export type CreateInviteLinkMutationVariables = Exact<{
  input: CreateInviteLinkInput;
}>;


export type CreateInviteLinkMutation = { createInviteLink: { id: string, invitationLink: string | null, maxUses: number | null, usesRemaining: number | null, expiresAt: string | null } };

export type PreviewQueryVariables = Exact<{
  token: string;
}>;


export type PreviewQuery = { invitation: { id: string, action: InvitationAction, role: OrgRole | null, status: InvitationStatus, expiresAt: string | null, message: string | null, emailHint: string | null, nextStep: NextStep, tokenSuperseded: boolean, redirectUrl: string | null, organization: { name: string, displayName: string | null } | null, invitedBy: { username: string, displayName: string | null } | null } | null };

export type AcceptMutationVariables = Exact<{
  token: string;
}>;


export type AcceptMutation = { acceptInvitation: { redirectUrl: string | null, membership: { role: OrgRole | null, organization: { name: string } }, invitation: { status: InvitationStatus, usageCount: number } } };

export type DeclineMutationVariables = Exact<{
  token: string;
}>;


export type DeclineMutation = { declineInvitation: { id: string, status: InvitationStatus } };

export type RequestNewInvitationMutationVariables = Exact<{
  token: string;
}>;


export type RequestNewInvitationMutation = { requestNewInvitation: boolean };

export type OrgInvitationsQueryVariables = Exact<{
  org: OrgSelector;
  status?: Array<InvitationStatus> | InvitationStatus | null | undefined;
  orderBy?: InvitationOrder | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type OrgInvitationsQuery = { orgInvitations: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, nodes: Array<{ id: string, email: string | null, role: OrgRole | null, status: InvitationStatus, emailStatus: EmailDeliveryStatus, expiresAt: string | null, usageCount: number, maxUses: number | null, paused: boolean }> } };

export type CancelInvitationMutationVariables = Exact<{
  id: string | number;
}>;


export type CancelInvitationMutation = { cancelInvitation: { id: string, status: InvitationStatus } };

export type ResendMutationVariables = Exact<{
  input: ResendInput;
}>;


export type ResendMutation = { resend: { count: number, invitations: Array<{ id: string, expiresAt: string | null }>, errors: Array<{ id: string | null, email: string | null, code: ErrorCode, message: string, retryAfter: number | null }> } };

export type OrgEventsFeedSubscriptionVariables = Exact<{
  org: OrgSelector;
  kinds?: Array<OrgEventKind> | OrgEventKind | null | undefined;
}>;


export type OrgEventsFeedSubscription = { orgEvents: { kind: OrgEventKind, at: string, actor: { username: string } | null, invitation: { id: string, email: string | null, role: OrgRole | null } | null } };


export const RegisterDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Register"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"RegisterInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"register"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accessToken"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"emailVerified"}}]}}]}}]}}]} as unknown as DocumentNode<RegisterMutation, RegisterMutationVariables>;
export const LoginDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Login"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"LoginInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"login"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"accessToken"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"user"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"username"}}]}}]}}]}}]} as unknown as DocumentNode<LoginMutation, LoginMutationVariables>;
export const CreateOrganizationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateOrganization"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateOrganizationInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createOrganization"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"viewerRole"}}]}}]}}]} as unknown as DocumentNode<CreateOrganizationMutation, CreateOrganizationMutationVariables>;
export const CreateOrgInvitesDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateOrgInvites"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateOrgInvitesInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createOrgInvites"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"invitations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"invitationLink"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"input"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}}]}},{"kind":"Field","name":{"kind":"Name","value":"members"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"roleBefore"}},{"kind":"Field","name":{"kind":"Name","value":"role"}}]}},{"kind":"Field","name":{"kind":"Name","value":"validEmails"}}]}}]}}]} as unknown as DocumentNode<CreateOrgInvitesMutation, CreateOrgInvitesMutationVariables>;
export const CreateInviteLinkDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CreateInviteLink"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"CreateInviteLinkInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"createInviteLink"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"invitationLink"}},{"kind":"Field","name":{"kind":"Name","value":"maxUses"}},{"kind":"Field","name":{"kind":"Name","value":"usesRemaining"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}}]}}]}}]} as unknown as DocumentNode<CreateInviteLinkMutation, CreateInviteLinkMutationVariables>;
export const PreviewDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"Preview"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"token"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"invitation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"token"},"value":{"kind":"Variable","name":{"kind":"Name","value":"token"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"action"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"emailHint"}},{"kind":"Field","name":{"kind":"Name","value":"nextStep"}},{"kind":"Field","name":{"kind":"Name","value":"tokenSuperseded"}},{"kind":"Field","name":{"kind":"Name","value":"redirectUrl"}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}},{"kind":"Field","name":{"kind":"Name","value":"invitedBy"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}},{"kind":"Field","name":{"kind":"Name","value":"displayName"}}]}}]}}]}}]} as unknown as DocumentNode<PreviewQuery, PreviewQueryVariables>;
export const AcceptDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Accept"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"token"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"acceptInvitation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"token"},"value":{"kind":"Variable","name":{"kind":"Name","value":"token"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"redirectUrl"}},{"kind":"Field","name":{"kind":"Name","value":"membership"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"organization"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"name"}}]}}]}},{"kind":"Field","name":{"kind":"Name","value":"invitation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"usageCount"}}]}}]}}]}}]} as unknown as DocumentNode<AcceptMutation, AcceptMutationVariables>;
export const DeclineDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Decline"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"token"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"declineInvitation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"token"},"value":{"kind":"Variable","name":{"kind":"Name","value":"token"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<DeclineMutation, DeclineMutationVariables>;
export const RequestNewInvitationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"RequestNewInvitation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"token"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"requestNewInvitation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"token"},"value":{"kind":"Variable","name":{"kind":"Name","value":"token"}}}]}]}}]} as unknown as DocumentNode<RequestNewInvitationMutation, RequestNewInvitationMutationVariables>;
export const OrgInvitationsDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"query","name":{"kind":"Name","value":"OrgInvitations"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"org"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"OrgSelector"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"status"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"InvitationStatus"}}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"orderBy"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"InvitationOrder"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"first"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"Int"}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"after"}},"type":{"kind":"NamedType","name":{"kind":"Name","value":"String"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orgInvitations"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"org"},"value":{"kind":"Variable","name":{"kind":"Name","value":"org"}}},{"kind":"Argument","name":{"kind":"Name","value":"status"},"value":{"kind":"Variable","name":{"kind":"Name","value":"status"}}},{"kind":"Argument","name":{"kind":"Name","value":"orderBy"},"value":{"kind":"Variable","name":{"kind":"Name","value":"orderBy"}}},{"kind":"Argument","name":{"kind":"Name","value":"first"},"value":{"kind":"Variable","name":{"kind":"Name","value":"first"}}},{"kind":"Argument","name":{"kind":"Name","value":"after"},"value":{"kind":"Variable","name":{"kind":"Name","value":"after"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"totalCount"}},{"kind":"Field","name":{"kind":"Name","value":"pageInfo"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"hasNextPage"}},{"kind":"Field","name":{"kind":"Name","value":"endCursor"}}]}},{"kind":"Field","name":{"kind":"Name","value":"nodes"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"role"}},{"kind":"Field","name":{"kind":"Name","value":"status"}},{"kind":"Field","name":{"kind":"Name","value":"emailStatus"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}},{"kind":"Field","name":{"kind":"Name","value":"usageCount"}},{"kind":"Field","name":{"kind":"Name","value":"maxUses"}},{"kind":"Field","name":{"kind":"Name","value":"paused"}}]}}]}}]}}]} as unknown as DocumentNode<OrgInvitationsQuery, OrgInvitationsQueryVariables>;
export const CancelInvitationDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"CancelInvitation"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"id"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ID"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"cancelInvitation"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"id"},"value":{"kind":"Variable","name":{"kind":"Name","value":"id"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"status"}}]}}]}}]} as unknown as DocumentNode<CancelInvitationMutation, CancelInvitationMutationVariables>;
export const ResendDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"mutation","name":{"kind":"Name","value":"Resend"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"input"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"ResendInput"}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"resend"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"input"},"value":{"kind":"Variable","name":{"kind":"Name","value":"input"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"count"}},{"kind":"Field","name":{"kind":"Name","value":"invitations"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"expiresAt"}}]}},{"kind":"Field","name":{"kind":"Name","value":"errors"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"code"}},{"kind":"Field","name":{"kind":"Name","value":"message"}},{"kind":"Field","name":{"kind":"Name","value":"retryAfter"}}]}}]}}]}}]} as unknown as DocumentNode<ResendMutation, ResendMutationVariables>;
export const OrgEventsFeedDocument = {"kind":"Document","definitions":[{"kind":"OperationDefinition","operation":"subscription","name":{"kind":"Name","value":"OrgEventsFeed"},"variableDefinitions":[{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"org"}},"type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"OrgSelector"}}}},{"kind":"VariableDefinition","variable":{"kind":"Variable","name":{"kind":"Name","value":"kinds"}},"type":{"kind":"ListType","type":{"kind":"NonNullType","type":{"kind":"NamedType","name":{"kind":"Name","value":"OrgEventKind"}}}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"orgEvents"},"arguments":[{"kind":"Argument","name":{"kind":"Name","value":"org"},"value":{"kind":"Variable","name":{"kind":"Name","value":"org"}}},{"kind":"Argument","name":{"kind":"Name","value":"kinds"},"value":{"kind":"Variable","name":{"kind":"Name","value":"kinds"}}}],"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"kind"}},{"kind":"Field","name":{"kind":"Name","value":"at"}},{"kind":"Field","name":{"kind":"Name","value":"actor"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"username"}}]}},{"kind":"Field","name":{"kind":"Name","value":"invitation"},"selectionSet":{"kind":"SelectionSet","selections":[{"kind":"Field","name":{"kind":"Name","value":"id"}},{"kind":"Field","name":{"kind":"Name","value":"email"}},{"kind":"Field","name":{"kind":"Name","value":"role"}}]}}]}}]}}]} as unknown as DocumentNode<OrgEventsFeedSubscription, OrgEventsFeedSubscriptionVariables>;