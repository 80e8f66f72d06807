//! `GET /about/`: what this server is, which version, where the API document is and
//! how to point an SDK here (linked from the login page; `/` is the web UI's).

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use maud::{html, Markup, DOCTYPE};

use crate::state::AppState;

/// The home route.
pub fn router() -> Router<AppState> {
    Router::new().route("/about/", get(home))
}

async fn home(State(state): State<AppState>) -> Html<String> {
    Html(page(&state.public_url).into_string())
}

/// The page, for a server reached at `public_url`.
fn page(public_url: &str) -> Markup {
    let (scheme, host) = public_url.split_once("://").unwrap_or(("http", public_url));
    let dsn = format!("{scheme}://<public key>@{host}/<project id>");
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Faultline" }
                style { "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}code,pre{background:#f4f4f4;border-radius:4px}pre{padding:.75rem;overflow-x:auto}" }
            }
            body {
                h1 { "Faultline " small { (crate::VERSION) } }
                p {
                    "A Sentry-compatible error tracker: Sentry SDKs and "
                    code { "sentry-cli" } " send to it unchanged."
                }
                h2 { "Send errors here" }
                p {
                    "Give any Sentry SDK a DSN of this server: " code { (dsn) } ". "
                    "The first start prints one; every project's keys list theirs as "
                    code { "dsn.public" } " at " code { "GET /api/0/projects/{org}/{project}/keys/" } "."
                }
                pre { code { "import sentry_sdk\nsentry_sdk.init(dsn=\"" (dsn) "\")" } }
                h2 { "Read them" }
                ul {
                    li {
                        "REST API (Sentry's, under " code { "/api/0/" } ", bearer tokens from "
                        code { "faultline user create" } "): its OpenAPI document is "
                        a href="/api/0/openapi.json" { "/api/0/openapi.json" } "."
                    }
                    li {
                        "Health: " a href="/_health" { "/_health" } ", readiness: "
                        a href="/_ready" { "/_ready" } ", metrics: " code { "/metrics" } "."
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_shows_the_version_and_a_dsn_of_this_server() {
        let page = page("https://errors.example.com").into_string();

        assert!(page.contains(crate::VERSION));
        assert!(page.contains("https://&lt;public key&gt;@errors.example.com/&lt;project id&gt;"));
        assert!(page.contains("href=\"/api/0/openapi.json\""));
    }
}
