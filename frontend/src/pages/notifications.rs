//! Notifications: the delivery log, with a way to send a message again. The log is polled; its rows are keyed, so a
//! poll redraws only rows that changed and the keyboard focus stays where it was.

use gloo_net::http::Method;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::Value;

use crate::api::session;
use crate::fmt;
use crate::pages::{items, text};

/// What identifies a row's content: a row is redrawn only when its status or attempts change.
fn row_key(notification: &Value) -> (i64, String, i64) {
    (
        notification["id"].as_i64().unwrap_or_default(),
        text(notification, "status"),
        notification["attempts"].as_i64().unwrap_or_default(),
    )
}

#[component]
pub fn Notifications() -> impl IntoView {
    let session = session();
    let zone = session.user_field("timezone");
    let log = LocalResource::new(move || session.get("/api/v1/notifications?limit=200"));
    let message = RwSignal::new(None::<(bool, String)>);
    // The last rows that arrived: a failed poll shows its error above them instead of emptying the table.
    let rows = RwSignal::new(None::<Vec<Value>>);
    let error = RwSignal::new(None::<String>);
    Effect::new(move |_| match log.get() {
        Some(Ok(page)) => {
            rows.set(Some(items(&page)));
            error.set(None);
        }
        Some(Err(e)) => error.set(Some(e.detail)),
        None => {}
    });
    // The log changes on its own as the worker sends: look again every few seconds while the page is open.
    if let Ok(handle) = set_interval_with_handle(move || log.refetch(), std::time::Duration::from_secs(5)) {
        on_cleanup(move || handle.clear());
    }
    let row = move |n: Value| {
        let id = n["id"].as_i64().unwrap_or_default();
        let status = text(&n, "status");
        let last_error = n["last_error"].as_str().map(str::to_owned);
        let sent = n["sent_at"].as_str().map(|at| fmt::moment(at, &zone));
        let resend = move |_| {
            spawn_local(async move {
                match session
                    .call(Method::POST, &format!("/api/v1/notifications/{id}/resend"), None)
                    .await
                {
                    Ok(_) => {
                        message.set(Some((true, "Queued to be sent again.".to_owned())));
                        log.refetch();
                    }
                    Err(e) => message.set(Some((false, e.detail))),
                }
            });
        };
        let can_resend = status != "sending" && !(status == "sent" && text(&n, "kind") == "birthday_greeting");
        view! {
            <tr data-notification-id=id>
                <td><span class="badge">{text(&n, "kind").replace('_', " ")}</span>" "{text(&n, "subject")}</td>
                <td>{text(&n, "recipient")}</td>
                <td>{fmt::moment(&text(&n, "due_at"), &zone)}</td>
                <td><span class=format!("status {status}")>{status.clone()}</span>
                    {sent.map(|s| view! { <span class="subtle">{format!(" {s}")}</span> })}
                    {last_error.map(|e| view! { <div class="subtle error-text">{e}</div> })}</td>
                <td>{n["attempts"].as_i64().unwrap_or_default()}</td>
                <td>{can_resend.then(|| view! { <button type="button" class="link" on:click=resend>"Resend"</button> })}</td>
            </tr>
        }
    };
    view! {
        <h1>"Notifications"</h1>
        <p class="subtle">"Every greeting, reminder and alert the planner has sent or will send."</p>
        {move || message.get().map(|(ok, m)| if ok {
            view! { <p class="notice" role="status">{m}</p> }.into_any()
        } else {
            view! { <p class="form-error" role="alert">{m}</p> }.into_any()
        })}
        <section class="card">
            {move || error.get().map(|e| view! {
                <div class="error" role="alert">
                    <p>{e}</p>
                    <button type="button" on:click=move |_| log.refetch()>"Try again"</button>
                </div>
            })}
            {move || match rows.with(|r| r.as_ref().map(Vec::is_empty)) {
                None if error.with(Option::is_none) => view! { <p class="loading" role="status">"Loading…"</p> }.into_any(),
                Some(true) => view! { <p class="subtle">"Nothing has been sent yet."</p> }.into_any(),
                _ => ().into_any(),
            }}
            <Show when=move || rows.with(|r| r.as_ref().is_some_and(|r| !r.is_empty()))>
                <div class="table-wrap">
                <table class="log">
                    <thead><tr><th scope="col">"What"</th><th scope="col">"To"</th><th scope="col">"Due"</th><th scope="col">"Status"</th><th scope="col">"Attempts"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                    <tbody>
                        <For each=move || rows.get().unwrap_or_default() key=row_key children=row.clone()/>
                    </tbody>
                </table>
                </div>
            </Show>
        </section>
    }
}
