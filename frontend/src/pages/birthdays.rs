//! Birthdays: in upcoming order with the date and the age they turn; adding and editing, including the greeting's
//! templates with a live preview, reminders and the 29 February rule.

use gloo_net::http::Method;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};

use crate::api::session;
use crate::fmt;
use crate::logic::PREVIEW_DEBOUNCE_MS;
use crate::logic::{check_birthday, check_email, check_required, parse_day_list};
use crate::pages::{items, text};
use crate::ui::{Field, FormErrors, FormSummary, checked_of, failure, loaded, non_empty, value_of};

#[component]
pub fn Birthdays() -> impl IntoView {
    let session = session();
    let list = LocalResource::new(move || session.get("/api/v1/birthdays/upcoming?days=366&limit=200"));
    let editing = RwSignal::new(None::<i64>);
    view! {
        <h1>"Birthdays"</h1>
        <section class="card">
            <h2>"Add a birthday"</h2>
            <BirthdayForm birthday=None on_saved=Callback::new(move |()| list.refetch())/>
        </section>
        <section class="card">
            <h2>"Coming up"</h2>
            {loaded(list, move |page| {
                let entries = items(&page);
                if entries.is_empty() {
                    return view! { <p class="subtle">"No birthdays yet."</p> }.into_any();
                }
                view! { <ul class="plain birthdays">{entries.into_iter().map(|b| {
                    let id = b["id"].as_i64().unwrap_or_default();
                    let next = text(&b, "next_occurrence");
                    let turns = b["turns"].as_i64().map(|age| format!("turns {age}")).unwrap_or_else(|| "age unknown".to_owned());
                    let name = text(&b, "name");
                    let name_for_error = name.clone();
                    let edit = b.clone();
                    let failed = RwSignal::new(None::<String>);
                    let delete = move |_| {
                        let name_for_error = name_for_error.clone();
                        spawn_local(async move {
                        match session.call(Method::DELETE, &format!("/api/v1/birthdays/{id}"), None).await {
                            Ok(_) => list.refetch(),
                            Err(e) => failed.set(Some(format!("Could not delete {name_for_error}: {}", e.detail))),
                        }
                    })};
                    view! {
                        <li class="birthday-item" data-birthday-id=id>
                            <div class="row">
                                <strong>{name.clone()}</strong>
                                <span>{fmt::day(&next)}</span>
                                <span class="subtle">{turns}</span>
                                {b["send_greeting"].as_bool().unwrap_or(false).then(|| view! { <span class="badge">"greeting"</span> })}
                                <span class="actions">
                                    <button type="button" class="link" on:click=move |_| editing.set(Some(id))>"Edit"</button>
                                    <button type="button" class="link danger" aria-label=format!("Delete {name}") on:click=delete>"Delete"</button>
                                </span>
                            </div>
                            {failure(failed)}
                            {move || (editing.get() == Some(id)).then(|| view! {
                                <BirthdayForm birthday=Some(edit.clone()) on_saved=Callback::new(move |()| { editing.set(None); list.refetch(); })/>
                            })}
                        </li>
                    }
                }).collect_view()}</ul> }.into_any()
            })}
        </section>
    }
}

#[component]
fn BirthdayForm(birthday: Option<Value>, on_saved: Callback<()>) -> impl IntoView {
    let session = session();
    let existing = birthday.as_ref().and_then(|b| b["id"].as_i64());
    let get = |name: &str| birthday.as_ref().map(|b| text(b, name)).unwrap_or_default();
    let number = |name: &str| {
        birthday
            .as_ref()
            .and_then(|b| b[name].as_i64())
            .map(|n| n.to_string())
            .unwrap_or_default()
    };
    let name = RwSignal::new(get("name"));
    let month = RwSignal::new(number("month"));
    let day = RwSignal::new(number("day"));
    let year = RwSignal::new(number("year"));
    let email = RwSignal::new(get("email"));
    let zone = RwSignal::new(get("timezone"));
    let send_greeting = RwSignal::new(
        birthday
            .as_ref()
            .and_then(|b| b["send_greeting"].as_bool())
            .unwrap_or(false),
    );
    let subject = RwSignal::new(get("subject"));
    let message = RwSignal::new(get("message"));
    let reminders = RwSignal::new(
        birthday
            .as_ref()
            .and_then(|b| {
                b["remind_me_days_before"].as_array().map(|d| {
                    d.iter()
                        .filter_map(Value::as_i64)
                        .map(|n| n.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
            })
            .unwrap_or_else(|| "0".to_owned()),
    );
    let leap_rule = RwSignal::new(
        birthday
            .as_ref()
            .map_or_else(|| "feb28".to_owned(), |b| text(b, "leap_day_rule")),
    );
    let notes = RwSignal::new(get("notes"));
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    // The preview follows the templates as they are typed, once typing pauses (for a saved birthday: the server
    // renders it; a new one has nothing to render yet).
    let draft = RwSignal::new((subject.get_untracked(), message.get_untracked()));
    let timer = StoredValue::new_local(None::<TimeoutHandle>);
    Effect::new(move |first: Option<()>| {
        let typed = (subject.get(), message.get());
        if first.is_none() {
            return;
        }
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        let handle = set_timeout_with_handle(
            move || draft.set(typed),
            std::time::Duration::from_millis(u64::from(PREVIEW_DEBOUNCE_MS)),
        );
        timer.set_value(handle.ok());
    });
    on_cleanup(move || {
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
    });
    let preview = LocalResource::new(move || {
        let (subject, message) = draft.get();
        let body = json!({"subject": non_empty(&subject), "message": non_empty(&message)});
        async move {
            match existing {
                Some(id) => session
                    .call(Method::POST, &format!("/api/v1/birthdays/{id}/preview"), Some(&body))
                    .await
                    .map(Some),
                None => Ok(None),
            }
        }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        let month_number = month.get().trim().parse::<u32>().unwrap_or(0);
        let day_number = day.get().trim().parse::<u32>().unwrap_or(0);
        let year_number = non_empty(&year.get()).map(|y| y.parse::<i32>().unwrap_or(0));
        let mut ok = errors.check("name", check_required(&name.get(), 100));
        if let Err((field, message)) = check_birthday(month_number, day_number, year_number) {
            ok &= errors.check(field, Err(message));
        }
        if let Some(address) = non_empty(&email.get()) {
            ok &= errors.check("email", check_email(&address));
        } else if send_greeting.get() {
            ok &= errors.check("email", Err("is needed to send a greeting".to_owned()));
        }
        let days = match parse_day_list(&reminders.get()) {
            Ok(days) => days,
            Err(message) => {
                ok &= errors.check("remind_me_days_before", Err(message));
                Vec::new()
            }
        };
        if !ok {
            return;
        }
        let mut body = json!({
            "name": name.get().trim(), "month": month_number, "day": day_number, "year": year_number,
            "email": non_empty(&email.get()), "timezone": non_empty(&zone.get()), "send_greeting": send_greeting.get(),
            "remind_me_days_before": days, "leap_day_rule": leap_rule.get(), "notes": notes.get(),
        });
        if let Some(s) = non_empty(&subject.get()) {
            body["subject"] = json!(s);
        }
        if let Some(m) = non_empty(&message.get()) {
            body["message"] = json!(m);
        }
        busy.set(true);
        spawn_local(async move {
            let result = match existing {
                Some(id) => {
                    session
                        .call(Method::PATCH, &format!("/api/v1/birthdays/{id}"), Some(&body))
                        .await
                }
                None => session.call(Method::POST, "/api/v1/birthdays", Some(&body)).await,
            };
            busy.set(false);
            match result {
                Ok(_) => {
                    if existing.is_none() {
                        for signal in [name, month, day, year, email, subject, message, notes] {
                            signal.set(String::new());
                        }
                    }
                    on_saved.run(());
                }
                Err(error) => errors.show(&error),
            }
        });
    };
    let zones = fmt::time_zones();
    let list_id = format!("zones-{}", existing.unwrap_or(0));
    let list_id_for_input = list_id.clone();
    view! {
        <form class="birthday-form" on:submit=submit novalidate>
            <Field label="Name" field="name" errors=errors>
                <input name="name" required prop:value=move || name.get() on:input=move |e| name.set(value_of(&e))/>
            </Field>
            <div class="inline">
                <Field label="Month" field="month" errors=errors>
                    <input name="month" type="number" min="1" max="12" required prop:value=move || month.get() on:input=move |e| month.set(value_of(&e))/>
                </Field>
                <Field label="Day" field="day" errors=errors>
                    <input name="day" type="number" min="1" max="31" required prop:value=move || day.get() on:input=move |e| day.set(value_of(&e))/>
                </Field>
                <Field label="Year (optional)" field="year" errors=errors>
                    <input name="year" type="number" min="1900" max="2199" prop:value=move || year.get() on:input=move |e| year.set(value_of(&e))/>
                </Field>
            </div>
            <Show when=move || month.get().trim() == "2" && day.get().trim() == "29">
                <Field label="In common years, celebrate on" field="leap_day_rule" errors=errors>
                    <select name="leap_day_rule" prop:value=move || leap_rule.get() on:change=move |e| leap_rule.set(value_of(&e))>
                        <option value="feb28">"28 February"</option>
                        <option value="mar1">"1 March"</option>
                    </select>
                </Field>
            </Show>
            <div class="inline">
                <Field label="Their email" field="email" errors=errors>
                    <input name="email" type="email" prop:value=move || email.get() on:input=move |e| email.set(value_of(&e))/>
                </Field>
                <Field label="Their time zone" field="timezone" errors=errors>
                    <input name="timezone" list=list_id_for_input placeholder="yours" prop:value=move || zone.get() on:input=move |e| zone.set(value_of(&e))/>
                </Field>
                <datalist id=list_id.clone()>{zones.into_iter().map(|z| view! { <option value=z></option> }).collect_view()}</datalist>
            </div>
            <label class="check-label"><input type="checkbox" name="send_greeting" prop:checked=move || send_greeting.get() on:change=move |e| send_greeting.set(checked_of(&e))/>" Email them a greeting at 09:00 on the day"</label>
            <Field label="Greeting subject ({name}, {age}, {sender})" field="subject" errors=errors>
                <input name="subject" prop:value=move || subject.get() on:input=move |e| subject.set(value_of(&e))/>
            </Field>
            <Field label="Greeting message" field="message" errors=errors>
                <textarea name="message" rows="3" prop:value=move || message.get() on:input=move |e| message.set(value_of(&e))></textarea>
            </Field>
            <Field label="Remind me this many days before (comma separated)" field="remind_me_days_before" errors=errors>
                <input name="remind_me_days_before" prop:value=move || reminders.get() on:input=move |e| reminders.set(value_of(&e))/>
            </Field>
            <Field label="Notes" field="notes" errors=errors>
                <textarea name="notes" rows="2" prop:value=move || notes.get() on:input=move |e| notes.set(value_of(&e))></textarea>
            </Field>
            <section class="preview" aria-live="polite" aria-label="Greeting preview">
                    <h3>"Preview"</h3>
                    {move || match preview.get() {
                        None => view! { <p class="loading">"Rendering…"</p> }.into_any(),
                        Some(Ok(Some(p))) => view! {
                            <p><strong>{text(&p["greeting"], "subject")}</strong></p>
                            <pre class="preview-text">{text(&p["greeting"], "text")}</pre>
                        }.into_any(),
                        Some(Ok(None)) => view! { <p class="subtle">"Save to preview: the greeting is rendered from the saved birthday."</p> }.into_any(),
                        Some(Err(e)) => view! {
                            <div class="field-error" role="alert">
                                <p>{format!("The preview could not be rendered: {}", e.detail)}</p>
                                <button type="button" class="link" on:click=move |_| preview.refetch()>"Try again"</button>
                            </div>
                        }.into_any(),
                    }}
            </section>
            <FormSummary errors=errors/>
            <button type="submit" disabled=move || busy.get()>{if existing.is_some() { "Save birthday" } else { "Add birthday" }}</button>
        </form>
    }
}
