//! Date values of `firstSeen:` and `lastSeen:`.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, TimeDelta, Utc};

use super::Comparison;

/// Parses a date value: a relative period (`-30m`, `-24h`, `-14d`, `-2w`, also `s`;
/// `-` means "within the last", `+` means "longer ago than"), or an optional operator
/// and an RFC 3339 date-time, a zone-less `YYYY-MM-DDTHH:MM:SS[.f]` (UTC) or a
/// `YYYY-MM-DD` (midnight UTC). `None` when it is none of these or out of range: the
/// date must fall in years 0000 to 9999, the range a query can write (four-digit
/// years), so a parsed query prints back to itself.
pub(super) fn parse_date(value: &str, now: DateTime<Utc>) -> Option<(Comparison, DateTime<Utc>)> {
    parse_any_date(value, now).filter(|(_, at)| (0..=9999).contains(&at.year()))
}

fn parse_any_date(value: &str, now: DateTime<Utc>) -> Option<(Comparison, DateTime<Utc>)> {
    if let Some(period) = value.strip_prefix('-') {
        return now
            .checked_sub_signed(parse_period(period)?)
            .map(|at| (Comparison::Gte, at));
    }
    if let Some(period) = value.strip_prefix('+') {
        return now
            .checked_sub_signed(parse_period(period)?)
            .map(|at| (Comparison::Lte, at));
    }
    let (op, rest) = Comparison::split(value);
    parse_absolute(rest).map(|at| (op, at))
}

/// `24h` → 24 hours. Digits then one unit of `s`, `m`, `h`, `d` or `w`.
fn parse_period(period: &str) -> Option<TimeDelta> {
    let unit = period.chars().last()?;
    let digits = &period[..period.len() - unit.len_utf8()];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    match unit {
        's' => TimeDelta::try_seconds(n),
        'm' => TimeDelta::try_minutes(n),
        'h' => TimeDelta::try_hours(n),
        'd' => TimeDelta::try_days(n),
        'w' => TimeDelta::try_weeks(n),
        _ => None,
    }
}

fn parse_absolute(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(s) {
        return Some(at.with_timezone(&Utc));
    }
    if let Ok(at) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(at.and_utc());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc())
}
