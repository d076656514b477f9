//! Movies: search TMDB, track a movie's release types in a region, see tracked movies' dates and status, stop
//! tracking.

use gloo_net::http::Method;
use leptos::prelude::*;
use leptos::task::spawn_local;
use serde_json::{Value, json};

use crate::api::{ApiError, encode, session};
use crate::fmt;
use crate::logic::check_region;
use crate::pages::{items, text};
use crate::ui::{Field, FormErrors, FormSummary, failure, loaded, value_of};

const RELEASE_TYPES: [(&str, &str); 3] = [
    ("theatrical", "In cinemas"),
    ("digital", "Digital"),
    ("physical", "Disc"),
];

#[component]
pub fn Movies() -> impl IntoView {
    let session = session();
    let query = RwSignal::new(String::new());
    let results = RwSignal::new(None::<Result<Value, ApiError>>);
    let searching = RwSignal::new(false);
    let tracked = LocalResource::new(move || session.get("/api/v1/movie-alerts?limit=200"));
    // The query of the last search, for "Try again".
    let asked = RwSignal::new(String::new());
    let run = move |text: String| {
        searching.set(true);
        asked.set(text.clone());
        spawn_local(async move {
            let answer = session
                .get(format!("/api/v1/movies/search?query={}", encode(&text)))
                .await;
            results.set(Some(answer));
            searching.set(false);
        });
    };
    let search = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let text = query.get();
        if text.trim().is_empty() {
            return;
        }
        run(text.trim().to_owned());
    };
    view! {
        <h1>"Movies"</h1>
        <section class="card">
            <h2>"Find a movie"</h2>
            <form class="inline" role="search" on:submit=search>
                <label><span class="label">"Title"</span>
                    <input type="search" name="query" required prop:value=move || query.get() on:input=move |e| query.set(value_of(&e))/>
                </label>
                <button type="submit" disabled=move || searching.get()>"Search"</button>
            </form>
            {move || searching.get().then(|| view! { <p class="loading" role="status">"Searching…"</p> })}
            {move || match results.get() {
                None => ().into_any(),
                Some(Err(e)) => view! {
                    <div class="error" role="alert">
                        <p>{format!("The search failed: {}", e.detail)}</p>
                        <button type="button" on:click=move |_| run(asked.get_untracked())>"Try again"</button>
                    </div>
                }.into_any(),
                Some(Ok(page)) => {
                    let list = items(&page);
                    if list.is_empty() {
                        return view! { <p class="subtle">"No movies found."</p> }.into_any();
                    }
                    view! { <ul class="plain results">{list.into_iter().map(|m| view! { <SearchResult movie=m on_tracked=Callback::new(move |()| tracked.refetch())/> }).collect_view()}</ul> }.into_any()
                }
            }}
        </section>
        <section class="card">
            <h2>"Tracked"</h2>
            {loaded(tracked, move |page| {
                let list = items(&page);
                if list.is_empty() {
                    return view! { <p class="subtle">"You are not tracking any movie."</p> }.into_any();
                }
                view! { <ul class="plain tracked">{list.into_iter().map(|a| {
                    let id = a["id"].as_i64().unwrap_or_default();
                    let title = text(&a, "title");
                    let releases = a["releases"].as_array().cloned().unwrap_or_default();
                    let failed = RwSignal::new(None::<String>);
                    let stop = move |_| spawn_local(async move {
                        match session.call(Method::DELETE, &format!("/api/v1/movie-alerts/{id}"), None).await {
                            Ok(_) => tracked.refetch(),
                            Err(e) => failed.set(Some(format!("Could not stop tracking: {}", e.detail))),
                        }
                    });
                    view! {
                        <li class="alert-item" data-alert-id=id>
                            <div class="row">
                                {a["poster_url"].as_str().map(|src| view! { <img class="poster small" src=src.to_owned() alt="" loading="lazy"/> })}
                                <strong>{title.clone()}</strong>
                                <span class=format!("badge status {}", text(&a, "status"))>{text(&a, "status")}</span>
                                <span class="subtle">{format!("region {}", text(&a, "region"))}</span>
                                <span class="actions"><button type="button" class="link danger" aria-label=format!("Stop tracking {title}") on:click=stop>"Stop tracking"</button></span>
                            </div>
                            {failure(failed)}
                            <ul class="releases">{releases.into_iter().map(|r| {
                                let date = r["date"].as_str().map_or_else(|| "no date yet".to_owned(), fmt::day);
                                view! { <li>{format!("{}: {date}", text(&r, "type"))}</li> }
                            }).collect_view()}</ul>
                        </li>
                    }
                }).collect_view()}</ul> }.into_any()
            })}
        </section>
    }
}

#[component]
fn SearchResult(movie: Value, on_tracked: Callback<()>) -> impl IntoView {
    let session = session();
    let tmdb_id = movie["tmdb_id"].as_i64().unwrap_or_default();
    let title = text(&movie, "title");
    let year = text(&movie, "release_date").get(..4).unwrap_or("").to_owned();
    let choosing = RwSignal::new(false);
    let chosen = RwSignal::new(vec!["theatrical".to_owned()]);
    let region = RwSignal::new(session.user_field("region"));
    let errors = FormErrors::new();
    let tracking = RwSignal::new(false);
    let track = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        errors.clear();
        tracking.set(false);
        let mut ok = errors.check("region", check_region(&region.get()));
        if chosen.with(Vec::is_empty) {
            ok &= errors.check("release_types", Err("choose at least one kind of release".to_owned()));
        }
        if !ok {
            return;
        }
        let body =
            json!({"tmdb_id": tmdb_id, "release_types": chosen.get(), "region": region.get().trim().to_uppercase()});
        spawn_local(async move {
            match session.call(Method::POST, "/api/v1/movie-alerts", Some(&body)).await {
                Ok(_) => {
                    tracking.set(true);
                    choosing.set(false);
                    on_tracked.run(());
                }
                Err(e) => errors.show(&e),
            }
        });
    };
    view! {
        <li class="result" data-tmdb-id=tmdb_id>
            <div class="row">
                {movie["poster_url"].as_str().map(|src| view! { <img class="poster" src=src.to_owned() alt=format!("Poster of {title}") loading="lazy"/> })}
                <div>
                    <strong>{title.clone()}</strong>" "<span class="subtle">{year}</span>
                    <p class="overview">{text(&movie, "overview")}</p>
                    <button type="button" on:click=move |_| choosing.update(|c| *c = !*c) aria-expanded=move || choosing.get().to_string()>{format!("Track {title}")}</button>
                </div>
            </div>
            <Show when=move || choosing.get()>
                <form class="track-form" on:submit=track novalidate>
                    <fieldset class:invalid=move || errors.message("release_types").is_some()>
                        <legend>"Tell me about"</legend>
                        {RELEASE_TYPES.map(|(kind, label)| view! {
                            <label class="check-label"><input type="checkbox" name="release_type" value=kind
                                prop:checked=move || chosen.with(|c| c.iter().any(|k| k == kind))
                                on:change=move |e| { let on = leptos::prelude::event_target_checked(&e); chosen.update(|c| { c.retain(|k| k != kind); if on { c.push(kind.to_owned()); } }); }/>
                                {format!(" {label}")}</label>
                        }).collect_view()}
                        {move || errors.message("release_types").map(|m| view! { <p class="field-error" role="alert" data-field="release_types">{m}</p> })}
                    </fieldset>
                    <Field label="Region (two letters)" field="region" errors=errors>
                        <input name="region" maxlength="2" size="3" autocomplete="off" prop:value=move || region.get() on:input=move |e| region.set(value_of(&e))/>
                    </Field>
                    <FormSummary errors=errors/>
                    <button type="submit">"Start tracking"</button>
                </form>
            </Show>
            {move || tracking.get().then(|| view! { <p class="notice" role="status">"Tracking."</p> })}
        </li>
    }
}
