//! Relay connections: edges with opaque cursors, `pageInfo` and `totalCount`.
//! A cursor encodes a row id; lists are newest first, so a cursor stays valid under inserts.

use async_graphql::SimpleObject;
use async_graphql::connection::{Connection, Edge};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::AppError;
use crate::service::{Page, PageRequest};

/// Extra connection fields.
#[derive(SimpleObject)]
pub struct ConnectionFields {
    /// Items in the whole list, not only this page.
    pub total_count: u64,
}

/// A list page as the API returns it.
pub type ListConnection<N> = Connection<String, N, ConnectionFields>;

pub fn encode_cursor(id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("c:{id}"))
}

pub fn decode_cursor(cursor: &str) -> Result<i64, AppError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("c:")?.parse().ok())
        .ok_or_else(|| AppError::bad_input("after is not a cursor from this list"))
}

/// Checks `first` and decodes `after`.
/// The complexity weight of a page: its children count `first` times (20 when unset), so a
/// nested page of pages is as expensive as it really is.
pub fn page_cost(first: Option<i32>) -> usize {
    usize::try_from(first.unwrap_or(20))
        .unwrap_or(0)
        .clamp(1, 100)
}

pub fn page_request(
    first: Option<i32>,
    after: Option<String>,
    default_first: u64,
) -> Result<PageRequest, AppError> {
    let after = after.as_deref().map(decode_cursor).transpose()?;
    PageRequest::new(first, after, default_first)
}

/// Builds a connection from a page, with each node's cursor from its id.
pub fn connection<T, N: async_graphql::OutputType>(
    page: Page<T>,
    id: impl Fn(&T) -> i64,
    node: impl Fn(T) -> N,
) -> ListConnection<N> {
    connection_with(page, |item| encode_cursor(id(item)), node)
}

/// Builds a connection from a page, with each node's cursor from `cursor`.
pub fn connection_with<T, N: async_graphql::OutputType>(
    page: Page<T>,
    cursor: impl Fn(&T) -> String,
    node: impl Fn(T) -> N,
) -> ListConnection<N> {
    let mut connection = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        ConnectionFields {
            total_count: page.total_count,
        },
    );
    connection.edges.extend(
        page.items
            .into_iter()
            .map(|item| Edge::new(cursor(&item), node(item))),
    );
    connection
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(42)).unwrap(), 42);
        assert!(decode_cursor("nope").is_err());
    }
}
