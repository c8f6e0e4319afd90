# syntax=docker/dockerfile:1
# One image for every role: `octomesh-mcp up|gateway|worker|platform|crdgen` (and the operator, next).
#   docker build -t ghcr.io/octomesh/octomesh-mcp:0.1.0 .
# Stage 1 builds the release binary with the workspace's pinned dependencies (Cargo.lock; BuildKit
# caches the registry and the target directory between builds); stage 2 is distroless with the C
# runtime only, running as the non-root user 65532, as the operator's pods expect.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p octomesh-mcp \
 && install -D target/release/octomesh-mcp /out/octomesh-mcp

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/octomesh-mcp /usr/local/bin/octomesh-mcp
USER 65532:65532
# `docker run -p 8080:8080 IMAGE` serves the all-in-one default on the container's interfaces.
ENV OCTOMESH_LOG_FORMAT=json \
    OCTOMESH_LISTEN=0.0.0.0:8080 \
    OCTOMESH_DATA_DIR=/home/nonroot/octomesh-mcp
EXPOSE 8080 50051
ENTRYPOINT ["/usr/local/bin/octomesh-mcp"]
CMD ["up"]
