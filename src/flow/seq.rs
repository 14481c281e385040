//! TCP sequence numbers with wraparound (RFC 793 §3.3; RFC 1982 serial
//! arithmetic): comparisons are by the signed 32-bit distance, so callers
//! never see the wrap at 2^32.

use std::cmp::Ordering;
use std::ops::Add;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeqNumber(pub u32);

/// The sequence number `n` bytes later.
impl Add<u32> for SeqNumber {
    type Output = SeqNumber;

    fn add(self, n: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(n))
    }
}

impl SeqNumber {
    /// Signed distance from `earlier` to `self` (positive if `self` is later).
    pub fn diff(self, earlier: SeqNumber) -> i64 {
        i64::from(self.0.wrapping_sub(earlier.0) as i32)
    }
}

impl PartialOrd for SeqNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.diff(*other).cmp(&0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_survives_wraparound() {
        let before = SeqNumber(u32::MAX - 10);
        let after = before + 20;
        assert_eq!(after, SeqNumber(9));
        assert!(before < after);
        assert_eq!(after.diff(before), 20);
        assert_eq!(before.diff(after), -20);
    }
}
