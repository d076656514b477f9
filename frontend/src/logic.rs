//! The app's logic that needs no browser: calendar arithmetic, countdowns, form checks that mirror the API's rules,
//! reading problem documents, and the refresh-once rule for expired access tokens. Unit-tested on the host.

use serde_json::Value;

/// A calendar date, as the API writes it (`YYYY-MM-DD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Reads `YYYY-MM-DD` (anything after the tenth character, such as a time, is ignored).
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.get(..10)?;
        let mut parts = text.split('-');
        let year = parts.next()?.parse().ok()?;
        let month = parts.next()?.parse().ok()?;
        let day = parts.next()?.parse().ok()?;
        let date = Self { year, month, day };
        ((1..=12).contains(&month) && (1..=days_in_month(year, month)).contains(&day)).then_some(date)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month = i64::from(self.month);
        let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    #[cfg(test)]
    pub fn from_days_since_epoch(days: i64) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Self {
            year: i32::try_from(year).unwrap_or(i32::MAX),
            month: u32::try_from(month).unwrap_or(1),
            day: u32::try_from(day).unwrap_or(1),
        }
    }

    #[cfg(test)]
    pub fn add_days(self, days: i64) -> Self {
        Self::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// 0 for Monday through 6 for Sunday.
    pub fn weekday_from_monday(self) -> u32 {
        // 1970-01-01 was a Thursday (3).
        u32::try_from((self.days_since_epoch() + 3).rem_euclid(7)).unwrap_or(0)
    }

    pub fn first_of_month(self) -> Self {
        Self { day: 1, ..self }
    }

    pub fn last_of_month(self) -> Self {
        Self {
            day: days_in_month(self.year, self.month),
            ..self
        }
    }

    /// The first day of the month `months` after this one's (negative: before).
    pub fn add_months(self, months: i32) -> Self {
        let index = self.year * 12 + i32::try_from(self.month).unwrap_or(1) - 1 + months;
        Self {
            year: index.div_euclid(12),
            month: u32::try_from(index.rem_euclid(12)).unwrap_or(0) + 1,
            day: 1,
        }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// The weeks of a month view, Monday first: every day of the month, padded with `None` to whole weeks.
pub fn month_grid(month: Date) -> Vec<[Option<Date>; 7]> {
    let first = month.first_of_month();
    let mut weeks = Vec::new();
    let mut week = [None; 7];
    let mut slot = first.weekday_from_monday() as usize;
    for day in 1..=days_in_month(first.year, first.month) {
        week[slot] = Some(Date { day, ..first });
        slot += 1;
        if slot == 7 {
            weeks.push(week);
            week = [None; 7];
            slot = 0;
        }
    }
    if slot > 0 {
        weeks.push(week);
    }
    weeks
}

/// How far a date is from today, in words.
pub fn countdown(today: Date, date: Date) -> String {
    match date.days_since_epoch() - today.days_since_epoch() {
        0 => "today".to_owned(),
        1 => "tomorrow".to_owned(),
        -1 => "yesterday".to_owned(),
        n if n > 1 => format!("in {n} days"),
        n => format!("{} days ago", -n),
    }
}

/// The English name of a month (1–12), for headings.
pub fn month_name(month: u32) -> &'static str {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    NAMES.get(month.wrapping_sub(1) as usize).copied().unwrap_or("")
}

/// What a date or time is shown as; each has its own `Intl.DateTimeFormat` options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// A weekday's short name, for the calendar's column headings.
    Weekday,
    /// A month and its year, for the calendar's heading.
    MonthYear,
    /// A calendar date with its weekday.
    Day,
    /// A wall-clock time of day, such as a task's due time.
    Time,
    /// A moment (an instant), shown in the user's time zone.
    Moment,
}

/// The time zone to format in: the user's, or UTC when none is known.
pub fn zone_or_utc(zone: &str) -> &str {
    let zone = zone.trim();
    if zone.is_empty() { "UTC" } else { zone }
}

/// The `Intl.DateTimeFormat` options for what is shown. Calendar dates and wall-clock times are already in the user's
/// zone, so they are written as UTC instants and formatted in UTC: a viewer's own zone never shifts them by a day.
/// Only a moment is converted into `zone`.
pub fn format_options(shown: Shown, zone: &str) -> Vec<(&'static str, String)> {
    let time_zone = match shown {
        Shown::Moment => zone_or_utc(zone),
        _ => "UTC",
    };
    let fields: &[(&'static str, &'static str)] = match shown {
        Shown::Weekday => &[("weekday", "short")],
        Shown::MonthYear => &[("month", "long"), ("year", "numeric")],
        Shown::Day => &[
            ("weekday", "short"),
            ("day", "numeric"),
            ("month", "short"),
            ("year", "numeric"),
        ],
        Shown::Time => &[("hour", "numeric"), ("minute", "2-digit")],
        Shown::Moment => &[("dateStyle", "medium"), ("timeStyle", "short")],
    };
    std::iter::once(("timeZone", time_zone.to_owned()))
        .chain(fields.iter().map(|(k, v)| (*k, (*v).to_owned())))
        .collect()
}

/// Seven days, Monday first (1 to 7 January 2024), whose weekday names head the calendar's columns.
pub fn weekday_reference_dates() -> [Date; 7] {
    std::array::from_fn(|i| Date {
        year: 2024,
        month: 1,
        day: u32::try_from(i).unwrap_or(0) + 1,
    })
}

/// Reads an `HH:MM` time of day.
pub fn parse_time(text: &str) -> Option<(u32, u32)> {
    let (hours, minutes) = text.trim().split_once(':')?;
    let (hours, minutes) = (hours.parse::<u32>().ok()?, minutes.get(..2)?.parse::<u32>().ok()?);
    (hours < 24 && minutes < 60).then_some((hours, minutes))
}

/// Milliseconds since the epoch of a date and wall-clock time read as UTC (see [`format_options`]).
pub fn wall_clock_millis(date: Date, time: Option<(u32, u32)>) -> f64 {
    let (hours, minutes) = time.unwrap_or((0, 0));
    let seconds = date.days_since_epoch() * 86_400 + i64::from(hours) * 3_600 + i64::from(minutes) * 60;
    #[expect(
        clippy::cast_precision_loss,
        reason = "dates within a few thousand years fit in an f64 exactly"
    )]
    let millis = seconds as f64 * 1_000.0;
    millis
}

/// A task's due date and time for people: each part formatted by the locale, or shown as the API wrote it when it
/// cannot be read, so nothing is hidden.
pub fn due_label(due_date: &str, due_time: &str, day: impl Fn(Date) -> String, time: impl Fn(f64) -> String) -> String {
    let Some(date) = Date::parse(due_date) else {
        return format!("{due_date} {due_time}").trim().to_owned();
    };
    let due_time = due_time.trim();
    if due_time.is_empty() {
        return day(date);
    }
    match parse_time(due_time) {
        Some(clock) => format!("{} {}", day(date), time(wall_clock_millis(date, Some(clock)))),
        None => format!("{} {due_time}", day(date)),
    }
}

/// A region is two letters (ISO 3166-1 alpha-2), as the API expects.
pub fn check_region(region: &str) -> Result<(), String> {
    let region = region.trim();
    if region.len() == 2 && region.chars().all(|c| c.is_ascii_alphabetic()) {
        Ok(())
    } else {
        Err("must be two letters, such as US or DE".to_owned())
    }
}

/// How long the birthday preview waits after the last keystroke before asking the server.
pub const PREVIEW_DEBOUNCE_MS: u32 = 300;

/// What a refresh answered: a new token, no session (a 401 for a refresh token that is unknown, expired or revoked; a
/// 400 when the browser holds no refresh cookie at all), or no answer worth acting on (the server could not be
/// reached, refused the origin, limited the rate or failed), which must not look like being logged out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    Renewed,
    SignedOut,
    Unavailable,
}

pub fn refresh_outcome(status: u16) -> RefreshOutcome {
    match status {
        200..=299 => RefreshOutcome::Renewed,
        400 | 401 => RefreshOutcome::SignedOut,
        _ => RefreshOutcome::Unavailable,
    }
}

/// The API's username rule: 3 to 32 letters, digits, `_`, `-` or `.`.
pub fn check_username(username: &str) -> Result<(), String> {
    let len = username.chars().count();
    if !(3..=32).contains(&len) {
        return Err("must be 3 to 32 characters".to_owned());
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err("may contain only letters, digits, '_', '-' and '.'".to_owned());
    }
    Ok(())
}

/// A light check before sending; the API has the last word.
pub fn check_email(email: &str) -> Result<(), String> {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err("must be an email address such as ann@example.com".to_owned()),
    }
}

pub fn check_password(password: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < 8 {
        Err("must be at least 8 characters".to_owned())
    } else if len > 128 {
        Err("must be at most 128 characters".to_owned())
    } else {
        Ok(())
    }
}

pub fn check_required(value: &str, max_chars: usize) -> Result<(), String> {
    let len = value.trim().chars().count();
    if len == 0 {
        Err("is required".to_owned())
    } else if len > max_chars {
        Err(format!("must be at most {max_chars} characters"))
    } else {
        Ok(())
    }
}

/// A birthday's month and day, with or without a year.
pub fn check_birthday(month: u32, day: u32, year: Option<i32>) -> Result<(), (&'static str, String)> {
    if !(1..=12).contains(&month) {
        return Err(("month", "must be 1 to 12".to_owned()));
    }
    if let Some(year) = year {
        if !(1900..=2199).contains(&year) {
            return Err(("year", "must be 1900 to 2199".to_owned()));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(("day", format!("{} {year} has no day {day}", month_name(month))));
        }
    } else if day == 0 || day > days_in_month(2000, month) {
        return Err(("day", format!("{} has no day {day}", month_name(month))));
    }
    Ok(())
}

/// A list of whole numbers written with commas, such as `0, 7`.
pub fn parse_day_list(text: &str) -> Result<Vec<u32>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<u32>()
                .ok()
                .filter(|days| *days <= 365)
                .ok_or_else(|| format!("`{part}` is not a number of days from 0 to 365"))
        })
        .collect()
}

/// The per-field messages of an RFC 9457 problem document, and its detail.
pub fn problem_messages(problem: &Value) -> (Vec<(String, String)>, String) {
    let fields = problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| Some((e["field"].as_str()?.to_owned(), e["message"].as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let detail = problem["detail"]
        .as_str()
        .or_else(|| problem["title"].as_str())
        .unwrap_or("Something went wrong")
        .to_owned();
    (fields, detail)
}

/// What to do with an API response, given whether this request already refreshed the access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthStep {
    /// Use the response.
    Accept,
    /// The access token has expired: refresh once, then repeat the request.
    RefreshAndRetry,
    /// Refreshing did not help: the session is over; go to the login page.
    SignIn,
}

pub fn auth_step(status: u16, already_refreshed: bool) -> AuthStep {
    match (status, already_refreshed) {
        (401, false) => AuthStep::RefreshAndRetry,
        (401, true) => AuthStep::SignIn,
        _ => AuthStep::Accept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).expect("a date")
    }

    #[test]
    fn dates_round_trip_through_day_numbers() {
        for text in [
            "1970-01-01",
            "2000-02-29",
            "2026-12-04",
            "1900-03-01",
            "2199-12-31",
            "2024-02-29",
        ] {
            let d = date(text);
            assert_eq!(Date::from_days_since_epoch(d.days_since_epoch()), d, "{text}");
            assert_eq!(d.to_string(), text);
        }
        assert_eq!(date("1970-01-02").days_since_epoch(), 1);
        assert_eq!(date("2027-03-01").add_days(-1), date("2027-02-28"));
        assert_eq!(date("2028-03-01").add_days(-1), date("2028-02-29"));
    }

    #[test]
    fn impossible_dates_are_refused() {
        assert_eq!(Date::parse("2027-02-29"), None);
        assert_eq!(Date::parse("2026-13-01"), None);
        assert_eq!(Date::parse("2026-04-31"), None);
        assert_eq!(Date::parse("soon"), None);
        assert_eq!(date("2026-12-04T10:00:00Z"), date("2026-12-04"));
    }

    #[test]
    fn weekdays_and_month_grids_start_on_monday() {
        assert_eq!(date("2026-12-04").weekday_from_monday(), 4, "a Friday");
        assert_eq!(date("2026-11-30").weekday_from_monday(), 0, "a Monday");
        let grid = month_grid(date("2026-12-04"));
        // December 2026 starts on a Tuesday and ends on a Thursday: five weeks.
        assert_eq!(grid.len(), 5);
        assert_eq!(grid[0][0], None);
        assert_eq!(grid[0][1], Some(date("2026-12-01")));
        assert_eq!(grid[4][3], Some(date("2026-12-31")));
        assert_eq!(grid[4][4], None);
        let february = month_grid(date("2027-02-01"));
        assert_eq!(february.iter().flatten().flatten().count(), 28);
        assert_eq!(month_grid(date("2028-02-01")).iter().flatten().flatten().count(), 29);
    }

    #[test]
    fn months_step_across_years() {
        assert_eq!(date("2026-12-04").add_months(1), date("2027-01-01"));
        assert_eq!(date("2026-01-31").add_months(-1), date("2025-12-01"));
        assert_eq!(date("2026-05-15").add_months(-17), date("2024-12-01"));
        assert_eq!(date("2027-02-10").last_of_month(), date("2027-02-28"));
    }

    #[test]
    fn countdowns_read_naturally() {
        let today = date("2026-12-04");
        assert_eq!(countdown(today, today), "today");
        assert_eq!(countdown(today, date("2026-12-05")), "tomorrow");
        assert_eq!(countdown(today, date("2027-01-01")), "in 28 days");
        assert_eq!(countdown(today, date("2026-12-01")), "3 days ago");
    }

    #[test]
    fn form_checks_mirror_the_api() {
        assert!(check_username("ann.lee_2").is_ok());
        assert!(check_username("an").is_err());
        assert!(check_username("ann lee").is_err());
        assert!(check_email("ann@example.com").is_ok());
        assert!(check_email("ann@example").is_err());
        assert!(check_email("ann example.com").is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("correct horse").is_ok());
        assert!(check_required("  ", 10).is_err());
        assert!(check_required("a title", 5).is_err());
        assert_eq!(check_birthday(2, 29, None), Ok(()));
        assert_eq!(check_birthday(2, 29, Some(2027)).unwrap_err().0, "day");
        assert_eq!(check_birthday(4, 31, None).unwrap_err().0, "day");
        assert_eq!(check_birthday(13, 1, None).unwrap_err().0, "month");
        assert_eq!(check_birthday(1, 1, Some(1850)).unwrap_err().0, "year");
        assert_eq!(parse_day_list("0, 7,30"), Ok(vec![0, 7, 30]));
        assert_eq!(parse_day_list(""), Ok(vec![]));
        assert!(parse_day_list("7, soon").is_err());
    }

    #[test]
    fn problem_documents_yield_field_messages() {
        let problem = serde_json::json!({"type": "/problems/validation", "title": "Your request has invalid fields",
            "status": 422, "detail": "username: must be 3 to 32 characters",
            "errors": [{"field": "username", "message": "must be 3 to 32 characters"}]});
        let (fields, detail) = problem_messages(&problem);
        assert_eq!(
            fields,
            [("username".to_owned(), "must be 3 to 32 characters".to_owned())]
        );
        assert_eq!(detail, "username: must be 3 to 32 characters");
        let (fields, detail) = problem_messages(&serde_json::json!({"title": "Not found"}));
        assert!(fields.is_empty());
        assert_eq!(detail, "Not found");
    }

    #[test]
    fn civil_dates_and_times_are_formatted_in_utc_and_moments_in_the_users_zone() {
        let zone_of = |shown, zone| {
            format_options(shown, zone)
                .into_iter()
                .find(|(k, _)| *k == "timeZone")
                .map(|(_, v)| v)
        };
        for shown in [Shown::Weekday, Shown::MonthYear, Shown::Day, Shown::Time] {
            assert_eq!(zone_of(shown, "Pacific/Auckland").as_deref(), Some("UTC"), "{shown:?}");
        }
        assert_eq!(
            zone_of(Shown::Moment, "Pacific/Auckland").as_deref(),
            Some("Pacific/Auckland")
        );
        assert_eq!(
            zone_of(Shown::Moment, "  ").as_deref(),
            Some("UTC"),
            "no zone known: UTC"
        );
        let keys = |shown| {
            format_options(shown, "UTC")
                .into_iter()
                .map(|(k, _)| k)
                .collect::<Vec<_>>()
        };
        assert_eq!(keys(Shown::Weekday), ["timeZone", "weekday"]);
        assert_eq!(keys(Shown::MonthYear), ["timeZone", "month", "year"]);
        assert_eq!(keys(Shown::Time), ["timeZone", "hour", "minute"]);
        assert!(keys(Shown::Day).contains(&"weekday") && keys(Shown::Day).contains(&"year"));
    }

    #[test]
    fn the_weekday_headings_start_on_monday() {
        let days = weekday_reference_dates();
        for (i, day) in days.iter().enumerate() {
            assert_eq!(day.weekday_from_monday() as usize, i, "{day}");
        }
    }

    #[test]
    fn due_dates_and_times_fall_back_to_what_the_api_wrote() {
        let day = |d: Date| format!("<{d}>");
        let time = |ms: f64| format!("[{ms}]");
        assert_eq!(due_label("", "", day, time), "");
        assert_eq!(due_label("2026-12-04", "", day, time), "<2026-12-04>");
        let millis = (date("2026-12-04").days_since_epoch() * 86_400 + 9 * 3_600 + 30 * 60) * 1_000;
        assert_eq!(
            due_label("2026-12-04", "09:30", day, time),
            format!("<2026-12-04> [{millis}]")
        );
        assert_eq!(due_label("2026-12-04", "25:00", day, time), "<2026-12-04> 25:00");
        assert_eq!(due_label("someday", "09:30", day, time), "someday 09:30");
        assert_eq!(parse_time("23:59"), Some((23, 59)));
        assert_eq!(parse_time("09:30:00"), Some((9, 30)));
        assert_eq!(parse_time("9"), None);
        assert_eq!(parse_time("12:60"), None);
        assert!((wall_clock_millis(date("1970-01-02"), Some((1, 0))) - 90_000_000.0).abs() < f64::EPSILON);
    }

    #[test]
    fn regions_are_two_letters() {
        assert!(check_region("US").is_ok());
        assert!(check_region(" de ").is_ok());
        assert!(check_region("USA").is_err());
        assert!(check_region("U1").is_err());
        assert!(check_region("").is_err());
    }

    #[test]
    fn only_a_refused_refresh_means_logged_out() {
        assert_eq!(refresh_outcome(200), RefreshOutcome::Renewed);
        assert_eq!(refresh_outcome(401), RefreshOutcome::SignedOut);
        assert_eq!(
            refresh_outcome(400),
            RefreshOutcome::SignedOut,
            "no refresh cookie at all"
        );
        for status in [0, 403, 429, 500, 502, 503] {
            assert_eq!(refresh_outcome(status), RefreshOutcome::Unavailable, "{status}");
        }
    }

    #[test]
    fn an_expired_token_is_refreshed_once_then_the_person_signs_in() {
        assert_eq!(auth_step(200, false), AuthStep::Accept);
        assert_eq!(auth_step(401, false), AuthStep::RefreshAndRetry);
        assert_eq!(auth_step(401, true), AuthStep::SignIn);
        assert_eq!(
            auth_step(403, false),
            AuthStep::Accept,
            "forbidden is an answer, not an expired token"
        );
        assert_eq!(auth_step(422, true), AuthStep::Accept);
    }
}
