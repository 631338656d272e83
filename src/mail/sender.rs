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

/// Whether a refusal is about the recipient (RFC 5321: 550 mailbox unavailable, 551 not local,
/// 553 mailbox name not allowed), so that trying again cannot help. Any other refusal, also a
/// permanent one (535 wrong login, 554, a policy status 5.7.x such as "relaying denied", a
/// refused sender 5.1.7 or 5.1.8 such as a sender domain that does not exist), is about the
/// server or Wilkan's settings: once they are put right, the mail must still go out.
fn refuses_recipient(e: &lettre::transport::smtp::Error) -> bool {
    let recipient_code = e.status().is_some_and(|c| matches!(c.to_string().as_str(), "550" | "551" | "553"));
    let text = e.to_string();
    let not_the_recipient = ["5.7.", "5.1.7", "5.1.8"].iter().any(|s| text.contains(s));
    e.is_permanent() && recipient_code && !not_the_recipient
}
