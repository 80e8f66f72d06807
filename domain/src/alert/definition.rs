//! What a workflow (Sentry's alert) says: when it is evaluated (triggers), which
//! issues and events pass (filters) and what it then does (actions), in the JSON
//! shape of Sentry's workflows API (`triggers`, `actionFilters`).

use serde::{Deserialize, Serialize};

/// How the conditions of a group combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogicType {
    /// At least one holds (`any`, or `any-short`: the same answer, Sentry only
    /// stops evaluating early).
    #[serde(rename = "any")]
    Any,
    /// At least one holds, evaluated until the first that does.
    #[serde(rename = "any-short")]
    AnyShort,
    /// Every one holds.
    #[serde(rename = "all")]
    All,
    /// None holds.
    #[serde(rename = "none")]
    None,
}

impl LogicType {
    /// Combines `results` (an empty group holds).
    pub fn combine(self, mut results: impl Iterator<Item = bool>) -> bool {
        match self {
            LogicType::Any | LogicType::AnyShort => {
                let mut results = results.peekable();
                results.peek().is_none() || results.any(|r| r)
            }
            LogicType::All => results.all(|r| r),
            LogicType::None => !results.any(|r| r),
        }
    }
}

/// What happened to the issue, as a trigger names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// The issue's first event (`IssueCreated`).
    FirstSeenEvent,
    /// A resolved issue got a new event (`IssueRegressed`).
    RegressionEvent,
    /// An ignored issue came back by itself: escalation or expiry
    /// (`IssueUnignored` with reason `escalating` or `expired`).
    ReappearedEvent,
    /// The issue was resolved (`IssueResolved`).
    IssueResolvedTrigger,
}

/// A comparison of a value against a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    /// Equal.
    Eq,
    /// Greater than or equal.
    Gte,
    /// Less than or equal.
    Lte,
}

/// How a tag value is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TagMatch {
    /// Equals.
    Eq,
    /// Does not equal.
    Ne,
    /// Contains.
    Co,
    /// Does not contain.
    Nc,
    /// Is set.
    Is,
    /// Is not set.
    Ns,
}

/// Older or newer than.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgeComparison {
    /// First seen longer ago than the age.
    Older,
    /// First seen more recently than the age.
    Newer,
}

/// A unit of `age_comparison`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeUnit {
    /// Minutes.
    Minute,
    /// Hours.
    Hour,
    /// Days.
    Day,
    /// Weeks.
    Week,
}

impl TimeUnit {
    /// Seconds in one unit.
    pub fn seconds(self) -> i64 {
        match self {
            TimeUnit::Minute => 60,
            TimeUnit::Hour => 3_600,
            TimeUnit::Day => 86_400,
            TimeUnit::Week => 604_800,
        }
    }
}

/// A frequency interval, as Sentry names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Interval {
    /// One minute.
    #[serde(rename = "1min")]
    OneMinute,
    /// Five minutes.
    #[serde(rename = "5min")]
    FiveMinutes,
    /// Fifteen minutes.
    #[serde(rename = "15min")]
    FifteenMinutes,
    /// One hour.
    #[serde(rename = "1h")]
    OneHour,
    /// One day.
    #[serde(rename = "1d")]
    OneDay,
    /// One week.
    #[serde(rename = "1w")]
    OneWeek,
    /// Thirty days.
    #[serde(rename = "30d")]
    ThirtyDays,
}

impl Interval {
    /// The interval in minutes.
    pub fn minutes(self) -> i64 {
        match self {
            Interval::OneMinute => 1,
            Interval::FiveMinutes => 5,
            Interval::FifteenMinutes => 15,
            Interval::OneHour => 60,
            Interval::OneDay => 1_440,
            Interval::OneWeek => 10_080,
            Interval::ThirtyDays => 43_200,
        }
    }
}

/// Who an `assigned_to` filter asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssigneeTarget {
    /// Nobody is assigned.
    Unassigned,
    /// A user (by id).
    Member,
    /// A team (by id).
    Team,
}

/// A filter of an action group: a fact of the issue or the event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "comparison", rename_all = "snake_case")]
pub enum Filter {
    /// The event's level against a level (`{"level": 40, "match": "gte"}`; Sentry's
    /// numbers: debug 10, info 20, warning 30, error 40, fatal 50).
    Level {
        /// The level, as a number.
        level: u8,
        /// How the event's level compares to it.
        #[serde(rename = "match")]
        order: Order,
    },
    /// An event tag (`{"key": "browser", "match": "eq", "value": "firefox"}`).
    TaggedEvent {
        /// The tag key.
        key: String,
        /// How the value matches.
        #[serde(rename = "match")]
        tag_match: TagMatch,
        /// The value (unused by `is`/`ns`).
        #[serde(default)]
        value: String,
    },
    /// The issue's age (`{"comparison_type": "older", "value": 1, "time": "hour"}`).
    AgeComparison {
        /// Older or newer.
        comparison_type: AgeComparison,
        /// How many units.
        value: i64,
        /// The unit.
        time: TimeUnit,
    },
    /// The issue was seen at least this many times (`{"value": 10}`).
    IssueOccurrences {
        /// The least count.
        value: i64,
    },
    /// More than `value` events of the issue in the last `interval`.
    EventFrequencyCount {
        /// The count to exceed.
        value: i64,
        /// The interval.
        interval: Interval,
    },
    /// More than `value` distinct users of the issue in the last `interval`.
    EventUniqueUserFrequencyCount {
        /// The count to exceed.
        value: i64,
        /// The interval.
        interval: Interval,
    },
    /// Who the issue is assigned to (`{"target_type": "Member", "target_identifier": 3}`).
    AssignedTo {
        /// Unassigned, a member or a team.
        target_type: AssigneeTarget,
        /// The user's or team's id (absent for `Unassigned`).
        #[serde(default)]
        target_identifier: Option<i64>,
    },
}

/// A condition as stored and served: a filter or a trigger, and the result it
/// must have for the condition to hold (`conditionResult: false` negates it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition<T> {
    /// What is compared.
    #[serde(flatten)]
    pub what: T,
    /// The result that makes the condition hold.
    #[serde(default = "yes")]
    pub condition_result: bool,
}

fn yes() -> bool {
    true
}

/// A trigger condition (`{"type": "first_seen_event", "comparison": true}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerCondition {
    /// Which trigger.
    #[serde(rename = "type")]
    pub trigger: Trigger,
    /// Always `true` in Sentry's shape.
    #[serde(default = "yes")]
    pub comparison: bool,
}

/// The triggers: when the workflow is evaluated. No condition: on every event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Triggers {
    /// How the triggers combine.
    pub logic_type: LogicType,
    /// The triggers.
    #[serde(default)]
    pub conditions: Vec<Condition<TriggerCondition>>,
}

/// Who an email goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailTarget {
    /// One user (`targetIdentifier`: the user id).
    User,
    /// A team's members (`targetIdentifier`: the team id).
    Team,
    /// The issue's assignee, else the fallthrough.
    IssueOwners,
}

/// Who gets an `issue_owners` email when nobody is assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Fallthrough {
    /// Every member of the organization who is active.
    #[default]
    ActiveMembers,
    /// Every member of the organization.
    AllMembers,
    /// Nobody.
    NoOne,
}

/// What a workflow does when it fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// An email.
    Email {
        /// `targetType` and `targetIdentifier`.
        config: EmailConfig,
        /// `fallthroughType`.
        #[serde(default)]
        data: EmailData,
    },
    /// A signed JSON POST to a URL.
    Webhook {
        /// `targetIdentifier`: the URL.
        config: UrlConfig,
        /// `secret`: the HMAC-SHA256 key of `X-ServiceHook-Signature` (the server
        /// makes one when none is given).
        #[serde(default)]
        data: WebhookData,
    },
    /// A Slack incoming webhook.
    Slack {
        /// `targetIdentifier`: the incoming-webhook URL.
        config: UrlConfig,
    },
    /// A Discord webhook.
    Discord {
        /// `targetIdentifier`: the webhook URL.
        config: UrlConfig,
    },
}

/// The target of an email action.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailConfig {
    /// User, team or the issue's owners.
    pub target_type: EmailTarget,
    /// The user's or team's id (a string, as Sentry sends ids).
    #[serde(default)]
    pub target_identifier: Option<String>,
}

/// The data of an email action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailData {
    /// Who gets it when the issue has no assignee.
    #[serde(default)]
    pub fallthrough_type: Fallthrough,
}

/// A URL target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UrlConfig {
    /// The URL.
    pub target_identifier: String,
}

/// The data of a webhook action.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookData {
    /// The signing secret.
    #[serde(default)]
    pub secret: Option<String>,
}

/// A group of filters and the actions taken when they hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionFilter {
    /// How the filters combine.
    pub logic_type: LogicType,
    /// The filters.
    #[serde(default)]
    pub conditions: Vec<Condition<Filter>>,
    /// The actions.
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// A workflow's definition, as the API takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Definition {
    /// The name.
    pub name: String,
    /// Whether it is evaluated at all.
    pub enabled: bool,
    /// Only events of this environment (none: every environment).
    pub environment: Option<String>,
    /// Fires at most once per issue per this many minutes (0: every time).
    pub frequency_minutes: i64,
    /// When it is evaluated.
    pub triggers: Triggers,
    /// Which issues and events pass, and what is done then.
    pub action_filters: Vec<ActionFilter>,
    /// The projects it watches (each project's error detector has the project's id).
    pub project_ids: Vec<i64>,
}

/// A definition that breaks a rule: the API's field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DefinitionError {
    /// The request field (`name`, `config`, `triggers`, `actionFilters`, `detectorIds`).
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

fn invalid(field: &'static str, message: impl Into<String>) -> DefinitionError {
    DefinitionError {
        field,
        message: message.into(),
    }
}

/// The longest frequency: 30 days.
pub const MAX_FREQUENCY_MINUTES: i64 = 43_200;

impl Definition {
    /// Checks the rules a stored definition keeps.
    pub fn validate(&self) -> Result<(), DefinitionError> {
        if self.name.trim().is_empty() || self.name.chars().count() > 256 {
            return Err(invalid(
                "name",
                "Ensure this field has 1 to 256 characters.",
            ));
        }
        if !(0..=MAX_FREQUENCY_MINUTES).contains(&self.frequency_minutes) {
            return Err(invalid(
                "config",
                format!("frequency must be between 0 and {MAX_FREQUENCY_MINUTES} minutes"),
            ));
        }
        for filter in &self.action_filters {
            for condition in &filter.conditions {
                condition.what.validate()?;
            }
            for action in &filter.actions {
                action.validate()?;
            }
        }
        Ok(())
    }

    /// Whether any filter needs the issue's distinct users per interval.
    pub fn counts_users(&self) -> bool {
        self.filters()
            .any(|f| matches!(f, Filter::EventUniqueUserFrequencyCount { .. }))
    }

    fn filters(&self) -> impl Iterator<Item = &Filter> {
        self.action_filters
            .iter()
            .flat_map(|group| group.conditions.iter().map(|c| &c.what))
    }
}

impl Filter {
    fn validate(&self) -> Result<(), DefinitionError> {
        let field = "actionFilters";
        match self {
            Filter::Level { level, .. } if !matches!(level, 10 | 20 | 30 | 40 | 50) => {
                Err(invalid(field, "level must be one of 10, 20, 30, 40, 50"))
            }
            Filter::TaggedEvent { key, .. } if key.is_empty() => {
                Err(invalid(field, "tagged_event needs a key"))
            }
            Filter::AgeComparison { value, .. } if *value < 0 => {
                Err(invalid(field, "age_comparison value must not be negative"))
            }
            Filter::IssueOccurrences { value }
            | Filter::EventFrequencyCount { value, .. }
            | Filter::EventUniqueUserFrequencyCount { value, .. }
                if *value < 0 =>
            {
                Err(invalid(field, "value must not be negative"))
            }
            Filter::AssignedTo {
                target_type: AssigneeTarget::Member | AssigneeTarget::Team,
                target_identifier: None,
            } => Err(invalid(field, "assigned_to needs a target_identifier")),
            _ => Ok(()),
        }
    }
}

impl Action {
    fn validate(&self) -> Result<(), DefinitionError> {
        let field = "actionFilters";
        match self {
            Action::Email { config, .. } => match (config.target_type, &config.target_identifier) {
                (EmailTarget::User | EmailTarget::Team, None) => Err(invalid(
                    field,
                    "email to a user or team needs a targetIdentifier",
                )),
                (EmailTarget::User | EmailTarget::Team, Some(id)) if id.parse::<i64>().is_err() => {
                    Err(invalid(field, "targetIdentifier must be a user or team id"))
                }
                _ => Ok(()),
            },
            Action::Webhook { config, .. }
            | Action::Slack { config }
            | Action::Discord { config } => {
                if is_http_url(&config.target_identifier) {
                    Ok(())
                } else {
                    Err(invalid(
                        field,
                        "targetIdentifier must be an http or https URL",
                    ))
                }
            }
        }
    }
}

/// Whether `url` is an `http://` or `https://` URL with a host: the only targets a
/// webhook (of an action or a service hook) may have. Whether the host is public is
/// checked when it is sent to, not here.
pub fn is_http_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Sentry's number for a level name (unknown levels count as `error`).
pub fn level_number(level: &str) -> u8 {
    match level {
        "debug" | "sample" => 10,
        "info" | "log" => 20,
        "warning" => 30,
        "fatal" => 50,
        _ => 40,
    }
}

/// Everything a filter can ask about the issue and the event being evaluated.
pub struct Facts<'a> {
    /// The event's level name.
    pub level: &'a str,
    /// The event's tags.
    pub tags: &'a [(String, String)],
    /// Seconds since the issue was first seen.
    pub issue_age_seconds: i64,
    /// Events of the issue so far, this one included.
    pub times_seen: i64,
    /// The assignee: `("user", id)` or `("team", id)`.
    pub assignee: Option<(&'a str, i64)>,
    /// Events of the issue in the last `interval`, this one included.
    pub events_in: &'a dyn Fn(Interval) -> i64,
    /// Distinct users of the issue in the last `interval`.
    pub users_in: &'a dyn Fn(Interval) -> i64,
}

impl Filter {
    /// Whether the filter holds for `facts`.
    pub fn holds(&self, facts: &Facts<'_>) -> bool {
        match self {
            Filter::Level { level, order } => {
                let event = level_number(facts.level);
                match order {
                    Order::Eq => event == *level,
                    Order::Gte => event >= *level,
                    Order::Lte => event <= *level,
                }
            }
            Filter::TaggedEvent {
                key,
                tag_match,
                value,
            } => {
                let mut values = facts.tags.iter().filter(|(k, _)| k == key).map(|(_, v)| v);
                match tag_match {
                    TagMatch::Eq => values.any(|v| v == value),
                    TagMatch::Ne => !values.any(|v| v == value),
                    TagMatch::Co => values.any(|v| v.contains(value.as_str())),
                    TagMatch::Nc => !values.any(|v| v.contains(value.as_str())),
                    TagMatch::Is => values.next().is_some(),
                    TagMatch::Ns => values.next().is_none(),
                }
            }
            Filter::AgeComparison {
                comparison_type,
                value,
                time,
            } => {
                let age = value.saturating_mul(time.seconds());
                match comparison_type {
                    AgeComparison::Older => facts.issue_age_seconds > age,
                    AgeComparison::Newer => facts.issue_age_seconds < age,
                }
            }
            Filter::IssueOccurrences { value } => facts.times_seen >= *value,
            Filter::EventFrequencyCount { value, interval } => {
                (facts.events_in)(*interval) > *value
            }
            Filter::EventUniqueUserFrequencyCount { value, interval } => {
                (facts.users_in)(*interval) > *value
            }
            Filter::AssignedTo {
                target_type,
                target_identifier,
            } => match (target_type, facts.assignee) {
                (AssigneeTarget::Unassigned, assignee) => assignee.is_none(),
                (AssigneeTarget::Member, Some(("user", id)))
                | (AssigneeTarget::Team, Some(("team", id))) => Some(id) == *target_identifier,
                _ => false,
            },
        }
    }
}

impl ActionFilter {
    /// Whether the group's filters hold for `facts`.
    pub fn passes(&self, facts: &Facts<'_>) -> bool {
        self.logic_type.combine(
            self.conditions
                .iter()
                .map(|c| c.what.holds(facts) == c.condition_result),
        )
    }
}

impl Triggers {
    /// Whether what happened (`fired`: the triggers that apply to this event, none
    /// for a plain new event) evaluates the workflow. No trigger condition: every
    /// event does.
    pub fn evaluate(&self, fired: &[Trigger]) -> bool {
        if self.conditions.is_empty() {
            return true;
        }
        self.logic_type.combine(
            self.conditions
                .iter()
                .map(|c| fired.contains(&c.what.trigger) == c.condition_result),
        )
    }
}

#[cfg(test)]
mod tests;
