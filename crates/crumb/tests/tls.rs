//! HTTPS served by crumb itself from PEM files (issue 19): the real binary
//! with a certificate made by rcgen, fetched over https by reqwest trusting
//! only that certificate; crumb's cookies come back `__Host-` and `Secure`;
//! SIGTERM still stops it gracefully. Bad certificate or key files stop the
//! start with a message naming the file, never a panic.
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test
#![cfg(unix)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("crumb-tls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A self-signed certificate for `localhost` in `dir/cert.pem` and its key
/// in `dir/key.pem`; returns the certificate's PEM.
fn certificate(dir: &Path) -> String {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), signing_key.serialize_pem()).unwrap();
    cert.pem()
}

/// `crumb serve` (the built-in demo) in `dir` with `args`, and what it
/// logs after announcing its URL; killed when dropped.
struct Server(Child, std::sync::mpsc::Receiver<String>);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the server and reads its stdout up to the line announcing its
/// URL; returns the server, that port and the lines before it (the log).
fn start(dir: &Path, args: &[&str]) -> (Server, u16, Vec<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crumb"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut log = Vec::new();
    let port = loop {
        let Some(line) = lines.next() else {
            let output = child.wait_with_output().unwrap();
            panic!("server exited before announcing its URL: {}\n{log:#?}", String::from_utf8_lossy(&output.stderr));
        };
        let line = line.unwrap();
        if let Some(rest) = line.split("://localhost:").nth(1).filter(|_| line.starts_with("open ")) {
            break rest.chars().take_while(char::is_ascii_digit).collect::<String>().parse().unwrap();
        }
        log.push(line);
    };
    // Keep draining stdout so the server never blocks on a full pipe.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(|line| drop(tx.send(line))));
    (Server(child, rx), port, log)
}

fn client(cert_pem: &str, port: u16) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .resolve("localhost", std::net::SocketAddr::from(([127, 0, 0, 1], port)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn crumb_serves_https_from_pem_files_with_host_prefixed_secure_cookies() {
    let dir = temp_dir("serve");
    let cert = certificate(&dir);
    let (mut server, port, _) = start(&dir, &["--tls-cert", "cert.pem", "--tls-key", "key.pem"]);
    let client = client(&cert, port);
    let base = format!("https://localhost:{port}");

    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.version(), reqwest::Version::HTTP_11, "ALPN: http/1.1");
    assert_eq!(
        ready.headers().get("strict-transport-security").map(|v| v.to_str().unwrap()),
        Some("max-age=31536000"),
        "an https origin gets HSTS"
    );

    let script = client.get(format!("{base}/crumb.js")).send().await.unwrap();
    assert_eq!(script.status(), 200);
    let content_type = script.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/javascript"), "{content_type}");
    assert!(script.text().await.unwrap().contains("\"api\":\"/api/\""), "the banner script posts decisions to its API");

    let consent = client
        .post(format!("{base}/api/consent"))
        .header("origin", &base)
        .header("sec-fetch-site", "same-origin")
        .json(&serde_json::json!({"granted": ["statistics"], "language": "en"}))
        .send()
        .await
        .unwrap();
    let cookies: Vec<String> =
        consent.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert_eq!(consent.status(), 201, "{:?}", consent.text().await);
    let decision = cookies.iter().find(|c| c.starts_with("__Host-crumb_consent=")).expect("the consent cookie");
    let attributes: Vec<&str> = decision.split(';').map(str::trim).collect();
    for attribute in ["Secure", "HttpOnly", "Path=/"] {
        assert!(attributes.contains(&attribute), "{attribute} missing from {decision}");
    }
    assert!(!decision.contains("Domain="), "a __Host- cookie has no Domain: {decision}");

    // The same port does not answer plain http.
    let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/readyz")).send().await;
    assert!(plain.is_err() || plain.unwrap().status() != 200, "plain http is not served on the https port");

    // SIGTERM: a graceful stop, as without TLS, though the client keeps its
    // connection open.
    let killed = Command::new("kill").args(["-TERM", &server.0.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = server.0.wait().unwrap();
    assert!(status.success(), "exit after SIGTERM: {status}");
    let log: Vec<String> = server.1.try_iter().collect();
    assert!(log.iter().any(|line| line.contains("stopped: every request in flight was answered")), "{log:#?}");
    drop(client);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs `crumb serve` expecting it to refuse to start; returns stderr.
fn refused(dir: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_crumb"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    stderr
}

#[test]
fn bad_certificate_or_key_files_stop_the_start_naming_the_file() {
    let dir = temp_dir("bad");
    certificate(&dir);
    std::fs::write(dir.join("garbage.pem"), "not a certificate\n").unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    std::fs::write(dir.join("other-key.pem"), other.signing_key.serialize_pem()).unwrap();
    for (args, fault) in [
        (
            &["--tls-cert", "missing.pem", "--tls-key", "key.pem"][..],
            "TLS certificate file missing.pem: cannot read it",
        ),
        (&["--tls-cert", "cert.pem", "--tls-key", "missing.pem"][..], "TLS key file missing.pem: cannot read it"),
        (
            &["--tls-cert", "garbage.pem", "--tls-key", "key.pem"][..],
            "TLS certificate file garbage.pem: holds no PEM certificate",
        ),
        (&["--tls-cert", "cert.pem", "--tls-key", "cert.pem"][..], "TLS key file cert.pem: holds no PEM private key"),
        (
            &["--tls-cert", "cert.pem", "--tls-key", "other-key.pem"][..],
            "TLS: the key in other-key.pem does not go with the certificate in cert.pem",
        ),
        (&["--tls-cert", "cert.pem"][..], "--tls-cert/--tls-key: tls_cert is set but tls_key is not"),
    ] {
        let stderr = refused(&dir, args);
        assert!(stderr.contains(fault), "{args:?}: {fault:?} not in {stderr}");
    }
    // In the file: the fault has its line.
    let config = crumb_core::config::DEMO_TOML.replacen("[server]\n", "[server]\ntls_key = \"key.pem\"\n", 1);
    std::fs::write(dir.join("crumb.toml"), config).unwrap();
    let stderr = refused(&dir, &["--config", "crumb.toml"]);
    assert!(stderr.contains("crumb.toml:32: server.tls_key is set but tls_cert is not"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn development_mode_is_announced_and_refused_for_public_origins() {
    let dir = temp_dir("dev");
    let (server, _, log) = start(&dir, &["--dev"]);
    drop(server);
    assert!(
        log.iter().any(|line| line.contains("development mode (only for *.test, *.localhost and loopback names)")),
        "{log:#?}"
    );
    let with_origin =
        |origin: &str| crumb_core::config::DEMO_TOML.replacen("origins = [", &format!("origins = [\"{origin}\", "), 1);
    std::fs::write(dir.join("crumb.toml"), with_origin("https://shop.example")).unwrap();
    let stderr = refused(&dir, &["--config", "crumb.toml", "--dev"]);
    assert!(stderr.contains("--dev: refusing to start in development mode"), "{stderr}");
    assert!(stderr.contains("\"https://shop.example\" is not a development name"), "{stderr}");

    // A plain-http *.test origin: warned about without development mode …
    std::fs::write(dir.join("crumb.toml"), with_origin("http://shop.test")).unwrap();
    let (server, _, log) = start(&dir, &["--config", "crumb.toml"]);
    drop(server);
    let warning = "site.origins: \"http://shop.test\" is plain http on a host that is not loopback: browsers refuse Secure and __Host- cookies there (a consent kept in one would be dropped and the banner would come back on every page)";
    assert!(log.iter().any(|line| line.contains(warning)), "{log:#?}");
    // … and expected in it, which the log says once, naming what changes.
    let (server, _, log) = start(&dir, &["--config", "crumb.toml", "--dev"]);
    drop(server);
    assert!(!log.iter().any(|line| line.contains("is plain http")), "{log:#?}");
    assert!(
        log.iter().any(|line| line.contains("development mode")
            && line.contains(
                "without Secure and the __Host- prefix, which browsers refuse on plain http at http://shop.test"
            )),
        "{log:#?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A port that was free a moment ago (bound, then let go).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `crumb serve --config crumb-{name}.toml` in `dir`, with `SSL_CERT_FILE`
/// set to `trust` or unset; killed when dropped. Returns once `port` accepts.
fn serve_config(dir: &Path, name: &str, toml: &str, port: u16, trust: Option<&Path>) -> Server {
    let file = format!("crumb-{name}.toml");
    std::fs::write(dir.join(&file), toml).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_crumb"));
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    command.args(["serve", "--config", &file]).current_dir(dir).stdout(Stdio::null()).stderr(log);
    command.env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR").env_remove("CRUMB_UPSTREAM");
    if let Some(trust) = trust {
        command.env("SSL_CERT_FILE", trust);
    }
    let (_tx, rx) = std::sync::mpsc::channel();
    let server = Server(command.spawn().unwrap(), rx);
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return server;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("crumb ({name}) did not listen on {port}");
}

fn site_toml(name: &str, origins: &[String], port: u16, extra: &str) -> String {
    format!(
        "[site]\nname = \"{name}\"\norigins = {origins:?}\npolicy_version = \"1\"\n\
         [contact]\nname = \"C\"\naddress = \"A\"\nemail = \"privacy@shop.example\"\n\
         [storage]\npath = \"{name}.db\"\n[keys]\nsecret_file = \"{name}.key\"\n\
         [server]\nlisten = \"127.0.0.1:{port}\"\n{extra}"
    )
}

/// The gateway in front of an `https://` upstream: the upstream's
/// certificate is checked (trusted through `SSL_CERT_FILE`, it passes; not
/// trusted, the visitor gets 502), and the page comes back with the tag.
#[tokio::test]
async fn the_gateway_speaks_tls_to_an_https_upstream_and_checks_its_certificate() {
    let dir = temp_dir("upstream");
    certificate(&dir);
    let (upstream_port, trusting_port, distrusting_port) = (free_port(), free_port(), free_port());
    let gateway_origins = [format!("http://localhost:{trusting_port}"), format!("http://localhost:{distrusting_port}")];
    // The upstream (crumb's demo site, over https) answers for the gateways' Host, which they pass on.
    let mut origins = vec![format!("https://localhost:{upstream_port}")];
    origins.extend(gateway_origins.iter().cloned());
    let upstream_toml =
        site_toml("upstream", &origins, upstream_port, "demo = true\ntls_cert = \"cert.pem\"\ntls_key = \"key.pem\"\n");
    let _upstream = serve_config(&dir, "upstream", &upstream_toml, upstream_port, None);
    let gateway = |port: u16| {
        site_toml(
            &format!("gateway-{port}"),
            &[format!("http://localhost:{port}")],
            port,
            &format!("[gateway]\nupstream = \"https://localhost:{upstream_port}\"\n"),
        )
    };
    let cert = dir.join("cert.pem");
    let _trusting = serve_config(&dir, "trusting", &gateway(trusting_port), trusting_port, Some(&cert));
    let _distrusting = serve_config(&dir, "distrusting", &gateway(distrusting_port), distrusting_port, None);

    let http = reqwest::Client::builder()
        .resolve("localhost", std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .build()
        .unwrap();
    let page =
        http.get(format!("http://localhost:{trusting_port}/")).header("accept", "text/html").send().await.unwrap();
    let status = page.status();
    let html = page.text().await.unwrap();
    let logs = |name: &str| std::fs::read_to_string(dir.join(format!("{name}.log"))).unwrap_or_default();
    assert_eq!(status, 200, "{html}\nupstream: {}\ngateway: {}", logs("upstream"), logs("trusting"));
    assert!(html.contains("upstream"), "the upstream's demo page: {html}");
    assert_eq!(html.matches("<script src=\"/_crumb/crumb.js\" defer></script>").count(), 1, "{html}");

    let refused = http.get(format!("http://localhost:{distrusting_port}/")).send().await.unwrap();
    assert_eq!(refused.status(), 502, "an upstream certificate the system does not trust is not accepted");
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(problem["type"], "/_crumb/problems/upstream-unreachable");
    drop((_upstream, _trusting, _distrusting));
    let _ = std::fs::remove_dir_all(&dir);
}
