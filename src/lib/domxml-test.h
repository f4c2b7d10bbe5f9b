/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domxml-test.h: a hook for tests/test-domxml.c only; not part of the API.  It
 * exists only in the static test build of the library (libvpmu-testhooks,
 * compiled with -DVPMU_TEST_HOOKS, see src/lib/meson.build), never in the
 * shipped libvpmu.so.
 *
 * vpmu_domxml_test_sabotage_splice: from now on, vpmu_domxml_format of @d
 * puts one copied element one byte off, as a bug in the splice's
 * bookkeeping would.  The self-check must then refuse the splice, and the document be
 * written whole by libxml2.
 */
#ifndef VPMU_DOMXML_TEST_H
#define VPMU_DOMXML_TEST_H

#include "vpmu/domxml.h"

void vpmu_domxml_test_sabotage_splice(vpmu_domxml *d);

#endif
