//! Pieces every page uses: a fetch shown as loading, error-with-retry or content; labelled fields with the API's
//! message under them; the checks run before a form is sent.

use leptos::prelude::*;

use crate::api::ApiError;

/// Per-field messages of the form being edited, and a message for the whole form.
#[derive(Clone, Copy)]
pub struct FormErrors {
    pub fields: RwSignal<Vec<(String, String)>>,
    pub summary: RwSignal<Option<String>>,
}

impl FormErrors {
    pub fn new() -> Self {
        Self {
            fields: RwSignal::new(Vec::new()),
            summary: RwSignal::new(None),
        }
    }

    pub fn clear(self) {
        self.fields.set(Vec::new());
        self.summary.set(None);
    }

    /// Records the result of a check made before sending; `true` when it passed.
    pub fn check(self, field: &str, result: Result<(), String>) -> bool {
        match result {
            Ok(()) => true,
            Err(message) => {
                self.fields.update(|fields| fields.push((field.to_owned(), message)));
                false
            }
        }
    }

    /// Shows what the API refused, next to the fields it named.
    pub fn show(self, error: &ApiError) {
        self.fields.set(error.fields.clone());
        self.summary.set(Some(error.detail.clone()));
    }

    pub fn message(self, field: &str) -> Option<String> {
        self.fields
            .with(|fields| fields.iter().find(|(f, _)| f == field).map(|(_, m)| m.clone()))
    }
}

impl Default for FormErrors {
    fn default() -> Self {
        Self::new()
    }
}

/// A labelled control with the message for its field, if any, read out by screen readers.
#[component]
pub fn Field(label: &'static str, field: &'static str, errors: FormErrors, children: Children) -> impl IntoView {
    view! {
        <div class="field" class:invalid=move || errors.message(field).is_some()>
            <label>
                <span class="label">{label}</span>
                {children()}
            </label>
            {move || errors.message(field).map(|message| view! {
                <p class="field-error" role="alert" data-field=field>{message}</p>
            })}
        </div>
    }
}

/// The message for a whole form.
#[component]
pub fn FormSummary(errors: FormErrors) -> impl IntoView {
    move || {
        errors
            .summary
            .get()
            .map(|message| view! { <p class="form-error" role="alert">{message}</p> })
    }
}

/// A fetch in progress, failed (with a way to try again) or done.
pub fn loaded<T, V>(
    resource: LocalResource<Result<T, ApiError>>,
    render: impl Fn(T) -> V + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    move || match resource.get() {
        None => view! { <p class="loading" role="status" aria-live="polite">"Loading…"</p> }.into_any(),
        Some(Ok(value)) => render(value).into_any(),
        Some(Err(error)) => view! {
            <div class="error" role="alert">
                <p>{error.detail.clone()}</p>
                <button type="button" on:click=move |_| resource.refetch()>"Try again"</button>
            </div>
        }
        .into_any(),
    }
}

/// A failed action's message, read out at once; nothing when there is none.
pub fn failure(message: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        message
            .get()
            .map(|text| view! { <p class="form-error" role="alert">{text}</p> })
    }
}

/// The text of an input event's target.
pub fn value_of(event: &leptos::ev::Event) -> String {
    event_target_value(event)
}

/// Whether a checkbox event's target is checked.
pub fn checked_of(event: &leptos::ev::Event) -> bool {
    event_target_checked(event)
}

/// An optional text: `None` when blank.
pub fn non_empty(text: &str) -> Option<String> {
    let trimmed = text.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}
