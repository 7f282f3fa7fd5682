//! Hostile argument values, generated from the served schema: every argument of every query and
//! mutation, and every field of the input objects they take, gets values at and past the
//! boundaries of its type, sent as variables of an otherwise valid operation. Every request is
//! answered before the request timeout, with JSON and no 5xx, and every error carries a code of
//! the contract (never `INTERNAL_SERVER_ERROR`); a value that does not fit its type is
//! `BAD_USER_INPUT`. A status filter far longer than the six statuses is refused without taking
//! the process down.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::Duration as Span;
use futures_util::{StreamExt, stream};
use serde_json::{Map, Value as Json, json};

use crate::support::*;

/// The server's request timeout here: every answer must come before it.
const REQUEST_TIMEOUT_SECONDS: u64 = 10;
/// Requests in flight at once.
const IN_FLIGHT: usize = 4;
/// Violations spelled out when the campaign fails (all are counted).
const SHOWN_VIOLATIONS: usize = 150;
/// How much of a response body a violation quotes.
const EXCERPT_CHARS: usize = 300;

/// The codes of the API contract, those the transport and the engine add, and the timeout's.
const KNOWN_CODES: [&str; 25] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_USER_INPUT",
    "INVITATION_NOT_FOUND",
    "INVITATION_EXPIRED",
    "INVITATION_CANCELLED",
    "INVITATION_DECLINED",
    "INVITATION_ALREADY_ACCEPTED",
    "INVITATION_USED_UP",
    "INVITATION_SUPERSEDED",
    "INVITATION_PAUSED",
    "EMAIL_MISMATCH",
    "EMAIL_DOMAIN_NOT_ALLOWED",
    "EMAIL_NOT_VERIFIED",
    "INVALID_TOKEN",
    "TOKEN_EXPIRED",
    "ALREADY_MEMBER",
    "CONFLICT",
    "LAST_ADMIN",
    "RATE_LIMITED",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "PERSISTED_QUERY_NOT_FOUND",
    "REQUEST_TIMEOUT",
];

/// async-graphql's wording for a value that does not fit its argument's type.
const ARGUMENT_VALUE_ERRORS: [&str; 3] = [
    "Failed to parse",
    "Invalid value for argument",
    "Expected input type",
];

/// Every type with its arguments, input fields and enum values, and the root types' names.
const INTROSPECTION: &str = "query {
  __schema {
    queryType { name } mutationType { name }
    types {
      name kind isOneOf
      fields { name args { ...InputValue } type { ...TypeRef } }
      inputFields { ...InputValue }
      enumValues { name }
    } } }
fragment InputValue on __InputValue { name defaultValue type { ...TypeRef } }
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }";

// ---- the served schema ----

#[derive(Clone, Debug, PartialEq)]
enum TypeRef {
    Named(String),
    List(Box<TypeRef>),
    NonNull(Box<TypeRef>),
}

impl TypeRef {
    fn parse(json: &Json) -> TypeRef {
        match json["kind"].as_str() {
            Some("NON_NULL") => TypeRef::NonNull(Box::new(TypeRef::parse(&json["ofType"]))),
            Some("LIST") => TypeRef::List(Box::new(TypeRef::parse(&json["ofType"]))),
            _ => TypeRef::Named(str_of(&json["name"])),
        }
    }

    /// As written in a variable definition, e.g. `[InvitationStatus!]`.
    fn sdl(&self) -> String {
        match self {
            TypeRef::Named(name) => name.clone(),
            TypeRef::List(item) => format!("[{}]", item.sdl()),
            TypeRef::NonNull(inner) => format!("{}!", inner.sdl()),
        }
    }

    fn name(&self) -> &str {
        match self {
            TypeRef::Named(name) => name,
            TypeRef::List(inner) | TypeRef::NonNull(inner) => inner.name(),
        }
    }

    fn is_list(&self) -> bool {
        match self {
            TypeRef::Named(_) => false,
            TypeRef::List(_) => true,
            TypeRef::NonNull(inner) => inner.is_list(),
        }
    }
}

/// An argument or an input field.
struct InputValue {
    name: String,
    ty: TypeRef,
    has_default: bool,
}

impl InputValue {
    fn parse(json: &Json) -> InputValue {
        InputValue {
            name: str_of(&json["name"]),
            ty: TypeRef::parse(&json["type"]),
            has_default: !json["defaultValue"].is_null(),
        }
    }

    fn required(&self) -> bool {
        matches!(self.ty, TypeRef::NonNull(_)) && !self.has_default
    }
}

struct TypeDef {
    kind: String,
    one_of: bool,
    input_fields: Vec<InputValue>,
    enum_values: Vec<String>,
}

/// A root field: `query`/`mutation`, its arguments, and whether it needs a selection set.
struct Operation {
    root: &'static str,
    field: String,
    args: Vec<InputValue>,
    composite: bool,
}

impl Operation {
    /// The operation with one variable per argument, typed as the argument is, selecting only
    /// `__typename`: small and valid whatever the values.
    fn document(&self) -> String {
        let selection = if self.composite {
            " { __typename }"
        } else {
            ""
        };
        if self.args.is_empty() {
            return format!("{} {{ {}{selection} }}", self.root, self.field);
        }
        let definitions: Vec<String> = self
            .args
            .iter()
            .map(|arg| format!("${}: {}", arg.name, arg.ty.sdl()))
            .collect();
        let arguments: Vec<String> = self
            .args
            .iter()
            .map(|arg| format!("{0}: ${0}", arg.name))
            .collect();
        format!(
            "{}({}) {{ {}({}){selection} }}",
            self.root,
            definitions.join(", "),
            self.field,
            arguments.join(", ")
        )
    }
}

struct Schema {
    types: HashMap<String, TypeDef>,
    operations: Vec<Operation>,
}

impl Schema {
    async fn introspect(app: &TestApp, token: &str) -> Schema {
        let response = app.graphql(INTROSPECTION, json!({}), Some(token)).await;
        let schema = &data(&response)["__schema"];
        let types = schema["types"].as_array().expect("a list of types");
        let list = |ty: &Json, key: &str| ty[key].as_array().cloned().unwrap_or_default();
        let defs = types
            .iter()
            .map(|ty| {
                let def = TypeDef {
                    kind: str_of(&ty["kind"]),
                    one_of: ty["isOneOf"] == true,
                    input_fields: list(ty, "inputFields")
                        .iter()
                        .map(InputValue::parse)
                        .collect(),
                    enum_values: list(ty, "enumValues")
                        .iter()
                        .map(|value| str_of(&value["name"]))
                        .collect(),
                };
                (str_of(&ty["name"]), def)
            })
            .collect::<HashMap<_, _>>();
        let mut operations = Vec::new();
        for (root, key) in [("query", "queryType"), ("mutation", "mutationType")] {
            let name = &schema[key]["name"];
            let root_type = types
                .iter()
                .find(|ty| &ty["name"] == name)
                .expect("the root type is listed");
            for field in list(root_type, "fields") {
                let returns = TypeRef::parse(&field["type"]);
                let kind = defs[returns.name()].kind.as_str();
                operations.push(Operation {
                    root,
                    field: str_of(&field["name"]),
                    args: list(&field, "args").iter().map(InputValue::parse).collect(),
                    composite: matches!(kind, "OBJECT" | "INTERFACE" | "UNION"),
                });
            }
        }
        Schema {
            types: defs,
            operations,
        }
    }

    fn def(&self, name: &str) -> &TypeDef {
        self.types
            .get(name)
            .unwrap_or_else(|| panic!("the schema has no type {name}"))
    }

    fn is_input_object(&self, name: &str) -> bool {
        self.def(name).kind == "INPUT_OBJECT"
    }

    /// Every argument of every root field, and every field of the input objects they take
    /// (recursively; an input type is not entered again inside itself).
    fn targets(&self) -> Vec<Target> {
        let mut targets = Vec::new();
        for (operation, op) in self.operations.iter().enumerate() {
            for arg in &op.args {
                self.walk(operation, &op.field, &[], arg, &mut targets);
            }
        }
        targets
    }

    fn walk(
        &self,
        operation: usize,
        parent: &str,
        above: &[(String, String)],
        value: &InputValue,
        targets: &mut Vec<Target>,
    ) {
        let ty = value.ty.name();
        let mut path = above.to_vec();
        path.push((value.name.clone(), ty.to_owned()));
        targets.push(Target {
            operation,
            path: path.clone(),
            ty: value.ty.clone(),
            parent: parent.to_owned(),
        });
        if self.is_input_object(ty) && !above.iter().any(|(_, outer)| outer == ty) {
            for field in &self.def(ty).input_fields {
                self.walk(operation, ty, &path, field, targets);
            }
        }
    }
}

/// One argument, or one field inside an argument, of one operation.
struct Target {
    operation: usize,
    /// (name, named type) from the argument down to the field.
    path: Vec<(String, String)>,
    ty: TypeRef,
    /// The input type holding the field, or the root field for an argument.
    parent: String,
}

impl Target {
    /// E.g. `createOrgInvites(input.org.name)`.
    fn label(&self, schema: &Schema) -> String {
        let names: Vec<&str> = self.path.iter().map(|(name, _)| name.as_str()).collect();
        format!(
            "{}({})",
            schema.operations[self.operation].field,
            names.join(".")
        )
    }
}

// ---- values ----

/// Which optional arguments and fields the valid values around a hostile one carry.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fill {
    Required,
    Every,
}

/// The valid values around a hostile one: the required ones, or every one that has a valid
/// value less the optional field at `without` (some fields exclude others, e.g. `ids` and
/// `emails` of `resend`).
#[derive(Clone, Debug)]
struct Context {
    fill: Fill,
    without: Vec<String>,
}

impl Context {
    fn required() -> Context {
        Context {
            fill: Fill::Required,
            without: Vec::new(),
        }
    }

    fn every_but(without: Vec<String>) -> Context {
        Context {
            fill: Fill::Every,
            without,
        }
    }

    fn label(&self) -> String {
        match (self.fill, self.without.as_slice()) {
            (Fill::Required, _) => "the rest required only".to_owned(),
            (Fill::Every, []) => "the rest all set".to_owned(),
            (Fill::Every, without) => format!("the rest all set but {}", without.join(".")),
        }
    }

    /// Every field set, and every field set but one optional field beside the path (outside
    /// `@oneOf` objects, which hold one field anyway).
    fn candidates(schema: &Schema, target: &Target) -> Vec<Context> {
        let mut candidates = vec![Context::every_but(Vec::new())];
        let mut beside = &schema.operations[target.operation].args;
        let mut one_of = false;
        for (depth, (name, ty)) in target.path.iter().enumerate() {
            let above: Vec<String> = target.path[..depth]
                .iter()
                .map(|(name, _)| name.clone())
                .collect();
            if !one_of {
                for field in beside.iter().filter(|field| !field.required()) {
                    if &field.name != name {
                        let mut without = above.clone();
                        without.push(field.name.clone());
                        candidates.push(Context::every_but(without));
                    }
                }
            }
            if depth + 1 < target.path.len() {
                let def = schema.def(ty);
                beside = &def.input_fields;
                one_of = def.one_of;
            }
        }
        candidates
    }
}

/// A value to send, and whether it fits its GraphQL type at all (if not, it must be refused
/// with `BAD_USER_INPUT`).
#[derive(Clone)]
struct Probe {
    what: String,
    value: Json,
    misfit: bool,
}

fn fits(what: impl Into<String>, value: Json) -> Probe {
    Probe {
        what: what.into(),
        value,
        misfit: false,
    }
}

fn misfit(what: impl Into<String>, value: Json) -> Probe {
    Probe {
        what: what.into(),
        value,
        misfit: true,
    }
}

/// The organization `deleteOrganization` is let loose on.
const DOOMED_ORG: &str = "doomed";

/// Every string equal to `from` in `value`, made `to`.
fn retarget(value: &mut Json, from: &str, to: &str) {
    match value {
        Json::String(text) if text == from => *text = to.to_owned(),
        Json::Array(items) => items.iter_mut().for_each(|item| retarget(item, from, to)),
        Json::Object(fields) => fields
            .values_mut()
            .for_each(|field| retarget(field, from, to)),
        _ => {}
    }
}

/// The real things that valid values name: an organization the caller administers, one of
/// its email invitations, one of its open links, and the caller's own login; and another
/// organization for `deleteOrganization`.
struct World {
    org_name: String,
    org_id: String,
    doomed_org_id: String,
    invitation_id: String,
    link_token: String,
    login: String,
    serial: AtomicUsize,
}

impl World {
    /// A valid value for `field` of `parent`; `None` where only a value the server issued
    /// would do (a page cursor).
    fn valid(
        &self,
        schema: &Schema,
        parent: &str,
        field: &str,
        ty: &TypeRef,
        fill: Fill,
    ) -> Option<Json> {
        match ty {
            TypeRef::NonNull(inner) => self.valid(schema, parent, field, inner, fill),
            TypeRef::List(item) => self
                .valid(schema, parent, field, item, fill)
                .map(|item| json!([item])),
            TypeRef::Named(name) => {
                let def = schema.def(name);
                match def.kind.as_str() {
                    "INPUT_OBJECT" => Some(self.valid_object(schema, name, fill)),
                    "ENUM" => def.enum_values.first().map(|value| json!(value)),
                    _ => self.valid_scalar(parent, field, name),
                }
            }
        }
    }

    /// An object with its required fields (or every field) valid; a `@oneOf` object with
    /// its first field only.
    fn valid_object(&self, schema: &Schema, name: &str, fill: Fill) -> Json {
        let def = schema.def(name);
        let mut object = Map::new();
        for field in &def.input_fields {
            if def.one_of && !object.is_empty() {
                break;
            }
            if (def.one_of || field.required() || fill == Fill::Every)
                && let Some(value) = self.valid(schema, name, &field.name, &field.ty, fill)
            {
                object.insert(field.name.clone(), value);
            }
        }
        Json::Object(object)
    }

    /// Names that must be unique (accounts, organizations, invitees) are new each time.
    fn valid_scalar(&self, parent: &str, field: &str, scalar: &str) -> Option<Json> {
        let serial = self.serial.fetch_add(1, Ordering::Relaxed);
        let value = match (parent, field) {
            ("OrgSelector", "id") => json!(self.org_id),
            ("OrgSelector", "name") => json!(self.org_name),
            (_, "after" | "before") => return None,
            (_, "token" | "invitationToken") => json!(self.link_token),
            (_, "id" | "ids") => json!(self.invitation_id),
            (_, "email" | "emails") => json!(format!("probe{serial}@example.com")),
            (_, "username") => json!(format!("probe{serial}")),
            (_, "name") => json!(format!("probe-{serial}")),
            (_, "login") => json!(self.login),
            (_, "password") => json!(PASSWORD),
            (_, "allowedEmailDomains") => json!("example.com"),
            (_, "representations") => json!({ "__typename": "Organization", "id": self.org_id }),
            _ => match scalar {
                "Int" => json!(5),
                "Boolean" => json!(false),
                "DateTime" => json!(from_now(Span::days(1))),
                "ID" => json!(self.invitation_id),
                "JSON" => json!({ "probe": serial }),
                _ => json!("probe"),
            },
        };
        Some(value)
    }

    /// The variables of `target`'s operation: valid values per `fill`, with `value` at the
    /// target's path (a `@oneOf` object on the way keeps only the field on the path).
    fn variables(&self, schema: &Schema, target: &Target, context: &Context, value: Json) -> Json {
        let op = &schema.operations[target.operation];
        let fill = context.fill;
        let mut variables = Map::new();
        for arg in &op.args {
            if (arg.required() || fill == Fill::Every)
                && let Some(valid) = self.valid(schema, &op.field, &arg.name, &arg.ty, fill)
            {
                variables.insert(arg.name.clone(), valid);
            }
        }
        remove(&mut variables, &context.without);
        self.put(schema, &mut variables, None, &target.path, value, fill);
        let mut variables = Json::Object(variables);
        // Deleting the organization that every other operation names would leave them nothing
        // to work on: `deleteOrganization` gets one of its own.
        if op.field == "deleteOrganization" {
            retarget(&mut variables, &self.org_id, &self.doomed_org_id);
            retarget(&mut variables, &self.org_name, DOOMED_ORG);
        }
        variables
    }

    fn put(
        &self,
        schema: &Schema,
        object: &mut Map<String, Json>,
        container: Option<&str>,
        path: &[(String, String)],
        value: Json,
        fill: Fill,
    ) {
        let Some(((name, ty), below)) = path.split_first() else {
            return;
        };
        if container.is_some_and(|container| schema.def(container).one_of) {
            object.retain(|key, _| key == name);
        }
        if below.is_empty() {
            object.insert(name.clone(), value);
            return;
        }
        let slot = object.entry(name.clone()).or_insert(Json::Null);
        if !slot.is_object() {
            *slot = self.valid_object(schema, ty, fill);
        }
        let slot = slot.as_object_mut().expect("an input object");
        self.put(schema, slot, Some(ty), below, value, fill);
    }

    /// Values at and past the boundaries of `ty`, for `field` of `parent`.
    fn probes(&self, schema: &Schema, parent: &str, field: &str, ty: &TypeRef) -> Vec<Probe> {
        match ty {
            TypeRef::NonNull(inner) => {
                let mut probes = self.probes(schema, parent, field, inner);
                for probe in probes.iter_mut().filter(|probe| probe.value.is_null()) {
                    *probe = misfit("null where a value is required", Json::Null);
                }
                probes
            }
            TypeRef::List(item) => self.list_probes(schema, parent, field, item),
            TypeRef::Named(name) => {
                let def = schema.def(name);
                let mut probes = vec![fits("null", Json::Null)];
                probes.extend(match def.kind.as_str() {
                    "INPUT_OBJECT" => self.object_probes(schema, name),
                    "ENUM" => enum_probes(&def.enum_values),
                    _ => scalar_probes(name),
                });
                probes
            }
        }
    }

    fn list_probes(
        &self,
        schema: &Schema,
        parent: &str,
        field: &str,
        item: &TypeRef,
    ) -> Vec<Probe> {
        let mut probes = vec![fits("null", Json::Null), fits("an empty list", json!([]))];
        if let Some(valid) = self.valid(schema, parent, field, item, Fill::Required) {
            let shown = excerpt(&valid.to_string(), 60);
            for count in [1, 101, 10_000, 40_000] {
                probes.push(fits(
                    format!("{count} × {shown}"),
                    Json::Array(vec![valid.clone(); count]),
                ));
            }
            probes.push(fits(
                format!("{shown} alone (a list of one)"),
                valid.clone(),
            ));
            probes.push(Probe {
                what: format!("[[{shown}]], a list in the list"),
                misfit: !item.is_list(),
                value: json!([[valid]]),
            });
            probes.push(Probe {
                what: format!("[{shown}, null]"),
                misfit: matches!(item, TypeRef::NonNull(_)),
                value: json!([valid, null]),
            });
        }
        for probe in self.probes(schema, parent, field, item) {
            probes.push(Probe {
                what: format!("[{}]", probe.what),
                value: json!([probe.value]),
                misfit: probe.misfit,
            });
        }
        probes
    }

    fn object_probes(&self, schema: &Schema, name: &str) -> Vec<Probe> {
        let def = schema.def(name);
        let required = self.valid_object(schema, name, Fill::Required);
        let every = self.valid_object(schema, name, Fill::Every);
        let mut probes = vec![fits("a valid object", required.clone())];
        if keys(&every) != keys(&required) {
            probes.push(fits("a valid object with every field", every));
        }
        let mut deep = required.clone();
        deep["nested"] = nested(99);
        let mut unknown = required.clone();
        for key in 0..1000 {
            unknown[format!("unknown{key}")] = json!(key);
        }
        probes.extend([
            misfit("a string", json!("acme")),
            misfit("a list of a valid object", json!([required])),
            misfit("an object nested 100 deep", deep),
            misfit("1,000 unknown keys", unknown),
        ]);
        if def.one_of {
            let mut both = Map::new();
            let mut one_null = Map::new();
            for (index, field) in def.input_fields.iter().enumerate() {
                if let Some(value) =
                    self.valid(schema, name, &field.name, &field.ty, Fill::Required)
                {
                    both.insert(field.name.clone(), value.clone());
                    one_null.insert(
                        field.name.clone(),
                        if index == 0 { Json::Null } else { value },
                    );
                }
            }
            probes.extend([
                misfit("every field of a @oneOf", Json::Object(both)),
                misfit("no field of a @oneOf", json!({})),
                misfit(
                    "a null field beside a set one in a @oneOf",
                    Json::Object(one_null),
                ),
            ]);
            if let Some(first) = def.input_fields.first() {
                let mut only_null = Map::new();
                only_null.insert(first.name.clone(), Json::Null);
                probes.push(misfit(
                    "only a null field in a @oneOf",
                    Json::Object(only_null),
                ));
            }
        } else if def.input_fields.iter().any(InputValue::required) {
            probes.push(misfit("an empty object", json!({})));
        }
        probes
    }
}

fn enum_probes(values: &[String]) -> Vec<Probe> {
    let mut probes: Vec<Probe> = values
        .iter()
        .map(|value| fits(value, json!(value)))
        .collect();
    if let Some(first) = values.first() {
        probes.push(misfit(
            format!("{first} in lower case"),
            json!(first.to_lowercase()),
        ));
    }
    probes.extend([
        misfit("an unknown value", json!("NOT_A_VALUE")),
        misfit("an empty string", json!("")),
        misfit("a number", json!(1)),
    ]);
    probes
}

fn scalar_probes(name: &str) -> Vec<Probe> {
    match name {
        "String" => string_probes(false),
        "ID" => string_probes(true),
        "Int" => vec![
            fits("0", json!(0)),
            fits("-1", json!(-1)),
            fits("1", json!(1)),
            fits("i32::MAX", json!(i32::MAX)),
            fits("i32::MIN", json!(i32::MIN)),
            misfit("i32::MAX + 1", json!(i64::from(i32::MAX) + 1)),
            misfit("i32::MIN - 1", json!(i64::from(i32::MIN) - 1)),
            misfit("1e30", json!(1e30)),
            misfit("1.5", json!(1.5)),
            misfit("the text \"12\"", json!("12")),
            misfit("a boolean", json!(true)),
        ],
        "Boolean" => vec![
            fits("true", json!(true)),
            fits("false", json!(false)),
            misfit("the text \"true\"", json!("true")),
            misfit("the number 1", json!(1)),
        ],
        "DateTime" => vec![
            fits("year 1", json!("0001-01-01T00:00:00Z")),
            fits("the Unix epoch", json!("1970-01-01T00:00:00Z")),
            fits("an hour ago", json!(from_now(-Span::hours(1)))),
            fits("in a minute", json!(from_now(Span::minutes(1)))),
            fits(
                "in 30 days less a minute",
                json!(from_now(Span::days(30) - Span::minutes(1))),
            ),
            fits(
                "in 30 days and a minute",
                json!(from_now(Span::days(30) + Span::minutes(1))),
            ),
            fits(
                "year 9999 at offset -23:59",
                json!("9999-12-31T23:59:59-23:59"),
            ),
            misfit("year +262143", json!("+262143-12-31T23:59:59Z")),
            misfit("not a date", json!("not a date")),
            misfit("a number", json!(1_767_225_600)),
            misfit("an empty string", json!("")),
            misfit("February 30", json!("2026-02-30T00:00:00Z")),
            misfit("no offset", json!("2026-12-01T09:30:00")),
        ],
        // Any JSON value fits the type; the field decides what it takes (metadata: a small,
        // shallow object).
        "JSON" => vec![
            fits("an empty object", json!({})),
            fits("a list", json!([1, 2, 3])),
            fits("a string", json!("text")),
            fits("an object nested 100 deep", nested(100)),
            fits("an object of 10,000 keys", {
                let keys = (0..10_000).map(|i| (format!("k{i}"), json!(i)));
                Json::Object(keys.collect())
            }),
        ],
        // `_Any`, the federation representation: an object naming an entity type and its
        // key. Anything else names no entity, and is refused as a bad argument.
        _ => vec![
            fits(
                "a representation with a 100,000-character id",
                json!({ "__typename": "Invitation", "id": "9".repeat(100_000) }),
            ),
            fits(
                "a representation with a NUL in its id",
                json!({ "__typename": "Organization", "id": "1\u{0}" }),
            ),
            fits(
                "a representation with a numeric id",
                json!({ "__typename": "User", "id": i64::MAX }),
            ),
            misfit("a string", json!("x")),
            misfit("100,000 characters", json!("x".repeat(100_000))),
            misfit("1e30", json!(1e30)),
            misfit("a boolean", json!(true)),
            misfit("an empty object", json!({})),
            misfit("a list", json!([1, 2])),
            misfit(
                "an unknown __typename",
                json!({ "__typename": "Nope", "id": "1" }),
            ),
            misfit(
                "a representation without its key",
                json!({ "__typename": "Organization" }),
            ),
            misfit("an object nested 100 deep", nested(100)),
        ],
    }
}

fn string_probes(id: bool) -> Vec<Probe> {
    let email = format!("{}@example.com", "a".repeat(388));
    let mut probes = vec![
        fits("an empty string", json!("")),
        fits("1 character", json!("a")),
        fits("255 characters", json!("x".repeat(255))),
        fits("256 characters", json!("x".repeat(256))),
        fits("10,000 characters", json!("x".repeat(10_000))),
        fits("100,000 characters", json!("x".repeat(100_000))),
        fits("256 4-byte emoji", json!("\u{1f600}".repeat(256))),
        fits("only white space", json!(" \t\r\n ")),
        fits("a NUL character", json!("a\u{0}b")),
        fits(
            "a right-to-left override",
            json!("\u{202e}moc.elpmaxe@evil"),
        ),
        fits(
            "a zero-width joiner sequence",
            json!("\u{1f469}\u{200d}\u{1f469}\u{200d}\u{1f467}"),
        ),
        fits(
            "stacked combining marks",
            json!(format!("e{}", "\u{301}\u{316}\u{35c}".repeat(30))),
        ),
        fits("a 4-byte emoji", json!("\u{1f600}")),
        fits("backslashes and quotes", json!(r#"\"'`\\\"#)),
        fits("SQL", json!("' OR 1=1 --")),
        fits("a percent-encoded NUL", json!("%00")),
        fits("a 400-character email address", json!(email)),
        misfit("a boolean", json!(true)),
        misfit("a fraction", json!(1.5)),
        misfit("an object", json!({ "value": "x" })),
    ];
    if id {
        probes.extend([
            fits("an integer", json!(42)),
            fits("i64::MAX", json!(i64::MAX)),
            fits("i64::MAX as text", json!(i64::MAX.to_string())),
            fits("i64::MAX + 1 as text", json!("9223372036854775808")),
            fits("-1 as text", json!("-1")),
            fits("0 as text", json!("0")),
            misfit("u64::MAX", json!(u64::MAX)),
        ]);
    } else {
        probes.push(misfit("an integer", json!(42)));
    }
    probes
}

/// Removes the field at `path`, if there is one.
fn remove(object: &mut Map<String, Json>, path: &[String]) {
    match path {
        [] => {}
        [name] => {
            object.remove(name);
        }
        [name, below @ ..] => {
            if let Some(Json::Object(inner)) = object.get_mut(name) {
                remove(inner, below);
            }
        }
    }
}

/// `{"nested": {"nested": … {}}}`, `depth` objects in all.
fn nested(depth: usize) -> Json {
    (1..depth).fold(json!({}), |inner, _| json!({ "nested": inner }))
}

/// The keys of an object, recursively (values left out).
fn keys(value: &Json) -> Json {
    match value {
        Json::Object(object) => Json::Object(
            object
                .iter()
                .map(|(key, value)| (key.clone(), keys(value)))
                .collect(),
        ),
        _ => Json::Null,
    }
}

fn excerpt(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(chars).collect();
    short.push('…');
    short
}

// ---- requests and the contract ----

/// One request of the campaign.
struct Case {
    operation: usize,
    label: String,
    caller: Option<String>,
    context: Context,
    probe: Probe,
    variables: Json,
}

impl Case {
    fn describe(&self) -> String {
        let caller = if self.caller.is_some() {
            "as admin"
        } else {
            "anonymous"
        };
        format!(
            "{} = {} [{caller}, {}]",
            self.label,
            self.probe.what,
            self.context.label()
        )
    }
}

/// An answer: its status, body and how long it took.
struct Answer {
    status: u16,
    body: String,
    elapsed: Duration,
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    document: &str,
    variables: &Json,
    token: Option<&str>,
) -> Result<Answer, String> {
    let mut request = client
        .post(url)
        .timeout(Duration::from_secs(REQUEST_TIMEOUT_SECONDS + 5))
        .json(&json!({ "query": document, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let started = Instant::now();
    let answer = async {
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok::<_, reqwest::Error>((status, response.text().await?))
    }
    .await;
    let elapsed = started.elapsed();
    match answer {
        Ok((status, body)) => Ok(Answer {
            status,
            body,
            elapsed,
        }),
        Err(error) => Err(format!("no answer after {elapsed:.1?}: {error}")),
    }
}

/// What is wrong with an answer; empty when it keeps the contract.
fn judge(answer: &Answer, misfit: bool) -> Vec<String> {
    let mut problems = Vec::new();
    if answer.status >= 500 {
        problems.push(format!("HTTP {}", answer.status));
    }
    if answer.elapsed >= Duration::from_secs(REQUEST_TIMEOUT_SECONDS) {
        problems.push(format!(
            "answered after {:.1?}, not before the {REQUEST_TIMEOUT_SECONDS} s request timeout",
            answer.elapsed
        ));
    }
    let Ok(body) = serde_json::from_str::<Json>(&answer.body) else {
        problems.push("the body is not JSON".to_owned());
        return problems;
    };
    let errors = match body.get("errors") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::Array(errors)) => errors.clone(),
        Some(_) => {
            problems.push("`errors` is not a list".to_owned());
            Vec::new()
        }
    };
    for error in &errors {
        let message = error["message"].as_str().unwrap_or_default();
        let Some(code) = error["extensions"]["code"].as_str() else {
            problems.push("an error without extensions.code".to_owned());
            continue;
        };
        if code == "INTERNAL_SERVER_ERROR" {
            problems.push("INTERNAL_SERVER_ERROR".to_owned());
        } else if !KNOWN_CODES.contains(&code) {
            problems.push(format!("unknown code {code}"));
        } else if code != "BAD_USER_INPUT" {
            if misfit {
                problems.push(format!(
                    "{code}, not BAD_USER_INPUT, for a value that does not fit the type"
                ));
            } else if ARGUMENT_VALUE_ERRORS
                .iter()
                .any(|start| message.starts_with(start))
            {
                problems.push(format!("{code} for a bad argument value"));
            } else if code.starts_with("GRAPHQL_") {
                problems.push(format!("{code} for a value of the argument's type"));
            }
        }
    }
    if errors.is_empty() {
        if misfit {
            problems.push("a value that does not fit the type was accepted".to_owned());
        }
        if body.get("data").is_none_or(Json::is_null) {
            problems.push("neither data nor errors".to_owned());
        }
    }
    problems.dedup();
    problems
}

/// What an answer was, for the campaign's tally: data, or the first error's code.
fn outcome(answer: &Answer) -> String {
    let body = serde_json::from_str::<Json>(&answer.body).unwrap_or_default();
    match body["errors"][0]["extensions"]["code"].as_str() {
        Some(code) => code.to_owned(),
        None if body["errors"].is_array() => "error without a code".to_owned(),
        None => "data".to_owned(),
    }
}

fn has_code(body: &str, code: &str) -> bool {
    serde_json::from_str::<Json>(body).is_ok_and(|body| {
        body["errors"].as_array().is_some_and(|errors| {
            errors
                .iter()
                .any(|error| error["extensions"]["code"] == code)
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_argument_answers_hostile_values_in_time_with_coded_errors() {
    let app = TestApp::spawn_with(|settings| {
        settings.request_timeout_seconds = REQUEST_TIMEOUT_SECONDS;
    })
    .await;
    // The first account is the server admin; it also administers the organization.
    let (admin, _) = register(&app, "root").await;
    let org_id = create_org(&app, &admin, "acme").await;
    let doomed_org_id = create_org(&app, &admin, DOOMED_ORG).await;
    let (invitation_id, _) = invite_one(&app, &admin, "acme", "bob@example.com").await;
    let (_, link_token) = create_link(&app, &admin, "acme", None).await;
    let world = World {
        org_name: "acme".to_owned(),
        org_id,
        doomed_org_id,
        invitation_id,
        link_token,
        login: "root".to_owned(),
        serial: AtomicUsize::new(0),
    };
    let schema = Schema::introspect(&app, &admin).await;
    let documents: Vec<String> = schema.operations.iter().map(Operation::document).collect();
    let url = format!("{}/graphql", app.address);
    let client = app.http();
    let started = Instant::now();
    let mut violations = Vec::new();
    let mut requests = 0_usize;

    // Each operation with valid values, as admin and anonymously; the anonymous caller then
    // probes the operations that do not need a signed-in caller.
    let mut anonymous_may_call = vec![false; schema.operations.len()];
    for (index, op) in schema.operations.iter().enumerate() {
        let target = Target {
            operation: index,
            path: Vec::new(),
            ty: TypeRef::Named(String::new()),
            parent: op.field.clone(),
        };
        for caller in [Some(admin.as_str()), None] {
            let variables = world.variables(&schema, &target, &Context::required(), Json::Null);
            requests += 1;
            let who = if caller.is_some() {
                "as admin"
            } else {
                "anonymous"
            };
            match post(client, &url, &documents[index], &variables, caller).await {
                Ok(answer) => {
                    let problems = judge(&answer, false);
                    if !problems.is_empty() {
                        violations.push(format!(
                            "{} with valid values [{who}] — {}; HTTP {}: {}",
                            op.field,
                            problems.join("; "),
                            answer.status,
                            excerpt(&answer.body, EXCERPT_CHARS)
                        ));
                    }
                    if caller.is_none() {
                        anonymous_may_call[index] = !has_code(&answer.body, "UNAUTHENTICATED");
                    }
                }
                Err(error) => violations.push(format!("{} [{who}] — {error}", op.field)),
            }
        }
    }

    let targets = schema.targets();
    // Around each target, the valid values it is probed with: the required ones, and the
    // fullest set the server accepts with the target itself valid.
    let chosen: Vec<(Vec<Context>, Vec<String>, usize)> = stream::iter(&targets)
        .map(|target| {
            let (url, documents, admin) = (&url, &documents, admin.as_str());
            let (world, schema) = (&world, &schema);
            async move {
                let (field, _) = target.path.last().expect("a path");
                let valid = world
                    .valid(schema, &target.parent, field, &target.ty, Fill::Every)
                    .unwrap_or(Json::Null);
                let required = Context::required();
                let shape = keys(&world.variables(schema, target, &required, Json::Null));
                let (mut accepted, mut fallback) = (None, None);
                let (mut violations, mut sent) = (Vec::new(), 0);
                for candidate in Context::candidates(schema, target) {
                    if keys(&world.variables(schema, target, &candidate, Json::Null)) == shape {
                        continue;
                    }
                    let variables = world.variables(schema, target, &candidate, valid.clone());
                    let document = &documents[target.operation];
                    sent += 1;
                    let described = format!(
                        "{} = a valid value [as admin, {}]",
                        target.label(schema),
                        candidate.label()
                    );
                    match post(client, url, document, &variables, Some(admin)).await {
                        Ok(answer) => {
                            let problems = judge(&answer, false);
                            if !problems.is_empty() {
                                violations.push(format!(
                                    "{described} — {}; HTTP {}: {}",
                                    problems.join("; "),
                                    answer.status,
                                    excerpt(&answer.body, EXCERPT_CHARS)
                                ));
                            }
                            if outcome(&answer) == "data" {
                                accepted = Some(candidate);
                                break;
                            }
                        }
                        Err(error) => violations.push(format!("{described} — {error}")),
                    }
                    fallback.get_or_insert(candidate);
                }
                let mut contexts = vec![required];
                contexts.extend(accepted.or(fallback));
                (contexts, violations, sent)
            }
        })
        .buffered(IN_FLIGHT)
        .collect()
        .await;
    let cases = targets
        .iter()
        .zip(&chosen)
        .flat_map(|(target, (contexts, _, _))| {
            let label = target.label(&schema);
            let (field, _) = target.path.last().expect("a path");
            let probes = world.probes(&schema, &target.parent, field, &target.ty);
            let mut callers = vec![Some(admin.clone())];
            if anonymous_may_call[target.operation] {
                callers.push(None);
            }
            let mut cases = Vec::new();
            for context in contexts {
                for caller in &callers {
                    for probe in &probes {
                        cases.push(Case {
                            operation: target.operation,
                            label: label.clone(),
                            caller: caller.clone(),
                            context: context.clone(),
                            variables: world.variables(
                                &schema,
                                target,
                                context,
                                probe.value.clone(),
                            ),
                            probe: probe.clone(),
                        });
                    }
                }
            }
            cases
        });
    let outcomes: Vec<(String, Option<String>)> = stream::iter(cases)
        .map(|case| {
            let (url, documents) = (&url, &documents);
            async move {
                let document = &documents[case.operation];
                let token = case.caller.as_deref();
                match post(client, url, document, &case.variables, token).await {
                    Ok(answer) => {
                        let problems = judge(&answer, case.probe.misfit);
                        let violation = (!problems.is_empty()).then(|| {
                            format!(
                                "{} — {}; HTTP {}: {}",
                                case.describe(),
                                problems.join("; "),
                                answer.status,
                                excerpt(&answer.body, EXCERPT_CHARS)
                            )
                        });
                        (outcome(&answer), violation)
                    }
                    Err(error) => (
                        "no answer".to_owned(),
                        Some(format!("{} — {error}", case.describe())),
                    ),
                }
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    requests += outcomes.len();
    for (_, found, sent) in chosen {
        violations.extend(found);
        requests += sent;
    }
    let mut tally = std::collections::BTreeMap::<String, usize>::new();
    for (outcome, violation) in outcomes {
        *tally.entry(outcome).or_default() += 1;
        violations.extend(violation);
    }

    // The server is still up and still answers a normal query.
    let health = client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("/healthz answers after the campaign");
    assert_eq!(health.status(), 200);
    // By id: a hostile value may have been a valid new name for the organization.
    let normal = app
        .graphql(
            "query($org: ID!) { orgInvitations(org: { id: $org }, first: 5) {
                totalCount nodes { status } } }",
            json!({ "org": world.org_id }),
            Some(&admin),
        )
        .await;
    assert!(
        data(&normal)["orgInvitations"]["totalCount"].as_i64() >= Some(1),
        "{normal:#}"
    );

    let arguments: usize = schema.operations.iter().map(|op| op.args.len()).sum();
    eprintln!(
        "hostile inputs: {} operations, {arguments} arguments, {} argument paths, {requests} \
         requests in {:.1?} ({tally:?}), {} violations",
        schema.operations.len(),
        targets.len(),
        started.elapsed(),
        violations.len()
    );
    if !violations.is_empty() {
        let shown: Vec<&str> = violations
            .iter()
            .take(SHOWN_VIOLATIONS)
            .map(String::as_str)
            .collect();
        panic!(
            "{} of {requests} requests broke the contract{}:\n  {}",
            violations.len(),
            if violations.len() > SHOWN_VIOLATIONS {
                format!(" (the first {SHOWN_VIOLATIONS} shown)")
            } else {
                String::new()
            },
            shown.join("\n  ")
        );
    }
}

// ---- the binary ----

const STATUS_FILTER: &str = "query($statuses: [InvitationStatus!]) {
  orgInvitations(org: { name: \"acme\" }, status: $statuses) { totalCount nodes { email status } } }";

/// Posts a GraphQL request to a server at `base`; returns the status and the JSON body, or
/// why there was no answer.
async fn post_json(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    query: &str,
    variables: Json,
) -> Result<(u16, Json), String> {
    let response = client
        .post(format!("{base}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status().as_u16();
    let body = response.text().await.map_err(|error| error.to_string())?;
    let json = serde_json::from_str(&body)
        .map_err(|_| format!("the response is not JSON (HTTP {status}): {body}"))?;
    Ok((status, json))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_filter_of_40000_entries_is_refused_and_the_process_keeps_serving() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    invite_one(&app, &alice, "acme", "bob@example.com").await;
    let files = tempfile::tempdir().unwrap();
    let env = [
        ("DOORMAN_TOKEN_SECRET", TOKEN_SECRET),
        ("DOORMAN_LOG", "warn"),
        ("DOORMAN_OUTBOX_WORKER", "false"),
    ];
    let (mut server, base) = serve_binary_on(app.database_url(), files.path(), &env).await;
    let client = reqwest::Client::new();

    // 40,000 entries is about 440 KB of JSON, well inside the 1 MiB body limit.
    for count in [40_000, 2_000, 7] {
        let statuses = json!({ "statuses": vec!["PENDING"; count] });
        let answer = post_json(&client, &base, &alice, STATUS_FILTER, statuses).await;
        let exited = server.try_wait().unwrap();
        let (status, body) = answer.unwrap_or_else(|error| {
            panic!("no answer to a filter of {count} statuses: {error} (server exit: {exited:?})")
        });

        assert!(
            exited.is_none(),
            "the server exited ({exited:?}) after a filter of {count} statuses"
        );
        assert!(status < 500, "HTTP {status} for {count} statuses: {body:#}");
        assert_error_code(&body, "BAD_USER_INPUT");
        assert!(
            str_of(&body["errors"][0]["message"]).contains("at most 6 statuses"),
            "{body:#}"
        );
    }
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let repeated = json!({ "statuses": ["PENDING", "PENDING", "EXPIRED"] });
    let (_, repeated) = post_json(&client, &base, &alice, STATUS_FILTER, repeated)
        .await
        .expect("an answer to a filter of 3 statuses");
    let every = json!({
        "statuses": ["PENDING", "ACCEPTED", "USED_UP", "DECLINED", "CANCELLED", "EXPIRED"]
    });
    let (_, all) = post_json(&client, &base, &alice, STATUS_FILTER, every)
        .await
        .expect("an answer to a filter of every status");

    assert_eq!(
        data(&repeated)["orgInvitations"]["totalCount"],
        1,
        "{repeated:#}"
    );
    assert_eq!(
        data(&repeated)["orgInvitations"]["nodes"][0]["email"],
        "bob@example.com"
    );
    assert_eq!(data(&all)["orgInvitations"]["totalCount"], 1, "{all:#}");
    assert!(server.try_wait().unwrap().is_none(), "the server exited");
}

/// An argument value that does not fit its type is the caller's mistake, `BAD_USER_INPUT`,
/// whether the engine catches it while validating (an `Int` literal or variable out of range, a
/// number for an `ID`) or while executing (a `DateTime` inside an input object). Schemathesis
/// found the first kind answered `GRAPHQL_VALIDATION_FAILED`. Nothing is written either way.
#[tokio::test]
async fn argument_values_out_of_range_are_bad_user_input() {
    let app = TestApp::spawn().await;
    let (alice, _) = register(&app, "alice").await;
    create_org(&app, &alice, "acme").await;
    let out_of_range_date = "+262143-12-31T23:59:59Z";
    let cases = [
        (
            "{ orgInvitations(org: { name: \"acme\" }, first: 99999999999) { totalCount } }",
            json!({}),
        ),
        (
            "query($first: Int) { orgInvitations(org: { name: \"acme\" }, first: $first) { totalCount } }",
            json!({ "first": 99_999_999_999_i64 }),
        ),
        (
            "query($first: Int) { orgInvitations(org: { name: \"acme\" }, first: $first) { totalCount } }",
            json!({ "first": 1.5 }),
        ),
        ("mutation { cancel(id: 1.5) { id } }", json!({})),
        (
            "mutation($id: ID!) { cancel(id: $id) { id } }",
            json!({ "id": 1e30 }),
        ),
        (
            "mutation { createInviteLink(input: { org: { name: \"acme\" }, maxUses: 2147483648 }) { id } }",
            json!({}),
        ),
        (
            "mutation($at: DateTime) { createInviteLink(input: { org: { name: \"acme\" }, expiresAt: $at }) { id } }",
            json!({ "at": out_of_range_date }),
        ),
        (
            "mutation($input: CreateInviteLinkInput!) { createInviteLink(input: $input) { id } }",
            json!({ "input": { "org": { "name": "acme" }, "expiresAt": "2026-13-45T99:00:00Z" } }),
        ),
        (
            "mutation { createInviteLink(input: { org: { id: \"1\", name: \"acme\" } }) { id } }",
            json!({}),
        ),
        (
            "mutation { createInviteLink(input: { org: { name: \"acme\" }, role: OWNER }) { id } }",
            json!({}),
        ),
    ];
    for (query, variables) in cases {
        let response = app.graphql(query, variables.clone(), Some(&alice)).await;
        assert_error_code(&response, "BAD_USER_INPUT");
        assert!(
            response["errors"]
                .as_array()
                .unwrap()
                .iter()
                .all(|error| error["extensions"]["code"] == "BAD_USER_INPUT"),
            "{query} {variables}: {response:#}"
        );
    }
    // An id that fits no row is simply unknown; a document that asks for what does not exist
    // is still a validation failure.
    let response = app
        .graphql(
            "mutation { cancel(id: \"99999999999999999999\") { id } }",
            json!({}),
            Some(&alice),
        )
        .await;
    assert_error_code(&response, "NOT_FOUND");
    let response = app
        .graphql("{ orgInvitations { totalCount } }", json!({}), Some(&alice))
        .await;
    assert_error_code(&response, "GRAPHQL_VALIDATION_FAILED");
    assert_eq!(app.rows("invitations").await, 0);
}
