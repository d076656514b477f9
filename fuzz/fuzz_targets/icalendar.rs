//! Fuzzes the iCalendar writer with any calendar name, UID, summary, description and time.
//!
//! Every content line must stay within 75 octets and hold no control character, no text may start a component of
//! its own, and unfolding and unescaping the SUMMARY gives the summary back (line breaks as `\n`, other control
//! characters dropped).
#![no_main]

use api::calendar::ics::{Calendar, Event, When};
use chrono::{DateTime, NaiveDate};
use libfuzzer_sys::{arbitrary, fuzz_target};

#[derive(arbitrary::Arbitrary, Debug)]
struct Input<'a> {
    calendar_name: &'a str,
    uid: String,
    summary: &'a str,
    description: Option<&'a str>,
    all_day: bool,
    days_from_ce: i32,
    seconds: i64,
    minutes: u32,
    yearly: bool,
}

/// Undoes the writer's TEXT escaping.
fn unescape(value: &str) -> String {
    let mut out = String::new();
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some(other) => out.push(other),
                None => panic!("dangling backslash in {value:?}"),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fuzz_target!(|input: Input<'_>| {
    let when = if input.all_day {
        let Some(date) = NaiveDate::from_num_days_from_ce_opt(input.days_from_ce) else {
            return;
        };
        When::AllDay(date)
    } else {
        let Some(at) = DateTime::from_timestamp(input.seconds, 0) else {
            return;
        };
        When::At(at, input.minutes)
    };
    let mut calendar = Calendar::new(input.calendar_name);
    let stamp = DateTime::from_timestamp(1_800_000_000, 0).expect("a valid moment");
    calendar.event(
        &Event {
            uid: input.uid.clone(),
            summary: input.summary,
            description: input.description,
            when,
            rrule: input.yearly.then_some("FREQ=YEARLY"),
        },
        stamp,
    );
    let text = calendar.finish();

    assert!(text.ends_with("END:VCALENDAR\r\n"));
    for line in text.strip_suffix("\r\n").expect("ends with CRLF").split("\r\n") {
        assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        assert!(!line.chars().any(char::is_control), "control character in {line:?}");
    }
    let unfolded = text.replace("\r\n ", "");
    let lines: Vec<&str> = unfolded.split("\r\n").collect();
    let begins: Vec<&&str> = lines.iter().filter(|l| l.starts_with("BEGIN:")).collect();
    assert_eq!(begins, [&"BEGIN:VCALENDAR", &"BEGIN:VEVENT"]);

    let summary = lines
        .iter()
        .find_map(|l| l.strip_prefix("SUMMARY:"))
        .expect("a SUMMARY line");
    let expected: String = input
        .summary
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    assert_eq!(unescape(summary), expected);
});
