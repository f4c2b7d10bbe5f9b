/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Umbrella header for libvpmu (core: no libvirt, no libcurl). */
#ifndef VPMU_VPMU_H
#define VPMU_VPMU_H

#include "vpmu/common.h"
#include "vpmu/domxml.h"
#include "vpmu/drift.h"
#include "vpmu/explain.h"
#include "vpmu/hostcaps.h"
#include "vpmu/metadata.h"
#include "vpmu/notify.h"
#include "vpmu/openstack.h"
#include "vpmu/policy.h"

#endif
