//! Times as people read them: a capture's timestamps in UTC, at the capture's own precision.

use crate::vocab::Timestamp;

/// `2026-11-24 18:11:12.154697 UTC`, at the capture's precision.
pub(crate) fn utc(ts: Timestamp) -> String {
    let days = ts.secs.div_euclid(86_400);
    let secs = ts.secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let digits = usize::from(ts.digits.min(9));
    let frac = ts.nanos / 10u32.pow(9 - digits as u32);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if digits > 0 {
        s.push_str(&format!(".{frac:0digits$}"));
    }
    s.push_str(" UTC");
    s
}

/// Clock time of day only, for the list's absolute time column.
pub(crate) fn time_of_day(ts: Timestamp) -> String {
    let secs = ts.secs.rem_euclid(86_400);
    let digits = usize::from(ts.digits.min(6));
    let frac = ts.nanos / 10u32.pow(9 - digits as u32);
    format!(
        "{:02}:{:02}:{:02}.{frac:0digits$}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_at_the_captures_precision() {
        // `date -u -d @1795447872` → Mon Nov 23 15:31:12 UTC 2026
        let ts = Timestamp {
            secs: 1_795_447_872,
            nanos: 154_697_000,
            digits: 6,
        };
        assert_eq!(utc(ts), "2026-11-23 15:31:12.154697 UTC");
        assert_eq!(time_of_day(ts), "15:31:12.154697");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
