#!/usr/bin/env bash
# Mutation testing of the routing core (Hashing, Planning, the body binder and its function table) and the SPLIT cut
# of the execution seam (the scanner and parser are next: add "**/Language/**/*.cs" to eng/stryker-config.json), with
# Stryker.NET over the unit-test project (which includes the bit-exactness and differential tests against a live
# PostgreSQL and PL/Proxy, so run eng/test.sh once first: it installs those). Slow on 2 cores (tens of minutes):
# not part of CI. Writes the report under artifacts/mutation and copies the summary to tests/mutation-report.md.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
dotnet tool restore >/dev/null

output="$repo_root/artifacts/mutation"
rm -rf "$output"
(cd src/PlProxy.Client && dotnet stryker --config-file "$repo_root/eng/stryker-config.json" --output "$output" "$@")

report="$(find "$output" -name 'mutation-report.md' | head -n 1)"
if [ -n "$report" ]; then
  cp "$report" tests/mutation-report.md
  echo "Summary: tests/mutation-report.md"
fi
