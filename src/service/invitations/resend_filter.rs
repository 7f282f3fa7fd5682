//! Which invitations `resend(input: { org, filter })` picks: an organization's email
//! invitations that can be resent (pending or expired), narrowed by the invitee's domain,
//! creation date, email delivery and status.

use chrono::{DateTime, Utc};
use entity::invitation;
use sea_orm::sea_query::{ExprTrait, LockType};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use crate::domain::EmailDeliveryStatus;
use crate::domain::invitation_rules::InvitationStatus;
use crate::error::AppError;
use crate::service::distinct;

/// The longest domain name.
const MAX_DOMAIN_CHARS: usize = 253;

/// A checked filter.
#[derive(Debug, Default)]
pub struct ResendFilter {
    /// Lower-case, without `@`.
    email_domain: Option<String>,
    created_before: Option<DateTime<Utc>>,
    email_statuses: Vec<EmailDeliveryStatus>,
    statuses: Vec<InvitationStatus>,
}

impl ResendFilter {
    pub fn new(
        email_domain: Option<&str>,
        created_before: Option<DateTime<Utc>>,
        email_statuses: Vec<EmailDeliveryStatus>,
        statuses: Vec<InvitationStatus>,
    ) -> Result<Self, AppError> {
        let email_domain = email_domain
            .map(|domain| domain.trim().trim_start_matches('@').to_lowercase())
            .filter(|domain| !domain.is_empty());
        if let Some(domain) = &email_domain
            && (domain.chars().count() > MAX_DOMAIN_CHARS
                || domain.contains(['@', ' ', '%', '_', ',']))
        {
            return Err(AppError::bad_input(format!(
                "emailDomain must be a domain like example.com (at most {MAX_DOMAIN_CHARS} \
                 characters)"
            )));
        }
        let statuses = distinct(statuses, 6, "status", "statuses")?;
        if let Some(closed) = statuses.iter().find(|status| {
            !matches!(
                status,
                InvitationStatus::Pending | InvitationStatus::Expired
            )
        }) {
            return Err(AppError::bad_input(format!(
                "only PENDING and EXPIRED invitations can be resent, not {closed}"
            )));
        }
        Ok(Self {
            email_domain,
            created_before,
            email_statuses: distinct(email_statuses, 4, "emailStatus", "statuses")?,
            statuses,
        })
    }

    /// The matching invitations of `org_id`, oldest first, locked for the resend: at most
    /// `max`, or `None` when more match.
    pub async fn matching(
        &self,
        txn: &DatabaseTransaction,
        org_id: i64,
        max: usize,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<invitation::Model>>, AppError> {
        let mut select = invitation::Entity::find()
            .filter(invitation::Column::OrganizationId.eq(org_id))
            .filter(invitation::Column::Email.is_not_null())
            .filter(
                invitation::Column::Status
                    .is_in([InvitationStatus::Pending, InvitationStatus::Expired]),
            );
        match self.statuses.as_slice() {
            [InvitationStatus::Pending] => {
                select = select
                    .filter(invitation::Column::Status.eq(InvitationStatus::Pending))
                    .filter(invitation::Column::ExpiresAt.gt(now));
            }
            [InvitationStatus::Expired] => {
                select = select.filter(
                    invitation::Column::Status
                        .eq(InvitationStatus::Expired)
                        .or(invitation::Column::ExpiresAt.lte(now)),
                );
            }
            _ => {}
        }
        if let Some(domain) = &self.email_domain {
            select = select.filter(invitation::Column::Email.ends_with(format!("@{domain}")));
        }
        if let Some(before) = self.created_before {
            select = select.filter(invitation::Column::CreatedAt.lt(before));
        }
        if !self.email_statuses.is_empty() {
            select =
                select.filter(invitation::Column::EmailStatus.is_in(self.email_statuses.clone()));
        }
        let found = select
            .order_by_asc(invitation::Column::Id)
            .limit(max as u64 + 1)
            .lock(LockType::Update)
            .all(txn)
            .await?;
        Ok((found.len() <= max).then_some(found))
    }
}
