//! Values every email can be rendered with: what the server renders each template with at
//! start-up, and what the tests render every template in every language with.

use minijinja::Value;

/// Values every email can be rendered with, all variants of the invitation included.
pub fn samples() -> Vec<(&'static str, Value)> {
    let link = "https://doorman.example/invite/sample";
    let invitation = |registration: bool, organization: Option<&str>, reminder: bool| {
        minijinja::context! {
            inviter => Some("Alice"),
            organization => organization,
            role => "member",
            message => Some("Welcome aboard!"),
            expires => "2026-12-01 09:30 UTC",
            link => link,
            registration => registration,
            reminder => reminder,
        }
    };
    vec![
        ("invitation", invitation(false, Some("Acme"), false)),
        ("invitation", invitation(false, Some("Acme"), true)),
        ("invitation", invitation(true, Some("Acme"), false)),
        ("invitation", invitation(true, None, true)),
        (
            "verify",
            minijinja::context! { username => "bob", link => link, expires => "2026-12-01" },
        ),
        (
            "email-changed",
            minijinja::context! { username => "bob", new_address => "n***@example.com" },
        ),
        (
            "wrong-recipient",
            minijinja::context! {
                username => "Alice", invitee => "bob@example.com", organization => "Acme",
            },
        ),
        (
            "webhook-disabled",
            minijinja::context! {
                organization => "Acme", url => "https://hooks.example/in", since => "2026-12-01",
            },
        ),
    ]
}
