//! A small in-process SMTP server, so tests can read the mail Wilkan sends and can take the mail
//! server down and bring it back on the same port. Speaks just enough SMTP for lettre's
//! `SmtpTransport` without TLS or authentication.

// A toolbox for many tests: items no test uses yet must not fail `clippy -D warnings`.
#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, ErrorKind, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

/// One message as the server accepted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Received {
    /// Envelope sender (MAIL FROM), without angle brackets.
    pub from: String,
    /// Envelope recipients (RCPT TO), in order; includes Cc and Bcc recipients.
    pub to: Vec<String>,
    /// The raw message: headers and encoded body, CRLF line endings, dot-stuffing undone.
    pub data: String,
}

pub struct SmtpServer {
    port: u16,
    messages: Arc<Mutex<Vec<Received>>>,
    stopping: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl SmtpServer {
    /// Starts a server on a free port of 127.0.0.1.
    pub fn start() -> SmtpServer {
        SmtpServer::start_on(0)
    }

    /// Starts a server on the given port, e.g. the port of a stopped server to simulate a restart.
    pub fn start_on(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .unwrap_or_else(|e| panic!("test SMTP server cannot bind 127.0.0.1:{port}: {e}"));
        let port = listener.local_addr().expect("local address").port();
        // A blocking accept() cannot be interrupted portably; polling lets stop() end the thread.
        listener.set_nonblocking(true).expect("non-blocking listener");
        let messages = Arc::new(Mutex::new(Vec::new()));
        let stopping = Arc::new(AtomicBool::new(false));
        let acceptor = {
            let (messages, stopping) = (Arc::clone(&messages), Arc::clone(&stopping));
            thread::Builder::new()
                .name(format!("smtp-{port}"))
                .spawn(move || accept_loop(listener, messages, stopping))
                .expect("spawn SMTP thread")
        };
        SmtpServer { port, messages, stopping, acceptor: Some(acceptor) }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// All messages accepted so far, oldest first.
    pub fn messages(&self) -> Vec<Received> {
        self.messages.lock().unwrap().clone()
    }

    /// Waits until at least `n` messages arrived or `timeout` passed; returns what has arrived.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= n || Instant::now() >= deadline {
                return messages;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops accepting, cuts open sessions and frees the port (also done on drop).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        if let Some(acceptor) = self.acceptor.take() {
            // Returns once the listener is closed and all sessions ended, so the port is free.
            let _ = acceptor.join();
        }
    }
}

fn accept_loop(listener: TcpListener, messages: Arc<Mutex<Vec<Received>>>, stopping: Arc<AtomicBool>) {
    let mut sessions: Vec<(TcpStream, JoinHandle<()>)> = Vec::new();
    while !stopping.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                sessions.retain(|(_, thread)| !thread.is_finished());
                // Accepted sockets inherit non-blocking mode on some platforms.
                if stream.set_nonblocking(false).is_err() {
                    continue;
                }
                let Ok(control) = stream.try_clone() else { continue };
                let messages = Arc::clone(&messages);
                let thread = thread::spawn(move || {
                    // An I/O error only means the client went away.
                    let _ = session(stream, &messages);
                });
                sessions.push((control, thread));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::sleep(Duration::from_millis(5)),
            // E.g. a connection reset before it was accepted: keep serving.
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
    }
    drop(listener);
    // Like a real outage: open sessions end too, and a half-sent message is not delivered.
    for (stream, thread) in sessions {
        let _ = stream.shutdown(Shutdown::Both);
        let _ = thread.join();
    }
}

fn session(stream: TcpStream, messages: &Mutex<Vec<Received>>) -> io::Result<()> {
    let mut out = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    out.write_all(b"220 localhost ESMTP Wilkan test server\r\n")?;
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line);
        let command = command.trim_end();
        let verb = command.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => {
                (from, to) = (None, Vec::new());
                // No STARTTLS or AUTH: the client must send in plain text without logging in.
                b"250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            }
            "HELO" => {
                (from, to) = (None, Vec::new());
                b"250 localhost\r\n"
            }
            "MAIL" => match path_argument(command, "FROM:") {
                Some(sender) => {
                    (from, to) = (Some(sender), Vec::new());
                    b"250 2.1.0 OK\r\n"
                }
                None => b"501 5.5.4 Syntax: MAIL FROM:<address>\r\n",
            },
            "RCPT" if from.is_none() => b"503 5.5.1 MAIL first\r\n",
            "RCPT" => match path_argument(command, "TO:") {
                // A mailbox that does not exist: refused for good.
                Some(recipient) if recipient.starts_with("bestaat-niet") => b"550 5.1.1 No such user\r\n",
                // A refusal of the server's policy, not of the mailbox: worth trying again.
                Some(recipient) if recipient.starts_with("relay-geweigerd") => b"550 5.7.1 Relaying denied\r\n",
                // The server's own limits or settings, not the mailbox: worth trying again too.
                Some(recipient) if recipient.starts_with("quotum-op") => b"550 5.4.5 Daily sending quota exceeded\r\n",
                Some(recipient) if recipient.starts_with("zonder-code") => b"550 Sender verify failed\r\n",
                Some(recipient) => {
                    to.push(recipient);
                    b"250 2.1.5 OK\r\n"
                }
                None => b"501 5.5.4 Syntax: RCPT TO:<address>\r\n",
            },
            "DATA" if to.is_empty() => b"503 5.5.1 RCPT first\r\n",
            "DATA" => {
                out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let Some(data) = read_data(&mut reader)? else { return Ok(()) };
                let message = Received { from: from.take().unwrap_or_default(), to: std::mem::take(&mut to), data };
                messages.lock().unwrap().push(message);
                b"250 2.0.0 OK queued\r\n"
            }
            "RSET" => {
                (from, to) = (None, Vec::new());
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                out.write_all(b"221 2.0.0 Bye\r\n")?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not implemented\r\n",
        };
        out.write_all(reply)?;
    }
}

/// The address of `MAIL FROM:<a@b> BODY=8BITMIME`; `<>` (no sender) gives an empty string.
fn path_argument(command: &str, keyword: &str) -> Option<String> {
    let rest = command.get(4..)?.trim_start();
    if !rest.get(..keyword.len())?.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = rest[keyword.len()..].trim_start();
    match rest.strip_prefix('<') {
        Some(quoted) => quoted.split_once('>').map(|(address, _)| address.to_string()),
        None => rest.split_whitespace().next().map(str::to_string),
    }
}

/// Reads the message after DATA up to the lone "." line; `None` when the client hung up first.
fn read_data(reader: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(String::from_utf8_lossy(&data).into_owned()));
        }
        // Undo dot-stuffing: the client doubled a leading "." so it is not read as the end.
        let unstuffed = line.strip_prefix(b".").unwrap_or(&line);
        data.extend_from_slice(unstuffed);
    }
}

impl Received {
    /// The first header with this name (case-insensitive), unfolded, still RFC 2047 encoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = crlf_to_lf(&self.data);
        let (headers, _) = split_entity(&text);
        find_header(&headers, name)
    }

    /// The Subject header, decoded (lettre encodes non-ASCII subjects as RFC 2047 words).
    pub fn subject(&self) -> String {
        decode_words(&self.header("Subject").unwrap_or_default())
    }

    /// The decoded text/plain part with "\n" line endings; panics when the message has none.
    pub fn text_body(&self) -> String {
        self.body_of("text/plain")
    }

    /// The decoded text/html part with "\n" line endings; panics when the message has none.
    pub fn html_body(&self) -> String {
        self.body_of("text/html")
    }

    fn body_of(&self, mime: &str) -> String {
        let text = crlf_to_lf(&self.data);
        // The line break before the closing "." ends the last line; it is not part of the body.
        let text = text.strip_suffix('\n').unwrap_or(&text);
        find_part(text, mime).unwrap_or_else(|| panic!("no {mime} part in message:\n{}", self.data))
    }
}

fn crlf_to_lf(text: &str) -> String {
    text.replace("\r\n", "\n")
}

/// Splits a message or MIME part (with "\n" line endings) into unfolded headers and body.
fn split_entity(text: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = match text.strip_prefix('\n') {
        Some(body) => ("", body),
        None => text.split_once("\n\n").unwrap_or((text, "")),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            // A folded header continues on lines that start with white space.
            if let Some((_, value)) = headers.last_mut() {
                value.push_str(line);
            }
        } else if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_string(), value.to_string()));
        }
    }
    let headers = headers.into_iter().map(|(name, value)| (name, value.trim().to_string())).collect();
    (headers, body)
}

fn find_header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, value)| value.clone())
}

/// The decoded body of the first part of type `mime`, looking inside (nested) multiparts.
fn find_part(entity: &str, mime: &str) -> Option<String> {
    let (headers, body) = split_entity(entity);
    let content_type = find_header(&headers, "Content-Type").unwrap_or_else(|| "text/plain".to_string());
    let (kind, params) = parse_content_type(&content_type);
    if kind.starts_with("multipart/") {
        let boundary = find_header(&params, "boundary")?;
        return multipart_parts(body, &boundary).iter().find_map(|part| find_part(part, mime));
    }
    if kind != mime {
        return None;
    }
    let encoding = find_header(&headers, "Content-Transfer-Encoding").unwrap_or_default().to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "quoted-printable" => decode_quoted_printable(body),
        "base64" => {
            let compact: String = body.split_whitespace().collect();
            BASE64.decode(compact).unwrap_or_else(|e| panic!("invalid base64 body: {e}"))
        }
        _ => body.as_bytes().to_vec(),
    };
    Some(crlf_to_lf(&to_text(bytes, find_header(&params, "charset").as_deref())))
}

/// "text/plain; charset=utf-8" -> ("text/plain", [("charset", "utf-8")]).
fn parse_content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut fields = Vec::new();
    let (mut field, mut quoted) = (String::new(), false);
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    let kind = fields[0].trim().to_ascii_lowercase();
    let params = fields[1..]
        .iter()
        .filter_map(|f| f.split_once('='))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    (kind, params)
}

/// The parts between "--boundary" lines; the line break before a boundary belongs to the boundary.
fn multipart_parts(body: &str, boundary: &str) -> Vec<String> {
    let delimiter = format!("\n--{boundary}");
    // The first boundary may open the body; a leading line break lets the same split find it.
    let body = format!("\n{body}");
    let mut parts = Vec::new();
    for chunk in body.split(&delimiter).skip(1) {
        if chunk.starts_with("--") {
            break;
        }
        if let Some((_, part)) = chunk.split_once('\n') {
            parts.push(part.to_string());
        }
    }
    parts
}

fn decode_quoted_printable(body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut lines = body.split('\n').peekable();
    while let Some(line) = lines.next() {
        // White space at the end of a line may be added in transport; real spaces arrive as "=20".
        let line = line.trim_end_matches([' ', '\t']).as_bytes();
        // A trailing "=" is a soft line break: the encoder split a long line there.
        let (line, soft_break) = match line.strip_suffix(b"=") {
            Some(line) => (line, true),
            None => (line, false),
        };
        let mut i = 0;
        while i < line.len() {
            let escaped = if line[i] == b'=' { line.get(i + 1..i + 3).and_then(hex_byte) } else { None };
            match escaped {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                }
                None => {
                    out.push(line[i]);
                    i += 1;
                }
            }
        }
        if !soft_break && lines.peek().is_some() {
            out.push(b'\n');
        }
    }
    out
}

fn hex_byte(pair: &[u8]) -> Option<u8> {
    if !pair.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()
}

const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn to_text(bytes: Vec<u8>, charset: Option<&str>) -> String {
    String::from_utf8_lossy(&to_utf8(bytes, charset)).into_owned()
}

/// Converts Latin-1 to UTF-8; other charsets are taken as UTF-8 (what lettre sends).
fn to_utf8(bytes: Vec<u8>, charset: Option<&str>) -> Vec<u8> {
    match charset.map(str::to_ascii_lowercase).as_deref() {
        Some("iso-8859-1" | "latin1") => bytes.into_iter().map(char::from).collect::<String>().into_bytes(),
        _ => bytes,
    }
}

/// Decodes RFC 2047 words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`) in a header value.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    // Adjacent words are decoded together: an encoder may split one character over two words.
    let mut pending: Vec<u8> = Vec::new();
    // White space between two encoded words is folding, not text.
    let mut gap = String::new();
    let mut rest = value;
    while let Some(c) = rest.chars().next() {
        if let Some((bytes, len)) = encoded_word(rest) {
            gap.clear();
            pending.extend(bytes);
            rest = &rest[len..];
            continue;
        }
        if c.is_whitespace() && !pending.is_empty() {
            gap.push(c);
        } else {
            out.push_str(&String::from_utf8_lossy(&std::mem::take(&mut pending)));
            out.push_str(&std::mem::take(&mut gap));
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out.push_str(&String::from_utf8_lossy(&pending));
    out.push_str(&gap);
    out
}

/// The UTF-8 bytes of the encoded word at the start of `text`, and its length in `text`.
fn encoded_word(text: &str) -> Option<(Vec<u8>, usize)> {
    let inner = text.strip_prefix("=?")?;
    let (charset, rest) = inner.split_once('?')?;
    let (encoding, rest) = rest.split_once('?')?;
    let end = rest.find("?=")?;
    let encoded = &rest[..end];
    if charset.is_empty() || encoded.contains(char::is_whitespace) {
        return None;
    }
    let bytes = match encoding {
        "B" | "b" => BASE64.decode(encoded).ok()?,
        "Q" | "q" => decode_q(encoded),
        _ => return None,
    };
    let len = "=?".len() + charset.len() + 1 + encoding.len() + 1 + end + "?=".len();
    // RFC 2231 allows a language after the charset: "utf-8*nl".
    let charset = charset.split('*').next().unwrap_or(charset);
    Some((to_utf8(bytes, Some(charset)), len))
}

fn decode_q(encoded: &str) -> Vec<u8> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'_' => out.push(b' '),
            b'=' => match bytes.get(i + 1..i + 3).and_then(hex_byte) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'='),
            },
            byte => out.push(byte),
        }
        i += 1;
    }
    out
}
