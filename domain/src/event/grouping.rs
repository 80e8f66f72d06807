//! Grouping hashes.
