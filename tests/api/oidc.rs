//! Tokens of an OpenID Connect issuer (`service/oidc.rs`, `service/external_accounts.rs`)
//! against a real provider (`support::oidc`, npm `oidc-provider`): accepted when valid, refused
//! with a reason otherwise (expired, another audience, another issuer, a tampered signature,
//! `alg: none`, HMAC with the public key), keys picked up after a rotation without a restart,
//! cached keys used while the provider is down, a clear error when it is down at start-up, one
//! account per `(issuer, sub)`, `email_verified` respected, explicit linking, and local
//! accounts turned off. The provider needs Node, so these live in `needs_node`.

mod needs_node {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use doorman::config::Settings;
    use serde_json::{Value as Json, json};

    use crate::support::oidc::{AUDIENCE, OidcProvider, TokenRequest};
    use crate::support::*;

    const ME: &str = "{ me { id username email emailVerified displayName } }";

    fn trusting(provider: &OidcProvider) -> impl FnOnce(&mut Settings) + use<> {
        let issuer = provider.issuer.clone();
        move |settings| {
            settings.identity.oidc_issuer = Some(issuer);
            settings.identity.oidc_audience = Some(AUDIENCE.to_owned());
        }
    }

    async fn app_trusting(provider: &OidcProvider) -> TestApp {
        TestApp::spawn_with(trusting(provider)).await
    }

    async fn me(app: &TestApp, token: &str) -> Json {
        app.graphql(ME, json!({}), Some(token)).await
    }

    #[track_caller]
    fn assert_refused(response: &Json, reason: &str) {
        assert_error_code(response, "UNAUTHENTICATED");
        assert_eq!(
            response["errors"][0]["extensions"]["reason"], reason,
            "{response:#}"
        );
    }

    fn segments(token: &str) -> Vec<String> {
        token.split('.').map(str::to_owned).collect()
    }

    fn decode(segment: &str) -> Json {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).expect("base64url")).expect("JSON")
    }

    fn encode(value: &Json) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[tokio::test]
    async fn a_valid_token_signs_in_as_one_account_per_subject_created_on_first_use() {
        let provider = OidcProvider::start().await;
        let app = app_trusting(&provider).await;
        let first = provider.access_token("sub-alice").await;
        let second = provider.access_token("sub-alice").await;

        let seen = me(&app, &first).await;
        let again = me(&app, &second).await;

        let alice = &data(&seen)["me"];
        assert_eq!(alice["username"], "alice");
        assert_eq!(alice["email"], "alice@idp.test");
        assert_eq!(alice["emailVerified"], true);
        assert_eq!(alice["displayName"], "Alice IdP");
        assert_eq!(data(&again)["me"]["id"], alice["id"]);
        assert_eq!(app.rows("users").await, 1);
        assert_eq!(
            app.strings("SELECT subject FROM external_identities", vec![])
                .await,
            ["sub-alice"]
        );
        // Accounts of the provider have no password to sign in with.
        let login = app
            .graphql(
                "mutation($input: LoginInput!) { login(input: $input) { accessToken } }",
                json!({ "input": { "login": "alice@idp.test", "password": "" } }),
                None,
            )
            .await;
        assert_error_code(&login, "UNAUTHENTICATED");
    }

    #[tokio::test]
    async fn es256_and_eddsa_tokens_are_accepted_too() {
        let provider = OidcProvider::start().await;
        let app = app_trusting(&provider).await;
        for alg in ["ES256", "EdDSA"] {
            let token = provider
                .token_with(
                    "sub-carol",
                    TokenRequest {
                        alg,
                        ..TokenRequest::default()
                    },
                )
                .await;
            assert_eq!(decode(&segments(&token)[0])["alg"], alg);
            let seen = me(&app, &token).await;
            assert_eq!(data(&seen)["me"]["username"], "carol", "{alg}");
        }
    }

    #[tokio::test]
    async fn expired_tokens_other_audiences_and_other_issuers_are_refused() {
        let provider = OidcProvider::start().await;
        let elsewhere = OidcProvider::start().await;
        let app = TestApp::spawn_with(|settings| {
            trusting(&provider)(settings);
            settings.identity.oidc_clock_skew_seconds = 0;
        })
        .await;
        let short = provider
            .token_with(
                "sub-alice",
                TokenRequest {
                    ttl: 1,
                    ..TokenRequest::default()
                },
            )
            .await;
        let other_audience = provider
            .token_with(
                "sub-alice",
                TokenRequest {
                    resource: "urn:another-api",
                    ..TokenRequest::default()
                },
            )
            .await;
        let other_issuer = elsewhere.access_token("sub-alice").await;

        assert_refused(&me(&app, &other_audience).await, "INVALID");
        assert_refused(&me(&app, &other_issuer).await, "INVALID");
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        assert_refused(&me(&app, &short).await, "EXPIRED");
        assert_eq!(app.rows("users").await, 0, "no account for a refused token");
    }

    #[tokio::test]
    async fn forged_tokens_are_refused() {
        let provider = OidcProvider::start().await;
        let app = app_trusting(&provider).await;
        let token = provider.access_token("sub-alice").await;
        let parts = segments(&token);
        let mut claims = decode(&parts[1]);

        // Another email under the same signature.
        claims["email"] = json!("ceo@bigcorp.com");
        let tampered = format!("{}.{}.{}", parts[0], encode(&claims), parts[2]);
        // No signature at all.
        let unsigned = format!(
            "{}.{}.",
            encode(&json!({ "alg": "none", "typ": "JWT" })),
            encode(&claims)
        );
        // HMAC keyed with the provider's public key (the algorithm-confusion attack).
        let jwks = provider.jwks().await;
        let public_key = jwks["keys"][0].to_string();
        let hmac = jsonwebtoken::encode(
            &jsonwebtoken::Header {
                kid: jwks["keys"][0]["kid"].as_str().map(str::to_owned),
                ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
            },
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(public_key.as_bytes()),
        )
        .expect("an HS256 token");
        log_guard::secret("a forged token", &hmac);
        log_guard::secret("a forged token", &tampered);
        log_guard::secret("a forged token", &unsigned);

        for forged in [&tampered, &unsigned, &hmac] {
            assert_refused(&me(&app, forged).await, "INVALID");
        }
        assert_eq!(app.rows("users").await, 0);
        assert_eq!(
            data(&me(&app, &token).await)["me"]["email"],
            "alice@idp.test"
        );
    }

    #[tokio::test]
    async fn rotated_keys_are_picked_up_without_a_restart() {
        let provider = OidcProvider::start().await;
        let app = app_trusting(&provider).await;
        let before = provider.access_token("sub-alice").await;
        assert_eq!(data(&me(&app, &before).await)["me"]["username"], "alice");

        provider.rotate_keys().await;
        let after = provider.access_token("sub-alice").await;

        assert_ne!(
            decode(&segments(&before)[0])["kid"],
            decode(&segments(&after)[0])["kid"]
        );
        assert_eq!(data(&me(&app, &after).await)["me"]["username"], "alice");
    }

    #[tokio::test]
    async fn cached_keys_keep_working_while_the_provider_is_down() {
        let mut provider = OidcProvider::start().await;
        let app = app_trusting(&provider).await;
        let alice = provider.access_token("sub-alice").await;
        let carol = provider.access_token("sub-carol").await;

        provider.stop().await;

        assert_eq!(data(&me(&app, &alice).await)["me"]["username"], "alice");
        // A first sign-in, too: the account is made from the token alone.
        assert_eq!(data(&me(&app, &carol).await)["me"]["username"], "carol");
    }

    #[tokio::test]
    async fn a_provider_down_at_start_up_stops_the_server_with_a_clear_error() {
        let issuer = format!("http://127.0.0.1:{}", machine::free_port());
        let database = tempfile::tempdir().expect("a temporary folder");
        let settings = Settings {
            database_url: format!(
                "sqlite://{}?mode=rwc",
                database.path().join("doorman.db").display()
            ),
            listen: "127.0.0.1:0".parse().expect("an address"),
            token_secret: Some(secrecy::SecretString::from(TOKEN_SECRET)),
            mail_dir: Some(database.path().join("mail")),
            identity: doorman::config::IdentitySettings {
                oidc_issuer: Some(issuer.clone()),
                oidc_audience: Some(AUDIENCE.to_owned()),
                ..Settings::default().identity
            },
            ..Settings::default()
        };

        let error = match doorman::app::App::build(settings).await {
            Ok(_) => panic!("the server started without its identity provider"),
            Err(error) => format!("{error:#}"),
        };

        assert!(
            error.contains("DOORMAN_OIDC_ISSUER") && error.contains(&issuer),
            "{error}"
        );
    }

    #[tokio::test]
    async fn an_unverified_email_at_the_provider_cannot_open_an_email_invitation() {
        let provider = OidcProvider::start().await;
        let app = app_trusting(&provider).await;
        let (alice, _) = register(&app, "root").await;
        create_org(&app, &alice, "acme").await;
        let shared = create_org_invites(
            &app,
            &alice,
            "acme",
            &["bob@idp.test"],
            json!({ "sendEmail": false }),
        )
        .await;
        let invitation = token_from_link(&str_of(
            &invitations_of(&data(&shared)["createOrgInvites"])[0]["invitationLink"],
        ));
        let bob = provider.access_token("sub-bob").await;
        assert_eq!(data(&me(&app, &bob).await)["me"]["emailVerified"], false);

        assert_error_code(&accept(&app, &bob, &invitation).await, "EMAIL_NOT_VERIFIED");
    }

    #[tokio::test]
    async fn a_local_account_links_an_identity_explicitly_with_a_matching_verified_email() {
        let provider = OidcProvider::start().await;
        let app = app_trusting(&provider).await;
        let (local, local_id) = register_email(&app, "carol", "carol@idp.test").await;
        let (unverified, _) = register_unverified(&app, "bob", "bob@idp.test").await;
        let carol_token = provider.access_token("sub-carol").await;
        let bob_token = provider.access_token("sub-bob").await;
        const LINK: &str =
            "mutation($token: String!) { linkExternalIdentity(token: $token) { id } }";

        // Her email is taken by the local account: the token signs in nowhere yet.
        assert_refused(&me(&app, &carol_token).await, "EMAIL_TAKEN");
        assert_error_code(
            &app.graphql(LINK, json!({ "token": bob_token }), Some(&unverified))
                .await,
            "EMAIL_NOT_VERIFIED",
        );
        assert_error_code(
            &app.graphql(LINK, json!({ "token": bob_token }), Some(&local))
                .await,
            "EMAIL_MISMATCH",
        );
        let linked = app
            .graphql(LINK, json!({ "token": carol_token }), Some(&local))
            .await;

        assert_eq!(data(&linked)["linkExternalIdentity"]["id"], local_id);
        assert_eq!(data(&me(&app, &carol_token).await)["me"]["id"], local_id);
        assert_error_code(
            &app.graphql(LINK, json!({ "token": carol_token }), Some(&local))
                .await,
            "CONFLICT",
        );
    }

    #[tokio::test]
    async fn with_local_accounts_off_the_provider_is_the_only_way_in() {
        let provider = OidcProvider::start().await;
        let app = TestApp::spawn_with(|settings| {
            trusting(&provider)(settings);
            settings.identity.local_accounts = false;
        })
        .await;

        let info = app
            .graphql(
                "{ serverInfo { signInMethods oidcIssuer } }",
                json!({}),
                None,
            )
            .await;
        assert_eq!(
            data(&info)["serverInfo"],
            json!({ "signInMethods": ["OIDC"], "oidcIssuer": provider.issuer })
        );
        let registered = app
            .graphql(
                REGISTER,
                json!({ "input": { "username": "eve", "email": "eve@example.com",
                                   "password": PASSWORD } }),
                None,
            )
            .await;
        assert_error_code(&registered, "FORBIDDEN");
        let token = provider.access_token("sub-alice").await;
        assert_eq!(data(&me(&app, &token).await)["me"]["username"], "alice");
    }

    const SIGN_IN: &str = "{ serverInfo { oidcSignIn { providerName clientId
        authorizationEndpoint tokenEndpoint scope resource } } }";

    /// The connect-src of the hosted page at `path`.
    async fn page_connect_sources(app: &TestApp, path: &str) -> Vec<String> {
        let page = app
            .http()
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("the page answers");
        assert_eq!(page.status(), 200, "{path}");
        let policy = page.headers()["content-security-policy"]
            .to_str()
            .unwrap_or_default()
            .to_owned();
        let connect = policy
            .split(';')
            .find_map(|part| part.trim().strip_prefix("connect-src "))
            .unwrap_or_else(|| panic!("no connect-src in {policy}"));
        connect.split(' ').map(str::to_owned).collect()
    }

    #[tokio::test]
    async fn the_hosted_pages_offer_the_provider_only_when_a_client_is_named_for_them() {
        let provider = OidcProvider::start().await;
        let plain = app_trusting(&provider).await;
        assert_eq!(
            data(&plain.graphql(SIGN_IN, json!({}), None).await)["serverInfo"]["oidcSignIn"],
            json!(null)
        );
        assert_eq!(
            page_connect_sources(&plain, "/admin").await,
            ["'self'", "ws:", "wss:"]
        );

        // A client whose id is the audience: its ID token is the bearer, no resource asked.
        let app = TestApp::spawn_with(|settings| {
            trusting(&provider)(settings);
            settings.identity.oidc_client_id = Some(AUDIENCE.to_owned());
        })
        .await;

        let sign_in =
            data(&app.graphql(SIGN_IN, json!({}), None).await)["serverInfo"]["oidcSignIn"].clone();
        assert_eq!(sign_in["providerName"], "127.0.0.1", "the issuer's host");
        assert_eq!(sign_in["clientId"], AUDIENCE);
        assert_eq!(sign_in["scope"], "openid email profile");
        assert_eq!(sign_in["resource"], json!(null));
        for endpoint in ["authorizationEndpoint", "tokenEndpoint"] {
            let url = str_of(&sign_in[endpoint]);
            assert!(url.starts_with(&format!("{}/", provider.issuer)), "{url}");
        }
        for path in ["/invite/any-token", "/admin", "/signin/callback"] {
            assert_eq!(
                page_connect_sources(&app, path).await,
                ["'self'", "ws:", "wss:", provider.issuer.as_str()],
                "{path}"
            );
        }
        let callback = app
            .http()
            .get(format!("{}/signin/callback?code=c&state=s", app.address))
            .send()
            .await
            .expect("the page answers");
        let html = callback.text().await.unwrap_or_default();
        assert!(html.contains(r#"<script src="/pages/signin.js"></script>"#));
        assert!(
            !html.contains("code=c"),
            "the code stays in the address bar"
        );
    }
}
