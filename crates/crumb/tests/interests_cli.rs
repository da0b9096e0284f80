//! `crumb interests classify` through the built binary: a file with a
//! declared path, pages fetched from a small local site (one about jazz,
//! one that opts out by header, one by its HTML, one missing), and the
//! faults it names (docs/interests.md).
#![allow(clippy::unwrap_used)] // test code: a failed unwrap is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use axum::http::{header::CONTENT_TYPE, HeaderName, StatusCode};
use axum::response::Html;
use axum::routing::get;
use axum::Router;

/// A declaration with `[interests]` as the test needs it.
fn config(dir: &Path, interests: &str) -> PathBuf {
    let path = dir.join("crumb.toml");
    let text = format!(
        "[site]\nname = \"Velo\"\norigins = [\"https://velo.example\"]\npolicy_version = \"1\"\n\n\
         [contact]\nname = \"Velo\"\naddress = \"1 Road\"\nemail = \"p@velo.example\"\n\n{interests}"
    );
    std::fs::write(&path, text).unwrap();
    path
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("crumb-interests-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn classify(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crumb")).args(["interests", "classify"]).args(args).output().unwrap()
}

/// Runs `classify` on a blocking thread (the local site keeps serving meanwhile).
async fn classify_async(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || {
        let list: Vec<&str> = args.iter().map(String::as_str).collect();
        classify(&list)
    })
    .await
    .unwrap()
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

fn topics(report: &serde_json::Value) -> Vec<u64> {
    report["assignment"]["topics"].as_array().unwrap().iter().map(|t| t.as_u64().unwrap()).collect()
}

const BIKES: &str = "<!doctype html><html lang=en><head><title>Road bikes &amp; bicycle helmets</title>\
    <meta name=\"keywords\" content=\"road bike, carbon frame\"></head>\
    <body><h1>Carbon road bikes</h1><h2>Helmets and lights</h2></body></html>";

#[test]
fn a_file_under_a_declared_path_gets_the_declared_topics_and_the_proposal_is_shown() {
    let dir = temp_dir("file");
    let page = dir.join("road.html");
    std::fs::write(&page, BIKES).unwrap();
    let declaration =
        config(&dir, "[interests]\nenabled = true\n\n[[interests.page]]\npath = \"/products\"\ntopics = [289]\n");
    let (page, declaration) = (page.to_str().unwrap(), declaration.to_str().unwrap());
    let report = json(&classify(&[page, "--path", "/products/bikes/road", "--config", declaration, "--json"]));
    assert_eq!(report["path"], "/products/bikes/road");
    assert_eq!(topics(&report), [289], "declared topics win");
    assert_eq!(report["assignment"]["decision"]["by"], "declaration");
    assert_eq!(report["assignment"]["decision"]["entry"], "/products");
    let first = &report["assignment"]["proposals"][0];
    assert_eq!(first["topic"], 369, "the classifier still says bicycles");
    let evidence = first["evidence"].as_array().unwrap();
    assert!(evidence.iter().any(|e| e["field"] == "title" && e["words"] == "bicycle"), "{first}");
    assert!(evidence.iter().any(|e| e["field"] == "heading"), "{first}");

    let text = classify(&[page, "--path", "/products/bikes/road", "--config", declaration]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("declared ([[interests.page]] path = \"/products\"; declared topics win)"), "{text}");
    assert!(text.contains("1. 369 /Autos & Vehicles/Bicycles & Accessories"), "{text}");
    assert!(text.contains("title \"bicycle\""), "{text}");
    assert!(text.contains("assigned (declared for /products):\n  289 /Shopping"), "{text}");

    let alone = json(&classify(&[page, "--json"]));
    assert_eq!(alone["path"], "/road", "a file's path is its name without the extension");
    assert_eq!(topics(&alone), Vec::<u64>::new(), "without --config the classifier only proposes");
    assert_eq!(alone["assignment"]["proposals"][0]["topic"], 369);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn faults_are_named_and_exit_2() {
    let dir = temp_dir("faults");
    let missing = dir.join("missing.html");
    let out = classify(&[missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"), "{out:?}");

    let page = dir.join("page.html");
    std::fs::write(&page, BIKES).unwrap();
    let bad = config(&dir, "[[interests.page]]\npath = \"/bikes\"\ntopics = [369, 9999]\n");
    let out = classify(&[page.to_str().unwrap(), "--config", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("crumb.toml:11: interests page: path \"/bikes\": topic 9999 is not in the Topics taxonomy v2"),
        "{err}"
    );

    let out = classify(&["https://example.com/"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only http:// URLs can be fetched"));

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let out = classify(&[&format!("http://{closed}/x")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unreachable"), "{out:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The local site: a jazz article, two pages that opt out, a missing page.
async fn site() -> String {
    let policy = HeaderName::from_static("permissions-policy");
    let app = Router::new()
        .route(
            "/articles/kind-of-blue",
            get(|| async {
                Html(
                    "<html><head><title>Kind of Blue at 65: Miles Davis and modal jazz</title></head>\
                     <body><h1>Jazz</h1><h2>The saxophone of Coltrane</h2></body></html>",
                )
            }),
        )
        .route(
            "/articles/private",
            get(move || {
                let policy = policy.clone();
                async move {
                    (
                        [(policy, "camera=(), browsing-topics=()"), (CONTENT_TYPE, "text/html")],
                        "<title>Jazz festival tickets</title>",
                    )
                }
            }),
        )
        .route(
            "/articles/quiet",
            get(|| async { Html("<html data-crumb-no-interests><title>Jazz festival tickets</title></html>") }),
        )
        .route("/data.json", get(|| async { ([(CONTENT_TYPE, "application/json")], "{\"title\": \"Jazz\"}") }))
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such page") });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_fetched_over_http_are_classified_and_their_opt_outs_honoured() {
    let base = site().await;
    let dir = temp_dir("url");
    let declaration = config(&dir, "[interests]\nenabled = true\nclassifier = \"propose\"\nmax_topics = 2\n");
    let declaration = declaration.to_str().unwrap().to_owned();
    let run = |path: &str| {
        let url = format!("{base}{path}");
        classify_async(vec![url, "--config".into(), declaration.clone(), "--json".into()])
    };

    let jazz = json(&run("/articles/kind-of-blue").await);
    assert_eq!(jazz["path"], "/articles/kind-of-blue");
    assert_eq!(jazz["assignment"]["decision"]["by"], "classifier");
    assert_eq!(topics(&jazz)[0], 29, "Jazz: {jazz}");
    assert!(topics(&jazz).len() <= 2, "max_topics = 2");
    assert_eq!(jazz["permissions_policy"]["verdict"], "allowed");

    let private = json(&run("/articles/private").await);
    assert_eq!(topics(&private), Vec::<u64>::new());
    assert_eq!(private["assignment"]["decision"]["by"], "opted-out");
    assert_eq!(private["assignment"]["decision"]["opt_out"]["feature"], "browsing-topics");
    assert!(!private["assignment"]["proposals"].as_array().unwrap().is_empty(), "shown, not assigned");

    let quiet = json(&run("/articles/quiet").await);
    assert_eq!(topics(&quiet), Vec::<u64>::new());
    assert_eq!(quiet["assignment"]["decision"]["opt_out"]["by"], "attribute");
    assert_eq!(quiet["assignment"]["decision"]["opt_out"]["element"], "html");

    let text = classify_async(vec![format!("{base}/articles/private"), "--config".into(), declaration.clone()]).await;
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("opt-out: yes, Permissions-Policy: browsing-topics=()"), "{text}");
    assert!(text.contains("assigned: none (the page opts out)"), "{text}");

    let data = run("/data.json").await;
    assert_eq!(data.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&data.stderr).contains("not an HTML page (Content-Type: application/json)"));

    let missing = run("/nowhere").await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("answered HTTP 404"), "{missing:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
