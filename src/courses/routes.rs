//! Course catalogue, course pages, the paper map, and an employee's own progress.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use utoipa::IntoParams;

use super::api::{
    Catalogue, CelebrationIn, CourseOrder, CourseStatus, CourseSummary, MyCourse, MyCourses, PageProgressIn,
    PageStatus, ReflectionChoice, ReflectionIn,
};
use super::content::{plan_position, Block, Course, Page};
use super::progress::{self, PageProgress, PageSeen};
use super::{map, map_pdf};
use crate::db::{self, now};
use crate::error::AppError;
use crate::http::json::ValidJson;
use crate::http::query::Query;
use crate::policy::{Caller, Role};
use crate::trajectories::queries as trajectories;
use crate::AppState;

fn course<'a>(state: &'a AppState, slug: &str) -> Result<&'a Course, AppError> {
    state.content.get(slug).ok_or(AppError::NotFound)
}

/// The catalogue in advised order. Any logged-in user; an employee also gets their status.
#[utoipa::path(tag = "courses", responses((status = 200, body = Catalogue)), security(("bearer" = [])))]
#[get("/courses")]
pub async fn catalogue(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    let statuses: BTreeMap<&str, CourseStatus> = if caller.is(Role::Employee) {
        my_courses(&state, &caller.user_id).await?.items.into_iter().map(|c| (c.slug, c.status)).collect()
    } else {
        BTreeMap::new()
    };
    let items =
        state.content.courses.iter().map(|c| CourseSummary::new(c, statuses.get(c.slug.as_str()).copied())).collect();
    Ok(HttpResponse::Ok().json(Catalogue { items }))
}

/// One course with all pages and blocks, ready to render. Any logged-in user.
#[utoipa::path(tag = "courses", params(("slug" = String, Path)), responses((status = 200, body = Course)), security(("bearer" = [])))]
#[get("/courses/{slug}")]
pub async fn one(
    state: web::Data<AppState>,
    _caller: Caller,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().json(course(&state, &slug)?))
}

/// An illustration of a course. Public: pictures are loaded by `<img>` tags and hold no personal data.
#[utoipa::path(tag = "courses", params(("slug" = String, Path), ("file" = String, Path)), responses((status = 200, content_type = "image/svg+xml", body = String)))]
#[get("/courses/{slug}/images/{file}")]
pub async fn image(state: web::Data<AppState>, path: web::Path<(String, String)>) -> Result<HttpResponse, AppError> {
    let (slug, file) = path.into_inner();
    let course = course(&state, &slug)?;
    // Only files that a block refers to: no path tricks.
    let known =
        course.pages.iter().flat_map(|p| &p.blocks).any(|b| matches!(b, Block::Image { src, .. } if *src == file));
    if !known {
        return Err(AppError::NotFound);
    }
    let bytes = web::block({
        let path = course.dir.join("images").join(&file);
        move || std::fs::read(path)
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))?
    .map_err(|_| AppError::NotFound)?;
    let content_type = if file.ends_with(".svg") { "image/svg+xml" } else { "application/octet-stream" };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .insert_header(("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'"))
        .body(bytes))
}

#[derive(serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MapQuery {
    /// `pdf` for a PDF; the default is printable HTML. `Accept: application/pdf` also gives PDF.
    pub format: Option<String>,
    /// Only for the full map: the courses in the order of this trajectory's plan.
    pub trajectory: Option<String>,
}

fn wants_pdf(req: &HttpRequest, q: &MapQuery) -> Result<bool, AppError> {
    match q.format.as_deref() {
        Some("pdf") => return Ok(true),
        Some("html") => return Ok(false),
        Some(_) => return Err(AppError::field("format", "Kies html of pdf.")),
        None => {}
    }
    Ok(req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/pdf")))
}

async fn render_map(
    courses: Vec<Course>,
    subtitle: String,
    pdf: bool,
    filename: String,
) -> Result<HttpResponse, AppError> {
    let out = web::block(move || {
        let refs: Vec<&Course> = courses.iter().collect();
        let doc = map::build(&refs, &subtitle);
        if pdf {
            map_pdf::render_pdf(&doc, super::FONT_REGULAR, super::FONT_BOLD).map(|b| (b, true))
        } else {
            Ok((map::render_html(&doc).into_bytes(), false))
        }
    })
    .await
    .map_err(|e| AppError::internal(e.to_string()))?
    .map_err(|e| AppError::internal(format!("map: {e}")))?;
    let mut res = HttpResponse::Ok();
    if out.1 {
        res.insert_header((header::CONTENT_TYPE, "application/pdf"))
            .insert_header((header::CONTENT_DISPOSITION, format!("inline; filename=\"{filename}.pdf\"")));
    } else {
        res.insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"));
    }
    Ok(res.body(out.0))
}

/// The printable map of all seven courses (HTML, or PDF): in advised order, or with `trajectory`
/// in the order of that trajectory's plan once shared with the employee (its employee, coach and
/// project leaders; a draft would put paper out of step with the screen); for an employee without
/// `trajectory`, in the order of their own plan, as `GET /me/courses`. Any logged-in user.
#[utoipa::path(tag = "courses", params(MapQuery), responses(
    (status = 200, description = "The map as a web page, or with `?format=pdf` as a PDF", content(
        (String = "text/html"),
        (Vec<u8> = "application/pdf"),
    )),
), security(("bearer" = [])))]
#[get("/courses/map")]
pub async fn full_map(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: Query<MapQuery>,
) -> Result<HttpResponse, AppError> {
    let pdf = wants_pdf(&req, &q)?;
    let trajectory = q.trajectory.clone();
    if trajectory.is_none() && !caller.is(Role::Employee) {
        let courses = state.content.courses.clone();
        return render_map(courses, "Alle cursussen, in de aanbevolen volgorde".into(), pdf, "werkmap".into()).await;
    }
    let order = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = match trajectory {
            Some(id) => trajectories::load_in_scope(c, &caller, &id)?,
            None => match trajectories::latest_of_employee(c, &caller.user_id)? {
                Some(t) => t,
                None => return Ok(None),
            },
        };
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        crate::intake::routes::course_order(c, &t)
    })
    .await?;
    let (courses, subtitle) = match order {
        Some(order) => {
            let mut courses = state.content.courses.clone();
            courses.sort_by_key(|c| plan_position(&order, &c.slug));
            (courses, "Alle cursussen, in de volgorde van jouw plan".to_string())
        }
        None => (state.content.courses.clone(), "Alle cursussen, in de aanbevolen volgorde".to_string()),
    };
    render_map(courses, subtitle, pdf, "werkmap".into()).await
}

/// The printable map of one course (HTML, or PDF). Any logged-in user.
#[utoipa::path(tag = "courses", params(("slug" = String, Path), MapQuery), responses(
    (status = 200, description = "The map as a web page, or with `?format=pdf` as a PDF", content(
        (String = "text/html"),
        (Vec<u8> = "application/pdf"),
    )),
), security(("bearer" = [])))]
#[get("/courses/{slug}/map")]
pub async fn course_map(
    state: web::Data<AppState>,
    _caller: Caller,
    req: HttpRequest,
    slug: web::Path<String>,
    q: Query<MapQuery>,
) -> Result<HttpResponse, AppError> {
    let pdf = wants_pdf(&req, &q)?;
    let c = course(&state, &slug)?.clone();
    let subtitle = format!("Cursus {}: {}", c.number, c.title);
    let filename = format!("werkmap-{}", c.slug);
    render_map(vec![c], subtitle, pdf, filename).await
}

/// Every course with the employee's progress (derived from the saved rows), in the order of the
/// plan of their latest trajectory, as the paper map of that trajectory: the study found that a
/// map out of step with the online course confused employees.
pub async fn my_courses<'a>(state: &'a web::Data<AppState>, user_id: &str) -> Result<MyCourses<'a>, AppError> {
    let uid = user_id.to_string();
    let progress = db::read_statement_by_key(&state.pool, move |c| progress::progress_of(c, &uid)).await?;
    courses_with(state, progress)
}

/// The course list of [`my_courses`] from the employee's rows as read ([`progress::progress_of`]).
pub fn courses_with(state: &AppState, progress: progress::Progress) -> Result<MyCourses<'_>, AppError> {
    let progress::Progress { courses: mut rows, pages, plan } = progress;
    let courses = &state.content.courses;
    // Each page row to its course in one pass (rows of a course no longer offered are left out).
    let mut by_course: Vec<Vec<PageSeen>> = courses.iter().map(|c| Vec::with_capacity(c.pages.len())).collect();
    for page in pages {
        if let Some(i) = courses.iter().position(|c| c.slug == page.course_slug) {
            by_course[i].push(page);
        }
    }
    let mut items: Vec<MyCourse> = courses
        .iter()
        .zip(by_course)
        .map(|(course, mine)| {
            let row = rows.iter().position(|r| r.course_slug == course.slug).map(|i| rows.swap_remove(i));
            MyCourse::derive(course, row, mine)
        })
        .collect();
    let Some(plan) = plan else {
        return Ok(MyCourses { order: CourseOrder::Advised, focus_courses: vec![], paper_courses: vec![], items });
    };
    fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, AppError> {
        serde_json::from_str(text).map_err(|e| AppError::internal(format!("stored plan: {e}")))
    }
    let order: Vec<String> = parse(&plan.course_order)?;
    let modes: BTreeMap<String, crate::intake::api::Mode> = parse(&plan.course_modes)?;
    items.sort_by_key(|c| plan_position(&order, c.slug));
    Ok(MyCourses {
        order: CourseOrder::Plan,
        focus_courses: parse(&plan.focus_courses)?,
        paper_courses: modes
            .into_iter()
            .filter(|(_, mode)| *mode == crate::intake::api::Mode::Paper)
            .map(|(slug, _)| slug)
            .collect(),
        items,
    })
}

fn courses_response(courses: MyCourses) -> Result<HttpResponse, AppError> {
    Ok(HttpResponse::Ok().content_type(header::ContentType::json()).body(courses.to_json()?))
}

/// The caller's courses with progress, where to resume, and what is new. Employees only.
#[utoipa::path(tag = "learning", responses((status = 200, body = MyCourses)), security(("bearer" = [])))]
#[get("/me/courses")]
pub async fn me_courses(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Employee])?;
    courses_response(my_courses(&state, &caller.user_id).await?)
}

/// Checks answers against the page: known question ids, valid option indexes, sizes.
fn check_answers(page: &Page, input: &PageProgressIn) -> Result<(), AppError> {
    let mut errors = crate::error::FieldErrors::new();
    for (id, value) in input.answers.iter().flatten() {
        let field = format!("answers.{id}");
        let block = page.blocks.iter().find(|b| b.question_id() == Some(id.as_str()));
        let problem = match block {
            None => Some("Deze vraag staat niet op deze pagina."),
            Some(Block::Choice { options, .. } | Block::Situation { options, .. }) => match value.as_u64() {
                Some(i) if (i as usize) < options.len() => None,
                _ => Some("Kies een van de antwoorden (het nummer van het antwoord, vanaf 0)."),
            },
            Some(_) => match value.as_str() {
                Some(t) if t.chars().count() <= 2000 => None,
                Some(_) => Some("Je antwoord is te lang: hoogstens 2.000 tekens."),
                None => Some("Schrijf je antwoord als tekst."),
            },
        };
        if let Some(msg) = problem {
            errors.entry(field).or_default().push(msg.to_string());
        }
    }
    for (number, text) in input.exercises.iter().flatten() {
        let field = format!("exercises.{number}");
        let exists =
            page.blocks.iter().any(|b| matches!(b, Block::Exercise { number: n, .. } if n.to_string() == *number));
        if !exists {
            errors.entry(field).or_default().push("Deze opdracht staat niet op deze pagina.".into());
        } else if text.chars().count() > 5000 {
            errors.entry(field).or_default().push("Je antwoord is te lang: hoogstens 5.000 tekens.".into());
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation { detail: "Niet alle antwoorden kloppen. Kijk ze hieronder na.".into(), errors })
    }
}

/// Adds new answers to the saved ones: a page can be answered in parts.
fn merge_answers(
    saved: Option<&str>,
    answers: Option<BTreeMap<String, serde_json::Value>>,
    exercises: Option<BTreeMap<String, String>>,
) -> Option<String> {
    use serde_json::{Map, Value};
    let mut merged: Map<String, Value> = saved.and_then(|a| serde_json::from_str(a).ok()).unwrap_or_default();
    let new_parts = [
        ("answers", answers.map(|m| m.into_iter().collect::<Map<_, _>>())),
        ("exercises", exercises.map(|m| m.into_iter().map(|(k, v)| (k, Value::String(v))).collect())),
    ];
    for (key, part) in new_parts {
        if let Some(part) = part {
            if let Value::Object(target) = merged.entry(key).or_insert_with(|| Value::Object(Map::new())) {
                target.extend(part);
            }
        }
    }
    (!merged.is_empty()).then(|| Value::Object(merged).to_string())
}

/// Save progress on one page (visited or done, with answers). Employees only, for themselves.
/// A page that changed since the employee loaded it answers 409 (send `page_hash` to get this check).
#[utoipa::path(tag = "learning", params(("slug" = String, Path), ("page_id" = String, Path)), request_body = PageProgressIn,
    responses((status = 200, body = MyCourse)), security(("bearer" = [])))]
#[put("/me/courses/{slug}/pages/{page_id}")]
pub async fn save_page(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: ValidJson<PageProgressIn>,
) -> Result<HttpResponse, AppError> {
    caller.require(&[Role::Employee])?;
    let (slug, page_id) = path.into_inner();
    let input = body.0;
    // Only the page's hash goes into the database closure: cloning the course (every page and
    // block) twice per save was a measurable part of the write path.
    let page_hash = {
        let course = course(&state, &slug)?;
        let page = course.page(&page_id).ok_or(AppError::NotFound)?;
        // A changed page first: answers to the page as it was need not fit the page as it is, and
        // the employee can mend nothing in them.
        if input.page_hash.as_deref().is_some_and(|h| !page.is_current(h)) {
            return Err(AppError::Conflict(
                "Deze pagina is net aangepast. Laad de cursus opnieuw; je eerdere antwoorden blijven bewaard.".into(),
            ));
        }
        check_answers(page, &input)?;
        page.content_hash.clone()
    };
    let uid = caller.user_id.clone();
    let view_slug = slug.clone();
    let (row, pages) = db::tx(&state.pool, caller.audit(), move |c, _| {
        let mut row = progress::ensure_course(c, &uid, &slug)?;
        let t = now();
        let existing = progress::find_page(c, &uid, &slug, &page_id)?;
        let answers =
            merge_answers(existing.as_ref().and_then(|p| p.answers.as_deref()), input.answers, input.exercises);
        let is_done = input.status == PageStatus::Done;
        let record = PageProgress {
            user_id: uid.clone(),
            course_slug: slug.clone(),
            page_id: page_id.clone(),
            // The hash records the version the page was done on; a visit does not clear "changed".
            page_hash: match (&existing, is_done) {
                (Some(e), false) => e.page_hash.clone(),
                _ => page_hash,
            },
            visited_at: t,
            done_at: if is_done { Some(t) } else { existing.as_ref().and_then(|e| e.done_at) },
            answers,
            updated_at: t,
        };
        progress::save_page(c, &record)?;
        row.last_page_id = Some(page_id.clone());
        progress::save_course(c, &row)?;
        let pages = progress::pages_of(c, &uid, &slug)?;
        Ok((row, pages))
    })
    .await?;
    Ok(HttpResponse::Ok().json(MyCourse::derive(course(&state, &view_slug)?, Some(row.into()), pages)))
}

/// `asks_coach`: the change may ask the coach for a talk, which reads the employee's trajectory
/// held (see `ask_coach_for_a_talk`); it is then held before the course row, in the order a stop,
/// an erasure and a coach's paper completion take the two (the other way round they deadlock).
async fn update_course<'a, F>(
    state: &'a web::Data<AppState>,
    caller: &Caller,
    slug: String,
    asks_coach: bool,
    f: F,
) -> Result<MyCourse<'a>, AppError>
where
    F: FnOnce(&mut db::DbConnection, &mut progress::CourseProgress) -> Result<(), AppError> + Send + 'static,
{
    caller.require(&[Role::Employee])?;
    let course = course(state, &slug)?;
    let uid = caller.user_id.clone();
    let (row, pages) = db::tx(&state.pool, caller.audit(), move |c, _| {
        if asks_coach {
            // The people first (the employee, then the coach the talk mail goes to), then the
            // trajectory: in the order an erasure of either takes them.
            crate::accounts::queries::hold_user(c, &uid)?;
            if let Some(t) = trajectories::open_of_employee(c, &uid)? {
                crate::accounts::queries::hold_user(c, &t.coach_id)?;
            }
            trajectories::open_of_employee_held(c, &uid)?;
        }
        let mut row = progress::ensure_course(c, &uid, &slug)?;
        f(c, &mut row)?;
        progress::save_course(c, &row)?;
        let pages = progress::pages_of(c, &uid, &slug)?;
        Ok((row, pages))
    })
    .await?;
    Ok(MyCourse::derive(course, Some(row.into()), pages))
}

/// Save the opening step: what went well since last time. Employees only, for themselves.
#[utoipa::path(tag = "learning", params(("slug" = String, Path)), request_body = CelebrationIn,
    responses((status = 200, body = MyCourse)), security(("bearer" = [])))]
#[put("/me/courses/{slug}/celebration")]
pub async fn save_celebration(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    body: ValidJson<CelebrationIn>,
) -> Result<HttpResponse, AppError> {
    let text = body.0.text;
    let view = update_course(&state, &caller, slug.into_inner(), false, move |_, row| {
        row.celebration = Some(text);
        row.celebrated_at = Some(now());
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Save the closing reflection and the choice of a coach talk, a group session or neither. This
/// completes the course. Employees only, for themselves. Choosing a talk with the coach (first
/// time for this course) mails the coach of the running trajectory, so that the wish is not left
/// in a list nobody opens.
#[utoipa::path(tag = "learning", params(("slug" = String, Path)), request_body = ReflectionIn,
    responses((status = 200, body = MyCourse)), security(("bearer" = [])))]
#[put("/me/courses/{slug}/reflection")]
pub async fn save_reflection(
    state: web::Data<AppState>,
    caller: Caller,
    slug: web::Path<String>,
    body: ValidJson<ReflectionIn>,
) -> Result<HttpResponse, AppError> {
    let input = body.0;
    let templates = state.templates.clone();
    let public_url = state.config.public_url.clone();
    let slug = slug.into_inner();
    let title = course(&state, &slug)?.title.clone();
    let about = slug.clone();
    let asks_coach = matches!(input.choice, ReflectionChoice::CoachTalk | ReflectionChoice::Both);
    let view = update_course(&state, &caller, slug, asks_coach, move |c, row| {
        if asks_coach {
            let asked = row.talk_asked_trajectory_id.as_deref();
            if let Some(t) = ask_coach_for_a_talk(c, &templates, &public_url, &row.user_id, &about, &title, asked)? {
                row.talk_asked_trajectory_id = Some(t);
            }
        }
        let t = now();
        row.reflection = Some(input.text);
        row.reflection_choice = Some(input.choice.as_str().to_string());
        row.reflected_at = Some(t);
        if row.completed_at.is_none() {
            row.completed_at = Some(t);
            row.completed_via = Some("online".into());
            row.completed_by = row.completed_by.take().or(Some(row.user_id.clone()));
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Progress of a trajectory's employee in every course, in that trajectory's learning round
/// (`courses::rounds`), in the order of its plan. Its coach and employee; project leaders
/// see status only, not the text of celebrations, reflections and answers. Learning is the
/// person's: a coach sees it while theirs is the person's latest trajectory (an earlier coach gets
/// 404, as for absences), and a new coach reads only the new round. Without method consent on that
/// latest trajectory (proposed and not yet agreed, or withdrawn) its coach too sees status only:
/// a proposal does not open what the person wrote before. Nor once that trajectory has ended: the
/// person is back in regular guidance, and what they write in the courses afterwards is theirs.
#[utoipa::path(tag = "learning", params(("id" = String, Path)), responses((status = 200, body = MyCourses)), security(("bearer" = [])))]
#[get("/trajectories/{id}/progress")]
pub async fn trajectory_progress(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let c2 = caller.clone();
    let (progress, agreed) = db::tx(&state.pool, caller.audit(), move |c, audit| {
        let t = trajectories::load_in_scope(c, &c2, &id)?;
        if c2.is(Role::Coach) && !trajectories::coaches(c, &c2.user_id, &t.employee_id)? {
            return Err(AppError::NotFound);
        }
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        // The consent that counts is the person's on their latest trajectory (the one whose coach
        // reads here), not what an earlier one of the same coach's still says.
        let agreed =
            trajectories::latest_of_employee(c, &t.employee_id)?.is_some_and(|l| l.method_consent && l.is_open());
        Ok((super::rounds::progress_of_round(c, &t)?, agreed))
    })
    .await?;
    let mut courses = courses_with(&state, progress)?;
    if caller.is(Role::ProjectLeader) || (caller.is(Role::Coach) && !agreed) {
        for course in &mut courses.items {
            course.celebration = None;
            course.reflection = None;
            course.pages.iter_mut().for_each(|p| p.answers = None);
        }
    }
    courses_response(courses)
}

#[derive(serde::Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PaperQuery {
    /// What the employee ticked at the end of the course in the map: a talk with the coach, a
    /// group session, both, or not now. Puts them on the course's interest list as online.
    pub choice: Option<super::api::ReflectionChoice>,
}

/// Record that the employee did this course in the paper map: it counts as completed, `paper`,
/// with the choice they ticked at its end (also later, when the map comes back). Their written
/// reflection stays on paper. Only the trajectory's own coach, while it runs with method consent.
#[utoipa::path(tag = "learning", params(("id" = String, Path), ("slug" = String, Path), PaperQuery), responses((status = 200, body = MyCourse)), security(("bearer" = [])))]
#[post("/trajectories/{id}/progress/{slug}/paper")]
pub async fn done_on_paper(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
    q: Query<PaperQuery>,
) -> Result<HttpResponse, AppError> {
    let (id, slug) = path.into_inner();
    let choice = q.into_inner().choice;
    let course = course(&state, &slug)?;
    let (row, pages) = db::tx(&state.pool, caller.audit(), move |c, audit| {
        // The person held, then the trajectory for change (PostgreSQL), then the course row, as
        // an erasure, a withdrawal of consent and a reflection that asks for a talk take them: a
        // stop or a withdrawal committing meanwhile is waited for, and then refuses this.
        let employee = trajectories::load_in_scope(c, &caller, &id)?.employee_id;
        crate::accounts::queries::hold_user(c, &employee)?;
        let t = trajectories::load_for_change(c, &caller, &id)?;
        audit.about_trajectory(&t.employee_id, &t.organization_id);
        caller.require_coach_of(&t.coach_id)?;
        t.accepts_records()?;
        let mut row = progress::ensure_course(c, &t.employee_id, &slug)?;
        let mut changed = false;
        if row.completed_at.is_none() {
            row.completed_at = Some(now());
            row.completed_via = Some("paper".into());
            row.completed_by = Some(caller.user_id.clone());
            changed = true;
        }
        if let Some(choice) = choice {
            // The employee's own choice, made with their reflection on screen, is theirs.
            if row.reflection.is_some() {
                return Err(AppError::Conflict(
                    "De medewerker heeft deze cursus online afgesloten en daar zelf een keuze gemaakt.".into(),
                ));
            }
            row.reflection_choice = Some(choice.as_str().to_string());
            row.reflected_at = row.reflected_at.or(Some(now()));
            // The coach wrote down a wish for a talk with them: they know of it, and the
            // employee's own save of it later asks nobody again.
            if matches!(choice, ReflectionChoice::CoachTalk | ReflectionChoice::Both) {
                row.talk_asked_trajectory_id = Some(t.id.clone());
            }
            changed = true;
        }
        if changed {
            progress::save_course(c, &row)?;
        }
        let pages = progress::pages_of(c, &t.employee_id, &slug)?;
        Ok((row, pages))
    })
    .await?;
    Ok(HttpResponse::Ok().json(MyCourse::derive(course, Some(row.into()), pages)))
}

/// The talk requests of trajectory `t` still waiting in the outbox (not yet taken by a worker, or
/// given up at the coach's address) go to its new coach: the coach before no longer coaches the
/// person and is not written about them, and the new one is asked instead
/// (`ask_coach_for_a_talk` reads the coach as it is now). A request already sent stays sent; the
/// new coach finds the wish in the person's progress.
pub fn hand_over_talk_requests(
    c: &mut db::DbConnection,
    state: &AppState,
    t: &crate::trajectories::model::Trajectory,
) -> Result<(), AppError> {
    use crate::db::schema::outbox;
    use diesel::prelude::*;
    let prefix = format!("talk:{}:", t.id);
    let waiting: Vec<Option<String>> = outbox::table
        .filter(crate::db::prefix::starts_with(outbox::subject_ref.assume_not_null(), &prefix))
        .filter(outbox::status.eq_any(crate::mail::outbox::NOT_TAKEN))
        .select(outbox::subject_ref)
        .load(c)?;
    for about in waiting.into_iter().flatten() {
        crate::mail::outbox::cancel_queued(c, &about)?;
        let slug = &about[prefix.len()..];
        if let Some(course) = state.content.get(slug) {
            let public_url = &state.config.public_url;
            ask_coach_for_a_talk(c, &state.templates, public_url, &t.employee_id, slug, &course.title, None)?;
        }
    }
    Ok(())
}

/// Queues the mail to the coach of the employee's running trajectory (with method consent) that
/// the employee asked for a talk after the course `slug`, and returns that trajectory: once per
/// trajectory and course (asked again, or the choice changed back and forth, the coach already
/// knows). `asked`: the trajectory the wish went out for before (kept on the course row, as the
/// outbox clears sent mail after a week); `None` on a handover, which asks the new coach. Without
/// such a trajectory there is no one to ask yet; a later save asks then.
fn ask_coach_for_a_talk(
    c: &mut db::DbConnection,
    templates: &crate::mail::templates::Templates,
    public_url: &str,
    employee_id: &str,
    slug: &str,
    course: &str,
    asked: Option<&str>,
) -> Result<Option<String>, AppError> {
    use crate::db::schema::outbox;
    use diesel::prelude::*;
    // Held: a stop committing meanwhile either waits and then takes this request back in its
    // wind-down, or is waited for, and there is no open trajectory to ask for.
    let Some(t) = trajectories::open_of_employee_held(c, employee_id)? else { return Ok(None) };
    if !t.method_consent || asked == Some(t.id.as_str()) {
        return Ok(None);
    }
    // A wish mailed before the course row kept it (2026-12-07) is known by its mail only.
    let about = format!("talk:{}:{slug}", t.id);
    let mailed: i64 = outbox::table
        .filter(outbox::subject_ref.eq(&about))
        .filter(outbox::status.ne("cancelled"))
        .count()
        .get_result(c)?;
    if mailed > 0 {
        return Ok(None);
    }
    let coach = crate::accounts::queries::find_user(c, &t.coach_id)?;
    let employee = crate::accounts::queries::find_user(c, employee_id)?;
    let organization = crate::accounts::queries::find_organization(c, &t.organization_id)?;
    let vars = BTreeMap::from([
        ("first_name", coach.first_name.clone()),
        ("employee", employee.first_name),
        ("course", course.to_string()),
        ("organization", organization.name),
        ("link", crate::mail::links::trajectory(public_url, &t.id)),
    ]);
    let mail = crate::mail::outbox::Mail {
        template: "talk-requested",
        to: &coach.email,
        vars,
        about: Some(about),
        not_before: None,
        send_before: None,
    };
    // Not queued to a coach no longer active: not asked, and a later save may ask a new coach.
    Ok(crate::mail::outbox::queue(c, templates, mail)?.map(|_| t.id))
}
