/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostcaps-test.h: a hook for tests/test-hostcaps.c only; not part of the API
 * (exported so that the test, linked against the shared library, reaches it).
 *
 * vpmu_hostcaps_test_force_walk: while on, every read under the host root
 * resolves its path with the fallback walk instead of openat2(2)
 * RESOLVE_IN_ROOT, so that the walk, which only runs on kernels older than
 * 5.6 (or under a seccomp filter that refuses openat2), is tested here too.
 */
#ifndef VPMU_HOSTCAPS_TEST_H
#define VPMU_HOSTCAPS_TEST_H

#include "vpmu/hostcaps.h"

VPMU_EXPORT void vpmu_hostcaps_test_force_walk(bool on);

#endif
