//! Where crumb's own routes live on the site's origin: at the root (`[server]
//! prefix = ""`, the default) or under a path prefix such as `/_crumb` (the
//! default in front of a site, `[gateway]`), so that they do not hide the
//! site's own `/account`, `/admin` or `/policy`.
//!
//! Every URL crumb emits for one of its own routes — links, form actions,
//! redirects, the script's API addresses, problem `type` URIs — is made
//! here ([`Mount::at`]), so the prefix is written in one place. This module
//! does not route (that is [`crate::app`]) and does not check the prefix
//! (`crumb_core::config::gateway::check_path_prefix` does, when the
//! configuration is read).

use std::sync::Arc;

use std::future::Future;

use axum::extract::Request;
use axum::response::Response;
use crumb_core::config::Config;

use crate::around::{Answer, Middleware};

/// A path outside the prefix that crumb still answers when it has one:
/// the Global Privacy Control support resource, which GPC §4.2 places at
/// the origin's root (`/.well-known/gpc.json`), and a prefixed crumb is in
/// front of that origin.
pub const GPC_RESOURCE: &str = "/.well-known/gpc.json";

/// The health probes' paths: under the prefix, and (with a prefix) at the
/// root as well, where load balancers, orchestrators and the image's
/// `HEALTHCHECK` probe crumb's address whatever the prefix.
pub const PROBE_PATHS: [&str; 3] = ["/livez", "/readyz", "/healthz"];

/// crumb's mount point on the origin: `""` (the root) or a prefix such as
/// `/_crumb` (already checked: `/` and plain segments, no trailing slash).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mount<'a> {
    prefix: &'a str,
}

impl<'a> Mount<'a> {
    /// The mount `config` names (`[server] prefix`).
    pub fn of(config: &'a Config) -> Mount<'a> {
        Mount { prefix: &config.prefix }
    }

    /// The mount at `prefix` (`""` for the root).
    pub fn new(prefix: &'a str) -> Mount<'a> {
        Mount { prefix }
    }

    /// The prefix: `""` at the root.
    pub fn prefix(&self) -> &'a str {
        self.prefix
    }

    /// Whether crumb is at the root of the origin.
    pub fn is_root(&self) -> bool {
        self.prefix.is_empty()
    }

    /// The URL of crumb's route `path` (which starts with `/`, and may carry
    /// a query): `/policy` → `/_crumb/policy`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// The `type` URI of the problem type `slug`: its page, `{prefix}/problems/{slug}`.
    pub fn problem_type(&self, slug: &str) -> String {
        format!("{}/problems/{slug}", self.prefix)
    }

    /// `path` as crumb's routes name it (without the prefix), when it is
    /// one of crumb's paths: `/_crumb/livez` → `/livez`; `/livez` → `None`
    /// under a prefix.
    pub fn route_of<'p>(&self, path: &'p str) -> Option<&'p str> {
        if self.prefix.is_empty() {
            return Some(path);
        }
        let rest = path.strip_prefix(self.prefix)?;
        (rest.is_empty() || rest.starts_with('/')).then_some(rest)
    }
}

tokio::task_local! {
    /// The prefix of the request being answered, when it is not empty.
    static PREFIX: Arc<str>;
}

/// The outermost middleware: under a prefix, the request (and every layer
/// inside) runs with the prefix at hand, so that a problem made anywhere
/// — a handler, the `Host` check, the deadline, a caught panic — names its
/// type under the prefix ([`current_problem_type`]) without every caller
/// passing the configuration along. It holds `[server] prefix`.
#[derive(Clone, Debug)]
pub struct Scope(pub Arc<str>);

impl Middleware for Scope {
    fn call<F>(&self, request: Request, run: impl FnOnce(Request) -> F) -> Answer
    where
        F: Future<Output = Response> + Send + 'static,
    {
        if self.0.is_empty() {
            return Box::pin(run(request));
        }
        let response = PREFIX.sync_scope(Arc::clone(&self.0), || run(request));
        Box::pin(PREFIX.scope(Arc::clone(&self.0), response))
    }
}

/// The `type` URI of the problem type `slug` for the request being
/// answered (`/problems/{slug}` outside a request or at the root).
pub fn current_problem_type(slug: &str) -> String {
    PREFIX
        .try_with(|prefix| Mount::new(prefix).problem_type(slug))
        .unwrap_or_else(|_| Mount::new("").problem_type(slug))
}

impl std::fmt::Display for Mount<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_root_every_path_is_itself() {
        let root = Mount::new("");
        assert_eq!(root.at("/policy?lang=en"), "/policy?lang=en");
        assert_eq!(root.problem_type("not-found"), "/problems/not-found");
        assert_eq!(root.route_of("/livez"), Some("/livez"));
    }

    #[test]
    fn under_a_prefix_every_path_carries_it() {
        let mount = Mount::new("/_crumb");
        assert_eq!(mount.at("/api/consent"), "/_crumb/api/consent");
        assert_eq!(mount.problem_type("not-found"), "/_crumb/problems/not-found");
        assert_eq!(mount.route_of("/_crumb/livez"), Some("/livez"));
        assert_eq!(mount.route_of("/_crumb"), Some(""));
        assert_eq!(mount.route_of("/_crumbs/livez"), None);
        assert_eq!(mount.route_of("/livez"), None);
    }

    #[tokio::test]
    async fn a_problem_type_follows_the_request_s_prefix() {
        assert_eq!(current_problem_type("not-found"), "/problems/not-found");
        let inside = PREFIX.scope(Arc::from("/_crumb"), async { current_problem_type("not-found") }).await;
        assert_eq!(inside, "/_crumb/problems/not-found");
    }
}
