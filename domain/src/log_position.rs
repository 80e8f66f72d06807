//! Where an event sits in the ordered log.

use serde::{Deserialize, Serialize};

/// The place of an event in the global log. The log is read in `(tx_id, position)`
/// order: `tx_id` is the writing transaction (a Postgres `xid8`), `position` the row's
/// global sequence number. A projection that has applied up to a `LogPosition` has
/// applied every event that sorts at or before it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct LogPosition {
    /// The writing transaction's id.
    pub tx_id: i64,
    /// The event's global position.
    pub position: i64,
}

impl LogPosition {
    /// The position before every event.
    pub const START: LogPosition = LogPosition {
        tx_id: 0,
        position: 0,
    };

    /// The position after every event: a read bounded by it is not bounded.
    pub const END: LogPosition = LogPosition {
        tx_id: i64::MAX,
        position: i64::MAX,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_order_by_transaction_before_position() {
        let early_tx_high_position = LogPosition {
            tx_id: 10,
            position: 99,
        };
        let late_tx_low_position = LogPosition {
            tx_id: 11,
            position: 5,
        };
        assert!(early_tx_high_position < late_tx_low_position);
        assert!(LogPosition::START < early_tx_high_position);
    }
}
