#!/usr/bin/env bash
# Builds the solution once and runs every test project against real PostgreSQL 15, PL/Proxy and pgbouncer.
# Prints a closing line "N passed, N failed, N skipped" and exits non-zero on any failure.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
configuration="${CONFIGURATION:-Release}"

# 1. The servers the tests start: PostgreSQL 15, the PL/Proxy extension (the routing oracle), pgbouncer, PgQ and its
#    ticker pgqd; and SkyTools' Python library, the reference for PostgreSQL 8.3's hashtext (no 8.3 server runs here)
#    and for PgQ's urlencoded rows.
missing=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || missing+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/plproxy.control ] || missing+=(postgresql-15-plproxy)
command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ] || missing+=(pgbouncer)
[ -f /usr/lib/python3/dist-packages/skytools/hashtext.py ] || missing+=(python3-skytools)
[ -f /usr/share/postgresql/15/extension/pgq.control ] || missing+=(postgresql-15-pgq3)
command -v pgqd >/dev/null 2>&1 || missing+=(pgqd)
[ -f /usr/share/i18n/locales/de_DE ] && [ -f /usr/share/i18n/locales/tr_TR ] || missing+=(locales)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "Installing ${missing[*]} ..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "The tests need these Debian packages: ${missing[*]}." >&2
    echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# Locales the tests' servers use: German messages (lc_messages: what the library tells from an error must not depend
# on its words) and a Turkish proxy database (lc_ctype: lower('I') is 'ı' there, and PL/Proxy hashed that).
for loc in de_DE tr_TR; do
  if ! locale -a 2>/dev/null | grep -qi "^${loc}\.utf-\?8$"; then
    if [ "$(id -u)" -eq 0 ]; then
      localedef -i "$loc" -f UTF-8 "$loc.UTF-8"
    else
      echo "The tests need the $loc.UTF-8 locale: sudo localedef -i $loc -f UTF-8 $loc.UTF-8" >&2
      exit 1
    fi
  fi
done

status=0

# 2. Build once.
dotnet build PlProxy.Client.sln -c "$configuration" -nologo -v quiet -clp:ErrorsOnly

# 3. Every package packs with its own README, the icon and a symbol package; the runtime package must carry the
#    source generator under analyzers/dotnet/cs; the plproxy tool must pack as a dotnet tool named plproxy.
rm -rf artifacts/packages
for package in PlProxy.Client PlProxy.Client.Testing PlProxy.Client.Hosting PlProxy.Client.OpenTelemetry PlProxy.Client.PgQ PlProxy.Client.Tool; do
  dotnet pack "src/$package/$package.csproj" -c "$configuration" --no-build -nologo -v quiet -o artifacts/packages || status=1
done
python3 - artifacts/packages <<'PY' || status=1
import glob, sys, zipfile
for name in ["PlProxy.Client", "PlProxy.Client.Testing", "PlProxy.Client.Hosting", "PlProxy.Client.OpenTelemetry", "PlProxy.Client.PgQ", "PlProxy.Client.Tool"]:
    found = sorted(glob.glob(f"{sys.argv[1]}/{name}.[0-9]*.nupkg"))
    if not found or not glob.glob(f"{sys.argv[1]}/{name}.[0-9]*.snupkg"):
        sys.exit(f"{name}: no package or no symbol package")
    files = zipfile.ZipFile(found[-1]).namelist()
    if "README.md" not in files or "icon.png" not in files:
        sys.exit(f"{name}: the package lacks its README.md or icon.png")
    if name != "PlProxy.Client.Tool" and not all(f"lib/{tfm}/{name}.dll" in files for tfm in ("net8.0", "net10.0")):
        sys.exit(f"{name}: the package lacks lib/net8.0 or lib/net10.0")
package = sorted(glob.glob(sys.argv[1] + "/PlProxy.Client.[0-9]*.nupkg"))[-1]
if "analyzers/dotnet/cs/PlProxy.Client.Generators.dll" not in zipfile.ZipFile(package).namelist():
    sys.exit(f"{package} lacks analyzers/dotnet/cs/PlProxy.Client.Generators.dll")
# A package that calls the runtime's internal members depends on exactly its version: a mismatched pair is refused
# at restore instead of failing at run time with MissingMethodException.
import re
hosting = zipfile.ZipFile(sorted(glob.glob(sys.argv[1] + "/PlProxy.Client.Hosting.[0-9]*.nupkg"))[-1])
nuspec = hosting.read([n for n in hosting.namelist() if n.endswith(".nuspec")][0]).decode()
pins = re.findall(r'<dependency id="PlProxy\.Client" version="([^"]+)"', nuspec)
if not pins or not all(v.startswith("[") and v.endswith("]") and "," not in v for v in pins):
    sys.exit(f"PlProxy.Client.Hosting must depend on exactly one PlProxy.Client version, not {pins}")
# .NET 8 floors: a net8.0 dependency group asks for Microsoft.Extensions.* 8.0.x, so a .NET 8 application keeps its
# own framework's assemblies instead of having 10.0 ones lifted into its bin folder.
for found in glob.glob(sys.argv[1] + "/PlProxy.Client*.[0-9]*.nupkg"):
    archive = zipfile.ZipFile(found)
    spec = archive.read([n for n in archive.namelist() if n.endswith(".nuspec")][0]).decode()
    for group in re.findall(r'<group targetFramework="net8\.0">(.*?)</group>', spec, re.S):
        lifted = [(i, v) for i, v in re.findall(r'id="(Microsoft\.Extensions\.[^"]+)" version="([^"]+)"', group) if not v.startswith("8.")]
        if lifted:
            sys.exit(f"{found}: its net8.0 group asks for {lifted}; .NET 8 gets Microsoft.Extensions.* 8.0.x")
# Packages that can ship: the compiler check for the generator (build and buildTransitive), release notes from
# CHANGELOG.md, and under CI (ContinuousIntegrationBuild) no path of this machine in any packaged DLL or PDB.
import os
runtime = zipfile.ZipFile(package)
for targets in ("build/PlProxy.Client.targets", "buildTransitive/PlProxy.Client.targets"):
    if targets not in runtime.namelist() or b"PLPX9000" not in runtime.read(targets):
        sys.exit(f"{package} lacks {targets} (the generator's compiler check)")
root = os.getcwd().encode()
for found in glob.glob(sys.argv[1] + "/PlProxy.Client*.[0-9]*.nupkg") + glob.glob(sys.argv[1] + "/PlProxy.Client*.[0-9]*.snupkg"):
    archive = zipfile.ZipFile(found)
    spec = archive.read([n for n in archive.namelist() if n.endswith(".nuspec")][0]).decode()
    if found.endswith(".nupkg") and not re.search(r"<releaseNotes>## \[", spec):
        sys.exit(f"{found}: no release notes from CHANGELOG.md")
    if os.environ.get("CI") == "true":
        embedded = [n for n in archive.namelist() if n.endswith((".dll", ".pdb")) and root in archive.read(n)]
        if embedded:
            sys.exit(f"{found}: {embedded} embed the build machine's path {root.decode()} (expected /_/ paths under CI)")
tool = zipfile.ZipFile(sorted(glob.glob(sys.argv[1] + "/PlProxy.Client.Tool.[0-9]*.nupkg"))[-1])
settings = [n for n in tool.namelist() if n.endswith("DotnetToolSettings.xml")]
if not settings or 'Name="plproxy"' not in tool.read(settings[0]).decode():
    sys.exit("PlProxy.Client.Tool is not packed as the dotnet tool plproxy")
PY

# 3b. The docs site (docs/, DocFX as a local tool) builds with no warning: a broken link or page fails CI. Its C#
#     blocks are compiled by ReadmeSnippetTests.
mkdir -p artifacts
if dotnet tool restore > artifacts/docfx.log 2>&1 && dotnet docfx docs/docfx.json --warningsAsErrors >> artifacts/docfx.log 2>&1; then
  echo "docs: built into docs/_site"
else
  cat artifacts/docfx.log >&2
  echo "docs: the site did not build without warnings" >&2
  status=1
fi

# 4. Run each test project's xunit.v3 executable; sum the results from its XML report, naming each failed test last
#    (where a CI log's tail shows it).
results_dir="$repo_root/artifacts/test-results"
rm -rf "$results_dir"
mkdir -p "$results_dir"
for project in tests/*/*.csproj samples/*.Tests/*.csproj; do
  name="$(basename "$project" .csproj)"
  [ "$name" = PlProxy.Client.TestSupport ] && continue # a library the test projects share, not tests
  dll="$(dirname "$project")/bin/$configuration/net10.0/$name.dll"
  [ -f "$dll" ] || { echo "No test assembly at $dll" >&2; status=1; continue; }
  echo "== $name"
  # Bounded: a project whose test deadlocks fails here after 15 minutes instead of costing CI its whole time limit.
  timeout --kill-after=30 900 dotnet "$dll" -noColor -noLogo -xml "$results_dir/$name.xml" || { echo "$name failed or ran past 15 minutes" >&2; status=1; }
done

# Servers are stopped by the fixtures; anything a crashed run left behind is stopped here.
for pid_file in /tmp/plproxy-pg-*/data/postmaster.pid /tmp/plproxy-pgbouncer-*/pgbouncer.pid; do
  [ -f "$pid_file" ] || continue
  kill -9 "$(head -n 1 "$pid_file")" 2>/dev/null || true
  case "$pid_file" in
    */data/postmaster.pid) rm -rf "$(dirname "$(dirname "$pid_file")")" ;;
    *) rm -rf "$(dirname "$pid_file")" ;;
  esac
done

python3 - "$results_dir" <<'PY' || status=1
import glob, sys, xml.etree.ElementTree as ET
passed = failed = skipped = 0
for path in glob.glob(sys.argv[1] + "/*.xml"):
    for assembly in ET.parse(path).getroot().iter("assembly"):
        passed += int(assembly.get("passed", 0))
        failed += int(assembly.get("failed", 0)) + int(assembly.get("errors", 0))
        skipped += int(assembly.get("skipped", 0))
    for test in ET.parse(path).getroot().iter("test"):
        if test.get("result") == "Fail":
            message = (test.findtext("failure/message") or "").strip().replace("\n", " ")
            print(f"FAILED {test.get('name')}: {message[:600]}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
PY
exit $status
