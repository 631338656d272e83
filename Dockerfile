# Build stage: the release binary with SQLite and libpq built in (TLS from the system OpenSSL).
# The compiler is pinned to the one link/symbols.txt was written with: the code layout's names
# carry the compiler's version (build.rs, link/order). Update both together.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libssl3 ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/target/release/wilkan /usr/local/bin/wilkan
COPY course-content /app/course-content
ENV WILKAN_BIND=0.0.0.0:8080 WILKAN_DATA_DIR=/app/data
EXPOSE 8080
CMD ["wilkan", "serve"]
