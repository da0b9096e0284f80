//! Drives real headless Chromium for crumb's tests and for `crumb scan` (Debian's `chromium` and
//! `chromium-driver`) through chromedriver with `fantoccini`.
//!
//! What it is:
//! - [`browser`]: a general headless-browser session type ([`Browser`]) wrapping a fantoccini
//!   client, a fresh profile directory and the chromedriver process, cleaned up on drop. Usable for
//!   any browser test (e.g. a web app's consent banner), not just cookies.
//! - `server` (feature `harness`, on by default): a loopback HTTP + HTTPS (self-signed) server that records the exact `Cookie`
//!   request header and answers with scripted raw `Set-Cookie` headers.
//! - `runner` (feature `harness`): runs cookie scenarios in the format of `shared/conformance/RUNNER.md` in Chromium
//!   (a fresh profile per scenario, each step a typed-URL-like top-level navigation) and checks the
//!   setup (a `Secure` cookie must come back over https and not over http).
//! - `scenario` (feature `harness`): the serde types of that protocol.
//!
//! What it is not: a cookie implementation, or something that works
//! without Chromium installed (tests call [`skip_without_chromium`], which skips loudly, or fails
//! under `CI=true`). The tests' sessions never talk to anything but loopback
//! (every host name is mapped to 127.0.0.1, [`BrowserOptions::map_all_hosts_to_loopback`]);
//! `crumb scan` turns that off to visit the site it is given.

pub mod browser;
#[cfg(feature = "harness")]
pub mod runner;
#[cfg(feature = "harness")]
pub mod scenario;
#[cfg(feature = "harness")]
pub mod server;

pub use browser::{chromium_available, running_under_ci, skip_without_chromium, Browser, BrowserOptions, ChromeDriver};
#[cfg(feature = "harness")]
pub use runner::{run_scenario_in_chromium, ChromiumRunner};
#[cfg(feature = "harness")]
pub use scenario::{parse_scenarios, Observation, Scenario, Step};
#[cfg(feature = "harness")]
pub use server::CookieServer;
