//! The invitation previews each instance keeps in memory (`service/previews.rs`): a preview
//! opened again is answered without the database, and every change an event announces shows
//! at once, on this instance and, through the bus, on the others.

use serde_json::{Value, json};

use crate::support::*;

const PREVIEW: &str = "query($token: String!) { invitation(token: $token) {
    status usageCount tokenSuperseded organization { name } invitedBy { username } } }";

async fn preview(app: &TestApp, token: &str) -> Value {
    data(&app.graphql(PREVIEW, json!({ "token": token }), None).await)["invitation"].clone()
}

async fn hits(app: &TestApp) -> f64 {
    metric(app, "doorman_preview_cache_hits_total").await
}

#[tokio::test]
async fn a_preview_opened_again_comes_from_memory_and_each_change_shows_at_once() {
    let (app, alice, bob) = acme_and_bob().await;
    let (id, token) = create_link(&app, &alice, "acme", Some(5)).await;

    let first = preview(&app, &token).await;
    let statements = metric(&app, "doorman_db_statements_total").await;
    let again = preview(&app, &token).await;
    assert_eq!(first, again);
    assert_eq!(again["status"], "PENDING");
    assert_eq!(hits(&app).await, 1.0);
    assert_eq!(
        metric(&app, "doorman_db_statements_total").await,
        statements,
        "the second preview ran no SQL"
    );

    // An acceptance counts at once.
    data(&accept(&app, &bob, &token).await);
    assert_eq!(preview(&app, &token).await["usageCount"], 1);

    // A new token: the old one says so at once, the new one shows the link.
    let regenerated = app
        .graphql(
            "mutation($id: ID!) { regenerateInviteLink(id: $id) { invitationLink } }",
            json!({ "id": id }),
            Some(&alice),
        )
        .await;
    let new_token = token_from_link(&str_of(
        &data(&regenerated)["regenerateInviteLink"]["invitationLink"],
    ));
    preview(&app, &new_token).await;
    assert_eq!(preview(&app, &token).await["tokenSuperseded"], true);

    // Cancelled: both tokens show it at once.
    data(&cancel(&app, &alice, &id).await);
    assert_eq!(preview(&app, &new_token).await["status"], "CANCELLED");
    assert_eq!(preview(&app, &token).await["status"], "CANCELLED");

    // A renamed organization shows its new name at once.
    let (_, other) = create_link(&app, &alice, "acme", None).await;
    assert_eq!(preview(&app, &other).await["organization"]["name"], "acme");
    data(
        &app.graphql(
            "mutation { updateOrganization(org: { name: \"acme\" }, input: { name: \"acme-two\" }) { name } }",
            json!({}),
            Some(&alice),
        )
        .await,
    );
    assert_eq!(
        preview(&app, &other).await["organization"]["name"],
        "acme-two"
    );
}

#[tokio::test]
async fn whoever_manages_the_invitation_reads_it_fresh_and_a_cache_of_zero_keeps_nothing() {
    let (app, alice, bob) = acme_and_bob().await;
    let (_, token) = create_link(&app, &alice, "acme", None).await;
    preview(&app, &token).await;

    // The admin sees delivery state, which changes without an event: never from memory.
    invitation(&app, &token, Some(&alice)).await;
    invitation(&app, &token, Some(&alice)).await;
    assert_eq!(hits(&app).await, 0.0);
    // Anyone else holding the token is served from memory.
    assert_eq!(
        data(&invitation(&app, &token, Some(&bob)).await)["invitation"]["status"],
        "PENDING"
    );
    assert_eq!(hits(&app).await, 1.0);

    let uncached = app
        .sibling_with(|settings| settings.cluster.preview_cache_entries = 0)
        .await;
    preview(&uncached, &token).await;
    preview(&uncached, &token).await;
    assert_eq!(hits(&uncached).await, 0.0);
}

mod postgres_only {
    use std::time::{Duration, Instant};

    use super::*;

    #[tokio::test]
    async fn a_change_made_through_another_instance_shows_once_its_event_arrives() {
        // Siblings share an event bus only through PostgreSQL.
        require_postgres();
        let (a, alice, _) = acme_and_bob().await;
        let b = a.sibling_with(|_| {}).await;
        let (id, token) = create_link(&a, &alice, "acme", None).await;
        preview(&b, &token).await;
        assert_eq!(preview(&b, &token).await["status"], "PENDING");
        assert_eq!(hits(&b).await, 1.0, "b keeps the preview");

        data(&cancel(&a, &alice, &id).await);

        // Far sooner than the cache's lifetime (10 s): the event carries the change.
        let deadline = Instant::now() + Duration::from_secs(3);
        while preview(&b, &token).await["status"] != "CANCELLED" {
            assert!(
                Instant::now() < deadline,
                "b still shows the link as pending"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
