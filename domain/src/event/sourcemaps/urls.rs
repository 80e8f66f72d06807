//! URLs and paths of JavaScript files: which bundle URLs a frame's file may have been
//! uploaded as, and the names of original sources.

/// The URLs a file at `abs_path` may have in a bundle, most specific first, as Sentry
/// tries them: the URL itself and `~` followed by its path, each with and without the
/// query string (a fragment never counts).
///
/// `http://example.com/static/app.js?v=2` → `http://example.com/static/app.js?v=2`,
/// `http://example.com/static/app.js`, `~/static/app.js?v=2`, `~/static/app.js`.
pub fn candidates(abs_path: &str) -> Vec<String> {
    let url = abs_path.split('#').next().unwrap_or(abs_path);
    let without_query = url.split('?').next().unwrap_or(url);
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|i| &rest[i..]).unwrap_or("/"),
        None => url,
    };
    let mut out = vec![url.to_owned(), without_query.to_owned()];
    if let Some(path) = path.strip_prefix('/') {
        out.push(format!("~/{path}"));
        let path = path.split('?').next().unwrap_or(path);
        out.push(format!("~/{path}"));
    }
    out.dedup();
    let mut unique = Vec::with_capacity(out.len());
    for url in out {
        if !unique.contains(&url) {
            unique.push(url);
        }
    }
    unique
}

/// `reference` (a `sourcemap` header or `sourceMappingURL`) resolved against the URL of
/// the file that names it.
pub fn resolve_reference(file_url: &str, reference: &str) -> String {
    join_path(file_url, reference)
}

/// `relative` resolved against the directory of `base`; an absolute path or a URL with
/// a scheme stays as it is.
pub fn join_path(base: &str, relative: &str) -> String {
    if relative.contains("://") || relative.starts_with('/') || relative.starts_with("~/") {
        return relative.to_owned();
    }
    let (root, base_path) = split_root(base);
    let mut segments: Vec<&str> = base_path.split('/').collect();
    segments.pop();
    for segment in relative.split('/') {
        match segment {
            "." | "" => {}
            ".." => {
                if segments.len() > 1 {
                    segments.pop();
                }
            }
            other => segments.push(other),
        }
    }
    format!("{root}{}", segments.join("/"))
}

/// `http://host/a/b` → (`http://host`, `/a/b`); `~/a/b` → (`~`, `/a/b`); a plain path
/// has no root.
fn split_root(url: &str) -> (&str, &str) {
    if let Some(index) = url.find("://") {
        let after = index + 3;
        let path_start = url[after..].find('/').map_or(url.len(), |i| after + i);
        return url.split_at(path_start);
    }
    if let Some(path) = url.strip_prefix('~') {
        return ("~", path);
    }
    ("", url)
}

/// The `filename` of an original source: without a `webpack://namespace/` prefix or a
/// URL's host, and without leading `./` and `../` steps.
pub fn original_filename(source: &str) -> String {
    let mut path = source;
    if let Some(rest) = path.strip_prefix("webpack://") {
        path = rest.find('/').map_or(rest, |i| &rest[i + 1..]);
    } else if let Some((_, rest)) = path.split_once("://") {
        path = rest.find('/').map_or(rest, |i| &rest[i..]);
    }
    loop {
        if let Some(rest) = path.strip_prefix("./") {
            path = rest;
        } else if let Some(rest) = path.strip_prefix("../") {
            path = rest;
        } else {
            break;
        }
    }
    path.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_web_url_is_tried_whole_then_as_a_tilde_path_with_and_without_its_query() {
        assert_eq!(
            candidates("http://example.com/static/app.js?v=2#x"),
            vec![
                "http://example.com/static/app.js?v=2",
                "http://example.com/static/app.js",
                "~/static/app.js?v=2",
                "~/static/app.js",
            ]
        );
    }

    #[test]
    fn an_app_url_and_a_node_path_are_tried_as_tilde_paths() {
        assert_eq!(
            candidates("app:///dist/app.js"),
            vec!["app:///dist/app.js", "~/dist/app.js"]
        );
        assert_eq!(
            candidates("/srv/app/dist/app.js"),
            vec!["/srv/app/dist/app.js", "~/srv/app/dist/app.js"]
        );
    }

    #[test]
    fn a_relative_source_is_resolved_against_the_minified_file() {
        assert_eq!(
            join_path("/srv/app/dist/app.min.js", "../src/orders.js"),
            "/srv/app/src/orders.js"
        );
        assert_eq!(
            join_path("http://host/static/js/app.js", "../src/a.ts"),
            "http://host/static/src/a.ts"
        );
        assert_eq!(
            resolve_reference("~/app.min.js", "app.min.js.map"),
            "~/app.min.js.map"
        );
        assert_eq!(
            join_path("/x/app.js", "webpack://shop/./a.js"),
            "webpack://shop/./a.js"
        );
    }

    #[test]
    fn an_original_filename_drops_webpack_namespaces_hosts_and_relative_steps() {
        assert_eq!(original_filename("webpack://shop/./src/a.js"), "src/a.js");
        assert_eq!(original_filename("../src/orders.js"), "src/orders.js");
        assert_eq!(original_filename("http://host/src/a.js"), "/src/a.js");
    }
}
