//! The email templates: files under `assets/emails/templates` built into the binary, any of
//! which a file of the same name in `DOORMAN_TEMPLATE_DIR` replaces. Rendered with minijinja,
//! which auto-escapes every value in `.html` templates and none in `.txt` ones; a template
//! says its sentences through `t("message-id", name=value)` in the language of the email.
//!
//! Each email is three templates: `{name}.subject.txt`, `{name}.txt` and `{name}.html`. The
//! server renders every template in every language at start-up, so a broken override stops
//! it there rather than at the first delivery.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use entity::organization;
use fluent_bundle::{FluentArgs, FluentValue};
use minijinja::value::{Kwargs, ValueKind, merge_maps};
use minijinja::{Environment, Error, ErrorKind, State, UndefinedBehavior, Value};

use super::languages::{Language, Languages};
use super::samples::samples;

/// The built-in templates, by file name.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "layout.html",
        include_str!("../../assets/emails/templates/layout.html"),
    ),
    (
        "layout.txt",
        include_str!("../../assets/emails/templates/layout.txt"),
    ),
    (
        "macros.html",
        include_str!("../../assets/emails/templates/macros.html"),
    ),
    (
        "invitation.subject.txt",
        include_str!("../../assets/emails/templates/invitation.subject.txt"),
    ),
    (
        "invitation.txt",
        include_str!("../../assets/emails/templates/invitation.txt"),
    ),
    (
        "invitation.html",
        include_str!("../../assets/emails/templates/invitation.html"),
    ),
    (
        "verify.subject.txt",
        include_str!("../../assets/emails/templates/verify.subject.txt"),
    ),
    (
        "verify.txt",
        include_str!("../../assets/emails/templates/verify.txt"),
    ),
    (
        "verify.html",
        include_str!("../../assets/emails/templates/verify.html"),
    ),
    (
        "email-changed.subject.txt",
        include_str!("../../assets/emails/templates/email-changed.subject.txt"),
    ),
    (
        "email-changed.txt",
        include_str!("../../assets/emails/templates/email-changed.txt"),
    ),
    (
        "email-changed.html",
        include_str!("../../assets/emails/templates/email-changed.html"),
    ),
    (
        "wrong-recipient.subject.txt",
        include_str!("../../assets/emails/templates/wrong-recipient.subject.txt"),
    ),
    (
        "wrong-recipient.txt",
        include_str!("../../assets/emails/templates/wrong-recipient.txt"),
    ),
    (
        "wrong-recipient.html",
        include_str!("../../assets/emails/templates/wrong-recipient.html"),
    ),
    (
        "webhook-disabled.subject.txt",
        include_str!("../../assets/emails/templates/webhook-disabled.subject.txt"),
    ),
    (
        "webhook-disabled.txt",
        include_str!("../../assets/emails/templates/webhook-disabled.txt"),
    ),
    (
        "webhook-disabled.html",
        include_str!("../../assets/emails/templates/webhook-disabled.html"),
    ),
];

/// The emails there are, each a subject, a text and an HTML template.
pub const EMAILS: [&str; 5] = [
    "invitation",
    "verify",
    "email-changed",
    "wrong-recipient",
    "webhook-disabled",
];

/// The accent colour of an organization that set none.
pub const DEFAULT_ACCENT: &str = "#1f883d";

/// A rendered email.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Where replies go, when the organization named an address.
    pub reply_to: Option<String>,
}

/// The templates, the languages, and what every email says of the server.
pub struct Emails {
    env: Environment<'static>,
    languages: Arc<Languages>,
    default_locale: String,
    product: String,
}

/// Who an email speaks for: the organization's name and branding, or the product's.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Brand {
    /// The heading: the organization's display name, else the product name.
    pub name: String,
    /// The organization the email is sent for, if any.
    pub organization: Option<String>,
    /// An https image shown instead of the heading's text.
    pub logo_url: Option<String>,
    /// `#rrggbb`: the button and the top border.
    pub accent: String,
    /// A line above the footer.
    pub footer: Option<String>,
}

impl Emails {
    /// The built-in templates with `dir`'s files over them, the languages, and the product
    /// name; every email rendered once in every language to prove them.
    pub fn load(dir: Option<&Path>, product: &str, default_locale: &str) -> anyhow::Result<Self> {
        let languages = Arc::new(Languages::load(dir)?);
        anyhow::ensure!(
            languages.find(default_locale).is_some(),
            "DOORMAN_DEFAULT_LOCALE {default_locale:?} is none of the email languages ({})",
            languages.tags().join(", ")
        );
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.add_filter("href", href);
        let messages = Arc::clone(&languages);
        env.add_function("t", move |state: &State, id: String, args: Kwargs| {
            translate(&messages, state, &id, &args)
        });
        for (name, source) in BUILT_IN {
            let source = match dir.map(|dir| dir.join(name)).filter(|path| path.is_file()) {
                Some(path) => read(&path)?,
                None => (*source).to_owned(),
            };
            env.add_template_owned(*name, source)
                .map_err(|err| anyhow::anyhow!("email template {name}: {err:#}"))?;
        }
        let emails = Self {
            env,
            languages,
            default_locale: default_locale.to_owned(),
            product: product.to_owned(),
        };
        emails.check_every_template()?;
        Ok(emails)
    }

    pub fn languages(&self) -> &Languages {
        &self.languages
    }

    pub fn product(&self) -> &str {
        &self.product
    }

    /// The language of an email: the first of `preferences` the server writes, else the
    /// server's default.
    pub fn language<'a>(
        &self,
        preferences: impl IntoIterator<Item = Option<&'a str>>,
    ) -> &Language {
        self.languages.choose(preferences, &self.default_locale)
    }

    /// The product's own brand, for an email about no organization.
    pub fn product_brand(&self) -> Brand {
        Brand {
            name: self.product.clone(),
            accent: DEFAULT_ACCENT.to_owned(),
            ..Brand::default()
        }
    }

    /// The brand of an email sent for `organization`: its name and what it set of logo,
    /// accent colour and footer; the product's own without one.
    fn brand(&self, organization: Option<&organization::Model>) -> Brand {
        let Some(org) = organization else {
            return self.product_brand();
        };
        let name = org.display_name.clone().unwrap_or_else(|| org.name.clone());
        Brand {
            organization: Some(name.clone()),
            name,
            logo_url: org.logo_url.clone(),
            accent: org
                .accent_color
                .clone()
                .unwrap_or_else(|| DEFAULT_ACCENT.to_owned()),
            footer: org.email_footer.clone(),
        }
    }

    /// Renders email `name` in `language` for `organization` (its branding, its name as
    /// `organization`, and its reply-to address), or for the product without one, with the
    /// email's own `values`.
    pub fn render_for(
        &self,
        name: &str,
        language: &Language,
        organization: Option<&organization::Model>,
        values: Value,
    ) -> Result<Rendered, Error> {
        let brand = self.brand(organization);
        let values = merge_maps([
            minijinja::context! { organization => brand.organization },
            values,
        ]);
        let rendered = self.render(name, language, &brand, values)?;
        Ok(Rendered {
            reply_to: organization.and_then(|org| org.reply_to.clone()),
            ..rendered
        })
    }

    /// Renders email `name` in `language` for `brand`, with the email's own `values`.
    pub fn render(
        &self,
        name: &str,
        language: &Language,
        brand: &Brand,
        values: Value,
    ) -> Result<Rendered, Error> {
        let common = minijinja::context! {
            product => self.product,
            brand => brand,
            locale => language.tag(),
            dir => language.direction(),
        };
        let subject = self
            .env
            .get_template(&format!("{name}.subject.txt"))?
            .render(merge_maps([common.clone(), values.clone()]))?;
        // One line, whatever a template or a value held.
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        let values = merge_maps([minijinja::context! { subject }, common, values]);
        Ok(Rendered {
            text: self
                .env
                .get_template(&format!("{name}.txt"))?
                .render(&values)?,
            html: self
                .env
                .get_template(&format!("{name}.html"))?
                .render(&values)?,
            subject,
            reply_to: None,
        })
    }

    /// Renders every email in every language with sample values, for the product and for an
    /// organization with every branding: a missing message, a missing value or a broken
    /// template is an error naming it.
    pub fn check_every_template(&self) -> anyhow::Result<()> {
        let organization = Brand {
            name: "Acme".to_owned(),
            organization: Some("Acme".to_owned()),
            logo_url: Some("https://cdn.example/logo.png".to_owned()),
            accent: DEFAULT_ACCENT.to_owned(),
            footer: Some("Acme Inc.".to_owned()),
        };
        let brands = [self.product_brand(), organization];
        for language in self.languages.all() {
            for ((name, values), brand) in samples()
                .into_iter()
                .flat_map(|sample| brands.iter().map(move |brand| (sample.clone(), brand)))
            {
                self.render(name, language, brand, values).map_err(|err| {
                    anyhow::anyhow!(
                        "the email {name:?} in {} does not render: {err:#}",
                        language.tag()
                    )
                })?;
            }
        }
        Ok(())
    }
}

/// `t("id", name=value, …)`: the message in the language of the email being rendered.
fn translate(
    languages: &Languages,
    state: &State,
    id: &str,
    args: &Kwargs,
) -> Result<String, Error> {
    let locale = state
        .lookup("locale")
        .and_then(|locale| locale.as_str().map(str::to_owned))
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "no locale to translate into"))?;
    let language = languages
        .find(&locale)
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, format!("no language {locale}")))?;
    let mut fluent = FluentArgs::new();
    for name in args.args() {
        let value: Value = args.get(name)?;
        let value = match value.kind() {
            ValueKind::Number => FluentValue::from(f64::try_from(value).unwrap_or_default()),
            ValueKind::String => FluentValue::from(value.as_str().unwrap_or_default().to_owned()),
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("message {id:?}: {name} has no text ({value})"),
                ));
            }
        };
        fluent.set(name.to_owned(), value);
    }
    args.assert_all_used()?;
    language
        .message(id, &fluent)
        .map_err(|message| Error::new(ErrorKind::InvalidOperation, message))
}

/// A link written into an attribute as it is (only `&`, `"`, `<`, `>` and `'` escaped), where
/// autoescaping would also turn every `/` into `&#x2f;`.
fn href(link: String) -> Value {
    Value::from_safe_string(
        link.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('\'', "&#39;"),
    )
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|err| anyhow::anyhow!("cannot read the email template {}: {err}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_email_renders_in_every_language_plain_and_html_with_every_message() {
        let emails = Emails::load(None, "Doorman", "en").unwrap();
        let brand = Brand {
            name: "Acme".to_owned(),
            organization: Some("Acme".to_owned()),
            logo_url: Some("https://cdn.example/logo.png".to_owned()),
            accent: "#8250df".to_owned(),
            footer: Some("Acme Inc., 1 Main Street".to_owned()),
        };
        let mut rendered_subjects = std::collections::BTreeSet::new();
        for language in emails.languages().all() {
            for (name, values) in samples() {
                let rendered = emails
                    .render(name, language, &brand, values)
                    .unwrap_or_else(|err| panic!("{name} in {}: {err:#}", language.tag()));
                let tag = language.tag();
                assert!(!rendered.subject.is_empty() && !rendered.subject.contains('\n'));
                assert!(rendered_subjects.insert(format!("{tag} {}", rendered.subject)));
                assert!(
                    rendered.html.contains(&format!("<html lang=\"{tag}\"")),
                    "{name} in {tag}"
                );
                for part in [&rendered.text, &rendered.html] {
                    assert!(part.contains("Acme Inc., 1 Main Street"), "{name} in {tag}");
                    assert!(!part.contains("{ $") && !part.contains("{{"), "{part}");
                }
                assert!(
                    rendered
                        .html
                        .contains(r#"src="https://cdn.example/logo.png""#)
                );
                assert!(rendered.html.contains("#8250df"));
            }
        }
        // Each language says each email its own way.
        let english = emails.languages().find("en").unwrap();
        for language in emails.languages().all().iter().skip(1) {
            let (name, values) = samples().remove(0);
            let theirs = emails
                .render(name, language, &brand, values.clone())
                .unwrap();
            let ours = emails.render(name, english, &brand, values).unwrap();
            assert_ne!(theirs.subject, ours.subject, "{}", language.tag());
            assert_ne!(theirs.text, ours.text, "{}", language.tag());
        }
    }

    #[test]
    fn a_template_folder_overrides_a_template_and_adds_a_language() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("invitation.subject.txt"),
            "{% if registration %}{{ t(\"registration-subject\", product=product) }}{% else %}\
             {{ t(\"invitation-subject\", inviter=inviter, organization=organization, product=product) }}\
             {% endif %} [{{ locale }}]",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("locales")).unwrap();
        let italian = include_str!("../../assets/emails/locales/en.ftl")
            .replace("date-locale = en_US", "date-locale = it_IT")
            .replace(
                "invitation-subject = { $inviter } invited you to join { $organization } on { $product }",
                "invitation-subject = { $inviter } ti ha invitato in { $organization } su { $product }",
            );
        std::fs::write(dir.path().join("locales/it.ftl"), italian).unwrap();
        let emails = Emails::load(Some(dir.path()), "Doorman", "it").unwrap();
        assert_eq!(
            emails.languages().tags(),
            ["en", "de", "fr", "es", "ja", "it"]
        );
        let (name, values) = samples().remove(0);
        let rendered = emails
            .render(
                name,
                emails.language([None]),
                &emails.product_brand(),
                values,
            )
            .unwrap();
        assert_eq!(
            rendered.subject,
            "Alice ti ha invitato in Acme su Doorman [it]"
        );
    }

    #[test]
    fn a_broken_override_stops_the_server_naming_the_template() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("verify.txt"),
            "{{ t(\"no-such-message\") }}",
        )
        .unwrap();
        let error = Emails::load(Some(dir.path()), "Doorman", "en")
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("\"verify\""), "{error}");
        assert!(error.contains("no-such-message"), "{error}");
        let unknown = Emails::load(None, "Doorman", "xx")
            .err()
            .unwrap()
            .to_string();
        assert!(unknown.contains("DOORMAN_DEFAULT_LOCALE"), "{unknown}");
    }

    #[test]
    fn a_reminder_says_so_in_its_language_and_writes_its_link_plainly() {
        let emails = Emails::load(None, "Doorman", "en").unwrap();
        let (name, values) = samples().remove(1);
        let japanese = emails.language([Some("ja-JP")]);
        let rendered = emails
            .render(name, japanese, &emails.product_brand(), values)
            .unwrap();
        let no_args = FluentArgs::new();
        let intro = japanese.message("reminder-intro", &no_args).unwrap();
        assert!(rendered.text.starts_with(&intro), "{}", rendered.text);
        assert!(rendered.html.contains(&intro));
        assert!(rendered.subject.contains("Alice") && rendered.subject.contains("Acme"));
        assert_eq!(
            rendered
                .html
                .matches(">https://doorman.example/invite/sample<")
                .count(),
            1,
            "{}",
            rendered.html
        );
    }
}
