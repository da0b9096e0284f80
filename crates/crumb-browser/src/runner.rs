//! Running cookie scenarios in Chromium: one fresh browser profile per scenario, each step a
//! top-level navigation to the local [`CookieServer`].
//!
//! Set `CRUMB_BROWSER_TRACE=1` to print per-step timings to stderr.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use tokio::sync::Mutex as AsyncMutex;

use crate::browser::{Browser, BrowserOptions, ChromeDriver};
use crate::scenario::{decode_header_bytes, Observation, Scenario, Step};
use crate::server::{CookieServer, Scheme, TOKEN_PARAM};

/// How long to wait for a navigated request to show up at the server after `goto` returned.
const ARRIVAL_TIMEOUT: Duration = Duration::from_secs(10);

/// Splits a scenario URL into its scheme and rewrites it to reach the local server: the port for
/// its scheme is added to the authority (the host is kept exactly as written) and the routing
/// token is appended to the query (before any fragment).
pub fn rewrite_url(url: &str, http_port: u16, https_port: u16, token: &str) -> anyhow::Result<(Scheme, String)> {
    let (scheme, rest) = if let Some(rest) = strip_prefix_ci(url, "https://") {
        (Scheme::Https, rest)
    } else if let Some(rest) = strip_prefix_ci(url, "http://") {
        (Scheme::Http, rest)
    } else {
        bail!("unsupported URL (need http:// or https://): {url:?}");
    };
    let port = match scheme {
        Scheme::Http => http_port,
        Scheme::Https => https_port,
    };
    let scheme_part = &url[..url.len() - rest.len()];
    let auth_end = rest.find(['/', '?', '#', '\\']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(auth_end);
    if authority.is_empty() {
        bail!("URL without a host: {url:?}");
    }
    // An IPv6 literal's colons are inside its brackets; a port follows the host.
    let after_host = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((_, rest)) => rest,
            None => bail!("an IPv6 literal without its closing bracket: {url:?}"),
        },
        None => authority,
    };
    if authority.contains('@') || after_host.contains(':') {
        bail!("URL with userinfo or an explicit port is not supported: {url:?}");
    }
    let (before_frag, frag) = match tail.find('#') {
        Some(i) => tail.split_at(i),
        None => (tail, ""),
    };
    let sep = if before_frag.contains('?') { "&" } else { "?" };
    Ok((scheme, format!("{scheme_part}{authority}:{port}{before_frag}{sep}{TOKEN_PARAM}={token}{frag}")))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    (s.len() >= prefix.len() && s.is_char_boundary(prefix.len()) && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

/// A cookie server plus a pool of chromedriver processes, ready to run scenarios.
pub struct ChromiumRunner {
    server: CookieServer,
    drivers: Vec<AsyncMutex<Option<Arc<ChromeDriver>>>>,
    opts: BrowserOptions,
}

impl ChromiumRunner {
    /// Starts the server and `parallelism` (at least 1) chromedriver processes.
    pub async fn start(opts: BrowserOptions, parallelism: usize) -> anyhow::Result<Arc<ChromiumRunner>> {
        let server = CookieServer::start().await?;
        let mut drivers = Vec::new();
        for _ in 0..parallelism.max(1) {
            drivers.push(AsyncMutex::new(None));
        }
        Ok(Arc::new(ChromiumRunner { server, drivers, opts }))
    }

    /// The cookie server.
    pub fn server(&self) -> &CookieServer {
        &self.server
    }

    async fn driver(&self, slot: usize) -> anyhow::Result<Arc<ChromeDriver>> {
        let mut guard = self.drivers[slot % self.drivers.len()].lock().await;
        if let Some(d) = guard.as_ref() {
            return Ok(d.clone());
        }
        let d = Arc::new(ChromeDriver::start(&self.opts.chromedriver).await?);
        *guard = Some(d.clone());
        Ok(d)
    }

    async fn reset_driver(&self, slot: usize) {
        *self.drivers[slot % self.drivers.len()].lock().await = None;
    }

    /// Runs one scenario in a fresh browser profile, using driver `slot`.
    pub async fn run_scenario_on(&self, slot: usize, scenario: &Scenario) -> Observation {
        let mut observed = Vec::new();
        let mut script = Vec::new();
        let result = self.run_inner(slot, scenario, &mut observed, &mut script).await;
        Observation { name: scenario.name.clone(), observed, script, error: result.err().map(|e| format!("{e:#}")) }
    }

    /// Runs one scenario in a fresh browser profile.
    pub async fn run_scenario(&self, scenario: &Scenario) -> Observation {
        self.run_scenario_on(0, scenario).await
    }

    async fn run_inner(
        &self,
        slot: usize,
        scenario: &Scenario,
        observed: &mut Vec<String>,
        script: &mut Vec<Option<String>>,
    ) -> anyhow::Result<()> {
        let scripted = scenario.steps.iter().any(Step::has_script);
        // Validate every step up front, so a bad step does not cost a browser launch.
        for step in &scenario.steps {
            if step.set_cookie.iter().any(|v| v.contains('\n')) {
                bail!("a Set-Cookie value contains LF");
            }
            rewrite_url(&step.url, 1, 2, "t")?;
        }
        let t0 = std::time::Instant::now();
        let browser = self.launch(slot).await?;
        let trace = std::env::var_os("CRUMB_BROWSER_TRACE").is_some();
        if trace {
            eprintln!("[{}] launch {:?}", scenario.name, t0.elapsed());
        }
        let result = async {
            for (i, step) in scenario.steps.iter().enumerate() {
                let header = self.run_step(&browser, step).await.with_context(|| format!("step {i} ({})", step.url))?;
                observed.push(header);
                if scripted {
                    let read = run_script(&browser, step).await.with_context(|| format!("step {i} script"))?;
                    script.push(read);
                }
                if trace {
                    eprintln!("[{}] step {i} {:?}", scenario.name, t0.elapsed());
                }
            }
            anyhow::Ok(())
        }
        .await;
        let closed = tokio::time::timeout(Duration::from_secs(10), browser.close()).await;
        if !matches!(closed, Ok(Ok(()))) {
            self.reset_driver(slot).await;
        }
        if trace {
            eprintln!("[{}] closed {:?}", scenario.name, t0.elapsed());
        }
        result
    }

    async fn launch(&self, slot: usize) -> anyhow::Result<Browser> {
        let driver = self.driver(slot).await?;
        match Browser::launch_on(driver, &self.opts).await {
            Ok(b) => Ok(b),
            Err(first) => {
                // The driver may have died; start a new one and try once more.
                self.reset_driver(slot).await;
                let driver = self.driver(slot).await?;
                Browser::launch_on(driver, &self.opts)
                    .await
                    .with_context(|| format!("launching Chromium (first attempt: {first:#})"))
            }
        }
    }

    async fn run_step(&self, browser: &Browser, step: &Step) -> anyhow::Result<String> {
        if step.advance_seconds > 0 {
            tokio::time::sleep(Duration::from_secs(u64::from(step.advance_seconds))).await;
        }
        let mut exp = self.server.expect(&step.set_cookie)?;
        let (scheme, url) =
            rewrite_url(&step.url, self.server.port(Scheme::Http), self.server.port(Scheme::Https), &exp.token)?;
        let nav = browser.navigate_raw(&url).await;
        let recorded = match tokio::time::timeout(ARRIVAL_TIMEOUT, &mut exp.rx).await {
            Ok(Ok(r)) => r,
            _ => {
                let why = match nav {
                    Err(e) => format!("navigation failed: {e:#}"),
                    Ok(()) => "navigation finished".to_owned(),
                };
                bail!("the request never reached the server ({why}; navigated to {url})");
            }
        };
        if recorded.scheme != scheme {
            bail!("asked for {} but the request arrived over {} (upgrade?)", scheme.as_str(), recorded.scheme.as_str());
        }
        Ok(decode_header_bytes(&recorded.cookie))
    }

    /// Runs scenarios with up to `parallelism` browsers at once (as set at start); observations come
    /// back in input order. `progress` is called after each scenario with (done, total).
    pub async fn run_all(
        self: &Arc<Self>,
        scenarios: Vec<Scenario>,
        progress: impl Fn(usize, usize) + Send + Sync + 'static,
    ) -> Vec<Observation> {
        let total = scenarios.len();
        let scenarios = Arc::new(scenarios);
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let results: Arc<std::sync::Mutex<Vec<Option<Observation>>>> =
            Arc::new(std::sync::Mutex::new(vec![None; total]));
        let progress = Arc::new(progress);
        let mut workers = Vec::new();
        for slot in 0..self.drivers.len().min(total.max(1)) {
            let this = self.clone();
            let scenarios = scenarios.clone();
            let next = next.clone();
            let done = done.clone();
            let results = results.clone();
            let progress = progress.clone();
            workers.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(s) = scenarios.get(i) else { break };
                    let obs = this.run_scenario_on(slot, s).await;
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(obs);
                    let d = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                    progress(d, total);
                }
            }));
        }
        for w in workers {
            let _ = w.await;
        }
        let mut results = results.lock().unwrap_or_else(|e| e.into_inner());
        results
            .iter_mut()
            .zip(scenarios.iter())
            .map(|(r, s)| {
                r.take().unwrap_or_else(|| Observation {
                    name: s.name.clone(),
                    observed: Vec::new(),
                    script: Vec::new(),
                    error: Some("worker task failed".to_owned()),
                })
            })
            .collect()
    }

    /// Checks that the setup really exercises secure origins: a `Secure` cookie set over https comes
    /// back over https and is not sent over http, while a plain cookie goes to both. Fails loudly
    /// (with what was observed) otherwise.
    pub async fn setup_check(&self) -> anyhow::Result<SetupReport> {
        let scenario = setup_scenario();
        let obs = self.run_scenario(&scenario).await;
        let expected = ["", "s=1; p=1", "p=1", "s=1; p=1"];
        if obs.error.is_some() || obs.observed != expected {
            bail!(
                "Chromium setup check FAILED: a Secure cookie set over https must come back over https \
                 and must not be sent over http.\n  expected: {expected:?}\n  observed: {:?}\n  error: {:?}",
                obs.observed,
                obs.error
            );
        }
        Ok(SetupReport { observation: obs })
    }
}

/// A step's script on the page its navigation loaded: each `script_set` string assigned to
/// `document.cookie`, then `document.cookie` read. The read also orders the writes before the next
/// navigation (the getter answers after the cookie store has applied them); it is reported only
/// when the step asks for it.
async fn run_script(browser: &Browser, step: &Step) -> anyhow::Result<Option<String>> {
    if !step.has_script() {
        return Ok(None);
    }
    let read = browser
        .client()
        .execute(
            "for (const text of arguments[0]) { document.cookie = text; } return document.cookie;",
            vec![serde_json::Value::from(step.script_set.clone())],
        )
        .await
        .context("running the page script")?;
    let read = read.as_str().context("document.cookie is not a string")?.to_owned();
    Ok(step.script_read.then_some(read))
}

/// The result of a passed [`ChromiumRunner::setup_check`].
#[derive(Debug, Clone)]
pub struct SetupReport {
    /// What Chromium sent in the check scenario.
    pub observation: Observation,
}

/// The scenario used by [`ChromiumRunner::setup_check`].
pub fn setup_scenario() -> Scenario {
    let step = |url: &str, set: &[&str]| Step {
        url: url.to_owned(),
        set_cookie: set.iter().map(|s| (*s).to_owned()).collect(),
        advance_seconds: 0,
        script_set: Vec::new(),
        script_read: false,
    };
    Scenario {
        name: "setup/secure-cookie-over-https-only".to_owned(),
        steps: vec![
            step("https://setup.example.com/", &["s=1; Secure; Path=/", "p=1; Path=/"]),
            step("https://setup.example.com/", &[]),
            step("http://setup.example.com/", &[]),
            step("https://setup.example.com/again", &[]),
        ],
    }
}

/// Convenience: starts a runner, checks the setup, runs one scenario and shuts everything down.
/// Slow (a chromedriver start per call); use [`ChromiumRunner`] for many scenarios.
pub async fn run_scenario_in_chromium(scenario: &Scenario) -> Observation {
    let result = async {
        let runner = ChromiumRunner::start(BrowserOptions::detect()?, 1).await?;
        runner.setup_check().await?;
        anyhow::Ok(runner.run_scenario(scenario).await)
    }
    .await;
    result.unwrap_or_else(|e| Observation {
        name: scenario.name.clone(),
        observed: Vec::new(),
        script: Vec::new(),
        error: Some(format!("{e:#}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites() {
        let r = |u| rewrite_url(u, 80, 443, "T").map(|(s, u)| (s.as_str(), u));
        assert_eq!(
            r("http://a.example.com/x?y#z").expect("ok"),
            ("http", "http://a.example.com:80/x?y&crumbstep=T#z".to_owned())
        );
        assert_eq!(
            r("https://A.Example.COM").expect("ok"),
            ("https", "https://A.Example.COM:443?crumbstep=T".to_owned())
        );
        assert_eq!(
            r("HTTP://127.0.0.1/%6Fo/").expect("ok"),
            ("http", "HTTP://127.0.0.1:80/%6Fo/?crumbstep=T".to_owned())
        );
        assert!(r("ftp://a/").is_err());
        assert!(r("http://a:81/").is_err());
        assert_eq!(r("http://[::1]/").expect("ok"), ("http", "http://[::1]:80/?crumbstep=T".to_owned()));
        assert!(r("http://[::1]:81/").is_err());
        assert!(r("http://[::1/").is_err());
    }
}
