//! Access tokens of an OpenID Connect issuer (`DOORMAN_OIDC_ISSUER`). At start-up the issuer's
//! discovery document names its key set (JWKS), which is fetched and cached; it is fetched again
//! on a schedule, and when a token names a key id the cache does not hold (a rotation), at most
//! once per [`UNKNOWN_KEY_REFETCH`]. A failed fetch keeps the keys already cached, so tokens
//! keep verifying while the issuer is down.
//!
//! A token is accepted when it is signed with an asymmetric algorithm (RS*, PS*, ES256, ES384,
//! EdDSA) by a key of that set, was issued by the issuer, names `DOORMAN_OIDC_AUDIENCE` in `aud`,
//! and is within `exp`/`nbf` give or take the allowed clock skew. Anything else (`alg: none`, an
//! HMAC token, another issuer, a tampered signature) is refused as `INVALID`.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;

use crate::auth::TokenProblem;
use crate::config::IdentitySettings;

/// Least time between two fetches of the keys caused by unknown key ids.
pub const UNKNOWN_KEY_REFETCH: Duration = Duration::from_secs(10);

/// How long one request to the issuer may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The signature algorithms accepted: asymmetric ones only.
const ACCEPTED: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Verifies the issuer's tokens; shared by every request.
pub struct OidcVerifier {
    issuer: String,
    audience: String,
    jwks_uri: String,
    browser: Option<BrowserSignIn>,
    clock_skew_seconds: u64,
    refresh_every: Duration,
    http: reqwest::Client,
    keys: RwLock<CachedKeys>,
    /// When unknown key ids last caused a fetch; held while fetching, so fetches never overlap.
    fetching: Mutex<Option<Instant>>,
}

struct CachedKeys {
    set: JwkSet,
    fetched_at: Instant,
}

/// What Doorman reads from a verified token.
#[derive(Clone, Debug, Deserialize)]
pub struct ExternalClaims {
    pub sub: String,
    pub exp: i64,
    #[serde(default)]
    pub email: Option<String>,
    /// `true`, or the string `"true"` some providers send.
    #[serde(default)]
    email_verified: Option<serde_json::Value>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
}

impl ExternalClaims {
    /// Whether the issuer vouches for `email`.
    pub fn email_verified(&self) -> bool {
        match &self.email_verified {
            Some(serde_json::Value::Bool(verified)) => *verified,
            Some(serde_json::Value::String(text)) => text.eq_ignore_ascii_case("true"),
            _ => false,
        }
    }

    pub fn expires_at(&self) -> Result<DateTime<Utc>, TokenProblem> {
        DateTime::from_timestamp(self.exp, 0).ok_or(TokenProblem::Invalid)
    }
}

/// A token signed with an algorithm the issuer's keys use (not Doorman's own HMAC), its
/// header read once.
pub struct IssuerToken<'a> {
    raw: &'a str,
    header: jsonwebtoken::Header,
}

impl<'a> IssuerToken<'a> {
    /// `token` if its header names an accepted asymmetric algorithm; `None` for Doorman's own
    /// tokens and anything that is no JWT at all.
    pub fn recognize(token: &'a str) -> Option<Self> {
        jsonwebtoken::decode_header(token)
            .ok()
            .filter(|header| ACCEPTED.contains(&header.alg))
            .map(|header| Self { raw: token, header })
    }
}

#[derive(Deserialize)]
struct Discovery {
    issuer: String,
    jwks_uri: String,
    #[serde(default)]
    authorization_endpoint: Option<String>,
    #[serde(default)]
    token_endpoint: Option<String>,
}

/// How a browser signs in with the issuer on the hosted pages (`DOORMAN_OIDC_CLIENT_ID`): an
/// authorization-code grant with PKCE by a public client.
#[derive(Clone, Debug)]
pub struct BrowserSignIn {
    /// "Continue with <provider_name>".
    pub provider_name: String,
    pub client_id: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    /// The resource (RFC 8707) to ask an access token for: the audience, when it is not the
    /// client id. Without one, the ID token (whose audience is the client id) is the bearer.
    pub resource: Option<String>,
}

impl BrowserSignIn {
    fn of(
        settings: &IdentitySettings,
        issuer: &str,
        discovery: &Discovery,
    ) -> anyhow::Result<Option<Self>> {
        let Some(client_id) = settings.oidc_client_id.clone() else {
            return Ok(None);
        };
        let endpoint = |found: &Option<String>, name: &str| {
            found
                .clone()
                .filter(|url| url.starts_with("https://") || url.starts_with("http://"))
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "DOORMAN_OIDC_CLIENT_ID: the discovery document of {issuer} has no http(s) {name}"
                    )
                })
        };
        let provider_name = match &settings.oidc_provider_name {
            Some(name) => name.trim().to_owned(),
            None => reqwest::Url::parse(issuer)
                .ok()
                .and_then(|url| url.host_str().map(str::to_owned))
                .unwrap_or_else(|| issuer.to_owned()),
        };
        let audience = settings.oidc_audience.clone().unwrap_or_default();
        Ok(Some(Self {
            provider_name,
            authorization_endpoint: endpoint(
                &discovery.authorization_endpoint,
                "authorization_endpoint",
            )?,
            token_endpoint: endpoint(&discovery.token_endpoint, "token_endpoint")?,
            resource: (audience != client_id).then_some(audience),
            client_id,
        }))
    }

    /// The token endpoint's origin, which the pages' scripts may call.
    pub fn token_origin(&self) -> Option<String> {
        let url = reqwest::Url::parse(&self.token_endpoint).ok()?;
        Some(url.origin().ascii_serialization())
    }
}

impl OidcVerifier {
    /// Reads the issuer's discovery document and keys; `None` when no issuer is configured.
    /// Fails when the issuer cannot be reached or answers nonsense: a server that cannot verify
    /// its users' tokens should not start as if it could.
    pub async fn discover(settings: &IdentitySettings) -> anyhow::Result<Option<Self>> {
        let (Some(issuer), Some(audience)) = (&settings.oidc_issuer, &settings.oidc_audience)
        else {
            return Ok(None);
        };
        let http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .redirect(reqwest::redirect::Policy::limited(3))
            .build()?;
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let discovery: Discovery = fetch_json(&http, &url).await.map_err(|err| {
            anyhow::anyhow!("DOORMAN_OIDC_ISSUER {issuer}: cannot read {url}: {err}")
        })?;
        anyhow::ensure!(
            discovery.issuer.trim_end_matches('/') == issuer.trim_end_matches('/'),
            "DOORMAN_OIDC_ISSUER {issuer}: its discovery document names another issuer, {}",
            discovery.issuer
        );
        let set: JwkSet = fetch_json(&http, &discovery.jwks_uri)
            .await
            .map_err(|err| {
                anyhow::anyhow!(
                    "DOORMAN_OIDC_ISSUER {issuer}: cannot read its keys at {}: {err}",
                    discovery.jwks_uri
                )
            })?;
        let browser = BrowserSignIn::of(settings, issuer, &discovery)?;
        tracing::info!(
            issuer = discovery.issuer,
            keys = set.keys.len(),
            "OpenID Connect issuer ready"
        );
        Ok(Some(Self {
            issuer: discovery.issuer,
            audience: audience.clone(),
            jwks_uri: discovery.jwks_uri,
            browser,
            clock_skew_seconds: settings.oidc_clock_skew_seconds,
            refresh_every: Duration::from_secs(settings.oidc_keys_refresh_seconds),
            http,
            keys: RwLock::new(CachedKeys {
                set,
                fetched_at: Instant::now(),
            }),
            fetching: Mutex::new(None),
        }))
    }

    /// The issuer as its tokens name it (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// How the hosted pages sign in with the issuer, when a client id is configured.
    pub fn browser_sign_in(&self) -> Option<&BrowserSignIn> {
        self.browser.as_ref()
    }

    /// The claims of a valid token; otherwise why it is refused.
    pub async fn verify(&self, token: &IssuerToken<'_>) -> Result<ExternalClaims, TokenProblem> {
        let IssuerToken { raw, header } = token;
        let key = self.key_for(header.kid.as_deref(), header.alg).await?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.clock_skew_seconds;
        validation.validate_nbf = true;
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        let claims = jsonwebtoken::decode::<ExternalClaims>(*raw, &key, &validation)
            .map_err(|err| match err.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenProblem::Expired,
                _ => TokenProblem::Invalid,
            })?
            .claims;
        if claims.sub.is_empty() || claims.sub.len() > 255 {
            return Err(TokenProblem::Invalid);
        }
        Ok(claims)
    }

    /// The key for `kid`: from the cache, refreshed when it is due; fetched again when the
    /// cache does not know `kid` and no such fetch happened recently.
    async fn key_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<DecodingKey, TokenProblem> {
        let due = self.read_keys(|keys| keys.fetched_at.elapsed() >= self.refresh_every);
        if due {
            let _fetching = self.fetching.lock().await;
            if self.read_keys(|keys| keys.fetched_at.elapsed() >= self.refresh_every) {
                self.fetch_keys().await;
            }
        }
        if let Some(key) = self.cached_key(kid, alg)? {
            return Ok(key);
        }
        {
            let mut last = self.fetching.lock().await;
            if last.is_none_or(|at| at.elapsed() >= UNKNOWN_KEY_REFETCH) {
                *last = Some(Instant::now());
                self.fetch_keys().await;
            }
        }
        self.cached_key(kid, alg)?.ok_or(TokenProblem::Invalid)
    }

    fn read_keys<T>(&self, read: impl FnOnce(&CachedKeys) -> T) -> T {
        read(
            &self
                .keys
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    /// The cached key named `kid` (or the only one, for a token without `kid`), if it may sign
    /// with `alg`: an asymmetric key of the algorithm's family whose own `alg`, if any, agrees.
    fn cached_key(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<Option<DecodingKey>, TokenProblem> {
        self.read_keys(|keys| {
            let jwk = match kid {
                Some(kid) => keys.set.find(kid),
                None if keys.set.keys.len() == 1 => keys.set.keys.first(),
                None => None,
            };
            let Some(jwk) = jwk else {
                return Ok(None);
            };
            if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_))
                || jwk
                    .common
                    .key_algorithm
                    .is_some_and(|declared| format!("{declared:?}") != format!("{alg:?}"))
            {
                return Err(TokenProblem::Invalid);
            }
            DecodingKey::from_jwk(jwk)
                .map(Some)
                .map_err(|_| TokenProblem::Invalid)
        })
    }

    /// Fetches the key set; keeps the cached one when that fails.
    async fn fetch_keys(&self) {
        match fetch_json::<JwkSet>(&self.http, &self.jwks_uri).await {
            Ok(set) => {
                tracing::info!(keys = set.keys.len(), "OpenID Connect keys fetched");
                *self
                    .keys
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = CachedKeys {
                    set,
                    fetched_at: Instant::now(),
                };
            }
            Err(err) => {
                tracing::warn!(
                    error = %err,
                    jwks_uri = self.jwks_uri,
                    "cannot fetch the OpenID Connect keys; keeping the cached ones"
                );
            }
        }
    }
}

async fn fetch_json<T: serde::de::DeserializeOwned>(
    http: &reqwest::Client,
    url: &str,
) -> anyhow::Result<T> {
    let response = http.get(url).send().await?.error_for_status()?;
    Ok(response.json().await?)
}
