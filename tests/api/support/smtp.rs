//! `SmtpSink`: a real SMTP server (mailin-embedded) on a free 127.0.0.1 port, in the test
//! process, that records what lettre delivers and can be scripted to fail; plus a small MIME
//! reader for the captured messages (and for the `.eml` files of the file transport).

use std::io;
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use base64::Engine as _;
use mailin_embedded::{Handler, Response, Server};

use super::PUBLIC_URL;

/// How the sink answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// Accepts every message.
    Accept,
    /// Answers `451` to RCPT this many times, then accepts.
    TemporaryFailures(usize),
    /// Answers `550` to RCPT, always.
    Reject,
    /// Accepts TCP connections and never says a word (no greeting), like a hung server.
    Tarpit,
}

/// One message the sink accepted: the SMTP envelope plus the RFC 5322 text.
#[derive(Clone, Debug)]
pub struct CapturedMessage {
    pub envelope_from: String,
    pub recipients: Vec<String>,
    pub raw: String,
}

/// An SMTP server for one test. Its thread lives until the test process ends.
pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    script: Mutex<Script>,
    messages: Mutex<Vec<CapturedMessage>>,
    /// Connections that reached the server (EHLO/HELO seen, or TCP accepted for a tarpit).
    connections: AtomicUsize,
    /// RCPT commands answered, accepted or not: one per delivery attempt of a message.
    attempts: AtomicUsize,
    /// Kept open so a tarpit never closes on the client.
    held: Mutex<Vec<TcpStream>>,
}

impl SmtpSink {
    /// A sink that accepts everything.
    pub fn start() -> SmtpSink {
        Self::start_with(Script::Accept)
    }

    pub fn start_with(script: Script) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("failed to bind the SMTP sink");
        Self::serve(listener, script)
    }

    /// An accepting sink on `port`, e.g. one taken by [`free_port`] while the "server was down".
    pub fn start_on(port: u16) -> SmtpSink {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|error| panic!("failed to bind the SMTP sink to port {port}: {error}"));
        Self::serve(listener, Script::Accept)
    }

    fn serve(listener: TcpListener, script: Script) -> SmtpSink {
        let port = listener.local_addr().expect("a bound address").port();
        let shared = Arc::new(Shared {
            script: Mutex::new(script),
            messages: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
            attempts: AtomicUsize::new(0),
            held: Mutex::new(Vec::new()),
        });
        if script == Script::Tarpit {
            let tarpit = Arc::clone(&shared);
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    lock(&tarpit.held).push(stream);
                    tarpit.connections.fetch_add(1, Ordering::SeqCst);
                }
            });
        } else {
            let mut server = Server::new(Recorder::new(Arc::clone(&shared)));
            // Each session holds a pool thread; pooled client connections stay open while idle.
            server
                .with_name("sink.doorman.test")
                .with_num_threads(64)
                .with_tcp_listener(listener);
            std::thread::spawn(move || {
                if let Err(error) = server.serve() {
                    eprintln!("the SMTP sink stopped: {error}");
                }
            });
        }
        SmtpSink { port, shared }
    }

    /// `smtp://127.0.0.1:{port}`, for `Settings::smtp_url`.
    pub fn url(&self) -> String {
        url_for(self.port)
    }

    /// Changes how the sink answers from now on.
    pub fn set_script(&self, script: Script) {
        assert_ne!(
            script,
            Script::Tarpit,
            "a running sink cannot turn into a tarpit"
        );
        *lock(&self.shared.script) = script;
    }

    /// The messages accepted so far, in arrival order.
    pub fn messages(&self) -> Vec<CapturedMessage> {
        lock(&self.shared.messages).clone()
    }

    /// How many connections reached the server.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// How many delivery attempts reached RCPT (one recipient per message), failed ones included.
    pub fn attempts(&self) -> usize {
        self.shared.attempts.load(Ordering::SeqCst)
    }

    /// Waits until at least `count` connections have reached the server.
    pub async fn wait_for_connections(&self, count: usize, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.connections() < count {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the SMTP sink saw {} connections, expected {count} within {timeout:?}",
                self.connections()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// `smtp://127.0.0.1:{port}`.
pub fn url_for(port: u16) -> String {
    format!("smtp://127.0.0.1:{port}")
}

/// A port nothing listens on (bound, then released), for "the SMTP server is down".
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("failed to bind a probe socket");
    listener.local_addr().expect("a bound address").port()
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The mailin handler: one clone per SMTP session, sharing the sink's record.
#[derive(Clone)]
struct Recorder {
    shared: Arc<Shared>,
    from: String,
    recipients: Vec<String>,
    data: Vec<u8>,
}

impl Recorder {
    fn new(shared: Arc<Shared>) -> Recorder {
        Recorder {
            shared,
            from: String::new(),
            recipients: Vec::new(),
            data: Vec::new(),
        }
    }
}

impl Handler for Recorder {
    fn helo(&mut self, _ip: IpAddr, _domain: &str) -> Response {
        self.shared.connections.fetch_add(1, Ordering::SeqCst);
        mailin_embedded::response::OK
    }

    // Faults are answered to RCPT: after an error at the end of DATA, mailin stays in its DATA
    // state and swallows the client's next commands (QUIT included).
    fn rcpt(&mut self, _to: &str) -> Response {
        self.shared.attempts.fetch_add(1, Ordering::SeqCst);
        let mut script = lock(&self.shared.script);
        match *script {
            Script::TemporaryFailures(left) if left > 0 => {
                *script = Script::TemporaryFailures(left - 1);
                Response::custom(451, "4.3.0 Temporary failure, try again".to_owned())
            }
            Script::Reject => Response::custom(550, "5.1.1 Mailbox unavailable".to_owned()),
            _ => mailin_embedded::response::OK,
        }
    }

    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_owned();
        self.recipients = to.to_vec();
        self.data.clear();
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        lock(&self.shared.messages).push(CapturedMessage {
            envelope_from: std::mem::take(&mut self.from),
            recipients: std::mem::take(&mut self.recipients),
            raw: String::from_utf8_lossy(&std::mem::take(&mut self.data)).into_owned(),
        });
        mailin_embedded::response::OK
    }
}

// ---- reading messages ----

impl CapturedMessage {
    /// A message read from an `.eml` file (no envelope).
    pub fn from_eml(raw: &str) -> CapturedMessage {
        CapturedMessage {
            envelope_from: String::new(),
            recipients: Vec::new(),
            raw: raw.to_owned(),
        }
    }

    /// The first header `name` (unfolded, RFC 2047 words decoded).
    pub fn header(&self, name: &str) -> Option<String> {
        let (headers, _) = split_head(&self.raw);
        header_value(&headers, name).map(|value| decode_words(&value))
    }

    #[track_caller]
    pub fn subject(&self) -> String {
        self.header("Subject")
            .unwrap_or_else(|| panic!("no Subject in\n{}", self.raw))
    }

    /// The decoded `text/plain` part.
    #[track_caller]
    pub fn text(&self) -> String {
        self.part("text/plain")
    }

    /// The decoded `text/html` part.
    #[track_caller]
    pub fn html(&self) -> String {
        self.part("text/html")
    }

    #[track_caller]
    fn part(&self, content_type: &str) -> String {
        let mut found = Vec::new();
        collect_leaves(&self.raw, &mut found);
        let mut matching = found.into_iter().filter(|(kind, _)| kind == content_type);
        let (_, body) = matching
            .next()
            .unwrap_or_else(|| panic!("no {content_type} part in\n{}", self.raw));
        assert!(
            matching.next().is_none(),
            "more than one {content_type} part in\n{}",
            self.raw
        );
        body
    }

    /// The one invitation link of the message: the same in the text and the HTML part (read
    /// as a browser would, character references decoded).
    #[track_caller]
    pub fn invitation_link(&self) -> String {
        let text_links = invitation_links(&self.text());
        let html_links = invitation_links(&unescape_html(&self.html()));
        assert_eq!(
            text_links.len(),
            1,
            "expected one invitation link in the text part, got {text_links:?} in\n{}",
            self.text()
        );
        assert!(
            html_links.iter().all(|link| *link == text_links[0]) && !html_links.is_empty(),
            "the HTML part links to {html_links:?}, the text part to {text_links:?}"
        );
        text_links[0].clone()
    }

    /// The raw token of [`Self::invitation_link`].
    #[track_caller]
    pub fn invitation_token(&self) -> String {
        super::token_from_link(&self.invitation_link())
    }
}

/// `html` with its character references (`&amp;`, `&#x2f;`, `&#47;`, …) decoded.
pub fn unescape_html(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let decoded = rest.find(';').filter(|end| *end <= 10).and_then(|end| {
            let name = &rest[1..end];
            let character = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            };
            character.map(|character| (character, end + 1))
        });
        match decoded {
            Some((character, length)) => {
                out.push(character);
                rest = &rest[length..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every distinct `{PUBLIC_URL}/invite/{43-character token}` in `body`, in order.
#[track_caller]
pub fn invitation_links(body: &str) -> Vec<String> {
    let prefix = format!("{PUBLIC_URL}/invite/");
    let mut links: Vec<String> = Vec::new();
    for (start, _) in body.match_indices(&prefix) {
        let token: String = body[start + prefix.len()..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        assert_eq!(
            token.len(),
            43,
            "an invitation link with a {}-character token: {prefix}{token}",
            token.len()
        );
        let link = format!("{prefix}{token}");
        if !links.contains(&link) {
            links.push(link);
        }
    }
    links
}

/// Header block (unfolded lines) and body of an entity.
fn split_head(entity: &str) -> (Vec<String>, String) {
    let entity = entity.replace("\r\n", "\n");
    let (head, body) = entity.split_once("\n\n").unwrap_or((entity.as_str(), ""));
    let mut headers: Vec<String> = Vec::new();
    for line in head.lines() {
        match headers.last_mut() {
            Some(last) if line.starts_with([' ', '\t']) => {
                last.push(' ');
                last.push_str(line.trim());
            }
            _ => headers.push(line.to_owned()),
        }
    }
    (headers, body.to_owned())
}

fn header_value(headers: &[String], name: &str) -> Option<String> {
    headers.iter().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

/// A header parameter such as `boundary` of `multipart/alternative; boundary="x"`.
fn parameter(value: &str, name: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().trim_matches('"').to_owned())
    })
}

/// Appends (content type, decoded body) for each non-multipart entity under `entity`.
fn collect_leaves(entity: &str, found: &mut Vec<(String, String)>) {
    let (headers, body) = split_head(entity);
    let content_type =
        header_value(&headers, "Content-Type").unwrap_or_else(|| "text/plain".to_owned());
    let kind = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if kind.starts_with("multipart/") {
        let boundary = parameter(&content_type, "boundary")
            .unwrap_or_else(|| panic!("{kind} without a boundary"));
        let delimiter = format!("--{boundary}");
        let mut parts = Vec::new();
        let mut current: Option<Vec<&str>> = None;
        for line in body.lines() {
            if line.trim_end() == delimiter || line.trim_end() == format!("{delimiter}--") {
                if let Some(part) = current.take() {
                    parts.push(part.join("\n"));
                }
                if line.trim_end() != delimiter {
                    break;
                }
                current = Some(Vec::new());
            } else if let Some(part) = current.as_mut() {
                part.push(line);
            }
        }
        for part in parts {
            collect_leaves(&part, found);
        }
    } else {
        let encoding = header_value(&headers, "Content-Transfer-Encoding")
            .unwrap_or_else(|| "7bit".to_owned())
            .to_ascii_lowercase();
        let bytes = match encoding.as_str() {
            "base64" => base64::engine::general_purpose::STANDARD
                .decode(body.split_whitespace().collect::<String>())
                .expect("a valid base64 body"),
            "quoted-printable" => decode_quoted_printable(&body),
            _ => body.into_bytes(),
        };
        let text = String::from_utf8(bytes).expect("a UTF-8 body");
        found.push((kind, text));
    }
}

/// Quoted-printable (RFC 2045 6.7): `=XX` escapes, `=` at the end of a line is a soft break.
fn decode_quoted_printable(body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let lines: Vec<&str> = body.split('\n').collect();
    for (index, line) in lines.iter().enumerate() {
        let line = line.trim_end_matches(['\r', ' ', '\t']);
        let (line, soft_break) = match line.strip_suffix('=') {
            Some(rest) => (rest, true),
            None => (line, false),
        };
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let escaped = (bytes[i] == b'=')
                .then(|| bytes.get(i + 1..i + 3))
                .flatten()
                .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit))
                .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
            if let Some(byte) = escaped {
                out.push(byte);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        if !soft_break && index + 1 < lines.len() {
            out.push(b'\n');
        }
    }
    out
}

/// Decodes RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) in a header value.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        let Some(word) = encoded_word(&rest[start..]) else {
            out.push_str(&rest[..start + 2]);
            rest = &rest[start + 2..];
            last_was_word = false;
            continue;
        };
        // Whitespace between two adjacent encoded words is not part of the text.
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        out.push_str(&word.1);
        rest = &rest[start + word.0..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

/// (length consumed, decoded text) of the encoded word at the start of `text`.
fn encoded_word(text: &str) -> Option<(usize, String)> {
    let inner = text.strip_prefix("=?")?;
    let mut fields = inner.splitn(3, '?');
    let _charset = fields.next()?;
    let encoding = fields.next()?;
    let rest = fields.next()?;
    let end = rest.find("?=")?;
    let payload = &rest[..end];
    let consumed = 2 + inner.len() - rest.len() + end + 2;
    let bytes = match encoding.to_ascii_lowercase().as_str() {
        "b" => base64::engine::general_purpose::STANDARD
            .decode(payload)
            .ok()?,
        "q" => decode_quoted_printable(&payload.replace('_', " ")),
        _ => return None,
    };
    Some((consumed, String::from_utf8_lossy(&bytes).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_printable_decodes_escapes_and_soft_breaks() {
        let decoded = decode_quoted_printable("caf=C3=A9 <a href=3D\"x\">=\r\nlong line\r\nnext");
        assert_eq!(
            String::from_utf8(decoded).unwrap(),
            "café <a href=\"x\">long line\nnext"
        );
    }

    #[test]
    fn html_character_references_are_decoded() {
        assert_eq!(
            unescape_html("http:&#x2f;&#47;a&amp;b &lt;p&gt; &bogus; & &#x27;"),
            "http://a&b <p> &bogus; & '"
        );
    }

    #[test]
    fn encoded_words_are_decoded() {
        assert_eq!(decode_words("=?utf-8?b?Y2Fmw6k=?= ok"), "café ok");
        assert_eq!(decode_words("=?utf-8?q?a_b?= =?utf-8?q?=3Dc?="), "a b=c");
        assert_eq!(decode_words("plain"), "plain");
    }
}
