//! Domain types parsed once at the edge: a request's raw strings become these, or a per-field error.

pub mod birthday;
pub mod recurrence;
pub mod template;

use std::collections::HashSet;
use std::sync::LazyLock;

/// A field-level validation failure: which field, and what is wrong with it in words a person understands.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The request field, as named in the JSON body or query string.
    #[schema(example = "username")]
    pub field: String,
    #[schema(example = "must be 3 to 32 characters")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A username: 3 to 32 letters, digits, `_`, `-` or `.`; compared case-insensitively.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let len = raw.chars().count();
        if !(3..=32).contains(&len) {
            return Err("must be 3 to 32 characters".to_owned());
        }
        if !raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            return Err("may contain only letters, digits, '_', '-' and '.'".to_owned());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form used for uniqueness and lookup.
    pub fn normalized(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

/// An email address, kept as typed and compared in lower case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.len() > 254 {
            return Err("must be at most 254 characters".to_owned());
        }
        let parsed = trimmed
            .parse::<email_address::EmailAddress>()
            .map_err(|_| "is not a valid email address".to_owned())?;
        // Display names and comments ("Ann <a@b.c>") are valid RFC 5322 but not an address to store.
        if parsed.as_str() != trimmed
            || !parsed.domain().contains('.')
            || trimmed.chars().any(|c| c.is_whitespace() || c == '<')
        {
            return Err("is not a valid email address".to_owned());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| include_str!("../../data/common-passwords.txt").lines().collect());

/// A new password: 8 to 128 characters, no composition rules, not one of the commonly breached ones.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let len = raw.chars().count();
        if len < 8 {
            return Err("must be at least 8 characters".to_owned());
        }
        if len > 128 {
            return Err("must be at most 128 characters".to_owned());
        }
        if COMMON_PASSWORDS.contains(raw.to_lowercase().as_str()) {
            return Err("is too common: it appears in lists of breached passwords".to_owned());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Parses an IANA time zone name such as `Europe/Berlin`.
pub fn parse_timezone(raw: &str) -> Result<chrono_tz::Tz, String> {
    raw.parse::<chrono_tz::Tz>()
        .map_err(|_| format!("`{raw}` is not an IANA time zone such as Europe/Berlin"))
}

const REGION_CODES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// Whether `code` is an ISO 3166-1 alpha-2 country code (upper case).
pub fn is_region_code(code: &str) -> bool {
    code.len() == 2 && REGION_CODES.split(' ').any(|c| c == code)
}

/// Parses a region code, accepting lower case.
pub fn parse_region(raw: &str) -> Result<String, String> {
    let upper = raw.trim().to_ascii_uppercase();
    if is_region_code(&upper) {
        Ok(upper)
    } else {
        Err(format!("`{raw}` is not an ISO 3166-1 alpha-2 country code such as DE"))
    }
}

/// Parses a language tag of the form `en` or `pt-BR` (ISO 639-1 language, optional ISO 3166-1 region).
pub fn parse_language(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let (language, region) = raw.split_once('-').map_or((raw, None), |(l, r)| (l, Some(r)));
    let language_ok = (2..=3).contains(&language.len()) && language.chars().all(|c| c.is_ascii_alphabetic());
    let region_ok = region.is_none_or(|r| is_region_code(&r.to_ascii_uppercase()));
    if language_ok && region_ok {
        Ok(match region {
            Some(region) => format!("{}-{}", language.to_ascii_lowercase(), region.to_ascii_uppercase()),
            None => language.to_ascii_lowercase(),
        })
    } else {
        Err(format!("`{raw}` is not a language tag such as en or pt-BR"))
    }
}

/// The dates the planner accepts anywhere: wide enough for any plan, narrow enough for every database and calendar.
pub fn check_date(date: chrono::NaiveDate) -> Result<chrono::NaiveDate, String> {
    use chrono::Datelike as _;
    if (1900..=2199).contains(&date.year()) {
        Ok(date)
    } else {
        Err("must be between 1900-01-01 and 2199-12-31".to_owned())
    }
}

/// Parses a wall-clock time `HH:MM`.
pub fn parse_clock_time(raw: &str) -> Result<String, String> {
    match chrono::NaiveTime::parse_from_str(raw, "%H:%M") {
        Ok(time) if raw.len() == 5 => Ok(time.format("%H:%M").to_string()),
        _ => Err("must be HH:MM, such as 07:30".to_owned()),
    }
}

/// Parses a display name: 1 to 100 characters, no control characters.
pub fn parse_display_name(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    let len = trimmed.chars().count();
    if len == 0 || len > 100 {
        return Err("must be 1 to 100 characters".to_owned());
    }
    if trimmed.chars().any(char::is_control) {
        return Err("must not contain control characters".to_owned());
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_documented_alphabet_and_length() {
        assert!(Username::parse("ann.lee-2_x").is_ok());
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(33)).is_err());
        assert!(Username::parse("ann lee").is_err());
        assert!(Username::parse("änn").is_err());
        assert_eq!(Username::parse("Ann").unwrap().normalized(), "ann");
    }

    #[test]
    fn emails_are_validated_and_normalized() {
        assert_eq!(Email::parse("Ann@Example.COM").unwrap().normalized(), "ann@example.com");
        for bad in [
            "ann",
            "ann@",
            "@example.com",
            "Ann <ann@example.com>",
            "ann@localhost",
            "a b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn common_and_short_passwords_are_refused_without_composition_rules() {
        assert!(NewPassword::parse("password1").is_err());
        assert!(NewPassword::parse("PassWord1").is_err(), "comparison ignores case");
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse(&"x".repeat(129)).is_err());
        assert!(NewPassword::parse("correct horse battery staple").is_ok());
        assert!(NewPassword::parse("zzzzqqqqwwwwbbbb").is_ok(), "no composition rules");
    }

    #[test]
    fn regions_and_timezones() {
        assert_eq!(parse_region("de").unwrap(), "DE");
        assert!(parse_region("XX").is_err());
        assert!(parse_timezone("Pacific/Kiritimati").is_ok());
        assert!(parse_timezone("Mars/Base").is_err());
    }
}

/// Properties of the account parsers over arbitrary input: they never panic, and what they accept is what they say.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::template::Template;
    use crate::routes::birthdays::parse_subject;

    proptest! {
        #[test]
        fn an_accepted_username_has_only_the_allowed_characters(raw in any::<String>()) {
            if let Ok(name) = Username::parse(&raw) {
                prop_assert!((3..=32).contains(&name.as_str().len()));
                prop_assert!(name.as_str().chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)));
            }
        }

        #[test]
        fn an_accepted_email_is_one_trimmed_address_without_whitespace_or_line_breaks(raw in any::<String>()) {
            if let Ok(email) = Email::parse(&raw) {
                prop_assert!(email.as_str().len() <= 254);
                prop_assert!(!email.as_str().chars().any(|c| c.is_whitespace() || c.is_control() || c == '<'));
                prop_assert_eq!(email.as_str().matches('@').count() >= 1, true);
            }
        }

        #[test]
        fn usernames_and_emails_built_from_valid_parts_are_accepted(
            local in "[a-z0-9][a-z0-9_-]{1,20}[a-z0-9]", domain in "[a-z0-9]{1,20}\\.[a-z]{2,6}"
        ) {
            prop_assert!(Username::parse(&local).is_ok());
            prop_assert!(Email::parse(&format!("{local}@{domain}")).is_ok(), "{}@{}", local, domain);
        }

        #[test]
        fn a_new_password_is_refused_exactly_when_too_short_too_long_or_common(raw in any::<String>()) {
            let len = raw.chars().count();
            let expected = (8..=128).contains(&len) && !COMMON_PASSWORDS.contains(raw.to_lowercase().as_str());
            prop_assert_eq!(NewPassword::parse(&raw).is_ok(), expected);
        }

        #[test]
        fn an_accepted_subject_is_one_line_and_a_valid_template(raw in any::<String>()) {
            if let Ok(subject) = parse_subject(&raw) {
                prop_assert!(!subject.contains(['\r', '\n']));
                prop_assert!(Template::parse(&subject).is_ok());
            }
            let with_break = format!("{raw}\r\nBcc: victim@example.com");
            prop_assert!(parse_subject(&with_break).is_err(), "a header injection is refused");
        }

        #[test]
        fn a_time_zone_is_accepted_exactly_when_it_is_an_iana_name(raw in prop_oneof![
            any::<String>(),
            prop::sample::select(chrono_tz::TZ_VARIANTS.to_vec()).prop_map(|z| z.name().to_owned()),
        ]) {
            let known = chrono_tz::TZ_VARIANTS.iter().any(|z| z.name() == raw);
            prop_assert_eq!(parse_timezone(&raw).is_ok(), known);
        }
    }
}
