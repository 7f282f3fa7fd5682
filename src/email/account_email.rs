//! Emails about an account or an organization rather than an invitation: the link that
//! verifies an email, the notice to the old address that the email was changed, the notice to
//! an inviter that an invitation reached the wrong person, and the notice to an
//! organization's admins that a webhook endpoint was disabled. Rendered from the templates
//! like the invitation email.

use chrono::{DateTime, Utc};
use entity::organization;
use minijinja::context;

use super::templates::{Emails, Rendered};

/// What an account email says.
pub enum AccountEmail<'a> {
    /// "Confirm that this is your address": the link verifies it until `expires_at`.
    Verify {
        username: &'a str,
        link: &'a str,
        expires_at: DateTime<Utc>,
    },
    /// To the old address: the account now uses `new_address` (masked).
    EmailChanged {
        username: &'a str,
        new_address: &'a str,
    },
    /// To the inviter: whoever got the invitation for `invitee` to `organization` said it was
    /// not meant for them, and it was cancelled.
    WrongRecipient {
        username: &'a str,
        invitee: &'a str,
        organization: &'a organization::Model,
    },
    /// To an organization's admins: the endpoint at `url` failed since `since` and was
    /// disabled.
    WebhookDisabled {
        organization: &'a organization::Model,
        url: &'a str,
        since: DateTime<Utc>,
    },
}

impl AccountEmail<'_> {
    /// The organization the email is sent for, if any.
    fn organization(&self) -> Option<&organization::Model> {
        match self {
            Self::Verify { .. } | Self::EmailChanged { .. } => None,
            Self::WrongRecipient { organization, .. }
            | Self::WebhookDisabled { organization, .. } => Some(organization),
        }
    }

    /// Rendered in the organization's language (the server's for an account email).
    pub fn render(&self, emails: &Emails) -> Result<Rendered, minijinja::Error> {
        let organization = self.organization();
        let language =
            emails.language([organization.and_then(|org| org.default_locale.as_deref())]);
        let (template, values) = match self {
            Self::Verify {
                username,
                link,
                expires_at,
            } => (
                "verify",
                context! {
                    username => username,
                    link => link,
                    expires => language.date(*expires_at, None),
                },
            ),
            Self::EmailChanged {
                username,
                new_address,
            } => (
                "email-changed",
                context! { username => username, new_address => new_address },
            ),
            Self::WrongRecipient {
                username, invitee, ..
            } => (
                "wrong-recipient",
                context! { username => username, invitee => invitee },
            ),
            Self::WebhookDisabled { url, since, .. } => (
                "webhook-disabled",
                context! { url => url, since => language.date(*since, None) },
            ),
        };
        emails.render_for(template, language, organization, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails() -> Emails {
        Emails::load(None, "Doorman", "en").unwrap()
    }

    #[test]
    fn the_verification_email_carries_the_link_and_its_expiry() {
        let rendered = AccountEmail::Verify {
            username: "bob",
            link: "https://doorman.example/verify-email/abc",
            expires_at: DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        }
        .render(&emails())
        .unwrap();
        assert_eq!(rendered.subject, "Verify your email address for Doorman");
        assert!(
            rendered
                .html
                .contains(r#"href="https://doorman.example/verify-email/abc""#)
        );
        for part in [&rendered.text, &rendered.html] {
            for expected in [
                "bob",
                "https://doorman.example/verify-email/abc",
                "December 3, 2026, 10:00 UTC",
            ] {
                assert!(part.contains(expected), "{expected:?} missing in {part}");
            }
        }
    }

    #[test]
    fn the_change_notice_escapes_what_it_shows() {
        let rendered = AccountEmail::EmailChanged {
            username: "<b>bob</b>",
            new_address: "n***@example.com",
        }
        .render(&emails())
        .unwrap();
        assert!(rendered.text.contains("n***@example.com"));
        assert!(rendered.text.contains("<b>bob</b>"));
        assert!(!rendered.html.contains("<b>bob</b>"));
    }
}
