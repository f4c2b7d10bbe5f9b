/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* audit.h: placeholder; the module's owner replaces this with the real API. */
#ifndef VPMU_AUDIT_H
#define VPMU_AUDIT_H
#include "vpmu/common.h"
#endif
