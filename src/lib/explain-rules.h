/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * explain-rules.h: explain.c's rule table, for tests/test-explain.c only;
 * not part of the API and not exported: the test links the static test build
 * of the library (libvpmu-testhooks, src/lib/meson.build).
 *
 * vpmu_explain_rules: every rule name vpmu_explain() can give, in table
 * order; *@n is set to their number.  The array is static (do not free).
 */
#ifndef VPMU_EXPLAIN_RULES_H
#define VPMU_EXPLAIN_RULES_H

#include <stddef.h>

#include "vpmu/common.h"

const char *const *vpmu_explain_rules(size_t *n);

#endif
