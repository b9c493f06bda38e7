#!/usr/bin/env bash
# Mutation testing of the routing core — the planner, the cluster layout, the partition mapping and the SPLIT cut —
# with Stryker.NET over the unit tests of planning (including the differential tests against a live PL/Proxy: run
# eng/test.sh once first, it installs it), partitions and configuration. Stryker cannot see which tests cover a
# mutant when xunit.v3 runs them in its own process, so every mutant runs all of those; about 15 minutes on 2 cores,
# not part of CI. Widen the scope in eng/stryker-config.json ("mutate", "test-case-filter") for the hash functions
# and the language, given the hours. Writes the report under artifacts/mutation and copies the summary to tests/mutation-report.md.
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
