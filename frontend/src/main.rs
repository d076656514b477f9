//! All-in-One Planner in the browser: a client-side Leptos app that talks only to the documented `/api/v1`.

mod api;
mod app;
mod fmt;
mod logic;
mod pages;
mod ui;

fn main() {
    leptos::mount::mount_to_body(app::App);
}
