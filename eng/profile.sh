#!/usr/bin/env bash
# Where one benchmark contender's CPU goes, client and servers: a system-wide CPU profile (perf, 499 Hz, 8 s) taken
# while the contender alone runs its calls, summed per process and code kind and per .NET assembly, in µs of CPU per
# call. A wait is no sample here (a thread blocked on a socket or a semaphore uses no CPU), which a managed
# thread-time profile cannot tell apart.
#
#   eng/profile.sh library 1 60000        # contender (library | hand-routed | multiplexing), callers, calls
#
# Needs a Release build of the benchmarks, perf, and the rights to sample every process (root).
set -euo pipefail
contender=${1:?contender: library, hand-routed or multiplexing}
callers=${2:-1}
calls=${3:-60000}
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/benchmarks/PlProxy.Client.Benchmarks/bin/Release/net10.0"
out=$(mktemp -d)
command -v perf > /dev/null || { echo "perf is not installed (apt-get install -y linux-perf)"; exit 1; }

# Perf maps name the JIT's code; without write-xor-execute the code runs where the maps say it is.
(cd "$bin" && DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 dotnet PlProxy.Client.Benchmarks.dll --solo "$contender" "$callers" "$calls" > "$out/run.log" 2>&1) &
run=$!
for _ in $(seq 1 1200); do grep -q "^warm-up" "$out/run.log" && break; sleep 0.5; done
grep -q "^warm-up" "$out/run.log" || { cat "$out/run.log"; exit 1; }
sleep 1
perf record -a -g -F 499 -e cpu-clock -o "$out/perf.data" -- sleep 8 > /dev/null 2>&1
wait $run
grep -E "^(warm-up|measured)" "$out/run.log"
per_call=$(sed -nE 's/^measured .*: ([0-9.]+) µs per call/\1/p' "$out/run.log")
perf report -i "$out/perf.data" --sort comm,dso --stdio --no-children -g none 2> /dev/null > "$out/by-process.txt"
perf report -i "$out/perf.data" --comm ".NET TP Worker" --sort dso,sym --stdio --no-children -g none 2> /dev/null > "$out/managed.txt"
python3 - "$out" "$per_call" "$(nproc)" <<'PY'
import collections, re, sys
out, per_call, cpus = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
us = per_call * cpus / 100  # µs of CPU per call for each percent of the samples (the machine's CPUs over the wall time of a call)
rows = collections.Counter()
for line in open(f"{out}/by-process.txt"):
    m = re.match(r"\s*([\d.]+)%\s+(.+?)\s{2,}(.+?)\s*$", line)
    if not m:
        continue
    process = {"postgres": "PostgreSQL", "swapper": "idle"}.get(m.group(2), "client" if m.group(2).startswith(".NET") else "other")
    dso = m.group(3)
    code = "kernel" if "kernel" in dso else "managed (JIT)" if "JIT" in dso or "doublemapper" in dso else "runtime" if "coreclr" in dso else "native"
    rows[(process, code if process in ("client", "PostgreSQL") else "")] += float(m.group(1))
print(f"\nµs of CPU per call ({per_call} µs per call, {cpus} CPUs):")
for (process, code), pct in sorted(rows.items(), key=lambda r: -r[1]):
    if pct * us >= 0.5:
        print(f"  {pct * us:7.1f}  {process} {code}".rstrip())
assemblies = collections.Counter()
for line in open(f"{out}/managed.txt"):
    m = re.match(r"\s*([\d.]+)%.*?\[\.\]\s*(.*)", line)
    if not m or "JIT]" not in line:
        continue
    symbol = m.group(2)
    if re.search(r"LowLevelLifoSemaphore|ThreadPoolWorkQueue|WorkerThread", symbol):
        assemblies["(thread pool: dispatch and spinning)"] += float(m.group(1))
        continue
    owner = re.search(r"\[([A-Za-z.]+)\]\s*[A-Za-z0-9_.`+<>|\[\],]*::", re.sub(r"\[System\.Runtime\]", "", symbol))
    assemblies[owner.group(1) if owner else "stubs and other"] += float(m.group(1))
print("\nClient managed code by assembly, µs of CPU per call:")
for name, pct in assemblies.most_common():
    if pct * us >= 0.2:
        print(f"  {pct * us:7.1f}  {name}")
print(f"  {sum(assemblies.values()) * us:7.1f}  in all")
PY
rm -rf "$out"
