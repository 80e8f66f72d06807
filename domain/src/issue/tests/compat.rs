//! Payloads stored by earlier versions still load.

use super::*;

#[test]
fn an_old_stored_issue_resolved_payload_reads_as_a_plain_resolve_by_nobody() {
    let stored = json!({"IssueResolved": {"at": "2026-01-01T00:00:02Z"}});
    let event: IssueEvent = serde_json::from_value(stored).unwrap();
    assert_eq!(
        event,
        IssueEvent::IssueResolved {
            at: at(2),
            details: ResolveDetails::Plain,
            actor: None,
        }
    );
}

#[test]
fn a_new_issue_resolved_payload_carries_its_details() {
    let event = resolved(
        ResolveDetails::InRelease {
            version: "1.2.0".to_owned(),
            earlier_releases: vec![],
        },
        at(2),
    );
    let payload = serde_json::to_value(&event).unwrap();
    assert_eq!(
        payload,
        json!({"IssueResolved": {
            "at": "2026-01-01T00:00:02Z",
            "details": {"type": "in_release", "version": "1.2.0"},
            "actor": "user:42",
        }})
    );
    assert_eq!(
        serde_json::from_value::<IssueEvent>(payload).unwrap(),
        event
    );
}

#[test]
fn an_old_snapshot_without_workflow_state_still_loads() {
    let stored = json!({
        "issue_id": 7,
        "project_id": 1,
        "status": "resolved",
        "first_seen": "2026-01-01T00:00:01Z",
        "last_seen": "2026-01-01T00:00:01Z",
        "times_seen": 3,
    });
    let issue: Issue = serde_json::from_value(stored).unwrap();
    assert_eq!(issue.status(), IssueStatus::Resolved);
    assert_eq!(issue.times_seen(), 3);
    assert_eq!(issue.resolution(), None);
}

#[test]
fn an_old_snapshot_of_a_resolved_issue_regresses_on_any_event() {
    let stored = json!({"issue_id": 7, "project_id": 1, "status": "resolved",
        "first_seen": "2026-01-01T00:00:01Z", "last_seen": null, "times_seen": 1});
    let issue: Issue = serde_json::from_value(stored).unwrap();
    let events = issue
        .decide(record(of_release(occurrence("e2", 2), "1.0")))
        .unwrap();
    assert!(matches!(events[0], IssueEvent::IssueRegressed { .. }));
}

#[test]
fn an_event_ingested_1_0_payload_with_its_body_inline_loads_as_the_same_occurrence() {
    let body = json!({"message": "boom", "exception": {"values": [{"type": "KeyError"}]}});
    let head = json!({
        "event_id": "9ec79c33ec9942ab8353589fcb2e04dc", "timestamp": "2026-01-01T00:00:01Z",
        "received": "2026-01-01T00:00:02Z", "level": "error", "release": null,
        "environment": "production", "user_key": null, "tags": [["level", "error"]],
        "title": "KeyError", "culprit": "app.view"});
    let mut old = head.clone();
    old["data"] = body.clone();
    let old = json!({ "EventIngested": old });

    let upcast = crate::upcast::current("issue", "EventIngested", "1.0", &old);
    let from_upcast: IssueEvent = serde_json::from_value(upcast.into_owned()).unwrap();
    let from_inline: IssueEvent = serde_json::from_value(old).unwrap();

    let IssueEvent::EventIngested(occurrence) = &from_upcast else {
        panic!("{from_upcast:?}");
    };
    assert_eq!(occurrence.data, body);
    assert_eq!(from_upcast, from_inline);
    let stored = serde_json::to_value(&from_upcast).unwrap();
    assert_eq!(
        stored["EventIngested"]["data"]
            .as_str()
            .map(|s| !s.is_empty()),
        Some(true)
    );
    assert_eq!(
        serde_json::from_value::<IssueEvent>(stored).unwrap(),
        from_upcast
    );
}

#[test]
fn an_event_ingested_2_0_payload_with_its_body_deflated_loads_as_the_same_occurrence() {
    use base64::Engine;
    let body = json!({"message": "boom", "exception": {"values": [{"type": "KeyError"}]}});
    let json = serde_json::to_vec(&body).unwrap();
    let mut compressor = libdeflater::Compressor::new(libdeflater::CompressionLvl::new(1).unwrap());
    let mut deflated = vec![0; compressor.deflate_compress_bound(json.len())];
    let size = compressor.deflate_compress(&json, &mut deflated).unwrap();
    deflated.truncate(size);
    let old = json!({"EventIngested": {
        "event_id": "9ec79c33ec9942ab8353589fcb2e04dc", "timestamp": "2026-01-01T00:00:01Z",
        "received": "2026-01-01T00:00:02Z", "level": "error", "release": null,
        "environment": "production", "user_key": null, "tags": [["level", "error"]],
        "title": "KeyError", "culprit": "app.view",
        "data": base64::engine::general_purpose::STANDARD.encode(deflated)}});

    let upcast = crate::upcast::current("issue", "EventIngested", "2.0", &old);
    assert_ne!(
        upcast["EventIngested"]["data"],
        old["EventIngested"]["data"]
    );
    let IssueEvent::EventIngested(occurrence) =
        serde_json::from_value(upcast.into_owned()).unwrap()
    else {
        panic!("not an EventIngested");
    };
    assert_eq!(occurrence.data, body);
    assert_eq!(occurrence.title, "KeyError");
}

#[test]
fn an_event_ingested_head_read_without_its_body_has_null_data() {
    let head = json!({"EventIngested": {
        "event_id": "9ec79c33ec9942ab8353589fcb2e04dc", "timestamp": "2026-01-01T00:00:01Z",
        "received": "2026-01-01T00:00:02Z", "level": "error", "release": null,
        "environment": "production", "user_key": null, "tags": [],
        "title": "t", "culprit": "c"}});
    let IssueEvent::EventIngested(occurrence) = serde_json::from_value(head).unwrap() else {
        panic!("not an EventIngested");
    };
    assert!(occurrence.data.is_null());
}

#[test]
fn an_event_ingested_4_0_row_with_its_body_in_the_column_loads_as_the_same_occurrence() {
    let mut occurrence = occurrence("e1", 1);
    occurrence.data = json!({"message": "boom", "extra": {"n": 1}});
    let inline = serde_json::to_value(IssueEvent::EventIngested(Box::new(occurrence.clone())));
    let column = super::super::body::encode_to_column(&occurrence.data).unwrap();
    let head = serde_json::to_value(IssueEvent::EventIngested(Box::new(Occurrence {
        data: serde_json::Value::Null,
        ..occurrence.clone()
    })));

    let read = crate::upcast::current_of_row(
        "issue",
        "EventIngested",
        "4.0",
        head.unwrap(),
        Some(&column),
    );

    assert_eq!(read, inline.unwrap());
    let event: IssueEvent = serde_json::from_value(read).unwrap();
    assert_eq!(event, IssueEvent::EventIngested(Box::new(occurrence)));
}
