//! Delivery through lettre: SMTP when configured, otherwise `.eml` files in `<data>/outbox/` so a
//! newcomer sees every mail without a mail server.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{FileTransport, Message, SmtpTransport, Transport};

use super::outbox::OutboxRow;
use crate::config::{Config, SmtpTls};

/// Why a message did not go out, and whether trying again can help.
#[derive(Debug)]
pub struct SendError {
    /// May hold the recipient's address (a server's reply often repeats it): stored with the
    /// message, not logged.
    pub message: String,
    /// The SMTP reply code, if the server answered: what the log shows.
    pub code: Option<String>,
    /// The mail server refused the recipient for good (an unknown mailbox), or the message cannot
    /// be built at all: retrying would only repeat it.
    pub permanent: bool,
}

impl SendError {
    fn permanent(message: String) -> SendError {
        SendError { message, code: None, permanent: true }
    }
}

impl std::fmt::Display for SendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub enum Sender {
    Smtp(Box<SmtpTransport>),
    Files(FileTransport, PathBuf),
}

impl Sender {
    pub fn from_config(config: &Config) -> Result<Sender, String> {
        match &config.smtp {
            Some(smtp) => {
                let builder = match smtp.tls {
                    SmtpTls::None => SmtpTransport::builder_dangerous(&smtp.host),
                    SmtpTls::StartTls => SmtpTransport::starttls_relay(&smtp.host).map_err(|e| e.to_string())?,
                    SmtpTls::Tls => SmtpTransport::relay(&smtp.host).map_err(|e| e.to_string())?,
                };
                let mut builder = builder.port(smtp.port).timeout(Some(Duration::from_secs(10)));
                if !smtp.username.is_empty() {
                    builder = builder.credentials(Credentials::new(smtp.username.clone(), smtp.password.clone()));
                }
                Ok(Sender::Smtp(Box::new(builder.build())))
            }
            None => {
                let dir = config.data_dir.join("outbox");
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                Ok(Sender::Files(FileTransport::new(&dir), dir))
            }
        }
    }

    pub fn send(&self, from: &str, row: &OutboxRow) -> Result<(), SendError> {
        let from: Mailbox = from.parse().map_err(|e| SendError::permanent(format!("sender address: {e}")))?;
        let to: Mailbox =
            row.to_address.parse().map_err(|e| SendError::permanent(format!("recipient address: {e}")))?;
        let builder = Message::builder()
            .from(from)
            .to(to)
            .subject(row.subject.clone())
            // A stable id: a receiver (and our tests) can see a message is the same one.
            .message_id(Some(format!("<{}@wilkan>", row.id)));
        let message = match &row.body_html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(row.body_text.clone(), html.clone())),
            None => {
                builder.singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(row.body_text.clone()))
            }
        }
        .map_err(|e| SendError::permanent(format!("building the message: {e}")))?;
        match self {
            Sender::Smtp(t) => t.send(&message).map(|_| ()).map_err(|e| SendError {
                permanent: refuses_recipient(&e),
                code: e.status().map(|c| c.to_string()),
                message: e.to_string(),
            }),
            Sender::Files(t, dir) => {
                let id =
                    t.send(&message).map_err(|e| SendError { message: e.to_string(), code: None, permanent: false })?;
                tracing::info!(file = %dir.join(format!("{id}.eml")).display(), id = %row.id, template = %row.template, "mail written to the outbox folder");
                Ok(())
            }
        }
    }
}

/// Whether a refusal is about the recipient, so that trying again cannot help: a permanent reply
/// whose enhanced status code (RFC 3463) names the mailbox or its address (5.1.1 no such mailbox,
/// 5.1.2 no such domain, 5.1.3 bad address syntax, 5.1.6 moved, 5.1.10 the domain takes no mail,
/// 5.2.1 mailbox disabled), or 551 (not local: only ever said of a recipient). Any other refusal,
/// also a permanent one (550 with a quota 5.4.5 or a policy 5.7.x, a refused sender or HELO
/// without a code, 535 a wrong login, 554), may be about the server or Wilkan's settings: once
/// they are put right, the mail must still go out. A bad mailbox without a code is tried for the
/// days a message is tried, then given up.
fn refuses_recipient(e: &lettre::transport::smtp::Error) -> bool {
    e.is_permanent() && recipient_refusal(e.status().map(|c| c.to_string()).as_deref(), &e.to_string())
}

fn recipient_refusal(code: Option<&str>, text: &str) -> bool {
    const ABOUT_THE_RECIPIENT: [&str; 6] = ["5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10", "5.2.1"];
    match enhanced_status(text) {
        Some(status) => ABOUT_THE_RECIPIENT.contains(&status),
        None => code == Some("551"),
    }
}

/// The first enhanced status code (`5.x.y`) in a reply's text.
fn enhanced_status(text: &str) -> Option<&str> {
    text.split(|ch: char| ch.is_whitespace() || ch == ',' || ch == ':' || ch == '(' || ch == ')').find(|word| {
        let parts: Vec<&str> = word.split('.').collect();
        parts.len() == 3
            && parts[0] == "5"
            && parts[1..].iter().all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
    })
}

#[cfg(test)]
mod tests {
    use super::recipient_refusal;

    #[test]
    fn only_a_refusal_of_the_mailbox_is_for_good() {
        for (code, text) in [
            ("550", "permanent error (550): 5.1.1 The email account that you tried to reach does not exist"),
            ("550", "permanent error (550): 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found"),
            ("553", "permanent error (553): 5.1.3 Bad recipient address syntax"),
            ("550", "permanent error (550): 5.2.1 Mailbox disabled, not accepting messages"),
            ("551", "permanent error (551): User not local; please try <jan@elders.nl>"),
        ] {
            assert!(recipient_refusal(Some(code), text), "{text}");
        }
        for (code, text) in [
            ("550", "permanent error (550): 5.4.5 Daily sending quota exceeded"),
            ("550", "permanent error (550): 5.7.1 Relaying denied"),
            ("550", "permanent error (550): 5.1.7 Invalid sender address"),
            ("550", "permanent error (550): 5.1.8 Sender domain does not exist"),
            ("550", "permanent error (550): Sender verify failed"),
            ("550", "permanent error (550): Access denied - Invalid HELO name"),
            ("553", "permanent error (553): sorry, that domain isn't in my list of allowed rcpthosts"),
            ("554", "permanent error (554): 5.3.0 Other mail system problem"),
            ("535", "permanent error (535): 5.7.8 Authentication credentials invalid"),
        ] {
            assert!(!recipient_refusal(Some(code), text), "{text}");
        }
    }
}
