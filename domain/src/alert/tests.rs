//! Given/when/then tests of the workflow aggregate.

use cqrs_es::test::TestFramework;
use cqrs_es::DomainEvent;
use serde_json::json;

use super::definition::{
    Action, ActionFilter, DefinitionError, LogicType, Triggers, UrlConfig, WebhookData,
};
use super::*;

type WorkflowTest = TestFramework<Workflow>;

const FRESH: &str = "5f0c1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff";
const OTHER: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn webhook(url: &str, secret: Option<&str>) -> Action {
    Action::Webhook {
        config: UrlConfig {
            target_identifier: url.into(),
        },
        data: WebhookData {
            secret: secret.map(str::to_owned),
        },
    }
}

fn definition(actions: Vec<Action>) -> Definition {
    Definition {
        name: "New issues".into(),
        enabled: true,
        environment: None,
        frequency_minutes: 30,
        triggers: Triggers {
            logic_type: LogicType::AnyShort,
            conditions: vec![],
        },
        action_filters: vec![ActionFilter {
            logic_type: LogicType::All,
            conditions: vec![],
            actions,
        }],
        project_ids: vec![42],
    }
}

fn create(definition: Definition, secrets: &[&str]) -> WorkflowCommand {
    WorkflowCommand::CreateWorkflow {
        workflow_id: 17,
        org_id: 3,
        definition,
        created_by: 5,
        secrets: secrets.iter().map(|s| s.to_string()).collect(),
    }
}

fn update(definition: Definition, secrets: &[&str]) -> WorkflowCommand {
    WorkflowCommand::UpdateWorkflow {
        definition,
        secrets: secrets.iter().map(|s| s.to_string()).collect(),
    }
}

fn created(definition: Definition) -> WorkflowEvent {
    WorkflowEvent::WorkflowCreated {
        workflow_id: 17,
        org_id: 3,
        definition,
        created_by: 5,
    }
}

fn updated(definition: Definition) -> WorkflowEvent {
    WorkflowEvent::WorkflowUpdated {
        workflow_id: 17,
        org_id: 3,
        definition,
    }
}

fn deleted() -> WorkflowEvent {
    WorkflowEvent::WorkflowDeleted {
        workflow_id: 17,
        org_id: 3,
    }
}

const HOOK: &str = "https://hooks.example.com/a";

#[test]
fn creating_a_workflow_records_its_definition_and_creator() {
    WorkflowTest::with(())
        .given_no_previous_events()
        .when(create(definition(vec![]), &[]))
        .then_expect_events(vec![created(definition(vec![]))]);
}

#[test]
fn creating_a_workflow_twice_is_rejected() {
    WorkflowTest::with(())
        .given(vec![created(definition(vec![]))])
        .when(create(definition(vec![]), &[]))
        .then_expect_error(WorkflowError::AlreadyExists);
}

#[test]
fn updating_a_workflow_that_was_never_created_is_rejected() {
    WorkflowTest::with(())
        .given_no_previous_events()
        .when(update(definition(vec![]), &[]))
        .then_expect_error(WorkflowError::NotFound);
}

#[test]
fn deleting_a_workflow_that_was_never_created_is_rejected() {
    WorkflowTest::with(())
        .given_no_previous_events()
        .when(WorkflowCommand::DeleteWorkflow)
        .then_expect_error(WorkflowError::NotFound);
}

#[test]
fn a_webhook_action_without_a_secret_gets_a_fresh_one() {
    WorkflowTest::with(())
        .given_no_previous_events()
        .when(create(definition(vec![webhook(HOOK, None)]), &[FRESH]))
        .then_expect_events(vec![created(definition(vec![webhook(HOOK, Some(FRESH))]))]);
}

#[test]
fn a_webhook_action_with_an_empty_secret_gets_a_fresh_one() {
    WorkflowTest::with(())
        .given_no_previous_events()
        .when(create(definition(vec![webhook(HOOK, Some(""))]), &[FRESH]))
        .then_expect_events(vec![created(definition(vec![webhook(HOOK, Some(FRESH))]))]);
}

#[test]
fn a_webhook_action_with_a_secret_keeps_it() {
    WorkflowTest::with(())
        .given_no_previous_events()
        .when(create(
            definition(vec![webhook(HOOK, Some("mine"))]),
            &[FRESH],
        ))
        .then_expect_events(vec![created(definition(vec![webhook(HOOK, Some("mine"))]))]);
}

#[test]
fn a_webhook_action_without_a_secret_and_no_fresh_one_is_rejected() {
    WorkflowTest::with(())
        .given_no_previous_events()
        .when(create(definition(vec![webhook(HOOK, None)]), &[]))
        .then_expect_error(WorkflowError::MissingSecret);
}

#[test]
fn an_update_without_a_secret_keeps_the_secret_of_the_webhook_to_the_same_url() {
    WorkflowTest::with(())
        .given(vec![created(definition(vec![webhook(HOOK, Some(OTHER))]))])
        .when(update(
            definition(vec![
                webhook(HOOK, None),
                webhook("https://b.example.com/", None),
            ]),
            &[FRESH, FRESH],
        ))
        .then_expect_events(vec![updated(definition(vec![
            webhook(HOOK, Some(OTHER)),
            webhook("https://b.example.com/", Some(FRESH)),
        ]))]);
}

#[test]
fn a_definition_that_breaks_a_rule_is_rejected_naming_the_field() {
    let mut unnamed = definition(vec![]);
    unnamed.name = " ".into();

    WorkflowTest::with(())
        .given_no_previous_events()
        .when(create(unnamed, &[]))
        .then_expect_error(WorkflowError::Invalid(DefinitionError {
            field: "name",
            message: "Ensure this field has 1 to 256 characters.".into(),
        }));
}

#[test]
fn an_update_that_breaks_a_rule_is_rejected() {
    let mut too_rare = definition(vec![]);
    too_rare.frequency_minutes = -1;

    WorkflowTest::with(())
        .given(vec![created(definition(vec![]))])
        .when(update(too_rare, &[]))
        .then_expect_error(WorkflowError::Invalid(DefinitionError {
            field: "config",
            message: "frequency must be between 0 and 43200 minutes".into(),
        }));
}

#[test]
fn updating_records_the_whole_new_definition() {
    let mut disabled = definition(vec![]);
    disabled.enabled = false;

    WorkflowTest::with(())
        .given(vec![created(definition(vec![]))])
        .when(update(disabled.clone(), &[]))
        .then_expect_events(vec![updated(disabled)]);
}

#[test]
fn updating_to_the_same_definition_records_nothing() {
    WorkflowTest::with(())
        .given(vec![created(definition(vec![webhook(HOOK, Some(OTHER))]))])
        .when(update(definition(vec![webhook(HOOK, None)]), &[FRESH]))
        .then_expect_events(vec![]);
}

#[test]
fn deleting_a_workflow_records_it() {
    WorkflowTest::with(())
        .given(vec![created(definition(vec![]))])
        .when(WorkflowCommand::DeleteWorkflow)
        .then_expect_events(vec![deleted()]);
}

#[test]
fn commands_on_a_deleted_workflow_are_rejected() {
    WorkflowTest::with(())
        .given(vec![created(definition(vec![])), deleted()])
        .when(update(definition(vec![]), &[]))
        .then_expect_error(WorkflowError::WorkflowDeleted);
}

#[test]
fn events_are_stored_in_the_shape_the_evaluator_folds() {
    let event = created(definition(vec![webhook(HOOK, Some(OTHER))]));

    let stored = serde_json::to_value(&event).unwrap();

    assert_eq!(event.event_type(), "WorkflowCreated");
    assert_eq!(event.event_version(), "1.0");
    assert_eq!(
        stored,
        json!({"WorkflowCreated": {
            "workflow_id": 17, "org_id": 3, "created_by": 5,
            "definition": {
                "name": "New issues", "enabled": true, "environment": null,
                "frequencyMinutes": 30,
                "triggers": {"logicType": "any-short", "conditions": []},
                "actionFilters": [{"logicType": "all", "conditions": [], "actions": [
                    {"type": "webhook", "config": {"targetIdentifier": HOOK},
                     "data": {"secret": OTHER}}]}],
                "projectIds": [42]}}})
    );
}

#[test]
fn a_workflow_folds_its_events() {
    let mut workflow = Workflow::default();
    workflow.apply(created(definition(vec![])));

    assert_eq!(workflow.workflow_id(), Some(17));
    assert_eq!(workflow.org_id(), 3);
    assert_eq!(workflow.definition(), Some(&definition(vec![])));
    assert!(workflow.is_live());
    workflow.apply(deleted());
    assert!(!workflow.is_live());
}
