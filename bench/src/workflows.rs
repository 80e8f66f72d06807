//! (1b) Ingestion with alert workflows: the same K=50 load into a project watched by
//! 20 enabled workflows that the alerting reactor evaluates on every event, each
//! with an event-frequency filter (so the per-issue minute counts are kept and read)
//! and a level filter. None of them passes (the frequency threshold is out of
//! reach), so the figure is the cost of evaluating, not of sending.

use serde_json::json;

use crate::server::{Api, Project};

/// How many workflows watch the project.
pub const WORKFLOWS: usize = 20;

/// Creates the workflows through the API, as a user would.
pub async fn create(api: &Api, project: &Project) -> anyhow::Result<()> {
    let intervals = ["1min", "5min", "15min", "1h", "1d"];
    for n in 0..WORKFLOWS {
        let body = json!({
            "name": format!("bench workflow {n}"),
            "enabled": true,
            "config": {"frequency": 30},
            "triggers": {"logicType": "any-short", "conditions": []},
            "actionFilters": [{
                "logicType": "all",
                "conditions": [
                    {"type": "level", "comparison": {"level": 30, "match": "gte"},
                     "conditionResult": true},
                    {"type": "event_frequency_count",
                     "comparison": {"value": 1_000_000_000, "interval": intervals[n % intervals.len()]},
                     "conditionResult": true},
                ],
                "actions": [{"type": "webhook",
                             "config": {"targetIdentifier": "http://127.0.0.1:9/bench"}}],
            }],
            "detectorIds": [project.id.to_string()],
        });
        api.post("/api/0/organizations/bench/workflows/", body)
            .await?;
    }
    Ok(())
}
