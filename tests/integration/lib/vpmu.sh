# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash disable=SC2034 # globals set here are read by the tests
#
# vpmu.sh: run `vpmu boot` against the real daemon and read back what it said.
# Source after libvirtd.sh.  Needs VPMU (the binary).
#
#   it_vpmu_boot NAME [vpmu boot options...]
#       runs: vpmu -c qemu:///system boot --name NAME --no-reboot OPTIONS
#       sets: IT_BOOT_RC (exit status), IT_BOOT_OUT (stdout), IT_BOOT_ERR (stderr),
#             IT_DECISION (pmu: on|off|unset) and IT_SOURCE (source: ...) from
#             the text output.
# --no-reboot makes a reboot or crash end the domain (on_reboot/on_crash
# destroy); a power-off ends it anyway (on_poweroff defaults to destroy).

it_vpmu_boot() {
    local name="$1" errf
    shift
    errf=$(mktemp)
    IT_BOOT_RC=0
    IT_BOOT_OUT=$(timeout 120 "$VPMU" -c "$IT_URI" boot --name "$name" --no-reboot "$@" 2>"$errf") ||
        IT_BOOT_RC=$?
    IT_BOOT_ERR=$(cat "$errf")
    rm -f "$errf"
    IT_DECISION=$(sed -n 's/^pmu: //p' <<<"$IT_BOOT_OUT" | head -n1)
    IT_SOURCE=$(sed -n 's/^source: //p' <<<"$IT_BOOT_OUT" | head -n1)
}

# it_vpmu_check: VPMU names a runnable vpmu with a working `boot` command.
it_vpmu_check() {
    [[ -n "${VPMU:-}" && -x "$VPMU" ]] || it_fail "vpmu binary '${VPMU:-}' is not executable (pass it as \$1 or VPMU_BIN)"
    "$VPMU" boot --help >/dev/null 2>&1 || it_fail "'$VPMU boot --help' fails: boot is not available"
}
