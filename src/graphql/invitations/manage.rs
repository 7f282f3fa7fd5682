//! Cancelling and resending invitations.

use async_graphql::{Context, ErrorExtensions, ID, InputObject, Object, Result, SimpleObject};

use super::{EmailDeliveryStatus, Invitation, InvitationStatus};
use crate::domain::email_address::EmailAddress;
use crate::error::{AppError, ErrorCode};
use crate::graphql::context::{idempotent, state, throttle, viewer};
use crate::graphql::organizations::OrgSelector;
use crate::graphql::scalars::DateTime;
use crate::service::idempotency;
use crate::service::invitations::links;
use crate::service::invitations::manage::{self, GivenId, ResendTarget};
use crate::service::invitations::resend_filter::ResendFilter;
use crate::service::rate_limits::Action;

/// Pick invitations by `ids`, by `org` and `emails`, or by `org` and `filter`.
#[derive(InputObject)]
pub struct ResendInput {
    pub ids: Option<Vec<ID>>,
    pub org: Option<OrgSelector>,
    pub emails: Option<Vec<String>>,
    /// With `org`: every email invitation that matches (at most 100, configurable).
    pub filter: Option<ResendFilterInput>,
    #[graphql(default = true)]
    pub send_email: bool,
    /// Send nothing: `count` says how many would be resent, `errors` which would not.
    #[graphql(default)]
    pub validate_only: bool,
    /// A retry with the same key and input within 24 hours returns the first answer and
    /// sends nothing again; the same key with another input is `CONFLICT`.
    pub idempotency_key: Option<String>,
}

/// Which of an organization's email invitations to resend; each field narrows the choice.
#[derive(InputObject)]
pub struct ResendFilterInput {
    /// Invitees in this domain (`example.com`).
    pub email_domain: Option<String>,
    /// Invitations created before this time.
    pub created_before: Option<DateTime>,
    /// Invitations whose email stands in one of these (e.g. `[FAILED]`).
    pub email_status: Option<Vec<EmailDeliveryStatus>>,
    /// `PENDING`, `EXPIRED` or both (the default): only those can be resent.
    pub status: Option<Vec<InvitationStatus>>,
}

/// Why one invitation was not resent.
#[derive(SimpleObject)]
pub struct ResendError {
    pub id: Option<ID>,
    pub email: Option<String>,
    /// An error code; `RATE_LIMITED` when the invitation was sent too recently.
    pub code: ErrorCode,
    pub message: String,
    /// With `RATE_LIMITED`: whole seconds until this invitation may be resent.
    pub retry_after: Option<u64>,
}

#[derive(SimpleObject)]
pub struct ResendPayload {
    /// The resent invitations, each with its new `invitationLink`.
    pub invitations: Vec<Invitation>,
    pub errors: Vec<ResendError>,
    /// How many were resent (with `validateOnly`: would be).
    pub count: usize,
}

#[derive(Default)]
pub struct ManageMutation;

#[Object]
impl ManageMutation {
    /// Cancels a pending invitation (org admins, the member who sent it where members may
    /// invite; server admins for registration invitations). Its links stop working and its
    /// undelivered email is not sent.
    async fn cancel_invitation(&self, ctx: &Context<'_>, id: ID) -> Result<Invitation> {
        cancel(ctx, id).await
    }

    /// Pauses an open link (who may cancel it may pause it): it answers `INVITATION_PAUSED`
    /// and keeps its count until resumed.
    async fn pause_invite_link(&self, ctx: &Context<'_>, id: ID) -> Result<Invitation> {
        let id = id.parse().unwrap_or(-1);
        links::pause(state(ctx), viewer(ctx), id)
            .await
            .map(Invitation)
            .map_err(|err| err.extend())
    }

    /// Resumes a paused link.
    async fn resume_invite_link(&self, ctx: &Context<'_>, id: ID) -> Result<Invitation> {
        let id = id.parse().unwrap_or(-1);
        links::resume(state(ctx), viewer(ctx), id)
            .await
            .map(Invitation)
            .map_err(|err| err.extend())
    }

    /// Gives an open link a new token with the same settings, count and expiry (a leaked link
    /// stops working, the people who joined stay); the old link answers
    /// `INVITATION_SUPERSEDED`. The new one is in `invitationLink`.
    async fn regenerate_invite_link(&self, ctx: &Context<'_>, id: ID) -> Result<Invitation> {
        let id = id.parse().unwrap_or(-1);
        links::regenerate(state(ctx), viewer(ctx), id)
            .await
            .map(Invitation)
            .map_err(|err| err.extend())
    }

    /// Cancels a pending invitation.
    #[graphql(
        deprecation = "Use `cancelInvitation`: a name that does not clash with other \
                             subgraphs' `cancel` in a supergraph. This one keeps working."
    )]
    async fn cancel(&self, ctx: &Context<'_>, id: ID) -> Result<Invitation> {
        cancel(ctx, id).await
    }

    /// Sends invitations again with a new token and a fresh expiry; old links stop working.
    /// One sent less than the resend cooldown ago gets a `RATE_LIMITED` entry in `errors`.
    async fn resend(&self, ctx: &Context<'_>, input: ResendInput) -> Result<ResendPayload> {
        let outcome = async {
            throttle(ctx, Action::Invite).await?;
            let target = match (input.ids, input.org, input.emails, input.filter) {
                (Some(ids), None, None, None) => ResendTarget::Ids(
                    ids.into_iter()
                        .map(|id| GivenId {
                            id: id.parse().ok(),
                            text: id.0,
                        })
                        .collect(),
                ),
                (None, Some(org), None, Some(filter)) => ResendTarget::Filter {
                    org: org.to_ref(),
                    filter: ResendFilter::new(
                        filter.email_domain.as_deref(),
                        filter.created_before.map(|at| at.0),
                        filter
                            .email_status
                            .unwrap_or_default()
                            .into_iter()
                            .map(Into::into)
                            .collect(),
                        filter
                            .status
                            .unwrap_or_default()
                            .into_iter()
                            .map(Into::into)
                            .collect(),
                    )?,
                },
                (None, Some(org), Some(emails), None) => ResendTarget::Emails {
                    org: org.to_ref(),
                    emails: emails
                        .iter()
                        .map(|raw| EmailAddress::parse_listed(raw))
                        .collect(),
                },
                _ => {
                    return Err(AppError::bad_input(
                        "give either ids, or org and emails, or org and filter",
                    ));
                }
            };
            let (send_email, validate_only) = (input.send_email, input.validate_only);
            let key = input.idempotency_key.as_deref().filter(|_| !validate_only);
            let once = idempotent(ctx, "resend", key)?;
            idempotency::once(state(ctx), viewer(ctx), once, || {
                manage::resend(state(ctx), viewer(ctx), target, send_email, validate_only)
            })
            .await
        }
        .await
        .map_err(|err| err.extend())?;
        Ok(ResendPayload {
            invitations: outcome.invitations.into_iter().map(Invitation).collect(),
            errors: outcome
                .errors
                .into_iter()
                .map(|error| ResendError {
                    id: error.id.map(ID),
                    email: Some(error.error.email).filter(|email| !email.is_empty()),
                    code: error.error.code,
                    message: error.error.message,
                    retry_after: error.retry_after,
                })
                .collect(),
            count: outcome.count,
        })
    }
}

async fn cancel(ctx: &Context<'_>, id: ID) -> Result<Invitation> {
    let id = id.parse().unwrap_or(-1);
    manage::cancel(state(ctx), viewer(ctx), id)
        .await
        .map(Invitation)
        .map_err(|err| err.extend())
}
