//! Limits on what one GraphQL operation may ask for: document length and aliases (checked
//! as the document parses), depth and complexity (checked after validation). Each refusal is
//! `BAD_USER_INPUT` and names the limit, its value and the setting that raises it.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextValidation,
};
use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, ServerError, ServerResult, ValidationResult, Variables};

use crate::config::QueryLimits;
use crate::error::ErrorCode;

/// The schema extension enforcing [`QueryLimits`].
pub struct Limits(pub Arc<QueryLimits>);

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Limits(Arc::clone(&self.0)))
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for Limits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let limits = &self.0;
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
        let document = next.run(ctx, query, variables).await?;
        let aliases = count_aliases(&document, limits.max_aliases);
        if aliases > limits.max_aliases {
            return Err(refusal(
                format!(
                    "the operation uses more than {} aliases",
                    limits.max_aliases
                ),
                "DOORMAN_MAX_ALIASES",
            ));
        }
        Ok(document)
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let limits = &self.0;
        if result.depth > limits.max_query_depth {
            return Err(vec![refusal(
                format!(
                    "the query is nested {} levels deep; at most {} are allowed",
                    result.depth, limits.max_query_depth
                ),
                "DOORMAN_MAX_QUERY_DEPTH",
            )]);
        }
        if result.complexity > limits.max_query_complexity {
            return Err(vec![refusal(
                format!(
                    "the query's complexity is {}; at most {} is allowed (lists count their fields `first` times)",
                    result.complexity, limits.max_query_complexity
                ),
                "DOORMAN_MAX_QUERY_COMPLEXITY",
            )]);
        }
        Ok(result)
    }
}

fn refusal(message: String, setting: &str) -> ServerError {
    let mut error = ServerError::new(message, None);
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", ErrorCode::BadUserInput.as_str());
    extensions.set("limit", setting);
    error
}

/// Aliased fields across the document's operations, each fragment counted every time it is
/// spread; counting stops once past `max` (and at fragment cycles, which validation refuses).
fn count_aliases(document: &ExecutableDocument, max: usize) -> usize {
    let mut counter = AliasCounter {
        fragments: &document.fragments,
        max,
        count: 0,
        spreading: Vec::new(),
    };
    for (_, operation) in document.operations.iter() {
        counter.visit(&operation.node.selection_set);
    }
    counter.count
}

struct AliasCounter<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    max: usize,
    count: usize,
    /// The fragments being expanded, to stop at cycles.
    spreading: Vec<&'a Name>,
}

impl<'a> AliasCounter<'a> {
    fn visit(&mut self, selections: &'a Positioned<SelectionSet>) {
        for selection in &selections.node.items {
            if self.count > self.max {
                return;
            }
            match &selection.node {
                Selection::Field(field) => {
                    if field.node.alias.is_some() {
                        self.count += 1;
                    }
                    self.visit(&field.node.selection_set);
                }
                Selection::InlineFragment(inline) => self.visit(&inline.node.selection_set),
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if self.spreading.contains(&name) {
                        continue;
                    }
                    if let Some(fragment) = self.fragments.get(name) {
                        self.spreading.push(name);
                        self.visit(&fragment.node.selection_set);
                        self.spreading.pop();
                    }
                }
            }
        }
    }
}
