//! Email: templates, the durable outbox, delivery with lettre, and the background worker.

pub mod links;
pub mod outbox;
pub mod sender;
pub mod templates;
pub mod worker;
