//! The app's shell: the session on load, the navigation, the routes, and the log-in and sign-up pages.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::{A, Redirect, Route, Router, Routes};
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::path;
use serde_json::json;

use crate::api::{Session, session};
use crate::logic::{check_email, check_password, check_username};
use crate::pages::{
    account::Account, birthdays::Birthdays, movies::Movies, notifications::Notifications, tasks::Tasks, today::Today,
};
use crate::ui::{Field, FormErrors, FormSummary, failure, non_empty, value_of};

#[component]
pub fn App() -> impl IntoView {
    let session = Session::new();
    provide_context(session);
    // A reload keeps the person logged in: the refresh cookie buys a new access token.
    spawn_local(session.start());
    view! {
        <Router>
            <a class="skip" href="#main">"Skip to content"</a>
            <header class="top">
                <span class="brand">"All-in-One Planner"</span>
                <Nav/>
            </header>
            <main id="main" tabindex="-1">
                <Show when=move || session.ready.get() fallback=move || view! { <Starting/> }>
                    <Routes fallback=|| view! { <h1>"Not found"</h1><p>"There is no such page. " <a href="/">"Go to Today"</a></p> }>
                        <Route path=path!("/login") view=Login/>
                        <Route path=path!("/register") view=Register/>
                        <Route path=path!("/verify-email") view=VerifyEmail/>
                        <Route path=path!("/forgot-password") view=ForgotPassword/>
                        <Route path=path!("/reset-password") view=ResetPassword/>
                        <Route path=path!("/") view=|| view! { <Protected><Today/></Protected> }/>
                        <Route path=path!("/tasks") view=|| view! { <Protected><Tasks/></Protected> }/>
                        <Route path=path!("/birthdays") view=|| view! { <Protected><Birthdays/></Protected> }/>
                        <Route path=path!("/movies") view=|| view! { <Protected><Movies/></Protected> }/>
                        <Route path=path!("/notifications") view=|| view! { <Protected><Notifications/></Protected> }/>
                        <Route path=path!("/account") view=|| view! { <Protected><Account/></Protected> }/>
                    </Routes>
                </Show>
            </main>
        </Router>
    }
}

/// While the session on load is being found out: loading, or why it could not be, with a way to try again.
#[component]
fn Starting() -> impl IntoView {
    let session = session();
    move || match session.load_error.get() {
        None => view! { <p class="loading" role="status">"Loading…"</p> }.into_any(),
        Some(error) => view! {
            <div class="error card" role="alert">
                <p>{error}</p>
                <button type="button" on:click=move |_| spawn_local(session.start())>"Try again"</button>
            </div>
        }
        .into_any(),
    }
}

/// Shows its page to a logged-in person and sends anyone else to the login page.
#[component]
fn Protected(children: ChildrenFn) -> impl IntoView {
    let session = session();
    view! {
        <Show when=move || session.logged_in() fallback=|| view! { <Redirect path="/login"/> }>
            {children()}
        </Show>
    }
}

#[component]
fn Nav() -> impl IntoView {
    let session = session();
    let navigate = use_navigate();
    let failed = RwSignal::new(None::<String>);
    let log_out = move |_| {
        let navigate = navigate.clone();
        failed.set(None);
        spawn_local(async move {
            match session.logout().await {
                Ok(()) => navigate("/login", Default::default()),
                Err(error) => failed.set(Some(format!("You are still logged in: {}", error.detail))),
            }
        });
    };
    view! {
        <Show when=move || session.logged_in()>
            <nav aria-label="Main">
                <A href="/" exact=true>"Today"</A>
                <A href="/tasks">"Tasks"</A>
                <A href="/birthdays">"Birthdays"</A>
                <A href="/movies">"Movies"</A>
                <A href="/notifications">"Notifications"</A>
                <A href="/account">"Account"</A>
                <button type="button" class="link" on:click=log_out.clone()>"Log out"</button>
                {failure(failed)}
            </nav>
        </Show>
    }
}

#[component]
fn Login() -> impl IntoView {
    let session = session();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        let ok = errors.check("username", crate::logic::check_required(&username.get(), 254))
            & errors.check("password", crate::logic::check_required(&password.get(), 128));
        if !ok {
            return;
        }
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            match session
                .login(&username.get_untracked(), &password.get_untracked())
                .await
            {
                Ok(()) => navigate("/", Default::default()),
                Err(error) => errors.show(&error),
            }
            busy.set(false);
        });
    };
    view! {
        <Show when=move || !session.logged_in() fallback=|| view! { <Redirect path="/"/> }>
            <section class="auth card">
                <h1>"Log in"</h1>
                {move || session.notice.get().map(|notice| view! { <p class="notice" role="status">{notice}</p> })}
                <form on:submit=submit.clone() novalidate>
                    <Field label="Username or email" field="username" errors=errors>
                        <input name="username" autocomplete="username" required
                            prop:value=move || username.get() on:input=move |e| username.set(value_of(&e))/>
                    </Field>
                    <Field label="Password" field="password" errors=errors>
                        <input name="password" type="password" autocomplete="current-password" required
                            prop:value=move || password.get() on:input=move |e| password.set(value_of(&e))/>
                    </Field>
                    <FormSummary errors=errors/>
                    <button type="submit" disabled=move || busy.get()>{move || if busy.get() { "Logging in…" } else { "Log in" }}</button>
                </form>
                <p>"New here? " <a href="/register">"Create an account"</a></p>
                <p><a href="/forgot-password">"Forgot your password?"</a></p>
            </section>
        </Show>
    }
}

/// The browser's own time zone, the default for a new account.
fn browser_time_zone() -> String {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()
        .and_then(|zone| zone.as_string())
        .unwrap_or_else(|| "UTC".to_owned())
}

#[component]
fn Register() -> impl IntoView {
    let session = session();
    let navigate = use_navigate();
    let username = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let display_name = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let busy = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        let ok = errors.check("username", check_username(&username.get()))
            & errors.check("email", check_email(&email.get()))
            & errors.check("password", check_password(&password.get()));
        if !ok {
            return;
        }
        busy.set(true);
        let navigate = navigate.clone();
        spawn_local(async move {
            let mut body = json!({"username": username.get_untracked(), "email": email.get_untracked().trim(),
                "password": password.get_untracked(), "timezone": browser_time_zone()});
            if let Some(name) = non_empty(&display_name.get_untracked()) {
                body["display_name"] = json!(name);
            }
            match session
                .call(gloo_net::http::Method::POST, "/api/v1/auth/register", Some(&body))
                .await
            {
                Ok(_) => match session
                    .login(&username.get_untracked(), &password.get_untracked())
                    .await
                {
                    Ok(()) => navigate("/", Default::default()),
                    Err(error) => errors.show(&error),
                },
                Err(error) => errors.show(&error),
            }
            busy.set(false);
        });
    };
    view! {
        <Show when=move || !session.logged_in() fallback=|| view! { <Redirect path="/"/> }>
            <section class="auth card">
                <h1>"Create an account"</h1>
                <form on:submit=submit.clone() novalidate>
                    <Field label="Username" field="username" errors=errors>
                        <input name="username" autocomplete="username" required
                            prop:value=move || username.get() on:input=move |e| username.set(value_of(&e))/>
                    </Field>
                    <Field label="Email" field="email" errors=errors>
                        <input name="email" type="email" autocomplete="email" required
                            prop:value=move || email.get() on:input=move |e| email.set(value_of(&e))/>
                    </Field>
                    <Field label="Display name (optional)" field="display_name" errors=errors>
                        <input name="display_name" autocomplete="name"
                            prop:value=move || display_name.get() on:input=move |e| display_name.set(value_of(&e))/>
                    </Field>
                    <Field label="Password (at least 8 characters)" field="password" errors=errors>
                        <input name="password" type="password" autocomplete="new-password" required
                            prop:value=move || password.get() on:input=move |e| password.set(value_of(&e))/>
                    </Field>
                    <FormSummary errors=errors/>
                    <button type="submit" disabled=move || busy.get()>"Create account"</button>
                </form>
                <p>"Have an account? " <a href="/login">"Log in"</a></p>
            </section>
        </Show>
    }
}

/// The link from the verification email.
#[component]
fn VerifyEmail() -> impl IntoView {
    let session = session();
    let token = use_query_map()
        .with_untracked(|query| query.get("token"))
        .unwrap_or_default();
    let result = LocalResource::new(move || {
        let body = json!({"token": token.clone()});
        async move {
            let answer = session
                .call(
                    gloo_net::http::Method::POST,
                    "/api/v1/auth/verify-email/confirm",
                    Some(&body),
                )
                .await;
            if answer.is_ok()
                && session.user.with_untracked(Option::is_some)
                && let Ok(user) = session.get("/api/v1/me").await
            {
                session.user.set(Some(user));
            }
            answer
        }
    });
    view! {
        <section class="auth card">
            <h1>"Verify your email"</h1>
            {crate::ui::loaded(result, |_| view! { <p class="notice" role="status">"Your address is verified. The planner can now send you mail."</p><p><a href="/">"Go to Today"</a></p> })}
        </section>
    }
}

#[component]
fn ForgotPassword() -> impl IntoView {
    let session = session();
    let email = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let sent = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        if !errors.check("email", check_email(&email.get())) {
            return;
        }
        let body = json!({"email": email.get().trim()});
        spawn_local(async move {
            match session
                .call(
                    gloo_net::http::Method::POST,
                    "/api/v1/auth/password-reset/request",
                    Some(&body),
                )
                .await
            {
                Ok(_) => sent.set(true),
                Err(error) => errors.show(&error),
            }
        });
    };
    view! {
        <section class="auth card">
            <h1>"Reset your password"</h1>
            <Show when=move || !sent.get() fallback=|| view! { <p class="notice" role="status">"If that address belongs to an account, a link to reset the password is on its way."</p> }>
                <form on:submit=submit novalidate>
                    <Field label="Your account's email" field="email" errors=errors>
                        <input name="email" type="email" autocomplete="email" prop:value=move || email.get() on:input=move |e| email.set(value_of(&e))/>
                    </Field>
                    <FormSummary errors=errors/>
                    <button type="submit">"Send me a link"</button>
                </form>
            </Show>
        </section>
    }
}

/// The link from the password-reset email.
#[component]
fn ResetPassword() -> impl IntoView {
    let session = session();
    let token = use_query_map()
        .with_untracked(|query| query.get("token"))
        .unwrap_or_default();
    let password = RwSignal::new(String::new());
    let errors = FormErrors::new();
    let done = RwSignal::new(false);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        if !errors.check("new_password", check_password(&password.get())) {
            return;
        }
        let body = json!({"token": token.clone(), "new_password": password.get()});
        spawn_local(async move {
            match session
                .call(
                    gloo_net::http::Method::POST,
                    "/api/v1/auth/password-reset/confirm",
                    Some(&body),
                )
                .await
            {
                Ok(_) => {
                    session.forget(Some("Your password is changed. Log in with the new one."));
                    done.set(true);
                }
                Err(error) => errors.show(&error),
            }
        });
    };
    view! {
        <section class="auth card">
            <h1>"Choose a new password"</h1>
            <Show when=move || !done.get() fallback=|| view! { <p class="notice" role="status">"Your password is changed. " <a href="/login">"Log in"</a></p> }>
                <form on:submit=submit.clone() novalidate>
                    <Field label="New password (at least 8 characters)" field="new_password" errors=errors>
                        <input name="new_password" type="password" autocomplete="new-password" prop:value=move || password.get() on:input=move |e| password.set(value_of(&e))/>
                    </Field>
                    <FormSummary errors=errors/>
                    <button type="submit">"Set password"</button>
                </form>
            </Show>
        </section>
    }
}
