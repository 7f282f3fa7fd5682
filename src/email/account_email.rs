//! Emails about an account: the link that verifies its email, the notice to the old address
//! that the email was changed, and the notice to an inviter that an invitation reached the
//! wrong person. Rendered with minijinja like the invitation email; the HTML
//! template auto-escapes every value.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use minijinja::{Environment, context};

use super::invitation_email::Rendered;

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
        organization: &'a str,
    },
}

const VERIFY_TEXT: &str = r"Confirm that this address is yours: open this link to verify the email address of the Doorman account {{ username }}.

{{ link }}

The link works once and expires on {{ expires }}. If you did not create this account or change its email, ignore this email.
";

const VERIFY_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #1f2328;">
<p>Confirm that this address is yours: verify the email address of the Doorman account <strong>{{ username }}</strong>.</p>
<p><a href="{{ link|href }}" style="background: #1f883d; color: #fff; padding: 0.6em 1.2em; border-radius: 6px; text-decoration: none;">Verify my email address</a></p>
<p>Or open this link: {{ link|href }}</p>
<p style="color: #59636e;">The link works once and expires on {{ expires }}. If you did not create this account or change its email, ignore this email.</p>
</body>
</html>
"#;

const CHANGED_TEXT: &str = r"The email address of the Doorman account {{ username }} was changed to {{ new_address }}. This address no longer receives its mail.

If you did not make this change, contact your Doorman administrator.
";

const CHANGED_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #1f2328;">
<p>The email address of the Doorman account <strong>{{ username }}</strong> was changed to {{ new_address }}. This address no longer receives its mail.</p>
<p style="color: #59636e;">If you did not make this change, contact your Doorman administrator.</p>
</body>
</html>
"#;

const WRONG_TEXT: &str = r"Hello {{ username }},

The invitation you sent to {{ invitee }} to join {{ organization }} reached someone who says it was not meant for them. It was cancelled, and its link no longer works.

Check the address, and invite the right one.
";

const WRONG_HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #1f2328;">
<p>Hello {{ username }},</p>
<p>The invitation you sent to <strong>{{ invitee }}</strong> to join <strong>{{ organization }}</strong> reached someone who says it was not meant for them. It was cancelled, and its link no longer works.</p>
<p style="color: #59636e;">Check the address, and invite the right one.</p>
</body>
</html>
"#;

static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    super::templates(&[
        ("verify.txt", VERIFY_TEXT),
        ("verify.html", VERIFY_HTML),
        ("changed.txt", CHANGED_TEXT),
        ("changed.html", CHANGED_HTML),
        ("wrong.txt", WRONG_TEXT),
        ("wrong.html", WRONG_HTML),
    ])
});

impl AccountEmail<'_> {
    pub fn subject(&self) -> String {
        match self {
            Self::Verify { .. } => "Verify your email address for Doorman".to_owned(),
            Self::EmailChanged { .. } => {
                "The email address of your Doorman account changed".to_owned()
            }
            Self::WrongRecipient { invitee, .. } => {
                format!("Your invitation to {invitee} reached the wrong person")
            }
        }
    }

    pub fn render(&self) -> Result<Rendered, minijinja::Error> {
        let subject = self.subject();
        let (template, values) = match self {
            Self::Verify {
                username,
                link,
                expires_at,
            } => (
                "verify",
                context! {
                    subject => subject,
                    username => username,
                    link => link,
                    expires => expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                },
            ),
            Self::EmailChanged {
                username,
                new_address,
            } => (
                "changed",
                context! { subject => subject, username => username, new_address => new_address },
            ),
            Self::WrongRecipient {
                username,
                invitee,
                organization,
            } => (
                "wrong",
                context! {
                    subject => subject,
                    username => username,
                    invitee => invitee,
                    organization => organization,
                },
            ),
        };
        Ok(Rendered {
            text: TEMPLATES
                .get_template(&format!("{template}.txt"))?
                .render(&values)?,
            html: TEMPLATES
                .get_template(&format!("{template}.html"))?
                .render(&values)?,
            subject,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verification_email_carries_the_link_and_its_expiry() {
        let rendered = AccountEmail::Verify {
            username: "bob",
            link: "https://doorman.example/verify-email/abc",
            expires_at: DateTime::parse_from_rfc3339("2026-12-03T10:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
        }
        .render()
        .unwrap();
        assert!(
            rendered
                .html
                .contains(r#"href="https://doorman.example/verify-email/abc""#)
        );
        for part in [&rendered.text, &rendered.html] {
            for expected in [
                "bob",
                "https://doorman.example/verify-email/abc",
                "2026-12-03 10:00 UTC",
            ] {
                assert!(part.contains(expected), "{expected:?} missing in {part}");
            }
        }
    }

    #[test]
    fn the_wrong_recipient_notice_names_the_invitee_and_the_organization() {
        let rendered = AccountEmail::WrongRecipient {
            username: "alice",
            invitee: "bob@example.com",
            organization: "<i>Acme</i>",
        }
        .render()
        .unwrap();
        assert!(rendered.subject.contains("bob@example.com"));
        assert!(rendered.text.contains("<i>Acme</i>"));
        assert!(!rendered.html.contains("<i>Acme</i>"));
    }

    #[test]
    fn the_change_notice_escapes_what_it_shows() {
        let rendered = AccountEmail::EmailChanged {
            username: "<b>bob</b>",
            new_address: "n***@example.com",
        }
        .render()
        .unwrap();
        assert!(rendered.text.contains("n***@example.com"));
        assert!(!rendered.html.contains("<b>bob</b>"));
    }
}
