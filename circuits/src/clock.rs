//! The one reading of the system clock every crate uses: unix seconds, and
//! the day number that credentials' expiries and proofs' `today` count in.

/// Seconds in a day: expiries and `today` count whole days since 1970-01-01.
pub const SECONDS_PER_DAY: u64 = 86_400;

/// Unix seconds now (0 if the clock is before 1970).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Unix microseconds now (0 if the clock is before 1970): a transaction
/// nonce that grows between calls.
pub fn unix_now_micros() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The day number of unix time `secs`.
pub fn day_of(secs: u64) -> u32 {
    u32::try_from(secs / SECONDS_PER_DAY).unwrap_or(u32::MAX)
}

/// Today, in days since 1970-01-01.
pub fn today() -> u32 {
    day_of(unix_now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_count_from_the_epoch() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(SECONDS_PER_DAY - 1), 0);
        assert_eq!(day_of(1_750_000_000), 20_254);
        assert!(today() >= 20_254 && unix_now() >= 1_750_000_000);
    }
}
