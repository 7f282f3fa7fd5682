//! The order of `orgInvitations` and its paging in both directions: keyset paging on the
//! sort key and the id (so a cursor stays valid while rows are added), with cursors that name
//! the order they were made for.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::invitation;
use sea_orm::sea_query::{Expr, ExprTrait, Func, SimpleExpr};
use sea_orm::{Order, QueryFilter, QueryOrder, Select, Value};

use crate::error::AppError;
use crate::service::MAX_PAGE_SIZE;

/// What `orgInvitations` sorts by; the id breaks ties.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OrderField {
    #[default]
    CreatedAt,
    ExpiresAt,
    /// Open links (no email) sort as the empty text.
    Email,
}

impl OrderField {
    fn tag(self) -> &'static str {
        match self {
            Self::CreatedAt => "created",
            Self::ExpiresAt => "expires",
            Self::Email => "email",
        }
    }

    fn key(self) -> SimpleExpr {
        match self {
            // Qualified: the page joins the inviter, whose table has these names too.
            Self::CreatedAt => Expr::col((invitation::Entity, invitation::Column::CreatedAt)),
            Self::ExpiresAt => Expr::col((invitation::Entity, invitation::Column::ExpiresAt)),
            Self::Email => Func::coalesce([
                Expr::col((invitation::Entity, invitation::Column::Email)),
                Expr::val(""),
            ])
            .into(),
        }
    }

    /// The key of `model` as a cursor holds it.
    fn key_text(self, model: &invitation::Model) -> String {
        match self {
            Self::CreatedAt => model.created_at.to_rfc3339(),
            Self::ExpiresAt => model.expires_at.to_rfc3339(),
            Self::Email => model.email.clone().unwrap_or_default(),
        }
    }

    /// A cursor's key back as a value to compare with.
    fn key_value(self, text: &str) -> Option<Value> {
        match self {
            Self::CreatedAt | Self::ExpiresAt => DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|at| Value::from(at.with_timezone(&Utc))),
            Self::Email => Some(Value::from(text.to_owned())),
        }
    }
}

/// A sort field and direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvitationOrder {
    pub field: OrderField,
    pub descending: bool,
}

impl Default for InvitationOrder {
    /// Newest first.
    fn default() -> Self {
        Self {
            field: OrderField::CreatedAt,
            descending: true,
        }
    }
}

/// A position in one order: after (or before) the row with this key and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    key: String,
    id: i64,
}

impl InvitationOrder {
    fn prefix(self) -> String {
        format!(
            "o:{}:{}:",
            self.field.tag(),
            if self.descending { "d" } else { "a" }
        )
    }

    /// The cursor of `model` in this order.
    pub fn cursor_of(self, model: &invitation::Model) -> String {
        let text = format!(
            "{}{}:{}",
            self.prefix(),
            model.id,
            self.field.key_text(model)
        );
        URL_SAFE_NO_PAD.encode(text)
    }

    /// Decodes a cursor made for this order; `argument` names it in the error.
    pub fn decode(self, cursor: &str, argument: &str) -> Result<Cursor, AppError> {
        let refuse = || {
            AppError::bad_input(format!(
                "{argument} is not a cursor of this list in this order"
            ))
        };
        let text = URL_SAFE_NO_PAD
            .decode(cursor)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(refuse)?;
        let rest = text.strip_prefix(&self.prefix()).ok_or_else(refuse)?;
        let (id, key) = rest.split_once(':').ok_or_else(refuse)?;
        let id = id.parse().map_err(|_| refuse())?;
        self.field.key_value(key).ok_or_else(refuse)?;
        Ok(Cursor {
            key: key.to_owned(),
            id,
        })
    }
}

/// Which page: the `first` after a cursor, or the `last` before one.
#[derive(Clone, Debug)]
pub struct SortedPage {
    pub order: InvitationOrder,
    pub count: u64,
    pub cursor: Option<Cursor>,
    /// `last`/`before`: the page ends at the cursor.
    pub backward: bool,
    pub count_total: bool,
}

impl SortedPage {
    /// Checks the paging arguments: `first`/`after` or `last`/`before`, not both.
    pub fn new(
        order: InvitationOrder,
        first: Option<i32>,
        after: Option<&str>,
        last: Option<i32>,
        before: Option<&str>,
    ) -> Result<Self, AppError> {
        let count = |value: i32, name: &str| {
            u64::try_from(value)
                .ok()
                .filter(|count| *count <= MAX_PAGE_SIZE)
                .ok_or_else(|| {
                    AppError::bad_input(format!("{name} must be between 0 and {MAX_PAGE_SIZE}"))
                })
        };
        let backward = last.is_some() || before.is_some();
        if backward && after.is_some() {
            return Err(AppError::bad_input(
                "page forward (first, after) or backward (last, before), not both",
            ));
        }
        let (count, cursor) = if backward {
            let count = count(last.unwrap_or(20), "last")?;
            (
                count,
                before.map(|c| order.decode(c, "before")).transpose()?,
            )
        } else {
            let count = count(first.unwrap_or(20), "first")?;
            (count, after.map(|c| order.decode(c, "after")).transpose()?)
        };
        Ok(Self {
            order,
            count,
            cursor,
            backward,
            count_total: true,
        })
    }

    /// `select` ordered and limited for this page (one row more than the page, to tell
    /// whether there is more), scanning away from the cursor.
    pub fn apply(&self, select: Select<invitation::Entity>) -> Select<invitation::Entity> {
        let field = self.order.field;
        // Backward pages scan the other way, then are turned around.
        let descending = self.order.descending != self.backward;
        let direction = if descending { Order::Desc } else { Order::Asc };
        let mut select = select.order_by(field.key(), direction.clone()).order_by(
            Expr::col((invitation::Entity, invitation::Column::Id)),
            direction,
        );
        if let Some(cursor) = &self.cursor
            && let Some(key) = field.key_value(&cursor.key)
        {
            let id = Expr::col((invitation::Entity, invitation::Column::Id));
            let (beyond_key, beyond_id) = if descending {
                (field.key().lt(key.clone()), id.lt(cursor.id))
            } else {
                (field.key().gt(key.clone()), id.gt(cursor.id))
            };
            select = select.filter(beyond_key.or(field.key().eq(key).and(beyond_id)));
        }
        sea_orm::QuerySelect::limit(select, self.count + 1)
    }

    /// The page from the rows [`SortedPage::apply`] read: in the order asked for, and whether
    /// more rows lie beyond it (`has_more`).
    pub fn finish<T>(&self, mut rows: Vec<T>) -> (Vec<T>, bool) {
        let has_more = rows.len() as u64 > self.count;
        rows.truncate(usize::try_from(self.count).unwrap_or(usize::MAX));
        if self.backward {
            rows.reverse();
        }
        (rows, has_more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(field: OrderField, descending: bool) -> InvitationOrder {
        InvitationOrder { field, descending }
    }

    #[test]
    fn a_cursor_works_only_in_the_order_it_was_made_for() {
        let email = order(OrderField::Email, false);
        let encoded = URL_SAFE_NO_PAD.encode("o:email:a:7:a:b@example.com");
        assert_eq!(
            email.decode(&encoded, "after").ok(),
            Some(Cursor {
                key: "a:b@example.com".to_owned(),
                id: 7
            })
        );
        assert!(
            order(OrderField::Email, true)
                .decode(&encoded, "after")
                .is_err()
        );
        assert!(
            order(OrderField::CreatedAt, false)
                .decode(&encoded, "after")
                .is_err()
        );
        assert!(email.decode("garbage", "after").is_err());
        let bad_date = URL_SAFE_NO_PAD.encode("o:created:d:7:yesterday");
        assert!(
            InvitationOrder::default()
                .decode(&bad_date, "after")
                .is_err()
        );
    }

    #[test]
    fn paging_both_ways_at_once_is_refused() {
        let default = InvitationOrder::default();
        let cursor = URL_SAFE_NO_PAD.encode("o:created:d:7:2026-12-01T00:00:00+00:00");
        assert!(SortedPage::new(default, None, Some(&cursor), Some(5), None).is_err());
        assert!(SortedPage::new(default, None, None, Some(101), None).is_err());
        assert!(SortedPage::new(default, None, None, Some(5), Some(&cursor)).is_ok());
    }
}
