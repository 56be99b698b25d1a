#!/usr/bin/env bash
# Supply chain: cargo-deny over the library's dependency graph (deny.toml).
#
#   licenses  every dependency under a permissive license (deny.toml's allow list)
#   bans      no wildcard versions; duplicate versions reported
#   sources   crates.io only: no git or unknown-registry dependency
#   advisories  the RustSec database, with a justified exception list in deny.toml — checked
#             only when the database can be fetched: it lives on GitHub, which this project's
#             machines cannot reach, so here the step says SKIPPED instead of passing silently.
#
# Installs cargo-deny (pinned, --locked) when missing: about 5 CPU-minutes of compilation.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_DENY_VERSION=0.20.2

if ! cargo deny --version >/dev/null 2>&1; then
    echo "supply-chain: installing cargo-deny $CARGO_DENY_VERSION"
    cargo install --locked cargo-deny --version "$CARGO_DENY_VERSION"
fi

cargo deny --offline check licenses bans sources

if timeout 60 cargo deny fetch db >/dev/null 2>&1; then
    cargo deny --offline check advisories
    echo "supply-chain: licenses, bans, sources and advisories checked"
else
    echo "supply-chain: advisories SKIPPED: the RustSec advisory database (GitHub) cannot be fetched from here"
    echo "supply-chain: licenses, bans and sources checked"
fi
