//! Whether an event's release regresses an issue resolved in (or after) a release.
//!
//! Releases compare numerically when both are semver-ish: dot-separated numbers with
//! an optional package prefix (`shop@1.2.3`, `v1.2`), the same package on both sides.
//! Other releases compare by creation: a release the project had before the one
//! resolved against (`earlier_releases`, recorded at the resolve) is older; any other
//! release that differs is newer.

use std::cmp::Ordering;

use super::details::ResolveDetails;

/// Whether an event of `release` reopens an issue resolved as `details`.
pub(super) fn regresses(details: &ResolveDetails, release: Option<&str>) -> bool {
    let Some(release) = release else {
        return matches!(details, ResolveDetails::Plain);
    };
    match details {
        ResolveDetails::Plain => true,
        ResolveDetails::InRelease {
            version,
            earlier_releases,
        } => match compare(release, version) {
            Some(order) => order != Ordering::Less,
            None => release != version && !contains(earlier_releases, release),
        },
        ResolveDetails::InNextRelease {
            current_release: Some(current),
            earlier_releases,
        } => match compare(release, current) {
            Some(order) => order == Ordering::Greater,
            None => release != current && !contains(earlier_releases, release),
        },
        ResolveDetails::InNextRelease {
            current_release: None,
            ..
        } => true,
    }
}

fn contains(releases: &[String], release: &str) -> bool {
    releases.iter().any(|r| r == release)
}

/// `a` against `b` when both are semver-ish releases of the same package.
fn compare(a: &str, b: &str) -> Option<Ordering> {
    let (package_a, numbers_a) = parse(a)?;
    let (package_b, numbers_b) = parse(b)?;
    if package_a != package_b {
        return None;
    }
    let len = numbers_a.len().max(numbers_b.len());
    let part = |numbers: &[u64], i: usize| numbers.get(i).copied().unwrap_or(0);
    Some(
        (0..len)
            .map(|i| part(&numbers_a, i).cmp(&part(&numbers_b, i)))
            .find(|order| order.is_ne())
            .unwrap_or(Ordering::Equal),
    )
}

/// `shop@v1.2.3` → `("shop", [1, 2, 3])`.
fn parse(release: &str) -> Option<(&str, Vec<u64>)> {
    let (package, version) = release.rsplit_once('@').unwrap_or(("", release));
    let version = version.strip_prefix('v').unwrap_or(version);
    let numbers = version
        .split('.')
        .map(|part| {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                None
            } else {
                part.parse().ok()
            }
        })
        .collect::<Option<Vec<u64>>>()?;
    Some((package, numbers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_release(version: &str) -> ResolveDetails {
        ResolveDetails::InRelease {
            version: version.to_owned(),
            earlier_releases: vec![],
        }
    }

    fn in_next_release(current: &str, earlier: &[&str]) -> ResolveDetails {
        ResolveDetails::InNextRelease {
            current_release: Some(current.to_owned()),
            earlier_releases: earlier.iter().map(|r| r.to_string()).collect(),
        }
    }

    #[test]
    fn a_free_form_release_created_before_the_current_one_does_not_regress_in_next_release() {
        let details = in_next_release("build-b", &["build-b", "build-a"]);
        assert!(!regresses(&details, Some("build-a")));
        assert!(!regresses(&details, Some("build-b")));
        assert!(regresses(&details, Some("build-c")));
    }

    #[test]
    fn a_free_form_release_older_than_the_fixing_one_does_not_regress_in_release() {
        let details = ResolveDetails::InRelease {
            version: "build-b".to_owned(),
            earlier_releases: vec!["build-a".to_owned()],
        };
        assert!(!regresses(&details, Some("build-a")));
        assert!(regresses(&details, Some("build-c")));
    }

    #[test]
    fn semver_releases_compare_by_version_whatever_was_created_first() {
        let details = in_next_release("shop@2.0.0", &["shop@3.0.0"]);
        assert!(regresses(&details, Some("shop@3.0.0")));
    }

    #[test]
    fn semver_ish_releases_compare_numerically_not_as_text() {
        assert_eq!(compare("1.10.0", "1.9"), Some(Ordering::Greater));
        assert_eq!(compare("shop@1.2", "shop@1.2.0"), Some(Ordering::Equal));
        assert_eq!(compare("v2", "1.99"), Some(Ordering::Greater));
    }

    #[test]
    fn releases_of_different_packages_or_free_form_do_not_compare() {
        assert_eq!(compare("shop@1.0", "api@2.0"), None);
        assert_eq!(compare("abc123", "1.0"), None);
        assert_eq!(compare("1.0-beta", "1.0"), None);
    }

    #[test]
    fn an_event_of_the_fixing_release_or_newer_regresses_an_issue_resolved_in_it() {
        assert!(regresses(&in_release("shop@1.2.0"), Some("shop@1.2.0")));
        assert!(regresses(&in_release("shop@1.2.0"), Some("shop@1.3")));
        assert!(!regresses(&in_release("shop@1.2.0"), Some("shop@1.1.9")));
    }

    #[test]
    fn a_free_form_release_regresses_only_when_it_differs_from_the_resolved_one() {
        assert!(!regresses(&in_release("abc"), Some("abc")));
        assert!(regresses(&in_release("abc"), Some("def")));
    }

    #[test]
    fn an_event_without_a_release_regresses_only_a_plain_resolve() {
        assert!(regresses(&ResolveDetails::Plain, None));
        assert!(!regresses(&in_release("1.0"), None));
    }
}
