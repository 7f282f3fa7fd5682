//! What a delivery POSTs: `{ "type", "timestamp", "data" }` as the Standard Webhooks
//! specification suggests. `data` holds the event's kind, ids, actor, subject, time and what
//! changed: never a token or an email's body.

use entity::invitation_event;
use serde_json::{Value as Json, json};

use crate::domain::EventKind;
use crate::service::events::changes_of;

/// The delivery kind of `sendTestEvent`.
pub const TEST_KIND: &str = "TEST";

/// The payload `type` of an event kind as stored (`ACCEPTED` → `invitation.accepted`).
pub fn event_type(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    match kind {
        TEST_KIND => "webhook.test".to_owned(),
        "MEMBER_ROLE_CHANGED" | "MEMBER_REMOVED" | "MEMBER_LEFT" => {
            format!("member.{}", &lower["member_".len()..])
        }
        "ORG_UPDATED" | "ORG_DELETED" => format!("organization.{}", &lower["org_".len()..]),
        "WEBHOOK_DISABLED" => "webhook.disabled".to_owned(),
        _ => format!("invitation.{lower}"),
    }
}

/// The body of an event's delivery.
pub fn of_event(row: &invitation_event::Model) -> String {
    let id = |value: Option<i64>| value.map(|id| id.to_string());
    let kind: EventKind = row.kind;
    json!({
        "type": event_type(&kind.to_string()),
        "timestamp": row.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": {
            "eventId": row.id.to_string(),
            "kind": kind,
            "organizationId": id(row.organization_id),
            "invitationId": id(row.invitation_id),
            "actorId": id(row.actor_id),
            "subjectId": id(row.subject_id),
            "changes": changes_of(row),
        },
    })
    .to_string()
}

/// The body of a test event for endpoint `endpoint_id`.
pub fn test(endpoint_id: i64, at: chrono::DateTime<chrono::Utc>) -> String {
    let body: Json = json!({
        "type": event_type(TEST_KIND),
        "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": { "endpointId": endpoint_id.to_string(), "message": "A test event from Doorman." },
    });
    body.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_name_what_the_event_is_about() {
        assert_eq!(event_type("ACCEPTED"), "invitation.accepted");
        assert_eq!(
            event_type("RENEWAL_REQUESTED"),
            "invitation.renewal_requested"
        );
        assert_eq!(event_type("MEMBER_ROLE_CHANGED"), "member.role_changed");
        assert_eq!(event_type("ORG_DELETED"), "organization.deleted");
        assert_eq!(event_type(TEST_KIND), "webhook.test");
    }
}
