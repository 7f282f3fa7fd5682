//! The load generator: N HTTP/1.1 keep-alive connections (hyper's client connections, one
//! task each), each sending its next request as soon as the previous answer is in (a closed
//! loop), for a fixed time.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1;
use hyper::{Request, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// One keep-alive connection to the server.
pub struct HttpConnection {
    sender: http1::SendRequest<Full<Bytes>>,
}

impl HttpConnection {
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Self { sender })
    }

    pub async fn get(&mut self, path: &str) -> anyhow::Result<(u16, Bytes)> {
        let request = Request::get(path)
            .header(header::HOST, "127.0.0.1")
            .body(Full::new(Bytes::new()))?;
        self.send(request).await
    }

    /// POSTs a GraphQL request body to `/graphql`.
    pub async fn graphql(
        &mut self,
        body: Bytes,
        authorization: Option<&str>,
    ) -> anyhow::Result<(u16, Bytes)> {
        let mut request = Request::post("/graphql")
            .header(header::HOST, "127.0.0.1")
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        self.send(request.body(Full::new(body))?).await
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> anyhow::Result<(u16, Bytes)> {
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, body))
    }
}

/// One request of a workload.
pub struct Call {
    pub body: Bytes,
    pub authorization: Option<Arc<str>>,
}

/// What a path sends. `seq` numbers the requests of one run (0, 1, 2, … across all
/// connections), so a workload can give each request fresh data.
pub trait Workload: Send + Sync + 'static {
    fn call(&self, seq: u64, rng: &mut Rng) -> Call;

    /// Whether an answer is a success: HTTP 200 without errors (GraphQL errors, or a payload's
    /// own `errors` list, such as `createOrgInvites`'s per-email refusals).
    fn ok(&self, status: u16, body: &[u8]) -> bool {
        status == 200 && !contains(body, br#""errors":[{"#)
    }
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// xorshift64*: cheap, per connection, deterministic per seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `1..=n`.
    pub fn one_to(&mut self, n: u64) -> u64 {
        self.next() % n + 1
    }
}

#[derive(Clone, Debug, Default)]
pub struct LoadResult {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    /// Latencies in microseconds, sorted.
    pub latencies: Vec<u32>,
    pub first_error: Option<String>,
}

impl LoadResult {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// A latency percentile in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank = ((self.latencies.len() as f64) * p / 100.0).ceil() as usize;
        let index = rank.clamp(1, self.latencies.len()) - 1;
        f64::from(self.latencies[index]) / 1000.0
    }
}

/// Runs `workload` on `connections` connections for `duration`, connection `i` to server
/// `i % addrs.len()`; requests numbered from `first_seq`. Connections are opened before the
/// clock starts.
pub async fn run(
    addrs: &[SocketAddr],
    workload: Arc<dyn Workload>,
    connections: usize,
    duration: Duration,
    first_seq: u64,
) -> anyhow::Result<LoadResult> {
    let seq = Arc::new(AtomicU64::new(first_seq));
    let start_gate = Arc::new(tokio::sync::Barrier::new(connections + 1));
    let mut workers = Vec::with_capacity(connections);
    for worker in 0..connections {
        let addr = addrs[worker % addrs.len()];
        let mut conn = HttpConnection::connect(addr).await?;
        let workload = Arc::clone(&workload);
        let seq = Arc::clone(&seq);
        let start_gate = Arc::clone(&start_gate);
        workers.push(tokio::spawn(async move {
            let mut rng = Rng::new(first_seq ^ ((worker as u64 + 1) * 7919));
            let mut result = LoadResult::default();
            start_gate.wait().await;
            let deadline = Instant::now() + duration;
            while Instant::now() < deadline {
                let call = workload.call(seq.fetch_add(1, Ordering::Relaxed), &mut rng);
                let sent = Instant::now();
                let answer = conn.graphql(call.body, call.authorization.as_deref()).await;
                let micros = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                result.requests += 1;
                result.latencies.push(micros);
                match answer {
                    Ok((status, body)) if workload.ok(status, &body) => {}
                    Ok((status, body)) => {
                        result.errors += 1;
                        result.first_error.get_or_insert_with(|| {
                            format!(
                                "HTTP {status}: {}",
                                String::from_utf8_lossy(&body[..body.len().min(400)])
                            )
                        });
                    }
                    Err(err) => {
                        result.errors += 1;
                        result.first_error.get_or_insert_with(|| err.to_string());
                        // The connection is gone: open another one.
                        match HttpConnection::connect(addr).await {
                            Ok(fresh) => conn = fresh,
                            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                        }
                    }
                }
            }
            result
        }));
    }
    start_gate.wait().await;
    let started = Instant::now();
    let mut total = LoadResult::default();
    for worker in workers {
        let result = worker.await?;
        total.requests += result.requests;
        total.errors += result.errors;
        total.latencies.extend(result.latencies);
        if total.first_error.is_none() {
            total.first_error = result.first_error;
        }
    }
    total.elapsed = started.elapsed();
    total.latencies.sort_unstable();
    Ok(total)
}
