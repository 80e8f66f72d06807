//! Finding the source maps of an event's JavaScript frames at ingest: by the debug ids
//! the event names, else by release, dist and URL, through the `artifact_bundles` read
//! model and the blobs it points at. Parsed maps are cached (bounded by their size in
//! memory, keyed by content), and so are the debug id lookups for a minute.
//!
//! A failure to look up never refuses an event: its frames stay as sent.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use faultline_domain::event::sourcemaps::{urls, FoundBy, LoadedMap, Location, Lookup};
use faultline_projections::artifact_bundles::queries::{self, FileRow};
use moka::future::Cache;
use sqlx::PgPool;

/// How long a process trusts that a project has no bundles; an upload through this
/// process ends it at once ([`SourceMaps::uploaded`]).
const HAS_BUNDLES_TTL: Duration = Duration::from_secs(5);

/// Upload limits and the parsed map cache.
pub struct SourceMaps {
    maps: Cache<String, Arc<LoadedMap>>,
    debug_ids: Cache<(i64, String), Option<Pair>>,
    /// Whether a project has any bundle, for a few seconds: most JavaScript projects
    /// upload none, and their events need no query.
    has_bundles: Cache<i64, bool>,
    /// Upload limits.
    pub limits: UploadLimits,
}

/// How large uploads may be.
#[derive(Debug, Clone, Copy)]
pub struct UploadLimits {
    /// Largest chunk (uncompressed), also what `chunk-upload/` advertises as `chunkSize`.
    pub chunk_size: u64,
    /// Largest bundle, and the most its files may unpack to.
    pub bundle_size: u64,
}

impl Default for UploadLimits {
    fn default() -> Self {
        Self {
            chunk_size: 8 * 1024 * 1024,
            bundle_size: 256 * 1024 * 1024,
        }
    }
}

/// A map and the minified file it maps, as found for a file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pair {
    map: String,
    minified: Option<String>,
    url: String,
}

/// What an event needs to find its maps.
pub struct Scope<'a> {
    /// The organization.
    pub org_id: i64,
    /// The project.
    pub project_id: i64,
    /// The event's release.
    pub release: Option<&'a str>,
    /// The event's dist.
    pub dist: Option<&'a str>,
}

impl SourceMaps {
    /// A cache of at most `cache_bytes` of parsed maps.
    pub fn new(cache_bytes: u64, limits: UploadLimits) -> Self {
        let maps = Cache::builder()
            .weigher(|_: &String, map: &Arc<LoadedMap>| {
                u32::try_from(map.weight()).unwrap_or(u32::MAX)
            })
            .max_capacity(cache_bytes)
            .build();
        let debug_ids = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(Duration::from_secs(60))
            .build();
        let has_bundles = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(HAS_BUNDLES_TTL)
            .build();
        Self {
            maps,
            debug_ids,
            has_bundles,
            limits,
        }
    }

    /// The map of every location, or why there is none. A location with neither a
    /// debug id nor a release has nothing to look up and is left out.
    pub async fn lookups(
        &self,
        pool: &PgPool,
        scope: &Scope<'_>,
        locations: &[Location],
    ) -> HashMap<String, Lookup> {
        let mut out = HashMap::with_capacity(locations.len());
        match self.has_bundles(pool, scope).await {
            Ok(true) => {}
            Ok(false) => {
                for location in locations {
                    if location.debug_id.is_some() || scope.release.is_some() {
                        out.insert(location.abs_path.clone(), Lookup::Missing("js_no_source"));
                    }
                }
                return out;
            }
            Err(error) => {
                tracing::warn!(%error, "source map lookup failed");
                return out;
            }
        }
        for location in locations {
            match self.lookup(pool, scope, location).await {
                Ok(Some(lookup)) => {
                    out.insert(location.abs_path.clone(), lookup);
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::warn!(%error, abs_path = %location.abs_path, "source map lookup failed");
                }
            }
        }
        out
    }

    /// Forgets that the projects had no bundles: one was just uploaded for them.
    pub async fn uploaded(&self, project_ids: &[i64]) {
        for id in project_ids {
            self.has_bundles.invalidate(id).await;
        }
    }

    async fn has_bundles(&self, pool: &PgPool, scope: &Scope<'_>) -> Result<bool, Failed> {
        if let Some(known) = self.has_bundles.get(&scope.project_id).await {
            return Ok(known);
        }
        let has = queries::project_has_bundles(pool, scope.org_id, scope.project_id).await?;
        self.has_bundles.insert(scope.project_id, has).await;
        Ok(has)
    }

    async fn lookup(
        &self,
        pool: &PgPool,
        scope: &Scope<'_>,
        location: &Location,
    ) -> Result<Option<Lookup>, Failed> {
        if let Some(debug_id) = &location.debug_id {
            if let Some(pair) = self.by_debug_id(pool, scope, debug_id).await? {
                return Ok(Some(
                    self.load(pool, scope.org_id, &pair, FoundBy::DebugId)
                        .await?,
                ));
            }
        }
        let Some(release) = scope.release else {
            return Ok(location
                .debug_id
                .as_ref()
                .map(|_| Lookup::Missing("js_no_source")));
        };
        match by_release(pool, scope, release, &location.abs_path).await? {
            Some(pair) => Ok(Some(
                self.load(pool, scope.org_id, &pair, FoundBy::Release)
                    .await?,
            )),
            None => Ok(Some(Lookup::Missing("js_no_source"))),
        }
    }

    async fn by_debug_id(
        &self,
        pool: &PgPool,
        scope: &Scope<'_>,
        debug_id: &str,
    ) -> Result<Option<Pair>, Failed> {
        let key = (scope.project_id, debug_id.to_owned());
        if let Some(Some(pair)) = self.debug_ids.get(&key).await {
            return Ok(Some(pair));
        }
        let files =
            queries::files_by_debug_id(pool, scope.org_id, scope.project_id, debug_id).await?;
        let map = files.iter().find(|f| f.file_type == "source_map");
        let minified = files.iter().find(|f| f.file_type == "minified_source");
        let pair = map.map(|map| Pair {
            map: map.file_checksum.clone(),
            minified: minified.map(|f| f.file_checksum.clone()),
            url: map.url.clone(),
        });
        // Only hits are kept: a bundle uploaded a moment later must be found at once.
        if pair.is_some() {
            self.debug_ids.insert(key, pair.clone()).await;
        }
        Ok(pair)
    }

    async fn load(
        &self,
        pool: &PgPool,
        org_id: i64,
        pair: &Pair,
        found_by: FoundBy,
    ) -> Result<Lookup, Failed> {
        let key = format!(
            "{}:{}",
            pair.map,
            pair.minified.as_deref().unwrap_or_default()
        );
        let loaded = self
            .maps
            .try_get_with(key, async {
                let map = queries::blob(pool, org_id, &pair.map)
                    .await?
                    .ok_or(LoadError::Missing)?;
                let minified = match &pair.minified {
                    Some(checksum) => queries::blob(pool, org_id, checksum).await?,
                    None => None,
                };
                let url = pair.url.clone();
                // Parsing a large map takes milliseconds: off the request threads.
                let parsed = tokio::task::spawn_blocking(move || {
                    LoadedMap::parse(&map, minified.as_deref(), &url)
                })
                .await
                .map_err(|_| LoadError::Invalid)?
                .map_err(|_| LoadError::Invalid)?;
                Ok::<_, LoadError>(Arc::new(parsed))
            })
            .await;
        match loaded {
            Ok(map) => Ok(Lookup::Found(map, found_by)),
            Err(error) => match &*error {
                LoadError::Database(e) => Err(Failed(e.to_string())),
                LoadError::Missing => Ok(Lookup::Missing("js_no_source")),
                LoadError::Invalid => Ok(Lookup::Missing("js_invalid_source")),
            },
        }
    }
}

/// Why a map could not be loaded.
#[derive(Debug, thiserror::Error)]
enum LoadError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("the file is gone")]
    Missing,
    #[error("the source map does not parse")]
    Invalid,
}

/// A lookup that failed for a reason other than a missing map (logged, never answered).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Failed(String);

impl From<sqlx::Error> for Failed {
    fn from(error: sqlx::Error) -> Self {
        Failed(error.to_string())
    }
}

/// The minified file at `abs_path` in a bundle of `release` (and the scope's dist),
/// and the map its `sourcemap` header or `sourceMappingURL` names in that bundle.
async fn by_release(
    pool: &PgPool,
    scope: &Scope<'_>,
    release: &str,
    abs_path: &str,
) -> Result<Option<Pair>, Failed> {
    let candidates = urls::candidates(abs_path);
    let release_and_dist = (release, scope.dist);
    let files = queries::files_by_url_in_release(
        pool,
        scope.org_id,
        scope.project_id,
        &candidates,
        release_and_dist,
    )
    .await?;
    let matches =
        |f: &FileRow| f.release.as_deref() == Some(release) && f.dist.as_deref() == scope.dist;
    // Most specific candidate first, then the newest bundle.
    let minified = candidates.iter().find_map(|url| {
        files
            .iter()
            .find(|f| &f.url == url && f.file_type == "minified_source" && matches(f))
    });
    let Some(minified) = minified else {
        return Ok(None);
    };
    let reference = match &minified.sourcemap {
        Some(reference) => Some(reference.clone()),
        None => queries::blob(pool, scope.org_id, &minified.file_checksum)
            .await?
            .and_then(|bytes| {
                sourcemap::locate_sourcemap_reference_slice(&bytes)
                    .ok()
                    .flatten()
            })
            .map(|reference| reference.get_url().to_owned()),
    };
    let Some(reference) = reference else {
        return Ok(None);
    };
    let map_url = urls::resolve_reference(&minified.url, &reference);
    let maps = queries::files_by_url_in_release(
        pool,
        scope.org_id,
        scope.project_id,
        std::slice::from_ref(&map_url),
        release_and_dist,
    )
    .await?;
    Ok(maps
        .iter()
        .find(|f| f.file_type == "source_map" && matches(f))
        .map(|map| Pair {
            map: map.file_checksum.clone(),
            minified: Some(minified.file_checksum.clone()),
            url: map_url,
        }))
}
