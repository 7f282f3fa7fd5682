//! The invitation email and its reminder: who invites whom to what, in the invitee's
//! language and time zone, in the organization's branding (templates `invitation.*`).

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use entity::{invitation, organization, user};
use minijinja::context;

use super::templates::{Emails, Rendered};
use crate::domain::invitation_rules::InvitationAction;
use crate::domain::org_role::OrgRole;

/// What an invitation email says.
pub struct InvitationEmail<'a> {
    pub inviter: Option<&'a str>,
    pub organization: Option<&'a organization::Model>,
    pub role: Option<OrgRole>,
    pub message: Option<&'a str>,
    pub expires_at: DateTime<Utc>,
    pub link: &'a str,
    /// A registration invitation (create an account) rather than an organization invitation.
    pub registration: bool,
    /// The reminder before it expires, rather than the invitation itself.
    pub reminder: bool,
    /// The invitee's language, when the inviter named it.
    pub locale: Option<&'a str>,
    /// The invitee's time zone, when the inviter named it.
    pub time_zone: Option<&'a str>,
}

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
            organization,
            role: invitation.role,
            message: invitation.message.as_deref(),
            expires_at: invitation.expires_at,
            link,
            registration: invitation.action == InvitationAction::RegisterAccount,
            reminder: false,
            locale: invitation.locale.as_deref(),
            time_zone: invitation.time_zone.as_deref(),
        }
    }

    /// The same email as the reminder before expiry.
    pub fn reminder(self) -> Self {
        Self {
            reminder: true,
            ..self
        }
    }

    /// Rendered in the invitation's language, else the organization's, else the server's.
    pub fn render(&self, emails: &Emails) -> Result<Rendered, minijinja::Error> {
        let language = emails.language([
            self.locale,
            self.organization
                .and_then(|org| org.default_locale.as_deref()),
        ]);
        let zone = self.time_zone.and_then(|zone| zone.parse::<Tz>().ok());
        let values = context! {
            inviter => self.inviter,
            role => self.role.unwrap_or(OrgRole::Member).to_string().to_lowercase(),
            message => self.message,
            expires => language.date(self.expires_at, zone),
            link => self.link,
            registration => self.registration,
            reminder => self.reminder,
        };
        emails.render_for("invitation", language, self.organization, values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn organization(display_name: &str) -> organization::Model {
        organization::Model {
            id: 1,
            name: "acme".to_owned(),
            display_name: Some(display_name.to_owned()),
            members_can_invite: false,
            created_by: None,
            created_at: Utc::now(),
            default_invite_role: entity::enums::OrgRole::Member,
            default_invite_expiry_hours: None,
            default_allowed_email_domains: String::new(),
            deleted_at: None,
            logo_url: None,
            accent_color: None,
            reply_to: None,
            email_footer: None,
            default_locale: None,
        }
    }

    fn email<'a>(organization: &'a organization::Model, message: &'a str) -> InvitationEmail<'a> {
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
            reminder: false,
            locale: None,
            time_zone: None,
        }
    }

    fn emails() -> Emails {
        Emails::load(None, "Doorman", "en").unwrap()
    }

    #[test]
    fn both_parts_name_inviter_organization_role_expiry_and_link() {
        let acme = organization("Acme");
        let rendered = email(&acme, "Welcome!").render(&emails()).unwrap();
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
                "December 1, 2026, 09:30 UTC",
                "https://doorman.example/invite/abc",
            ] {
                assert!(part.contains(expected), "{expected:?} missing in {part}");
            }
        }
    }

    #[test]
    fn the_html_part_escapes_every_value() {
        let org = organization("<script>x</script>");
        let rendered = email(&org, "<b>hi</b> & bye").render(&emails()).unwrap();
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
        // The text part is plain text: nothing to escape.
        assert!(rendered.text.contains("<b>hi</b> & bye"));
    }

    #[test]
    fn registration_invitations_and_reminders_have_their_own_wording() {
        let acme = organization("Acme");
        let mut invitation = email(&acme, "");
        invitation.registration = true;
        invitation.message = None;
        let rendered = invitation.render(&emails()).unwrap();
        assert_eq!(
            rendered.subject,
            "You're invited to create a Doorman account and join Acme"
        );
        assert!(rendered.text.contains("Create your account"));

        let reminder = email(&acme, "").reminder().render(&emails()).unwrap();
        assert_eq!(
            reminder.subject,
            "Reminder: alice invited you to join Acme on Doorman"
        );
        assert!(reminder.text.contains("still waiting for your answer"));
    }

    #[test]
    fn the_invitation_language_wins_over_the_organization_default_and_dates_follow_the_zone() {
        let mut acme = organization("Acme");
        acme.default_locale = Some("fr".to_owned());
        let mut invitation = email(&acme, "Hallo!");
        let french = invitation.render(&emails()).unwrap();
        assert!(
            french
                .html
                .starts_with("<!DOCTYPE html>\n<html lang=\"fr\""),
            "{}",
            french.html
        );
        assert!(french.text.contains("1 décembre 2026"), "{}", french.text);

        invitation.locale = Some("de-AT");
        invitation.time_zone = Some("Europe/Vienna");
        let german = invitation.render(&emails()).unwrap();
        assert!(german.html.contains("lang=\"de\""));
        assert!(
            german.text.contains("1. Dezember 2026, 10:30 CET"),
            "{}",
            german.text
        );
        assert!(german.subject.contains("Acme"), "{}", german.subject);
        assert_ne!(german.subject, french.subject);
    }

    #[test]
    fn the_product_name_comes_from_the_settings() {
        let acme = organization("Acme");
        let emails = Emails::load(None, "Gatekeeper", "en").unwrap();
        let rendered = email(&acme, "").render(&emails).unwrap();
        assert_eq!(
            rendered.subject,
            "alice invited you to join Acme on Gatekeeper"
        );
        assert!(!rendered.text.contains("Doorman"));
        assert!(!rendered.html.contains("Doorman"));
    }
}
