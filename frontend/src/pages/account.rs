//! Account: profile and notification settings, password, the calendar feed, sessions, export and deletion.

use gloo_net::http::Method;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;
use serde_json::json;

use crate::api::session;
use crate::fmt;
use crate::logic::{check_email, check_password, check_required};
use crate::pages::{items, text};
use crate::ui::{Field, FormErrors, FormSummary, checked_of, failure, loaded, non_empty, value_of};
use wasm_bindgen_futures::JsFuture;

#[component]
pub fn Account() -> impl IntoView {
    view! {
        <h1>"Account"</h1>
        <Profile/>
        <Password/>
        <CalendarFeed/>
        <Sessions/>
        <Export/>
        <DeleteAccount/>
    }
}

#[component]
fn Profile() -> impl IntoView {
    let session = session();
    let user = session.user.get_untracked().unwrap_or_default();
    let display_name = RwSignal::new(text(&user, "display_name"));
    let email = RwSignal::new(text(&user, "email"));
    let zone = RwSignal::new(text(&user, "timezone"));
    let region = RwSignal::new(text(&user, "region"));
    let settings = &user["notifications"];
    let birthday_reminders = RwSignal::new(settings["birthday_reminders"].as_bool().unwrap_or(true));
    let task_reminders = RwSignal::new(settings["task_reminders"].as_bool().unwrap_or(true));
    let release_alerts = RwSignal::new(settings["release_alerts"].as_bool().unwrap_or(true));
    let digest_time = RwSignal::new(text(settings, "digest_time"));
    let errors = FormErrors::new();
    let saved = RwSignal::new(None::<String>);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        saved.set(None);
        let ok = errors.check("display_name", check_required(&display_name.get(), 100))
            & errors.check("email", check_email(&email.get()))
            & errors.check("timezone", check_required(&zone.get(), 64));
        if !ok {
            return;
        }
        let body = json!({
            "display_name": display_name.get().trim(), "email": email.get().trim(), "timezone": zone.get().trim(),
            "region": region.get().trim().to_uppercase(),
            "notifications": {"birthday_reminders": birthday_reminders.get(), "task_reminders": task_reminders.get(),
                "release_alerts": release_alerts.get(), "digest_time": non_empty(&digest_time.get())},
        });
        spawn_local(async move {
            match session.call(Method::PATCH, "/api/v1/me", Some(&body)).await {
                Ok(user) => {
                    session.user.set(Some(user));
                    saved.set(Some("Saved.".to_owned()));
                }
                Err(error) => errors.show(&error),
            }
        });
    };
    let verify_message = RwSignal::new(None::<String>);
    let verify_failed = RwSignal::new(None::<String>);
    let verify = move |_| {
        verify_message.set(None);
        verify_failed.set(None);
        spawn_local(async move {
            match session
                .call(Method::POST, "/api/v1/auth/verify-email/request", None)
                .await
            {
                Ok(_) => verify_message.set(Some("We sent you a link. Open it to verify your address.".to_owned())),
                Err(e) => verify_failed.set(Some(format!("No link was sent: {}", e.detail))),
            }
        })
    };
    let verified = user["email_verified"].as_bool().unwrap_or(false);
    let zones = fmt::time_zones();
    view! {
        <section class="card" id="notifications" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Profile and notifications"</h2>
            {(!verified).then(|| view! {
                <div class="notice">
                    <p>"Your email address is not verified yet: the planner sends no mail until it is."</p>
                    <button type="button" on:click=verify>"Send me a verification link"</button>
                    {move || verify_message.get().map(|m| view! { <p role="status">{m}</p> })}
                    {failure(verify_failed)}
                </div>
            })}
            <form on:submit=submit novalidate>
                <div class="inline">
                    <Field label="Display name" field="display_name" errors=errors>
                        <input name="display_name" prop:value=move || display_name.get() on:input=move |e| display_name.set(value_of(&e))/>
                    </Field>
                    <Field label="Email" field="email" errors=errors>
                        <input name="email" type="email" prop:value=move || email.get() on:input=move |e| email.set(value_of(&e))/>
                    </Field>
                </div>
                <div class="inline">
                    <Field label="Time zone (type to search)" field="timezone" errors=errors>
                        <input name="timezone" list="all-zones" autocomplete="off" prop:value=move || zone.get() on:input=move |e| zone.set(value_of(&e))/>
                    </Field>
                    <datalist id="all-zones">{zones.into_iter().map(|z| view! { <option value=z></option> }).collect_view()}</datalist>
                    <Field label="Region (for release dates)" field="region" errors=errors>
                        <input name="region" maxlength="2" size="3" prop:value=move || region.get() on:input=move |e| region.set(value_of(&e))/>
                    </Field>
                </div>
                <fieldset>
                    <legend>"Email me"</legend>
                    <label class="check-label"><input type="checkbox" name="birthday_reminders" prop:checked=move || birthday_reminders.get() on:change=move |e| birthday_reminders.set(checked_of(&e))/>" Birthday reminders"</label>
                    <label class="check-label"><input type="checkbox" name="task_reminders" prop:checked=move || task_reminders.get() on:change=move |e| task_reminders.set(checked_of(&e))/>" Task reminders"</label>
                    <label class="check-label"><input type="checkbox" name="release_alerts" prop:checked=move || release_alerts.get() on:change=move |e| release_alerts.set(checked_of(&e))/>" Release alerts"</label>
                    <Field label="Daily digest at (empty: no digest)" field="notifications.digest_time" errors=errors>
                        <input name="digest_time" type="time" prop:value=move || digest_time.get() on:input=move |e| digest_time.set(value_of(&e))/>
                    </Field>
                </fieldset>
                <FormSummary errors=errors/>
                {move || saved.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
                <button type="submit">"Save"</button>
            </form>
        </section>
    }
}

#[component]
fn Password() -> impl IntoView {
    let session = session();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let done = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        done.set(false);
        let ok = errors.check("current_password", check_required(&current.get(), 128))
            & errors.check("new_password", check_password(&new.get()));
        if !ok {
            return;
        }
        let body = json!({"current_password": current.get(), "new_password": new.get()});
        spawn_local(async move {
            match session.call(Method::PUT, "/api/v1/me/password", Some(&body)).await {
                Ok(_) => {
                    current.set(String::new());
                    new.set(String::new());
                    done.set(true);
                }
                Err(error) => errors.show(&error),
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="password-heading">
            <h2 id="password-heading">"Password"</h2>
            <form on:submit=submit novalidate>
                <div class="inline">
                    <Field label="Current password" field="current_password" errors=errors>
                        <input name="current_password" type="password" autocomplete="current-password" prop:value=move || current.get() on:input=move |e| current.set(value_of(&e))/>
                    </Field>
                    <Field label="New password" field="new_password" errors=errors>
                        <input name="new_password" type="password" autocomplete="new-password" prop:value=move || new.get() on:input=move |e| new.set(value_of(&e))/>
                    </Field>
                </div>
                <FormSummary errors=errors/>
                {move || done.get().then(|| view! { <p class="notice" role="status">"Password changed. Your other sessions have ended."</p> })}
                <button type="submit">"Change password"</button>
            </form>
        </section>
    }
}

#[component]
fn CalendarFeed() -> impl IntoView {
    let session = session();
    let feed = LocalResource::new(move || session.get("/api/v1/me/calendar-feed"));
    let message = RwSignal::new(None::<String>);
    let failed = RwSignal::new(None::<String>);
    let replace = move |_| {
        message.set(None);
        failed.set(None);
        spawn_local(async move {
            match session.call(Method::POST, "/api/v1/me/calendar-feed", None).await {
                Ok(_) => {
                    message.set(Some(
                        "A new address replaces the old one, which no longer works.".to_owned(),
                    ));
                    feed.refetch();
                }
                Err(e) => failed.set(Some(format!("The address was not replaced: {}", e.detail))),
            }
        })
    };
    let field = NodeRef::<leptos::html::Input>::new();
    let copy = move |_| {
        message.set(None);
        failed.set(None);
        let Some(input) = field.get_untracked() else { return };
        let url = input.value();
        spawn_local(async move {
            let written = match web_sys::window() {
                Some(window) => JsFuture::from(window.navigator().clipboard().write_text(&url))
                    .await
                    .is_ok(),
                None => false,
            };
            if written {
                message.set(Some("Copied.".to_owned()));
            } else {
                // No clipboard access (an insecure origin, a denied permission): the address is selected instead.
                let _ = input.focus();
                input.select();
                failed.set(Some(
                    "Could not copy. The address is selected: press Ctrl+C to copy it.".to_owned(),
                ));
            }
        });
    };
    view! {
        <section class="card" aria-labelledby="feed-heading">
            <h2 id="feed-heading">"Calendar feed"</h2>
            <p class="subtle">"Subscribe to this address in your calendar app. Anyone who has it can read your calendar."</p>
            {loaded(feed, move |feed| {
                view! {
                    <div class="inline">
                        <input class="feed-url" readonly aria-label="Calendar feed address" node_ref=field value=text(&feed, "url")/>
                        <button type="button" on:click=copy>"Copy"</button>
                        <button type="button" on:click=replace>"Replace address"</button>
                    </div>
                }
            })}
            {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            {failure(failed)}
        </section>
    }
}

#[component]
fn Sessions() -> impl IntoView {
    let session = session();
    let zone = session.user_field("timezone");
    let sessions = LocalResource::new(move || session.get("/api/v1/auth/sessions"));
    let message = RwSignal::new(None::<String>);
    let failed = RwSignal::new(None::<String>);
    let others = move |_| {
        message.set(None);
        failed.set(None);
        spawn_local(async move {
            match session.call(Method::DELETE, "/api/v1/auth/sessions", None).await {
                Ok(_) => {
                    message.set(Some("Every other session has ended.".to_owned()));
                    sessions.refetch();
                }
                Err(e) => failed.set(Some(format!("The other sessions were not ended: {}", e.detail))),
            }
        })
    };
    view! {
        <section class="card" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Sessions"</h2>
            {loaded(sessions, move |list| {
                let zone = zone.clone();
                view! { <ul class="plain sessions">{items(&list).into_iter().map(|s| {
                    let id = s["id"].as_i64().unwrap_or_default();
                    let current = s["current"].as_bool().unwrap_or(false);
                    let ended = RwSignal::new(None::<String>);
                    let end = move |_| spawn_local(async move {
                        match session.call(Method::DELETE, &format!("/api/v1/auth/sessions/{id}"), None).await {
                            Ok(_) => sessions.refetch(),
                            Err(e) => ended.set(Some(format!("The session was not ended: {}", e.detail))),
                        }
                    });
                    view! {
                        <li class="session-item" data-session-id=id>
                            <span>{s["user_agent"].as_str().unwrap_or("Unknown device").to_owned()}</span>
                            <span class="subtle">{format!(" last used {}", fmt::moment(&text(&s, "last_used_at"), &zone))}</span>
                            {if current {
                                view! { <span class="badge">"this session"</span> }.into_any()
                            } else {
                                view! { <button type="button" class="link danger" on:click=end>"End this session"</button> }.into_any()
                            }}
                            {failure(ended)}
                        </li>
                    }
                }).collect_view()}</ul> }
            })}
            <button type="button" on:click=others>"Log out everywhere else"</button>
            {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
            {failure(failed)}
        </section>
    }
}

#[component]
fn Export() -> impl IntoView {
    let session = session();
    let link = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let prepare = move |_| {
        spawn_local(async move {
            match session.get("/api/v1/me/export").await {
                Ok(data) => {
                    let json = serde_json::to_string_pretty(&data).unwrap_or_default();
                    link.set(Some(format!(
                        "data:application/json;charset=utf-8,{}",
                        crate::api::encode(&json)
                    )));
                }
                Err(e) => error.set(Some(e.detail)),
            }
        })
    };
    view! {
        <section class="card" aria-labelledby="export-heading">
            <h2 id="export-heading">"Your data"</h2>
            <button type="button" on:click=prepare>"Prepare an export"</button>
            {move || link.get().map(|href| view! { <a class="button" href=href download="planner-export.json">"Download planner-export.json"</a> })}
            {move || error.get().map(|e| view! { <p class="form-error" role="alert">{e}</p> })}
        </section>
    }
}

#[component]
fn DeleteAccount() -> impl IntoView {
    let session = session();
    let navigate = use_navigate();
    let password = RwSignal::new(String::new());
    let confirmed = RwSignal::new(false);
    let errors = FormErrors::new();
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        let mut ok = errors.check("password", check_required(&password.get(), 128));
        if !confirmed.get() {
            ok &= errors.check("confirm", Err("tick this to confirm".to_owned()));
        }
        if !ok {
            return;
        }
        let body = json!({"password": password.get()});
        let navigate = navigate.clone();
        spawn_local(async move {
            match session.call(Method::DELETE, "/api/v1/me", Some(&body)).await {
                Ok(_) => {
                    session.forget(Some("Your account and everything in it have been deleted."));
                    navigate("/login", Default::default());
                }
                Err(error) => errors.show(&error),
            }
        });
    };
    view! {
        <section class="card danger-zone" aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete account"</h2>
            <p>"This deletes your tasks, birthdays, movies and sessions at once. It cannot be undone."</p>
            <form on:submit=submit novalidate>
                <Field label="Password" field="password" errors=errors>
                    <input name="delete_password" type="password" autocomplete="current-password" prop:value=move || password.get() on:input=move |e| password.set(value_of(&e))/>
                </Field>
                <Field label="I understand that this cannot be undone" field="confirm" errors=errors>
                    <input name="confirm" type="checkbox" prop:checked=move || confirmed.get() on:change=move |e| confirmed.set(checked_of(&e))/>
                </Field>
                <FormSummary errors=errors/>
                <button type="submit" class="danger">"Delete my account"</button>
            </form>
        </section>
    }
}
