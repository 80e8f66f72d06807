//! Every figure of a run, and the same as JSON.

use serde_json::{json, Value};

use crate::baseline::BaselineResult;
use crate::cli::Sizes;
use crate::export::ExportResult;
use crate::floor::FloorResult;
use crate::ingest::IngestRun;
use crate::insert;
use crate::load::{self, Counter, LoadResult, Visible};
use crate::queries::QueryResult;
use crate::rebuild::RebuildResult;
use crate::retention::RetentionResult;
use crate::sourcemapped::Outcome;

pub struct Report {
    pub quick: bool,
    pub sizes: Sizes,
    pub concurrency: usize,
    pub machine: Value,
    pub run50: IngestRun,
    /// K=50 of minified JavaScript resolved through an uploaded source map.
    pub run50js: Outcome,
    /// K=50 into a project watched by `workflows::WORKFLOWS` workflows (until the
    /// alerting reactor caught up), and the plain K=50 run right after it.
    pub run50w: Option<(IngestRun, IngestRun)>,
    pub run1: IngestRun,
    /// Cron check-ins (`None` on builds without monitors).
    pub checkins: Option<crate::checkins::CheckInRun>,
    pub base: BaselineResult,
    pub floor: FloorResult,
    pub seed: (LoadResult, Visible),
    pub queries: Vec<QueryResult>,
    pub rebuild: Option<RebuildResult>,
    /// (VmHWM KiB, VmRSS KiB), and whether the peak was reset at the phase's start.
    pub mem1: Option<((u64, u64), bool)>,
    pub mem3: Option<((u64, u64), bool)>,
    pub export: Option<ExportResult>,
    /// One retention pass over the seeded log (`None` on builds without it).
    pub retention: Option<RetentionResult>,
    pub total_s: f64,
}

impl Report {
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let visibles = [&self.run50.visible, &self.run1.visible, &self.seed.1];
        if visibles.iter().any(|v| v.counter == Counter::EventLog) {
            notes.push(
                "the issues read model did not count these events on this build: \"visible\" was measured on the event log (EventIngested rows committed), not on the issue read model".into(),
            );
        }
        let js = match &self.run50js {
            Outcome::Done(js) => Some(js),
            _ => None,
        };
        for (name, r) in [
            ("K=50", Some(&self.run50.load)),
            ("K=50 source-mapped JS", js.map(|js| &js.run.load)),
            ("K=1", Some(&self.run1.load)),
            ("seed", Some(&self.seed.0)),
        ] {
            let Some(r) = r else { continue };
            if r.accepted != r.sent {
                notes.push(format!(
                    "{name}: {} of {} requests not accepted, statuses {:?}",
                    r.sent - r.accepted,
                    r.sent,
                    r.status
                ));
            }
        }
        if let Some(c) = self
            .checkins
            .as_ref()
            .filter(|c| c.load.accepted != c.load.sent)
        {
            notes.push(format!(
                "check-ins: {} of {} requests not accepted, statuses {:?}",
                c.load.sent - c.load.accepted,
                c.load.sent,
                c.load.status
            ));
        }
        for v in visibles.into_iter().chain(js.map(|js| &js.run.visible)) {
            if v.after_s.is_none() {
                notes.push(format!(
                    "visibility timed out; the counter reached {}",
                    v.reached
                ));
            }
        }
        match &self.run50js {
            Outcome::Done(js) => notes.push(js.describe()),
            Outcome::Skipped(why) => {
                notes.push(format!("the source-mapped JS row was skipped: {why}"))
            }
            Outcome::Failed(why) => notes.push(format!(
                "the source-mapped JS phase FAILED, no figures: {why}"
            )),
        }
        notes.push(format!(
            "baseline: the K=50 payloads (uncompressed event JSON) into bench_baseline(id bigserial, payload jsonb), INSERTs of {} rows from {} connections, one transaction each; {} rows in {:.2} s",
            insert::BATCH, insert::CONNECTIONS, self.base.rows, self.base.wall_s
        ));
        notes.push(format!(
            "floor: the K=50 envelopes against a bare hyper server inside the bench (gunzip, envelope split, JSON well-formedness check, nothing stored; {} requests in {:.2} s), then the same gzip bodies into bench_floor(id bigserial, body bytea) by INSERTs of 100 from 8 connections ({} rows in {:.2} s); each part costed in busy CPU seconds of the whole machine (/proc/stat) per event, floor = cpus / (sum of both)",
            self.floor.requests.items, self.floor.requests.wall_s, self.floor.storage.items, self.floor.storage.wall_s
        ));
        notes
    }

    pub fn json(&self) -> Value {
        let run = |r: &IngestRun| {
            json!({
                "k": r.k,
                "events": r.load.sent,
                "accepted": r.load.accepted,
                "status": r.load.status,
                "event_json_bytes_avg": r.json_bytes_avg,
                "request_bytes_avg": r.request_bytes_avg,
                "send_wall_s": r.load.wall_s,
                "accepted_per_s": r.load.accepted_per_s(),
                "visible_counter": format!("{:?}", r.visible.counter),
                "visible_after_s": r.visible.after_s,
                "visible_per_s": r.visible_per_s(),
                "server_cpu_s": r.cpu_s.0,
                "generator_cpu_s": r.cpu_s.1,
                "machine_busy_s": r.machine_busy_s,
                "machine_cpu_ms_per_event": r.machine_cpu_ms(),
                "server_cpu_ms_per_event": r.server_cpu_ms(),
                "ratio_to_baseline": r.visible_per_s().map(|v| v / self.base.rows_per_s()),
                "latency_ms": {
                    "p50": load::pct(&r.load.latencies_ms, 50.0),
                    "p99": load::pct(&r.load.latencies_ms, 99.0),
                    "max": r.load.latencies_ms.last(),
                },
            })
        };
        let mem = |m: Option<((u64, u64), bool)>| {
            m.map(|((hwm, rss), reset)| {
                json!({"peak_rss_kib": hwm, "rss_kib_at_end": rss, "peak_reset_at_phase_start": reset})
            })
        };
        let (seed, seed_visible) = &self.seed;
        json!({
            "mode": if self.quick { "quick" } else { "full" },
            "machine": self.machine,
            "concurrency": self.concurrency,
            "ingest_k50": run(&self.run50),
            "ingest_checkins": self.checkins.as_ref().map(|c| json!({
                "monitors": crate::checkins::MONITORS,
                "check_ins": c.load.sent,
                "accepted": c.load.accepted,
                "status": c.load.status,
                "accepted_per_s": c.load.accepted_per_s(),
                "server_cpu_ms_per_check_in": c.server_cpu_ms(),
                "latency_ms": {
                    "p50": load::pct(&c.load.latencies_ms, 50.0),
                    "p99": load::pct(&c.load.latencies_ms, 99.0),
                },
            })),
            "ingest_k50_workflows": self.run50w.as_ref().map(|(w, after)| {
                let mut figures = run(w);
                figures["workflows"] = json!(crate::workflows::WORKFLOWS);
                figures["plain_after"] = run(after);
                figures["ratio_to_k50"] = json!(self.workflows_ratio());
                figures["cpu_ratio_to_k50"] = json!(self.workflows_cpu_ratio());
                figures
            }),
            "ingest_k50_sourcemapped_js": match &self.run50js {
                Outcome::Done(js) => {
                    let mut figures = run(&js.run);
                    figures["label"] = json!(js.label());
                    figures["frames"] = json!(crate::sourcemapped::FRAMES);
                    figures["minified_bytes"] = json!(js.minified_bytes);
                    figures["map_bytes"] = json!(js.map_bytes);
                    figures["map_sources"] = json!(js.sources);
                    figures["map_functions"] = json!(js.functions);
                    figures["map_tokens"] = json!(js.tokens);
                    figures["map_names"] = json!(js.names);
                    figures["bundle_bytes"] = json!(js.upload.bundle_bytes);
                    figures["upload_chunks"] = json!(js.upload.chunks);
                    figures["upload_s"] = json!(js.upload.seconds);
                    figures["check_functions_named"] = json!(js.functions_named);
                    figures["check_accept_ms"] = json!(js.first_accept_ms);
                    figures["ratio_to_k50"] = json!(self.js_ratio());
                    figures["server_cpu_ratio_to_k50"] = json!(self.js_server_cpu_ratio());
                    figures["machine_cpu_ratio_to_k50"] = json!(self.js_machine_cpu_ratio());
                    figures
                }
                Outcome::Skipped(why) => json!({"skipped": why}),
                Outcome::Failed(why) => json!({"failed": why}),
            },
            "ingest_k1": run(&self.run1),
            "baseline": {
                "rows": self.base.rows, "wall_s": self.base.wall_s, "rows_per_s": self.base.rows_per_s(),
                "batch": insert::BATCH, "connections": insert::CONNECTIONS,
            },
            "floor": {
                "requests": {
                    "events": self.floor.requests.items, "wall_s": self.floor.requests.wall_s,
                    "per_s": self.floor.requests.per_s(), "machine_busy_s": self.floor.requests.busy_s,
                    "cpu_ms_per_event": self.floor.requests.cpu_ms(),
                },
                "storage": {
                    "rows": self.floor.storage.items, "wall_s": self.floor.storage.wall_s,
                    "per_s": self.floor.storage.per_s(), "machine_busy_s": self.floor.storage.busy_s,
                    "cpu_ms_per_row": self.floor.storage.cpu_ms(),
                },
                "cpus": self.floor.cpus,
                "per_s": self.floor.per_s(),
                "k50_ratio_to_floor": self.floor.per_s().zip(self.run50.visible_per_s()).map(|(f, v)| v / f),
            },
            "seed": {
                "issues": self.sizes.seed_issues, "events": self.sizes.seed_events,
                "accepted": seed.accepted, "status": seed.status, "send_wall_s": seed.wall_s,
                "visible_counter": format!("{:?}", seed_visible.counter),
                "visible_after_s": seed_visible.after_s,
            },
            "queries": self.queries.iter().map(QueryResult::to_json).collect::<Vec<_>>(),
            "rebuild": self.rebuild.as_ref().map(|r| json!({
                "events": r.events,
                "replay_s": r.replay_s,
                "replay_per_s": r.replay_per_s(),
                "scan_s": r.scan_s,
                "scan_bytes": r.scan_bytes,
                "scan_per_s": r.scan_per_s(),
                "ratio_to_scan": r.replay_per_s() / r.scan_per_s(),
                "report": r.replay_report,
            })),
            "memory": {"ingestion": mem(self.mem1), "seed_and_queries": mem(self.mem3)},
            "log_export": self.export.as_ref().map(ExportResult::to_json),
            "retention": self.retention.as_ref().map(RetentionResult::to_json),
            "notes": self.notes(),
            "total_s": self.total_s,
        })
    }
}

impl Report {
    /// Events/s of the plain K=50 runs before and after the watched one, averaged.
    pub fn plain_k50_per_s(&self) -> Option<f64> {
        let (_, after) = self.run50w.as_ref()?;
        let before = self.run50.visible_per_s()?;
        Some((before + after.visible_per_s()?) / 2.0)
    }

    /// The watched run's events/s over [`Report::plain_k50_per_s`].
    pub fn workflows_ratio(&self) -> Option<f64> {
        let (watched, _) = self.run50w.as_ref()?;
        Some(watched.visible_per_s()? / self.plain_k50_per_s()?)
    }

    /// Machine CPU per event of the plain K=50 runs around the watched one, averaged.
    pub fn plain_k50_cpu_ms(&self) -> Option<f64> {
        let (_, after) = self.run50w.as_ref()?;
        Some((self.run50.machine_cpu_ms()? + after.machine_cpu_ms()?) / 2.0)
    }

    /// The watched run's machine CPU per event over [`Report::plain_k50_cpu_ms`].
    pub fn workflows_cpu_ratio(&self) -> Option<f64> {
        let (watched, _) = self.run50w.as_ref()?;
        Some(watched.machine_cpu_ms()? / self.plain_k50_cpu_ms()?)
    }

    fn js_run(&self) -> Option<&IngestRun> {
        match &self.run50js {
            Outcome::Done(js) => Some(&js.run),
            _ => None,
        }
    }

    /// The source-mapped run's events/s over the plain K=50 run's.
    pub fn js_ratio(&self) -> Option<f64> {
        Some(self.js_run()?.visible_per_s()? / self.run50.visible_per_s()?)
    }

    /// The source-mapped run's server CPU per event over the plain K=50 run's.
    pub fn js_server_cpu_ratio(&self) -> Option<f64> {
        Some(self.js_run()?.server_cpu_ms()? / self.run50.server_cpu_ms()?)
    }

    /// The source-mapped run's machine CPU per event over the plain K=50 run's.
    pub fn js_machine_cpu_ratio(&self) -> Option<f64> {
        Some(self.js_run()?.machine_cpu_ms()? / self.run50.machine_cpu_ms()?)
    }
}
