#!/usr/bin/env bash
# The repository as a user clones it: a fresh clone in a temporary folder with nothing beside it
# (no ../shared), `npm ci` from the local npm cache (offline), and the tests that read data run
# there without GMGRAD_DATA, without the full-data requirement, with an empty user cache. They
# must pass on the embedded MNIST test split; tests that need a full dataset skip, saying why.
# Run from the repository root (after `npm ci`, which fills the npm cache):
#   bash scripts/check-bare-clone.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/gmgrad-bare-XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
git clone --quiet "$repo" "$tmp/gmgrad"
cd "$tmp/gmgrad"
test ! -e ../shared
npm ci --offline --no-audit --no-fund --loglevel=error
node scripts/embed-shaders.mjs
# every test that reads data files (the browser page's test reads the embedded split too, through its
# build; the full suite runs it); the webgpu smoke run trains on the same data as the wasm one
env -u GMGRAD_DATA -u GMGRAD_REQUIRE_FULL_DATA XDG_CACHE_HOME="$tmp/cache" GMGRAD_TRAIN_BACKENDS=wasm \
  npx vitest run test/data test/io test/cli test/train/smoke.test.ts test/train/diverge.test.ts test/init
