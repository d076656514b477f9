# syntax=docker/dockerfile:1
# All-in-One Planner: builds the browser app and the release binary, then ships them in a small image that runs as
# an unprivileged user. `docker compose up` builds it (see docker-compose.yml).

FROM rust:1.95-bookworm AS build
# Node 22 for the browser app's npm tools (binaryen's wasm-opt), as in the local build; Debian bookworm's is 18.
COPY --from=node:22-bookworm-slim /usr/local/bin/node /usr/local/bin/node
COPY --from=node:22-bookworm-slim /usr/local/lib/node_modules /usr/local/lib/node_modules
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
    && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
RUN rustup target add wasm32-unknown-unknown \
    && cargo install trunk --locked --version 0.21.14 \
    && cargo install wasm-bindgen-cli --version 0.2.130 --locked
WORKDIR /src
COPY . .
# apalis' sqlx macros must not look for a database while compiling.
ENV SQLX_OFFLINE=true
RUN cd frontend \
    && npm ci --no-audit --no-fund \
    && PATH="/src/frontend/node_modules/.bin:$PATH" trunk build --release --offline
RUN cargo build --release --locked -p api --bin planner

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin planner \
    && mkdir -p /app/data \
    && chown planner:planner /app/data
COPY --from=build /src/target/release/planner /usr/local/bin/planner
COPY --from=build /src/frontend/dist /app/web
WORKDIR /app
ENV PLANNER_ADDR=0.0.0.0:8080 \
    PLANNER_DATA_DIR=/app/data \
    WEB_DIR=/app/web \
    LOG_FORMAT=json
USER planner
EXPOSE 8080
VOLUME ["/app/data"]
HEALTHCHECK --interval=10s --timeout=3s --retries=3 CMD ["curl", "-fsS", "http://127.0.0.1:8080/readyz"]
ENTRYPOINT ["planner"]
CMD ["serve"]
