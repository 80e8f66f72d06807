//! Faultline's black-box and cross-crate tests, compiled into one binary.
//!
//! Every test gets its own fresh database on the Postgres named by `DATABASE_URL`
//! (the test script starts a throwaway cluster). Server logs are shown when
//! `TEST_LOG` is set.

mod accounts;
mod accounts_projects;
mod alert_rules;
mod alerts;
mod api_contract;
mod audit_log;
mod bootstrap;
mod browser;
mod chaos_load;
mod citus;
mod citus_cluster;
mod citus_crash;
mod citus_monitors;
mod citus_rebalance;
mod citus_retention;
mod citus_sourcemaps;
mod crash;
mod cron_clock;
mod cron_retention;
mod crons;
mod disk_full;
mod environments;
mod erasure;
mod event_log;
mod grouping;
mod health;
mod helpers;
mod ingest;
mod issue_search;
mod issue_workflow;
mod issues;
mod log_tools;
mod managed_postgres;
mod metrics;
mod notifications;
mod openapi;
mod outage;
mod project_rate_limit;
mod projection_crash;
mod readme;
mod receivers;
mod releases;
mod replay;
mod replay_organization;
mod request_timeouts;
mod retention;
mod retention_drop;
mod scale_out;
mod scheduler;
mod sdks;
mod secrets_in_logs;
mod sourcemap_uploads;
mod sourcemaps;
mod web_ui;
mod web_ui_crons;
