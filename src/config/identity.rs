//! Who may sign in, and how: local accounts (passwords) and tokens of an OpenID Connect
//! issuer ([`IdentitySettings`]).

use clap::{Args, ValueEnum};

/// Who may create an account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RegistrationMode {
    /// Anyone may register.
    #[default]
    Open,
    /// `register` needs an invitation token.
    InvitationOnly,
}

/// Sign-in methods. With `oidc_issuer` set, access tokens of that issuer are accepted beside
/// Doorman's own.
#[derive(Clone, Debug, Args)]
pub struct IdentitySettings {
    /// OpenID Connect issuer whose access tokens sign people in, e.g.
    /// `https://accounts.example.com/realms/main`. Its discovery document and keys are read at
    /// start-up (the server does not start when it cannot reach them).
    #[arg(long, global = true, env = "DOORMAN_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,

    /// The `aud` the issuer's tokens must carry for Doorman (its API identifier, or the client
    /// id to accept ID tokens). Required with `DOORMAN_OIDC_ISSUER`.
    #[arg(long, global = true, env = "DOORMAN_OIDC_AUDIENCE")]
    pub oidc_audience: Option<String>,

    /// Seconds of clock difference allowed when checking `exp` and `nbf`.
    #[arg(
        long,
        global = true,
        env = "DOORMAN_OIDC_CLOCK_SKEW_SECONDS",
        default_value_t = 60
    )]
    pub oidc_clock_skew_seconds: u64,

    /// Seconds between refreshes of the issuer's keys (a token with an unknown key id also
    /// refreshes them, at most once per 10 seconds).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_OIDC_KEYS_REFRESH_SECONDS",
        default_value_t = 3600
    )]
    pub oidc_keys_refresh_seconds: u64,

    /// A public client (no secret, authorization code with PKCE) registered at the issuer for
    /// Doorman's hosted pages: with it, the invitation page and the console offer "Continue with
    /// <provider>". Register `<origin>/signin/callback` as its redirect URI and the pages'
    /// origin as its web origin (CORS at the token endpoint).
    #[arg(long, global = true, env = "DOORMAN_OIDC_CLIENT_ID")]
    pub oidc_client_id: Option<String>,

    /// The provider's name on the hosted pages' button ("Continue with <name>"); by default
    /// the issuer's host.
    #[arg(long, global = true, env = "DOORMAN_OIDC_PROVIDER_NAME")]
    pub oidc_provider_name: Option<String>,

    /// `false` turns off `register` and `login`, so the identity provider is the only way in
    /// (needs `DOORMAN_OIDC_ISSUER`).
    #[arg(
        long,
        global = true,
        env = "DOORMAN_LOCAL_ACCOUNTS",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub local_accounts: bool,
}

impl IdentitySettings {
    /// The combinations clap's types cannot check.
    pub fn validate(&self) -> anyhow::Result<()> {
        match (&self.oidc_issuer, &self.oidc_audience) {
            (Some(issuer), Some(audience)) => {
                anyhow::ensure!(
                    issuer.starts_with("https://") || issuer.starts_with("http://"),
                    "DOORMAN_OIDC_ISSUER must be an http(s) URL, got {issuer:?}"
                );
                anyhow::ensure!(
                    !audience.trim().is_empty(),
                    "DOORMAN_OIDC_AUDIENCE must not be empty"
                );
            }
            (Some(_), None) => anyhow::bail!(
                "DOORMAN_OIDC_ISSUER needs DOORMAN_OIDC_AUDIENCE: the `aud` its tokens carry for Doorman"
            ),
            (None, Some(_)) => anyhow::bail!("DOORMAN_OIDC_AUDIENCE needs DOORMAN_OIDC_ISSUER"),
            (None, None) => {}
        }
        if let Some(client_id) = &self.oidc_client_id {
            anyhow::ensure!(
                self.oidc_issuer.is_some(),
                "DOORMAN_OIDC_CLIENT_ID needs DOORMAN_OIDC_ISSUER"
            );
            anyhow::ensure!(
                !client_id.trim().is_empty() && client_id.len() <= 255,
                "DOORMAN_OIDC_CLIENT_ID must be 1 to 255 characters"
            );
        }
        if let Some(name) = &self.oidc_provider_name {
            anyhow::ensure!(
                self.oidc_client_id.is_some(),
                "DOORMAN_OIDC_PROVIDER_NAME needs DOORMAN_OIDC_CLIENT_ID"
            );
            anyhow::ensure!(
                (1..=64).contains(&name.trim().chars().count()),
                "DOORMAN_OIDC_PROVIDER_NAME must be 1 to 64 characters"
            );
        }
        anyhow::ensure!(
            self.local_accounts || self.oidc_issuer.is_some(),
            "DOORMAN_LOCAL_ACCOUNTS=false needs DOORMAN_OIDC_ISSUER: otherwise nobody could sign in"
        );
        Ok(())
    }
}
