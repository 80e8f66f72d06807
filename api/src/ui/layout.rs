//! The page shell: head, the stylesheet (inline: no second request, no download),
//! the navigation of a signed-in person, and small shared pieces (times, sparklines).

use axum::response::Html;
use chrono::{DateTime, Utc};
use maud::{html, Markup, PreEscaped, DOCTYPE};

/// The stylesheet of every page.
const STYLE: &str = include_str!("style.css");

/// Where a signed-in page sits: the organization and the person.
pub struct Nav<'a> {
    /// The organization's slug.
    pub org: &'a str,
    /// The person's email.
    pub email: &'a str,
    /// The session's CSRF token, for the log-out form.
    pub csrf: &'a str,
    /// The section to mark as current (`issues`, `projects`, `alerts`, `settings`).
    pub section: &'a str,
}

impl super::session::Viewer {
    /// The navigation of this person's pages in organization `org`.
    pub fn nav<'a>(&'a self, org: &'a str, section: &'a str) -> Nav<'a> {
        Nav {
            org,
            email: &self.caller.owner.email,
            csrf: &self.csrf,
            section,
        }
    }
}

/// A page for a signed-in person.
pub fn page(title: &str, nav: &Nav<'_>, main: Markup) -> Html<String> {
    let link = |section: &str, href: String, label: &str| {
        html! {
            a href=(href) aria-current=[(section == nav.section).then_some("page")] { (label) }
        }
    };
    shell(
        title,
        html! {
            header.top {
                nav aria-label="Main" {
                    a.brand href="/" { "Faultline" }
                    span.org { (nav.org) }
                    (link("issues", format!("/organizations/{}/issues/", nav.org), "Issues"))
                    (link("projects", format!("/organizations/{}/projects/", nav.org), "Projects"))
                    (link("alerts", format!("/organizations/{}/alerts/rules/", nav.org), "Alerts"))
                    (link("crons", format!("/organizations/{}/crons/", nav.org), "Crons"))
                    (link("settings", format!("/settings/{}/members/", nav.org), "Settings"))
                }
                form.logout method="post" action="/auth/logout/" {
                    span.who { (nav.email) }
                    input type="hidden" name="csrf" value=(nav.csrf);
                    button id="logout" type="submit" { "Log out" }
                }
            }
            main id="main" { (main) }
        },
    )
}

/// A page without navigation (login, errors).
pub fn bare_page(title: &str, main: Markup) -> Html<String> {
    shell(
        title,
        html! {
            header.top { nav aria-label="Main" { a.brand href="/" { "Faultline" } } }
            main id="main" { (main) }
        },
    )
}

fn shell(title: &str, body: Markup) -> Html<String> {
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title { (title) " · Faultline" }
                    style { (PreEscaped(STYLE)) }
                }
                body { (body) }
            }
        }
        .into_string(),
    )
}

/// A hidden CSRF field for a form.
pub fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// "3 min ago", with the exact time as the element's title.
pub fn ago(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Markup {
    let Some(at) = at else {
        return html! { "—" };
    };
    let seconds = (now - at).num_seconds().max(0);
    let text = match seconds {
        0..=59 => format!("{seconds} s ago"),
        60..=3_599 => format!("{} min ago", seconds / 60),
        3_600..=86_399 => format!("{} h ago", seconds / 3_600),
        _ => format!("{} d ago", seconds / 86_400),
    };
    html! { time datetime=(at.to_rfc3339()) title=(at.to_rfc3339()) { (text) } }
}

/// An ISO 8601 string from the API's JSON as a time.
pub fn parse_time(value: &serde_json::Value) -> Option<DateTime<Utc>> {
    value
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// A small bar chart of event counts per bucket, as inline SVG.
pub fn sparkline(counts: &[i64], label: &str) -> Markup {
    let width = 96.0;
    let height = 24.0;
    let max = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = width / counts.len().max(1) as f64;
    html! {
        svg.spark width="96" height="24" viewBox="0 0 96 24" role="img" aria-label=(label) {
            @for (i, count) in counts.iter().enumerate() {
                @let h = if *count > 0 { (*count as f64 / max * height).max(1.5) } else { 0.0 };
                rect x=(format!("{:.1}", i as f64 * step)) y=(format!("{:.1}", height - h))
                    width=(format!("{:.1}", (step - 1.0).max(0.5))) height=(format!("{h:.1}")) {}
            }
        }
    }
}

/// The page that asks to confirm deleting `what` (an issue, a monitor) named `name`:
/// its form posts `action=delete` with `confirm=yes` back to `back`.
pub fn confirm_delete(
    csrf: &str,
    nav: &Nav<'_>,
    back: &str,
    what: &str,
    name: &str,
    explanation: &str,
) -> Html<String> {
    page(
        &format!("Delete {what}"),
        nav,
        html! {
            h1 { "Delete this " (what) "?" }
            p { (name) }
            p { (explanation) }
            form method="post" action=(back) {
                (csrf_field(csrf))
                input type="hidden" name="confirm" value="yes";
                button.danger type="submit" id="confirm-delete" name="action" value="delete" { "Delete" }
                " "
                a href=(back) { "Cancel" }
            }
        },
    )
}
