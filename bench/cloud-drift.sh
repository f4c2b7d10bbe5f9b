#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# bench/cloud-drift.sh [BUILD_DIR]: `vpmu audit --cloud` against a real
# Keystone, Nova API and Glance API on this machine (tests/integration/lib/
# keystone.sh + openstack.sh): 10,000 Nova guests in a test:/// node file
# over 20 flavors and 50 images, all created through the APIs.  Measures the
# HTTP requests sent to Nova and Glance, the tokens asked of Keystone, the
# time spent waiting for them, and the audit's wall time with and without
# --cloud; writes the section "(e) Drift against the cloud" of
# bench/RESULTS.md (between its markers; bench/run keeps it).  Benchmarks
# never run as tests.  Set VPMU_BENCH_DOMAINS to change the guest count.
#
# Needs keystone, nova-api, glance-api, jq (.ci/packages).

set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
VPMU="$build/src/cli/vpmu"
DOMAINS=${VPMU_BENCH_DOMAINS:-10000}
FLAVORS=20
IMAGES=50
RUNS=3
out="$top/bench/RESULTS.md"
[[ -x "$VPMU" ]] || {
    echo "cloud-drift.sh: build first: $VPMU is missing" >&2
    exit 1
}

. "$top/tests/integration/lib/keystone.sh"
. "$top/tests/integration/lib/openstack.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/vpmu-bench-cloud.XXXXXX")
trap 'os_stop || true; rm -rf "$work"' EXIT
die() {
    echo "cloud-drift.sh: $*" >&2
    exit 1
}
log() { echo "cloud-drift.sh: $*" >&2; }

t=$(date +%s)
os_start "$work/os" || {
    echo "cloud-drift.sh: cannot start the services: ${OS_SKIP_REASON:-$OS_FAIL_REASON}" >&2
    exit 1
}
log "Keystone, Nova API, Glance API up in $(($(date +%s) - t)) s"

# 20 flavors: hw:pmu true, false or unset in turn; 50 images: hw_pmu true or unset.
for i in $(seq 0 $((FLAVORS - 1))); do
    id=$(os_nova POST /flavors "{\"flavor\":{\"name\":\"bench.f$i\",\"ram\":64,\"vcpus\":1,\"disk\":1}}" | jq -r .flavor.id) &&
        [[ -n "$id" ]] || die "cannot create flavor bench.f$i"
    case $((i % 3)) in
    0) os_nova POST "/flavors/$id/os-extra_specs" '{"extra_specs":{"hw:pmu":"true"}}' >/dev/null ;;
    1) os_nova POST "/flavors/$id/os-extra_specs" '{"extra_specs":{"hw:pmu":"false"}}' >/dev/null ;;
    esac
done
: >"$work/images"
for i in $(seq 0 $((IMAGES - 1))); do
    if ((i % 2)); then prop=',"hw_pmu":"true"'; else prop=""; fi
    os_glance POST /v2/images "{\"name\":\"bench-i$i\",\"disk_format\":\"raw\",\"container_format\":\"bare\"$prop}" |
        jq -r .id >>"$work/images" || die "cannot create image bench-i$i"
done
[[ $(wc -l <"$work/images") == "$IMAGES" ]] || die 'not all images were created'
log "created $FLAVORS flavors and $IMAGES images"

# The guests: guest k uses flavor k mod 20 and image k mod 50, and has a <pmu>
# that a third of the time is not what they decide.
/usr/bin/python3 - "$DOMAINS" "$FLAVORS" "$work/images" >"$work/fleet.jsonl" <<'EOF'
import json, sys
n, nf, images = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3]).read().split()
for k in range(n):
    print(json.dumps({"name": "bench-%05d" % k, "uuid": "be000000-0000-4000-8000-%012d" % k,
                      "pmu": ("on", "off", "unset")[k % 3], "flavor": "bench.f%d" % (k % nf),
                      "image": images[k % len(images)]}))
EOF
/usr/bin/python3 "$top/tests/integration/nova-node.py" --node "$work/node.xml" <"$work/fleet.jsonl" ||
    die "nova-node.py failed"
node="test://$work/node.xml"
log "node file: $DOMAINS domains, $(du -h "$work/node.xml" | cut -f1)"

ms() { date +%s%3N; }
walls_cloud=()
walls_plain=()
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq "$RUNS"); do
    a=$(ms)
    "$VPMU" -o json audit --timeout 3600 -c "$node" >/dev/null || die "audit failed (exit $?)"
    b=$(ms)
    "$VPMU" -o json audit --timeout 3600 --cloud -c "$node" >"$work/cloud.json" ||
        die "audit --cloud failed (exit $?)"
    c=$(ms)
    walls_plain+=($((b - a)))
    walls_cloud+=($((c - b)))
    log "run $r: audit $((b - a)) ms, audit --cloud $((c - b)) ms"
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mp=$(median "${walls_plain[@]}")
mc=$(median "${walls_cloud[@]}")
jq -e --argjson n "$DOMAINS" '.totals.domains == $n' "$work/cloud.json" >/dev/null || {
    echo "cloud-drift.sh: the audit did not report $DOMAINS domains" >&2
    exit 1
}
read -r req tokens nfl nim secs auth drift sync unknown < <(jq -r '.totals.drift |
    [.requests, .tokens, .flavors, .images, .seconds, .auth_seconds, .domains.drift,
     .domains["in-sync"], .domains.unknown] | @tsv' "$work/cloud.json")
per_req=$(awk -v s="$secs" -v a="$auth" -v r="$req" 'BEGIN {printf "%.1f", (s - a) * 1000 / r}')
naive=$((2 * DOMAINS))
naive_s=$(awk -v p="$per_req" -v n="$naive" 'BEGIN {printf "%.0f", p * n / 1000}')

section=$(
    cat <<EOF
<!-- bench/cloud-drift.sh: begin -->
## (e) Drift against the cloud (audit --cloud)

Written by \`bench/cloud-drift.sh\` ($(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$top" rev-parse --short HEAD)$(git -C "$top" diff --quiet HEAD -- src include || echo ' + working tree')). A real Keystone, Nova API (nova-api $(dpkg-query -W -f='${Version}' nova-api 2>/dev/null)) and Glance API (glance-api $(dpkg-query -W -f='${Version}' glance-api 2>/dev/null)) on 127.0.0.1, sqlite, started by the script (tests/integration/lib/openstack.sh); $FLAVORS flavors and $IMAGES images created through their APIs; $DOMAINS Nova guests in a test:/// node file, guest *k* on flavor *k* mod $FLAVORS and image *k* mod $IMAGES. $RUNS runs; medians. Load average (1, 5, 15 min) at start / end: $load0 / $load1 on $(nproc) CPUs (the machine is shared: wall times stretch with the load).

| | |
|---|---|
| guests audited | $DOMAINS ($drift drift, $sync in sync, $unknown unknown: a flavor with hw:pmu set and an image with hw_pmu that disagree) |
| distinct flavors / images looked up | $nfl / $nim |
| HTTP requests to Nova and Glance | **$req** (1 flavor list, \`GET /flavors/detail\` at microversion 2.61, + 1 \`GET /v2/images/{id}\` per distinct image) |
| tokens asked of Keystone | $tokens |
| time waiting for Keystone, Nova and Glance | $(awk -v s="$secs" 'BEGIN {printf "%.2f", s}') s: $(awk -v a="$auth" 'BEGIN {printf "%.2f", a}') s for the token, the rest for the $req requests ($per_req ms each) |
| \`vpmu -o json audit --timeout 3600 -c NODE\` wall | $(awk -v m="$mp" 'BEGIN {printf "%.2f", m/1000}') s |
| \`vpmu -o json audit --timeout 3600 --cloud -c NODE\` wall | $(awk -v m="$mc" 'BEGIN {printf "%.2f", m/1000}') s (Keystone, Nova and Glance included) |

The requests grow with the distinct flavors and images, not with the guests: asking Nova and Glance once per guest would be $naive requests, about ${naive_s} s at the latency measured here. The per-request latency is high because every request is validated against Keystone (keystonemiddleware with \`token_cache_time = -1\` in the test services, so that a revoked token is refused at once; a production Nova or Glance caches validations, in memcached), and Keystone, Nova and Glance share the machine's 2 CPUs with the audit. The difference between the two wall-time rows is the cloud's share; the rest is the audit itself, mostly the test driver loading the node file, as in (c).
<!-- bench/cloud-drift.sh: end -->
EOF
)
/usr/bin/python3 - "$out" "$section" <<'EOF'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
pat = re.compile(r"<!-- bench/cloud-drift.sh: begin -->.*?<!-- bench/cloud-drift.sh: end -->", re.S)
text = pat.sub(lambda m: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path + ".tmp", "w").write(text)
import os
os.replace(path + ".tmp", path)
EOF
echo "$section"
