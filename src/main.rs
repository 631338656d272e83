//! The `wilkan` command line: serve (default), migrate, create-admin, openapi.

use std::io::{IsTerminal, Read};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use wilkan::config::{settings_help, Config};

#[derive(Parser)]
#[command(name = "wilkan", version, about = "Wilkan: verzuimbegeleiding with willen + kunnen")]
struct Cli {
    /// Configuration file (default: ./wilkan.toml when it exists).
    #[arg(long, global = true, env = "WILKAN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Run pending database migrations and exit.
    Migrate,
    /// Create an admin account; the password is asked for, or read from stdin when piped.
    CreateAdmin {
        #[arg(long)]
        email: String,
    },
    /// Check the course content (courses, questionnaires, mails) and migrate the database; lists
    /// the course versions a server has not served yet (it records them when it does). With
    /// --check DIR only check a folder (no database needed).
    ImportContent {
        #[arg(long, value_name = "DIR")]
        check: Option<PathBuf>,
    },
    /// Fill the database with realistic synthetic data (deterministic for a seed). Demo accounts
    /// log in with the password `wilkan-demo`: projectleider@org1.demo, coach1@org1.demo,
    /// medewerker1@org1.demo, ...
    SeedDemo {
        #[arg(long, default_value_t = 2)]
        organizations: usize,
        #[arg(long, default_value_t = 40)]
        employees_per_org: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Write an evaluation export to a file: the same code as `GET /exports/...`, with a
    /// progress bar on a terminal. Research-consented people only, unless --own-organization.
    Export {
        /// kirkpatrick or process
        #[arg(value_parser = ["kirkpatrick", "process"])]
        kind: String,
        #[arg(long)]
        organization: Option<String>,
        #[arg(long)]
        cohort: Option<String>,
        /// Kirkpatrick level 1-4 (all when left out)
        #[arg(long)]
        level: Option<u8>,
        #[arg(long, default_value = "json", value_parser = ["json", "csv", "xlsx"])]
        format: String,
        #[arg(long, default_value = "nl", value_parser = ["nl", "en"])]
        locale: String,
        /// Export key for stable pseudonyms (at least 8 characters)
        #[arg(long)]
        key: Option<String>,
        /// Everybody in --organization (operational use, as a project leader's export)
        #[arg(long, requires = "organization")]
        own_organization: bool,
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the retention job once: pseudonymise people whose trajectories ended longer ago than
    /// WILKAN_RETENTION_DAYS.
    Housekeeping,
    /// Print the OpenAPI document (or write it to --out).
    Openapi {
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let matches = Cli::command().after_help(settings_help()).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi { out } = &command {
        let text = wilkan::http::openapi::to_json(&wilkan::http::openapi::document());
        return match out {
            Some(path) => match std::fs::write(path, text) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&format!("{}: {e}", path.display())),
            },
            None => {
                print!("{text}");
                ExitCode::SUCCESS
            }
        };
    }
    if let Command::ImportContent { check: Some(dir) } = &command {
        return match wilkan::courses::loader::check_folder(dir) {
            Ok(report) => {
                print!("{report}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&format!("course content in {} has problems:\n{e}", dir.display())),
        };
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    // Held to the end of main: dropping it writes out the log lines still queued.
    let _log_writer = init_logging(&config.log);
    match command {
        Command::Serve => serve(config),
        Command::Migrate => match wilkan::db::migrate(&config.database) {
            Ok(n) => {
                println!("{n} migration(s) applied");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Command::CreateAdmin { email } => create_admin(config, &email),
        Command::ImportContent { .. } => import_content(config),
        Command::Housekeeping => housekeeping(config),
        Command::SeedDemo { organizations, employees_per_org, seed } => {
            seed_demo(config, wilkan::demo::Options { organizations, employees_per_org, seed })
        }
        Command::Export { kind, organization, cohort, level, format, locale, key, own_organization, out } => {
            let query = wilkan::evaluation::export::ExportQuery {
                organization: organization.clone(),
                cohort,
                level,
                format: serde_json::from_value(serde_json::json!(format)).ok(),
                locale: serde_json::from_value(serde_json::json!(locale)).ok(),
                key,
                free_text: None,
                table: None,
            };
            export(config, &kind, query, organization, own_organization, &out)
        }
        Command::Openapi { .. } => unreachable!("handled above"),
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("wilkan: {msg}");
    if msg.contains("database is locked") {
        // After SQLite's busy timeout: most likely a server that keeps the file to itself.
        eprintln!(
            "wilkan: another process holds the SQLite database. A server with WILKAN_SQLITE_EXCLUSIVE=true lets \
             no other process open it, and cannot start while another process has it open: stop the other \
             process and try again."
        );
    }
    ExitCode::FAILURE
}

/// Log lines go to stdout from a thread of their own, gathered for a moment and written together
/// (`wilkan::log_lines`): a line per request written by the request's own thread was about 9% of
/// the CPU time of `GET /me/courses`, and a thread woken for every line a fifth of it at one
/// connection (bench/NOTES.md, "Log lines").
/// Colours only on a terminal: escape codes in a log file or journal are noise.
fn init_logging(filter: &str) -> Option<wilkan::log_lines::Guard> {
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| "info".into());
    let terminal = std::io::stdout().is_terminal();
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(terminal);
    match wilkan::log_lines::LogLines::start(std::io::stdout()) {
        Ok((lines, guard)) => {
            let _ = builder.with_writer(lines).try_init();
            Some(guard)
        }
        Err(e) => {
            // No thread to spare: each line is then written by the thread that logs it.
            eprintln!("wilkan: log lines are written directly ({e})");
            let _ = builder.try_init();
            None
        }
    }
}

fn serve(config: Config) -> ExitCode {
    let bind = config.bind.clone();
    let state = match wilkan::prepare(config) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let has_admin = wilkan::db::establish(&state.config.database)
        .ok()
        .and_then(|mut c| wilkan::accounts::queries::count_users(&mut c).ok())
        .unwrap_or(0)
        > 0;
    let listener = match TcpListener::bind(&bind) {
        Ok(l) => l,
        Err(e) => return fail(&format!("cannot listen on {bind}: {e}")),
    };
    println!("Wilkan listens on http://{bind} (API under /api/v1, docs at /docs)");
    if !has_admin {
        println!("No accounts yet. Create the first admin with:\n  cargo run -- create-admin --email you@example.org");
    }
    let result = actix_web::rt::System::new().block_on(async move { wilkan::start(state, listener)?.run().await });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e.to_string()),
    }
}

fn create_admin(config: Config, email: &str) -> ExitCode {
    let password = if std::io::stdin().is_terminal() {
        match rpassword::prompt_password("Password (at least 10 characters): ") {
            Ok(p) => p,
            Err(e) => return fail(&e.to_string()),
        }
    } else {
        let mut text = String::new();
        if let Err(e) = std::io::stdin().read_to_string(&mut text) {
            return fail(&e.to_string());
        }
        text.lines().next().unwrap_or_default().to_string()
    };
    if let Err(e) = wilkan::db::migrate(&config.database) {
        return fail(&e);
    }
    let mut conn = match wilkan::db::establish(&config.database) {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    match wilkan::accounts::create_admin(&mut conn, email, &password) {
        Ok(user) => {
            println!("admin {} created (id {})", user.email, user.id);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.problem().detail_with_fields()),
    }
}

fn import_content(config: Config) -> ExitCode {
    let report = match wilkan::courses::loader::check_folder(&config.content_dir) {
        Ok(r) => r,
        Err(e) => return fail(&format!("course content in {} has problems:\n{e}", config.content_dir.display())),
    };
    let catalogue = match wilkan::load_content(&config) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    // The server needs its mails (checked above when there; a folder checked with --check may
    // hold courses only).
    if !config.content_dir.join("emails").is_dir() {
        return fail(&format!(
            "{}: the mails (emails/) are missing; the server needs them",
            config.content_dir.display()
        ));
    }
    if let Err(e) = wilkan::db::migrate(&config.database) {
        return fail(&e);
    }
    let mut conn = match wilkan::db::establish(&config.database) {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    // Not recorded here: a version's time is when it was first served, which tells pages added
    // since an employee completed a course from pages they skipped.
    match wilkan::courses::progress::unrecorded_versions(&mut conn, &catalogue) {
        Ok(new) => {
            print!("{report}");
            for slug in &new {
                println!("new {slug}: recorded when a server first serves it");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn export(
    config: Config,
    kind: &str,
    query: wilkan::evaluation::export::ExportQuery,
    organization: Option<String>,
    own_organization: bool,
    out: &std::path::Path,
) -> ExitCode {
    use wilkan::evaluation::engine::{ExportKind, Population};
    let state = match wilkan::prepare(config) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let mut conn = match state.pool.get() {
        Ok(c) => c,
        Err(e) => return fail(&format!("database: {e}")),
    };
    let kind = if kind == "process" { ExportKind::Process } else { ExportKind::Kirkpatrick };
    let population = if own_organization { Population::Organisation } else { Population::Research };
    let plan = match wilkan::evaluation::export::plan_checked(
        &mut conn,
        &state,
        kind,
        query,
        population,
        organization,
        false,
        "command line".into(),
    ) {
        Ok(p) => p,
        Err(e) => return fail(&e.problem().detail_with_fields()),
    };
    let file = match std::fs::File::create(out) {
        Ok(f) => std::io::BufWriter::new(f),
        Err(e) => return fail(&format!("{}: {e}", out.display())),
    };
    let bar = indicatif::ProgressBar::new(0);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} trajectories {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // A second connection for a second reader (see `engine::run`); without one, one reader.
    let mut helper = state.pool.get().ok();
    let started = std::time::Instant::now();
    let result =
        wilkan::evaluation::export::write(&mut conn, helper.as_deref_mut(), &state, &plan, file, &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        });
    bar.finish_and_clear();
    let mut audit =
        wilkan::privacy::audit::AuditEntry::anonymous(&format!("export.{}", kind.as_str()), "cli export", "cli");
    audit.organization_id = plan.spec.scope.organization.clone();
    audit.detail = Some(wilkan::evaluation::export::audit_detail(
        &plan,
        result.as_ref().ok(),
        result.as_ref().err().map(|e| e.to_string()).as_deref(),
    ));
    if let Err(e) = wilkan::privacy::audit::write(&mut conn, &audit) {
        // No export without its entry in the audit log.
        let _ = std::fs::remove_file(out);
        return fail(&format!("audit entry not written, export removed: {e}"));
    }
    match result {
        Ok(summary) => {
            println!(
                "{} export of {} people written to {} in {:.1} s",
                kind.as_str(),
                summary.people,
                out.display(),
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn housekeeping(config: Config) -> ExitCode {
    if let Err(e) = wilkan::db::migrate(&config.database) {
        return fail(&e);
    }
    let pool = wilkan::db::build_pool(&config.database, 1, std::time::Duration::from_secs(config.db_timeout_seconds));
    match wilkan::mail::worker::housekeeping(&pool, config.retention_days, &|| false) {
        Ok(n) => {
            println!("{n} person(s) pseudonymised (retention {} days)", config.retention_days);
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}

fn seed_demo(config: Config, opts: wilkan::demo::Options) -> ExitCode {
    let catalogue = match wilkan::load_content(&config) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    if let Err(e) = wilkan::db::migrate(&config.database) {
        return fail(&e);
    }
    let mut conn = match wilkan::db::establish(&config.database) {
        Ok(c) => c,
        Err(e) => return fail(&e.to_string()),
    };
    // A bar on a terminal; nothing in logs and pipes.
    let bar = indicatif::ProgressBar::new(opts.organizations as u64);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} organisations {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let instruments = match wilkan::load_instruments(&config.content_dir, &catalogue) {
        Ok(i) => i,
        Err(e) => return fail(&e),
    };
    let result = wilkan::demo::seed(&mut conn, &catalogue, &instruments, &opts, |n| bar.set_position(n as u64));
    bar.finish_and_clear();
    match result {
        Ok(s) => {
            println!(
                "{} organisations, {} users, {} trajectories, {} other rows in {:.1}s; demo password: {}",
                s.organizations,
                s.users,
                s.trajectories,
                s.rows,
                started.elapsed().as_secs_f64(),
                wilkan::demo::DEMO_PASSWORD
            );
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e.to_string()),
    }
}
