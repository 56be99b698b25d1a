//! Time: the store's clock (replaceable in tests) and RFC 3339 UTC formatting.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
pub type UnixMillis = i64;

/// Where a store reads the time: the system clock, or a test's own.
#[derive(Clone)]
pub struct Clock(Option<Arc<dyn Fn() -> UnixMillis + Send + Sync>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock that reads `f` (for tests of deletion windows).
    pub fn from_fn(f: impl Fn() -> UnixMillis + Send + Sync + 'static) -> Clock {
        Clock(Some(Arc::new(f)))
    }

    /// The current time.
    pub fn now(&self) -> UnixMillis {
        match &self.0 {
            Some(f) => f(),
            None => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
        }
    }
}

/// Milliseconds in a day.
pub const DAY_MILLIS: i64 = 86_400_000;

/// Formats `t` as RFC 3339 UTC with whole seconds: `2026-11-22T15:39:20Z`.
pub fn rfc3339(t: UnixMillis) -> String {
    let (date, secs) = split(t);
    format!(
        "{date}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Formats `t` as RFC 3339 UTC with milliseconds: `2026-11-22T15:39:20.123Z`.
pub fn rfc3339_millis(t: UnixMillis) -> String {
    let (date, secs) = split(t);
    format!(
        "{date}T{:02}:{:02}:{:02}.{:03}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        t.rem_euclid(1000)
    )
}

/// The date `YYYY-MM-DD` and the seconds into that day.
fn split(t: UnixMillis) -> (String, i64) {
    let secs = t.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm), proleptic Gregorian calendar.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        secs.rem_euclid(86_400),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(
            rfc3339_millis(1_795_362_560_123),
            "2026-11-22T15:49:20.123Z"
        );
        assert_eq!(rfc3339(4_102_444_799_000), "2099-12-31T23:59:59Z");
    }
}
