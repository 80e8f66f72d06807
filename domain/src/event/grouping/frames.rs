//! What a frame contributes to grouping once the names a build, a deploy or a runtime
//! generates are taken out, as Sentry's `newstyle` frame strategy does: Java's
//! generated accessors, proxies and lambdas, Ruby's ERB template suffixes and block
//! names, PHP's anonymous classes, JavaScript's receivers, unknown names and
//! low-quality frames. The patterns are compiled once.

use std::sync::OnceLock;

use regex::Regex;

use super::super::normalize::Frame;

/// A frame's contribution: where it is (module, else file) and its function; `None`
/// for a part that does not contribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameKey {
    /// The module, or the file's basename without revision hashes.
    pub location: Option<String>,
    /// The function.
    pub function: Option<String>,
}

/// Whether the platform is JavaScript's family.
pub fn is_javascript(platform: &str) -> bool {
    matches!(platform, "javascript" | "node")
}

/// The frame's key on `platform` (the frame's own, else the event's); `None` when the
/// whole frame is dropped (JavaScript's `eval` and native code frames).
pub fn frame_key(frame: &Frame, platform: &str) -> Option<FrameKey> {
    let platform = frame.platform.as_deref().unwrap_or(platform);
    if is_javascript(platform) && low_quality_javascript(frame) {
        return None;
    }
    let module = frame
        .module
        .as_deref()
        .and_then(|module| module_key(module, platform, frame.abs_path.as_deref()));
    let location = module.or_else(|| {
        frame
            .filename
            .as_deref()
            .or(frame.abs_path.as_deref())
            .filter(|f| !matches!(*f, "<anonymous>" | "[native code]"))
            .map(|f| filename_key(f, platform))
    });
    let function = frame
        .function
        .as_deref()
        .and_then(|f| function_key(f, platform));
    Some(FrameKey { location, function })
}

fn low_quality_javascript(frame: &Frame) -> bool {
    let function = frame.function.as_deref().map(last_segment);
    let abs_path = frame.abs_path.as_deref().unwrap_or_default();
    function == Some("eval")
        || matches!(
            abs_path,
            "[native code]" | "native code" | "eval code" | "<anonymous>"
        )
}

fn last_segment(function: &str) -> &str {
    function.rsplit('.').next().unwrap_or(function)
}

struct Patterns {
    java_codegen: Vec<Regex>,
    java_assist_file: Regex,
    ruby_erb: Regex,
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let compile = |p: &str| Regex::new(p).expect("grouping patterns are valid");
        Patterns {
            java_codegen: [
                r"(sun\.reflect\.Generated(?:Serialization)?ConstructorAccessor)\d+",
                r"(\$\$[\w_]+?CGLIB\$\$)[a-fA-F0-9]+(_[0-9]+)?",
                r"(\$\$_javassist)(?:_seam)?(?:_[0-9]+)?",
                r"(\$fn__)\d+",
                r"(\$\$?EnhancerBy[\w_]+?\$?\$)[a-fA-F0-9]+(_[0-9]+)?",
                r"(\$\$?FastClassBy[\w_]+?\$?\$)[a-fA-F0-9]+(_[0-9]+)?",
                r"(\$\$?HibernateProxy\$?\$)\w+(_[0-9]+)?",
            ]
            .into_iter()
            .map(compile)
            .collect(),
            java_assist_file: compile(r"(\$\$_javassist)(?:_seam)?(?:_[0-9]+)?"),
            ruby_erb: compile(r"__\d{4,}_\d{4,}$"),
        }
    })
}

fn module_key(module: &str, platform: &str, abs_path: Option<&str>) -> Option<String> {
    if platform == "java" {
        if module.contains("$$Lambda$") {
            return None;
        }
        for prefix in [
            "sun.reflect.GeneratedMethodAccessor",
            "jdk.internal.reflect.GeneratedMethodAccessor",
        ] {
            if module.starts_with(prefix) {
                return Some(prefix.to_owned());
            }
        }
        let mut module = module.to_owned();
        for pattern in &patterns().java_codegen {
            module = pattern.replace_all(&module, "${1}<auto>").into_owned();
        }
        return Some(module);
    }
    // A JavaScript "module" that is only the tail of the file's URL says nothing.
    if is_javascript(platform)
        && module.contains('/')
        && abs_path.is_some_and(|p| p.ends_with(module))
    {
        return None;
    }
    Some(module.to_owned())
}

fn filename_key(path: &str, platform: &str) -> String {
    let base = super::normalize_filename(path);
    if platform == "java" {
        return patterns()
            .java_assist_file
            .replace_all(&base, "${1}<auto>")
            .into_owned();
    }
    base
}

fn function_key(function: &str, platform: &str) -> Option<String> {
    match platform {
        "ruby" => {
            if function.starts_with("block ") {
                return Some("block".to_owned());
            }
            Some(patterns().ruby_erb.replace(function, "").into_owned())
        }
        "php" => {
            if function.starts_with("[Anonymous") {
                return None;
            }
            if function.starts_with("class@anonymous") {
                return function.rsplit_once("::").map(|(_, f)| f.to_owned());
            }
            Some(function.to_owned())
        }
        "java" if function.starts_with("lambda$") => None,
        "native" | "cocoa" | "c" if matches!(function, "<redacted>" | "<unknown>") => None,
        platform if is_javascript(platform) => {
            let name = last_segment(function);
            let unknown = matches!(
                name,
                "" | "?" | "<anonymous function>" | "<anonymous>" | "Anonymous function"
            ) || name.ends_with("/<");
            (!unknown).then(|| name.to_owned())
        }
        _ => Some(function.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(platform: &str, module: Option<&str>, function: &str) -> Option<FrameKey> {
        let frame = Frame {
            module: module.map(str::to_owned),
            function: Some(function.to_owned()),
            ..Frame::default()
        };
        frame_key(&frame, platform)
    }

    fn location(platform: &str, module: &str) -> Option<String> {
        key(platform, Some(module), "f").unwrap().location
    }

    fn function(platform: &str, function: &str) -> Option<String> {
        key(platform, None, function).unwrap().function
    }

    #[test]
    fn java_generated_accessors_keep_only_their_prefix() {
        assert_eq!(
            location("java", "sun.reflect.GeneratedMethodAccessor123").as_deref(),
            Some("sun.reflect.GeneratedMethodAccessor")
        );
        assert_eq!(
            location("java", "jdk.internal.reflect.GeneratedMethodAccessor9").as_deref(),
            Some("jdk.internal.reflect.GeneratedMethodAccessor")
        );
        assert_eq!(
            location("java", "sun.reflect.GeneratedConstructorAccessor42").as_deref(),
            Some("sun.reflect.GeneratedConstructorAccessor<auto>")
        );
    }

    #[test]
    fn java_proxies_lose_their_generated_suffixes() {
        assert_eq!(
            location(
                "java",
                "com.example.Config$$EnhancerBySpringCGLIB$$1ebdddb0"
            )
            .as_deref(),
            Some("com.example.Config$$EnhancerBySpringCGLIB$$<auto>")
        );
        assert_eq!(
            location("java", "com.example.Svc$$FastClassBySpringCGLIB$$abc123_2").as_deref(),
            Some("com.example.Svc$$FastClassBySpringCGLIB$$<auto>")
        );
        assert_eq!(
            location("java", "com.example.model.User$HibernateProxy$oRWxjAWT").as_deref(),
            Some("com.example.model.User$HibernateProxy$<auto>")
        );
        assert_eq!(
            location("java", "com.example.Dao_$$_javassist_seam_12").as_deref(),
            Some("com.example.Dao_$$_javassist<auto>")
        );
    }

    #[test]
    fn java_lambdas_do_not_contribute() {
        assert_eq!(location("java", "foo.bar.Baz$$Lambda$40/1673859467"), None);
        assert_eq!(function("java", "lambda$main$0"), None);
    }

    #[test]
    fn ruby_erb_templates_lose_their_generated_suffix_and_blocks_their_detail() {
        assert_eq!(
            function(
                "ruby",
                "_app_views_orders_show_html_erb__3327151541118998292_70361296749460"
            )
            .as_deref(),
            Some("_app_views_orders_show_html_erb")
        );
        assert_eq!(
            function("ruby", "block (2 levels) in call").as_deref(),
            Some("block")
        );
    }

    #[test]
    fn php_anonymous_classes_lose_their_generated_name() {
        assert_eq!(function("php", "[Anonymous function]"), None);
        assert_eq!(
            function("php", "class@anonymous\u{0}/app/x.php:3$0::handle").as_deref(),
            Some("handle")
        );
    }

    #[test]
    fn javascript_functions_lose_their_receiver_and_unknown_names_do_not_contribute() {
        assert_eq!(
            function("javascript", "Object.checkout").as_deref(),
            Some("checkout")
        );
        assert_eq!(function("node", "<anonymous>"), None);
        assert_eq!(function("javascript", "?"), None);
        assert_eq!(key("javascript", None, "eval"), None);
    }

    #[test]
    fn names_sentry_keeps_stay_as_they_are() {
        assert_eq!(
            function("csharp", "<Main>d__12").as_deref(),
            Some("<Main>d__12")
        );
        assert_eq!(
            function("go", "background.func2").as_deref(),
            Some("background.func2")
        );
        assert_eq!(function("python", "<lambda>").as_deref(), Some("<lambda>"));
    }
}
