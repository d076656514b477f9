//! Notifications: the delivery log, with a way to send a message again.

use gloo_net::http::Method;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::session;
use crate::fmt;
use crate::pages::{items, text};
use crate::ui::loaded;

#[component]
pub fn Notifications() -> impl IntoView {
    let session = session();
    let zone = session.user_field("timezone");
    let log = LocalResource::new(move || session.get("/api/v1/notifications?limit=200"));
    let message = RwSignal::new(None::<String>);
    // The log changes on its own as the worker sends: look again every few seconds while the page is open.
    if let Ok(handle) = set_interval_with_handle(move || log.refetch(), std::time::Duration::from_secs(5)) {
        on_cleanup(move || handle.clear());
    }
    view! {
        <h1>"Notifications"</h1>
        <p class="subtle">"Every greeting, reminder and alert the planner has sent or will send."</p>
        {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
        <section class="card">
            {loaded(log, move |page| {
                let list = items(&page);
                if list.is_empty() {
                    return view! { <p class="subtle">"Nothing has been sent yet."</p> }.into_any();
                }
                let zone = zone.clone();
                view! {
                    <div class="table-wrap">
                    <table class="log">
                        <thead><tr><th scope="col">"What"</th><th scope="col">"To"</th><th scope="col">"Due"</th><th scope="col">"Status"</th><th scope="col">"Attempts"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                        <tbody>{list.into_iter().map(|n| {
                            let id = n["id"].as_i64().unwrap_or_default();
                            let status = text(&n, "status");
                            let error = n["last_error"].as_str().map(str::to_owned);
                            let sent = n["sent_at"].as_str().map(|at| fmt::moment(at, &zone));
                            let resend = move |_| spawn_local(async move {
                                match session.call(Method::POST, &format!("/api/v1/notifications/{id}/resend"), None).await {
                                    Ok(_) => { message.set(Some("Queued to be sent again.".to_owned())); log.refetch(); }
                                    Err(e) => message.set(Some(e.detail)),
                                }
                            });
                            let can_resend = status != "sending" && !(status == "sent" && text(&n, "kind") == "birthday_greeting");
                            view! {
                                <tr data-notification-id=id>
                                    <td><span class="badge">{text(&n, "kind").replace('_', " ")}</span>" "{text(&n, "subject")}</td>
                                    <td>{text(&n, "recipient")}</td>
                                    <td>{fmt::moment(&text(&n, "due_at"), &zone)}</td>
                                    <td><span class=format!("status {status}")>{status.clone()}</span>
                                        {sent.map(|s| view! { <span class="subtle">{format!(" {s}")}</span> })}
                                        {error.map(|e| view! { <div class="subtle error-text">{e}</div> })}</td>
                                    <td>{n["attempts"].as_i64().unwrap_or_default()}</td>
                                    <td>{can_resend.then(|| view! { <button type="button" class="link" on:click=resend>"Resend"</button> })}</td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                    </div>
                }.into_any()
            })}
        </section>
    }
}
