//! Alerts: workflows (Sentry's current name for alert rules) that notify people
//! when issues appear, regress or spike. `definition` holds what a workflow says
//! and the pure rules that evaluate it; the aggregate that records changes to it
//! and the evaluator that applies it to the log build on that.

pub mod definition;
