/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostcaps-test.h: a hook for tests/test-hostcaps.c only; not part of the API.  It
 * exists only in the static test build of the library (libvpmu-testhooks,
 * compiled with -DVPMU_TEST_HOOKS, see src/lib/meson.build), never in the
 * shipped libvpmu.so.
 *
 * vpmu_hostcaps_test_force_walk: while on, every read under the host root
 * resolves its path with the fallback walk instead of openat2(2)
 * RESOLVE_IN_ROOT, so that the walk, which only runs on kernels older than
 * 5.6 (or under a seccomp filter that refuses openat2), is tested here too.
 */
#ifndef VPMU_HOSTCAPS_TEST_H
#define VPMU_HOSTCAPS_TEST_H

#include "vpmu/hostcaps.h"

void vpmu_hostcaps_test_force_walk(bool on);

#endif
