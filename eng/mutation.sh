#!/usr/bin/env bash
# Mutation testing of the routing core (Hashing, Planning) and the SPLIT cut of the execution seam with Stryker.NET
# over the unit-test project, which includes the bit-exactness and differential tests against a live PostgreSQL and
# PL/Proxy (run eng/test.sh once first: it installs those). Stryker cannot see which tests cover a mutant when
# xunit.v3 runs them in its own process, so every mutant runs the whole project (~10 s): about 35 minutes on 2 cores,
# not part of CI. The language sources are the next scope to add ("**/Language/**/*.cs" in eng/stryker-config.json). Writes the report under artifacts/mutation and copies the summary to tests/mutation-report.md.
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
