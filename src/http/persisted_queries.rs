//! Automatic persisted queries, Apollo's APQ protocol. A client sends
//! `extensions.persistedQuery { version: 1, sha256Hash }` without the query; a hash the server
//! does not know answers `PERSISTED_QUERY_NOT_FOUND` (HTTP 200, as Apollo Server does), and the
//! client sends the query with its hash once to register it. Queries are registered only once
//! they have passed validation, in a bounded LRU store shared by every request; with
//! `DOORMAN_REDIS_URL`, also in Redis (`{prefix}:apq:{hash}`, for a week), so that a query one
//! instance registered is known to all. A query read back from Redis must still hash to its key
//! and pass the document limits; Redis not answering only means "not found".
//!
//! This runs in the transport, before the schema sees the request, so that a hash-only GET that
//! names a mutation can still be refused with 405 like a GET that spells it out.

use async_graphql::ServerError;
use async_graphql::extensions::apollo_persisted_queries::{CacheStorage, LruCacheStorage};
use async_graphql::parser::types::ExecutableDocument;
use sha2::{Digest, Sha256};
use std::sync::Arc;

use crate::error::ErrorCode;
use crate::service::redis_store::RedisStore;

/// How many distinct queries the store holds before it forgets the least recently used.
pub const CAPACITY: usize = 1000;

/// The message Apollo Client matches besides the code.
pub const NOT_FOUND_MESSAGE: &str = "PersistedQueryNotFound";

/// How long a query registered in Redis stays there.
const SHARED_SECONDS: u64 = 7 * 24 * 3600;

/// The hash → parsed query store.
#[derive(Clone)]
pub struct PersistedQueries {
    storage: LruCacheStorage,
    /// Where instances share their queries' text, if anywhere.
    shared: Option<Arc<RedisStore>>,
}

/// A request's persisted query that failed.
#[derive(Debug, PartialEq, Eq)]
pub enum ApqError {
    /// Hash only, and no query is stored under it: the client should send the query.
    NotFound,
    /// The query does not hash to the given `sha256Hash`.
    HashMismatch,
    /// `persistedQuery` is not `{ version: 1, sha256Hash: String }`.
    Invalid(String),
}

impl ApqError {
    /// The `extensions.code` clients see.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => ErrorCode::PersistedQueryNotFound.as_str(),
            Self::HashMismatch | Self::Invalid(_) => ErrorCode::BadUserInput.as_str(),
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::NotFound => NOT_FOUND_MESSAGE.to_owned(),
            Self::HashMismatch => {
                "provided sha256Hash does not match the query (expected the lowercase hex SHA-256 of the query text)".to_owned()
            }
            Self::Invalid(message) => message.clone(),
        }
    }
}

/// A query to store once it has passed validation.
pub struct Registration {
    hash: String,
    query: String,
    document: ExecutableDocument,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersistedQuery {
    version: i64,
    sha256_hash: String,
}

impl PersistedQueries {
    pub fn new(capacity: usize, shared: Option<Arc<RedisStore>>) -> Self {
        Self {
            storage: LruCacheStorage::new(capacity.max(1)),
            shared,
        }
    }

    /// Applies the request's `persistedQuery` extension, if any: a hash-only request gets the
    /// stored query (already parsed); a request with the query and its hash is checked and
    /// returns the registration to [`register`](Self::register) once the query has run.
    /// The query is parsed by `parse`, which checks it against the document limits first; a
    /// query that they refuse, or that does not parse, is not registered and is left to the
    /// executor to report.
    pub async fn resolve<F>(
        &self,
        request: &mut async_graphql::Request,
        parse: F,
    ) -> Result<Option<Registration>, ApqError>
    where
        F: FnOnce(&mut async_graphql::Request) -> Result<&ExecutableDocument, ServerError>,
    {
        let Some(value) = request.extensions.remove("persistedQuery") else {
            return Ok(None);
        };
        if matches!(value, async_graphql::Value::Null) {
            return Ok(None);
        }
        let persisted: PersistedQuery = async_graphql::from_value(value).map_err(|_| {
            ApqError::Invalid(
                "extensions.persistedQuery must be { version: 1, sha256Hash: String }".to_owned(),
            )
        })?;
        if persisted.version != 1 {
            return Err(ApqError::Invalid(format!(
                "persisted query version {} is not supported; use version 1",
                persisted.version
            )));
        }
        let hash = persisted.sha256_hash.to_ascii_lowercase();
        if request.query.is_empty() {
            if let Some(document) = self.storage.get(hash.clone()).await {
                request.set_parsed_query(document);
                return Ok(None);
            }
            // Registered through another instance: its text, checked like a sent query.
            let query = self.shared_query(&hash).await.ok_or(ApqError::NotFound)?;
            request.query = query;
            let document = parse(request).map_err(|_| ApqError::NotFound)?.clone();
            self.storage.set(hash, document).await;
            return Ok(None);
        }
        if sha256_hex(&request.query) != hash {
            return Err(ApqError::HashMismatch);
        }
        let query = request.query.clone();
        Ok(parse(request).ok().map(|document| Registration {
            hash,
            query,
            document: document.clone(),
        }))
    }

    /// Stores a query that has passed validation under its hash (and shares its text).
    pub async fn register(&self, registration: Registration) {
        if let Some(shared) = &self.shared {
            let key = shared.key("apq", &registration.hash);
            let query = registration.query;
            let stored = shared
                .run(|mut connection| async move {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(query)
                        .arg("EX")
                        .arg(SHARED_SECONDS)
                        .query_async::<()>(&mut connection)
                        .await
                })
                .await;
            if stored.is_err() {
                tracing::debug!("a persisted query was not shared: Redis did not answer");
            }
        }
        self.storage
            .set(registration.hash, registration.document)
            .await;
    }

    /// The text another instance registered under `hash`, if it still hashes to it.
    async fn shared_query(&self, hash: &str) -> Option<String> {
        let shared = self.shared.as_ref()?;
        let key = shared.key("apq", hash);
        let found = shared
            .run(|mut connection| async move {
                redis::cmd("GET")
                    .arg(key)
                    .query_async::<Option<String>>(&mut connection)
                    .await
            })
            .await;
        // Redis not answering is "not found": the client sends the query.
        found
            .ok()
            .flatten()
            .filter(|query| sha256_hex(query) == hash)
    }
}

impl Default for PersistedQueries {
    fn default() -> Self {
        Self::new(CAPACITY, None)
    }
}

/// The lowercase hex SHA-256 of a query text, as Apollo Client computes it.
pub fn sha256_hex(query: &str) -> String {
    format!("{:x}", Sha256::digest(query.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(request: &mut async_graphql::Request) -> Result<&ExecutableDocument, ServerError> {
        request.parsed_query()
    }

    fn with_extension(query: &str, extension: serde_json::Value) -> async_graphql::Request {
        let mut request = async_graphql::Request::new(query);
        request.extensions.0.insert(
            "persistedQuery".to_owned(),
            async_graphql::Value::from_json(extension).unwrap(),
        );
        request
    }

    #[tokio::test]
    async fn an_unknown_hash_is_not_found_until_its_query_is_registered() {
        let store = PersistedQueries::new(10, None);
        let query = "{ serverInfo { version } }";
        let hash = sha256_hex(query);
        let hash_only =
            || with_extension("", serde_json::json!({ "version": 1, "sha256Hash": hash }));

        assert_eq!(
            store.resolve(&mut hash_only(), parse).await.err(),
            Some(ApqError::NotFound)
        );

        let mut full = with_extension(
            query,
            serde_json::json!({ "version": 1, "sha256Hash": hash }),
        );
        let registration = store.resolve(&mut full, parse).await.unwrap().unwrap();
        store.register(registration).await;

        let mut again = hash_only();
        assert!(store.resolve(&mut again, parse).await.unwrap().is_none());
        assert!(again.parsed_query().is_ok());
        assert!(again.extensions.0.is_empty());
    }

    #[tokio::test]
    async fn a_wrong_hash_or_version_is_refused() {
        let store = PersistedQueries::new(10, None);
        let mut wrong = with_extension(
            "{ me { id } }",
            serde_json::json!({ "version": 1, "sha256Hash": sha256_hex("{ other }") }),
        );
        assert_eq!(
            store.resolve(&mut wrong, parse).await.err(),
            Some(ApqError::HashMismatch)
        );
        let mut version = with_extension(
            "{ me { id } }",
            serde_json::json!({ "version": 2, "sha256Hash": sha256_hex("{ me { id } }") }),
        );
        assert!(matches!(
            store.resolve(&mut version, parse).await,
            Err(ApqError::Invalid(_))
        ));
    }

    #[test]
    fn the_hash_is_lowercase_hex_sha256() {
        assert_eq!(
            sha256_hex("{__typename}"),
            "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"
        );
    }
}
