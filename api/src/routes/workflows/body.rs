//! A workflow as a request writes it, into a [`Definition`].
//!
//! Every field is optional and typed loosely, so that the path is resolved first
//! (another organization's workflow is a 404 whatever the body says) and each
//! wrong field gets its own message in one 400. Keys may be camelCase or Sentry's
//! snake_case (`logic_type`, `action_filters`); inside a condition's `comparison`
//! they are snake_case as Sentry stores them (`comparison_type`), and camelCase
//! (`comparisonType`, as Sentry's docs write them) is read too.

use faultline_domain::alert::definition::{ActionFilter, Definition, LogicType, Triggers};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::fields::FieldErrors;

/// Minutes between fires per issue when a new workflow's `config` names none (the
/// frequency Sentry's form starts with).
pub const DEFAULT_FREQUENCY_MINUTES: i64 = 30;

/// The body of `POST` and `PUT` (absent fields: the current value, or the default).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = WorkflowWrite)]
pub struct WorkflowBody {
    /// 1 to 256 characters (required on `POST`).
    #[schema(value_type = Option<String>)]
    name: Option<Value>,
    /// Default `true`.
    #[schema(value_type = Option<bool>)]
    enabled: Option<Value>,
    /// Only events of this environment; null: every environment.
    #[serde(default, deserialize_with = "crate::fields::nullable")]
    #[schema(value_type = Option<String>)]
    environment: Option<Option<Value>>,
    /// `{"frequency": minutes}` (0 to 43200, default 30).
    #[schema(value_type = Option<Object>)]
    config: Option<Value>,
    /// `{"logicType": "any-short", "conditions": [{"type": "first_seen_event", ...}]}`.
    #[schema(value_type = Option<Object>)]
    triggers: Option<Value>,
    /// `[{"logicType": "all", "conditions": [...], "actions": [...]}]`.
    #[serde(rename = "actionFilters", alias = "action_filters")]
    #[schema(value_type = Option<Vec<Object>>)]
    action_filters: Option<Value>,
    /// The error detectors (project ids, as strings or numbers) it watches.
    #[serde(rename = "detectorIds", alias = "detector_ids")]
    #[schema(value_type = Option<Vec<String>>)]
    detector_ids: Option<Value>,
}

impl WorkflowBody {
    /// The definition this body makes of `current` (a new workflow: `None`), with
    /// each field's type and shape checked; the rules of `Definition::validate` and
    /// whether the detectors exist are checked after.
    pub fn definition(self, current: Option<&Definition>) -> Result<Definition, crate::ApiError> {
        let mut errors = FieldErrors::default();
        let name = match (self.name, current) {
            (Some(Value::String(name)), _) => Some(name),
            (Some(_), _) => invalid(&mut errors, "name", "Not a valid string."),
            (None, Some(current)) => Some(current.name.clone()),
            (None, None) => invalid(&mut errors, "name", "This field is required."),
        };
        let enabled = match self.enabled {
            Some(Value::Bool(enabled)) => Some(enabled),
            Some(_) => invalid(&mut errors, "enabled", "Must be a valid boolean."),
            None => Some(current.is_none_or(|c| c.enabled)),
        };
        let environment = match self.environment {
            Some(None) => Some(None),
            Some(Some(Value::String(env))) => Some(Some(env).filter(|env| !env.is_empty())),
            Some(Some(_)) => invalid(&mut errors, "environment", "Not a valid string."),
            None => Some(current.and_then(|c| c.environment.clone())),
        };
        let frequency = match self.config {
            Some(config) => frequency(&mut errors, &config, current),
            None => Some(current.map_or(DEFAULT_FREQUENCY_MINUTES, |c| c.frequency_minutes)),
        };
        let triggers = match self.triggers {
            Some(triggers) => parse(&mut errors, "triggers", triggers),
            None => Some(current.map_or_else(every_event, |c| c.triggers.clone())),
        };
        let action_filters = match self.action_filters {
            Some(filters) => action_filters(&mut errors, filters),
            None => Some(current.map_or_else(Vec::new, |c| c.action_filters.clone())),
        };
        let project_ids = match self.detector_ids {
            Some(ids) => detector_ids(&mut errors, ids),
            None => Some(current.map_or_else(Vec::new, |c| c.project_ids.clone())),
        };
        errors.finish()?;
        match (
            name,
            enabled,
            environment,
            frequency,
            triggers,
            action_filters,
            project_ids,
        ) {
            (
                Some(name),
                Some(enabled),
                Some(environment),
                Some(frequency_minutes),
                Some(triggers),
                Some(action_filters),
                Some(project_ids),
            ) => Ok(Definition {
                name,
                enabled,
                environment,
                frequency_minutes,
                triggers,
                action_filters,
                project_ids,
            }),
            _ => Err(crate::ApiError::BadRequest("Invalid workflow.".into())),
        }
    }
}

fn invalid<T>(errors: &mut FieldErrors, field: &str, message: &str) -> Option<T> {
    errors.add(field, message);
    None
}

/// No trigger condition: evaluated on every event.
fn every_event() -> Triggers {
    Triggers {
        logic_type: LogicType::AnyShort,
        conditions: vec![],
    }
}

fn frequency(
    errors: &mut FieldErrors,
    config: &Value,
    current: Option<&Definition>,
) -> Option<i64> {
    let Some(config) = config.as_object() else {
        return invalid(errors, "config", "Expected a dictionary of items.");
    };
    match config.get("frequency") {
        None | Some(Value::Null) => {
            Some(current.map_or(DEFAULT_FREQUENCY_MINUTES, |c| c.frequency_minutes))
        }
        Some(minutes) => match minutes.as_i64() {
            Some(minutes) => Some(minutes),
            None => invalid(
                errors,
                "config",
                "frequency must be a whole number of minutes",
            ),
        },
    }
}

/// `value` read as `T` after its keys are put in the definition's case; serde's
/// message on `field` otherwise (it names the unknown condition type or action).
fn parse<T: DeserializeOwned>(errors: &mut FieldErrors, field: &str, value: Value) -> Option<T> {
    errors.check(field, serde_json::from_value(normalize_keys(value, false)))
}

fn action_filters(errors: &mut FieldErrors, value: Value) -> Option<Vec<ActionFilter>> {
    let sub_filters = value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|group| group.get("conditions")?.as_array())
        .flatten()
        .filter_map(|condition| condition.get("comparison")?.get("filters")?.as_array())
        .any(|filters| !filters.is_empty());
    if sub_filters {
        // Faultline's frequency filters count every event of the issue: refusing is
        // better than silently counting more than the workflow says.
        return invalid(
            errors,
            "actionFilters",
            "Sub-filters (comparison.filters) are not supported.",
        );
    }
    parse(errors, "actionFilters", value)
}

fn detector_ids(errors: &mut FieldErrors, value: Value) -> Option<Vec<i64>> {
    let Value::Array(items) = value else {
        return invalid(errors, "detectorIds", "Expected a list of items.");
    };
    let mut ids = Vec::new();
    for item in items {
        let id = match &item {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        };
        match id {
            Some(id) => ids.push(id),
            None => errors.add("detectorIds", format!("{item} is not a valid detector id.")),
        }
    }
    ids.sort_unstable();
    ids.dedup();
    Some(ids)
}

/// Object keys camelCased (snake_cased inside a `comparison`), recursively.
fn normalize_keys(value: Value, in_comparison: bool) -> Value {
    match value {
        Value::Object(object) => Value::Object(
            object
                .into_iter()
                .map(|(key, value)| {
                    let inner = in_comparison || key == "comparison";
                    let key = if in_comparison {
                        snake(&key)
                    } else {
                        camel(&key)
                    };
                    (key, normalize_keys(value, inner))
                })
                .collect::<Map<String, Value>>(),
        ),
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| normalize_keys(item, in_comparison))
                .collect(),
        ),
        other => other,
    }
}

fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' && !out.is_empty() {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for c in key.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Value) -> WorkflowBody {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn keys_are_read_in_either_case() {
        let definition = body(json!({
            "name": "Assigned",
            "action_filters": [{"logic_type": "all", "conditions": [
                {"type": "assigned_to", "comparison": {"targetType": "Member", "targetIdentifier": 3},
                 "condition_result": true}]}],
        }))
        .definition(None)
        .unwrap();

        let filter = &definition.action_filters[0];
        assert_eq!(filter.logic_type, LogicType::All);
        assert_eq!(
            serde_json::to_value(&filter.conditions[0]).unwrap(),
            json!({"type": "assigned_to", "comparison": {"target_type": "Member",
                   "target_identifier": 3}, "conditionResult": true})
        );
    }

    #[test]
    fn a_new_workflow_gets_the_defaults() {
        let definition = body(json!({"name": "n"})).definition(None).unwrap();

        assert!(definition.enabled);
        assert_eq!(definition.frequency_minutes, DEFAULT_FREQUENCY_MINUTES);
        assert_eq!(definition.triggers, every_event());
        assert!(definition.action_filters.is_empty() && definition.project_ids.is_empty());
    }

    #[test]
    fn an_update_keeps_what_the_body_leaves_out() {
        let current = body(
            json!({"name": "n", "environment": "prod", "config": {"frequency": 5},
                                  "detectorIds": ["7"]}),
        )
        .definition(None)
        .unwrap();

        let updated = body(json!({"enabled": false}))
            .definition(Some(&current))
            .unwrap();

        assert_eq!(
            updated,
            Definition {
                enabled: false,
                ..current
            }
        );
    }

    #[test]
    fn every_wrong_field_is_named_in_one_answer() {
        let error = body(json!({"enabled": "yes", "triggers": {"logicType": "any",
            "conditions": [{"type": "new_high_priority_issue"}]}, "detectorIds": ["x", 2]}))
        .definition(None)
        .unwrap_err();

        let crate::ApiError::Fields(fields) = error else {
            panic!("{error:?}")
        };
        let mut named: Vec<&String> = fields.as_object().unwrap().keys().collect();
        named.sort();
        assert_eq!(named, ["detectorIds", "enabled", "name", "triggers"]);
    }

    #[test]
    fn frequency_sub_filters_are_refused() {
        let error = body(
            json!({"name": "n", "actionFilters": [{"logicType": "all", "conditions": [
            {"type": "event_unique_user_frequency_count", "comparison": {"value": 1,
             "interval": "1h", "filters": [{"key": "a", "match": "eq", "value": "b"}]}}]}]}),
        )
        .definition(None)
        .unwrap_err();

        assert!(matches!(error, crate::ApiError::Fields(f) if f.get("actionFilters").is_some()));
    }
}
