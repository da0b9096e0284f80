//! Launching headless Chromium through chromedriver, driven with `fantoccini`.
//!
//! General purpose: nothing here knows about cookies. [`Browser`] is one WebDriver session with its
//! own fresh profile directory; [`ChromeDriver`] is the driver process, which can serve many
//! sessions one after another (or be owned by a single [`Browser`]).

use std::net::TcpListener as StdTcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use tokio::process::{Child, Command};

/// Well-known locations of Debian's `chromium` package.
pub const CHROMIUM_CANDIDATES: &[&str] = &["/usr/lib/chromium/chromium", "/usr/bin/chromium"];
/// Well-known locations of Debian's `chromium-driver` package.
pub const CHROMEDRIVER_CANDIDATES: &[&str] = &["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"];

/// Finds the Chromium binary: `$CRUMB_CHROMIUM` or the first of [`CHROMIUM_CANDIDATES`] that exists.
pub fn find_chromium() -> Option<PathBuf> {
    find_binary("CRUMB_CHROMIUM", CHROMIUM_CANDIDATES)
}

/// Finds chromedriver: `$CRUMB_CHROMEDRIVER` or the first of [`CHROMEDRIVER_CANDIDATES`] that exists.
pub fn find_chromedriver() -> Option<PathBuf> {
    find_binary("CRUMB_CHROMEDRIVER", CHROMEDRIVER_CANDIDATES)
}

fn find_binary(env: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env) {
        let p = PathBuf::from(p);
        return p.exists().then_some(p);
    }
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// Whether both Chromium and chromedriver are installed.
pub fn chromium_available() -> bool {
    find_chromium().is_some() && find_chromedriver().is_some()
}

/// For a test that needs Chromium: `true` (skip) when it is missing, after
/// saying so on the real stderr (past libtest's capture, so the skip shows on
/// a passing run too). Under `CI=true` a missing browser fails the test
/// instead: CI installs it, so a skip there would hide a test that never ran.
pub fn skip_without_chromium(test: &str) -> bool {
    if chromium_available() {
        return false;
    }
    let message =
        format!("SKIPPED {test}: chromium or chromedriver not installed (apt-get install chromium chromium-driver)");
    if running_under_ci() {
        panic!("{message}; under CI=true browser tests must run");
    }
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{message}");
    true
}

/// Whether the `CI` environment variable says this is a CI run (`true` or `1`).
pub fn running_under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// How to launch a browser session.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// The Chromium binary.
    pub chromium: PathBuf,
    /// The chromedriver binary.
    pub chromedriver: PathBuf,
    /// Resolve every host name to 127.0.0.1 (`--host-resolver-rules="MAP * 127.0.0.1"`).
    pub map_all_hosts_to_loopback: bool,
    /// Accept any TLS certificate (`--ignore-certificate-errors` and `acceptInsecureCerts`).
    pub ignore_certificate_errors: bool,
    /// Turn off Chromium's automatic http→https navigation upgrades.
    pub disable_https_upgrades: bool,
    /// Window size, for screenshots and layout-dependent tests.
    pub window_size: (u32, u32),
    /// Page-load timeout for navigations.
    pub page_load_timeout: Duration,
    /// More command-line flags.
    pub extra_args: Vec<String>,
    /// Profile preferences (chromedriver's `goog:chromeOptions.prefs`), e.g.
    /// `{"profile.cookie_controls_mode": 0}`; `null` for none.
    pub prefs: serde_json::Value,
}

impl BrowserOptions {
    /// The standard quiet, offline, headless setup, with binaries found by [`find_chromium`] and
    /// [`find_chromedriver`]. `$CRUMB_CHROMIUM_EXTRA_ARGS` (whitespace-separated) adds flags.
    pub fn detect() -> anyhow::Result<BrowserOptions> {
        Ok(BrowserOptions {
            chromium: find_chromium().context("Chromium not found (apt-get install chromium)")?,
            chromedriver: find_chromedriver().context("chromedriver not found (apt-get install chromium-driver)")?,
            map_all_hosts_to_loopback: true,
            ignore_certificate_errors: true,
            disable_https_upgrades: true,
            window_size: (1280, 800),
            page_load_timeout: Duration::from_secs(20),
            extra_args: std::env::var("CRUMB_CHROMIUM_EXTRA_ARGS")
                .map(|v| v.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            prefs: serde_json::Value::Null,
        })
    }

    /// The command-line flags for a session whose profile lives in `user_data_dir`.
    pub fn args(&self, user_data_dir: &Path) -> Vec<String> {
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--disable-breakpad",
            "--disable-client-side-phishing-detection",
            "--disable-domain-reliability",
            "--disable-renderer-backgrounding",
            "--mute-audio",
            "--password-store=basic",
            "--use-mock-keychain",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        if self.map_all_hosts_to_loopback {
            args.push("--host-resolver-rules=MAP * 127.0.0.1".to_owned());
        }
        if self.ignore_certificate_errors {
            args.push("--ignore-certificate-errors".to_owned());
        }
        if self.disable_https_upgrades {
            args.push("--disable-features=HttpsUpgrades,HttpsFirstBalancedModeAutoEnable".to_owned());
        }
        args.push(format!("--window-size={},{}", self.window_size.0, self.window_size.1));
        args.push(format!("--user-data-dir={}", user_data_dir.display()));
        args.extend(self.extra_args.iter().cloned());
        args
    }
}

/// A running chromedriver process, in its own process group. Dropping it kills the whole group
/// (the driver and every browser it launched).
pub struct ChromeDriver {
    child: Child,
    port: u16,
}

impl ChromeDriver {
    /// Starts chromedriver on a free loopback port and waits until it answers.
    pub async fn start(chromedriver: &Path) -> anyhow::Result<ChromeDriver> {
        let mut last_err = None;
        for _ in 0..5 {
            let port = free_port()?;
            match Self::start_on(chromedriver, port).await {
                Ok(d) => return Ok(d),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow::anyhow!("chromedriver did not start")))
    }

    async fn start_on(chromedriver: &Path, port: u16) -> anyhow::Result<ChromeDriver> {
        let mut cmd = Command::new(chromedriver);
        cmd.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .kill_on_drop(true);
        let child = cmd.spawn().with_context(|| format!("spawning {}", chromedriver.display()))?;
        let mut driver = ChromeDriver { child, port };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return Ok(driver);
            }
            if let Some(status) = driver.child.try_wait()? {
                bail!("chromedriver exited early: {status}");
            }
            if Instant::now() > deadline {
                bail!("chromedriver did not listen on port {port} within 15 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The WebDriver endpoint URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for ChromeDriver {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            // Kill the process group: chromedriver and the browsers it started share it.
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.start_kill();
    }
}

fn free_port() -> anyhow::Result<u16> {
    let l = StdTcpListener::bind(("127.0.0.1", 0)).context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

/// One browser session: a fantoccini client, a fresh profile directory, and the chromedriver
/// serving it. Call [`Browser::close`] to end it cleanly; dropping it also cleans up (the session
/// is deleted in the background and, if this browser owns its driver, the driver's process group
/// is killed), and the profile directory is removed.
pub struct Browser {
    client: Option<Client>,
    // Field order matters: the driver must outlive the client's shutdown attempt, and the
    // profile directory is removed last.
    driver: Arc<ChromeDriver>,
    profile: tempfile::TempDir,
}

impl Browser {
    /// Starts a dedicated chromedriver and a session on it.
    pub async fn launch(opts: &BrowserOptions) -> anyhow::Result<Browser> {
        let driver = Arc::new(ChromeDriver::start(&opts.chromedriver).await?);
        Self::launch_on(driver, opts).await
    }

    /// Starts a session on an existing chromedriver, with a fresh profile directory.
    pub async fn launch_on(driver: Arc<ChromeDriver>, opts: &BrowserOptions) -> anyhow::Result<Browser> {
        let profile =
            tempfile::Builder::new().prefix("crumb-chromium-").tempdir().context("creating a profile directory")?;
        let args = opts.args(profile.path());
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert("acceptInsecureCerts".into(), opts.ignore_certificate_errors.into());
        caps.insert("pageLoadStrategy".into(), "normal".into());
        caps.insert(
            "goog:chromeOptions".into(),
            if opts.prefs.is_null() {
                serde_json::json!({ "binary": opts.chromium, "args": args })
            } else {
                serde_json::json!({ "binary": opts.chromium, "args": args, "prefs": opts.prefs })
            },
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&driver.url())
            .await
            .context("creating a WebDriver session")?;
        client
            .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(None, Some(opts.page_load_timeout), None))
            .await
            .context("setting timeouts")?;
        Ok(Browser { client: Some(client), driver, profile })
    }

    /// The fantoccini client, for everything this type does not wrap.
    pub fn client(&self) -> &Client {
        // Only `close` takes the client out, and it consumes `self`.
        self.client.as_ref().expect("client is present until close() consumes the browser")
    }

    /// The profile directory of this session.
    pub fn profile_dir(&self) -> &Path {
        self.profile.path()
    }

    /// Navigates the top-level browsing context to `url`, passed to the browser exactly as given
    /// (no client-side URL parsing), like a URL the user typed. Waits for the page load.
    pub async fn navigate_raw(&self, url: &str) -> anyhow::Result<()> {
        self.client()
            .issue_cmd(NavigateRaw { url: url.to_owned() })
            .await
            .with_context(|| format!("navigating to {url}"))?;
        Ok(())
    }

    /// Ends the session cleanly.
    pub async fn close(mut self) -> anyhow::Result<()> {
        if let Some(client) = self.client.take() {
            client.close().await.context("closing the WebDriver session")?;
        }
        Ok(())
    }

    /// The chromedriver serving this session.
    pub fn driver(&self) -> &Arc<ChromeDriver> {
        &self.driver
    }

    /// Runs a Chrome DevTools Protocol command through chromedriver
    /// (`POST /session/{id}/goog/cdp/execute`) and returns its result, e.g.
    /// `Network.getAllCookies`, which sees every cookie of the profile —
    /// third-party and `HttpOnly` ones too, unlike `document.cookie`.
    pub async fn cdp(&self, cmd: &str, params: serde_json::Value) -> anyhow::Result<serde_json::Value> {
        let result = self
            .client()
            .issue_cmd(CdpExecute { cmd: cmd.to_owned(), params })
            .await
            .with_context(|| format!("running the DevTools command {cmd}"))?;
        Ok(result)
    }
}

/// chromedriver's `goog/cdp/execute` extension command.
#[derive(Debug)]
struct CdpExecute {
    cmd: String,
    params: serde_json::Value,
}

impl WebDriverCompatibleCommand for CdpExecute {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(serde_json::json!({ "cmd": self.cmd, "params": self.params }).to_string()))
    }
}

/// WebDriver "Navigate To" with the URL string passed through untouched (fantoccini's own `goto`
/// re-parses and re-serialises the URL with the `url` crate first).
#[derive(Debug)]
struct NavigateRaw {
    url: String,
}

impl WebDriverCompatibleCommand for NavigateRaw {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/url", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(serde_json::json!({ "url": self.url }).to_string()))
    }
}
