//! Task recurrence: the next due date after completing a recurring task.

use chrono::{Datelike as _, Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::birthday::days_in_month;

/// How often a task repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

impl Frequency {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
            Self::Yearly => "yearly",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "daily" => Some(Self::Daily),
            "weekly" => Some(Self::Weekly),
            "monthly" => Some(Self::Monthly),
            "yearly" => Some(Self::Yearly),
            _ => None,
        }
    }
}

/// A repetition rule: every `interval` days, weeks, months or years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"frequency": "monthly", "interval": 1}))]
pub struct Recurrence {
    pub frequency: Frequency,
    /// 1 to 365.
    #[serde(default = "one")]
    pub interval: u32,
}

fn one() -> u32 {
    1
}

impl Recurrence {
    /// The due date after `due`. Monthly and yearly rules keep to the `anchor_day` of the month where the month has
    /// it and fall on the month's last day where it does not: a task on the 31st is due on 30 April, then 31 May.
    pub fn next_after(&self, due: NaiveDate, anchor_day: u32) -> Option<NaiveDate> {
        let interval = self.interval.max(1);
        match self.frequency {
            Frequency::Daily => due.checked_add_days(Days::new(u64::from(interval))),
            Frequency::Weekly => due.checked_add_days(Days::new(7 * u64::from(interval))),
            Frequency::Monthly => add_months_anchored(due, interval, anchor_day),
            Frequency::Yearly => add_months_anchored(due, interval.checked_mul(12)?, anchor_day),
        }
    }
}

fn add_months_anchored(due: NaiveDate, months: u32, anchor_day: u32) -> Option<NaiveDate> {
    let first = due.with_day(1)?.checked_add_months(Months::new(months))?;
    let day = anchor_day.clamp(1, 31).min(days_in_month(first.year(), first.month()));
    first.with_day(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_monthly_task_on_the_31st_falls_on_the_last_day_of_shorter_months_and_returns() {
        let monthly = Recurrence {
            frequency: Frequency::Monthly,
            interval: 1,
        };
        let mut due = date(2027, 1, 31);
        let mut seen = vec![];
        for _ in 0..4 {
            due = monthly.next_after(due, 31).unwrap();
            seen.push(due);
        }
        assert_eq!(
            seen,
            [
                date(2027, 2, 28),
                date(2027, 3, 31),
                date(2027, 4, 30),
                date(2027, 5, 31)
            ]
        );
    }

    #[test]
    fn intervals_and_leap_years() {
        let every_two_weeks = Recurrence {
            frequency: Frequency::Weekly,
            interval: 2,
        };
        assert_eq!(
            every_two_weeks.next_after(date(2026, 12, 28), 28),
            Some(date(2027, 1, 11))
        );
        let yearly = Recurrence {
            frequency: Frequency::Yearly,
            interval: 1,
        };
        assert_eq!(yearly.next_after(date(2024, 2, 29), 29), Some(date(2025, 2, 28)));
        assert_eq!(yearly.next_after(date(2027, 2, 28), 29), Some(date(2028, 2, 29)));
        let daily = Recurrence {
            frequency: Frequency::Daily,
            interval: 3,
        };
        assert_eq!(daily.next_after(date(2026, 12, 30), 30), Some(date(2027, 1, 2)));
    }
}

/// Properties over every due date from 1900 to 2200 and every interval the API accepts.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn the_next_due_date_is_later_and_keeps_to_the_rule(
            offset in 0_i64..300 * 366, interval in 1_u32..=365, anchor in 1_u32..=31,
            frequency in prop_oneof![Just(Frequency::Daily), Just(Frequency::Weekly), Just(Frequency::Monthly), Just(Frequency::Yearly)]
        ) {
            let due = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(offset);
            let next = Recurrence { frequency, interval }.next_after(due, anchor).unwrap();
            prop_assert!(next > due);
            let months = |d: NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
            match frequency {
                Frequency::Daily => prop_assert_eq!((next - due).num_days(), i64::from(interval)),
                Frequency::Weekly => prop_assert_eq!((next - due).num_days(), 7 * i64::from(interval)),
                Frequency::Monthly | Frequency::Yearly => {
                    let step = if frequency == Frequency::Monthly { interval } else { interval * 12 };
                    prop_assert_eq!(months(next) - months(due), i64::from(step));
                    prop_assert_eq!(next.day(), anchor.min(days_in_month(next.year(), next.month())));
                }
            }
        }
    }
}
