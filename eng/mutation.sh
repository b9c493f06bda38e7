#!/usr/bin/env bash
# Mutation testing of the pure core (Hashing, Planning, the SPLIT cut) with Stryker.NET over the unit-test project,
# which includes the differential tests against a live PostgreSQL and SkyTools (run eng/test.sh once first: it
# installs them). Not part of CI: about 45 minutes on 2 cores. Writes tests/mutation-report.md.
#
# Stryker runs the tests through the Microsoft Testing Platform: the test project is built in xunit.v3's MTP mode
# for this run only (UseMicrosoftTestingPlatformRunner, as an MSBuild global property from the environment), which
# lets Stryker capture coverage per test and run only the tests that reach each mutant. eng/test.sh keeps xunit's
# own command line. Keep the machine otherwise idle while it runs: a loaded machine turns slow runs into "timeouts",
# which Stryker counts as killed.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
dotnet tool restore >/dev/null

output="$repo_root/artifacts/mutation"
rm -rf "$output"
(cd src/PlProxy.Client && UseMicrosoftTestingPlatformRunner=true dotnet stryker --config-file "$repo_root/eng/stryker-config.json" --output "$output" "$@")

report="$(find "$output" -name 'mutation-report.md' | head -n 1)"
if [ -n "$report" ]; then
  cp "$report" tests/mutation-report.md
  echo "Summary: tests/mutation-report.md"
fi
