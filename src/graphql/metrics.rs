//! Counts and times every GraphQL operation by name and type, and keeps the gauge of open
//! subscriptions, for `/metrics`; names the operation in the request's log span.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest, NextRequest,
    NextSubscribe,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{Request, Response, ServerResult, Variables};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::telemetry::{GaugeGuard, Metrics, OperationLabels};

/// The schema extension; one [`ObserveOperation`] per request or subscription.
pub struct Observe(pub Arc<Metrics>);

impl ExtensionFactory for Observe {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ObserveOperation {
            metrics: Arc::clone(&self.0),
            requested: Mutex::default(),
            operation: Arc::default(),
        })
    }
}

pub struct ObserveOperation {
    metrics: Arc<Metrics>,
    /// The `operationName` the client asked for.
    requested: Mutex<Option<String>>,
    /// The operation's labels, once its document parsed.
    operation: Arc<Mutex<Option<OperationLabels>>>,
}

/// The labels of the parsed operation; `unknown` when the document did not parse.
fn labels(operation: &Mutex<Option<OperationLabels>>) -> OperationLabels {
    operation
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone()
        .unwrap_or_else(|| OperationLabels {
            operation: "unknown".to_owned(),
            r#type: "unknown".to_owned(),
        })
}

#[async_graphql::async_trait::async_trait]
impl Extension for ObserveOperation {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let response = next.run(ctx).await;
        self.metrics.record_operation(
            labels(&self.operation),
            response.errors.is_empty(),
            Some(started.elapsed()),
        );
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let open = GaugeGuard::hold(&self.metrics.subscriptions_open);
        let metrics = Arc::clone(&self.metrics);
        // The document parses when the stream is first polled: count it at its first result.
        let operation = Arc::clone(&self.operation);
        let mut counted = false;
        next.run(ctx, stream)
            .map(move |response| {
                let _open = &open;
                if !counted {
                    counted = true;
                    metrics.record_operation(labels(&operation), response.errors.is_empty(), None);
                }
                response
            })
            .boxed()
    }

    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        *self
            .requested
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = request.operation_name.clone();
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let requested = self
            .requested
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some((name, ty)) = selected_operation(&document, requested.as_deref()) {
            let operation = self.metrics.operation_label(name.as_deref());
            tracing::Span::current().record("operation", operation.as_str());
            let labels = OperationLabels {
                operation,
                r#type: ty.to_owned(),
            };
            *self
                .operation
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(labels);
        }
        Ok(document)
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
