/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Shared between cloudconfig.c and keystone.c; not exported. */
#ifndef VPMU_CLOUD_INTERNAL_H
#define VPMU_CLOUD_INTERNAL_H

#include "vpmu/cloud.h"

/* A deep copy (secrets included). */
vpmu_cloud_config *cloud_config_copy(const vpmu_cloud_config *cfg);

#endif
