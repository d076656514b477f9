//! The sweep: finds every greeting, reminder and release alert that has come due, in each person's own time zone,
//! and records it in the outbox under a key unique to its subject and occurrence.
//!
//! A delivery is due at a local time (09:00 for birthdays and releases). The sweep records what fell due between
//! its look-back horizon and now: within the grace window it is sent late, before it it is logged as skipped. So a
//! sweep after downtime catches up, and a sweep repeated, or run in several processes, records nothing twice.

use chrono::{DateTime, Datelike as _, Duration, NaiveDate, NaiveTime, TimeZone as _, Utc};
use chrono_tz::Tz;

use crate::domain::template::{Template, Values};
use crate::email::templates;
use crate::entity::user;
use crate::repo;
use crate::repo::notifications::{NewNotification, PENDING, SKIPPED};
use crate::routes::birthdays::{birth_date, birthday_timezone, leap_rule, reminder_days};
use crate::routes::movies::dated_releases;
use crate::routes::users::user_timezone;
use crate::state::AppState;

/// How far behind the grace window the sweep still looks, to log what downtime made it miss.
const SKIP_LOG_DAYS: i64 = 7;
/// The local time birthday and release messages go out.
const SEND_AT: NaiveTime = NaiveTime::from_hms_opt(9, 0, 0).expect("09:00 is a time");

/// What one sweep recorded.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub recorded: usize,
    pub skipped: usize,
}

/// The moment a local wall-clock time happens; in a gap, the first half hour that exists after it.
pub fn local_moment(date: NaiveDate, time: NaiveTime, zone: Tz) -> DateTime<Utc> {
    let local = date.and_time(time);
    // DST gaps are 30 to 120 minutes, but a zone that moved across the date line skipped a whole day (Pacific/Apia on
    // 30 December 2011): step forward half an hour at a time, for up to a day and a bit, to the first time that exists.
    (0..=52)
        .find_map(|step| {
            zone.from_local_datetime(&(local + Duration::minutes(30 * step)))
                .earliest()
        })
        .map_or_else(|| Utc.from_utc_datetime(&local), |at| at.with_timezone(&Utc))
}

/// Whether a delivery due at `due` is recorded now, and how: pending to send, or skipped as too late.
fn classify(due: DateTime<Utc>, now: DateTime<Utc>, grace: Duration) -> Option<&'static str> {
    if due > now || due <= now - grace - Duration::days(SKIP_LOG_DAYS) {
        None
    } else if due > now - grace {
        Some(PENDING)
    } else {
        Some(SKIPPED)
    }
}

/// Runs one sweep at the state's clock.
///
/// # Errors
/// Database failures.
pub async fn sweep(state: &AppState) -> anyhow::Result<SweepReport> {
    let now = state.clock.now();
    let grace = Duration::from_std(state.config.delivery_grace).unwrap_or(Duration::hours(24));
    let mut report = SweepReport::default();
    // One row that cannot be recorded is logged and the others still are; the next sweep tries it again.
    let mut record = async |new: NewNotification| -> anyhow::Result<()> {
        let skipped = new.status == SKIPPED;
        match repo::notifications::record(&state.db, new, now).await {
            Ok(true) => {
                report.recorded += 1;
                report.skipped += usize::from(skipped);
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error.cause = %e, "recording a delivery failed"),
        }
        Ok(())
    };
    for new in birthday_greetings(state, now, grace).await? {
        record(new).await?;
    }
    for new in birthday_reminders(state, now, grace).await? {
        record(new).await?;
    }
    for new in task_reminders(state, now, grace).await? {
        record(new).await?;
    }
    for new in release_alerts(state, now, grace).await? {
        record(new).await?;
    }
    for new in digests(state, now, grace).await? {
        record(new).await?;
    }
    if report.recorded > 0 {
        tracing::info!(
            sweep.recorded = report.recorded,
            sweep.skipped = report.skipped,
            "sweep recorded deliveries"
        );
    }
    Ok(report)
}

/// The (month, day) pairs of every calendar date somewhere on Earth between `from` and `to`, with 29 February
/// added when a common year's 28 February or 1 March is among them (leap-day birthdays are celebrated then).
fn calendar_days(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(i16, i16)> {
    let mut days = Vec::new();
    let mut date = (from - Duration::hours(12)).date_naive();
    let last = (to + Duration::hours(14)).date_naive();
    while date <= last {
        let pair = (small(date.month()), small(date.day()));
        if !days.contains(&pair) {
            days.push(pair);
        }
        let leap = NaiveDate::from_ymd_opt(date.year(), 2, 29).is_some();
        if !leap
            && ((date.month(), date.day()) == (2, 28) || (date.month(), date.day()) == (3, 1))
            && !days.contains(&(2, 29))
        {
            days.push((2, 29));
        }
        date = date.succ_opt().unwrap_or(last);
        if date == NaiveDate::MAX {
            break;
        }
    }
    days
}

fn small(value: u32) -> i16 {
    i16::try_from(value).unwrap_or(0)
}

fn display_date(date: NaiveDate) -> String {
    date.format("%A, %-d %B %Y").to_string()
}

/// Greetings to the people themselves, at 09:00 in their own time zone.
async fn birthday_greetings(
    state: &AppState,
    now: DateTime<Utc>,
    grace: Duration,
) -> anyhow::Result<Vec<NewNotification>> {
    let horizon = now - grace - Duration::days(SKIP_LOG_DAYS);
    let candidates = repo::birthdays::greeting_candidates(&state.db, &calendar_days(horizon, now)).await?;
    let settings_url = state.config.notification_settings_url();
    let mut out = Vec::new();
    for (birthday, owner) in candidates {
        let Some(to) = birthday.email.clone() else { continue };
        let zone = birthday_timezone(&birthday, &owner);
        let date = birth_date(&birthday);
        // Three years, because 09:00 on 1 January east of UTC+9 comes while the UTC year is still the old one.
        for year in [now.year() - 1, now.year(), now.year() + 1] {
            let occurrence = date.in_year(year, leap_rule(&birthday));
            if date.year.is_some_and(|born| year <= born) {
                continue;
            }
            let due = local_moment(occurrence, SEND_AT, zone);
            let Some(status) = classify(due, now, grace) else {
                continue;
            };
            let (Ok(subject), Ok(message)) = (
                Template::parse(&birthday.subject_template),
                Template::parse(&birthday.message_template),
            ) else {
                continue;
            };
            let values = Values {
                name: &birthday.name,
                age: date.age_at(occurrence),
                sender: &owner.display_name,
            };
            let rendered = templates::birthday_greeting(&subject, &message, &values, &settings_url);
            out.push(NewNotification {
                user_id: owner.id,
                kind: repo::notifications::GREETING,
                // Keyed by year, not date: changing the 29 February rule must not greet twice in one year.
                dedupe_key: format!("birthday_greeting:{}:{year}", birthday.id),
                subject_id: birthday.id,
                due_at: due,
                recipient: to.clone(),
                from_name: Some(owner.display_name.clone()),
                reply_to: Some(owner.email.clone()),
                subject: rendered.subject,
                body_text: rendered.text,
                body_html: rendered.html,
                status,
                note: None,
            });
        }
    }
    Ok(out)
}

/// Reminders to the owner, at 09:00 in the owner's time zone, for each of `remind_me_days_before`.
async fn birthday_reminders(
    state: &AppState,
    now: DateTime<Utc>,
    grace: Duration,
) -> anyhow::Result<Vec<NewNotification>> {
    let settings_url = state.config.notification_settings_url();
    let horizon = now - grace - Duration::days(SKIP_LOG_DAYS);
    let mut out = Vec::new();
    for (birthday, owner) in repo::birthdays::reminder_candidates(&state.db, &calendar_days(horizon, now)).await? {
        if !owner.notify_birthday_reminders {
            continue;
        }
        let zone = user_timezone(&owner);
        let date = birth_date(&birthday);
        for days_before in reminder_days(&birthday) {
            for year in [now.year() - 1, now.year(), now.year() + 1] {
                if date.year.is_some_and(|born| year <= born) {
                    continue;
                }
                let occurrence = date.in_year(year, leap_rule(&birthday));
                let remind_on = occurrence - Duration::days(i64::from(days_before));
                let due = local_moment(remind_on, SEND_AT, zone);
                let Some(status) = classify(due, now, grace) else {
                    continue;
                };
                let greeting_to = birthday.email.as_deref().filter(|_| birthday.send_greeting);
                let rendered = templates::birthday_reminder(
                    &birthday.name,
                    occurrence,
                    i64::from(days_before),
                    date.age_at(occurrence),
                    greeting_to,
                    &settings_url,
                );
                out.push(owner_message(
                    &owner,
                    "birthday_reminder",
                    format!("birthday_reminder:{}:{year}:{days_before}", birthday.id),
                    birthday.id,
                    due,
                    rendered,
                    status,
                ));
            }
        }
    }
    Ok(out)
}

/// Reminders `remind_before_minutes` before a task's due date and time (09:00 when it has no time).
async fn task_reminders(state: &AppState, now: DateTime<Utc>, grace: Duration) -> anyhow::Result<Vec<NewNotification>> {
    let settings_url = state.config.notification_settings_url();
    let horizon = now - grace - Duration::days(SKIP_LOG_DAYS);
    let from = (horizon - Duration::days(1)).date_naive();
    let to = (now + Duration::days(30)).date_naive();
    let mut out = Vec::new();
    for (task, owner) in repo::tasks::reminder_candidates(&state.db, from, to).await? {
        if !owner.notify_task_reminders {
            continue;
        }
        let (Some(due_date), Some(minutes)) = (task.due_date, task.remind_before_minutes) else {
            continue;
        };
        let time = task
            .due_time
            .as_deref()
            .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
            .unwrap_or(SEND_AT);
        let due_moment = local_moment(due_date, time, user_timezone(&owner));
        let remind_at = due_moment - Duration::minutes(i64::from(minutes));
        let Some(status) = classify(remind_at, now, grace) else {
            continue;
        };
        let when = match &task.due_time {
            Some(t) => format!("on {} at {t}", display_date(due_date)),
            None => format!("on {}", display_date(due_date)),
        };
        let rendered = templates::task_reminder(&task.title, &when, &task.description, &settings_url);
        let key = format!(
            "task_reminder:{}:{}:{}:{minutes}",
            task.id,
            due_date,
            task.due_time.as_deref().unwrap_or("-")
        );
        out.push(owner_message(
            &owner,
            "task_reminder",
            key,
            task.id,
            remind_at,
            rendered,
            status,
        ));
    }
    Ok(out)
}

/// Alerts on the release day of each tracked type in the alert's region, and `notify_days_before` days ahead.
async fn release_alerts(state: &AppState, now: DateTime<Utc>, grace: Duration) -> anyhow::Result<Vec<NewNotification>> {
    let settings_url = state.config.notification_settings_url();
    let horizon = now - grace - Duration::days(SKIP_LOG_DAYS);
    let from = (horizon - Duration::days(1)).date_naive();
    let to = (now + Duration::days(62)).date_naive();
    let mut out = Vec::new();
    for (alert, owner) in repo::movie_alerts::release_candidates(&state.db, from, to).await? {
        if !owner.notify_release_alerts {
            continue;
        }
        let zone = user_timezone(&owner);
        for (kind, date) in dated_releases(&alert) {
            let mut moments = vec![(0, date)];
            if let Some(days) = alert.notify_days_before.filter(|d| *d > 0) {
                moments.push((days, date - Duration::days(i64::from(days))));
            }
            for (days_before, on) in moments {
                let due = local_moment(on, SEND_AT, zone);
                let Some(status) = classify(due, now, grace) else {
                    continue;
                };
                let when = if days_before == 0 {
                    "is out today".to_owned()
                } else {
                    format!("comes out in {days_before} days, on {}", display_date(date))
                };
                let rendered =
                    templates::release_alert(&alert.title, &when, kind.as_str(), &alert.region, &settings_url);
                let key = format!("release:{}:{}:{date}:{days_before}", alert.id, kind.as_str());
                out.push(owner_message(
                    &owner,
                    "release_alert",
                    key,
                    alert.id,
                    due,
                    rendered,
                    status,
                ));
            }
        }
    }
    Ok(out)
}

/// The daily digest at the user's chosen time: today's and overdue tasks, and the coming week's birthdays and
/// releases. A day with nothing to report sends nothing.
///
/// Yesterday's digest, missed while the service was down, follows the grace window like every other message: sent
/// late within it, logged as skipped beyond it, and also skipped when today's is due as well (only the newest plan
/// goes out). It is only considered when the account has not changed since it was due, so turning the digest on
/// does not log a digest the user never had.
async fn digests(state: &AppState, now: DateTime<Utc>, grace: Duration) -> anyhow::Result<Vec<NewNotification>> {
    let mut out = Vec::new();
    for owner in repo::users::digest_candidates(&state.db).await? {
        let Some(time) = owner
            .digest_time
            .as_deref()
            .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
        else {
            continue;
        };
        let zone = user_timezone(&owner);
        let today = now.with_timezone(&zone).date_naive();
        let today_due = local_moment(today, time, zone);
        let today_status = classify(today_due, now, grace);
        let yesterday = today - Duration::days(1);
        let yesterday_due = local_moment(yesterday, time, zone);
        if yesterday_due > owner.updated_at
            && let Some(status) = classify(yesterday_due, now, grace)
        {
            let status = if today_status.is_some() { SKIPPED } else { status };
            out.extend(digest(state, &owner, yesterday, yesterday_due, status).await?);
        }
        if let Some(status) = today_status {
            out.extend(digest(state, &owner, today, today_due, status).await?);
        }
    }
    Ok(out)
}

/// The digest of one day for one user, unless it is recorded already or there is nothing to report.
async fn digest(
    state: &AppState,
    owner: &user::Model,
    day: NaiveDate,
    due: DateTime<Utc>,
    status: &'static str,
) -> anyhow::Result<Option<NewNotification>> {
    let key = format!("digest:{}:{day}", owner.id);
    // Building a digest reads the user's plan: skip that once the day's is recorded.
    if repo::notifications::exists(&state.db, &key).await? {
        return Ok(None);
    }
    let everything_before = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(day);
    let open_tasks: Vec<_> = repo::tasks::due_between(&state.db, owner.id, everything_before, day)
        .await?
        .into_iter()
        .filter(|t| !t.completed)
        .collect();
    let birthdays = repo::birthdays::all_for_user(&state.db, owner.id).await?;
    let alerts = repo::movie_alerts::all_for_user(&state.db, owner.id).await?;
    let coming = crate::routes::agenda::agenda_items(Vec::new(), &birthdays, &alerts, day, day + Duration::days(7));
    if open_tasks.is_empty() && coming.is_empty() {
        return Ok(None);
    }
    let mut lines = Vec::new();
    for t in &open_tasks {
        let overdue = if t.due_date.is_some_and(|d| d < day) {
            " (overdue)"
        } else {
            ""
        };
        lines.push(format!("Task: {}{overdue}", t.title));
    }
    for item in &coming {
        let age = item.age.map(|a| format!(", turning {a}")).unwrap_or_default();
        lines.push(format!("{}: {}{age}", item.date.format("%a %-d %b"), item.title));
    }
    let rendered = templates::digest(&display_date(day), &lines, &state.config.notification_settings_url());
    Ok(Some(owner_message(
        owner, "digest", key, owner.id, due, rendered, status,
    )))
}

fn owner_message(
    owner: &user::Model,
    kind: &'static str,
    dedupe_key: String,
    subject_id: i64,
    due_at: DateTime<Utc>,
    rendered: templates::RenderedMessage,
    status: &'static str,
) -> NewNotification {
    NewNotification {
        user_id: owner.id,
        kind,
        dedupe_key,
        subject_id,
        due_at,
        recipient: owner.email.clone(),
        from_name: None,
        reply_to: None,
        subject: rendered.subject,
        body_text: rendered.text,
        body_html: rendered.html,
        status,
        note: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn nine_oclock_happens_at_the_right_moment_in_far_apart_zones_and_on_dst_days() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(
            local_moment(day, SEND_AT, chrono_tz::Pacific::Kiritimati),
            utc("2026-12-04T19:00:00Z")
        );
        assert_eq!(
            local_moment(day, SEND_AT, chrono_tz::Pacific::Pago_Pago),
            utc("2026-12-05T20:00:00Z")
        );
        let dst_start = NaiveDate::from_ymd_opt(2027, 3, 14).unwrap();
        assert_eq!(
            local_moment(dst_start, SEND_AT, chrono_tz::America::New_York),
            utc("2027-03-14T13:00:00Z")
        );
        let in_the_gap = NaiveTime::from_hms_opt(2, 30, 0).unwrap();
        // 02:30 does not exist that night: the clocks jump from 02:00 to 03:00 EDT, 07:00 UTC.
        assert_eq!(
            local_moment(dst_start, in_the_gap, chrono_tz::America::New_York),
            utc("2027-03-14T07:00:00Z")
        );
    }

    #[test]
    fn late_deliveries_are_sent_within_the_grace_window_and_skipped_after_it() {
        let now = utc("2026-12-05T12:00:00Z");
        let grace = Duration::hours(24);
        assert_eq!(classify(now + Duration::seconds(1), now, grace), None, "not yet due");
        assert_eq!(classify(now, now, grace), Some(PENDING));
        assert_eq!(classify(now - Duration::hours(23), now, grace), Some(PENDING));
        assert_eq!(classify(now - Duration::hours(25), now, grace), Some(SKIPPED));
        assert_eq!(
            classify(now - Duration::days(9), now, grace),
            None,
            "beyond the log horizon"
        );
    }

    #[test]
    fn the_sweep_covers_every_zone_and_leap_day_birthdays_in_common_years() {
        // At noon UTC it is 28 February from UTC-12 to 1 March 02:00 in UTC+14.
        let days = calendar_days(utc("2027-02-28T12:00:00Z"), utc("2027-02-28T12:00:00Z"));
        assert!(days.contains(&(2, 28)) && days.contains(&(3, 1)), "{days:?}");
        assert!(
            days.contains(&(2, 29)),
            "leap-day birthdays are celebrated on one of those in a common year"
        );
        assert!(!days.contains(&(2, 27)) && !days.contains(&(3, 2)), "{days:?}");
        let leap = calendar_days(utc("2028-02-28T12:00:00Z"), utc("2028-02-28T13:00:00Z"));
        assert!(leap.contains(&(2, 29)), "in a leap year 29 February is itself a date");
    }
}

/// Properties of wall-clock times in every IANA zone, 1970 to 2100.
#[cfg(test)]
mod properties {
    use chrono::Timelike as _;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_time_on_a_day_the_zone_skipped_falls_at_the_start_of_the_next_day() {
        // Samoa moved across the date line: in Apia, 30 December 2011 never happened.
        let date = NaiveDate::from_ymd_opt(2011, 12, 30).unwrap();
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        let at = local_moment(date, nine, chrono_tz::Pacific::Apia).with_timezone(&chrono_tz::Pacific::Apia);
        assert_eq!(at.naive_local().to_string(), "2011-12-31 00:00:00");
    }

    proptest! {
        #[test]
        fn a_local_time_is_kept_when_it_exists_and_otherwise_is_the_first_half_hour_after_it(
            zone in prop::sample::select(chrono_tz::TZ_VARIANTS.to_vec()),
            offset in 0_i64..130 * 365, minutes in 0_u32..24 * 60
        ) {
            let date = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + Duration::days(offset);
            let time = NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).unwrap();
            let asked = date.and_time(time);
            let local = local_moment(date, time, zone).with_timezone(&zone).naive_local();
            if zone.from_local_datetime(&asked).earliest().is_some() {
                prop_assert_eq!(local, asked);
            } else {
                prop_assert!(local > asked, "{} in {}: {} is before the time asked", asked, zone, local);
                prop_assert!(local - asked <= Duration::hours(25), "{} in {}: {}", asked, zone, local);
                prop_assert_eq!(local.minute() % 30, asked.minute() % 30);
            }
        }
    }
}
