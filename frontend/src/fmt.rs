//! Showing dates and times in the user's time zone and their locale's format, with the browser's `Intl`.

use js_sys::{Array, Date as JsDate, Object, Reflect};
use wasm_bindgen::JsValue;

use crate::logic::Date;

fn options(pairs: &[(&str, &str)]) -> Object {
    let object = Object::new();
    for (key, value) in pairs {
        let _ = Reflect::set(&object, &JsValue::from_str(key), &JsValue::from_str(value));
    }
    object
}

/// The browser's preferred language, such as `en-GB`.
pub fn locale() -> String {
    web_sys::window()
        .and_then(|w| w.navigator().language())
        .unwrap_or_else(|| "en".to_owned())
}

/// A moment (RFC 3339) as a date and time in `zone`.
pub fn moment(iso: &str, zone: &str) -> String {
    let date = JsDate::new(&JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return iso.to_owned();
    }
    let zone = if zone.is_empty() { "UTC" } else { zone };
    date.to_locale_string(
        &locale(),
        &options(&[("timeZone", zone), ("dateStyle", "medium"), ("timeStyle", "short")]),
    )
    .into()
}

/// A calendar date (`YYYY-MM-DD`) with its weekday, in the locale's format.
pub fn day(ymd: &str) -> String {
    let Some(date) = Date::parse(ymd) else {
        return ymd.to_owned();
    };
    let utc = JsDate::new(&JsValue::from_f64(date.days_since_epoch() as f64 * 86_400_000.0));
    utc.to_locale_date_string(
        &locale(),
        &options(&[
            ("timeZone", "UTC"),
            ("weekday", "short"),
            ("day", "numeric"),
            ("month", "short"),
            ("year", "numeric"),
        ]),
    )
    .into()
}

/// Today's date in `zone`.
pub fn today_in(zone: &str) -> Date {
    let zone = if zone.is_empty() { "UTC" } else { zone };
    // The en-CA format is YYYY-MM-DD.
    let text: String = JsDate::new_0()
        .to_locale_date_string(
            "en-CA",
            &options(&[
                ("timeZone", zone),
                ("year", "numeric"),
                ("month", "2-digit"),
                ("day", "2-digit"),
            ]),
        )
        .into();
    Date::parse(&text).unwrap_or(Date {
        year: 2026,
        month: 1,
        day: 1,
    })
}

/// Every IANA time zone the browser knows, for the searchable list.
pub fn time_zones() -> Vec<String> {
    let intl = Reflect::get(&js_sys::global(), &JsValue::from_str("Intl")).unwrap_or(JsValue::UNDEFINED);
    let supported = Reflect::get(&intl, &JsValue::from_str("supportedValuesOf")).unwrap_or(JsValue::UNDEFINED);
    let Ok(function) = supported.dyn_into_function() else {
        return vec!["UTC".to_owned()];
    };
    function
        .call1(&intl, &JsValue::from_str("timeZone"))
        .ok()
        .map(|zones| Array::from(&zones).iter().filter_map(|z| z.as_string()).collect())
        .unwrap_or_else(|| vec!["UTC".to_owned()])
}

trait DynIntoFunction {
    fn dyn_into_function(self) -> Result<js_sys::Function, JsValue>;
}

impl DynIntoFunction for JsValue {
    fn dyn_into_function(self) -> Result<js_sys::Function, JsValue> {
        wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(self)
    }
}
