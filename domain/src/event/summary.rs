//! Issue summary.
