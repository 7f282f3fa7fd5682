//! Invitation states and the checks an accept must pass, as pure functions of the stored row's
//! values. `EXPIRED` is stored by the expiry sweep, and derived from `expires_at` for a row the
//! sweep has not reached yet.

use chrono::{DateTime, TimeZone, Utc};

pub use entity::enums::{InvitationAction, InvitationStatus};

/// Why an invitation cannot be redeemed; each maps to one API error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Expired,
    Cancelled,
    Declined,
    AlreadyAccepted,
    UsedUp,
    /// An open link an admin paused.
    Paused,
    EmailMismatch,
    /// A link with a domain list, and the account's email is in none of them.
    DomainNotAllowed,
    /// Joining through this invitation needs a proven email, and the account's is not.
    EmailNotVerified,
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
    /// Whether the current token was shown to anyone but the invitee's mailbox.
    pub link_disclosed: bool,
    /// Whether redeeming makes the account a member of an organization.
    pub grants_membership: bool,
    /// Whether the link is paused.
    pub paused: bool,
}

/// The account that redeems: its email and whether it has proven that it owns it.
#[derive(Clone, Copy, Debug)]
pub struct Redeemer<'a> {
    pub email: &'a str,
    pub email_verified: bool,
}

/// What a redeemable invitation says about the redeemer's email.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailProof {
    /// Nothing: the email was proven before, or the invitation does not depend on it.
    Unchanged,
    /// The token went only to the invited mailbox, so holding it proves that email.
    ProvenByToken,
}

/// The `expires_at` of a link that never expires: far enough that every "not expired yet"
/// comparison holds, so no query needs a special case.
pub fn never_expires() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
        .single()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The expiry as the API shows it: `None` for a link that never expires.
pub fn shown_expiry(expires_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (expires_at < never_expires()).then_some(expires_at)
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

/// Checks that the invitation is open, has a use left, and that `redeemer` may redeem it.
///
/// Who the invitation is for decides on the email: an email invitation takes only that
/// address, a link with a domain list only addresses in those domains. Joining an
/// organization through either needs a proven email; an email invitation whose link was
/// never disclosed is that proof itself (the redeemer clicked the link in their mail).
/// Open links without a domain list take anyone, proven or not.
pub fn check_redeemable(
    invitation: &Redeemable<'_>,
    redeemer: Redeemer<'_>,
    now: DateTime<Utc>,
) -> Result<EmailProof, Refusal> {
    match effective_status(invitation.status, invitation.expires_at, now) {
        InvitationStatus::Pending => {}
        InvitationStatus::Expired => return Err(Refusal::Expired),
        InvitationStatus::Cancelled => return Err(Refusal::Cancelled),
        InvitationStatus::Declined => return Err(Refusal::Declined),
        InvitationStatus::Accepted => return Err(Refusal::AlreadyAccepted),
        InvitationStatus::UsedUp => return Err(Refusal::UsedUp),
    }
    if invitation.paused {
        return Err(Refusal::Paused);
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
    let account_email = redeemer.email.trim().to_lowercase();
    let depends_on_email = if let Some(invited) = invitation.email {
        if invited.trim().to_lowercase() != account_email {
            return Err(Refusal::EmailMismatch);
        }
        if !redeemer.email_verified && !invitation.link_disclosed {
            return Ok(EmailProof::ProvenByToken);
        }
        true
    } else if !invitation.allowed_email_domains.is_empty() {
        let domain = account_email.rsplit_once('@').map_or("", |(_, d)| d);
        if !invitation
            .allowed_email_domains
            .iter()
            .any(|allowed| allowed == domain)
        {
            return Err(Refusal::DomainNotAllowed);
        }
        true
    } else {
        false
    };
    if depends_on_email && invitation.grants_membership && !redeemer.email_verified {
        return Err(Refusal::EmailNotVerified);
    }
    Ok(EmailProof::Unchanged)
}

/// What the viewer of an invitation should do now, so that an app shows the right screen
/// without knowing the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Create an account (no account has the invited email, or the invitation registers one).
    SignUp,
    /// Sign in (an account has the invited email, or it is an open link).
    SignIn,
    /// Prove the account's email first.
    VerifyEmail,
    /// Signed in as someone the invitation is not for.
    SwitchAccount,
    Accept,
    AlreadyMember,
    /// The invitation can no longer be used: ask for a new one.
    RequestNew,
}

/// Who looks at an invitation.
#[derive(Clone, Copy, Debug)]
pub struct Viewing<'a> {
    /// The signed-in account; `None` when anonymous.
    pub account: Option<Redeemer<'a>>,
    /// Whether that account already belongs to the invitation's organization.
    pub is_member: bool,
    /// Whether some account has the invited email.
    pub invitee_has_account: bool,
}

/// The step for `viewing` an invitation of `action` now.
pub fn next_step(
    invitation: &Redeemable<'_>,
    action: InvitationAction,
    viewing: Viewing<'_>,
    now: DateTime<Utc>,
) -> NextStep {
    if viewing.is_member {
        return NextStep::AlreadyMember;
    }
    let Some(account) = viewing.account else {
        let open = effective_status(invitation.status, invitation.expires_at, now)
            == InvitationStatus::Pending
            && !invitation.paused
            && invitation
                .max_uses
                .is_none_or(|max| invitation.usage_count < max);
        return match (open, action, invitation.email) {
            (false, ..) => NextStep::RequestNew,
            (true, InvitationAction::RegisterAccount, _) => NextStep::SignUp,
            (true, _, Some(_)) if !viewing.invitee_has_account => NextStep::SignUp,
            (true, ..) => NextStep::SignIn,
        };
    };
    if action == InvitationAction::RegisterAccount {
        return NextStep::SwitchAccount;
    }
    match check_redeemable(invitation, account, now) {
        Ok(_) => NextStep::Accept,
        Err(Refusal::EmailMismatch | Refusal::DomainNotAllowed) => NextStep::SwitchAccount,
        Err(Refusal::EmailNotVerified) => NextStep::VerifyEmail,
        Err(
            Refusal::Expired
            | Refusal::Cancelled
            | Refusal::Declined
            | Refusal::AlreadyAccepted
            | Refusal::UsedUp
            | Refusal::Paused,
        ) => NextStep::RequestNew,
    }
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
            link_disclosed: true,
            grants_membership: true,
            paused: false,
        }
    }

    fn verified(email: &str) -> Redeemer<'_> {
        Redeemer {
            email,
            email_verified: true,
        }
    }

    fn unverified(email: &str) -> Redeemer<'_> {
        Redeemer {
            email,
            email_verified: false,
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
            check_redeemable(&invitation, verified(" Alice@Example.com"), Utc::now()),
            Ok(EmailProof::Unchanged)
        );
        assert_eq!(
            check_redeemable(&invitation, verified("bob@example.com"), Utc::now()),
            Err(Refusal::EmailMismatch)
        );
    }

    #[test]
    fn links_check_allowed_domains() {
        let domains = ["example.com".to_owned()];
        let invitation = pending(None, &domains);
        assert_eq!(
            check_redeemable(&invitation, verified("a@example.com"), Utc::now()),
            Ok(EmailProof::Unchanged)
        );
        assert_eq!(
            check_redeemable(&invitation, verified("a@evil.com"), Utc::now()),
            Err(Refusal::DomainNotAllowed)
        );
    }

    #[test]
    fn a_paused_link_refuses_everyone_until_resumed() {
        let mut link = pending(None, &[]);
        link.paused = true;
        assert_eq!(
            check_redeemable(&link, verified("a@example.com"), Utc::now()),
            Err(Refusal::Paused)
        );
        link.paused = false;
        assert!(check_redeemable(&link, verified("a@example.com"), Utc::now()).is_ok());
    }

    #[test]
    fn exhausted_links_are_used_up() {
        let mut invitation = pending(None, &[]);
        invitation.max_uses = Some(2);
        invitation.usage_count = 2;
        assert_eq!(
            check_redeemable(&invitation, verified("a@example.com"), Utc::now()),
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

    #[test]
    fn joining_through_an_email_or_a_domain_needs_a_proven_email() {
        let now = Utc::now();
        let domains = ["example.com".to_owned()];
        let email = pending(Some("a@example.com"), &[]);
        assert_eq!(
            check_redeemable(&email, unverified("a@example.com"), now),
            Err(Refusal::EmailNotVerified)
        );
        let link = pending(None, &domains);
        assert_eq!(
            check_redeemable(&link, unverified("a@example.com"), now),
            Err(Refusal::EmailNotVerified)
        );
        // A domain not allowed is reported as such, verified or not.
        assert_eq!(
            check_redeemable(&link, unverified("a@evil.com"), now),
            Err(Refusal::DomainNotAllowed)
        );
        let open = pending(None, &[]);
        assert_eq!(
            check_redeemable(&open, unverified("a@evil.com"), now),
            Ok(EmailProof::Unchanged)
        );
    }

    #[test]
    fn an_undisclosed_emailed_token_proves_the_mailbox() {
        let now = Utc::now();
        let mut emailed = pending(Some("a@example.com"), &[]);
        emailed.link_disclosed = false;
        assert_eq!(
            check_redeemable(&emailed, unverified("a@example.com"), now),
            Ok(EmailProof::ProvenByToken)
        );
        assert_eq!(
            check_redeemable(&emailed, verified("a@example.com"), now),
            Ok(EmailProof::Unchanged)
        );
        assert_eq!(
            check_redeemable(&emailed, unverified("b@example.com"), now),
            Err(Refusal::EmailMismatch)
        );
    }

    #[test]
    fn a_registration_invitation_admits_without_a_proven_email() {
        let mut admits = pending(Some("a@example.com"), &[]);
        admits.grants_membership = false;
        assert_eq!(
            check_redeemable(&admits, unverified("a@example.com"), Utc::now()),
            Ok(EmailProof::Unchanged)
        );
    }
}
