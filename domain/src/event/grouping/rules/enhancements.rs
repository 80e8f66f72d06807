//! Stack trace rules (`groupingEnhancements`), in Sentry's syntax: frame matchers, then
//! actions: `+app`/`-app` (in-app or not), `+group`/`-group` (contributes to grouping
//! or not), each for the matching frame or, prefixed `^`, the frames above it (towards
//! the crash) or, prefixed `v`, below it (towards the callers); `max-frames=N` and
//! `min-frames=N` for the whole stack. Later rules win. The built-in rules (Sentry's
//! defaults that matter across platforms) run before a project's own.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{OnceLock, RwLock};

use super::super::super::normalize::{Frame, NormalizedEvent};
use super::matchers::Matcher;
use super::parse::{rule_lines, Cursor};
use super::RuleError;

/// What an action changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flag {
    App,
    Group,
}

/// Which frames an action changes, relative to the matching frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Range {
    This,
    /// `^`: the frames after it in the list (towards the crash).
    Up,
    /// `v`: the frames before it (towards the callers).
    Down,
}

#[derive(Debug, Clone)]
enum Action {
    Flag {
        flag: Flag,
        value: bool,
        range: Range,
    },
    MaxFrames(usize),
    MinFrames(usize),
}

/// One rule.
#[derive(Debug, Clone)]
pub struct Enhancement {
    matchers: Vec<Matcher>,
    actions: Vec<Action>,
    /// The line as written.
    pub text: String,
}

/// Parsed stack trace rules.
#[derive(Debug, Clone, Default)]
pub struct Enhancements {
    rules: Vec<Enhancement>,
}

/// A frame's state once the rules ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameState {
    /// In-app.
    pub in_app: bool,
    /// Contributes to grouping.
    pub group: bool,
    /// The rule that last changed `in_app` or `group`.
    pub rule: Option<String>,
}

/// A stack's state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StackState {
    /// Per frame, in order.
    pub frames: Vec<FrameState>,
    /// At most this many contributing frames (nearest the crash).
    pub max_frames: Option<usize>,
    /// Fewer contributing frames than this: the stack does not contribute.
    pub min_frames: Option<usize>,
}

/// Frames whose built-in verdict is remembered at most; then forgotten and learned again.
const REMEMBERED_FRAMES: usize = 200_000;

/// What frame-local rules decided for a frame.
#[derive(Debug, Clone, Copy, Default)]
struct Verdict {
    in_app: Option<bool>,
    group: Option<bool>,
    rule: Option<usize>,
}

fn frame_hash(frame: &Frame, platform: &str, in_app: bool) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (
        &frame.module,
        &frame.function,
        &frame.abs_path,
        &frame.filename,
        &frame.package,
        frame.platform.as_deref().unwrap_or(platform),
        in_app,
    )
        .hash(&mut hasher);
    hasher.finish()
}

const BUILT_IN: &str = "\
# Sentry's defaults: dependencies are not application code, polyfills and runtime
# internals never group.
path:**/node_modules/** -app
path:**/site-packages/** -app
path:**/dist-packages/** -app
path:**/vendor/** -app
path:**/go/pkg/mod/** -app
module:@babel/** -app -group
module:core-js/** -app -group
module:regenerator-runtime/** -app -group
module:tslib/** -app -group
family:javascript function:runMicrotasks -app -group
family:javascript function:queueMicrotask -app -group
family:javascript function:processTicksAndRejections -app -group
family:javascript function:runNextTicks -app -group
family:javascript function:nextTick -app -group
module:io.sentry.* -app -group
module:sentry_sdk.* -app -group
module:kotlin.* -app
module:kotlinx.* -app
";

impl Enhancements {
    /// Parses rules; an error names the line and column.
    pub fn parse(text: &str) -> Result<Enhancements, RuleError> {
        let mut rules = Vec::new();
        for (number, line) in rule_lines(text) {
            rules.push(parse_rule(line, number)?);
        }
        Ok(Enhancements { rules })
    }

    /// Sentry's built-in rules, compiled once.
    pub fn built_in() -> &'static Enhancements {
        static BUILT: OnceLock<Enhancements> = OnceLock::new();
        BUILT.get_or_init(|| Enhancements::parse(BUILT_IN).expect("built-in rules parse"))
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// [`Enhancements::apply`] for rules that read one frame at a time (no exception
    /// matchers, ranges or frame counts, as the built-in ones): each distinct frame's
    /// verdict is remembered, since the same frames come back event after event.
    pub fn apply_per_frame(
        &self,
        event: &NormalizedEvent,
        frames: &[Frame],
        state: &mut StackState,
    ) {
        static VERDICTS: OnceLock<RwLock<HashMap<u64, Verdict>>> = OnceLock::new();
        let verdicts = VERDICTS.get_or_init(RwLock::default);
        for (index, frame) in frames.iter().enumerate() {
            let in_app = state.frames[index].in_app;
            let key = frame_hash(frame, &event.platform, in_app);
            let known = verdicts.read().ok().and_then(|v| v.get(&key).copied());
            let verdict = match known {
                Some(verdict) => verdict,
                None => {
                    let verdict = self.verdict(frame, in_app, &event.platform);
                    if let Ok(mut verdicts) = verdicts.write() {
                        if verdicts.len() >= REMEMBERED_FRAMES {
                            verdicts.clear();
                        }
                        verdicts.insert(key, verdict);
                    }
                    verdict
                }
            };
            let frame_state = &mut state.frames[index];
            let before = (frame_state.in_app, frame_state.group);
            if let Some(app) = verdict.in_app {
                frame_state.in_app = app;
            }
            if let Some(group) = verdict.group {
                frame_state.group = group;
            }
            // A rule that confirms what the frame already was changed nothing.
            if let Some(rule) = verdict
                .rule
                .filter(|_| before != (frame_state.in_app, frame_state.group))
            {
                frame_state.rule = Some(self.rules[rule].text.clone());
            }
        }
    }

    fn verdict(&self, frame: &Frame, mut in_app: bool, platform: &str) -> Verdict {
        let mut verdict = Verdict::default();
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule
                .matchers
                .iter()
                .all(|m| m.matches_frame(frame, in_app, platform))
            {
                continue;
            }
            for action in &rule.actions {
                if let Action::Flag { flag, value, .. } = *action {
                    match flag {
                        Flag::App => {
                            verdict.in_app = Some(value);
                            in_app = value;
                        }
                        Flag::Group => verdict.group = Some(value),
                    }
                    verdict.rule = Some(index);
                }
            }
        }
        verdict
    }

    /// Runs the rules over one exception's frames, from `initial` states.
    pub fn apply(
        &self,
        event: &NormalizedEvent,
        exception: Option<&super::super::super::normalize::Exception>,
        frames: &[Frame],
        state: &mut StackState,
    ) {
        for rule in &self.rules {
            let exception_matches =
                rule.matchers
                    .iter()
                    .filter(|m| m.field.of_exception())
                    .all(|m| {
                        exception.is_some_and(|e| {
                            m.matches_exception(e.ty.as_deref(), e.value.as_deref(), None)
                        })
                    });
            if !exception_matches {
                continue;
            }
            for index in 0..frames.len() {
                let in_app = state.frames[index].in_app;
                let hit = rule
                    .matchers
                    .iter()
                    .filter(|m| m.field.of_frame())
                    .all(|m| m.matches_frame(&frames[index], in_app, &event.platform));
                if !hit {
                    continue;
                }
                for action in &rule.actions {
                    match *action {
                        Action::Flag { flag, value, range } => {
                            let targets = match range {
                                Range::This => index..index + 1,
                                Range::Up => index + 1..frames.len(),
                                Range::Down => 0..index,
                            };
                            for target in targets {
                                let frame = &mut state.frames[target];
                                let slot = match flag {
                                    Flag::App => &mut frame.in_app,
                                    Flag::Group => &mut frame.group,
                                };
                                if *slot != value {
                                    *slot = value;
                                    frame.rule = Some(rule.text.clone());
                                }
                            }
                        }
                        Action::MaxFrames(n) => state.max_frames = Some(n),
                        Action::MinFrames(n) => state.min_frames = Some(n),
                    }
                }
            }
        }
    }
}

fn parse_rule(line: &str, number: usize) -> Result<Enhancement, RuleError> {
    let mut cursor = Cursor::new(line, number);
    let mut matchers = Vec::new();
    let mut actions = Vec::new();
    loop {
        cursor.skip_space(false);
        if cursor.rest().is_empty() {
            break;
        }
        let start = cursor.position();
        if cursor.rest().starts_with('[') || cursor.rest().starts_with('|') {
            return Err(cursor.message_at(
                start,
                "Caller and callee matchers ([ ... ] |) are not supported",
            ));
        }
        if let Some(action) = parse_action(&mut cursor)? {
            actions.push(action);
            continue;
        }
        if !actions.is_empty() {
            return Err(cursor.error_at(start));
        }
        matchers.push(Matcher::parse(&mut cursor, true)?);
    }
    if matchers.is_empty() || actions.is_empty() {
        return Err(cursor.error_at(0));
    }
    Ok(Enhancement {
        matchers,
        actions,
        text: line.trim().to_owned(),
    })
}

fn parse_action(cursor: &mut Cursor<'_>) -> Result<Option<Action>, RuleError> {
    let start = cursor.position();
    for (name, max) in [("max-frames=", true), ("min-frames=", false)] {
        if cursor.eat_str(name) {
            let number = cursor.take_while(|c| c.is_ascii_digit());
            let n: usize = number.parse().map_err(|_| cursor.error_at(start))?;
            return Ok(Some(if max {
                Action::MaxFrames(n)
            } else {
                Action::MinFrames(n)
            }));
        }
    }
    if cursor.rest().starts_with("category=") {
        return Err(cursor.message_at(start, "The category action is not supported"));
    }
    let range = if cursor.eat('^') {
        Range::Up
    } else if cursor.rest().starts_with("v+") || cursor.rest().starts_with("v-") {
        cursor.eat('v');
        Range::Down
    } else {
        Range::This
    };
    let value = if cursor.eat('+') {
        true
    } else if cursor.eat('-') {
        false
    } else if range == Range::This {
        return Ok(None);
    } else {
        return Err(cursor.error_at(start));
    };
    let flag = if cursor.eat_str("app") {
        Flag::App
    } else if cursor.eat_str("group") {
        Flag::Group
    } else {
        return Err(cursor.error_at(start));
    };
    Ok(Some(Action::Flag { flag, value, range }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_with_flags_ranges_and_frame_counts() {
        let rules = Enhancements::parse(
            "# ours\nstack.module:com.example.* +app\nstack.function:log_* -group\nfunction:crash ^-group max-frames=3\n",
        )
        .unwrap();
        assert_eq!(rules.rules.len(), 3);
    }

    #[test]
    fn a_bad_rule_names_its_line_and_column() {
        let error = Enhancements::parse("stack.module:a +app\nstack.modul:b +app").unwrap_err();
        assert_eq!(
            error.to_string(),
            "Unknown matcher 'stack.modul' (line 2, column 1)"
        );
        let error = Enhancements::parse("stack.module:a +apple").unwrap_err();
        assert!(
            error.to_string().starts_with("Invalid syntax near"),
            "{error}"
        );
        let error = Enhancements::parse("stack.module:a").unwrap_err();
        assert!(error.to_string().contains("(line 1, column 1)"), "{error}");
    }

    #[test]
    fn the_built_in_rules_parse() {
        assert!(!Enhancements::built_in().is_empty());
    }
}
