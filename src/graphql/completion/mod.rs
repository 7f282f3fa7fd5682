//! Completes a response the way the GraphQL spec lays it out, where async-graphql does not:
//!
//! - **A field that failed is null.** async-graphql leaves a failed field out of its parent
//!   (and makes a parent whose every field failed `null`). The spec wants the field present as
//!   `null` when its type allows it, and otherwise its parent `null`, and so on up to the
//!   nearest field that may be null, or `data: null` when none may.
//! - **Fields in the order the operation selects them.** async-graphql inserts them as they
//!   finish, so a field that waited for the database comes after one that did not.
//!
//! Both follow the operation's [`Shape`]: its fields merged by response key in the order the
//! spec's CollectFields gives them (fragments expanded), each with its type from the schema.
//! A shape is built before the operation runs (from the document the schema then consumes),
//! and a subscription keeps its own for the events it sends.

mod collect;

use async_graphql::parser::types::Type;
use async_graphql::{Name, PathSegment, Response, Value};

use self::collect::{FieldShape, item_type};
pub use self::collect::{OutputTypes, Shape};

/// Where a failed field's `null` goes.
#[derive(Debug, PartialEq, Eq)]
enum Null {
    /// `data` itself: nothing between it and the failed field may be null.
    Data,
    /// The value at this path (a field of an object, or an item of a list).
    At(Vec<PathSegment>),
}

impl Shape {
    fn field(&self, key: &str) -> Option<&FieldShape> {
        self.fields.iter().find(|field| field.key.as_str() == key)
    }

    fn position(&self, key: &str) -> usize {
        self.fields
            .iter()
            .position(|field| field.key.as_str() == key)
            .unwrap_or(usize::MAX)
    }

    /// Puts the `null`s of failed fields in place, then orders every object's fields.
    pub fn complete(&self, response: &mut Response) {
        let failed: Vec<&[PathSegment]> = response
            .errors
            .iter()
            .map(|error| error.path.as_slice())
            .filter(|path| !path.is_empty())
            .collect();
        if !failed.is_empty() {
            let mut nulls: Vec<Null> = failed
                .iter()
                .filter_map(|path| self.null_for(&response.data, path))
                .collect();
            if nulls.contains(&Null::Data) {
                response.data = Value::Null;
                return;
            }
            nulls.sort_by_key(|null| match null {
                Null::At(path) => path.len(),
                Null::Data => 0,
            });
            let mut placed: Vec<Vec<PathSegment>> = Vec::new();
            for null in nulls {
                let Null::At(path) = null else { continue };
                if placed.iter().any(|done| path.starts_with(done)) {
                    continue;
                }
                place_null(&mut response.data, &path);
                placed.push(path);
            }
        }
        self.order(&mut response.data);
    }

    /// Where the `null` of the field that failed at `path` goes: at the first value missing
    /// along the path (the failed field), or, when that may not be null, at the nearest value
    /// above it that may. `None` when the path names nothing this shape knows.
    fn null_for(&self, data: &Value, path: &[PathSegment]) -> Option<Null> {
        // (the path to the value, whether it may be null), from `data` down
        let mut values: Vec<(usize, bool)> = Vec::with_capacity(path.len());
        let mut shape = self;
        let mut value = Some(data);
        let mut ty: Option<&Type> = None;
        for (at, segment) in path.iter().enumerate() {
            let next = match segment {
                PathSegment::Field(key) => {
                    let field = shape.field(key)?;
                    values.push((at + 1, field.nullable()));
                    ty = field.ty.as_ref();
                    if let Some(inner) = &field.inner {
                        shape = inner;
                    }
                    match value {
                        Some(Value::Object(map)) => map.get(key.as_str()),
                        _ => None,
                    }
                }
                PathSegment::Index(index) => {
                    let item = ty.and_then(item_type);
                    values.push((at + 1, item.is_none_or(|item| item.nullable)));
                    ty = item;
                    match value {
                        Some(Value::List(items)) => items.get(*index),
                        _ => None,
                    }
                }
            };
            match next {
                // A `null` with more of the path below it is an object whose every field
                // failed: go on as through an empty object.
                Some(found) => value = Some(found),
                None => {
                    return Some(
                        values
                            .iter()
                            .rev()
                            .find(|(_, nullable)| *nullable)
                            .map_or(Null::Data, |(length, _)| Null::At(path[..*length].to_vec())),
                    );
                }
            }
        }
        None
    }

    /// Orders the fields of `value`'s objects as the shape does, all the way down.
    fn order(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                let mut last = 0;
                let ordered = map.keys().all(|key| {
                    let position = self.position(key);
                    let in_order = position >= last;
                    last = position;
                    in_order
                });
                if !ordered {
                    map.sort_by_cached_key(|key, _| self.position(key));
                }
                for (key, value) in map.iter_mut() {
                    if let Some(inner) = self.field(key).and_then(|field| field.inner.as_ref()) {
                        inner.order(value);
                    }
                }
            }
            Value::List(items) => {
                for item in items {
                    self.order(item);
                }
            }
            _ => {}
        }
    }
}

/// Sets the value at `path` to `null`, making objects of the `null`s on the way (objects
/// whose every field failed).
fn place_null(data: &mut Value, path: &[PathSegment]) {
    let Some((last, above)) = path.split_last() else {
        return;
    };
    let mut value = data;
    for segment in above {
        value = match (segment, value) {
            (PathSegment::Field(key), value) => {
                let map = as_object(value);
                match map.get_mut(key.as_str()) {
                    Some(next) => next,
                    None => return,
                }
            }
            (PathSegment::Index(index), Value::List(items)) => match items.get_mut(*index) {
                Some(next) => next,
                None => return,
            },
            (PathSegment::Index(_), _) => return,
        };
    }
    match (last, value) {
        (PathSegment::Field(key), value) => {
            as_object(value).insert(Name::new(key), Value::Null);
        }
        (PathSegment::Index(index), Value::List(items)) => {
            if let Some(item) = items.get_mut(*index) {
                *item = Value::Null;
            }
        }
        (PathSegment::Index(_), _) => {}
    }
}

/// The object `value` is, turning a `null` (or anything else) into an empty one.
fn as_object(value: &mut Value) -> &mut async_graphql::indexmap::IndexMap<Name, Value> {
    if !matches!(value, Value::Object(_)) {
        *value = Value::Object(Default::default());
    }
    match value {
        Value::Object(map) => map,
        _ => unreachable!("just made an object"),
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::ServerError;

    use super::*;

    const SDL: &str = "
        type Query { a: A  b: B!  list: [B!]!  items: [B]  version: String! }
        type A { x: String  y: Int!  b: B }
        type B { z: String!  w: String }
    ";

    fn shape(query: &str) -> Shape {
        let types = OutputTypes::from_sdl(SDL);
        let document = async_graphql::parser::parse_query(query).unwrap();
        types.shape(&document, None).unwrap()
    }

    fn failed(data: serde_json::Value, paths: &[&[PathSegment]]) -> Response {
        let mut response = Response::new(Value::from_json(data).unwrap());
        for path in paths {
            let mut error = ServerError::new("failed", None);
            error.path = path.to_vec();
            response.errors.push(error);
        }
        response
    }

    fn field(key: &str) -> PathSegment {
        PathSegment::Field(key.to_owned())
    }

    fn completed(query: &str, mut response: Response) -> String {
        shape(query).complete(&mut response);
        serde_json::to_string(&response.data).unwrap()
    }

    #[test]
    fn a_failed_nullable_field_is_null_in_its_place() {
        let response = failed(serde_json::json!({ "version": "1" }), &[&[field("a")]]);
        assert_eq!(
            completed("{ a { x } version }", response),
            r#"{"a":null,"version":"1"}"#
        );
    }

    #[test]
    fn a_failed_non_null_field_nulls_its_nearest_nullable_parent() {
        // a.y is Int!: a becomes null.
        let response = failed(
            serde_json::json!({ "version": "1", "a": { "x": "x" } }),
            &[&[field("a"), field("y")]],
        );
        assert_eq!(
            completed("{ a { x y } version }", response),
            r#"{"a":null,"version":"1"}"#
        );
        // b.z is String! and b is B!: nothing above may be null, so data is.
        let response = failed(
            serde_json::json!({ "version": "1", "b": {} }),
            &[&[field("b"), field("z")]],
        );
        let mut response = response;
        shape("{ b { z } version }").complete(&mut response);
        assert_eq!(response.data, Value::Null);
    }

    #[test]
    fn an_object_whose_every_field_failed_keeps_its_nulls() {
        // async-graphql makes `a` null when all its fields failed; x is nullable.
        let response = failed(
            serde_json::json!({ "a": null }),
            &[&[field("a"), field("x")]],
        );
        assert_eq!(completed("{ a { x } }", response), r#"{"a":{"x":null}}"#);
    }

    #[test]
    fn list_items_go_null_when_they_may_and_the_list_when_they_may_not() {
        let response = failed(
            serde_json::json!({ "items": [{ "z": "1" }, {}] }),
            &[&[field("items"), PathSegment::Index(1), field("z")]],
        );
        assert_eq!(
            completed("{ items { z } }", response),
            r#"{"items":[{"z":"1"},null]}"#
        );
        let response = failed(
            serde_json::json!({ "a": { "x": "x" }, "list": [{ "z": "1" }, {}] }),
            &[&[field("list"), PathSegment::Index(1), field("z")]],
        );
        // list is [B!]! on Query: data goes null.
        let mut response = response;
        shape("{ a { x } list { z } }").complete(&mut response);
        assert_eq!(response.data, Value::Null);
    }

    #[test]
    fn fields_come_back_in_the_order_they_were_selected_through_fragments() {
        let response = failed(
            serde_json::json!({ "version": "1", "a": { "y": 2, "x": "x", "b": { "w": "w", "z": "z" } } }),
            &[],
        );
        assert_eq!(
            completed(
                "{ a { ...F b { z } y } version } fragment F on A { x b { w } }",
                response
            ),
            r#"{"a":{"x":"x","b":{"w":"w","z":"z"},"y":2},"version":"1"}"#
        );
    }
}
