//! Today: overdue and today's tasks, the next birthdays and releases, and a month calendar of the agenda.

use leptos::prelude::*;
use serde_json::Value;

use crate::api::session;
use crate::fmt;
use crate::logic::{Date, countdown, month_grid};
use crate::pages::{items, text};
use crate::ui::loaded;

#[component]
pub fn Today() -> impl IntoView {
    let session = session();
    let zone = session.user_field("timezone");
    let today = fmt::today_in(&zone);
    let overdue = LocalResource::new(move || session.get("/api/v1/tasks?overdue=true&status=open&limit=50"));
    let due_today = LocalResource::new(move || {
        session.get(format!(
            "/api/v1/tasks?status=open&due_after={today}&due_before={today}&limit=50"
        ))
    });
    let birthdays = LocalResource::new(move || session.get("/api/v1/birthdays/upcoming?days=366&limit=5"));
    let alerts = LocalResource::new(move || session.get("/api/v1/movie-alerts?limit=200"));
    let name = session.user_field("display_name");
    view! {
        <h1>"Today"</h1>
        <p class="subtle">{format!("Hello, {name}. It is {} in {zone}.", fmt::day(&today.to_string()))}</p>
        <div class="grid">
            <section class="card" aria-labelledby="overdue-heading">
                <h2 id="overdue-heading">"Overdue"</h2>
                {loaded(overdue, |page| task_list(&page, "Nothing overdue."))}
            </section>
            <section class="card" aria-labelledby="today-heading">
                <h2 id="today-heading">"Due today"</h2>
                {loaded(due_today, |page| task_list(&page, "Nothing due today."))}
            </section>
            <section class="card" aria-labelledby="birthdays-heading">
                <h2 id="birthdays-heading">"Next birthdays"</h2>
                {loaded(birthdays, move |page| {
                    let list = items(&page);
                    if list.is_empty() {
                        return view! { <p class="subtle">"No birthdays yet. " <a href="/birthdays">"Add one"</a></p> }.into_any();
                    }
                    view! { <ul class="plain">{list.into_iter().map(|b| {
                        let next = text(&b, "next_occurrence");
                        let turns = b["turns"].as_i64().map(|age| format!(", turns {age}")).unwrap_or_default();
                        let when = Date::parse(&next).map(|d| countdown(today, d)).unwrap_or_default();
                        view! { <li class="birthday-item"><strong>{text(&b, "name")}</strong>{format!(" — {}{turns} ({when})", fmt::day(&next))}</li> }
                    }).collect_view()}</ul> }.into_any()
                })}
            </section>
            <section class="card" aria-labelledby="releases-heading">
                <h2 id="releases-heading">"Next releases"</h2>
                {loaded(alerts, move |page| {
                    let mut upcoming: Vec<(String, String, String)> = items(&page).iter().filter_map(|a| {
                        let next = &a["next_release"];
                        Some((next["date"].as_str()?.to_owned(), text(a, "title"), next["type"].as_str()?.to_owned()))
                    }).collect();
                    upcoming.sort();
                    upcoming.truncate(5);
                    if upcoming.is_empty() {
                        return view! { <p class="subtle">"No upcoming releases. " <a href="/movies">"Track a movie"</a></p> }.into_any();
                    }
                    view! { <ul class="plain">{upcoming.into_iter().map(|(date, title, kind)| {
                        let when = Date::parse(&date).map(|d| countdown(today, d)).unwrap_or_default();
                        view! { <li><strong>{title}</strong>{format!(" — {kind}, {} ({when})", fmt::day(&date))}</li> }
                    }).collect_view()}</ul> }.into_any()
                })}
            </section>
        </div>
        <MonthCalendar today=today/>
    }
}

fn task_list(page: &Value, empty: &'static str) -> AnyView {
    let list = items(page);
    if list.is_empty() {
        return view! { <p class="subtle">{empty}</p> }.into_any();
    }
    view! {
        <ul class="plain">
            {list.into_iter().map(|t| {
                let due = fmt::due(&text(&t, "due_date"), &text(&t, "due_time"));
                view! { <li class="task-item"><span class=format!("priority {}", text(&t, "priority"))>{text(&t, "priority")}</span>" "
                    {text(&t, "title")}<span class="subtle">{format!(" {due}")}</span></li> }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// A month grid of the agenda, Monday first, with buttons for the months before and after.
#[component]
fn MonthCalendar(today: Date) -> impl IntoView {
    let session = session();
    let month = RwSignal::new(today.first_of_month());
    // The month travels with its answer, so a grid is never drawn under another month's heading.
    let agenda = LocalResource::new(move || {
        let first = month.get();
        async move {
            let answer = session
                .get(format!("/api/v1/agenda?from={first}&to={}", first.last_of_month()))
                .await;
            (first, answer)
        }
    });
    let weekdays = fmt::weekday_names();
    view! {
        <section class="card calendar" aria-labelledby="calendar-heading">
            <div class="calendar-head">
                <button type="button" aria-label="Previous month" on:click=move |_| month.update(|m| *m = m.add_months(-1))>"‹"</button>
                <h2 id="calendar-heading" aria-live="polite">{move || fmt::month_heading(month.get())}</h2>
                <button type="button" aria-label="Next month" on:click=move |_| month.update(|m| *m = m.add_months(1))>"›"</button>
            </div>
            {move || match agenda.get() {
                Some((shown, Ok(agenda))) if shown == month.get() => calendar_grid(&agenda, shown, today, &weekdays).into_any(),
                Some((shown, Err(error))) if shown == month.get() => view! {
                    <div class="error" role="alert">
                        <p>{error.detail}</p>
                        <button type="button" on:click=move |_| agenda.refetch()>"Try again"</button>
                    </div>
                }.into_any(),
                _ => view! { <p class="loading" role="status" aria-live="polite">"Loading…"</p> }.into_any(),
            }}
        </section>
    }
}

/// The weeks of one month with the agenda's entries on their days.
fn calendar_grid(agenda: &Value, month: Date, today: Date, weekdays: &[String]) -> impl IntoView + use<> {
    let entries = items(agenda);
    let weeks = month_grid(month);
    view! {
        <table class="month">
            <thead><tr>{weekdays.iter().map(|d| view! { <th scope="col">{d.clone()}</th> }).collect_view()}</tr></thead>
            <tbody>{weeks.into_iter().map(|week| view! {
                <tr>{week.into_iter().map(|slot| match slot {
                    None => view! { <td class="empty"></td> }.into_any(),
                    Some(date) => {
                        let key = date.to_string();
                        let day_entries: Vec<Value> = entries.iter().filter(|e| e["date"] == key.as_str()).cloned().collect();
                        view! {
                            <td class:today=date == today data-date=key.clone()>
                                <span class="day-number">{date.day}</span>
                                <ul class="entries">{day_entries.into_iter().map(|e| {
                                    let kind = text(&e, "kind");
                                    let mut title = text(&e, "title");
                                    if let Some(age) = e["age"].as_i64() { title = format!("{title} ({age})"); }
                                    let done = if e["completed"].as_bool() == Some(true) { " completed" } else { "" };
                                    let tooltip = title.clone();
                                    view! { <li class=format!("entry {kind}{done}") title=tooltip>{title}</li> }
                                }).collect_view()}</ul>
                            </td>
                        }.into_any()
                    }
                }).collect_view()}</tr>
            }).collect_view()}</tbody>
        </table>
    }
}
