//! Invitation states and the checks an accept must pass, as pure functions of the stored row's
//! values. `EXPIRED` is never stored: it is derived from `expires_at` when a row is read.

use chrono::{DateTime, Utc};

pub use entity::enums::{InvitationAction, InvitationStatus};

/// Why an invitation cannot be redeemed; each maps to one API error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Expired,
    Cancelled,
    Declined,
    AlreadyAccepted,
    UsedUp,
    EmailMismatch,
}

/// The facts about one invitation that decide whether it can be redeemed.
#[derive(Clone, Copy, Debug)]
pub struct Redeemable<'a> {
    pub status: InvitationStatus,
    pub expires_at: DateTime<Utc>,
    pub max_uses: Option<i32>,
    pub usage_count: i32,
    pub email: Option<&'a str>,
    pub allowed_email_domains: &'a [String],
}

/// The status a reader sees: a pending invitation past its expiry reads as `EXPIRED`.
pub fn effective_status(
    stored: InvitationStatus,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> InvitationStatus {
    if stored == InvitationStatus::Pending && expires_at <= now {
        InvitationStatus::Expired
    } else {
        stored
    }
}

/// Checks that the invitation is open, has a use left, and that an account with
/// `account_email` may redeem it.
pub fn check_redeemable(
    invitation: &Redeemable<'_>,
    account_email: &str,
    now: DateTime<Utc>,
) -> Result<(), Refusal> {
    match effective_status(invitation.status, invitation.expires_at, now) {
        InvitationStatus::Pending => {}
        InvitationStatus::Expired => return Err(Refusal::Expired),
        InvitationStatus::Cancelled => return Err(Refusal::Cancelled),
        InvitationStatus::Declined => return Err(Refusal::Declined),
        InvitationStatus::Accepted => return Err(Refusal::AlreadyAccepted),
        InvitationStatus::UsedUp => return Err(Refusal::UsedUp),
    }
    if invitation
        .max_uses
        .is_some_and(|max| invitation.usage_count >= max)
    {
        return Err(if invitation.email.is_some() {
            Refusal::AlreadyAccepted
        } else {
            Refusal::UsedUp
        });
    }
    let account_email = account_email.trim().to_lowercase();
    if let Some(invited) = invitation.email {
        if invited.trim().to_lowercase() != account_email {
            return Err(Refusal::EmailMismatch);
        }
    } else if !invitation.allowed_email_domains.is_empty() {
        let domain = account_email.rsplit_once('@').map_or("", |(_, d)| d);
        if !invitation
            .allowed_email_domains
            .iter()
            .any(|allowed| allowed == domain)
        {
            return Err(Refusal::EmailMismatch);
        }
    }
    Ok(())
}

/// The stored status after one more use: email invitations become `ACCEPTED`, links that
/// reach `max_uses` become `USED_UP`, others stay `PENDING`.
pub fn status_after_use(
    email: Option<&str>,
    max_uses: Option<i32>,
    usage_count_after: i32,
) -> InvitationStatus {
    match max_uses {
        Some(max) if usage_count_after >= max => {
            if email.is_some() {
                InvitationStatus::Accepted
            } else {
                InvitationStatus::UsedUp
            }
        }
        _ => InvitationStatus::Pending,
    }
}

/// Uses left, `None` when unlimited.
pub fn uses_remaining(max_uses: Option<i32>, usage_count: i32) -> Option<i32> {
    max_uses.map(|max| (max - usage_count).max(0))
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn pending<'a>(email: Option<&'a str>, domains: &'a [String]) -> Redeemable<'a> {
        Redeemable {
            status: InvitationStatus::Pending,
            expires_at: Utc::now() + Duration::days(1),
            max_uses: email.map(|_| 1),
            usage_count: 0,
            email,
            allowed_email_domains: domains,
        }
    }

    #[test]
    fn a_pending_invitation_past_its_expiry_reads_as_expired() {
        let now = Utc::now();
        let past = now - Duration::seconds(1);
        assert_eq!(
            effective_status(InvitationStatus::Pending, past, now),
            InvitationStatus::Expired
        );
        assert_eq!(
            effective_status(InvitationStatus::Cancelled, past, now),
            InvitationStatus::Cancelled
        );
    }

    #[test]
    fn email_invitations_match_case_insensitively() {
        let invitation = pending(Some("alice@example.com"), &[]);
        assert_eq!(
            check_redeemable(&invitation, " Alice@Example.com", Utc::now()),
            Ok(())
        );
        assert_eq!(
            check_redeemable(&invitation, "bob@example.com", Utc::now()),
            Err(Refusal::EmailMismatch)
        );
    }

    #[test]
    fn links_check_allowed_domains() {
        let domains = ["example.com".to_owned()];
        let invitation = pending(None, &domains);
        assert_eq!(
            check_redeemable(&invitation, "a@example.com", Utc::now()),
            Ok(())
        );
        assert_eq!(
            check_redeemable(&invitation, "a@evil.com", Utc::now()),
            Err(Refusal::EmailMismatch)
        );
    }

    #[test]
    fn exhausted_links_are_used_up() {
        let mut invitation = pending(None, &[]);
        invitation.max_uses = Some(2);
        invitation.usage_count = 2;
        assert_eq!(
            check_redeemable(&invitation, "a@example.com", Utc::now()),
            Err(Refusal::UsedUp)
        );
        assert_eq!(status_after_use(None, Some(2), 2), InvitationStatus::UsedUp);
        assert_eq!(status_after_use(None, None, 50), InvitationStatus::Pending);
        assert_eq!(
            status_after_use(Some("a@example.com"), Some(1), 1),
            InvitationStatus::Accepted
        );
        assert_eq!(uses_remaining(Some(2), 1), Some(1));
    }
}
