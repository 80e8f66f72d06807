//! A workflow in the JSON shape of Sentry's workflows API.
//!
//! Conditions and actions have no ids of their own in Faultline (a definition is
//! replaced whole): their ids are derived from the workflow id and their place,
//! `<workflow>-t` for the triggers, `<workflow>-f<group>` for an action filter,
//! `...-c<n>` for a condition and `...-a<n>` for an action.

use faultline_domain::alert::definition::{Action, Condition};
use faultline_projections::alerts::queries::WorkflowRow;
use serde::Serialize;
use serde_json::{json, Value};

use crate::json::date;

/// A workflow as Sentry shows it.
pub fn workflow_json(row: &WorkflowRow) -> Value {
    let definition = &row.definition.0;
    let org = row.org_id.to_string();
    let triggers_id = format!("{}-t", row.id);
    let filters: Vec<Value> = definition
        .action_filters
        .iter()
        .enumerate()
        .map(|(g, group)| {
            let id = format!("{}-f{g}", row.id);
            json!({
                "id": id,
                "organizationId": org,
                "logicType": group.logic_type,
                "conditions": conditions(&id, &group.conditions),
                "actions": group.actions.iter().enumerate()
                    .map(|(n, action)| action_json(&format!("{id}-a{n}"), action))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "id": row.id.to_string(),
        "name": definition.name,
        "organizationId": org,
        "createdBy": row.created_by.to_string(),
        "dateCreated": date(row.date_created),
        "dateUpdated": date(row.date_updated),
        "triggers": {
            "id": triggers_id,
            "organizationId": org,
            "logicType": definition.triggers.logic_type,
            "conditions": conditions(&triggers_id, &definition.triggers.conditions),
            "actions": [],
        },
        "actionFilters": filters,
        "environment": definition.environment,
        "config": {"frequency": definition.frequency_minutes},
        "detectorIds": row.project_ids.iter().map(i64::to_string).collect::<Vec<_>>(),
        "enabled": definition.enabled,
        "lastTriggered": row.last_triggered.map(date),
        "owner": null,
    })
}

/// `{id, type, comparison, conditionResult}` per condition.
fn conditions<T: Serialize>(group_id: &str, conditions: &[Condition<T>]) -> Vec<Value> {
    conditions
        .iter()
        .enumerate()
        .map(|(n, condition)| {
            let mut value = serde_json::to_value(condition).unwrap_or(Value::Null);
            value["id"] = json!(format!("{group_id}-c{n}"));
            value
        })
        .collect()
}

/// `{id, type, integrationId, data, config, status}`; `data` holds strings only, as
/// Sentry's schema has it (a webhook's `secret`, an email's `fallthroughType`).
fn action_json(id: &str, action: &Action) -> Value {
    let mut value = serde_json::to_value(action).unwrap_or(Value::Null);
    if let Some(data) = value.get_mut("data").and_then(Value::as_object_mut) {
        data.retain(|_, v| v.is_string());
    } else {
        value["data"] = json!({});
    }
    value["id"] = json!(id);
    value["integrationId"] = Value::Null;
    value["status"] = json!("active");
    value
}
