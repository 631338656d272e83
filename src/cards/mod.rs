//! Kaartjes: colleagues write a short card through a one-time link (no account); the card reaches
//! the employee by email or on a print sheet. Cards are held for a while so that the coach can
//! stop a hurtful one; a stopped card is never sent. The colleague learns nothing about the
//! employee beyond their first name.

pub mod routes;

use crate::http::routes::Routes;

pub fn routes(cfg: &mut Routes) {
    cfg.service(routes::create_link)
        .service(routes::open_link)
        .service(routes::write_card)
        .service(routes::mine)
        .service(routes::of_trajectory)
        .service(routes::block);
}
