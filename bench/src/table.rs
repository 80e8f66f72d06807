//! The report as the table the bench prints.

use crate::load;
use crate::report::Report;
use crate::sourcemapped::Outcome;

fn ms(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.1}"))
}

fn ms2(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.2}"))
}

fn ms3(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:.3}"))
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

impl Report {
    pub fn table(&self) -> String {
        let mut rows: Vec<[String; 4]> = Vec::new();
        let base = self.base.rows_per_s();
        for run in [&self.run50, &self.run1] {
            if run.k == 1 {
                // The source-mapped row beside the plain K=50 one, before K=1.
                self.js_rows(&mut rows);
            }
            let label = if run.k == 1 {
                "K=1 (hot issue)"
            } else {
                "K=50"
            };
            let visible = run.visible_per_s();
            rows.push([
                format!("ingest {label}: events/s accepted+visible"),
                visible.map_or("n/a (timed out)".into(), |v| format!("{v:.0}/s")),
                format!("{base:.0} rows/s"),
                visible.map_or("n/a".into(), |v| format!("{:.3}", v / base)),
            ]);
            rows.push([
                format!("ingest {label}: accepted/s (send phase)"),
                format!("{:.0}/s", run.load.accepted_per_s()),
                String::new(),
                String::new(),
            ]);
            rows.push([
                format!("ingest {label}: CPU s server / generator"),
                format!("{} / {} s", ms(run.cpu_s.0), ms(run.cpu_s.1)),
                String::new(),
                String::new(),
            ]);
            rows.push([
                format!("ingest {label}: machine CPU per event (every process)"),
                format!("{} ms", ms2(run.machine_cpu_ms())),
                String::new(),
                String::new(),
            ]);
            rows.push([
                format!("ingest {label}: accept latency p50 / p99"),
                format!(
                    "{} / {} ms",
                    ms(load::pct(&run.load.latencies_ms, 50.0)),
                    ms(load::pct(&run.load.latencies_ms, 99.0))
                ),
                String::new(),
                String::new(),
            ]);
        }
        if let Some(checkins) = &self.checkins {
            let label = format!("ingest check-ins ({} monitors)", crate::checkins::MONITORS);
            rows.push([
                format!("{label}: check-ins/s accepted (committed)"),
                format!("{:.0}/s", checkins.load.accepted_per_s()),
                String::new(),
                String::new(),
            ]);
            rows.push([
                format!("{label}: server CPU per check-in / accept latency p50 / p99"),
                format!(
                    "{} ms / {} / {} ms",
                    ms3(checkins.server_cpu_ms()),
                    ms(load::pct(&checkins.load.latencies_ms, 50.0)),
                    ms(load::pct(&checkins.load.latencies_ms, 99.0))
                ),
                String::new(),
                String::new(),
            ]);
        }
        if let Some((run, _)) = &self.run50w {
            let plain = self.plain_k50_per_s();
            rows.push([
                format!(
                    "ingest K=50, {} workflows (alerting caught up): events/s",
                    crate::workflows::WORKFLOWS
                ),
                run.visible_per_s()
                    .map_or("n/a (timed out)".into(), |v| format!("{v:.0}/s")),
                plain.map_or("n/a".into(), |p| format!("K=50 {p:.0}/s")),
                self.workflows_ratio()
                    .map_or("n/a".into(), |r| format!("{r:.3}")),
            ]);
            rows.push([
                format!(
                    "ingest K=50, {} workflows: machine CPU per event",
                    crate::workflows::WORKFLOWS
                ),
                format!("{} ms", ms2(run.machine_cpu_ms())),
                self.plain_k50_cpu_ms()
                    .map_or(String::new(), |p| format!("K=50 {p:.2} ms")),
                self.workflows_cpu_ratio()
                    .map_or(String::new(), |r| format!("{r:.3}")),
            ]);
        }
        let floor = &self.floor;
        for (figure, part) in [
            (
                "floor: bare hyper, gunzip + JSON check, nothing stored: events/s, CPU",
                &floor.requests,
            ),
            (
                "floor: PostgreSQL stores the gzip bodies (bytea): rows/s, CPU",
                &floor.storage,
            ),
        ] {
            rows.push([
                figure.into(),
                format!("{:.0}/s, {} ms", part.per_s(), ms2(part.cpu_ms())),
                String::new(),
                String::new(),
            ]);
        }
        let floor_per_s = floor.per_s();
        rows.push([
            format!(
                "floor: both, all {} cpus busy: events/s (ratio: K=50 / floor)",
                floor.cpus
            ),
            floor_per_s.map_or("n/a".into(), |f| format!("{f:.0}/s")),
            String::new(),
            floor_per_s
                .zip(self.run50.visible_per_s())
                .map_or("n/a".into(), |(f, v)| format!("{:.3}", v / f)),
        ]);
        let (seed, seed_visible) = &self.seed;
        rows.push([
            format!(
                "seed: {} events / {} issues, events/s visible",
                self.sizes.seed_events, self.sizes.seed_issues
            ),
            seed_visible.after_s.map_or("n/a (timed out)".into(), |s| {
                format!("{:.0}/s", seed.accepted as f64 / s)
            }),
            String::new(),
            String::new(),
        ]);
        for q in &self.queries {
            rows.push([
                format!("query: {} p50 / p99", q.name),
                match (&q.note, q.p50_ms) {
                    (Some(note), None) => note.clone(),
                    _ => format!("{} / {} ms", ms(q.p50_ms), ms(q.p99_ms)),
                },
                String::new(),
                String::new(),
            ]);
        }
        rows.push(match &self.rebuild {
            Some(r) => [
                format!("rebuild: replay --all of {} events, events/s", r.events),
                format!("{:.0}/s", r.replay_per_s()),
                format!("{:.0} rows/s scan", r.scan_per_s()),
                format!("{:.3}", r.replay_per_s() / r.scan_per_s()),
            ],
            None => [
                "rebuild: replay --all".into(),
                "n/a (failed, see log)".into(),
                String::new(),
                String::new(),
            ],
        });
        match &self.export {
            Some(export) => {
                for [figure, value] in export.rows() {
                    rows.push([figure, value, String::new(), String::new()]);
                }
            }
            None => rows.push([
                "log export".into(),
                "n/a (failed, see log)".into(),
                String::new(),
                String::new(),
            ]),
        }
        if let Some([figure, value]) = self.retention.as_ref().map(|r| r.row()) {
            rows.push([figure, value, String::new(), String::new()]);
        }
        for (label, mem) in [
            ("ingestion (1)", self.mem1),
            ("seeding + queries (3)", self.mem3),
        ] {
            rows.push([
                format!("memory: server peak RSS during {label}"),
                match mem {
                    Some(((hwm, _), true)) => mib(hwm),
                    Some(((hwm, _), false)) => format!("{} (process lifetime peak)", mib(hwm)),
                    None => "n/a".into(),
                },
                String::new(),
                String::new(),
            ]);
        }

        let widths: Vec<usize> = (0..4)
            .map(|c| {
                rows.iter()
                    .map(|r| r[c].len())
                    .chain([["figure", "value", "baseline", "ratio"][c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |r: [&str; 4]| {
            format!(
                "{:<w0$}  {:<w1$}  {:<w2$}  {}\n",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            )
            .trim_end()
            .to_owned()
                + "\n"
        };
        let mut out = String::new();
        let m = &self.machine;
        out.push_str(&format!(
            "\nfaultline-bench ({}), {} cpus ({}), {} GiB, PostgreSQL {} [{}], fsync={} synchronous_commit={} shared_buffers={} max_wal_size={}\n",
            if self.quick { "--quick" } else { "full" },
            m["cpus"],
            m["cpu_model"].as_str().unwrap_or(""),
            m["memory_gib"],
            m["postgres"].as_str().unwrap_or(""),
            m["database"].as_str().unwrap_or(""),
            m["postgres_settings"]["fsync"].as_str().unwrap_or(""),
            m["postgres_settings"]["synchronous_commit"].as_str().unwrap_or(""),
            m["postgres_settings"]["shared_buffers"].as_str().unwrap_or(""),
            m["postgres_settings"]["max_wal_size"].as_str().unwrap_or(""),
        ));
        out.push_str(&format!(
            "ingestion: {} realistic events per run (~{:.0} B JSON, ~{:.0} B gzip envelope), {} concurrent keep-alive connections\n\n",
            self.sizes.events, self.run50.json_bytes_avg, self.run50.request_bytes_avg, self.concurrency
        ));
        out.push_str(&line(["figure", "value", "baseline", "ratio"]));
        out.push_str(&line([
            &"-".repeat(widths[0]),
            &"-".repeat(widths[1]),
            &"-".repeat(widths[2]),
            "-----",
        ]));
        for r in &rows {
            out.push_str(&line([&r[0], &r[1], &r[2], &r[3]]));
        }
        out.push('\n');
        for note in self.notes() {
            out.push_str(&format!("note: {note}\n"));
        }
        out.push_str(&format!("total time {:.0} s\n", self.total_s));
        out
    }

    /// The source-mapped JS rows, each beside its plain K=50 figure.
    fn js_rows(&self, rows: &mut Vec<[String; 4]>) {
        let js = match &self.run50js {
            Outcome::Done(js) => js,
            Outcome::Skipped(_) => return,
            Outcome::Failed(_) => {
                rows.push([
                    "ingest K=50 source-mapped JS".into(),
                    "FAILED (see the note)".into(),
                    String::new(),
                    String::new(),
                ]);
                return;
            }
        };
        let label = js.label();
        let (run, plain) = (&js.run, &self.run50);
        let ratio = |r: Option<f64>| r.map_or("n/a".into(), |r| format!("{r:.3}"));
        rows.push([
            format!("{label}: events/s accepted+visible"),
            run.visible_per_s()
                .map_or("n/a (timed out)".into(), |v| format!("{v:.0}/s")),
            plain
                .visible_per_s()
                .map_or("n/a".into(), |p| format!("K=50 {p:.0}/s")),
            ratio(self.js_ratio()),
        ]);
        rows.push([
            format!("{label}: server CPU per event"),
            format!("{} ms", ms3(run.server_cpu_ms())),
            format!("K=50 {} ms", ms3(plain.server_cpu_ms())),
            ratio(self.js_server_cpu_ratio()),
        ]);
        rows.push([
            format!("{label}: machine CPU per event (every process)"),
            format!("{} ms", ms2(run.machine_cpu_ms())),
            format!("K=50 {} ms", ms2(plain.machine_cpu_ms())),
            ratio(self.js_machine_cpu_ratio()),
        ]);
        let latency = |r: &crate::ingest::IngestRun| {
            format!(
                "{} / {} ms",
                ms(load::pct(&r.load.latencies_ms, 50.0)),
                ms(load::pct(&r.load.latencies_ms, 99.0))
            )
        };
        rows.push([
            format!("{label}: accept latency p50 / p99"),
            latency(run),
            format!("K=50 {}", latency(plain)),
            String::new(),
        ]);
    }
}
