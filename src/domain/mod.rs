//! Pure rules of the product: parsing, roles, token format, invitation states.
//! No I/O here: nothing in this folder imports sea-orm, async-graphql or another module of ours.

/// Gives a fieldless enum `as_str`, `FromStr` and `Display` with the API's spelling, which is
/// also how the database stores it.
macro_rules! string_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($text => Ok(Self::$variant),)+
                    other => Err(format!("unknown {} {other:?}", stringify!($name))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod email_address;
pub mod invitation_rules;
pub mod invite_token;
pub mod names;
pub mod org_role;

/// Kinds of rows in the invitation event log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvitationEventKind {
    Created,
    Accepted,
    Declined,
    Cancelled,
    Resent,
}

string_enum!(InvitationEventKind {
    Created => "CREATED",
    Accepted => "ACCEPTED",
    Declined => "DECLINED",
    Cancelled => "CANCELLED",
    Resent => "RESENT",
});

/// Where an invitation's email stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailDeliveryStatus {
    NotRequested,
    Queued,
    Sent,
    Failed,
}

string_enum!(EmailDeliveryStatus {
    NotRequested => "NOT_REQUESTED",
    Queued => "QUEUED",
    Sent => "SENT",
    Failed => "FAILED",
});
