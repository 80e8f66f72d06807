//! Every ingest request, and every item it carried, counted once by outcome.

use crate::error::ApiError;
use crate::metrics::{item_type_label, INGEST_ITEMS, INGEST_REQUESTS};

/// Counts a request when it is finished with, or dropped unfinished (the request
/// timeout or a client that went away: `unavailable`).
pub(super) struct Tally {
    endpoint: &'static str,
    /// The item types of the parsed envelope, in order (`event` for a store body).
    items: Vec<&'static str>,
    /// How many of `items` were accepted before the request failed.
    accepted: usize,
    counted: bool,
}

impl Tally {
    pub(super) fn new(endpoint: &'static str) -> Self {
        Self {
            endpoint,
            items: Vec::new(),
            accepted: 0,
            counted: false,
        }
    }

    /// The request carries an item of `item_type`.
    pub(super) fn item(&mut self, item_type: &str) {
        self.items.push(item_type_label(item_type));
    }

    /// The next item is accepted (stored, or counted and dropped as not stored).
    pub(super) fn accepted(&mut self) {
        self.accepted += 1;
    }

    /// Counts the request and its items: those accepted so far as accepted, the
    /// rest with the outcome of `result`.
    pub(super) fn finish<T>(mut self, result: &Result<T, ApiError>) {
        let outcome = match result {
            Ok(_) => "accepted",
            Err(error) => outcome_of(error),
        };
        self.count(outcome);
    }

    fn count(&mut self, outcome: &'static str) {
        self.counted = true;
        metrics::counter!(INGEST_REQUESTS, "endpoint" => self.endpoint, "outcome" => outcome)
            .increment(1);
        for (index, item_type) in self.items.iter().enumerate() {
            let outcome = if index < self.accepted {
                "accepted"
            } else {
                outcome
            };
            metrics::counter!(INGEST_ITEMS, "item_type" => *item_type, "outcome" => outcome)
                .increment(1);
        }
    }
}

impl Drop for Tally {
    fn drop(&mut self) {
        if !self.counted {
            self.count("unavailable");
        }
    }
}

/// The outcome label of a refused request.
fn outcome_of(error: &ApiError) -> &'static str {
    match error {
        ApiError::RateLimited { .. } => "rate_limited",
        ApiError::PayloadTooLarge(_) => "too_large",
        ApiError::Unauthorized(_) | ApiError::Forbidden | ApiError::ForbiddenBecause(_) => {
            "unauthorized"
        }
        ApiError::Unavailable | ApiError::TimedOut { .. } => "unavailable",
        ApiError::Internal(_) => "internal_error",
        ApiError::BadRequest(_)
        | ApiError::Fields(_)
        | ApiError::NotFound
        | ApiError::MethodNotAllowed(_)
        | ApiError::Conflict(_) => "invalid",
    }
}
