//! A real OpenID provider for the identity tests: the npm `oidc-provider` package (a certified
//! implementation), run by Node from `tests/js/support/oidc-server.mjs` as a child process on
//! free ports. Tokens come from a real authorization-code grant the script drives; its accounts
//! are `sub-alice` (alice@idp.test, verified), `sub-bob` (bob@idp.test, `email_verified:
//! false`) and `sub-carol` (carol@idp.test, verified). Needs Node 20 and `npm ci` in
//! `tests/js` (`.ci/run` does it first); without them the test fails and says so.

use std::path::PathBuf;
use std::process::Stdio;

use serde_json::{Value as Json, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use super::log_guard;

/// The audience the provider's access tokens carry for Doorman.
pub const AUDIENCE: &str = "urn:doorman";

/// A running provider; killed when dropped.
pub struct OidcProvider {
    pub issuer: String,
    control: String,
    client: reqwest::Client,
    child: Option<tokio::process::Child>,
}

/// What to ask the provider for.
#[derive(Clone, Copy)]
pub struct TokenRequest<'a> {
    /// Seconds the access token lives.
    pub ttl: u64,
    pub alg: &'a str,
    /// The audience (resource) the token is for.
    pub resource: &'a str,
}

impl Default for TokenRequest<'_> {
    fn default() -> Self {
        Self {
            ttl: 300,
            alg: "RS256",
            resource: AUDIENCE,
        }
    }
}

fn js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/js")
}

impl OidcProvider {
    pub async fn start() -> OidcProvider {
        let js = js_dir();
        assert!(
            js.join("node_modules/oidc-provider").is_dir(),
            "the identity tests need the npm packages of tests/js: run `cd tests/js && npm ci` \
             (Node 20), as .ci/run does"
        );
        let mut child = tokio::process::Command::new("node")
            .arg("support/oidc-server.mjs")
            .current_dir(&js)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start node (Node 20 is needed): {err}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stdout = BufReader::new(stdout);
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .await
            .expect("the provider prints where it listens");
        // Whatever it prints later is read and dropped: a closed pipe would stop it.
        tokio::spawn(async move {
            let mut rest = String::new();
            while stdout.read_line(&mut rest).await.is_ok_and(|read| read > 0) {
                rest.clear();
            }
        });
        let started: Json = serde_json::from_str(&line)
            .unwrap_or_else(|err| panic!("the provider did not start ({err}): {line:?}"));
        OidcProvider {
            issuer: started["issuer"].as_str().expect("an issuer").to_owned(),
            control: started["control"]
                .as_str()
                .expect("a control URL")
                .to_owned(),
            client: reqwest::Client::new(),
            child: Some(child),
        }
    }

    /// An access token for `account` (e.g. `sub-alice`) through the authorization-code grant.
    pub async fn access_token(&self, account: &str) -> String {
        self.token_with(account, TokenRequest::default()).await
    }

    pub async fn token_with(&self, account: &str, request: TokenRequest<'_>) -> String {
        let answer: Json = self
            .client
            .post(format!("{}/token", self.control))
            .json(
                &json!({ "account": account, "ttl": request.ttl, "alg": request.alg,
                           "resource": request.resource }),
            )
            .send()
            .await
            .expect("the provider's control API answers")
            .json()
            .await
            .expect("a JSON answer");
        let token = answer["accessToken"]
            .as_str()
            .unwrap_or_else(|| panic!("no access token: {answer:#}"))
            .to_owned();
        log_guard::secret("an OpenID Connect access token", &token);
        token
    }

    /// Makes the provider sign with new keys (new key ids), under the same issuer.
    pub async fn rotate_keys(&self) {
        self.client
            .post(format!("{}/rotate", self.control))
            .send()
            .await
            .expect("the provider's control API answers")
            .error_for_status()
            .expect("rotated");
    }

    /// The provider's current key set, as published.
    pub async fn jwks(&self) -> Json {
        self.client
            .get(format!("{}/jwks", self.issuer))
            .send()
            .await
            .expect("the provider answers")
            .json()
            .await
            .expect("a key set")
    }

    /// Stops the provider, as an outage would.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}
