//! The All-in-One Planner single-page app; for now a placeholder page that points to the API documentation.

use leptos::prelude::*;

/// The root component.
#[component]
fn App() -> impl IntoView {
    view! {
        <main>
            <h1>"All-in-One Planner"</h1>
            <p>"The browser app is on its way. Meanwhile, the API is documented at " <a href="/docs/">"/docs"</a> "."</p>
        </main>
    }
}

fn main() {
    mount_to_body(App);
}
