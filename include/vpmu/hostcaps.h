/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* hostcaps.h: placeholder; the module's owner replaces this with the real API. */
#ifndef VPMU_HOSTCAPS_H
#define VPMU_HOSTCAPS_H
#include "vpmu/common.h"
#endif
