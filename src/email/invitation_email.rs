//! The invitation email: subject, plain-text part and HTML part, rendered with minijinja.
//! The HTML template auto-escapes every value; the text part is plain text and needs none.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use entity::{invitation, organization, user};
use minijinja::{Environment, context};

use crate::domain::invitation_rules::InvitationAction;
use crate::domain::org_role::OrgRole;

/// What an invitation email says.
pub struct InvitationEmail<'a> {
    pub inviter: Option<&'a str>,
    pub organization: Option<&'a str>,
    pub role: Option<OrgRole>,
    pub message: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
    pub link: &'a str,
    /// A registration invitation (create an account) rather than an organization invitation.
    pub registration: bool,
}

/// A rendered email.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

const TEXT: &str = r"{% if registration %}{{ inviter or 'An administrator' }} invited you to create an account on Doorman{% if organization %} and join {{ organization }} as {{ role }}{% endif %}.{% else %}{{ inviter or 'Someone' }} invited you to join {{ organization }} on Doorman as {{ role }}.{% endif %}
{% if message %}
Their message:

{{ message }}
{% endif %}
{% if registration %}Create your account{% else %}Accept the invitation{% endif %}:
{{ link }}

This invitation expires on {{ expires }}. If you were not expecting it, ignore this email.
";

const HTML: &str = r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ subject }}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #1f2328;">
<p>{% if registration %}<strong>{{ inviter or 'An administrator' }}</strong> invited you to create an account on Doorman{% if organization %} and join <strong>{{ organization }}</strong> as {{ role }}{% endif %}.{% else %}<strong>{{ inviter or 'Someone' }}</strong> invited you to join <strong>{{ organization }}</strong> on Doorman as {{ role }}.{% endif %}</p>
{% if message %}<blockquote style="border-left: 3px solid #d0d7de; margin: 1em 0; padding-left: 1em;">{{ message }}</blockquote>
{% endif %}<p><a href="{{ link|href }}" style="background: #1f883d; color: #fff; padding: 0.6em 1.2em; border-radius: 6px; text-decoration: none;">{% if registration %}Create your account{% else %}Accept the invitation{% endif %}</a></p>
<p>Or open this link: {{ link|href }}</p>
<p style="color: #59636e;">This invitation expires on {{ expires }}. If you were not expecting it, ignore this email.</p>
</body>
</html>
"#;

static TEMPLATES: LazyLock<Environment<'static>> =
    LazyLock::new(|| super::templates(&[("invitation.txt", TEXT), ("invitation.html", HTML)]));

impl<'a> InvitationEmail<'a> {
    /// The email of `invitation` with `link`, naming its organization and inviter (their
    /// display names where they have one).
    pub fn of(
        invitation: &'a invitation::Model,
        organization: Option<&'a organization::Model>,
        inviter: Option<&'a user::Model>,
        link: &'a str,
    ) -> Self {
        Self {
            inviter: inviter.map(|user| user.display_name.as_deref().unwrap_or(&user.username)),
            organization: organization.map(|org| org.display_name.as_deref().unwrap_or(&org.name)),
            role: invitation.role,
            message: invitation.message.as_deref(),
            expires_at: invitation.expires_at,
            link,
            registration: invitation.action == InvitationAction::RegisterAccount,
        }
    }

    pub fn subject(&self) -> String {
        if self.registration {
            match self.organization {
                Some(org) => format!("You're invited to create a Doorman account and join {org}"),
                None => "You're invited to create a Doorman account".to_owned(),
            }
        } else {
            format!(
                "{} invited you to join {} on Doorman",
                self.inviter.unwrap_or("Someone"),
                self.organization.unwrap_or("an organization")
            )
        }
    }

    pub fn render(&self) -> Result<Rendered, minijinja::Error> {
        let role = self.role.map(|role| role.to_string().to_lowercase());
        let expires = self.expires_at.format("%Y-%m-%d %H:%M UTC").to_string();
        let subject = self.subject();
        let values = context! {
            subject => subject,
            inviter => self.inviter,
            organization => self.organization,
            role => role,
            message => self.message,
            expires => expires,
            link => self.link,
            registration => self.registration,
        };
        Ok(Rendered {
            text: TEMPLATES.get_template("invitation.txt")?.render(&values)?,
            html: TEMPLATES.get_template("invitation.html")?.render(&values)?,
            subject,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email<'a>(organization: &'a str, message: &'a str) -> InvitationEmail<'a> {
        InvitationEmail {
            inviter: Some("alice"),
            organization: Some(organization),
            role: Some(OrgRole::Member),
            message: Some(message),
            expires_at: DateTime::parse_from_rfc3339("2026-12-01T09:30:00Z")
                .unwrap()
                .with_timezone(&Utc),
            link: "https://doorman.example/invite/abc",
            registration: false,
        }
    }

    #[test]
    fn both_parts_name_inviter_organization_role_expiry_and_link() {
        let rendered = email("Acme", "Welcome!").render().unwrap();
        assert_eq!(
            rendered.subject,
            "alice invited you to join Acme on Doorman"
        );
        // The link is written plainly in the HTML part's href, slashes and all.
        assert!(
            rendered
                .html
                .contains(r#"href="https://doorman.example/invite/abc""#),
            "{}",
            rendered.html
        );
        for part in [&rendered.text, &rendered.html] {
            for expected in [
                "alice",
                "Acme",
                "member",
                "Welcome!",
                "2026-12-01 09:30 UTC",
                "https://doorman.example/invite/abc",
            ] {
                assert!(part.contains(expected), "{expected:?} missing in {part}");
            }
        }
    }

    #[test]
    fn the_html_part_escapes_every_value() {
        let rendered = email("<script>x</script>", "<b>hi</b> & bye")
            .render()
            .unwrap();
        assert!(!rendered.html.contains("<script>"));
        assert!(
            rendered
                .html
                .contains("&lt;script&gt;x&lt;&#x2f;script&gt;")
        );
        assert!(
            rendered
                .html
                .contains("&lt;b&gt;hi&lt;&#x2f;b&gt; &amp; bye")
        );
    }

    #[test]
    fn registration_invitations_have_their_own_wording() {
        let mut invitation = email("Acme", "");
        invitation.registration = true;
        invitation.message = None;
        let rendered = invitation.render().unwrap();
        assert!(rendered.subject.contains("create a Doorman account"));
        assert!(rendered.text.contains("Create your account"));
    }
}
