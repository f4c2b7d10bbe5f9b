/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vpmu - tenant and operator control of the QEMU/KVM virtual PMU.
 *
 * common.h: export macro and the error contract shared by every module.
 *
 * Error contract (see docs/architecture.md):
 *  - a fallible function returns -1 (or NULL) and takes `vpmu_error **error`
 *    as its last parameter; `error` may be NULL when the caller does not care;
 *  - on success *error is left untouched; on failure it is set exactly once;
 *  - the library never prints and never exits.
 */
#ifndef VPMU_COMMON_H
#define VPMU_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VPMU_BUILDING_LIBRARY)
#define VPMU_EXPORT __attribute__((visibility("default")))
#else
#define VPMU_EXPORT
#endif

/*
 * Error classes.  Each maps one-to-one onto the CLI's exit status, so a caller
 * that only forwards the error still exits with the documented code.
 */
typedef enum {
    VPMU_ERR_RUNTIME = 1,  /* I/O, libvirt, HTTP, AMQP */
    VPMU_ERR_USAGE = 2,    /* the caller asked for something impossible */
    VPMU_ERR_INVALID = 3,  /* malformed JSON/XML, bad hw:pmu / hw_pmu value */
    VPMU_ERR_CONFLICT = 4, /* flavor hw:pmu and image hw_pmu disagree */
} vpmu_error_code;

/* Opaque error object.  Owned by whoever received it; free with vpmu_error_free(). */
typedef struct vpmu_error vpmu_error;

VPMU_EXPORT vpmu_error_code vpmu_error_get_code(const vpmu_error *error);
/* The message, one phrase, without a trailing newline.  Borrowed from @error. */
VPMU_EXPORT const char *vpmu_error_get_message(const vpmu_error *error);
/* Accepts NULL. */
VPMU_EXPORT void vpmu_error_free(vpmu_error *error);

/*
 * Set *error (when error != NULL and *error == NULL) to a new error.  A second
 * call on an already set error keeps the first one: errors are set once.
 */
VPMU_EXPORT void vpmu_error_set(vpmu_error **error, vpmu_error_code code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
VPMU_EXPORT void vpmu_error_setv(vpmu_error **error, vpmu_error_code code, const char *fmt,
                                 va_list ap) __attribute__((format(printf, 3, 0)));
/*
 * Add context in front of an existing message: "CONTEXT: old message".  The
 * code is kept.  No-op when error or *error is NULL.
 */
VPMU_EXPORT void vpmu_error_prefix(vpmu_error **error, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/*
 * The Placement trait of a host that can give guests a vPMU, defined here
 * once for the host probe (hostcaps.h), Placement (placement.h) and
 * scheduling.  os-traits defines no PMU trait, and Placement accepts only
 * CUSTOM_[A-Z0-9_]+ for others (docs/facts.md, "Placement"), hence CUSTOM_.
 */
#define VPMU_TRAIT "CUSTOM_COMPUTE_VPMU"

/* Library version as "MAJOR.MINOR.MICRO". */
VPMU_EXPORT const char *vpmu_version(void);

#ifdef __cplusplus
}
#endif
#endif /* VPMU_COMMON_H */
