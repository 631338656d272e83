//! Configuration: defaults < `wilkan.toml` < environment, validated once at start-up.
//!
//! One table (`SETTINGS`) lists every setting with its environment variable, file key, default and
//! help text; `--help` prints it, so the documentation cannot drift from what is read.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::db::DbTarget;

/// The longest access token (see `revocations::prune`).
pub const MAX_ACCESS_TOKEN_MINUTES: i64 = 24 * 60;

/// The shortest retention period accepted (see `retention_days`).
pub const MIN_RETENTION_DAYS: i64 = 30;

pub struct Setting {
    pub env: &'static str,
    pub key: &'static str,
    pub default: &'static str,
    pub help: &'static str,
}

pub const SETTINGS: &[Setting] = &[
    Setting {
        env: "DATABASE_URL",
        key: "database_url",
        default: "",
        help: "postgres://... for PostgreSQL, sqlite://PATH for SQLite; empty: SQLite in the data folder",
    },
    Setting {
        env: "WILKAN_SQLITE_EXCLUSIVE",
        key: "sqlite_exclusive",
        default: "false",
        help: "SQLite only, true or false: the server keeps the database file to itself (no file lock per \
               read: 1.1x GET /me/courses), so that no other process (wilkan's commands, sqlite3, a backup \
               tool) can open it while the server runs",
    },
    Setting {
        env: "WILKAN_DATA_DIR",
        key: "data_dir",
        default: "./data",
        help: "folder for the embedded SQLite file, the generated development secrets and the mail outbox",
    },
    Setting { env: "WILKAN_BIND", key: "bind", default: "127.0.0.1:8080", help: "address and port to listen on" },
    Setting {
        env: "WILKAN_MODE",
        key: "mode",
        default: "development",
        help: "development or production; production requires WILKAN_JWT_SECRET, WILKAN_PSEUDONYM_SECRET, WILKAN_SMTP_HOST and a WILKAN_PUBLIC_URL other than this machine",
    },
    Setting {
        env: "WILKAN_JWT_SECRET",
        key: "jwt_secret",
        default: "",
        help: "HS256 secret (at least 32 characters); secret, never logged",
    },
    Setting {
        env: "WILKAN_PSEUDONYM_SECRET",
        key: "pseudonym_secret",
        default: "",
        help: "key of the pseudonyms in exports (at least 32 characters), apart from the JWT secret so that \
               replacing that one keeps pseudonyms stable; secret, never logged",
    },
    Setting {
        env: "WILKAN_ACCESS_TOKEN_MINUTES",
        key: "access_token_minutes",
        default: "15",
        help: "lifetime of access tokens",
    },
    Setting {
        env: "WILKAN_REFRESH_TOKEN_DAYS",
        key: "refresh_token_days",
        default: "30",
        help: "lifetime of refresh tokens",
    },
    Setting {
        env: "WILKAN_DB_POOL_SIZE",
        key: "db_pool_size",
        default: "0",
        help: "database connections in the pool; 0 = two per core, at least 4",
    },
    Setting {
        env: "WILKAN_DB_TIMEOUT_SECONDS",
        key: "db_timeout_seconds",
        default: "3",
        help: "how long a request waits for a database connection before answering 503",
    },
    Setting {
        env: "WILKAN_DB_STARTUP_WAIT_SECONDS",
        key: "db_startup_wait_seconds",
        default: "30",
        help: "how long start-up waits for the database to come up",
    },
    Setting { env: "WILKAN_WORKERS", key: "workers", default: "0", help: "HTTP worker threads; 0 = one per core" },
    Setting {
        env: "WILKAN_BODY_LIMIT_BYTES",
        key: "body_limit_bytes",
        default: "262144",
        help: "largest JSON body accepted (413 above)",
    },
    Setting {
        env: "WILKAN_CONTENT_DIR",
        key: "content_dir",
        default: "./course-content",
        help: "folder with courses, questionnaires and email templates",
    },
    Setting {
        env: "WILKAN_VIDEO_BASE_URL",
        key: "video_base_url",
        default: "https://video.wilkan.nl",
        help: "base URL of course videos (<base>/<key>.mp4)",
    },
    Setting {
        env: "WILKAN_PUBLIC_URL",
        key: "public_url",
        default: "http://127.0.0.1:8080",
        help: "URL users reach Wilkan at (used in emails)",
    },
    Setting {
        env: "WILKAN_SMTP_HOST",
        key: "smtp_host",
        default: "",
        help: "SMTP server; empty: mails are written as .eml files to <data>/outbox",
    },
    Setting { env: "WILKAN_SMTP_PORT", key: "smtp_port", default: "587", help: "SMTP port" },
    Setting { env: "WILKAN_SMTP_TLS", key: "smtp_tls", default: "starttls", help: "none, starttls or tls" },
    Setting { env: "WILKAN_SMTP_USERNAME", key: "smtp_username", default: "", help: "SMTP user name" },
    Setting {
        env: "WILKAN_SMTP_PASSWORD",
        key: "smtp_password",
        default: "",
        help: "SMTP password; secret, never logged",
    },
    Setting {
        env: "WILKAN_MAIL_FROM",
        key: "mail_from",
        default: "Wilkan <noreply@wilkan.local>",
        help: "sender address of all mail",
    },
    Setting {
        env: "WILKAN_MAIL_POLL_MS",
        key: "mail_poll_ms",
        default: "2000",
        help: "how often the worker looks for mail to send, reminders to queue and sessions other instances ended",
    },
    Setting {
        env: "WILKAN_MAIL_RETRY_BASE_SECONDS",
        key: "mail_retry_base_seconds",
        default: "30",
        help: "first retry delay after a failed send; doubles each attempt (max 1 hour)",
    },
    Setting {
        env: "WILKAN_MAIL_MAX_ATTEMPTS",
        key: "mail_max_attempts",
        default: "8",
        help: "attempts before a message is marked failed",
    },
    Setting {
        env: "WILKAN_CARD_HOLD_HOURS",
        key: "card_hold_hours",
        default: "24",
        help: "a colleague's card waits this long before delivery, so the coach can stop a hurtful one",
    },
    Setting {
        env: "WILKAN_RETENTION_DAYS",
        key: "retention_days",
        default: "730",
        help: "trajectories ended longer ago than this are pseudonymised by the housekeeping job (at least 30)",
    },
    Setting {
        env: "WILKAN_CORS_ORIGINS",
        key: "cors_origins",
        default: "",
        help: "comma-separated origins allowed to call the API from a browser (none by default)",
    },
    Setting {
        env: "WILKAN_TRUSTED_PROXIES",
        key: "trusted_proxies",
        default: "",
        help: "comma-separated addresses or networks of the reverse proxies in front of Wilkan; from \
               them X-Forwarded-For names the client whose failed logins are counted (none by default)",
    },
    Setting {
        env: "WILKAN_REQUEST_TIMEOUT_SECONDS",
        key: "request_timeout_seconds",
        default: "30",
        help: "time a client has to send a request's headers and body",
    },
    Setting {
        env: "WILKAN_TIME_ZONE",
        key: "time_zone",
        default: "Europe/Amsterdam",
        help: "the organisations' time zone (IANA name): group sessions are planned in its wall-clock time",
    },
    Setting { env: "WILKAN_LOG", key: "log", default: "info", help: "log filter, e.g. info or wilkan=debug" },
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    None,
    StartTls,
    Tls,
}

#[derive(Clone)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub username: String,
    pub password: String,
}

#[derive(Clone)]
pub struct Config {
    pub database: DbTarget,
    pub data_dir: PathBuf,
    pub bind: String,
    pub mode: Mode,
    pub jwt_secret: String,
    pub pseudonym_secret: String,
    pub access_token_minutes: i64,
    pub refresh_token_days: i64,
    pub db_pool_size: u32,
    pub db_timeout_seconds: u64,
    pub db_startup_wait_seconds: u64,
    pub workers: usize,
    pub body_limit_bytes: usize,
    pub content_dir: PathBuf,
    pub video_base_url: String,
    pub public_url: String,
    pub smtp: Option<SmtpConfig>,
    pub mail_from: String,
    pub mail_poll_ms: u64,
    pub mail_retry_base_seconds: i64,
    pub mail_max_attempts: i32,
    pub card_hold_hours: i64,
    pub retention_days: i64,
    pub cors_origins: Vec<String>,
    pub trusted_proxies: crate::http::client_address::TrustedProxies,
    pub request_timeout_seconds: u64,
    pub time_zone: chrono_tz::Tz,
    pub log: String,
}

impl fmt::Debug for Config {
    // Written by hand so that secrets can never end up in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database", &crate::db::redact_url(&self.database.location))
            .field("data_dir", &self.data_dir)
            .field("bind", &self.bind)
            .field("mode", &self.mode)
            .field("jwt_secret", &"***")
            .field("pseudonym_secret", &"***")
            .field("db_pool_size", &self.db_pool_size)
            .field("workers", &self.workers)
            .field("content_dir", &self.content_dir)
            .field("smtp_host", &self.smtp.as_ref().map(|s| s.host.clone()))
            .finish_non_exhaustive()
    }
}

/// Text for `--help`: every setting, its variable and default.
pub fn settings_help() -> String {
    let mut out = String::from("Settings (environment variable, or the key in wilkan.toml; the environment wins):\n");
    for s in SETTINGS {
        let default = if s.default.is_empty() { "(empty)" } else { s.default };
        out.push_str(&format!("  {:<32} {:<26} default {}\n      {}\n", s.env, s.key, default, s.help));
    }
    out
}

impl Config {
    /// Loads `file` (if given, it must exist; otherwise `./wilkan.toml` if present) and the
    /// environment.
    pub fn load(file: Option<&Path>) -> Result<Self, String> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::from_sources(file, &env)
    }

    pub fn from_sources(file: Option<&Path>, env: &HashMap<String, String>) -> Result<Self, String> {
        let mut values: HashMap<&'static str, String> =
            SETTINGS.iter().map(|s| (s.key, s.default.to_string())).collect();
        let path = match file {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from("wilkan.toml")).filter(|p| p.exists()),
        };
        if let Some(path) = path {
            let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let table: toml::Table = text.parse().map_err(|e| format!("{}: {e}", path.display()))?;
            for (k, v) in table {
                let setting = SETTINGS
                    .iter()
                    .find(|s| s.key == k)
                    .ok_or_else(|| format!("{}: unknown setting '{k}'", path.display()))?;
                let text = match v {
                    toml::Value::String(s) => s,
                    other => other.to_string(),
                };
                values.insert(setting.key, text);
            }
        }
        for s in SETTINGS {
            if let Some(v) = env.get(s.env) {
                values.insert(s.key, v.clone());
            }
        }
        Self::from_values(&values)
    }

    fn from_values(v: &HashMap<&'static str, String>) -> Result<Self, String> {
        let get = |k: &str| v.get(k).cloned().unwrap_or_default();
        fn num<T: std::str::FromStr>(v: &HashMap<&'static str, String>, key: &str) -> Result<T, String> {
            let raw = v.get(key).cloned().unwrap_or_default();
            raw.trim().parse().map_err(|_| format!("setting {key}: '{raw}' is not a valid number"))
        }
        let data_dir = PathBuf::from(get("data_dir"));
        let url = get("database_url");
        let mut database = if url.trim().is_empty() {
            DbTarget::parse(&format!("sqlite://{}", data_dir.join("wilkan.db").display()))?
        } else {
            DbTarget::parse(url.trim())?
        };
        database.sqlite_exclusive = match get("sqlite_exclusive").trim() {
            "true" => true,
            "false" => false,
            other => return Err(format!("setting sqlite_exclusive: '{other}' must be true or false")),
        };
        let mode = match get("mode").as_str() {
            "development" => Mode::Development,
            "production" => Mode::Production,
            other => return Err(format!("setting mode: '{other}' must be development or production")),
        };
        let smtp_host = get("smtp_host");
        let smtp = if smtp_host.trim().is_empty() {
            None
        } else {
            Some(SmtpConfig {
                host: smtp_host,
                port: num(v, "smtp_port")?,
                tls: match get("smtp_tls").as_str() {
                    "none" => SmtpTls::None,
                    "starttls" => SmtpTls::StartTls,
                    "tls" => SmtpTls::Tls,
                    other => return Err(format!("setting smtp_tls: '{other}' must be none, starttls or tls")),
                },
                username: get("smtp_username"),
                password: get("smtp_password"),
            })
        };
        let config = Config {
            database,
            data_dir,
            bind: get("bind"),
            mode,
            jwt_secret: get("jwt_secret"),
            pseudonym_secret: get("pseudonym_secret"),
            access_token_minutes: num(v, "access_token_minutes")?,
            refresh_token_days: num(v, "refresh_token_days")?,
            db_pool_size: num(v, "db_pool_size")?,
            db_timeout_seconds: num(v, "db_timeout_seconds")?,
            db_startup_wait_seconds: num(v, "db_startup_wait_seconds")?,
            workers: num(v, "workers")?,
            body_limit_bytes: num(v, "body_limit_bytes")?,
            content_dir: PathBuf::from(get("content_dir")),
            video_base_url: get("video_base_url").trim_end_matches('/').to_string(),
            public_url: get("public_url").trim_end_matches('/').to_string(),
            smtp,
            mail_from: get("mail_from"),
            mail_poll_ms: num(v, "mail_poll_ms")?,
            mail_retry_base_seconds: num(v, "mail_retry_base_seconds")?,
            mail_max_attempts: num(v, "mail_max_attempts")?,
            card_hold_hours: num(v, "card_hold_hours")?,
            retention_days: num(v, "retention_days")?,
            cors_origins: get("cors_origins")
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect(),
            trusted_proxies: crate::http::client_address::TrustedProxies::parse(&get("trusted_proxies"))?,
            request_timeout_seconds: num(v, "request_timeout_seconds")?,
            time_zone: get("time_zone").parse().map_err(|_| {
                format!(
                    "setting time_zone: '{}' is not a time zone; use a name such as Europe/Amsterdam",
                    get("time_zone")
                )
            })?,
            log: get("log"),
        };
        if config.access_token_minutes < 1 || config.refresh_token_days < 1 {
            return Err("token lifetimes must be at least 1".into());
        }
        // Values that a library would panic on, or that would stop all mail: refused here, with
        // the setting named.
        for (key, value, range) in [
            ("db_timeout_seconds", config.db_timeout_seconds as i64, 1..=600),
            ("db_pool_size", config.db_pool_size as i64, 0..=1000),
            ("mail_retry_base_seconds", config.mail_retry_base_seconds, 1..=3600),
            ("mail_max_attempts", config.mail_max_attempts as i64, 1..=1000),
            // Added to the time of a login or a card: a value meant as "never" would overflow.
            ("refresh_token_days", config.refresh_token_days, 1..=3650),
            ("card_hold_hours", config.card_hold_hours, 0..=720),
        ] {
            if !range.contains(&value) {
                return Err(format!(
                    "setting {key}: {value} is out of range; use {} to {}",
                    range.start(),
                    range.end()
                ));
            }
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&config.log) {
            return Err(format!("setting log: '{}' is not a log filter ({e}); use e.g. info or warn", config.log));
        }
        // Ended sessions are remembered for a day (`revocations::prune`): a longer-lived access
        // token would work again after a restart once its session was forgotten.
        if config.access_token_minutes > MAX_ACCESS_TOKEN_MINUTES {
            return Err(format!(
                "setting access_token_minutes: {} is too long; use at most {MAX_ACCESS_TOKEN_MINUTES} (a day). \
                 Sessions last longer through refresh tokens.",
                config.access_token_minutes
            ));
        }
        // Checked here, not when the first mail goes out: a sender lettre cannot read would fail
        // every mail.
        if let Err(e) = config.mail_from.parse::<lettre::message::Mailbox>() {
            return Err(format!(
                "setting mail_from: '{}' is not a sender address ({e}). Use e.g. \
                 \"Werkbedrijf Noord <noreply@example.org>\", with the name in quotes if it has a comma.",
                config.mail_from
            ));
        }
        // Retention erases people for good: 0 meant as "off", or a typo, would do it at once.
        if config.retention_days < MIN_RETENTION_DAYS {
            return Err(format!(
                "setting retention_days: {} is too short; use at least {MIN_RETENTION_DAYS} (days). People \
                 whose trajectories ended longer ago are pseudonymised for good.",
                config.retention_days
            ));
        }
        for (key, value) in [("jwt_secret", &config.jwt_secret), ("pseudonym_secret", &config.pseudonym_secret)] {
            if !value.is_empty() && value.len() < 32 {
                return Err(format!("setting {key}: use at least 32 characters"));
            }
        }
        if config.mode == Mode::Production {
            // The embedded SQLite file is for trying Wilkan: a production service that lost its
            // DATABASE_URL (an unset variable in a compose file) would quietly start on an empty
            // file of its own.
            if url.trim().is_empty() {
                return Err("DATABASE_URL is not set. In production mode name the database, e.g. \
                            postgres://user:password@host/wilkan (or sqlite:///path/wilkan.db to run on \
                            SQLite on purpose)."
                    .into());
            }
            // Without these every mail (login links, reminders) would go to files in the data
            // folder or point at this machine, and nobody would be told.
            if config.smtp.is_none() {
                return Err("WILKAN_SMTP_HOST is not set. In production mode Wilkan sends mail (login links, \
                            invitations, reminders) and needs a mail server."
                    .into());
            }
            let host = config.public_url.split("://").nth(1).unwrap_or("").split(['/', ':']).next().unwrap_or("");
            if matches!(host, "" | "127.0.0.1" | "localhost" | "[::1]" | "0.0.0.0") {
                return Err(format!(
                    "WILKAN_PUBLIC_URL is '{}'. In production mode set the address users reach Wilkan at: \
                     the links in mails point there.",
                    config.public_url
                ));
            }
        }
        if !config.jwt_secret.is_empty() && config.jwt_secret == config.pseudonym_secret {
            return Err("settings jwt_secret and pseudonym_secret: use two different secrets".into());
        }
        Ok(config)
    }

    /// The secrets: configured, or in development generated once and kept in the data folder.
    pub fn resolve_secrets(&mut self) -> Result<(), String> {
        self.jwt_secret = self.resolve_secret(&self.jwt_secret, "WILKAN_JWT_SECRET", "jwt-secret")?;
        self.pseudonym_secret =
            self.resolve_secret(&self.pseudonym_secret, "WILKAN_PSEUDONYM_SECRET", "pseudonym-secret")?;
        Ok(())
    }

    fn resolve_secret(&self, configured: &str, env: &str, file: &str) -> Result<String, String> {
        if !configured.is_empty() {
            return Ok(configured.to_string());
        }
        if self.mode == Mode::Production {
            return Err(format!(
                "{env} is not set. In production mode Wilkan needs a secret of at least 32 characters, \
                 e.g. from `openssl rand -base64 48`."
            ));
        }
        let path = self.data_dir.join(file);
        if let Ok(existing) = std::fs::read_to_string(&path) {
            if existing.trim().len() >= 32 {
                return Ok(existing.trim().to_string());
            }
        }
        std::fs::create_dir_all(&self.data_dir).map_err(|e| format!("{}: {e}", self.data_dir.display()))?;
        let secret = crate::accounts::tokens::random_token();
        write_private(&path, &secret).map_err(|e| format!("{}: {e}", path.display()))?;
        tracing::info!(path = %path.display(), "generated a secret for development");
        Ok(secret)
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(text.as_bytes())
}
