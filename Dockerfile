# syntax=docker/dockerfile:1
#
# Weft's container image: the release binary, linked with the Swift runtime statically, and exactly the shared
# libraries it needs, on an empty base. No shell, no package manager, no compiler; numeric non-root user.
#
#   docker build --build-arg WEFT_COMMIT=$(git rev-parse --short HEAD) -t weft .
#   docker run --rm weft --version
#   docker run --rm -i weft < Samples/python/tracebacks.log
#
# The runtime root is assembled by scripts/runtime-root.sh, the same script CI runs on the bare machine (no Docker
# engine there): it copies the stripped binary, every library `ldd` names and the dynamic loader, the CA certificates
# and a passwd/group for uid 65532. In CI it also measures the result and proves it by running Weft inside it with
# chroot as uid 65532; here it only assembles (the proof mounts a /proc, which a build step may not do). What CI
# measures and proves is what this image holds. deploy/README.md has the size.

# The official Swift toolchain image (Debian 12). Pin a digest for reproducible builds:
#   --build-arg SWIFT_IMAGE=swift:6.3-bookworm@sha256:...
ARG SWIFT_IMAGE=swift:6.3-bookworm

FROM ${SWIFT_IMAGE} AS build

# PCRE2, zlib and libyaml headers and static archives for the C targets (found through pkg-config; build-release links
# the archives, so the image needs none of their shared libraries), and the CA bundle that goes into the image.
RUN export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true \
    && apt-get -q update \
    && apt-get -q install -y --no-install-recommends libpcre2-dev zlib1g-dev libyaml-dev pkg-config ca-certificates \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# 1. Dependencies, resolved in a layer of their own: it is rebuilt only when the manifest (or the pinned versions)
#    change, never for a change in Sources/. Package.resolved is not in git; the glob copies it when the context has
#    one (the versions you tested with) and is silently empty otherwise (the newest versions the manifest allows).
COPY Package.swift Package.resolve[d] ./
RUN swift package resolve

# 2. What the build reads: the build-tool plugin and the rule files it embeds into the binary, the sources, and the
#    test folders (SwiftPM loads every target of the manifest before it builds one product, so they must exist; the
#    tests are not built).
COPY Plugins/ Plugins/
COPY Parsers/ Parsers/
COPY Sources/ Sources/
COPY Tests/ Tests/
# The context has no .git (.dockerignore): `weft --version` names the commit given here, e.g.
#   docker build --build-arg WEFT_COMMIT=$(git rev-parse --short HEAD) -t weft .
# ("unknown" without it). The StampCommit build-tool plugin reads it from the environment.
ARG WEFT_COMMIT=unknown
# The release build as CI makes it (scripts/build-release: the Swift runtime and libstdc++ static, the dependencies
# at -Osize, every function in its own section for the linker's --gc-sections; Package.swift adds lld, packed
# relocations and no exported symbols). deploy/README.md measures what each of these saves.
COPY scripts/build-release scripts/
RUN WEFT_COMMIT="$WEFT_COMMIT" WEFT_ENSURE_DEPS=0 scripts/build-release \
    && install -m 0755 "$(swift build -c release --product weft --static-swift-stdlib --show-bin-path)/weft" /weft

# 3. The runtime root, assembled by the script CI runs and proves (scripts/runtime-root.sh: chroot as uid 65532,
#    `weft --version`, a sample through the filter, `weft run --config` with the DaemonSet's weft.yaml, its
#    probes and metrics, shipping over https trusted through the root's CA bundle, SIGTERM).
COPY scripts/runtime-root.sh scripts/
RUN scripts/runtime-root.sh --binary /weft --out /rootfs --no-proof

FROM scratch
COPY --from=build /rootfs/ /
LABEL org.opencontainers.image.title="weft" \
      org.opencontainers.image.description="Multiline log parsing pipeline agent: container logs in, whole records out (JSON lines or OTLP/HTTP)"
# uid and gid 65532 ("nonroot", as in distroless), numeric so that Kubernetes' runAsNonRoot can check it without
# reading /etc/passwd.
USER 65532:65532
# Prometheus /metrics, /healthz and /readyz when started with --metrics-address 0.0.0.0:2020 (or metrics_address).
EXPOSE 2020
ENTRYPOINT ["/usr/bin/weft"]
