//! Who is calling: the `Viewer`, access tokens (HS256 JWTs) and password hashing. No I/O:
//! the token secret comes from the settings or the database through the service layer
//! (`service::accounts::token_keys`). Password work runs on the blocking pool so it never
//! stalls the async workers.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use entity::user;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// The caller of one request or WebSocket connection.
#[derive(Clone, Debug, Default)]
pub enum Viewer {
    #[default]
    Anonymous,
    User(Arc<user::Model>),
}

impl Viewer {
    pub fn user(&self) -> Option<&user::Model> {
        match self {
            Self::Anonymous => None,
            Self::User(user) => Some(user),
        }
    }

    pub fn user_id(&self) -> Option<i64> {
        self.user().map(|user| user.id)
    }

    pub fn is_server_admin(&self) -> bool {
        self.user().is_some_and(|user| user.is_server_admin)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
}

/// Signs and checks access tokens.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime: Duration,
}

/// Why an access token that was sent is refused (`extensions.reason` of `UNAUTHENTICATED`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenProblem {
    /// It was valid, and its time has run out: sign in (or refresh) again.
    Expired,
    /// Not signed by this server or the configured identity provider, malformed, or naming
    /// an account that no longer exists.
    Invalid,
    /// A valid token of the identity provider for an identity not linked to any account, whose
    /// email another account has: sign in to that account and link the identity.
    EmailTaken,
}

impl TokenProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Expired => "EXPIRED",
            Self::Invalid => "INVALID",
            Self::EmailTaken => "EMAIL_TAKEN",
        }
    }

    /// What to tell the client.
    pub fn message(self) -> &'static str {
        match self {
            Self::Expired => "the access token has expired; sign in again",
            Self::Invalid => "the access token is not valid; sign in again",
            Self::EmailTaken => {
                "an account with this email exists: sign in to it and link this identity with \
                 linkExternalIdentity"
            }
        }
    }
}

/// An access token and when it stops working.
pub struct AccessToken {
    pub token: SecretString,
    pub expires_at: DateTime<Utc>,
}

impl TokenKeys {
    /// Keys from a secret of at least 32 characters, for tokens that last `lifetime_minutes`.
    pub fn new(secret: &str, lifetime_minutes: u32) -> anyhow::Result<Self> {
        anyhow::ensure!(
            secret.len() >= 32,
            "DOORMAN_TOKEN_SECRET must be at least 32 characters"
        );
        Ok(Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            lifetime: Duration::minutes(i64::from(lifetime_minutes)),
        })
    }

    pub fn issue(&self, user_id: i64) -> anyhow::Result<AccessToken> {
        let now = Utc::now();
        let expires_at = now + self.lifetime;
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok(AccessToken {
            token: token.into(),
            expires_at,
        })
    }

    /// The user id and expiry of a valid, unexpired token; otherwise why it is refused.
    pub fn verify(&self, token: &str) -> Result<(i64, DateTime<Utc>), TokenProblem> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|err| match err.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenProblem::Expired,
                _ => TokenProblem::Invalid,
            })?
            .claims;
        let user_id = claims.sub.parse().map_err(|_| TokenProblem::Invalid)?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(TokenProblem::Invalid)?;
        Ok((user_id, expires_at))
    }
}

/// The bearer token in an `Authorization` header value, if it has that shape.
pub fn bearer_token(header_value: &str) -> Option<&str> {
    let (scheme, token) = header_value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// Hashes a password with Argon2id on the blocking pool.
pub async fn hash_password(password: SecretString) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|err| anyhow::anyhow!("failed to hash a password: {err}"))
    })
    .await?
}

/// Checks a password against a stored hash on the blocking pool. With no hash (unknown
/// account) it still does the work of one check, so timing does not reveal which accounts exist.
pub async fn verify_password(password: SecretString, hash: Option<String>) -> anyhow::Result<bool> {
    tokio::task::spawn_blocking(move || {
        // Accounts of an identity provider have no password (an empty hash).
        let hash = hash
            .filter(|hash| !hash.is_empty())
            .unwrap_or_else(|| DUMMY_HASH.to_owned());
        let parsed = PasswordHash::new(&hash)
            .map_err(|err| anyhow::anyhow!("stored password hash is malformed: {err}"))?;
        let matches = Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok();
        Ok(matches && hash != DUMMY_HASH)
    })
    .await?
}

/// A hash of a random password, used to spend equal time on unknown accounts.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Cq1Yx9Xz3bUfT8W2zq5m6Hh0k4N1dYp7bC3sQwErTyU";

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn bearer_token_accepts_any_case_of_the_scheme() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
