//! Trajectories: propose, list, read, move through the statuses; consent.

use actix_web::http::header::ContentType;
use actix_web::{get, patch, post, web, HttpResponse};

use super::api::{
    Advice, ConsentIn, ConsentKind, ConsentOut, ConsentsOut, CreateTrajectory, InclusionAnswers, InclusionIn, Status,
    StopReason, TrajectoryFilter, TrajectoryOut, UpdateTrajectory,
};
use super::list_json::PageWriter;
use super::model::{Consent, Trajectory};
use super::queries;
use crate::absences;
use crate::accounts::model::User;
use crate::accounts::queries as accounts;
use crate::db::schema::cohorts;
use crate::db::{self, new_id, now, DbConnection};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::http::pagination::{check_id_cursor, Page, PageQuery};
use crate::http::query::Query;
use crate::policy::{Caller, Role};
use crate::privacy::audit::AuditEntry;
use crate::AppState;
use chrono::NaiveDate;
use chrono_tz::Tz;
use diesel::prelude::*;

fn user_in_org(
    conn: &mut DbConnection,
    id: &str,
    role: Role,
    org: &str,
    field: &str,
    msg: &str,
) -> Result<User, AppError> {
    match accounts::find_user(conn, id) {
        Ok(u) if u.role() == role && u.organization_id.as_deref() == Some(org) && u.active => Ok(u),
        Ok(_) | Err(AppError::NotFound) => Err(AppError::field(field, msg)),
        Err(e) => Err(e),
    }
}

fn cohort_in_org(conn: &mut DbConnection, cohort_id: &str, org: &str) -> Result<(), AppError> {
    let n: i64 = cohorts::table
        .filter(cohorts::id.eq(cohort_id))
        .filter(cohorts::organization_id.eq(org))
        .count()
        .get_result(conn)?;
    if n == 0 {
        return Err(AppError::field("cohort_id", "Deze ronde bestaat niet in jouw organisatie."));
    }
    Ok(())
}

/// The trajectory as one answer, read after the caller's checks and changes: with its status
/// history, and the absence records beside its inclusion answers for whoever may read the
/// employee's absences now.
fn one(conn: &mut DbConnection, caller: &Caller, id: &str, zone: Tz) -> Result<TrajectoryOut, AppError> {
    let mut out = queries::with_history(conn, queries::ListQuery::new(queries::Scope::Trajectory(id)))?
        .pop()
        .ok_or(AppError::NotFound)?;
    if absences::routes::may_read(conn, caller, &out.employee.id)? {
        queries::add_absence_records(conn, &mut out, zone)?;
    }
    Ok(out)
}

/// The guide's answers of a proposal. The absence questions it leaves out are answered from the
/// records, which the caller must be allowed to read (a coach who does not coach the employee yet
/// may not: the answer would tell them) and which must say something about the question: an
/// absence running that day for "more than 4 weeks" (none running may as well be one not
/// recorded yet), an absence in the 12 months before for "frequent".
fn inclusion_answers(
    c: &mut DbConnection,
    caller: &Caller,
    employee_id: &str,
    input: &InclusionIn,
    today: NaiveDate,
) -> Result<InclusionAnswers, AppError> {
    if let (Some(absent), Some(frequent)) = (input.absent_over_4_weeks, input.frequent_absence) {
        return Ok(input.answers(absent, frequent));
    }
    const ABSENT: &str = "inclusion.absent_over_4_weeks";
    const FREQUENT: &str = "inclusion.frequent_absence";
    let refuse = |errors: Vec<(&str, &str)>| AppError::Validation {
        detail: "Niet alle gegevens kloppen. Kijk de velden hieronder na.".into(),
        errors: errors.into_iter().map(|(field, message)| (field.to_string(), vec![message.to_string()])).collect(),
    };
    let left_out = |field: &str| match field {
        ABSENT => input.absent_over_4_weeks.is_none(),
        _ => input.frequent_absence.is_none(),
    };
    if !absences::routes::may_read(c, caller, employee_id)? {
        let message = "Je kunt het verzuim van deze medewerker nog niet inzien. Beantwoord deze vraag zelf.";
        return Err(refuse([ABSENT, FREQUENT].into_iter().filter(|f| left_out(f)).map(|f| (f, message)).collect()));
    }
    let records = absences::inclusion::of_employee(c, employee_id, today)?;
    let mut silent = Vec::new();
    if left_out(ABSENT) && !records.absence_running {
        silent.push((
            ABSENT,
            "Er is geen lopende ziekteperiode van deze medewerker vastgelegd. Beantwoord deze vraag zelf, of leg eerst het verzuim vast.",
        ));
    }
    if left_out(FREQUENT) && records.absences_last_12_months == 0 {
        silent.push((
            FREQUENT,
            "Er is geen verzuim van deze medewerker in de afgelopen 12 maanden vastgelegd. Beantwoord deze vraag zelf, of leg eerst het verzuim vast.",
        ));
    }
    if !silent.is_empty() {
        return Err(refuse(silent));
    }
    Ok(input.answers(
        input.absent_over_4_weeks.unwrap_or(records.absent_over_4_weeks),
        input.frequent_absence.unwrap_or(records.frequent_absence),
    ))
}

/// Trajectories in the caller's scope: a coach their own, a project leader their organisation's
/// (filter by cohort, status, coach), an employee their own. Admins and researchers: 403.
#[utoipa::path(tag = "trajectories", params(TrajectoryFilter), responses((status = 200, body = Page<TrajectoryOut>)), security(("bearer" = [])))]
#[get("/trajectories")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    filter: Query<TrajectoryFilter>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Coach, Role::ProjectLeader, Role::Employee])?;
    let f = filter.into_inner();
    let limit = PageQuery { limit: f.limit, cursor: None }.limit()?;
    check_id_cursor(f.cursor.as_deref())?;
    let audit = caller.audit();
    // The page is written as its rows are read (`list_json::PageWriter`). A coach's or an
    // employee's list is bounded by its key (their own trajectories) and may run on the worker
    // thread; a project leader's may scan the organisation for its filters: the blocking pool.
    let on_worker = caller.role != Role::ProjectLeader;
    let read = move |c: &mut DbConnection, audit: &mut AuditEntry| {
        let (scope, coach) = match caller.role {
            Role::Coach => (queries::Scope::Coach(&caller.user_id), None),
            Role::ProjectLeader => (
                queries::Scope::Organization(caller.organization_id.as_deref().ok_or(AppError::Forbidden)?),
                f.coach.as_deref(),
            ),
            _ => (queries::Scope::Employee(&caller.user_id), None),
        };
        let query = queries::ListQuery {
            coach,
            cohort: f.cohort.as_deref(),
            status: f.status,
            after: f.cursor.as_deref(),
            limit: Some(limit),
            ..queries::ListQuery::new(scope)
        };
        // The query reads one row more than the page holds: that row only tells there is a next page.
        let (mut page, mut last_id, mut more) = (PageWriter::new(limit as usize), None, false);
        queries::each(c, query, |row| {
            if page.written() as i64 == limit {
                more = true;
                return Ok(());
            }
            let t = queries::render(row)?;
            audit.shows(&t.employee.id);
            page.push(&t)?;
            last_id = Some(t.id);
            Ok(())
        })?;
        page.finish(if more { last_id.as_deref() } else { None })
    };
    let body = if on_worker {
        db::audited_read_by_key(&state.pool, audit, read).await?
    } else {
        db::tx(&state.pool, audit, read).await?
    };
    Ok(HttpResponse::Ok().content_type(ContentType::json()).body(body))
}

/// Propose a trajectory. Coaches (for themselves) and project leaders (naming the coach), for an
/// employee of their organisation. The inclusion guide is evaluated and stored; against its advice
/// a reason is required. An employee has at most one open trajectory (409).
#[utoipa::path(tag = "trajectories", request_body = CreateTrajectory, responses((status = 201, body = TrajectoryOut)), security(("bearer" = [])))]
#[post("/trajectories")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    body: ValidJson<CreateTrajectory>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Coach, Role::ProjectLeader])?;
    let input = body.0;
    let org = caller.organization_id.clone().ok_or(AppError::Forbidden)?;
    let coach_id = match (caller.role, &input.coach_id) {
        (Role::Coach, None) => caller.user_id.clone(),
        (Role::Coach, Some(id)) if *id == caller.user_id => id.clone(),
        (Role::Coach, Some(_)) => return Err(AppError::Forbidden),
        (_, Some(id)) => id.clone(),
        (_, None) => return Err(AppError::field("coach_id", "Kies de coach van dit traject.")),
    };
    let zone = state.config.time_zone;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        user_in_org(
            c,
            &input.employee_id,
            Role::Employee,
            &org,
            "employee_id",
            "Deze medewerker bestaat niet in jouw organisatie.",
        )?;
        // The moment it is proposed: the records answer for its day (`absence_records` shows them
        // for the same day).
        let t = now();
        let today = crate::local_time::date_of(zone, t);
        let answers = inclusion_answers(c, &caller, &input.employee_id, &input.inclusion, today)?;
        let advice = if answers.unmet().is_empty() { Advice::Include } else { Advice::Exclude };
        if advice == Advice::Exclude && input.inclusion_override_reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(AppError::field(
                "inclusion_override_reason",
                "De handreiking raadt af om deze medewerker op te nemen. Wil je het toch? Schrijf dan op waarom.",
            ));
        }
        user_in_org(c, &coach_id, Role::Coach, &org, "coach_id", "Deze coach bestaat niet in jouw organisatie.")?;
        cohort_in_org(c, &input.cohort_id, &org)?;
        if queries::open_of_employee(c, &input.employee_id)?.is_some() {
            return Err(AppError::Conflict("Deze medewerker heeft al een lopend traject.".into()));
        }
        let row = Trajectory {
            id: new_id(),
            organization_id: org,
            cohort_id: input.cohort_id,
            employee_id: input.employee_id,
            coach_id,
            status: Status::Proposed.as_str().into(),
            stop_reason: None,
            stop_note: None,
            inclusion_answers: serde_json::to_string(&answers).map_err(|e| AppError::internal(e.to_string()))?,
            inclusion_advice: if advice == Advice::Include { "include" } else { "exclude" }.into(),
            inclusion_override_reason: input.inclusion_override_reason.filter(|_| advice == Advice::Exclude),
            created_by: caller.user_id.clone(),
            created_at: t,
            updated_at: t,
            recruitment_minutes: input.recruitment_minutes,
            method_consent: false,
            research_consent: false,
        };
        queries::insert(c, &row)?;
        audit.about_trajectory(&row.employee_id, &row.organization_id);
        queries::record_event(c, &row.id, None, Status::Proposed, None, None, &caller.user_id, row.created_at)?;
        one(c, &caller, &row.id, zone)
    })
    .await?;
    Ok(HttpResponse::Created().json(out))
}

/// One trajectory with its status history. Its coach, its employee, project leaders of the organisation.
#[utoipa::path(tag = "trajectories", params(("id" = String, Path)), responses((status = 200, body = TrajectoryOut)), security(("bearer" = [])))]
#[get("/trajectories/{id}")]
pub async fn get_one(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let zone = state.config.time_zone;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = queries::load_in_scope(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        one(c, &caller, &t.id, zone)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

/// Move a trajectory on (proposed -> active -> returned -> aftercare -> closed; `returned` only by
/// recording the return, `PUT /trajectories/{id}/return`), back to `active` after a relapse (from
/// `returned` or `aftercare`: the check-ins still due are called off, and the next return plans a
/// new round; one recorded by mistake is taken back with `take_back_relapse`, while no return
/// followed), or stop it with a reason (and a `stop_note`, only then; on a stopped trajectory the
/// two may be set right afterwards, with or without `status: stopped`); a project leader may also
/// change its coach or cohort; its coach and project leaders record the time spent on
/// recruitment. Becoming active needs method consent. A stop or the close ends what still runs:
/// due aftercare check-ins are skipped, the employee's buddy pair ends, colleagues' cards on hold
/// are held back (neither mailed nor shown), invitations to group sessions still to come are taken back and planned
/// workplace visits cancelled.
#[utoipa::path(tag = "trajectories", params(("id" = String, Path)), request_body = UpdateTrajectory, responses((status = 200, body = TrajectoryOut)), security(("bearer" = [])))]
#[patch("/trajectories/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<UpdateTrajectory>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    let zone = state.config.time_zone;
    let st = state.clone();
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        // A new coach is held before the trajectory (their mail, a handover's talk requests and
        // reminders, holds them too), in the order an erasure of that coach takes the two.
        if let Some(coach) = &input.coach_id {
            crate::accounts::queries::hold_user(c, coach)?;
        }
        // So is the person when the trajectory starts: that may begin a learning round.
        if input.status == Some(Status::Active) {
            let employee = queries::load_in_scope(c, &caller, &id)?.employee_id;
            crate::accounts::queries::hold_user(c, &employee)?;
        }
        let t = queries::load_for_change(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require(&[Role::Coach, Role::ProjectLeader])?;
        let mut changes =
            queries::TrajectoryChanges { recruitment_minutes: input.recruitment_minutes, ..Default::default() };
        if let Some(coach) = &input.coach_id {
            if *coach != t.coach_id {
                caller.require(&[Role::ProjectLeader])?;
                user_in_org(
                    c,
                    coach,
                    Role::Coach,
                    &t.organization_id,
                    "coach_id",
                    "Deze coach bestaat niet in jouw organisatie.",
                )?;
                changes.coach_id = Some(coach.clone());
            }
        }
        if let Some(cohort) = input.cohort_id.as_ref().filter(|co| **co != t.cohort_id) {
            // The cohort decides where the trajectory counts in the exports: the project leader's.
            caller.require(&[Role::ProjectLeader])?;
            cohort_in_org(c, cohort, &t.organization_id)?;
            changes.cohort_id = Some(cohort.clone());
        }
        let new_coach = changes.coach_id.clone();
        queries::update(c, &t.id, changes)?;
        if let Some(coach_id) = new_coach {
            // What waits in the outbox for the coach before goes to the new one.
            crate::aftercare::hand_over(c, &t.id)?;
            crate::courses::hand_over_talk_requests(c, &st, &t)?;
            crate::cards::routes::hand_over_notice(c, &st, &Trajectory { coach_id, ..t.clone() })?;
        }
        if input.take_back_relapse == Some(true) {
            if input.status.is_some() || input.stop_reason.is_some() || input.stop_note.is_some() {
                return Err(AppError::field(
                    "take_back_relapse",
                    "Draai de terugval terug zonder tegelijk een status, reden of toelichting mee te sturen.",
                ));
            }
            let undone = queries::undo_relapse(c, &t, crate::local_time::today(zone))?.ok_or_else(|| {
                AppError::Conflict(
                    "Er is geen terugval om terug te draaien: alleen de laatste statuswijziging kan dat zijn, \
                     en alleen zolang er daarna geen werkhervatting is vastgelegd."
                        .into(),
                )
            })?;
            // What left the status history stays in the audit log.
            audit.detail(serde_json::json!({"takes_back_relapse": {
                "event": undone.id, "from_status": undone.from_status, "actor_id": undone.actor_id, "at": undone.at,
            }}));
        } else if t.status == Status::Stopped.as_str()
            && input.status.is_none_or(|s| s == Status::Stopped)
            && (input.stop_reason.is_some() || input.stop_note.is_some())
        {
            // A stop's reason or note set right afterwards: the evaluation counts stops by reason.
            // What it said before stays in the audit log (the note's text not: it may be personal).
            queries::correct_stop(c, &t, input.stop_reason, input.stop_note.as_deref())?;
            audit.detail(serde_json::json!({"corrects_stop": {
                "stop_reason": t.stop_reason, "stop_note_changed": input.stop_note.is_some(),
            }}));
        } else if let Some(to) = input.status {
            change_status(c, &t, to, input.stop_reason, input.stop_note.as_deref(), &caller.user_id, zone)?;
        } else if input.stop_reason.is_some() || input.stop_note.is_some() {
            return Err(AppError::field(
                "status",
                "Een reden om te stoppen hoort alleen bij de status 'gestopt' (stopped).",
            ));
        }
        one(c, &caller, &t.id, zone)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

fn change_status(
    c: &mut DbConnection,
    t: &Trajectory,
    to: Status,
    reason: Option<StopReason>,
    note: Option<&str>,
    actor: &str,
    zone: chrono_tz::Tz,
) -> Result<(), AppError> {
    if to != Status::Stopped && reason.is_some() {
        return Err(AppError::field(
            "stop_reason",
            "Een reden om te stoppen hoort alleen bij de status 'gestopt' (stopped).",
        ));
    }
    if to != Status::Stopped && note.is_some() {
        return Err(AppError::field(
            "stop_note",
            "Een toelichting bij het stoppen hoort alleen bij de status 'gestopt' (stopped).",
        ));
    }
    let from = Status::parse(&t.status).unwrap_or(Status::Proposed);
    if from == to {
        return Ok(());
    }
    if !t.is_open() {
        return Err(AppError::Conflict("Dit traject is al afgesloten of gestopt.".into()));
    }
    if to == Status::Stopped {
        let reason = reason.ok_or_else(|| AppError::field("stop_reason", "Kies de reden waarom het traject stopt."))?;
        return queries::set_status(c, t, to, Some(reason), note, actor, zone);
    }
    let named = |s: Status| format!("'{}' ({})", s.in_dutch(), s.as_str());
    if from.next() != Some(to) && !from.relapses_to(to) {
        let next = match from.next() {
            Some(Status::Returned) => format!("{} door de werkhervatting vast te leggen", named(Status::Returned)),
            next => next.map_or("-".into(), named),
        };
        let back = if from.relapses_to(Status::Active) {
            format!(", bij terugval weer naar {}", named(Status::Active))
        } else {
            String::new()
        };
        return Err(AppError::Conflict(format!(
            "Een traject gaat van {} alleen naar {next}{back} of naar {}.",
            named(from),
            named(Status::Stopped)
        )));
    }
    if to == Status::Returned {
        // Only by recording the return: it is what aftercare is planned from (and what the
        // evaluation counts). A status set by hand left the coach's aftercare list empty, and
        // after a relapse the return before it would have stood for the new one.
        return Err(AppError::Conflict(
            "Leg de werkhervatting vast, met de datum en de uren. Dan gaat het traject vanzelf verder \
             en worden de nazorggesprekken gepland."
                .into(),
        ));
    }
    if to == Status::Active {
        let records = queries::consents_of(c, std::slice::from_ref(&t.id))?;
        if !queries::consent_state(&records.iter().collect::<Vec<_>>()).method {
            return Err(AppError::Conflict(
                "Het traject kan pas starten als de medewerker toestemming voor de methode heeft gegeven.".into(),
            ));
        }
    }
    queries::set_status(c, t, to, None, None, actor, zone)
}

/// Consent records of a trajectory, with the current state. Its coach, employee and project leaders.
#[utoipa::path(tag = "trajectories", params(("id" = String, Path)), responses((status = 200, body = ConsentsOut)), security(("bearer" = [])))]
#[get("/trajectories/{id}/consents")]
pub async fn consents(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = queries::load_in_scope(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        consents_out(c, &t.id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

fn consents_out(c: &mut DbConnection, trajectory_id: &str) -> Result<ConsentsOut, AppError> {
    let rows = queries::consents_of(c, &[trajectory_id.to_string()])?;
    Ok(ConsentsOut {
        current: queries::consent_state(&rows.iter().collect::<Vec<_>>()),
        history: rows
            .into_iter()
            .map(|r| ConsentOut {
                kind: if r.kind == "method" { ConsentKind::Method } else { ConsentKind::Research },
                id: r.id,
                given: r.given,
                recorded_by: r.recorded_by,
                on_behalf_of_employee: r.on_behalf_of_employee,
                recorded_at: r.recorded_at,
            })
            .collect(),
    })
}

/// Record consent given or withdrawn: by the employee, or by their coach on their behalf
/// (recorded as such). Withdrawal is immediate, on any of the person's trajectories; withdrawing
/// method consent stops an open trajectory (with what a stop ends, see `PATCH /trajectories/{id}`).
/// Consent is given on the person's latest trajectory only, and once it has ended only by the
/// employee (409 otherwise); research consent the employee withdrew themselves is given again
/// only by the employee (409 for the coach).
#[utoipa::path(tag = "trajectories", params(("id" = String, Path)), request_body = ConsentIn, responses((status = 201, body = ConsentsOut)), security(("bearer" = [])))]
#[post("/trajectories/{id}/consents")]
pub async fn record_consent(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    body: ValidJson<ConsentIn>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    let zone = state.config.time_zone;
    let out = db::tx(&state.pool, caller.audit(), move |c, audit| {
        if input.kind == ConsentKind::Research {
            // The person before the trajectory, in the order an erasure takes them: a withdrawal
            // that forgets absence categories and an absence recorded meanwhile take turns, and
            // so do a withdrawal (on any of their trajectories) and a coach's "yes".
            let employee = queries::load_in_scope(c, &caller, &id)?.employee_id;
            crate::accounts::queries::lock_user(c, &employee)?;
        } else if input.given {
            // A "yes" may begin a learning round, whose rows name the person: held first, as
            // an erasure takes them, or the two deadlock (PostgreSQL).
            let employee = queries::load_in_scope(c, &caller, &id)?.employee_id;
            crate::accounts::queries::hold_user(c, &employee)?;
        }
        let t = queries::load_for_change(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require(&[Role::Employee, Role::Coach])?;
        // Consent is the person's word, and their latest word counts across their trajectories
        // (the exports read it so): a "yes" on an earlier trajectory would undo a withdrawal made
        // on the later one. A withdrawal is taken wherever it is given.
        if input.given {
            let latest = queries::latest_of_employee(c, &t.employee_id)?.map(|l| l.id);
            if latest.as_deref() != Some(t.id.as_str()) {
                return Err(AppError::Conflict(
                    "Dit is niet het laatste traject van deze medewerker. Leg de toestemming vast bij het laatste traject."
                        .into(),
                ));
            }
            if !t.is_open() && !caller.is(Role::Employee) {
                return Err(AppError::Conflict(
                    "Dit traject is gestopt of afgesloten. Alleen de medewerker zelf kan nu nog toestemming geven.".into(),
                ));
            }
            // A withdrawal the person made themselves is theirs to take back: a coach's record
            // "on their behalf" (also after a withdrawal of their own recorded as well) would
            // otherwise overrule their own latest word.
            if input.kind == ConsentKind::Research
                && caller.is(Role::Coach)
                && queries::latest_research_word(c, &t.employee_id, true)? == Some(false)
            {
                return Err(AppError::Conflict(
                    "De medewerker heeft de toestemming voor het onderzoek zelf ingetrokken. Alleen de medewerker zelf kan die weer geven."
                        .into(),
                ));
            }
        }
        // A withdrawal on an earlier trajectory is the person's word for their latest one too:
        // recorded there as well, so that what the app shows, and a running trajectory, follow it.
        // A coach passes it on only while still the person's coach: one whose trajectory another
        // coach's has followed may not stop that one, nor forget the person's absence causes.
        let mut on = vec![t.clone()];
        if !input.given {
            if let Some(latest) = queries::latest_of_employee(c, &t.employee_id)?.filter(|l| l.id != t.id) {
                if caller.is(Role::Coach) && latest.coach_id != caller.user_id {
                    return Err(AppError::Conflict(
                        "Je bent niet meer de coach van deze medewerker. De medewerker zelf of de huidige coach kan de toestemming intrekken."
                            .into(),
                    ));
                }
                on.push(latest);
            }
        }
        for target in &on {
            queries::insert_consent(
                c,
                &Consent {
                    id: new_id(),
                    trajectory_id: target.id.clone(),
                    kind: input.kind.as_str().into(),
                    given: input.given,
                    recorded_by: caller.user_id.clone(),
                    on_behalf_of_employee: caller.is(Role::Coach),
                    recorded_at: now(),
                },
            )?;
            if input.kind == ConsentKind::Method && !input.given && target.is_open() {
                queries::set_status(
                    c,
                    target,
                    Status::Stopped,
                    Some(StopReason::PrivacyResearch),
                    Some("Toestemming voor de methode ingetrokken."),
                    &caller.user_id,
                    zone,
                )?;
            }
        }
        if input.kind == ConsentKind::Research && !input.given {
            crate::absences::routes::forget_categories(c, &t.employee_id)?;
        }
        // The person agrees to the new trajectory: its learning round begins (and so its records,
        // a course the coach marks as done on paper among them, are its own).
        if input.kind == ConsentKind::Method && input.given && t.is_open() {
            crate::courses::rounds::begin(c, &t)?;
        }
        consents_out(c, &t.id)
    })
    .await?;
    Ok(HttpResponse::Created().json(out))
}
