#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# `vpmu -o json decide` must agree with Nova's get_pmu_constraint() on every
# valid combination, using the real oslo_utils bool_from_string (strict), and
# refuse (exit 3 / 4) exactly where the reference does.  The only differences
# allowed are the documented stricter cases (Unicode blanks), which the
# reference checks explicitly.  See tests/nova_pmu_reference.py.
set -eu

srcdir=${VPMU_SRCDIR:-$(dirname "$0")/..}
vpmu=${VPMU_BIN:?VPMU_BIN must point at the vpmu binary}

# Debian's interpreter, where python3-oslo.utils installs.
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if ! "$py" -c 'import oslo_utils.strutils' 2>/dev/null; then
    echo "SKIP: python3-oslo.utils is not installed (apt-get install python3-oslo.utils)" >&2
    exit 77
fi
exec "$py" "$srcdir/tests/nova_pmu_reference.py" --check "$vpmu"
