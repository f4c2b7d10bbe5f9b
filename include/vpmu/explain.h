/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* explain.h: placeholder; the module's owner replaces this with the real API. */
#ifndef VPMU_EXPLAIN_H
#define VPMU_EXPLAIN_H
#include "vpmu/common.h"
#endif
