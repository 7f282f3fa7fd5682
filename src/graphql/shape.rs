//! The shape of a GraphQL document, measured before anything expands it. The schema's own
//! checks (validation, depth, complexity) walk a fragment once for every place it is spread,
//! so 25 fragments that each spread the next one twice make 2^25 walks out of 1,300
//! characters; and the parser and every later pass recurse once per bracket. So before the
//! schema sees a document:
//!
//! - [`scan`] reads its text once, as the GraphQL lexer does, and counts its tokens and
//!   directives and how deep its brackets nest, before it is parsed;
//! - [`measure`] reads the parsed document once, each fragment once however often it is
//!   spread (memoized), and counts the fields and aliases the operations would have with
//!   every fragment expanded, and how deep fields and fragments nest; a fragment that spreads
//!   itself is refused here, before any walk could follow it.
//!
//! Both are linear in the document's length, and every refusal is `BAD_USER_INPUT` naming
//! its setting (see [`super::limits`]).

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Positioned, ServerError};

use super::limits::refusal;
use crate::config::QueryLimits;
use crate::error::ErrorCode;

/// What the lexer saw in a document's text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    pub tokens: usize,
    pub directives: usize,
    /// How deep `{`, `[` and `(` nest.
    pub nesting: usize,
}

/// Counts the tokens, directives and bracket nesting of a document's text, without parsing
/// it. Whitespace, commas, comments and the insides of strings are not tokens. A document
/// that does not lex (an unterminated string, a stray character) is counted as far as it
/// goes: the parser then reports it.
pub fn scan(text: &str) -> Scan {
    let bytes = text.as_bytes();
    let mut scan = Scan::default();
    let mut depth = 0_usize;
    let mut at = 0;
    while at < bytes.len() {
        let byte = bytes[at];
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                at += 1;
                continue;
            }
            b'#' => {
                while at < bytes.len() && bytes[at] != b'\n' && bytes[at] != b'\r' {
                    at += 1;
                }
                continue;
            }
            _ => {}
        }
        scan.tokens += 1;
        match byte {
            b'{' | b'[' | b'(' => {
                depth += 1;
                scan.nesting = scan.nesting.max(depth);
                at += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                at += 1;
            }
            b'@' => {
                scan.directives += 1;
                at += 1;
            }
            b'"' if bytes[at..].starts_with(b"\"\"\"") => at = block_string_end(bytes, at + 3),
            b'"' => at = string_end(bytes, at + 1),
            b'.' if bytes[at..].starts_with(b"...") => at += 3,
            b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                at += 1;
                while at < bytes.len() && (bytes[at] == b'_' || bytes[at].is_ascii_alphanumeric()) {
                    at += 1;
                }
            }
            b'-' | b'0'..=b'9' => {
                at += 1;
                while at < bytes.len()
                    && (bytes[at].is_ascii_alphanumeric()
                        || matches!(bytes[at], b'.' | b'+' | b'-'))
                {
                    at += 1;
                }
            }
            // A byte-order mark is ignored like whitespace.
            0xEF if bytes[at..].starts_with("\u{feff}".as_bytes()) => {
                scan.tokens -= 1;
                at += 3;
            }
            // Punctuators, and anything else the parser will refuse: one token each.
            _ => at += utf8_width(byte),
        }
    }
    scan
}

/// The index after a `"…"` string whose body starts at `at` (the end of the text if the
/// string is not closed on its line).
fn string_end(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return at + 1,
            b'\n' | b'\r' => return at,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// The index after a `"""…"""` block string whose body starts at `at`.
fn block_string_end(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() {
        if bytes[at..].starts_with(b"\\\"\"\"") {
            at += 4;
        } else if bytes[at..].starts_with(b"\"\"\"") {
            return at + 3;
        } else {
            at += 1;
        }
    }
    bytes.len()
}

fn utf8_width(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

/// How deep brackets may nest: the selections the depth limit allows, plus room for
/// arguments, input objects and lists.
pub fn max_nesting(limits: &QueryLimits) -> usize {
    limits.max_query_depth + 16
}

/// How deep fields, fragment spreads and inline fragments may nest together (each one a
/// level), as the schema walks them.
pub fn max_recursion(limits: &QueryLimits) -> usize {
    limits.max_query_depth * 2
}

/// Refuses a document whose text is over the token, directive or nesting limits.
pub fn check_text(text: &str, limits: &QueryLimits) -> Result<(), ServerError> {
    let scan = scan(text);
    if scan.tokens > limits.max_tokens {
        return Err(refusal(
            format!(
                "the document has {} tokens; at most {} are allowed",
                scan.tokens, limits.max_tokens
            ),
            "DOORMAN_MAX_TOKENS",
        ));
    }
    if scan.directives > limits.max_directives {
        return Err(refusal(
            format!(
                "the document has {} directives; at most {} are allowed",
                scan.directives, limits.max_directives
            ),
            "DOORMAN_MAX_DIRECTIVES",
        ));
    }
    let max = max_nesting(limits);
    if scan.nesting > max {
        return Err(refusal(
            format!(
                "the document nests brackets {} levels deep; at most {max} are allowed",
                scan.nesting
            ),
            "DOORMAN_MAX_QUERY_DEPTH",
        ));
    }
    Ok(())
}

/// The operations of a parsed document as the schema would walk them, every fragment
/// expanded where it is spread; counts saturate rather than overflow.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Measure {
    /// Fields, `__typename` included.
    pub fields: u64,
    pub aliases: u64,
    /// How deep fields with selections, fragment spreads and inline fragments nest.
    pub recursion: usize,
}

impl Measure {
    fn add(self, other: Self) -> Self {
        Self {
            fields: self.fields.saturating_add(other.fields),
            aliases: self.aliases.saturating_add(other.aliases),
            recursion: self.recursion.max(other.recursion),
        }
    }
}

/// Refuses a parsed document whose operations would be over the field, alias or recursion
/// limits once expanded, or that spreads a fragment within itself.
pub fn check_document(
    document: &ExecutableDocument,
    limits: &QueryLimits,
) -> Result<Measure, ServerError> {
    let measure = measure(document, max_recursion(limits))?;
    if measure.recursion > max_recursion(limits) {
        return Err(refusal(
            format!(
                "fields and fragments nest more than {} levels deep",
                max_recursion(limits)
            ),
            "DOORMAN_MAX_QUERY_DEPTH",
        ));
    }
    if measure.aliases > limits.max_aliases as u64 {
        return Err(refusal(
            format!(
                "the operation uses {} aliases, fragments counted once per spread; at most {} \
                 are allowed",
                measure.aliases, limits.max_aliases
            ),
            "DOORMAN_MAX_ALIASES",
        ));
    }
    if measure.fields > limits.max_fields as u64 {
        return Err(refusal(
            format!(
                "the operation selects {} fields, fragments counted once per spread; at most {} \
                 are allowed",
                measure.fields, limits.max_fields
            ),
            "DOORMAN_MAX_FIELDS",
        ));
    }
    Ok(measure)
}

/// Measures every operation of `document` (validation walks them all), each fragment once.
/// Stops at a fragment cycle (`GRAPHQL_VALIDATION_FAILED`) and at fragments nested deeper
/// than `max_recursion`, so that its own recursion stays bounded.
pub fn measure(
    document: &ExecutableDocument,
    max_recursion: usize,
) -> Result<Measure, ServerError> {
    let mut measurer = Measurer {
        document,
        max_recursion,
        fragments: HashMap::new(),
        open: 0,
    };
    let mut total = Measure::default();
    for (_, operation) in document.operations.iter() {
        total = total.add(measurer.selections(&operation.node.selection_set, 0)?);
    }
    Ok(total)
}

enum Fragment {
    /// Being measured: spreading it again is a cycle.
    Open,
    Measured(Measure),
}

struct Measurer<'a> {
    document: &'a ExecutableDocument,
    max_recursion: usize,
    fragments: HashMap<&'a Name, Fragment>,
    /// Fragments being measured, each spread inside the one before.
    open: usize,
}

impl<'a> Measurer<'a> {
    /// The measure of a selection set found `level` levels down.
    fn selections(
        &mut self,
        set: &'a Positioned<SelectionSet>,
        level: usize,
    ) -> Result<Measure, ServerError> {
        let mut total = Measure {
            recursion: level,
            ..Measure::default()
        };
        if level > self.max_recursion {
            return Ok(total);
        }
        for selection in &set.node.items {
            let measure = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let inner = if field.selection_set.node.items.is_empty() {
                        Measure {
                            recursion: level,
                            ..Measure::default()
                        }
                    } else {
                        self.selections(&field.selection_set, level + 1)?
                    };
                    Measure {
                        fields: 1,
                        aliases: u64::from(field.alias.is_some()),
                        recursion: level,
                    }
                    .add(inner)
                }
                Selection::InlineFragment(inline) => {
                    self.selections(&inline.node.selection_set, level + 1)?
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    let fragment = self.fragment(name, spread.pos)?;
                    // The fragment was measured from its own top; here it starts one level
                    // below the spread.
                    Measure {
                        recursion: fragment.recursion.saturating_add(level + 1),
                        ..fragment
                    }
                }
            };
            total = total.add(measure);
        }
        Ok(total)
    }

    /// A fragment's measure from its own top (its recursion relative to it); an unknown
    /// fragment measures nothing (validation reports it).
    fn fragment(
        &mut self,
        name: &'a Name,
        spread_at: async_graphql::Pos,
    ) -> Result<Measure, ServerError> {
        match self.fragments.get(name) {
            Some(Fragment::Measured(measure)) => return Ok(*measure),
            Some(Fragment::Open) => {
                return Err(validation_failed(
                    format!(r#"Cannot spread fragment "{name}" within itself"#),
                    spread_at,
                ));
            }
            None => {}
        }
        let Some(definition) = self.document.fragments.get(name) else {
            return Ok(Measure::default());
        };
        if self.open >= self.max_recursion {
            // Each spread is a level: this chain alone is over the limit, so stop here
            // rather than follow it further.
            return Ok(Measure {
                recursion: self.max_recursion,
                ..Measure::default()
            });
        }
        self.fragments.insert(name, Fragment::Open);
        self.open += 1;
        let measure = self.selections(&definition.node.selection_set, 0);
        self.open -= 1;
        let measure = measure?;
        self.fragments.insert(name, Fragment::Measured(measure));
        Ok(measure)
    }
}

fn validation_failed(message: String, at: async_graphql::Pos) -> ServerError {
    let mut error = ServerError::new(message, Some(at));
    error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", ErrorCode::GraphqlValidationFailed.as_str());
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> ExecutableDocument {
        async_graphql::parser::parse_query(text).expect("the document parses")
    }

    #[test]
    fn the_lexer_counts_tokens_directives_and_nesting_but_not_strings_or_comments() {
        let scan = scan(
            "query Q($a: [Int!] = [1, -2.5e3]) @x { f(s: \"{[(\\\" @\", b: \"\"\"{{{\n@\"\"\") # { @\n ...F }\u{feff}",
        );
        // query Q ( $ a : [ Int ! ] = [ 1 -2.5e3 ] ) @ x { f ( s : "…" b : """…""" ) ... F }
        assert_eq!(scan.tokens, 31);
        assert_eq!(scan.directives, 1);
        assert_eq!(scan.nesting, 2);
        assert_eq!(
            super::scan("{a{b{c}}}"),
            Scan {
                tokens: 9,
                directives: 0,
                nesting: 3
            }
        );
        // An unterminated string ends the count, it does not loop.
        assert_eq!(super::scan("{ f(s: \"open").tokens, 6);
    }

    #[test]
    fn fragments_are_measured_once_however_often_they_are_spread() {
        let mut text = String::from("{ ...F0 }\n");
        for n in 0..40 {
            text.push_str(&format!(
                "fragment F{n} on Query {{ __typename a{n}: __typename ...F{next} ...F{next} }}\n",
                next = n + 1
            ));
        }
        text.push_str("fragment F40 on Query { __typename }\n");

        let measure = measure(&parsed(&text), 1000).unwrap();

        // 2^41 - 1 fields after expansion; counted in one pass, saturating nowhere near.
        assert_eq!(measure.fields, (1_u64 << 41) - 1 + (1_u64 << 40) - 1);
        assert_eq!(measure.aliases, (1_u64 << 40) - 1);
        assert_eq!(measure.recursion, 41);
    }

    #[test]
    fn a_fragment_that_spreads_itself_is_refused_before_any_walk() {
        let error = measure(
            &parsed("{ ...A } fragment A on Query { ...B ...B } fragment B on Query { ...A }"),
            100,
        )
        .unwrap_err();
        assert!(error.message.contains("within itself"), "{}", error.message);
    }

    #[test]
    fn recursion_counts_fields_inline_fragments_and_spreads() {
        let measure = measure(
            &parsed("{ a { ... on A { b { ...F } } } } fragment F on B { c { d } }"),
            100,
        )
        .unwrap();
        // a(1) inline(2) b(3) ...F(4) c(5)
        assert_eq!(measure.recursion, 5);
        assert_eq!(measure.fields, 4);
    }
}
