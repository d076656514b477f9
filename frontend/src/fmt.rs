//! Showing dates and times in the user's time zone and their locale's format, with the browser's `Intl`.

use js_sys::{Array, Date as JsDate, Intl, Object, Reflect};
use wasm_bindgen::JsValue;

use crate::logic::{Date, Shown, due_label, format_options, wall_clock_millis, weekday_reference_dates};

fn options(pairs: &[(&str, String)]) -> Object {
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

/// An instant (milliseconds since the epoch) as `Intl.DateTimeFormat` writes it in the user's locale.
fn format(millis: f64, shown: Shown, zone: &str) -> String {
    let locales = Array::of1(&JsValue::from_str(&locale()));
    let format = Intl::DateTimeFormat::new(&locales, &options(&format_options(shown, zone)));
    format
        .format()
        .call1(&JsValue::UNDEFINED, &JsDate::new(&JsValue::from_f64(millis)))
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_default()
}

fn civil(date: Date, shown: Shown) -> String {
    format(wall_clock_millis(date, None), shown, "UTC")
}

/// A moment (RFC 3339) as a date and time in `zone`.
pub fn moment(iso: &str, zone: &str) -> String {
    let millis = JsDate::new(&JsValue::from_str(iso)).get_time();
    if millis.is_nan() {
        return iso.to_owned();
    }
    format(millis, Shown::Moment, zone)
}

/// A calendar date (`YYYY-MM-DD`) with its weekday, in the locale's format.
pub fn day(ymd: &str) -> String {
    Date::parse(ymd).map_or_else(|| ymd.to_owned(), |date| civil(date, Shown::Day))
}

/// A task's due date and wall-clock time (already in the user's zone), in the locale's format.
pub fn due(due_date: &str, due_time: &str) -> String {
    due_label(
        due_date,
        due_time,
        |date| civil(date, Shown::Day),
        |millis| format(millis, Shown::Time, "UTC"),
    )
}

/// The month and year of a date, such as "December 2026" or "décembre 2026".
pub fn month_heading(date: Date) -> String {
    civil(date.first_of_month(), Shown::MonthYear)
}

/// The short names of the weekdays, Monday first.
pub fn weekday_names() -> Vec<String> {
    weekday_reference_dates()
        .into_iter()
        .map(|date| civil(date, Shown::Weekday))
        .collect()
}

/// Today's date in `zone`.
pub fn today_in(zone: &str) -> Date {
    let zone = crate::logic::zone_or_utc(zone);
    // The en-CA format is YYYY-MM-DD.
    let text: String = JsDate::new_0()
        .to_locale_date_string(
            "en-CA",
            &options(&[
                ("timeZone", zone.to_owned()),
                ("year", "numeric".to_owned()),
                ("month", "2-digit".to_owned()),
                ("day", "2-digit".to_owned()),
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
