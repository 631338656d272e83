//! The seven e-learnings: content loading and validation, the catalogue, learning progress and
//! the paper map.

pub mod api;
pub mod content;
pub mod loader;
pub mod map;
pub mod map_model;
pub mod map_pdf;
pub mod map_picture;
mod my_courses_json;
pub mod progress;
pub mod readability;
pub mod rounds;
mod routes;

use crate::http::routes::Routes;

pub use routes::{courses_with, hand_over_talk_requests, my_courses};

/// Fonts embedded in the binary for the PDF map (DejaVu Sans: all Dutch characters).
pub const FONT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
pub const FONT_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

pub fn routes(cfg: &mut Routes) {
    // `/courses/map` before `/courses/{slug}`: the first match wins. The employee's course list,
    // the most frequent request, before any route with a parameter (see `api_routes`).
    cfg.service(routes::me_courses)
        .service(routes::full_map)
        .service(routes::catalogue)
        .service(routes::one)
        .service(routes::image)
        .service(routes::course_map)
        .service(routes::save_page)
        .service(routes::save_celebration)
        .service(routes::save_reflection)
        .service(routes::trajectory_progress)
        .service(routes::done_on_paper);
}
