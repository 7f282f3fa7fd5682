//! Limits on what one GraphQL operation may ask for: document length, then its shape (tokens,
//! directives, nesting, fields and aliases with fragments expanded: [`super::shape`]) as the
//! document parses ([`super::engine::Engine::document`]), depth and complexity (the
//! schema's own limits, checked during validation, and measured for the message by a copy of
//! the schema, [`Measure`]). Each refusal is `BAD_USER_INPUT` and names the limit, its value and
//! the setting that raises it.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Positioned, Response, ServerError, ValidationResult, Value, Variables};
use async_graphql_value::Value as ConstOrVariable;

use crate::config::QueryLimits;
use crate::error::ErrorCode;

/// Refuses a document longer than the limit, before it is parsed.
pub fn check_length(query: &str, limits: &QueryLimits) -> Result<(), ServerError> {
    let chars = query.chars().count();
    if chars > limits.max_document_chars {
        return Err(refusal(
            format!(
                "the document has {chars} characters; at most {} are allowed",
                limits.max_document_chars
            ),
            "DOORMAN_MAX_DOCUMENT_CHARS",
        ));
    }
    Ok(())
}

/// A request's depth and complexity, as the schema's validation measures them.
#[derive(Clone, Copy, Debug)]
pub struct Measures {
    pub depth: usize,
    pub complexity: usize,
}

impl Measures {
    /// What a response of the measuring schema ([`Measure`]) reports; `None` when the request
    /// did not pass validation.
    pub fn of(response: &Response) -> Option<Self> {
        let extensions = response.errors.first()?.extensions.as_ref()?;
        let number = |name: &str| match extensions.get(name)? {
            Value::Number(number) => number.as_u64().and_then(|n| usize::try_from(n).ok()),
            _ => None,
        };
        Some(Self {
            depth: number(MEASURED_DEPTH)?,
            complexity: number(MEASURED_COMPLEXITY)?,
        })
    }

    /// The refusal when the request is over the depth or the complexity limit.
    pub fn refusal(&self, limits: &QueryLimits) -> Option<ServerError> {
        if self.depth > limits.max_query_depth {
            Some(Self::depth_refusal(Some(self.depth), limits))
        } else if self.complexity > limits.max_query_complexity {
            Some(Self::complexity_refusal(Some(self.complexity), limits))
        } else {
            None
        }
    }

    fn depth_refusal(depth: Option<usize>, limits: &QueryLimits) -> ServerError {
        let max = limits.max_query_depth;
        refusal(
            match depth {
                Some(depth) => {
                    format!("the query is nested {depth} levels deep; at most {max} are allowed")
                }
                None => format!("the query is nested more than {max} levels deep"),
            },
            "DOORMAN_MAX_QUERY_DEPTH",
        )
    }

    fn complexity_refusal(complexity: Option<usize>, limits: &QueryLimits) -> ServerError {
        let max = limits.max_query_complexity;
        refusal(
            match complexity {
                Some(complexity) => format!(
                    "the query's complexity is {complexity}; at most {max} is allowed (lists count their fields `first` times)"
                ),
                None => format!(
                    "the query's complexity is over {max} (lists count their fields `first` times)"
                ),
            },
            "DOORMAN_MAX_QUERY_COMPLEXITY",
        )
    }
}

/// Whether `error` is the schema's own depth or complexity refusal (the schema has
/// `limit_depth` and `limit_complexity` from the same settings).
pub fn is_limit_refusal(error: &ServerError) -> bool {
    error.message == DEPTH_REFUSED || error.message == COMPLEXITY_REFUSED
}

/// The schema's own depth or complexity refusal in the words of the other limits, with the
/// request's measures when they are known (the schema's message names neither the measure nor
/// the setting); `None` for any other error.
pub fn limit_refusal(
    error: &ServerError,
    measures: Option<Measures>,
    limits: &QueryLimits,
) -> Option<ServerError> {
    match error.message.as_str() {
        DEPTH_REFUSED => Some(Measures::depth_refusal(measures.map(|m| m.depth), limits)),
        COMPLEXITY_REFUSED => Some(Measures::complexity_refusal(
            measures.map(|m| m.complexity),
            limits,
        )),
        _ => None,
    }
}

const DEPTH_REFUSED: &str = "Query is nested too deep.";
const COMPLEXITY_REFUSED: &str = "Query is too complex.";
const MEASURED_DEPTH: &str = "measuredDepth";
const MEASURED_COMPLEXITY: &str = "measuredComplexity";

/// The one extension of the measuring copy of the schema, which has no depth or complexity
/// limit: it stops every request after validation, with the request's [`Measures`] in the
/// error. It runs only for requests that need their measures reported, never on the schema
/// that executes requests (an extension there would run for every field).
pub struct Measure;

impl ExtensionFactory for Measure {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Measure)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Measure {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let mut stop = ServerError::new("measured", None);
        let extensions = stop.extensions.get_or_insert_with(Default::default);
        extensions.set(MEASURED_DEPTH, result.depth as u64);
        extensions.set(MEASURED_COMPLEXITY, result.complexity as u64);
        Err(vec![stop])
    }
}

/// `BAD_USER_INPUT` naming the setting that raises the limit.
pub(crate) fn refusal(message: String, setting: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", ErrorCode::BadUserInput.as_str());
    extensions.set("limit", setting);
    error
}

/// Refuses a request whose `_entities` fields name more than `max` representations in all,
/// counted in the literal lists and in the variables they name, before any is resolved.
pub fn check_entities(
    document: &ExecutableDocument,
    variables: &Variables,
    max: usize,
) -> Result<(), ServerError> {
    let mut count = 0_usize;
    for (_, operation) in document.operations.iter() {
        count = count.saturating_add(root_entities(
            document,
            &operation.node.selection_set,
            variables,
            0,
        ));
    }
    if count > max {
        return Err(refusal(
            format!("the request names {count} entity representations; at most {max} are allowed"),
            "DOORMAN_MAX_ENTITIES",
        ));
    }
    Ok(())
}

/// Representations named by the `_entities` fields of a root selection set (and of the
/// fragments it spreads, which [`super::shape`] has already bounded).
fn root_entities(
    document: &ExecutableDocument,
    set: &Positioned<SelectionSet>,
    variables: &Variables,
    level: usize,
) -> usize {
    if level > MAX_ROOT_FRAGMENT_LEVELS {
        return 0;
    }
    set.node
        .items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(field) if field.node.name.node == "_entities" => field
                .node
                .get_argument("representations")
                .map_or(0, |value| match &value.node {
                    ConstOrVariable::List(items) => items.len(),
                    ConstOrVariable::Variable(name) => match variables.get(name) {
                        Some(Value::List(items)) => items.len(),
                        _ => 0,
                    },
                    _ => 0,
                }),
            Selection::Field(_) => 0,
            Selection::InlineFragment(inline) => {
                root_entities(document, &inline.node.selection_set, variables, level + 1)
            }
            Selection::FragmentSpread(spread) => document
                .fragments
                .get(&spread.node.fragment_name.node)
                .map_or(0, |fragment| {
                    root_entities(document, &fragment.node.selection_set, variables, level + 1)
                }),
        })
        .fold(0, usize::saturating_add)
}

/// Deeper than this, fragments at the root are over the recursion limit anyway.
const MAX_ROOT_FRAGMENT_LEVELS: usize = 256;

/// Refuses text with a NUL character anywhere in the request's arguments, literal or in
/// variables: no name, email, token or message holds one, and PostgreSQL cannot store it
/// (it would fail the statement), so every backend refuses it alike, before anything runs.
pub fn check_no_nul(
    document: &ExecutableDocument,
    variables: &Variables,
) -> Result<(), ServerError> {
    let in_variables = variables.iter().any(|(_, value)| const_has_nul(value));
    let in_document = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set)
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| &fragment.node.selection_set),
        )
        .any(|set| set_has_nul(&set.node));
    if in_variables || in_document {
        let mut error = ServerError::new(
            "text arguments may not contain the NUL character (\\u0000)",
            None,
        );
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", ErrorCode::BadUserInput.as_str());
        return Err(error);
    }
    Ok(())
}

fn set_has_nul(set: &SelectionSet) -> bool {
    set.items.iter().any(|selection| match &selection.node {
        Selection::Field(field) => {
            field
                .node
                .arguments
                .iter()
                .any(|(_, value)| value_has_nul(&value.node))
                || field
                    .node
                    .directives
                    .iter()
                    .flat_map(|directive| &directive.node.arguments)
                    .any(|(_, value)| value_has_nul(&value.node))
                || set_has_nul(&field.node.selection_set.node)
        }
        Selection::InlineFragment(inline) => set_has_nul(&inline.node.selection_set.node),
        Selection::FragmentSpread(_) => false,
    })
}

fn value_has_nul(value: &ConstOrVariable) -> bool {
    match value {
        ConstOrVariable::String(text) => text.contains('\0'),
        ConstOrVariable::List(items) => items.iter().any(value_has_nul),
        ConstOrVariable::Object(fields) => fields
            .iter()
            .any(|(name, value)| name.contains('\0') || value_has_nul(value)),
        _ => false,
    }
}

fn const_has_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::List(items) => items.iter().any(const_has_nul),
        Value::Object(fields) => fields
            .iter()
            .any(|(name, value)| name.contains('\0') || const_has_nul(value)),
        _ => false,
    }
}
