// The operations a web app needs around invitations, typed by the generated `graphql()`.
import { graphql } from './gql/index.js';

export const Register = graphql(`
  mutation Register($input: RegisterInput!) {
    register(input: $input) { accessToken expiresAt user { id username emailVerified } }
  }
`);

export const Login = graphql(`
  mutation Login($input: LoginInput!) {
    login(input: $input) { accessToken expiresAt user { id username } }
  }
`);

export const CreateOrganization = graphql(`
  mutation CreateOrganization($input: CreateOrganizationInput!) {
    createOrganization(input: $input) { id name viewerRole }
  }
`);

export const CreateOrgInvites = graphql(`
  mutation CreateOrgInvites($input: CreateOrgInvitesInput!) {
    createOrgInvites(input: $input) {
      invitations { id email role status expiresAt invitationLink }
      errors { input email code message }
      members { email roleBefore role }
      validEmails
    }
  }
`);

export const CreateInviteLink = graphql(`
  mutation CreateInviteLink($input: CreateInviteLinkInput!) {
    createInviteLink(input: $input) { id invitationLink maxUses usesRemaining expiresAt }
  }
`);

export const Preview = graphql(`
  query Preview($token: String!) {
    invitation(token: $token) {
      id action role status expiresAt message emailHint nextStep tokenSuperseded redirectUrl
      organization { name displayName }
      invitedBy { username displayName }
    }
  }
`);

export const Accept = graphql(`
  mutation Accept($token: String!) {
    acceptInvitation(token: $token) {
      redirectUrl
      membership { role organization { name } }
      invitation { status usageCount }
    }
  }
`);

export const Decline = graphql(`
  mutation Decline($token: String!) { declineInvitation(token: $token) { id status } }
`);

export const RequestNewInvitation = graphql(`
  mutation RequestNewInvitation($token: String!) { requestNewInvitation(token: $token) }
`);

export const OrgInvitations = graphql(`
  query OrgInvitations($org: OrgSelector!, $status: [InvitationStatus!], $orderBy: InvitationOrder, $first: Int, $after: String) {
    orgInvitations(org: $org, status: $status, orderBy: $orderBy, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { id email role status emailStatus expiresAt usageCount maxUses paused }
    }
  }
`);

export const CancelInvitation = graphql(`
  mutation CancelInvitation($id: ID!) { cancelInvitation(id: $id) { id status } }
`);

export const Resend = graphql(`
  mutation Resend($input: ResendInput!) {
    resend(input: $input) { count invitations { id expiresAt } errors { id email code message retryAfter } }
  }
`);

export const OrgEventsFeed = graphql(`
  subscription OrgEventsFeed($org: OrgSelector!, $kinds: [OrgEventKind!]) {
    orgEvents(org: $org, kinds: $kinds) { kind at actor { username } invitation { id email role } }
  }
`);
