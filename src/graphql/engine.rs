//! How every GraphQL request runs, over HTTP and WebSocket alike, around the schema: the
//! document's limits (its text before it is parsed, its shape before anything expands it:
//! [`shape`]), the operation's metrics and log name, the error codes, and the response laid
//! out as the GraphQL spec asks ([`super::completion`]).
//!
//! This is an [`Executor`] wrapping the schema rather than a set of schema extensions: once a
//! schema has any extension, async-graphql sends every field of every response through the
//! extension chain (a registry lookup and a boxed future per extension per field), which made
//! a page of 50 invitations cost a sixth more CPU. Nothing here needs to see single fields.
//! The depth and complexity limits are the schema's own; a copy of the schema without them
//! measures the requests they refuse, for the refusal's message ([`limits::Measure`]).

use std::any::TypeId;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{Data, Executor, Name, Positioned, Request, Response, ServerError, Variables};
use futures_util::StreamExt;
use futures_util::stream::{self, BoxStream};

use super::completion::{OutputTypes, Shape};
use super::limits::{self, Measures};
use super::schema::AppSchema;
use super::shape;
use crate::config::QueryLimits;
use crate::error::ErrorCode;
use crate::telemetry::{GaugeGuard, Metrics, OperationLabels};

/// The schema with what runs around each of its requests; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    schema: AppSchema,
    /// The schema without the depth and complexity limits, with [`limits::Measure`].
    measure: AppSchema,
    limits: Arc<QueryLimits>,
    metrics: Arc<Metrics>,
    /// The schema's output types, for completing responses ([`completion`]).
    types: Arc<OutputTypes>,
    /// How long a query or mutation sent over WebSocket may run (HTTP requests are held to
    /// the same time by the transport).
    request_timeout: Duration,
}

/// Marks a request whose text [`Engine::document`] has parsed.
struct Parsed;

/// What the measuring schema needs of a request: a copy of its text, variables and name.
struct Measurable {
    query: String,
    variables: Variables,
    operation_name: Option<String>,
}

impl Measurable {
    fn of(request: &Request) -> Self {
        Self {
            query: request.query.clone(),
            variables: request.variables.clone(),
            operation_name: request.operation_name.clone(),
        }
    }
}

impl Engine {
    pub fn new(
        schema: AppSchema,
        measure: AppSchema,
        limits: Arc<QueryLimits>,
        metrics: Arc<Metrics>,
        request_timeout: Duration,
    ) -> Self {
        let types = Arc::new(OutputTypes::from_sdl(&measure.sdl()));
        Self {
            schema,
            measure,
            limits,
            metrics,
            types,
            request_timeout,
        }
    }

    /// The shape of the operation a parsed request runs, to complete its responses with.
    fn shape(&self, request: &mut Request) -> Option<Shape> {
        let operation_name = request.operation_name.clone();
        let document = request.parsed_query().ok()?;
        self.types.shape(document, operation_name.as_deref())
    }

    /// The request's depth and complexity; `None` when it does not pass validation.
    async fn measures(&self, request: Measurable) -> Option<Measures> {
        let mut copy = Request::new(request.query).variables(request.variables);
        copy.operation_name = request.operation_name;
        Measures::of(&self.measure.execute(copy).await)
    }

    /// Runs a request and gives every error its code; a request over the depth or complexity
    /// limit is measured for the refusal's message.
    async fn run(&self, mut request: Request) -> Response {
        let measurable = Measurable::of(&request);
        let shape = self.shape(&mut request);
        let mut response = self.schema.execute(request).await;
        if let Some(shape) = shape {
            shape.complete(&mut response);
        }
        let measures = if response.errors.iter().any(limits::is_limit_refusal) {
            self.measures(measurable).await
        } else {
            None
        };
        self.with_codes(response, measures)
    }

    /// The request's document, parsed once (the schema reuses it) after its text passed the
    /// length and shape limits, and refused when its operations would be over the field,
    /// alias, recursion or entity limits once expanded. Errors carry their codes. A request
    /// without text carries a document already (a persisted query, checked when it was
    /// registered).
    pub fn document<'r>(
        &self,
        request: &'r mut Request,
    ) -> Result<&'r ExecutableDocument, ServerError> {
        if !request.query.is_empty() && !request.data.contains_key(&TypeId::of::<Parsed>()) {
            let document = self.parse(&request.query)?;
            request.set_parsed_query(document);
            request.data.insert(Parsed);
        }
        // The variables are set aside while the document is borrowed from the request.
        let variables = std::mem::take(&mut request.variables);
        let checked = match request.parsed_query() {
            Ok(document) => shape::check_document(document, &self.limits)
                .and_then(|_| {
                    limits::check_entities(document, &variables, self.limits.max_entities)
                })
                .and_then(|()| limits::check_no_nul(document, &variables)),
            Err(error) => Err(parse_failed(error)),
        };
        request.variables = variables;
        checked?;
        request.parsed_query().map_err(parse_failed)
    }

    /// Parses a document's text once it has passed the length and token limits.
    fn parse(&self, text: &str) -> Result<ExecutableDocument, ServerError> {
        limits::check_length(text, &self.limits)?;
        shape::check_text(text, &self.limits)?;
        self.metrics.documents_parsed.inc();
        async_graphql::parser::parse_query(text).map_err(|error| parse_failed(error.into()))
    }

    /// Parses a long-lived operation's document with no spare room in it: the parser's
    /// vectors grow by doubling, and a subscription keeps its document for as long as it is
    /// open (half of a typical one's 4.6 KB was spare capacity).
    fn parse_compact(&self, request: &mut Request) -> Result<(), ServerError> {
        let mut document = self.parse(&request.query)?;
        compact_document(&mut document);
        request.set_parsed_query(document);
        request.data.insert(Parsed);
        Ok(())
    }

    /// Parses the request and names its operation in the log span and the metrics.
    fn prepare(&self, request: &mut Request) -> Result<OperationLabels, ServerError> {
        let operation_name = request.operation_name.clone();
        let document = self.document(request)?;
        let labels = self.labels(document, operation_name.as_deref());
        tracing::Span::current().record("operation", labels.operation.as_str());
        Ok(labels)
    }

    /// The metric labels of the operation the request runs; `unknown` when the document does
    /// not say which.
    fn labels(&self, document: &ExecutableDocument, requested: Option<&str>) -> OperationLabels {
        let Some((name, ty)) = selected_operation(document, requested) else {
            return OperationLabels::unknown();
        };
        OperationLabels {
            operation: self.metrics.operation_label(name.as_deref()),
            r#type: ty.to_owned(),
        }
    }

    /// Every error leaves with an `extensions.code`; see [`Self::ensure_code`].
    fn with_codes(&self, mut response: Response, measures: Option<Measures>) -> Response {
        let executed = !matches!(response.data, async_graphql::Value::Null)
            || response.errors.iter().any(|err| !err.path.is_empty());
        for error in &mut response.errors {
            self.ensure_code(error, executed, measures);
        }
        response
    }

    /// Safety net: an error without a code gets one. A document refused before execution is
    /// `GRAPHQL_VALIDATION_FAILED`, unless it is over the depth or complexity limit, which is
    /// `BAD_USER_INPUT` naming the limit like the other limits. An argument value that does not
    /// fit its type (an `Int` out of range, a number for an `ID`, a `DateTime` that does not
    /// parse, a `@oneOf` with two fields) is `BAD_USER_INPUT`, whether validation or execution
    /// caught it: the engine checks literals and variables before execution but scalars inside
    /// input objects during it, and clients must not see the difference. Anything else that
    /// lacks a code is a forgotten `.extend()`: it is logged and replaced by a bare
    /// `INTERNAL_SERVER_ERROR`. Codes already set (the transport's, e.g.
    /// `PERSISTED_QUERY_NOT_FOUND`) are kept.
    fn ensure_code(&self, error: &mut ServerError, executed: bool, measures: Option<Measures>) {
        if has_code(error) {
            return;
        }
        if !executed && let Some(refusal) = limits::limit_refusal(error, measures, &self.limits) {
            *error = refusal;
            return;
        }
        // async-graphql's words for an argument that does not fit its type, and for a
        // federation representation that names no entity (`_entities` reads them as it runs).
        let input_error = error.message.starts_with("Failed to parse")
            || error.message.starts_with("Invalid value for argument")
            || error.message.starts_with("Expected input type")
            || error.message.contains("Oneof")
            || error.message == "Entity not found."
            || error.message.ends_with("must be an existing string.");
        let code = if input_error {
            ErrorCode::BadUserInput.as_str()
        } else if !executed {
            ErrorCode::GraphqlValidationFailed.as_str()
        } else {
            tracing::error!(message = %error.message, path = ?error.path, "error without a code");
            error.message = "internal server error".to_owned();
            ErrorCode::InternalServerError.as_str()
        };
        set_code(error, code);
    }
}

impl Executor for Engine {
    async fn execute(&self, mut request: Request) -> Response {
        let started = Instant::now();
        let (labels, response) = match self.prepare(&mut request) {
            Ok(labels) => (labels, self.run(request).await),
            Err(error) => (OperationLabels::unknown(), refusal(error)),
        };
        self.metrics
            .record_operation(labels, response.errors.is_empty(), Some(started.elapsed()));
        response
    }

    /// A subscription (or any operation sent over WebSocket): measured against the depth and
    /// complexity limits before it starts (a stream keeps nothing for measuring later), counted
    /// at its first result, and in the open-subscriptions gauge while the stream lives.
    fn execute_stream(
        &self,
        mut request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let open = GaugeGuard::hold(&self.metrics.subscriptions_open);
        let engine = self.clone();
        let prepared = self
            .parse_compact(&mut request)
            .and_then(|()| self.prepare(&mut request));
        // Boxed, so that what starting takes (the measuring run) is freed once it has run: a
        // subscription may stay open for days.
        let start = Box::pin(async move {
            let mut shape = None;
            let (labels, measured, responses) = match prepared {
                Err(error) => (OperationLabels::unknown(), None, refused(refusal(error))),
                Ok(labels) => {
                    shape = engine.shape(&mut request);
                    let measured = engine.measures(Measurable::of(&request)).await;
                    match measured.and_then(|m| m.refusal(&engine.limits)) {
                        Some(over) => (labels, None, refused(refusal(over))),
                        None => {
                            let session_data = session_data.unwrap_or_default();
                            let responses = engine
                                .schema
                                .execute_stream_with_session_data(request, session_data);
                            let responses = if labels.r#type == "subscription" {
                                responses
                            } else {
                                within(engine.request_timeout, responses)
                            };
                            (labels, measured, responses)
                        }
                    }
                }
            };
            let mut labels = Some(labels);
            responses.map(move |mut response| {
                let _open = &open;
                if let Some(shape) = &shape {
                    shape.complete(&mut response);
                }
                let response = engine.with_codes(response, measured);
                if let Some(labels) = labels.take() {
                    engine
                        .metrics
                        .record_operation(labels, response.errors.is_empty(), None);
                }
                response
            })
        });
        stream::once(start).flatten().boxed()
    }
}

/// The one response of a query or mutation sent over WebSocket, or `REQUEST_TIMEOUT` when it
/// is not ready within `timeout` (its work is dropped, and its transaction rolled back).
fn within(
    timeout: Duration,
    responses: BoxStream<'static, Response>,
) -> BoxStream<'static, Response> {
    stream::once(async move {
        match tokio::time::timeout(timeout, responses.into_future()).await {
            Ok((Some(response), _)) => response,
            Ok((None, _)) => Response::default(),
            Err(_) => {
                let mut error = ServerError::new(
                    format!(
                        "the operation took longer than {} seconds and was stopped; nothing it \
                         did was kept",
                        timeout.as_secs()
                    ),
                    None,
                );
                let extensions = error.extensions.get_or_insert_with(Default::default);
                extensions.set("code", ErrorCode::RequestTimeout.as_str());
                extensions.set("limit", "DOORMAN_REQUEST_TIMEOUT_SECONDS");
                Response::from_errors(vec![error])
            }
        }
    })
    .boxed()
}

/// The response of a request refused before it ran.
fn refusal(error: ServerError) -> Response {
    Response::from_errors(vec![error])
}

/// A stream of the one response that refused the operation.
fn refused(response: Response) -> BoxStream<'static, Response> {
    stream::once(std::future::ready(response)).boxed()
}

fn parse_failed(mut error: ServerError) -> ServerError {
    set_code(&mut error, ErrorCode::GraphqlParseFailed.as_str());
    error
}

/// Shrinks the document's vectors to their lengths (argument values are left as they are:
/// they are few and small).
fn compact_document(document: &mut ExecutableDocument) {
    let operations: Vec<_> = match &mut document.operations {
        DocumentOperations::Single(operation) => vec![operation],
        DocumentOperations::Multiple(operations) => operations.values_mut().collect(),
    };
    for operation in operations {
        let operation = &mut operation.node;
        operation.variable_definitions.shrink_to_fit();
        for variable in &mut operation.variable_definitions {
            compact_directives(&mut variable.node.directives);
        }
        compact_directives(&mut operation.directives);
        compact_selections(&mut operation.selection_set.node);
    }
    for fragment in document.fragments.values_mut() {
        compact_directives(&mut fragment.node.directives);
        compact_selections(&mut fragment.node.selection_set.node);
    }
    document.fragments.shrink_to_fit();
}

fn compact_selections(selections: &mut SelectionSet) {
    selections.items.shrink_to_fit();
    for selection in &mut selections.items {
        match &mut selection.node {
            Selection::Field(field) => {
                let field = &mut field.node;
                compact_arguments(&mut field.arguments);
                compact_directives(&mut field.directives);
                compact_selections(&mut field.selection_set.node);
            }
            Selection::FragmentSpread(spread) => compact_directives(&mut spread.node.directives),
            Selection::InlineFragment(inline) => {
                compact_directives(&mut inline.node.directives);
                compact_selections(&mut inline.node.selection_set.node);
            }
        }
    }
}

fn compact_directives(directives: &mut Vec<Positioned<Directive>>) {
    directives.shrink_to_fit();
    for directive in directives {
        compact_arguments(&mut directive.node.arguments);
    }
}

fn compact_arguments<V>(arguments: &mut Vec<(Positioned<Name>, Positioned<V>)>) {
    arguments.shrink_to_fit();
}

fn has_code(error: &ServerError) -> bool {
    error
        .extensions
        .as_ref()
        .is_some_and(|ext| ext.get("code").is_some())
}

fn set_code(error: &mut ServerError, code: &str) {
    if !has_code(error) {
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("code", code);
    }
}

/// The name and type of the operation a request runs, if the document has it.
fn selected_operation(
    document: &ExecutableDocument,
    requested: Option<&str>,
) -> Option<(Option<String>, &'static str)> {
    let (name, operation) = match (&document.operations, requested) {
        (DocumentOperations::Single(operation), _) => (None, operation),
        (DocumentOperations::Multiple(operations), Some(name)) => {
            (Some(name.to_owned()), operations.get(name)?)
        }
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            let (name, operation) = operations.iter().next()?;
            (Some(name.to_string()), operation)
        }
        (DocumentOperations::Multiple(_), None) => return None,
    };
    let ty = match operation.node.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    Some((name, ty))
}
