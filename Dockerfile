# ako-rs container image: the `ako` binary on a minimal, non-root base.
# Build: docker build -t ako-rs .        (not built in CI: no container engine there)
# Run in-cluster like AKO's StatefulSet: `ako run` reads its configuration from the environment
# and the API server (see README, "ako run").

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY crates ./crates
# Only the `ako` binary, without `ako demo` and its embedded controller simulator (the `demo`
# feature): a production image carries nothing it does not run.
RUN cargo build --release --locked -p ako --bin ako --no-default-features \
 && install -D -m 0755 target/release/ako /out/ako

# Static enough for distroless/cc: glibc comes with the base, TLS is rustls (no OpenSSL).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/ako /usr/local/bin/ako
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/ako"]
CMD ["run"]
