/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * domxml-test.h: a hook for tests/test-domxml.c only; not part of the API
 * (exported so that the test, linked against the shared library, reaches it).
 *
 * vpmu_domxml_test_sabotage_splice: from now on, vpmu_domxml_format of @d
 * puts one copied element one byte off, as a bug in the splice's
 * bookkeeping would.  The self-check must then refuse the splice, and the document be
 * written whole by libxml2.
 */
#ifndef VPMU_DOMXML_TEST_H
#define VPMU_DOMXML_TEST_H

#include "vpmu/domxml.h"

VPMU_EXPORT void vpmu_domxml_test_sabotage_splice(vpmu_domxml *d);

#endif
