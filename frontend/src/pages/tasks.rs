//! Tasks: filters and sorting, and creating, editing, completing and deleting tasks.

use gloo_net::http::Method;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};

use crate::api::{encode, session};
use crate::fmt;
use crate::logic::check_required;
use crate::pages::{items, text};
use crate::ui::{Field, FormErrors, FormSummary, checked_of, loaded, non_empty, value_of};

#[component]
pub fn Tasks() -> impl IntoView {
    let session = session();
    let status = RwSignal::new("open".to_owned());
    let overdue = RwSignal::new(false);
    let label = RwSignal::new(String::new());
    let priority = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let sort = RwSignal::new("due_date".to_owned());
    let tasks = LocalResource::new(move || {
        let mut query = format!("/api/v1/tasks?limit=200&status={}&sort={}", status.get(), sort.get());
        if overdue.get() {
            query.push_str("&overdue=true");
        }
        if let Some(label) = non_empty(&label.get()) {
            query.push_str(&format!("&label={}", encode(&label)));
        }
        if !priority.get().is_empty() {
            query.push_str(&format!("&priority={}", priority.get()));
        }
        if let Some(q) = non_empty(&search.get()) {
            query.push_str(&format!("&q={}", encode(&q)));
        }
        session.get(query)
    });
    let editing = RwSignal::new(None::<i64>);
    view! {
        <h1>"Tasks"</h1>
        <section class="card">
            <h2>"New task"</h2>
            <TaskForm task=None on_saved=Callback::new(move |()| tasks.refetch())/>
        </section>
        <section class="card">
            <h2>"Your tasks"</h2>
            <form class="filters" aria-label="Filter tasks" on:submit=|e: leptos::ev::SubmitEvent| e.prevent_default()>
                <label>"Show "
                    <select name="status" on:change=move |e| status.set(value_of(&e))>
                        <option value="open" selected>"Open"</option>
                        <option value="done">"Done"</option>
                        <option value="all">"All"</option>
                    </select>
                </label>
                <label><input type="checkbox" name="overdue" on:change=move |e| overdue.set(checked_of(&e))/>" Overdue only"</label>
                <label>"Label " <input name="label" size="10" on:change=move |e| label.set(value_of(&e))/></label>
                <label>"Priority "
                    <select name="priority" on:change=move |e| priority.set(value_of(&e))>
                        <option value="">"Any"</option>
                        <option value="low">"Low"</option>
                        <option value="normal">"Normal"</option>
                        <option value="high">"High"</option>
                        <option value="urgent">"Urgent"</option>
                    </select>
                </label>
                <label>"Search " <input type="search" name="q" on:change=move |e| search.set(value_of(&e))/></label>
                <label>"Sort by "
                    <select name="sort" on:change=move |e| sort.set(value_of(&e))>
                        <option value="due_date">"Due date"</option>
                        <option value="-priority">"Priority"</option>
                        <option value="-created_at">"Newest"</option>
                    </select>
                </label>
            </form>
            {loaded(tasks, move |page| {
                let list = items(&page);
                if list.is_empty() {
                    return view! { <p class="subtle">"No tasks match."</p> }.into_any();
                }
                view! { <ul class="plain tasks">{list.into_iter().map(|task| view! { <TaskRow task=task editing=editing on_change=Callback::new(move |()| tasks.refetch())/> }).collect_view()}</ul> }.into_any()
            })}
        </section>
    }
}

#[component]
fn TaskRow(task: Value, editing: RwSignal<Option<i64>>, on_change: Callback<()>) -> impl IntoView {
    let session = session();
    let id = task["id"].as_i64().unwrap_or_default();
    let completed = task["completed"].as_bool().unwrap_or(false);
    let error = RwSignal::new(None::<String>);
    let toggle = move |_| {
        spawn_local(async move {
            match session
                .call(
                    Method::PATCH,
                    &format!("/api/v1/tasks/{id}"),
                    Some(&json!({"completed": !completed})),
                )
                .await
            {
                Ok(_) => on_change.run(()),
                Err(e) => error.set(Some(e.detail)),
            }
        });
    };
    let delete = move |_| {
        spawn_local(async move {
            match session.call(Method::DELETE, &format!("/api/v1/tasks/{id}"), None).await {
                Ok(_) => on_change.run(()),
                Err(e) => error.set(Some(e.detail)),
            }
        });
    };
    let title = text(&task, "title");
    let due = text(&task, "due_date");
    let labels: Vec<String> = task["labels"]
        .as_array()
        .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let recurring = task["recurrence"]["frequency"].as_str().map(|f| format!("repeats {f}"));
    let overdue = task["overdue"].as_bool().unwrap_or(false);
    let edit_task = task.clone();
    view! {
        <li class="task-item" class:done=completed class:overdue=overdue data-task-id=id>
            <div class="row">
                <button type="button" class="check" aria-pressed=completed.to_string() on:click=toggle
                    aria-label=format!("{} {title}", if completed { "Reopen" } else { "Complete" })>{if completed { "✓" } else { "○" }}</button>
                <span class="title">{title.clone()}</span>
                <span class=format!("priority {}", text(&task, "priority"))>{text(&task, "priority")}</span>
                {(!due.is_empty()).then(|| view! { <span class="subtle">{format!("due {}", fmt::due(&due, &text(&task, "due_time")))}</span> })}
                {overdue.then(|| view! { <span class="badge overdue">"overdue"</span> })}
                {recurring.map(|r| view! { <span class="badge">{r}</span> })}
                {labels.into_iter().map(|l| view! { <span class="badge label">{l}</span> }).collect_view()}
                <span class="actions">
                    <button type="button" class="link" on:click=move |_| editing.set(Some(id))>"Edit"</button>
                    <button type="button" class="link danger" on:click=delete aria-label=format!("Delete {title}")>"Delete"</button>
                </span>
            </div>
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
            {move || (editing.get() == Some(id)).then(|| view! {
                <TaskForm task=Some(edit_task.clone()) on_saved=Callback::new(move |()| { editing.set(None); on_change.run(()); })
                    on_cancel=Callback::new(move |()| editing.set(None))/>
            })}
        </li>
    }
}

/// Creates a task, or edits one.
#[component]
fn TaskForm(
    task: Option<Value>,
    on_saved: Callback<()>,
    #[prop(optional)] on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    let session = session();
    let existing = task.as_ref().and_then(|t| t["id"].as_i64());
    let field = |name: &str| task.as_ref().map(|t| text(t, name)).unwrap_or_default();
    let title = RwSignal::new(field("title"));
    let description = RwSignal::new(field("description"));
    let due_date = RwSignal::new(field("due_date"));
    let due_time = RwSignal::new(field("due_time"));
    let priority = RwSignal::new(
        task.as_ref()
            .map_or_else(|| "normal".to_owned(), |t| text(t, "priority")),
    );
    let labels = RwSignal::new(
        task.as_ref()
            .and_then(|t| {
                t["labels"]
                    .as_array()
                    .map(|l| l.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(", "))
            })
            .unwrap_or_default(),
    );
    let remind = RwSignal::new(
        task.as_ref()
            .and_then(|t| t["remind_before_minutes"].as_i64())
            .map(|m| m.to_string())
            .unwrap_or_default(),
    );
    let frequency = RwSignal::new(
        task.as_ref()
            .and_then(|t| t["recurrence"]["frequency"].as_str().map(str::to_owned))
            .unwrap_or_default(),
    );
    let interval = RwSignal::new(
        task.as_ref()
            .and_then(|t| t["recurrence"]["interval"].as_i64())
            .unwrap_or(1)
            .to_string(),
    );
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        let mut ok = errors.check("title", check_required(&title.get(), 200));
        let remind_minutes = match non_empty(&remind.get()) {
            None => None,
            Some(text) => match text.parse::<i64>() {
                Ok(m) if (0..=525_600).contains(&m) => Some(m),
                _ => {
                    ok &= errors.check("remind_before_minutes", Err("must be a number of minutes".to_owned()));
                    None
                }
            },
        };
        if !due_time.get().is_empty() && due_date.get().is_empty() {
            ok &= errors.check("due_date", Err("is needed when a time is given".to_owned()));
        }
        let interval_number = interval.get().trim().parse::<i64>().unwrap_or(0);
        if !frequency.get().is_empty() && !(1..=365).contains(&interval_number) {
            ok &= errors.check("recurrence.interval", Err("must be 1 to 365".to_owned()));
        }
        if !ok {
            return;
        }
        let label_list: Vec<String> = labels.get().split(',').filter_map(non_empty).collect();
        let body = json!({
            "title": title.get().trim(),
            "description": description.get(),
            "due_date": non_empty(&due_date.get()),
            "due_time": non_empty(&due_time.get()),
            "priority": priority.get(),
            "labels": label_list,
            "remind_before_minutes": remind_minutes,
            "recurrence": if frequency.get().is_empty() { Value::Null } else { json!({"frequency": frequency.get(), "interval": interval_number}) },
        });
        busy.set(true);
        spawn_local(async move {
            let result = match existing {
                Some(id) => {
                    session
                        .call(Method::PATCH, &format!("/api/v1/tasks/{id}"), Some(&body))
                        .await
                }
                None => session.call(Method::POST, "/api/v1/tasks", Some(&body)).await,
            };
            busy.set(false);
            match result {
                Ok(_) => {
                    if existing.is_none() {
                        title.set(String::new());
                        description.set(String::new());
                        due_date.set(String::new());
                        due_time.set(String::new());
                        labels.set(String::new());
                        remind.set(String::new());
                        frequency.set(String::new());
                    }
                    on_saved.run(());
                }
                Err(error) => errors.show(&error),
            }
        });
    };
    view! {
        <form class="task-form" on:submit=submit novalidate>
            <Field label="Title" field="title" errors=errors>
                <input name="title" required maxlength="200" prop:value=move || title.get() on:input=move |e| title.set(value_of(&e))/>
            </Field>
            <Field label="Description" field="description" errors=errors>
                <textarea name="description" rows="2" prop:value=move || description.get() on:input=move |e| description.set(value_of(&e))></textarea>
            </Field>
            <div class="inline">
                <Field label="Due date" field="due_date" errors=errors>
                    <input name="due_date" type="date" prop:value=move || due_date.get() on:input=move |e| due_date.set(value_of(&e))/>
                </Field>
                <Field label="Time" field="due_time" errors=errors>
                    <input name="due_time" type="time" prop:value=move || due_time.get() on:input=move |e| due_time.set(value_of(&e))/>
                </Field>
                <Field label="Priority" field="priority" errors=errors>
                    <select name="priority" prop:value=move || priority.get() on:change=move |e| priority.set(value_of(&e))>
                        <option value="low">"Low"</option>
                        <option value="normal">"Normal"</option>
                        <option value="high">"High"</option>
                        <option value="urgent">"Urgent"</option>
                    </select>
                </Field>
            </div>
            <div class="inline">
                <Field label="Labels (comma separated)" field="labels" errors=errors>
                    <input name="labels" prop:value=move || labels.get() on:input=move |e| labels.set(value_of(&e))/>
                </Field>
                <Field label="Remind minutes before" field="remind_before_minutes" errors=errors>
                    <input name="remind_before_minutes" type="number" min="0" inputmode="numeric" prop:value=move || remind.get() on:input=move |e| remind.set(value_of(&e))/>
                </Field>
                <Field label="Repeats" field="recurrence.frequency" errors=errors>
                    <select name="frequency" prop:value=move || frequency.get() on:change=move |e| frequency.set(value_of(&e))>
                        <option value="">"Never"</option>
                        <option value="daily">"Daily"</option>
                        <option value="weekly">"Weekly"</option>
                        <option value="monthly">"Monthly"</option>
                        <option value="yearly">"Yearly"</option>
                    </select>
                </Field>
                <Field label="Every" field="recurrence.interval" errors=errors>
                    <input name="interval" type="number" min="1" max="365" prop:value=move || interval.get() on:input=move |e| interval.set(value_of(&e))/>
                </Field>
            </div>
            <FormSummary errors=errors/>
            <div class="buttons">
                <button type="submit" disabled=move || busy.get()>{if existing.is_some() { "Save task" } else { "Add task" }}</button>
                {on_cancel.map(|cancel| view! { <button type="button" class="secondary" on:click=move |_| cancel.run(())>"Cancel"</button> })}
            </div>
        </form>
    }
}
