//! The ingest pipeline after an event is parsed: normalisation, source maps,
//! grouping (with the alias decision of an upgraded grouping), the summary, and the
//! hand-over to the ingestor, which answers once the event is committed. The
//! ingestion endpoints call it for every event item; the monitors' failure issues
//! go through it too, so they group, alert and regress like any other event.

use faultline_commands::ingest::{ingested_payload, IngestError, IngestJob, IssueDraft};
use faultline_domain::event::grouping::{record, Config};
use faultline_domain::event::{
    group, legacy_grouping_hash, normalize, sourcemaps, summarize, NormalizeContext,
};
use faultline_domain::issue::Occurrence;
use faultline_domain::metadata::{Actor, EventMetadata};
use serde_json::Value;

use crate::error::ApiError;
use crate::state::AppState;

/// Who an event is stored for and who sent it.
pub struct Submitter<'a> {
    /// The project's organization.
    pub org_id: i64,
    /// The project.
    pub project_id: i64,
    /// Recorded in the event's metadata (`key:<public key>` for SDK events).
    pub actor: Actor,
    /// The SDK's `name/version`, if known.
    pub client: Option<&'a str>,
    /// The sender's address, if known.
    pub client_ip: Option<&'a str>,
    /// The request's id, if any.
    pub request_id: Option<&'a str>,
    /// The issue type of a new issue, when not the event's own (monitor failures).
    pub issue_type: Option<&'a str>,
}

/// Normalises, groups and stores one parsed event as `event_id`; returns the id
/// once committed.
pub async fn submit_event(
    state: &AppState,
    submitter: Submitter<'_>,
    raw: sonic_rs::Value,
    event_id: String,
) -> Result<String, ApiError> {
    let received = chrono::Utc::now();
    let context = NormalizeContext {
        received,
        client_ip: submitter.client_ip.map(str::to_owned),
        event_id: Some(event_id),
        sdk_name_version: submitter.client.map(str::to_owned),
        platform_hint: None,
    };
    let mut event = normalize(raw, &context)
        .map_err(|e| ApiError::BadRequest(format!("invalid event: {e}")))?;
    // Before grouping: two builds of the same code group by their original frames.
    let locations = sourcemaps::locations(&event);
    if !locations.is_empty() {
        let scope = crate::sourcemaps::Scope {
            org_id: submitter.org_id,
            project_id: submitter.project_id,
            release: event.release.as_deref(),
            dist: event.dist.as_deref(),
        };
        let mut lookups = state
            .source_maps
            .lookups(&state.pool, &scope, &locations)
            .await;
        // Columns alone do not make an event JavaScript: a map is used when found,
        // its absence is no error worth reporting.
        if !sourcemaps::is_javascript(&event) {
            lookups.retain(|_, lookup| matches!(lookup, sourcemaps::Lookup::Found(..)));
        }
        sourcemaps::apply(&mut event, &lookups);
    }
    let config = state.grouper.config();
    let rules = state.keys.rules(submitter.project_id);
    let grouping = group(&event, config, &rules);
    // The legacy hash reads the frames as the SDK marked them.
    let legacy = match config {
        Config::Current => legacy_grouping_hash(&event),
        Config::Legacy => grouping.hash.clone(),
    };
    record::write_in_app(&mut event, &grouping);
    let decision = state
        .grouper
        .issue_hash(
            &state.pool,
            submitter.org_id,
            submitter.project_id,
            &grouping.hash,
            &legacy,
        )
        .await;
    record::record(&mut event, &grouping, &decision.hash, decision.fallback);
    let mut summary = summarize(&event);
    if let Some(title) = grouping.title {
        summary.title = title;
    }
    let hash = decision.hash;
    let event_id = event.event_id.clone();
    let occurrence = Occurrence {
        event_id: event.event_id,
        timestamp: event.timestamp,
        received: event.received,
        level: event.level,
        release: event.release,
        environment: event.environment,
        user_key: event.user_key,
        tags: event.tags,
        title: summary.title.clone(),
        culprit: summary.culprit.clone(),
        data: Value::Null,
    };
    let (occurrence, ingested_payload) =
        ingested_payload(occurrence, &event.data).map_err(ApiError::internal)?;
    let new_release = occurrence
        .release
        .as_deref()
        .filter(|release| {
            state
                .releases_seen
                .first_time(submitter.project_id, release)
        })
        .map(str::to_owned);
    let metadata = EventMetadata {
        actor: submitter.actor,
        request_id: submitter.request_id.map(str::to_owned),
        ip_address: submitter.client_ip.map(str::to_owned),
        time: received,
    };
    let release_metadata = new_release.as_ref().map(|_| metadata.clone());
    let job = IngestJob {
        project_id: submitter.project_id,
        org_id: submitter.org_id,
        hash,
        draft: IssueDraft {
            title: summary.title.clone(),
            culprit: summary.culprit.clone(),
            metadata: summary.metadata,
            issue_type: match submitter.issue_type {
                Some(issue_type) => issue_type.to_owned(),
                None => summary.issue_type,
            },
            level: summary.level,
            platform: summary.platform,
        },
        occurrence,
        ingested_payload,
        metadata,
    };
    let submitted = state.ingestor.submit(job).await;
    if let (Some(release), Some(metadata)) = (new_release, release_metadata) {
        match submitted {
            Ok(_) => state.releases_seen.create_in_background(
                submitter.org_id,
                submitter.project_id,
                release,
                metadata,
            ),
            Err(_) => state.releases_seen.forget(submitter.project_id, &release),
        }
    }
    submitted.map_err(|error| match error {
        IngestError::Overloaded | IngestError::Unavailable => ApiError::Unavailable,
    })?;
    Ok(event_id)
}
