/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* notify.h: placeholder; the module's owner replaces this with the real API. */
#ifndef VPMU_NOTIFY_H
#define VPMU_NOTIFY_H
#include "vpmu/common.h"
#endif
