//! A small RFC 5545 (iCalendar) writer: escaping, CRLF line ends and folding at 75 octets.

use chrono::{DateTime, NaiveDate, Utc};

/// An iCalendar document under construction.
pub struct Calendar {
    out: String,
}

/// One `VEVENT`.
pub struct Event<'a> {
    pub uid: String,
    pub summary: &'a str,
    pub description: Option<&'a str>,
    pub when: When,
    /// An `RRULE` value such as `FREQ=YEARLY`.
    pub rrule: Option<&'a str>,
}

/// When an event happens.
pub enum When {
    /// A whole day.
    AllDay(NaiveDate),
    /// A moment, with a duration in minutes.
    At(DateTime<Utc>, u32),
}

impl Calendar {
    pub fn new(name: &str) -> Self {
        let mut calendar = Self { out: String::new() };
        calendar.line("BEGIN:VCALENDAR");
        calendar.line("VERSION:2.0");
        calendar.line("PRODID:-//All-in-One Planner//Calendar feed//EN");
        calendar.line("CALSCALE:GREGORIAN");
        calendar.line("METHOD:PUBLISH");
        calendar.property("X-WR-CALNAME", &escape(name));
        calendar.line("REFRESH-INTERVAL;VALUE=DURATION:PT1H");
        calendar.line("X-PUBLISHED-TTL:PT1H");
        calendar
    }

    /// Writes a content line, folded so that no line exceeds 75 octets (RFC 5545 §3.1), never inside a character.
    fn line(&mut self, content: &str) {
        let mut width = 0;
        for c in content.chars() {
            let len = c.len_utf8();
            if width + len > 75 {
                self.out.push_str("\r\n ");
                width = 1;
            }
            self.out.push(c);
            width += len;
        }
        self.out.push_str("\r\n");
    }

    fn property(&mut self, name: &str, value: &str) {
        self.line(&format!("{name}:{value}"));
    }

    pub fn event(&mut self, event: &Event<'_>, stamp: DateTime<Utc>) {
        self.line("BEGIN:VEVENT");
        self.property("UID", &escape(&event.uid));
        self.property("DTSTAMP", &stamp.format("%Y%m%dT%H%M%SZ").to_string());
        match event.when {
            When::AllDay(date) => {
                self.line(&format!("DTSTART;VALUE=DATE:{}", date.format("%Y%m%d")));
                let end = date.succ_opt().unwrap_or(date);
                self.line(&format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
                self.line("TRANSP:TRANSPARENT");
            }
            When::At(at, minutes) => {
                self.property("DTSTART", &at.format("%Y%m%dT%H%M%SZ").to_string());
                self.property("DURATION", &format!("PT{minutes}M"));
            }
        }
        if let Some(rule) = event.rrule {
            self.property("RRULE", rule);
        }
        self.property("SUMMARY", &escape(event.summary));
        if let Some(description) = event.description {
            self.property("DESCRIPTION", &escape(description));
        }
        self.line("END:VEVENT");
    }

    pub fn finish(mut self) -> String {
        self.line("END:VCALENDAR");
        self.out
    }
}

/// Escapes a TEXT value: backslash, semicolon, comma and line breaks; other control characters are dropped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_long_lines_fold_within_75_octets_without_splitting_characters() {
        assert_eq!(escape("a,b;c\\d\r\ne\u{7}"), "a\\,b\\;c\\\\d\\ne");
        let mut calendar = Calendar::new("Test");
        let summary = "Ünïcödé ".repeat(30);
        calendar.event(
            &Event {
                uid: "x@y".to_owned(),
                summary: &summary,
                description: None,
                when: When::AllDay(NaiveDate::MIN),
                rrule: None,
            },
            Utc::now(),
        );
        let text = calendar.finish();
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(&format!("SUMMARY:{summary}")));
    }
}

/// Properties over arbitrary text: every line stays within RFC 5545's limits, and unfolding and unescaping gives the
/// text back.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// RFC 5545 §3.1 unfolding, then §3.3.11 unescaping, of one property's value.
    fn value_of(document: &str, name: &str) -> String {
        let unfolded = document.replace("\r\n ", "");
        let line = unfolded
            .split("\r\n")
            .find(|l| l.starts_with(&format!("{name}:")))
            .unwrap();
        let mut out = String::new();
        let mut chars = line[name.len() + 1..].chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('n' | 'N') => out.push('\n'),
                    Some(other) => out.push(other),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    proptest! {
        #[test]
        fn lines_fit_and_text_round_trips(summary in any::<String>(), description in any::<String>()) {
            let mut calendar = Calendar::new("Feed");
            calendar.event(
                &Event {
                    uid: "task-1@planner".to_owned(),
                    summary: &summary,
                    description: Some(&description),
                    when: When::AllDay(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()),
                    rrule: None,
                },
                Utc::now(),
            );
            let document = calendar.finish();
            prop_assert!(document.ends_with("END:VCALENDAR\r\n"));
            for line in document.split_terminator("\r\n") {
                prop_assert!(line.len() <= 75, "a line of {} octets", line.len());
                prop_assert!(!line.contains(['\r', '\n']));
                prop_assert!(!line.chars().any(char::is_control), "a control character in {line:?}");
            }
            // What the writer keeps: line breaks (any style) as \n, other control characters dropped.
            let kept = |text: &str| -> String {
                text.replace("\r\n", "\n").replace('\r', "\n").chars().filter(|c| *c == '\n' || !c.is_control()).collect()
            };
            prop_assert_eq!(value_of(&document, "SUMMARY"), kept(&summary));
            prop_assert_eq!(value_of(&document, "DESCRIPTION"), kept(&description));
        }
    }
}
