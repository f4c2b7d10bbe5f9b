# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034 # globals set here are read by the tests
#
# libvirtd.sh: a real libvirtd + QEMU for the real-guest tests.  Source it:
#
#   . "$VPMU_SRCDIR/tests/integration/lib/libvirtd.sh"
#   it_libvirtd_up                  # installs, creates accounts, starts daemons, waits
#   it_guest_track vpmu-it-x86-on   # before creating a guest: remove stale, destroy at exit
#   it_domain_xml NAME >FILE        # a small guest's XML to define
#   it_check DESCRIPTION STATUS     # one TAP line; it_tap_end prints the plan last
#   ...
#
# What it does (docs/facts.md §2, the steps that work on a bare Debian 12 host):
#   - installs libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
#     qemu-system-x86 qemu-system-arm when one is missing (apt-get install -y);
#   - creates the 'kvm' group and the 'libvirt-qemu' user when missing;
#   - mkdir -p /var/log/libvirt; starts virtlogd -d and libvirtd -d, each only
#     when it is not already running, and records the PIDs it started;
#   - waits (bounded) until `virsh -c qemu:///system version` answers.
# On exit (an EXIT trap it installs) it destroys and undefines the guests
# that were tracked, then stops only the daemons it started, by PID.
#
# When the hypervisor cannot be had, the calling test fails (exit 1) with
# the reason on stderr: a libvirtd that cannot start on CI is a failure, not
# a skip, and never a silent pass.

IT_URI="qemu:///system"
IT_PREFIX="${IT_PREFIX:-vpmu-it-}"
IT_PACKAGES=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 qemu-system-arm)
IT_WAIT_SECONDS="${IT_WAIT_SECONDS:-30}"

IT_STARTED_PIDS=()   # daemons this script started, "name:pid"
IT_GUESTS=()         # guest names to destroy + undefine at exit
IT_CLEANUPS=()       # extra commands to run at exit (eval'd), e.g. rm -rf of a work dir

it_log() { printf '%s: %s\n' "${IT_NAME:-integration}" "$*" >&2; }
# it_unavailable REASON: what the test needs cannot be had here: fail.
it_unavailable() {
    printf '%s: FAIL: cannot run: %s\n' "${IT_NAME:-integration}" "$*" >&2
    exit 1
}
# Older name of it_unavailable, kept for scripts that still call it: it
# fails too (it used to exit 77, a skip that a run counted as not failed).
it_skip() { it_unavailable "$@"; }
it_fail() {
    printf '%s: FAIL: %s\n' "${IT_NAME:-integration}" "$*" >&2
    exit 1
}
it_now_ms() { date +%s%3N; }

# True when dpkg says the package is installed.
it_pkg_installed() {
    [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

# it_pkg_ensure PKG...: apt-get install -y the missing ones; fail when that fails.
it_pkg_ensure() {
    local missing=() p
    for p in "$@"; do
        it_pkg_installed "$p" || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    [[ $(id -u) -eq 0 ]] || it_unavailable "packages missing (${missing[*]}) and not root to install them"
    it_log "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2 ||
        it_unavailable "apt-get install ${missing[*]} failed"
}

# The QEMU driver runs guests as libvirt-qemu; Debian's libvirt-daemon-system
# creates these accounts, the bare packages do not.
it_accounts_ensure() {
    if ! getent group kvm >/dev/null; then
        it_log "creating group 'kvm'"
        groupadd --system kvm || it_unavailable "cannot create group 'kvm'"
    fi
    # Debian's QEMU driver is built with user and group 'libvirt-qemu': without
    # the group, libvirtd fails "Failed to parse group 'libvirt-qemu'".
    if ! getent group libvirt-qemu >/dev/null; then
        it_log "creating group 'libvirt-qemu'"
        groupadd --system libvirt-qemu || it_unavailable "cannot create group 'libvirt-qemu'"
    fi
    if ! getent passwd libvirt-qemu >/dev/null; then
        it_log "creating user 'libvirt-qemu'"
        useradd --system --gid libvirt-qemu --groups kvm --no-create-home \
            --home-dir /var/lib/libvirt --shell /usr/sbin/nologin libvirt-qemu ||
            it_unavailable "cannot create user 'libvirt-qemu'"
    fi
}

# it_pid_alive PID COMM: PID is running and is COMM (guards against PID reuse).
it_pid_alive() {
    [[ -n "$1" && -r "/proc/$1/comm" && "$(cat "/proc/$1/comm" 2>/dev/null)" == "$2" ]]
}

# it_daemon_running NAME: the daemon's pid file names a live process of that name.
it_daemon_running() {
    local pidfile="/run/$1.pid" pid
    [[ -r "$pidfile" ]] || return 1
    pid=$(cat "$pidfile" 2>/dev/null)
    it_pid_alive "$pid" "$1"
}

# it_daemon_start NAME: start /usr/sbin/NAME -d unless running; record its PID.
it_daemon_start() {
    local name="$1" pidfile="/run/$1.pid" pid i
    if it_daemon_running "$name"; then
        it_log "$name already running (pid $(cat "$pidfile")); leaving it alone"
        return 0
    fi
    [[ -x "/usr/sbin/$name" ]] || it_unavailable "/usr/sbin/$name is missing"
    rm -f "$pidfile"
    # Not with the tests' LIBVIRT_DEFAULT_URI (test:///default): the daemon would
    # resolve a client's default connection (virConnectOpen(NULL)) to the test
    # driver with it, for every client of this machine while it runs.
    env -u LIBVIRT_DEFAULT_URI "/usr/sbin/$name" -d -p "$pidfile" ||
        it_unavailable "'/usr/sbin/$name -d' failed to start"
    for ((i = 0; i < 50; i++)); do
        pid=$(cat "$pidfile" 2>/dev/null || true)
        if it_pid_alive "$pid" "$name"; then
            IT_STARTED_PIDS+=("$name:$pid")
            it_log "started $name (pid $pid)"
            return 0
        fi
        sleep 0.1
    done
    it_unavailable "$name did not come up (no live pid in $pidfile)"
}

# it_daemon_stop NAME PID: SIGTERM, wait up to 10 s, then SIGKILL.
it_daemon_stop() {
    local name="$1" pid="$2" i
    it_pid_alive "$pid" "$name" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        it_pid_alive "$pid" "$name" || {
            it_log "stopped $name (pid $pid)"
            return 0
        }
        sleep 0.1
    done
    it_log "$name (pid $pid) ignored SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
}

it_virsh() { virsh -q -c "$IT_URI" "$@"; }

# it_guest_remove NAME: destroy (if running) and undefine, ignoring absence.
it_guest_remove() {
    it_virsh domstate "$1" >/dev/null 2>&1 || return 0
    it_virsh destroy "$1" >/dev/null 2>&1 || true
    it_virsh undefine --nvram "$1" >/dev/null 2>&1 || it_virsh undefine "$1" >/dev/null 2>&1 || true
}

# it_guest_track NAME: NAME must carry $IT_PREFIX; a stale one from an earlier
# run is removed now, and this one is removed at exit.
it_guest_track() {
    [[ "$1" == "$IT_PREFIX"* ]] || it_fail "guest name '$1' lacks the prefix '$IT_PREFIX'"
    it_guest_remove "$1"
    IT_GUESTS+=("$1")
}

# it_domain_xml NAME [ELEMENT...]: on stdout, the XML of a small x86_64 q35
# guest of type qemu with <pmu state='off'/>; each ELEMENT (a <cpu>, say) goes
# on a line of its own after <features>.
it_domain_xml() {
    local name="$1" el
    shift
    printf '%s\n' "<domain type='qemu'>" "  <name>$name</name>" "  <memory unit='MiB'>128</memory>" \
        "  <vcpu>1</vcpu>" "  <os><type arch='x86_64' machine='q35'>hvm</type></os>" \
        "  <features><acpi/><pmu state='off'/></features>"
    for el in "$@"; do
        printf '  %s\n' "$el"
    done
    printf '%s\n' "  <on_poweroff>destroy</on_poweroff>" "</domain>"
}

# TAP with the plan printed last (meson reads it there, and each "# SKIP"):
#   it_check DESCRIPTION STATUS [DETAIL]: "ok - DESCRIPTION" when STATUS is 0,
#       else "not ok - DESCRIPTION: DETAIL" (DETAIL folded onto the line);
#   it_check_skip DESCRIPTION REASON: "ok - DESCRIPTION # SKIP REASON";
#   it_tap_end: the plan; returns 1 when a check failed.
IT_TESTS=0
IT_FAILURES=0
it_check() {
    IT_TESTS=$((IT_TESTS + 1))
    if [[ $2 -eq 0 ]]; then
        echo "ok - $1"
    else
        echo "not ok - $1${3:+: $(printf '%s' "$3" | tr '\n' ' ')}"
        IT_FAILURES=$((IT_FAILURES + 1))
    fi
}
it_check_skip() {
    IT_TESTS=$((IT_TESTS + 1))
    echo "ok - $1 # SKIP $2"
}
it_tap_end() {
    echo "1..$IT_TESTS"
    if ((IT_FAILURES)); then
        it_log "$IT_FAILURES check(s) failed"
        return 1
    fi
}

it_cleanup() {
    local rc=$? g entry i
    trap - EXIT INT TERM
    for g in "${IT_GUESTS[@]}"; do
        it_guest_remove "$g"
    done
    for entry in "${IT_CLEANUPS[@]}"; do
        eval "$entry" || true
    done
    # Stop in reverse order: libvirtd before virtlogd.
    for ((i = ${#IT_STARTED_PIDS[@]} - 1; i >= 0; i--)); do
        entry="${IT_STARTED_PIDS[i]}"
        it_daemon_stop "${entry%%:*}" "${entry##*:}"
    done
    exit "$rc"
}

it_libvirtd_up() {
    local t0 i
    t0=$(it_now_ms)
    trap it_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    command -v dpkg-query >/dev/null || it_unavailable "not a Debian host (no dpkg-query)"
    it_pkg_ensure "${IT_PACKAGES[@]}"
    [[ $(id -u) -eq 0 ]] || {
        it_virsh version >/dev/null 2>&1 ||
            it_unavailable "not root and $IT_URI does not answer; cannot start libvirtd"
        it_log "not root; using the running $IT_URI"
        return 0
    }
    it_accounts_ensure
    mkdir -p /var/log/libvirt /var/log/libvirt/qemu
    it_daemon_start virtlogd
    it_daemon_start libvirtd
    for ((i = 0; i < IT_WAIT_SECONDS * 5; i++)); do
        if it_virsh version >/dev/null 2>&1; then
            it_log "$IT_URI answers ($(($(it_now_ms) - t0)) ms to get here)"
            return 0
        fi
        sleep 0.2
    done
    it_unavailable "$IT_URI did not answer within ${IT_WAIT_SECONDS}s: $(it_virsh version 2>&1 | tail -n1)"
}

# it_domstate NAME: the state word ("running", "shut off", ...), or "absent".
it_domstate() {
    it_virsh domstate "$1" 2>/dev/null || echo absent
}

# it_wait_shutoff NAME SECONDS: wait until the guest is no longer running.
it_wait_shutoff() {
    local i st
    for ((i = 0; i < $2 * 5; i++)); do
        st=$(it_domstate "$1")
        [[ "$st" == running || "$st" == paused || "$st" == "in shutdown" ]] || return 0
        sleep 0.2
    done
    return 1
}

# it_qemu_pid NAME: PID of the running guest's QEMU (libvirt's pid file).
it_qemu_pid() {
    local pid
    pid=$(cat "/run/libvirt/qemu/$1.pid" 2>/dev/null) || return 1
    [[ -r "/proc/$pid/cmdline" ]] || return 1
    printf '%s\n' "$pid"
}

# it_qemu_cpu NAME: set IT_CPU to the value of -cpu that QEMU received (empty
# when it got no -cpu) and IT_CPU_SOURCE to where it was read.  Read from the
# running process's /proc/PID/cmdline; when the guest has already ended, from
# the last start-up block of libvirt's domain log, which lists one argument
# (with its value) per line.  Returns 1 when neither is there.
it_qemu_cpu() {
    local pid args=() i log="/var/log/libvirt/qemu/$1.log"
    IT_CPU="" IT_CPU_SOURCE=""
    if pid=$(it_qemu_pid "$1"); then
        IT_CPU_SOURCE="/proc/$pid/cmdline"
        mapfile -d '' args <"/proc/$pid/cmdline"
        for ((i = 0; i < ${#args[@]} - 1; i++)); do
            [[ "${args[i]}" == -cpu ]] && IT_CPU="${args[i + 1]}"
        done
        return 0
    fi
    [[ -r "$log" ]] || return 1
    IT_CPU_SOURCE="$log"
    IT_CPU=$(awk '/: starting up libvirt/ { cpu = ""; seen = 1; next }
                  seen && /^-cpu / { cpu = $2 }
                  END { print cpu }' "$log")
}

# it_cpu_pmu CPUARG: "on", "off" or "absent", from the pmu= property of -cpu.
it_cpu_pmu() {
    local IFS=, prop state=absent
    for prop in $1; do
        case "$prop" in
        pmu=on) state=on ;;
        pmu=off) state=off ;;
        pmu=*) state="other:${prop#pmu=}" ;;
        esac
    done
    printf '%s\n' "$state"
}

# it_freeze_proxy SOCKET DIR: start freeze-proxy.py before the libvirt UNIX
# socket SOCKET (it freezes at the first XML request; see there), stopped at
# exit.  Sets IT_FROZEN_URI (qemu+tcp:// to it) and IT_FREEZE_PID; its port
# and errors go to files in DIR.
it_freeze_proxy() {
    local sock=$1 dir=$2 i
    python3 -u "$(dirname "${BASH_SOURCE[0]}")/../freeze-proxy.py" "$sock" >"$dir/freeze.port" 2>"$dir/freeze.err" &
    IT_FREEZE_PID=$!
    IT_CLEANUPS+=("kill $IT_FREEZE_PID 2>/dev/null")
    for ((i = 0; i < 50; i++)); do [[ -s "$dir/freeze.port" ]] && break; sleep 0.1; done
    [[ -s "$dir/freeze.port" ]] || it_fail "freeze-proxy.py did not start: $(cat "$dir/freeze.err")"
    IT_FROZEN_URI="qemu+tcp://127.0.0.1:$(head -n 1 "$dir/freeze.port")/system"
}
