//! Creating invitations: email invitations in bulk, open links, registration invitations.

use async_graphql::{
    Context, Enum, ErrorExtensions, ID, InputObject, Json, MaybeUndefined, Object, Result,
    SimpleObject,
};

use super::Invitation;
use crate::domain::email_address::{EmailAddress, EmailDomains, Listed};
use crate::domain::invitation_extras::{Metadata, RedirectUrl, time_zone};
use crate::domain::names::Message;
use crate::domain::org_role;
use crate::error::{AppError, ErrorCode};
use crate::graphql::context::{idempotent, state, throttle, viewer};
use crate::graphql::organizations::{OrgRole, OrgSelector};
use crate::graphql::scalars::DateTime;
use crate::service::invitations::RequestedExpiry;
use crate::service::invitations::create::{
    self, ExistingMember, Extras, InviteEntry, InviteError as ServiceInviteError, InviteLink,
    OrgInvites, RegistrationInvite,
};
use crate::service::rate_limits::Action;
use crate::service::{Ctx, idempotency};

/// What `createOrgInvites` does with an entry for someone who is already a member.
#[derive(Enum, Clone, Copy, PartialEq, Eq, Default)]
#[graphql(remote = "create::OnExistingMember")]
pub enum OnExistingMember {
    /// An `ALREADY_MEMBER` error for that entry (the default).
    #[default]
    Error,
    /// Leave them as they are; the entry is listed in `members`.
    Skip,
    /// Raise their role to the entry's (never lower it), with a `MEMBER_ROLE_CHANGED` event;
    /// organization admins only. The entry is listed in `members`.
    UpgradeRole,
}

/// One email of `createOrgInvites` with its own role or note.
#[derive(InputObject)]
pub struct InviteEntryInput {
    pub email: String,
    /// Default: the call's `role`, else the organization's `defaultInviteRole`.
    pub role: Option<OrgRole>,
    /// Default: the call's `message`.
    pub message: Option<String>,
}

/// An entry that named someone already a member (with `onExistingMember: SKIP` or
/// `UPGRADE_ROLE`).
#[derive(SimpleObject)]
pub struct ExistingMemberOutcome {
    /// The entry normalized.
    pub email: String,
    /// The entry as it was sent.
    pub input: String,
    pub user_id: ID,
    pub role_before: OrgRole,
    /// Their role now: higher than `roleBefore` when it was upgraded.
    pub role: OrgRole,
}

impl From<ExistingMember> for ExistingMemberOutcome {
    fn from(member: ExistingMember) -> Self {
        Self {
            email: member.email,
            input: member.input,
            user_id: ID(member.user_id.to_string()),
            role_before: member.role_before.into(),
            role: member.role.into(),
        }
    }
}

/// The invitee's `locale` and `timeZone` of a create input.
#[derive(Default)]
struct Invitee<'a> {
    locale: Option<&'a str>,
    time_zone: Option<&'a str>,
}

/// `redirectUrl`, `metadata`, `locale` and `timeZone` of a create input, checked.
fn extras(
    ctx: &Ctx,
    redirect_url: Option<&str>,
    metadata: Option<&Json<serde_json::Value>>,
    invitee: Invitee<'_>,
) -> Result<Extras, AppError> {
    let origins = &ctx.settings.lifecycle.redirect_origins;
    Ok(Extras {
        locale: invitee
            .locale
            .map(|tag| ctx.emails.languages().supported(tag))
            .transpose()
            .map_err(AppError::bad_input)?,
        time_zone: invitee
            .time_zone
            .map(time_zone)
            .transpose()
            .map_err(AppError::bad_input)?,
        redirect_url: redirect_url
            .map(|url| RedirectUrl::parse(url, origins))
            .transpose()
            .map_err(|err| AppError::over_limit(err, "DOORMAN_REDIRECT_ORIGINS"))?,
        metadata: metadata
            .map(|json| Metadata::parse(&json.0))
            .transpose()
            .map_err(AppError::bad_input)?,
    })
}

/// `expiresAt` of a link: left out is the default, `null` is never.
fn link_expiry(expires_at: &MaybeUndefined<DateTime>) -> RequestedExpiry {
    match expires_at {
        MaybeUndefined::Undefined => RequestedExpiry::Default,
        MaybeUndefined::Null => RequestedExpiry::Never,
        MaybeUndefined::Value(at) => RequestedExpiry::At(at.0),
    }
}

#[derive(InputObject)]
pub struct CreateOrgInvitesInput {
    pub org: OrgSelector,
    /// Emails invited with the call's `role` and `message`; each is trimmed and lower-cased.
    /// With `invites`, at most 100 entries in all (configurable).
    pub emails: Option<Vec<String>>,
    /// Emails each with its own role or note.
    pub invites: Option<Vec<InviteEntryInput>>,
    /// Default: the organization's `defaultInviteRole` (MEMBER unless an admin changed it).
    pub role: Option<OrgRole>,
    /// Default: the organization's `defaultInviteExpiryHours` from now, else 7 days; at
    /// most 30 days ahead.
    pub expires_at: Option<DateTime>,
    /// A personal note shown in the email (at most 1000 characters).
    pub message: Option<String>,
    /// Email each invitation (the default): the link then goes only to the invitee and is
    /// not in the payload. `false` returns the links for you to share; accepting one of those
    /// needs an account whose email is verified.
    #[graphql(default = true)]
    pub send_email: bool,
    /// Report the outcomes without creating anything.
    #[graphql(default)]
    pub validate_only: bool,
    /// What to do with entries for people who are already members.
    #[graphql(default)]
    pub on_existing_member: OnExistingMember,
    /// Where the invitee's app should go after accepting; its origin must be one of
    /// `DOORMAN_REDIRECT_ORIGINS`.
    pub redirect_url: Option<String>,
    /// A JSON object (at most 4 KiB) copied to the membership on accept, for admins.
    pub metadata: Option<Json<serde_json::Value>>,
    /// The language of the emails (`de`, `fr-CA`, …: one of `serverInfo.emailLocales` or a
    /// regional form of one); default: the organization's `defaultLocale`, else the server's.
    pub locale: Option<String>,
    /// The IANA time zone the emails write dates in (`Europe/Berlin`); default: UTC.
    pub time_zone: Option<String>,
    /// A retry with the same key and input within 24 hours returns the first answer and
    /// invites nobody twice; the same key with another input is `CONFLICT`.
    pub idempotency_key: Option<String>,
}

/// Why one email was not invited.
#[derive(SimpleObject)]
pub struct InviteError {
    /// The entry normalized (trimmed, lower-cased).
    pub email: String,
    /// The entry as it was sent, to match the outcome to it.
    pub input: String,
    /// `INVALID_EMAIL`, `DUPLICATE_IN_REQUEST`, `ALREADY_MEMBER` or `ALREADY_INVITED`.
    pub code: ErrorCode,
    pub message: String,
}

impl From<ServiceInviteError> for InviteError {
    fn from(error: ServiceInviteError) -> Self {
        Self {
            input: error.input,
            email: error.email,
            code: error.code,
            message: error.message,
        }
    }
}

#[derive(SimpleObject)]
pub struct CreateOrgInvitesPayload {
    /// The invitations created, each with its `invitationLink`.
    pub invitations: Vec<Invitation>,
    /// One entry per email that was not invited.
    pub errors: Vec<InviteError>,
    /// The normalized emails that were (or with `validateOnly` would be) invited.
    pub valid_emails: Vec<String>,
    /// Entries for people already members, with `onExistingMember: SKIP` or `UPGRADE_ROLE`.
    pub members: Vec<ExistingMemberOutcome>,
}

#[derive(InputObject)]
pub struct CreateInviteLinkInput {
    pub org: OrgSelector,
    /// Default: the organization's `defaultInviteRole` (MEMBER unless an admin changed it).
    pub role: Option<OrgRole>,
    /// Null means unlimited.
    pub max_uses: Option<i32>,
    /// Default: the organization's `defaultInviteExpiryHours` from now, else 7 days.
    /// `null`: never, where the server allows it (`DOORMAN_INVITATION_MAX_EXPIRY_DAYS=none`).
    pub expires_at: MaybeUndefined<DateTime>,
    /// Only accounts with an email in these domains may accept (`[]` = any). Default: the
    /// organization's `defaultAllowedEmailDomains`.
    pub allowed_email_domains: Option<Vec<String>>,
    /// Where the app should go after accepting (an allowed origin's URL).
    pub redirect_url: Option<String>,
    /// A JSON object (at most 4 KiB) copied to each membership made through the link.
    pub metadata: Option<Json<serde_json::Value>>,
    /// A retry with the same key and input within 24 hours returns the same link; the same
    /// key with another input is `CONFLICT`.
    pub idempotency_key: Option<String>,
}

#[derive(InputObject)]
pub struct CreateRegistrationInviteInput {
    /// Limit the invitation to one email (then it can be used once).
    pub email: Option<String>,
    /// Null means unlimited (for an invitation without an email).
    pub max_uses: Option<i32>,
    /// `null`: never, for an invitation without an email where the server allows it.
    pub expires_at: MaybeUndefined<DateTime>,
    /// Also join this organization on registering.
    pub org: Option<OrgSelector>,
    /// The role in `org` (default: its `defaultInviteRole`).
    pub role: Option<OrgRole>,
    #[graphql(default = true)]
    pub send_email: bool,
    /// Where the app should go after registering (an allowed origin's URL).
    pub redirect_url: Option<String>,
    /// A JSON object (at most 4 KiB) copied to the membership, with `org`.
    pub metadata: Option<Json<serde_json::Value>>,
    /// The language of the emails (`de`, `fr-CA`, …: one of `serverInfo.emailLocales` or a
    /// regional form of one); default: the organization's `defaultLocale`, else the server's.
    pub locale: Option<String>,
    /// The IANA time zone the emails write dates in (`Europe/Berlin`); default: UTC.
    pub time_zone: Option<String>,
}

#[derive(Default)]
pub struct CreateMutation;

#[Object]
impl CreateMutation {
    /// Invites up to 100 emails; each gets exactly one outcome. A request that would pass the
    /// organization's daily quota (`RATE_LIMITED`) or pending cap (`BAD_USER_INPUT`) creates
    /// nothing.
    async fn create_org_invites(
        &self,
        ctx: &Context<'_>,
        input: CreateOrgInvitesInput,
    ) -> Result<CreateOrgInvitesPayload> {
        let outcome = async {
            throttle(ctx, Action::Invite).await?;
            let mut entries: Vec<InviteEntry> = input
                .emails
                .iter()
                .flatten()
                .map(|raw| InviteEntry {
                    email: Listed::parse(raw),
                    role: None,
                    message: None,
                })
                .collect();
            for entry in input.invites.iter().flatten() {
                entries.push(InviteEntry {
                    email: Listed::parse(&entry.email),
                    role: entry.role.map(Into::into),
                    message: Message::parse(entry.message.as_deref())
                        .map_err(AppError::bad_input)?,
                });
            }
            let request = OrgInvites {
                org: input.org.to_ref(),
                entries,
                role: input.role.map(Into::into),
                expires_at: input.expires_at.map(|at| at.0),
                message: Message::parse(input.message.as_deref()).map_err(AppError::bad_input)?,
                send_email: input.send_email,
                validate_only: input.validate_only,
                on_existing_member: input.on_existing_member.into(),
                extras: extras(
                    state(ctx),
                    input.redirect_url.as_deref(),
                    input.metadata.as_ref(),
                    Invitee {
                        locale: input.locale.as_deref(),
                        time_zone: input.time_zone.as_deref(),
                    },
                )?,
            };
            let key = input
                .idempotency_key
                .as_deref()
                .filter(|_| !input.validate_only);
            let once = idempotent(ctx, "createOrgInvites", key)?;
            idempotency::once(state(ctx), viewer(ctx), once, || {
                create::create_org_invites(state(ctx), viewer(ctx), request)
            })
            .await
        }
        .await
        .map_err(|err| err.extend())?;
        Ok(CreateOrgInvitesPayload {
            invitations: outcome.invitations.into_iter().map(Invitation).collect(),
            errors: outcome.errors.into_iter().map(InviteError::from).collect(),
            valid_emails: outcome.valid_emails,
            members: outcome.members.into_iter().map(Into::into).collect(),
        })
    }

    /// Creates a multi-use open link.
    async fn create_invite_link(
        &self,
        ctx: &Context<'_>,
        input: CreateInviteLinkInput,
    ) -> Result<Invitation> {
        async {
            throttle(ctx, Action::Invite).await?;
            let request = InviteLink {
                org: input.org.to_ref(),
                role: input.role.map(Into::into),
                max_uses: input.max_uses,
                expires_at: link_expiry(&input.expires_at),
                allowed_email_domains: input
                    .allowed_email_domains
                    .as_deref()
                    .map(EmailDomains::parse)
                    .transpose()
                    .map_err(AppError::bad_input)?,
                extras: extras(
                    state(ctx),
                    input.redirect_url.as_deref(),
                    input.metadata.as_ref(),
                    Invitee::default(),
                )?,
            };
            let once = idempotent(ctx, "createInviteLink", input.idempotency_key.as_deref())?;
            idempotency::once(state(ctx), viewer(ctx), once, || {
                create::create_invite_link(state(ctx), viewer(ctx), request)
            })
            .await
        }
        .await
        .map(Invitation)
        .map_err(|err| err.extend())
    }

    /// Server admins: an invitation to register (and optionally join an organization).
    async fn create_registration_invite(
        &self,
        ctx: &Context<'_>,
        input: CreateRegistrationInviteInput,
    ) -> Result<Invitation> {
        async {
            throttle(ctx, Action::Invite).await?;
            let request = RegistrationInvite {
                email: input
                    .email
                    .as_deref()
                    .map(EmailAddress::parse)
                    .transpose()
                    .map_err(AppError::bad_input)?,
                max_uses: input.max_uses,
                expires_at: link_expiry(&input.expires_at),
                org: input.org.as_ref().map(OrgSelector::to_ref),
                role: input.role.map(org_role::OrgRole::from),
                send_email: input.send_email,
                extras: extras(
                    state(ctx),
                    input.redirect_url.as_deref(),
                    input.metadata.as_ref(),
                    Invitee {
                        locale: input.locale.as_deref(),
                        time_zone: input.time_zone.as_deref(),
                    },
                )?,
            };
            create::create_registration_invite(state(ctx), viewer(ctx), request).await
        }
        .await
        .map(Invitation)
        .map_err(|err| err.extend())
    }
}
