//! Export and report endpoints. Exports stream: the response starts while the database is
//! still being read, in chunks, so memory stays flat however large the export.

use std::io::{self, Write};

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use futures_util::stream;

use super::engine::ExportKind;
use super::export::{self, ExportQuery};
use super::output::Collect;
use crate::db;
use crate::error::AppError;
use crate::http::query::Query;
use crate::policy::Caller;
use crate::AppState;

/// Sends what is written in chunks to the response body; fails once the client has gone. The
/// last bytes wait for [`ChannelWriter::send`], which comes after the export's audit entry.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, io::Error>>,
    buf: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "client went away"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    /// Keeps the rest: a sink's flush at its end must not send the last bytes before the entry.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An export reads with a second connection only if it waits no longer than this for it, and
/// if at least `HELPER_KEEP` connections stay for the requests that come in meanwhile.
const HELPER_WAIT: std::time::Duration = std::time::Duration::from_millis(100);
const HELPER_KEEP: u32 = 2;

async fn stream_export(
    state: web::Data<AppState>,
    caller: Caller,
    kind: ExportKind,
    q: ExportQuery,
) -> Result<HttpResponse, AppError> {
    // Everything that can be refused is checked before the first byte goes out.
    let st = state.clone();
    let who = caller.clone();
    let plan = db::read(&state.pool, move |c| export::plan(c, &st, &who, kind, q)).await?;
    let filename = format!("wilkan-{}-{}.{}", kind.as_str(), plan.spec.today, plan.format.extension());
    let content_type = plan.format.content_type();
    let entry = |action: String| {
        let mut audit = caller.audit().named(&action);
        if let Some(o) = &plan.spec.scope.organization {
            audit.in_org(o);
        }
        audit
    };
    // Before the first byte: an entry that the export began, with its filter (should the export
    // break off, or the server stop, the log still shows who took what), and the connection it
    // reads with (none to spare answers 503, not a 200 that breaks off).
    let mut started = entry(format!("export.{}.started", kind.as_str()));
    started.detail(export::audit_detail(&plan, None, None));
    let st = state.clone();
    let mut conn = web::block(move || {
        st.pool.write(|c| crate::privacy::audit::write(c, &started))?;
        st.pool.get().map_err(|_| AppError::Unavailable)
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))??;
    let mut audit = entry(format!("export.{}", kind.as_str()));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, io::Error>>(8);
    let st = state.clone();
    actix_web::rt::task::spawn_blocking(move || {
        // A second reader (see `engine::run`) only if the pool can spare a connection: a large
        // export takes seconds, and the requests meanwhile need connections too.
        let mut helper = st.pool.spare(HELPER_KEEP, HELPER_WAIT);
        let mut writer = ChannelWriter { tx: tx.clone(), buf: Vec::with_capacity(CHUNK) };
        let result = export::write(&mut conn, helper.as_deref_mut(), &st, &plan, &mut writer, &mut |_, _| {});
        match &result {
            Ok(summary) => audit.detail(export::audit_detail(&plan, Some(summary), None)),
            Err(e) => {
                tracing::error!(error = %e, "export failed");
                audit.detail(export::audit_detail(&plan, None, Some(&e.to_string())));
                let _ = tx.blocking_send(Err(io::Error::other("export failed")));
            }
        }
        // The reading connections go back first: nobody waits for the writer lock holding one.
        drop((conn, helper));
        // The entry needs the row counts, so it is written at the end, but before the last
        // bytes: without its entry no export arrives whole.
        let entry = st.pool.write(|c| crate::privacy::audit::write(c, &audit));
        match (result, entry) {
            (Ok(_), Ok(())) => {
                let _ = writer.send();
            }
            (Ok(_), Err(e)) => {
                tracing::error!(error = %e, "export audit entry not written; the export is broken off");
                let _ = tx.blocking_send(Err(io::Error::other("export audit entry not written")));
            }
            (Err(_), Err(e)) => tracing::error!(error = %e, "audit entry of a failed export not written"),
            (Err(_), Ok(())) => {}
        }
    });
    let body = stream::poll_fn(move |cx| rx.poll_recv(cx));
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}

/// The Kirkpatrick export (reaction, learning, behaviour, results). Researchers: people with
/// research consent in every organisation; project leaders: their own organisation. Pseudonymised;
/// cells about fewer than five people are suppressed. Written to the audit log.
#[utoipa::path(tag = "evaluation", params(ExportQuery), responses(
    (status = 200, description = "The export (streamed)", content(
        (Object = "application/json"),
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
), security(("bearer" = [])))]
#[get("/exports/kirkpatrick")]
pub async fn kirkpatrick(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    stream_export(state, caller, ExportKind::Kirkpatrick, q.into_inner()).await
}

/// The process evaluation: reach funnel with stop reasons, participants, time invested and
/// fidelity. Who may call it and what it contains: as the Kirkpatrick export. Its hidden cells
/// are chosen over every organisation and cohort the caller may ask for at once, so that two
/// exports of nested scopes cannot be subtracted from each other.
#[utoipa::path(tag = "evaluation", params(ExportQuery), responses(
    (status = 200, description = "The export (streamed)", content(
        (Object = "application/json"),
        (String = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
), security(("bearer" = [])))]
#[get("/exports/process")]
pub async fn process(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    stream_export(state, caller, ExportKind::Process, q.into_inner()).await
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// Organisation id; a project leader's own organisation by default.
    pub organization: Option<String>,
    /// Cohort (recruitment round) id.
    pub cohort: Option<String>,
}

/// The evaluation report: one printable HTML page with the reach funnel, the participants,
/// levels 1-4 with charts, for a project leader (own organisation) or a researcher.
#[utoipa::path(tag = "evaluation", params(ReportQuery), responses(
    (status = 200, description = "HTML page", content_type = "text/html", body = String),
), security(("bearer" = [])))]
#[get("/reports/evaluation")]
pub async fn report(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let st = state.clone();
    let mut audit = caller.audit().named("report.evaluation");
    if let Some(o) = caller.organization_id.clone().or(q.organization.clone()) {
        audit.in_org(&o);
    }
    let html = db::tx(&state.pool, audit, move |c, audit| {
        let query = ExportQuery { organization: q.organization, cohort: q.cohort, ..ExportQuery::default() };
        let process_plan = export::plan(c, &st, &caller, ExportKind::Process, query.clone())?;
        let kirkpatrick_plan = export::plan(c, &st, &caller, ExportKind::Kirkpatrick, query)?;
        let mut p = Collect::default();
        let ps = super::engine::run(c, None, &process_plan.spec, &st.instruments, &st.content, &mut p, &mut |_, _| {})?;
        let mut k = Collect::default();
        let ks =
            super::engine::run(c, None, &kirkpatrick_plan.spec, &st.instruments, &st.content, &mut k, &mut |_, _| {})?;
        audit.detail(serde_json::json!({
            "filter": process_plan.filter,
            "process": export::audit_detail(&process_plan, Some(&ps), None)["rows"],
            "kirkpatrick": export::audit_detail(&kirkpatrick_plan, Some(&ks), None)["rows"],
        }));
        let names = super::report::Names::load(c, &process_plan)?;
        Ok(super::report::render(&names, &process_plan, &p, &k))
    })
    .await?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html))
}
