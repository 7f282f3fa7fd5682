//! Documents shaped to make the server work: fragments that each spread the next one twice,
//! deep nesting, fragment cycles, directive floods, alias floods, many operations, long
//! strings. Each is refused (or answered) with a coded error before anything expands it, over
//! every transport (POST, GET, a batch, a persisted query, WebSocket), in bounded time; the
//! process stays healthy, `/healthz` answers within 100 ms while they are in flight, and its
//! memory stays bounded.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value as Json, json};
use sha2::{Digest, Sha256};

use crate::support::ws::{Protocol, WsClient};
use crate::support::*;

/// What a hostile document must get.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// `BAD_USER_INPUT` with `extensions.limit` naming this setting.
    Limit(&'static str),
    /// This code.
    Code(&'static str),
    /// Data, or any coded error other than `INTERNAL_SERVER_ERROR` (a valid document).
    Answered,
}

#[derive(Clone)]
struct Hostile {
    name: &'static str,
    document: String,
    expect: Expect,
}

/// `levels` fragments, each selecting `leaf` and spreading the next one twice: 2^levels copies
/// of `leaf` once expanded, from a document of a few hundred characters.
fn fragment_bomb(levels: usize, leaf: &str) -> String {
    let mut document = String::from("{ ...F0 }\n");
    for level in 0..levels {
        document.push_str(&format!(
            "fragment F{level} on Query {{ {leaf} ...F{next} ...F{next} }}\n",
            next = level + 1
        ));
    }
    document.push_str(&format!("fragment F{levels} on Query {{ {leaf} }}\n"));
    document
}

/// The documents of the campaign, for the default limits.
fn hostile_documents() -> Vec<Hostile> {
    let mut documents = vec![
        Hostile {
            name: "2^25 __typename through 25 fragments",
            document: fragment_bomb(25, "__typename"),
            expect: Expect::Limit("DOORMAN_MAX_FIELDS"),
        },
        Hostile {
            name: "2^19 real fields through 19 fragments",
            document: fragment_bomb(19, "serverInfo { version registrationMode }"),
            expect: Expect::Limit("DOORMAN_MAX_FIELDS"),
        },
        Hostile {
            name: "selections nested 40 deep",
            document: format!(
                "{{ me {{ {} id {} }} }}",
                "memberships { user { ".repeat(20),
                "} } ".repeat(20)
            ),
            expect: Expect::Limit("DOORMAN_MAX_QUERY_DEPTH"),
        },
        Hostile {
            name: "a list literal nested 1,000 deep",
            document: format!(
                "{{ invitation(token: {}\"x\"{}) {{ id }} }}",
                "[".repeat(1000),
                "]".repeat(1000)
            ),
            expect: Expect::Limit("DOORMAN_MAX_TOKENS"),
        },
        Hostile {
            name: "a list literal nested 60 deep",
            document: format!(
                "{{ invitation(token: {}\"x\"{}) {{ id }} }}",
                "[".repeat(60),
                "]".repeat(60)
            ),
            expect: Expect::Limit("DOORMAN_MAX_QUERY_DEPTH"),
        },
        Hostile {
            name: "an input object nested 60 deep",
            document: format!(
                "{{ organization(org: {}name: \"x\"{}) {{ id }} }}",
                "{ a: ".repeat(60),
                " }".repeat(60)
            ),
            expect: Expect::Limit("DOORMAN_MAX_QUERY_DEPTH"),
        },
        Hostile {
            name: "a chain of 60 fragments, each spreading the next",
            document: {
                let mut document = String::from("{ ...C0 }\n");
                for level in 0..60 {
                    document.push_str(&format!(
                        "fragment C{level} on Query {{ __typename ...C{} }}\n",
                        level + 1
                    ));
                }
                document.push_str("fragment C60 on Query { __typename }\n");
                document
            },
            expect: Expect::Limit("DOORMAN_MAX_QUERY_DEPTH"),
        },
        Hostile {
            name: "a fragment that spreads itself twice",
            document: "{ ...A } fragment A on Query { __typename ...A ...A }".to_owned(),
            expect: Expect::Code("GRAPHQL_VALIDATION_FAILED"),
        },
        Hostile {
            name: "two fragments spreading each other",
            document:
                "{ ...A } fragment A on Query { ...B ...B } fragment B on Query { ...A ...A }"
                    .to_owned(),
            expect: Expect::Code("GRAPHQL_VALIDATION_FAILED"),
        },
        Hostile {
            name: "500 @include on one field",
            document: format!(
                "{{ serverInfo {{ version {} }} }}",
                "@include(if: true) ".repeat(500)
            ),
            expect: Expect::Limit("DOORMAN_MAX_TOKENS"),
        },
        Hostile {
            name: "100 directives over 100 fields",
            document: format!(
                "{{ {} }}",
                (0..100)
                    .map(|n| format!("f{n}: __typename @skip(if: false)"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            expect: Expect::Limit("DOORMAN_MAX_DIRECTIVES"),
        },
        Hostile {
            name: "700 aliases",
            document: format!(
                "{{ {} }}",
                (0..700)
                    .map(|n| format!("a{n}: __typename"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            expect: Expect::Limit("DOORMAN_MAX_TOKENS"),
        },
        Hostile {
            name: "16 aliases",
            document: format!(
                "{{ {} }}",
                (0..16)
                    .map(|n| format!("a{n}: __typename"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            expect: Expect::Limit("DOORMAN_MAX_ALIASES"),
        },
        Hostile {
            name: "a fragment of 600 fields spread twice",
            document: format!(
                "{{ ...W ...W }} fragment W on Query {{ {} }}",
                "__typename ".repeat(600)
            ),
            expect: Expect::Limit("DOORMAN_MAX_FIELDS"),
        },
        Hostile {
            name: "300 operations",
            document: (0..300)
                .map(|n| format!("query Q{n} {{ __typename }}"))
                .collect::<Vec<_>>()
                .join("\n"),
            expect: Expect::Code("GRAPHQL_VALIDATION_FAILED"),
        },
        Hostile {
            name: "an alias of 10,000 characters",
            document: format!("{{ {}: __typename }}", "a".repeat(10_000)),
            expect: Expect::Answered,
        },
        Hostile {
            name: "a string argument of 14,000 characters",
            document: format!(
                "{{ invitation(token: \"{}\") {{ id }} }}",
                "x".repeat(14_000)
            ),
            expect: Expect::Answered,
        },
        Hostile {
            name: "15,001 characters",
            document: format!("{{ __typename }}#{}", "x".repeat(15_001 - 15)),
            expect: Expect::Limit("DOORMAN_MAX_DOCUMENT_CHARS"),
        },
        Hostile {
            name: "an unterminated string",
            document: format!("{{ invitation(token: \"{}", "x".repeat(5000)),
            expect: Expect::Code("GRAPHQL_PARSE_FAILED"),
        },
        Hostile {
            name: "2,100 braces",
            document: "{".repeat(2100),
            expect: Expect::Limit("DOORMAN_MAX_TOKENS"),
        },
    ];
    // The same bomb, hidden in an inline fragment and behind @include.
    documents.push(Hostile {
        name: "2^24 fields through inline fragments and @include",
        document: fragment_bomb(24, "... on Query @include(if: true) { __typename }"),
        expect: Expect::Limit("DOORMAN_MAX_FIELDS"),
    });
    documents
}

/// Checks one answer against what its document must get; `None` when it is right.
fn violation(hostile: &Hostile, transport: &str, answer: &Json) -> Option<String> {
    let errors: Vec<&Json> = answer["errors"]
        .as_array()
        .map(|errors| errors.iter().collect())
        .unwrap_or_default();
    let codes: Vec<&str> = errors
        .iter()
        .map(|error| error["extensions"]["code"].as_str().unwrap_or("(none)"))
        .collect();
    let wrong = |what: String| {
        let text = answer.to_string();
        Some(format!(
            "{} over {transport}: {what}: {}",
            hostile.name,
            &text[..text.len().min(300)]
        ))
    };
    if codes
        .iter()
        .any(|code| *code == "(none)" || *code == "INTERNAL_SERVER_ERROR")
    {
        return wrong(format!("codes {codes:?}"));
    }
    match hostile.expect {
        Expect::Limit(setting) => {
            let limited = errors.first().is_some_and(|error| {
                error["extensions"]["code"] == "BAD_USER_INPUT"
                    && error["extensions"]["limit"] == setting
            });
            (!limited).then(|| wrong(format!("expected the limit {setting}")))?
        }
        Expect::Code(code) => {
            (codes.first() != Some(&code)).then(|| wrong(format!("expected {code}")))?
        }
        Expect::Answered => (answer.get("data").is_none() && errors.is_empty())
            .then(|| wrong("neither data nor errors".to_owned()))?,
    }
}

fn sha256_hex(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))
}

/// Sends `document` over `transport`; returns the answer (one of a batch's) and how long it
/// took.
async fn send(app_base: &str, client: &reqwest::Client, transport: &str, document: &str) -> Json {
    let url = format!("{app_base}/graphql");
    let response = match transport {
        "POST" => client.post(&url).json(&json!({ "query": document })).send(),
        "GET" => client.get(&url).query(&[("query", document)]).send(),
        "batch" => client
            .post(&url)
            .json(&vec![json!({ "query": document }); 10])
            .send(),
        "persisted query" => client
            .post(&url)
            .json(&json!({
                "query": document,
                "extensions": { "persistedQuery": { "version": 1, "sha256Hash": sha256_hex(document) } }
            }))
            .send(),
        other => panic!("no transport {other}"),
    };
    let response = response.await.expect("the server answers");
    let status = response.status();
    let text = response.text().await.unwrap();
    assert!(
        status.as_u16() < 500,
        "HTTP {status} over {transport}: {}",
        &text[..text.len().min(300)]
    );
    let body: Json =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON over {transport}: {text}"));
    match body {
        Json::Array(mut answers) => {
            assert_eq!(answers.len(), 10, "{transport}");
            answers.swap_remove(0)
        }
        body => body,
    }
}

/// The answer to `document` sent over WebSocket as an operation: a `next` payload, or the
/// errors of an `error` message.
async fn over_websocket(app: &TestApp, document: &str) -> Json {
    let mut client = WsClient::connect(app, Protocol::TransportWs).await;
    client.init(None).await;
    client.subscribe("1", document, json!({})).await;
    let message = client.message_for("1").await;
    match message["type"].as_str() {
        Some("next") => message["payload"].clone(),
        Some("error") => json!({ "errors": message["payload"] }),
        _ => panic!("unexpected {message:#}"),
    }
}

const TRANSPORTS: [&str; 4] = ["POST", "GET", "batch", "persisted query"];
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn every_hostile_document_is_refused_in_time_over_every_transport() {
    let app = TestApp::spawn_with(|settings| {
        settings.request_timeout_seconds = REQUEST_TIMEOUT.as_secs();
    })
    .await;
    let client = reqwest::Client::new();
    let mut violations = Vec::new();
    for hostile in hostile_documents() {
        for transport in TRANSPORTS {
            let started = Instant::now();
            let answer = send(&app.address, &client, transport, &hostile.document).await;
            if started.elapsed() >= REQUEST_TIMEOUT {
                violations.push(format!(
                    "{} over {transport}: took {:?}",
                    hostile.name,
                    started.elapsed()
                ));
            }
            violations.extend(violation(&hostile, transport, &answer));
        }
        // A WebSocket message holds at most 64 KiB; every document here fits.
        let started = Instant::now();
        let answer = over_websocket(&app, &hostile.document).await;
        if started.elapsed() >= REQUEST_TIMEOUT {
            violations.push(format!(
                "{} over WebSocket: took {:?}",
                hostile.name,
                started.elapsed()
            ));
        }
        violations.extend(violation(&hostile, "WebSocket", &answer));
    }
    let healthy = app
        .http()
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(healthy.status(), 200);
    assert!(violations.is_empty(), "{violations:#?}");
}

/// A document refused for its text (length, tokens, directives, nesting) is never parsed, and
/// one refused for its shape is never expanded: counted by the server's own metrics.
#[tokio::test]
async fn documents_refused_for_their_text_are_never_parsed() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::new();
    let parsed = || metric(&app, "doorman_graphql_documents_parsed_total");
    let before = parsed().await;

    for hostile in hostile_documents() {
        let refused_by_text = matches!(
            hostile.expect,
            Expect::Limit(
                "DOORMAN_MAX_DOCUMENT_CHARS" | "DOORMAN_MAX_TOKENS" | "DOORMAN_MAX_DIRECTIVES"
            )
        );
        if !refused_by_text {
            continue;
        }
        for transport in TRANSPORTS {
            send(&app.address, &client, transport, &hostile.document).await;
        }
    }
    assert_eq!(parsed().await, before);

    // A document within the limits is parsed once, whichever checks it passes through.
    send(
        &app.address,
        &client,
        "persisted query",
        "{ serverInfo { version } }",
    )
    .await;
    assert_eq!(parsed().await, before + 1.0);
}

/// Asks `/healthz` over one kept-alive connection every 10 ms, from a thread of its own (so
/// nothing in this process delays a probe), until `stop`; returns the slowest answer and how
/// many there were.
fn probe_health(
    base: &str,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> std::thread::JoinHandle<(Duration, usize)> {
    use std::io::{BufRead, BufReader, Read, Write};
    let address = base.trim_start_matches("http://").to_owned();
    std::thread::spawn(move || {
        let stream = std::net::TcpStream::connect(&address).expect("the server accepts");
        stream.set_nodelay(true).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let (mut slowest, mut probes) = (Duration::ZERO, 0);
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            let started = Instant::now();
            writer
                .write_all(format!("GET /healthz HTTP/1.1\r\nhost: {address}\r\n\r\n").as_bytes())
                .unwrap();
            let mut status = String::new();
            reader.read_line(&mut status).unwrap();
            assert!(status.starts_with("HTTP/1.1 200"), "{status}");
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            slowest = slowest.max(started.elapsed());
            probes += 1;
            std::thread::sleep(Duration::from_millis(10));
        }
        (slowest, probes)
    })
}

/// The server's resident and peak memory, in KiB, from `/proc`.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc/{pid}/status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Tests that measure how the server answers while under attack: nextest runs them alone.
mod alone {
    use super::*;

    /// The real binary under a stream of hostile documents, one after another, each over every
    /// HTTP transport: every one is answered with its coded refusal well within the request
    /// timeout, `/healthz` answers within 100 ms while each is in flight, and the process's
    /// memory stays bounded.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn healthz_answers_within_100_ms_while_hostile_documents_are_in_flight() {
        let dir = tempfile::tempdir().unwrap();
        let (server, base) = serve_binary(
            dir.path(),
            &[
                ("DOORMAN_LOG", "warn,doorman=warn"),
                ("DOORMAN_REQUEST_TIMEOUT_SECONDS", "10"),
                ("DOORMAN_RATE_LIMITS", "false"),
            ],
        )
        .await;
        let pid = server.id().expect("the server runs");
        let (rss_before, _) = memory_kib(pid);
        let documents = hostile_documents();

        let attack = {
            let base = base.clone();
            // (document, index of the transport)
            let work: Vec<(Hostile, usize)> = (0..3)
                .flat_map(|_| documents.iter().cloned())
                .flat_map(|hostile| (0..TRANSPORTS.len()).map(move |t| (hostile.clone(), t)))
                .collect();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                futures_util::stream::iter(work)
                    .map(move |(hostile, transport)| {
                        let client = client.clone();
                        let base = base.clone();
                        let transport = TRANSPORTS[transport];
                        async move {
                            let started = Instant::now();
                            let answer = send(&base, &client, transport, &hostile.document).await;
                            let mut problems: Vec<String> = violation(&hostile, transport, &answer)
                                .into_iter()
                                .collect();
                            if started.elapsed() >= Duration::from_secs(10) {
                                problems.push(format!(
                                    "{} took {:?}",
                                    hostile.name,
                                    started.elapsed()
                                ));
                            }
                            problems
                        }
                    })
                    .buffered(1)
                    .concat()
                    .await
            })
        };

        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let prober = probe_health(&base, std::sync::Arc::clone(&stop));
        let violations = attack.await.unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (slowest, probes) = prober.join().unwrap();
        let (rss_after, peak) = memory_kib(pid);

        assert!(violations.is_empty(), "{violations:#?}");
        assert!(
            probes >= 5,
            "only {probes} probes: the attack ended too soon to tell"
        );
        assert!(
            slowest < Duration::from_millis(100),
            "/healthz took {slowest:?} while hostile documents were in flight ({probes} probes)"
        );
        assert!(
            rss_after < rss_before + 64 * 1024 && peak < 256 * 1024,
            "memory grew from {rss_before} KiB to {rss_after} KiB (peak {peak} KiB)"
        );
        drop(server);
    }

    /// With every document limit at the highest value its range allows, the worst documents
    /// those limits let through are still answered within a second (the shortest request
    /// timeout), and `/healthz` within 100 ms meanwhile: no setting lets one request keep a
    /// worker busy.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_the_highest_limits_the_worst_documents_are_answered_within_a_second() {
        let dir = tempfile::tempdir().unwrap();
        let (server, base) = serve_binary(
            dir.path(),
            &[
                ("DOORMAN_LOG", "warn,doorman=warn"),
                ("DOORMAN_RATE_LIMITS", "false"),
                ("DOORMAN_MAX_FIELDS", "10000"),
                ("DOORMAN_MAX_TOKENS", "20000"),
                ("DOORMAN_MAX_DOCUMENT_CHARS", "200000"),
                ("DOORMAN_MAX_DIRECTIVES", "500"),
                ("DOORMAN_MAX_ALIASES", "1000"),
                ("DOORMAN_MAX_QUERY_DEPTH", "64"),
                ("DOORMAN_MAX_QUERY_COMPLEXITY", "100000"),
            ],
        )
        .await;
        let worst = [
            // 2^13 - 1 + 2^12 ... under 10,000 fields once expanded.
            ("a bomb of 8,191 fields", fragment_bomb(12, "__typename")),
            (
                "1,000 aliased fields with 500 directives",
                format!(
                    "{{ {} }}",
                    (0..1000)
                        .map(|n| if n < 500 {
                            format!("a{n}: __typename @include(if: true)")
                        } else {
                            format!("a{n}: __typename")
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
            ),
            (
                "a 60-deep list and 19,000 tokens",
                format!(
                    "{{ invitation(token: {}\"x\"{}) {{ id }} {} }}",
                    "[".repeat(60),
                    "]".repeat(60),
                    "__typename ".repeat(9000)
                ),
            ),
            (
                "fragments spread 9,000 times",
                format!(
                    "{{ {} }} fragment T on Query {{ __typename }}",
                    "...T ".repeat(9000)
                ),
            ),
        ];
        let client = reqwest::Client::new();
        for (name, document) in &worst {
            let request = {
                let client = client.clone();
                let url = format!("{base}/graphql");
                let document = document.clone();
                tokio::spawn(async move {
                    let started = Instant::now();
                    let response = client
                        .post(url)
                        .json(&json!({ "query": document }))
                        .send()
                        .await
                        .unwrap();
                    let status = response.status();
                    let body: Json = response.json().await.unwrap();
                    (started.elapsed(), status, body)
                })
            };
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let prober = probe_health(&base, std::sync::Arc::clone(&stop));
            let (took, status, body) = request.await.unwrap();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let (slowest, probes) = prober.join().unwrap();
            assert!(status.is_success(), "{name}: HTTP {status}");
            assert!(probes >= 1, "{name}: no /healthz probe while it ran");
            assert!(
                body["errors"].as_array().is_none_or(|errors| errors
                    .iter()
                    .all(|error| error["extensions"]["code"] != "INTERNAL_SERVER_ERROR")),
                "{name}: {body}"
            );
            assert!(took < Duration::from_secs(1), "{name} took {took:?}");
            assert!(
                slowest < Duration::from_millis(100),
                "{name}: /healthz took {slowest:?}"
            );
        }
        drop(server);
    }
}
