//! `cargo run -p crumb-testsite -- [ADDRESS]`: serves the test site on
//! ADDRESS (default 127.0.0.1:3000) until interrupted.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!("crumb-testsite on http://{}", listener.local_addr()?);
    axum::serve(listener, crumb_testsite::router()).await
}
