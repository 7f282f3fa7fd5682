//! Settings of what emails say ([`EmailSettings`]): the product name they speak for, the
//! language of an email that names none, and the folder whose templates and messages replace
//! or extend the built-in ones.

use std::path::PathBuf;

use clap::Args;

/// Longest product name.
pub const MAX_PRODUCT_NAME: usize = 60;

/// The words and languages of emails.
#[derive(Clone, Debug, Args)]
pub struct EmailSettings {
    /// The product name emails speak for ("… invited you to join Acme on Doorman").
    #[arg(
        long,
        global = true,
        env = "DOORMAN_PRODUCT_NAME",
        default_value = "Doorman"
    )]
    pub product_name: String,

    /// The language of an email when neither its invitation nor its organization names one
    /// (`en`, `de`, `fr`, `es`, `ja`, or one added in the template folder).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_DEFAULT_LOCALE",
        default_value = "en"
    )]
    pub default_locale: String,

    /// A folder of email templates (`invitation.html`, …) and messages (`locales/de.ftl`, …)
    /// that replace or add to the built-in ones; see the README's "Emails and languages".
    #[arg(long, global = true, env = "DOORMAN_TEMPLATE_DIR")]
    pub template_dir: Option<PathBuf>,
}

impl EmailSettings {
    pub fn validate(&self) -> anyhow::Result<()> {
        let name = self.product_name.trim();
        anyhow::ensure!(
            !name.is_empty()
                && name.chars().count() <= MAX_PRODUCT_NAME
                && !name.chars().any(|c| c.is_control() || c == '{' || c == '}'),
            "DOORMAN_PRODUCT_NAME must be 1 to {MAX_PRODUCT_NAME} characters on one line, \
             without braces"
        );
        if let Some(dir) = &self.template_dir {
            anyhow::ensure!(
                dir.is_dir(),
                "DOORMAN_TEMPLATE_DIR {} is not a folder",
                dir.display()
            );
        }
        Ok(())
    }
}
