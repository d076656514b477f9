//! Renders the messages the planner sends, in plain text and HTML, from template files compiled into the binary.
//!
//! System templates use `{{key}}` slots filled with escaped values; a user's greeting uses the `{name}`, `{age}` and
//! `{sender}` placeholders of [`crate::domain::template`].

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::template::{Template, Values, escape_html, text_to_html};

const LAYOUT_HTML: &str = include_str!("../../templates/layout.html");
const FOOTER_TEXT: &str = include_str!("../../templates/footer.txt");
const FOOTER_HTML: &str = include_str!("../../templates/footer.html");
const REMINDER_TEXT: &str = include_str!("../../templates/birthday_reminder.txt");
const REMINDER_HTML: &str = include_str!("../../templates/birthday_reminder.html");
const VERIFY_TEXT: &str = include_str!("../../templates/verify_email.txt");
const VERIFY_HTML: &str = include_str!("../../templates/verify_email.html");
const RESET_TEXT: &str = include_str!("../../templates/password_reset.txt");
const RESET_HTML: &str = include_str!("../../templates/password_reset.html");
const TASK_TEXT: &str = include_str!("../../templates/task_reminder.txt");
const TASK_HTML: &str = include_str!("../../templates/task_reminder.html");
const RELEASE_TEXT: &str = include_str!("../../templates/release_alert.txt");
const RELEASE_HTML: &str = include_str!("../../templates/release_alert.html");
const DIGEST_TEXT: &str = include_str!("../../templates/digest.txt");
const DIGEST_HTML: &str = include_str!("../../templates/digest.html");

/// A message ready to send: subject and both parts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct RenderedMessage {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Fills `{{key}}` slots; values must already be escaped for the target format.
fn fill(template: &str, slots: &[(&str, &str)]) -> String {
    slots.iter().fold(template.to_owned(), |out, (key, value)| {
        out.replace(&format!("{{{{{key}}}}}"), value)
    })
}

fn wrap(subject: &str, text_body: &str, html_body: &str, settings_url: &str) -> RenderedMessage {
    let footer_html = fill(FOOTER_HTML, &[("settings_url", &escape_html(settings_url))]);
    RenderedMessage {
        subject: subject.to_owned(),
        text: format!(
            "{}\n{}",
            text_body.trim_end(),
            fill(FOOTER_TEXT, &[("settings_url", settings_url)])
        ),
        html: fill(
            LAYOUT_HTML,
            &[
                ("title", &escape_html(subject)),
                ("body", html_body),
                ("footer", &footer_html),
            ],
        ),
    }
}

/// The greeting sent to the person on their birthday.
pub fn birthday_greeting(
    subject: &Template,
    message: &Template,
    values: &Values<'_>,
    settings_url: &str,
) -> RenderedMessage {
    let subject = single_line(&subject.render(values));
    let text = message.render(values);
    wrap(&subject, &text, &text_to_html(&text), settings_url)
}

/// The reminder sent to the owner `days_before` days ahead of a birthday.
pub fn birthday_reminder(
    name: &str,
    occurrence: NaiveDate,
    days_before: i64,
    age: Option<i32>,
    greeting_to: Option<&str>,
    settings_url: &str,
) -> RenderedMessage {
    let date = occurrence.format("%A, %-d %B %Y").to_string();
    let when = match days_before {
        0 => "Today".to_owned(),
        1 => format!("Tomorrow, {date},"),
        n => format!("In {n} days, on {date},"),
    };
    let turning = age.map(|a| format!(" (turning {a})")).unwrap_or_default();
    let subject = match days_before {
        0 => format!("Today is {}'s birthday", single_line(name)),
        1 => format!("Tomorrow is {}'s birthday", single_line(name)),
        n => format!("{}'s birthday is in {n} days", single_line(name)),
    };
    let note = match greeting_to {
        Some(address) => format!("The planner will send your greeting to {address} on the day."),
        None => "No greeting is set up for this birthday, so remember to get in touch.".to_owned(),
    };
    let text = fill(
        REMINDER_TEXT,
        &[
            ("when", &when),
            ("name", name),
            ("turning", &turning),
            ("greeting_note", &note),
        ],
    );
    let html = fill(
        REMINDER_HTML,
        &[
            ("when", &escape_html(&when)),
            ("name", &escape_html(name)),
            ("turning", &escape_html(&turning)),
            ("greeting_note", &escape_html(&note)),
        ],
    );
    wrap(&subject, &text, &html, settings_url)
}

/// The message that confirms an address.
pub fn verify_email(name: &str, email: &str, link: &str, settings_url: &str) -> RenderedMessage {
    let text = fill(VERIFY_TEXT, &[("name", name), ("email", email), ("link", link)]);
    let html = fill(
        VERIFY_HTML,
        &[
            ("name", &escape_html(name)),
            ("email", &escape_html(email)),
            ("link", &escape_html(link)),
        ],
    );
    wrap("Confirm your email address", &text, &html, settings_url)
}

/// The message with a password-reset link.
pub fn password_reset(name: &str, link: &str, settings_url: &str) -> RenderedMessage {
    let text = fill(RESET_TEXT, &[("name", name), ("link", link)]);
    let html = fill(
        RESET_HTML,
        &[("name", &escape_html(name)), ("link", &escape_html(link))],
    );
    wrap("Reset your password", &text, &html, settings_url)
}

/// The reminder for a task; `when` reads like "on Friday, 18 December 2026 at 09:30".
pub fn task_reminder(title: &str, when: &str, description: &str, settings_url: &str) -> RenderedMessage {
    let text = fill(
        TASK_TEXT,
        &[("title", title), ("when", when), ("description", description)],
    );
    let html = fill(
        TASK_HTML,
        &[
            ("title", &escape_html(title)),
            ("when", &escape_html(when)),
            ("description", &text_to_html(description)),
        ],
    );
    wrap(&format!("Reminder: {}", single_line(title)), &text, &html, settings_url)
}

/// The alert for a movie release; `when` is "is out today" or "comes out in 7 days".
pub fn release_alert(title: &str, when: &str, kind: &str, region: &str, settings_url: &str) -> RenderedMessage {
    let slots = [("title", title), ("when", when), ("kind", kind), ("region", region)];
    let text = fill(RELEASE_TEXT, &slots);
    let escaped: Vec<(&str, String)> = slots.iter().map(|(k, v)| (*k, escape_html(v))).collect();
    let html = fill(
        RELEASE_HTML,
        &escaped.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>(),
    );
    wrap(&format!("{} {when}", single_line(title)), &text, &html, settings_url)
}

/// The daily digest: one line per task, birthday or release.
pub fn digest(day: &str, lines: &[String], settings_url: &str) -> RenderedMessage {
    let text_items = lines.iter().map(|l| format!("- {l}")).collect::<Vec<_>>().join("\n");
    let html_items = lines
        .iter()
        .map(|l| format!("<li>{}</li>", escape_html(l)))
        .collect::<Vec<_>>()
        .join("\n");
    let text = fill(DIGEST_TEXT, &[("day", day), ("items", &text_items)]);
    let html = fill(DIGEST_HTML, &[("day", &escape_html(day)), ("items", &html_items)]);
    wrap(
        &format!("Your plan for {}", single_line(day)),
        &text,
        &html,
        settings_url,
    )
}

/// Header values must be one line: any line break a value smuggles in becomes a space.
fn single_line(value: &str) -> String {
    value
        .split(['\r', '\n'])
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reminder_names_the_day_and_age_in_both_parts_and_escapes_html() {
        let day = NaiveDate::from_ymd_opt(2027, 3, 1).unwrap();
        let message = birthday_reminder("Bo <b>", day, 7, Some(30), None, "https://p.example/account");
        assert_eq!(message.subject, "Bo <b>'s birthday is in 7 days");
        assert!(
            message
                .text
                .contains("In 7 days, on Monday, 1 March 2027, is Bo <b>'s birthday (turning 30).")
        );
        assert!(message.html.contains("Bo &lt;b&gt;") && !message.html.contains("<b>'s"));
        assert!(
            message.text.contains("https://p.example/account") && message.html.contains("https://p.example/account")
        );
    }

    #[test]
    fn greetings_render_the_users_templates() {
        let subject = Template::parse("Happy birthday, {name}!").unwrap();
        let body = Template::parse("Dear {name},\n\n{age} already!\n\n{sender}").unwrap();
        let values = Values {
            name: "Bo",
            age: Some(30),
            sender: "Ann",
        };
        let message = birthday_greeting(&subject, &body, &values, "https://p.example/account");
        assert_eq!(message.subject, "Happy birthday, Bo!");
        assert!(message.text.starts_with("Dear Bo,\n\n30 already!\n\nAnn"));
        assert!(message.html.contains("<p>30 already!</p>"));
    }
}
