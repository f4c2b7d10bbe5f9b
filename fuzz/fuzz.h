/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libFuzzer entry point every fuzz target defines.  The same sources are
 * built twice: with clang -fsanitize=fuzzer (-Dfuzzing=true, fuzz/meson.build)
 * and, linked with replay.c instead of libFuzzer's main(), as plain programs
 * that replay fuzz/regressions/ in the normal test suite (tests/meson.build).
 *
 * A target aborts (FUZZ_ASSERT) when an invariant of the API is broken, so
 * that the fuzzer reports it like a crash.
 */
#ifndef VPMU_FUZZ_H
#define VPMU_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpmu/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Hand an error over (to check_error() and the like), leaving NULL behind. */
#define TAKE_ERR(e)                                                                                \
    __extension__({                                                                                \
        __typeof__(e) t_ = (e);                                                                    \
        (e) = NULL;                                                                                \
        t_;                                                                                        \
    })

/* Every error's invariants (a documented code, a one-line, non-empty message); frees @err. */
static inline void
fuzz_check_error(vpmu_error *err)
{
    const char *msg;
    int code;

    FUZZ_ASSERT(err);
    code = (int)vpmu_error_get_code(err);
    FUZZ_ASSERT(code >= VPMU_ERR_RUNTIME && code <= VPMU_ERR_CONFLICT);
    msg = vpmu_error_get_message(err);
    FUZZ_ASSERT(msg && *msg);
    FUZZ_ASSERT(!strchr(msg, '\n'));
    vpmu_error_free(err);
}

#endif
