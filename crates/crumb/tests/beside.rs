//! crumb beside a site's web server, on the site's origin (issue 19): a
//! real nginx (`/usr/sbin/nginx`) and a real Caddy (`/usr/bin/caddy`),
//! each configured with the snippet shipped in `deploy/` (only addresses
//! substituted), in front of `crumb serve` (prefix `/_crumb`,
//! `trusted_proxies` = the proxy's address) and of crumb-testsite (the
//! site). Through the proxy: `/` is the site's, `/_crumb/crumb.js` and
//! `/_crumb/policy` are crumb's, a consent POST is recorded, and crumb
//! counts requests by the client's own address — not the proxy's, and not
//! one the client wrote into `X-Forwarded-For`.
//!
//! Without nginx or Caddy a test skips, saying so on stderr; under
//! `CI=true` it fails instead.
//!
//! crumb answers under its prefix itself (`[server] prefix`), so the
//! proxies pass the path unchanged, as the shipped snippets do.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
#![cfg(unix)]

use std::io::{BufRead as _, BufReader};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const NGINX: &str = "/usr/sbin/nginx";
const CADDY: &str = "/usr/bin/caddy";
/// crumb's address in the shipped snippets.
const SHIPPED_CRUMB: &str = "127.0.0.1:8425";

fn repo_file(path: &str) -> String {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path);
    std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// Whether `binary` is missing: skips loudly, or fails under `CI=true`.
fn skip_without(binary: &str, package: &str, test: &str) -> bool {
    if Path::new(binary).exists() {
        return false;
    }
    let message = format!("SKIPPED {test}: {binary} not installed (apt-get install {package})");
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{message}; under CI=true it must run");
    }
    eprintln!("{message}");
    true
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("crumb-beside-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A loopback port nothing listens on now (the proxy binds it next).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process, killed when dropped.
struct Process(Child, &'static str);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Process {
    /// Waits until `port` accepts connections (the process stays up).
    fn wait_for(&mut self, port: u16) {
        for _ in 0..200 {
            if let Some(status) = self.0.try_wait().unwrap() {
                panic!("{} exited ({status}) before listening on {port}; its log is in the test's temp dir", self.1);
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{} does not listen on {port} after 10 s", self.1);
    }
}

/// `crumb serve` with crumb-testsite's declaration, for the site at
/// `http://127.0.0.1:{proxy_port}` behind a proxy on 127.0.0.1, with its
/// routes under `/_crumb`; one consent decision per browser and ten per
/// address a minute (`consents_per_minute = 1`). Returns it and its port.
fn start_crumb(dir: &Path, proxy_port: u16) -> (Process, u16) {
    let declaration = crumb_testsite::DECLARATION;
    let origins = "origins = [\"http://localhost:8080\", \"http://127.0.0.1:8080\"]";
    let server = "[server]\nlisten = \"127.0.0.1:8080\"\n";
    let gateway = "[gateway]\nupstream = \"http://127.0.0.1:3000\"\n";
    for part in [origins, server, gateway] {
        assert!(declaration.contains(part), "crumb-testsite/crumb.toml changed: {part:?}");
    }
    let config = declaration
        .replace(origins, &format!("origins = [\"http://127.0.0.1:{proxy_port}\"]"))
        .replace(
            server,
            "[server]\nlisten = \"127.0.0.1:0\"\ndemo = false\nprefix = \"/_crumb\"\n\
             trusted_proxies = [\"127.0.0.1\"]\nconsents_per_minute = 1\n",
        )
        .replace(gateway, "");
    std::fs::write(dir.join("crumb.toml"), config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_crumb"))
        .args(["serve", "--config", "crumb.toml"])
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let port = loop {
        let line = lines.next().expect("crumb exited before announcing its URL").unwrap();
        if let Some(rest) = line.strip_prefix("listening on http://localhost:") {
            break rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (Process(child, "crumb"), port)
}

/// crumb answers under its prefix itself, asked directly with the site's `Host`.
async fn assert_crumb_mounts_its_prefix(crumb_port: u16, proxy_port: u16) {
    let answer = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{crumb_port}/_crumb/crumb.js"))
        .header("host", format!("127.0.0.1:{proxy_port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "crumb serves /_crumb/crumb.js under [server] prefix");
}

/// A client whose connections come from `address` (a loopback address of its own).
fn client_from(address: Ipv4Addr) -> reqwest::Client {
    reqwest::Client::builder().local_address(IpAddr::V4(address)).build().unwrap()
}

/// A consent decision for statistics through the proxy; returns the status and body.
async fn consent(client: &reqwest::Client, site: &str, spoofed: Option<&str>) -> (u16, serde_json::Value) {
    let mut request = client
        .post(format!("{site}/_crumb/api/consent"))
        .header("origin", site)
        .header("sec-fetch-site", "same-origin")
        .json(&serde_json::json!({"granted": ["statistics"], "language": "en"}));
    if let Some(address) = spoofed {
        request = request.header("x-forwarded-for", address);
    }
    let answer = request.send().await.unwrap();
    let status = answer.status().as_u16();
    (status, answer.json().await.unwrap_or(serde_json::Value::Null))
}

/// What both proxies must do; `dir` holds crumb's SQLite store.
async fn check_beside(dir: &Path, proxy_port: u16) {
    let site = format!("http://127.0.0.1:{proxy_port}");
    let alice = client_from(Ipv4Addr::new(127, 0, 0, 2));

    let home = alice.get(format!("{site}/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("· Test Shop</title>"), "/ is the site's page");

    let script = alice.get(format!("{site}/_crumb/crumb.js")).send().await.unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    assert!(
        script.text().await.unwrap().contains("\"api\":\"/_crumb/api/\""),
        "crumb's banner script, its API under the prefix"
    );

    let policy = alice.get(format!("{site}/_crumb/policy")).send().await.unwrap();
    assert_eq!(policy.status(), 200);
    let policy = policy.text().await.unwrap();
    assert!(policy.contains("data-cookie=\"shop_session\"") && policy.contains("Test Shop"), "crumb's policy page");

    // A decision through the proxy is recorded.
    let (status, receipt) = consent(&alice, &site, None).await;
    assert_eq!(status, 201, "{receipt}");
    let receipt_id = receipt["receipt_id"].as_str().unwrap();
    let store = crumb_store::sqlite::SqliteStore::open(&dir.join("crumb-data/testsite.db")).unwrap();
    let record = crumb_store::Store::consent_by_receipt(&store, receipt_id).await.unwrap();
    assert!(record.is_some(), "receipt {receipt_id} is in crumb's store");

    // Ten decisions a minute from one address (no cookie: a new browser
    // each time). Keep the ten and the eleventh in one clock minute.
    let second = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() % 60;
    if second > 40 {
        tokio::time::sleep(Duration::from_secs(61 - second)).await;
        for _ in 0..10 {
            assert_eq!(consent(&alice, &site, None).await.0, 201, "a new minute");
        }
    } else {
        for _ in 1..10 {
            assert_eq!(consent(&alice, &site, None).await.0, 201);
        }
    }
    assert_eq!(consent(&alice, &site, None).await.0, 429, "the eleventh from 127.0.0.2 in a minute");
    let (status, _) = consent(&alice, &site, Some("203.0.113.9")).await;
    assert_eq!(status, 429, "an X-Forwarded-For the client wrote is not believed");
    // Another client behind the same proxy is not the proxy's address: its own count.
    let bob = client_from(Ipv4Addr::new(127, 0, 0, 3));
    assert_eq!(consent(&bob, &site, None).await.0, 201, "127.0.0.3 has its own count");
}

#[tokio::test]
async fn nginx_routes_the_prefix_to_crumb_and_the_rest_to_the_site() {
    if skip_without(NGINX, "nginx-light", "nginx_routes_the_prefix_to_crumb_and_the_rest_to_the_site") {
        return;
    }
    let dir = temp_dir("nginx");
    let site = crumb_testsite::spawn().await.unwrap();
    let proxy_port = free_port();
    let (_crumb, crumb_port) = start_crumb(&dir, proxy_port);
    assert_crumb_mounts_its_prefix(crumb_port, proxy_port).await;

    let shipped = repo_file("deploy/nginx/crumb.conf");
    let pass = format!("proxy_pass http://{SHIPPED_CRUMB};");
    assert_eq!(shipped.matches(&pass).count(), 1, "deploy/nginx/crumb.conf has one {pass}");
    let to = format!("proxy_pass http://127.0.0.1:{crumb_port};");
    std::fs::write(dir.join("crumb.conf"), shipped.replace(&pass, &to)).unwrap();
    let d = dir.display();
    // What nginx needs to run unprivileged in a temp dir, and the site's own `location /`.
    let main = format!(
        "daemon off;\nmaster_process off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         server {{\n    listen 127.0.0.1:{proxy_port};\n    include {d}/crumb.conf;\n\
         location / {{ proxy_pass http://{site}; proxy_set_header Host $http_host; }}\n  }}\n}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    let mut nginx = Process(
        Command::new(NGINX)
            .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf"), "-e", &format!("{d}/error.log")])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("nginx.stderr")).unwrap())
            .spawn()
            .unwrap(),
        "nginx",
    );
    nginx.wait_for(proxy_port);
    check_beside(&dir, proxy_port).await;
    drop(nginx);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn caddy_routes_the_prefix_to_crumb_and_the_rest_to_the_site() {
    if skip_without(CADDY, "caddy", "caddy_routes_the_prefix_to_crumb_and_the_rest_to_the_site") {
        return;
    }
    let dir = temp_dir("caddy");
    let site = crumb_testsite::spawn().await.unwrap();
    let proxy_port = free_port();
    let (_crumb, crumb_port) = start_crumb(&dir, proxy_port);
    assert_crumb_mounts_its_prefix(crumb_port, proxy_port).await;

    let shipped = repo_file("deploy/caddy/Caddyfile");
    assert_eq!(shipped.matches("handle /_crumb/* {").count(), 1, "deploy/caddy/Caddyfile routes /_crumb/*");
    // No admin endpoint (other tests may run Caddy too); the Caddyfile as shipped.
    std::fs::write(dir.join("Caddyfile"), format!("{{\n\tadmin off\n}}\n\n{shipped}")).unwrap();
    let mut caddy = Process(
        Command::new(CADDY)
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(dir.join("Caddyfile"))
            .env("CRUMB_SITE", format!("http://127.0.0.1:{proxy_port}"))
            .env("CRUMB_ADDRESS", format!("127.0.0.1:{crumb_port}"))
            .env("CRUMB_SITE_APP", site.to_string())
            .env("HOME", &dir)
            .env("XDG_DATA_HOME", dir.join("data"))
            .env("XDG_CONFIG_HOME", dir.join("config"))
            .stdout(Stdio::null())
            // Caddy logs to stderr: to a file, so that a full pipe never stops it.
            .stderr(std::fs::File::create(dir.join("caddy.log")).unwrap())
            .spawn()
            .unwrap(),
        "caddy",
    );
    caddy.wait_for(proxy_port);
    check_beside(&dir, proxy_port).await;
    drop(caddy);
    std::fs::remove_dir_all(&dir).unwrap();
}
