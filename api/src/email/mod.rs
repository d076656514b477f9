//! Email content: rendering greetings and reminders from the templates under `api/templates/`.

pub mod mailer;
pub mod smtp_pool;
pub mod templates;
