# crumb in a container. Build: docker build -t crumb .
# Run (built-in demo, SQLite in the volume):
#   docker run -p 8080:8080 -v crumb-data:/var/lib/crumb crumb
# With your declaration and PostgreSQL:
#   docker run -p 8080:8080 -v crumb-data:/var/lib/crumb \
#     -v $PWD/crumb.toml:/etc/crumb/crumb.toml:ro -e CRUMB_CONFIG=/etc/crumb/crumb.toml \
#     -e CRUMB_POSTGRES_URL=postgres://… crumb
# See docs/operations.md.

# --- build -------------------------------------------------------------------
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p crumb \
 && install -m 755 target/release/crumb /usr/local/bin/crumb

# --- run ---------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --home-dir /var/lib/crumb --create-home --shell /usr/sbin/nologin crumb
COPY --from=build /usr/local/bin/crumb /usr/local/bin/crumb
# Relative paths of crumb.toml (crumb-data/crumb.db, crumb-data/secret.key by
# default) are under the working directory: keep it on a volume, and back up
# secret.key with the database.
WORKDIR /var/lib/crumb
VOLUME /var/lib/crumb
USER crumb
ENV CRUMB_LISTEN=0.0.0.0:8080 \
    CRUMB_LOG_FORMAT=json
EXPOSE 8080
# /livez: the process answers (readiness, /readyz, is for load balancers).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:8080/livez || exit 1
# docker stop sends SIGTERM: crumb drains requests for [server]
# shutdown_seconds (default 30); give it longer: docker stop -t 45.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/crumb"]
CMD ["serve"]
