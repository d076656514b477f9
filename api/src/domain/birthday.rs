//! Birthday dates: validation, the next occurrence, the age, and 29 February in common years.

use chrono::{Datelike as _, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a 29 February birthday falls in a common year.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeapDayRule {
    /// On 28 February.
    #[default]
    Feb28,
    /// On 1 March.
    Mar1,
}

impl LeapDayRule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Feb28 => "feb28",
            Self::Mar1 => "mar1",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "feb28" => Some(Self::Feb28),
            "mar1" => Some(Self::Mar1),
            _ => None,
        }
    }
}

/// A validated birthday: a month and day that exist, with an optional birth year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BirthDate {
    pub month: u32,
    pub day: u32,
    pub year: Option<i32>,
}

impl BirthDate {
    /// Checks the date exists: 31 April never, 29 February only in leap years (or with no year).
    ///
    /// # Errors
    /// The field at fault and why.
    pub fn new(month: u32, day: u32, year: Option<i32>, today: NaiveDate) -> Result<Self, (&'static str, String)> {
        if !(1..=12).contains(&month) {
            return Err(("month", "must be 1 to 12".to_owned()));
        }
        if let Some(year) = year {
            if !(1800..=today.year()).contains(&year) {
                return Err(("year", format!("must be between 1800 and {}", today.year())));
            }
            let Some(date) = NaiveDate::from_ymd_opt(year, month, day) else {
                return Err(("day", format!("{year}-{month:02}-{day:02} does not exist")));
            };
            if date > today {
                return Err(("year", "the birthday is in the future".to_owned()));
            }
        } else if day == 0 || day > days_in_month(2024, month) {
            // 2024 is a leap year, so 29 February is allowed when the year is unknown.
            return Err(("day", format!("month {month} has no day {day}")));
        }
        Ok(Self { month, day, year })
    }

    /// The date the birthday is celebrated in `year`.
    pub fn in_year(&self, year: i32, rule: LeapDayRule) -> NaiveDate {
        if let Some(date) = NaiveDate::from_ymd_opt(year, self.month, self.day) {
            return date;
        }
        // Only 29 February can be missing from a year.
        match rule {
            LeapDayRule::Feb28 => NaiveDate::from_ymd_opt(year, 2, 28),
            LeapDayRule::Mar1 => NaiveDate::from_ymd_opt(year, 3, 1),
        }
        .unwrap_or(NaiveDate::MIN)
    }

    /// The first celebration on or after `today`.
    pub fn next_occurrence(&self, today: NaiveDate, rule: LeapDayRule) -> NaiveDate {
        let this_year = self.in_year(today.year(), rule);
        if this_year >= today {
            this_year
        } else {
            self.in_year(today.year() + 1, rule)
        }
    }

    /// Every celebration from `from` to `to`, both included.
    pub fn occurrences_between(&self, from: NaiveDate, to: NaiveDate, rule: LeapDayRule) -> Vec<NaiveDate> {
        (from.year()..=to.year())
            .map(|year| self.in_year(year, rule))
            .filter(|date| *date >= from && *date <= to && self.year.is_none_or(|born| date.year() >= born))
            .collect()
    }

    /// The age reached at a celebration, when the birth year is known.
    pub fn age_at(&self, occurrence: NaiveDate) -> Option<i32> {
        self.year.map(|born| occurrence.year() - born)
    }
}

/// Days in a month of a year.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)
        .and_then(|first| first.pred_opt())
        .map_or(28, |last| last.day())
}

/// Every calendar day (month, day) a reminder `days_before` the birthday can fall on, whatever the year: the day
/// moves with 29 February and with leap years in between, so it is worked out in a common year after a leap year,
/// a common year after a common one, and a leap year (always after a common one).
pub fn reminder_calendar_days(date: &BirthDate, rule: LeapDayRule, days_before: &[u16]) -> Vec<(u32, u32)> {
    let mut days = Vec::new();
    for before in days_before {
        for year in [2001, 2002, 2004] {
            let on = date.in_year(year, rule) - chrono::Duration::days(i64::from(*before));
            let pair = (on.month(), on.day());
            if !days.contains(&pair) {
                days.push(pair);
            }
        }
    }
    days
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn impossible_dates_are_refused() {
        let today = date(2026, 12, 4);
        assert_eq!(BirthDate::new(4, 31, None, today).unwrap_err().0, "day");
        assert_eq!(BirthDate::new(2, 30, None, today).unwrap_err().0, "day");
        assert_eq!(BirthDate::new(2, 29, Some(2023), today).unwrap_err().0, "day");
        assert_eq!(BirthDate::new(13, 1, None, today).unwrap_err().0, "month");
        assert_eq!(BirthDate::new(12, 5, Some(2026), today).unwrap_err().0, "year");
        assert!(BirthDate::new(2, 29, Some(2024), today).is_ok());
        assert!(BirthDate::new(2, 29, None, today).is_ok());
    }

    #[test]
    fn leap_day_birthdays_follow_the_rule_in_common_years() {
        let leapling = BirthDate::new(2, 29, Some(2000), date(2026, 1, 1)).unwrap();
        assert_eq!(
            leapling.next_occurrence(date(2027, 1, 1), LeapDayRule::Feb28),
            date(2027, 2, 28)
        );
        assert_eq!(
            leapling.next_occurrence(date(2027, 1, 1), LeapDayRule::Mar1),
            date(2027, 3, 1)
        );
        assert_eq!(
            leapling.next_occurrence(date(2028, 1, 1), LeapDayRule::Mar1),
            date(2028, 2, 29)
        );
        assert_eq!(leapling.age_at(date(2027, 2, 28)), Some(27));
    }

    #[test]
    fn the_next_occurrence_is_today_or_later() {
        let b = BirthDate::new(12, 4, Some(1990), date(2026, 1, 1)).unwrap();
        assert_eq!(
            b.next_occurrence(date(2026, 12, 4), LeapDayRule::Feb28),
            date(2026, 12, 4)
        );
        assert_eq!(
            b.next_occurrence(date(2026, 12, 5), LeapDayRule::Feb28),
            date(2027, 12, 4)
        );
        assert_eq!(
            b.occurrences_between(date(2026, 1, 1), date(2027, 12, 31), LeapDayRule::Feb28)
                .len(),
            2
        );
    }

    #[test]
    fn reminder_days_cover_every_kind_of_year() {
        let leap_day = BirthDate {
            month: 2,
            day: 29,
            year: None,
        };
        // Seven days before: 22 February in a leap year; 21 or 22 February in common ones, by the rule.
        let days = reminder_calendar_days(&leap_day, LeapDayRule::Feb28, &[7]);
        assert_eq!(days, [(2, 21), (2, 22)]);
        let days = reminder_calendar_days(&leap_day, LeapDayRule::Mar1, &[0, 7]);
        assert_eq!(days, [(3, 1), (2, 29), (2, 22)]);
        // 1 March, 366 days before: in 2000 (leap) that is 1 March 2000; after a common year, 28 February.
        let march = BirthDate {
            month: 3,
            day: 1,
            year: Some(1990),
        };
        let days = reminder_calendar_days(&march, LeapDayRule::Feb28, &[366]);
        assert!(days.contains(&(2, 28)) && days.contains(&(2, 29)), "{days:?}");
    }
}

/// Properties over every birthday, day and year the app accepts (years 1900 to 2200).
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn any_day() -> impl Strategy<Value = NaiveDate> {
        (0_i64..300 * 366)
            .prop_map(|offset| NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(offset))
    }

    /// Any birthday with no year: every (month, day) of a leap year.
    fn any_birthday() -> impl Strategy<Value = BirthDate> {
        (0_i64..366).prop_map(|offset| {
            let date = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(offset);
            BirthDate {
                month: date.month(),
                day: date.day(),
                year: None,
            }
        })
    }

    fn any_rule() -> impl Strategy<Value = LeapDayRule> {
        prop_oneof![Just(LeapDayRule::Feb28), Just(LeapDayRule::Mar1)]
    }

    proptest! {
        #[test]
        fn the_next_celebration_is_within_a_year_and_on_the_day_or_the_leap_rules_day(
            birthday in any_birthday(), today in any_day(), rule in any_rule()
        ) {
            let next = birthday.next_occurrence(today, rule);
            prop_assert!(next >= today);
            prop_assert!(next < today + chrono::Duration::days(366));
            if (next.month(), next.day()) != (birthday.month, birthday.day) {
                prop_assert_eq!((birthday.month, birthday.day), (2, 29));
                prop_assert!(NaiveDate::from_ymd_opt(next.year(), 2, 29).is_none(), "moved in a leap year");
                let expected = match rule { LeapDayRule::Feb28 => (2, 28), LeapDayRule::Mar1 => (3, 1) };
                prop_assert_eq!((next.month(), next.day()), expected);
            }
        }

        #[test]
        fn every_reminder_day_of_every_year_is_among_the_indexed_calendar_days(
            birthday in any_birthday(), rule in any_rule(), before in 0_u16..=365, year in 1900_i32..2200
        ) {
            let indexed = reminder_calendar_days(&birthday, rule, &[before]);
            let on = birthday.in_year(year, rule) - chrono::Duration::days(i64::from(before));
            prop_assert!(indexed.contains(&(on.month(), on.day())), "{:?} not in {:?}", on, indexed);
        }

        #[test]
        fn occurrences_in_a_window_are_the_celebrations_in_it_once_each(
            birthday in any_birthday(), from in any_day(), days in 0_i64..2000, rule in any_rule()
        ) {
            let to = from + chrono::Duration::days(days);
            let seen = birthday.occurrences_between(from, to, rule);
            prop_assert!(seen.windows(2).all(|w| w[0].year() < w[1].year()), "one a year, in order");
            prop_assert!(seen.iter().all(|d| *d >= from && *d <= to));
            let expected = (from.year()..=to.year()).filter(|y| { let d = birthday.in_year(*y, rule); d >= from && d <= to }).count();
            prop_assert_eq!(seen.len(), expected);
        }

        #[test]
        fn a_date_is_accepted_exactly_when_it_exists_and_is_not_in_the_future(
            month in 0_u32..14, day in 0_u32..33, year in prop::option::of(1700_i32..2300), today in any_day()
        ) {
            let accepted = BirthDate::new(month, day, year, today).is_ok();
            let exists = match year {
                Some(y) => NaiveDate::from_ymd_opt(y, month, day).is_some_and(|d| d <= today && y >= 1800),
                None => NaiveDate::from_ymd_opt(2024, month, day).is_some(),
            };
            prop_assert_eq!(accepted, exists);
        }
    }
}
