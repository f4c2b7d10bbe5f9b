/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Scoped-cleanup functions for libvpmu's own public types, declared once
 * for the library, the CLI and the tests: _cleanup_(vpmu_domxml_freep) etc.
 * (Types of foreign libraries keep their cleanup next to their one adapter.)
 */
#ifndef VPMU_CLEANUP_H
#define VPMU_CLEANUP_H

#include "util.h"
#include "vpmu/domxml.h"
#include "vpmu/explain.h"
#include "vpmu/hostcaps.h"
#include "vpmu/metadata.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_domxml *, vpmu_domxml_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_explanation *, vpmu_explanation_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_hostcaps *, vpmu_hostcaps_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_flavor *, vpmu_flavor_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_image *, vpmu_image_free)

#endif /* VPMU_CLEANUP_H */
