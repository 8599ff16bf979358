//! UTC calendar time from Unix time, for the few places that print a date (backup names, the
//! web pages, MITRE 2.x metrics): one copy of the conversion instead of a date crate for three
//! format strings.

use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC calendar time, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UtcTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl UtcTime {
    /// The calendar time `secs` seconds after 1970-01-01T00:00:00Z (before it when negative).
    pub fn from_unix(secs: i64) -> UtcTime {
        let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        let rem = rem as u32;
        UtcTime {
            year,
            month,
            day,
            hour: rem / 3600,
            minute: rem % 3600 / 60,
            second: rem % 60,
        }
    }

    /// `t`, or the epoch for a time before it.
    pub fn from_system(t: SystemTime) -> UtcTime {
        let secs = t
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        UtcTime::from_unix(i64::try_from(secs).unwrap_or(i64::MAX))
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::UtcTime;

    fn at(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
        let t = UtcTime::from_unix(secs);
        (t.year, t.month, t.day, t.hour, t.minute, t.second)
    }

    #[test]
    fn calendar_times_across_leap_days_centuries_and_the_epoch() {
        assert_eq!(at(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(at(1_709_210_096), (2024, 2, 29, 12, 34, 56));
        assert_eq!(at(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(at(4_107_542_400), (2100, 3, 1, 0, 0, 0));
        assert_eq!(at(-1), (1969, 12, 31, 23, 59, 59));
        assert_eq!(at(1_551_052_800), (2019, 2, 25, 0, 0, 0));
    }
}
