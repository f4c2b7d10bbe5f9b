/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dlopen() libvpmu-virt on first use; see virtload.h for why. */
#include "config.h"

#include <dlfcn.h>

#include "cli.h"
#include "virtload.h"

#define VPMU_VIRT_DEFINE_PTR(sym) __typeof__(sym) *cli_virt_##sym;
VPMU_VIRT_SYMBOLS(VPMU_VIRT_DEFINE_PTR)
#undef VPMU_VIRT_DEFINE_PTR

int
cli_virt_load(vpmu_error **error)
{
    static void *handle;
    const char *missing = NULL;

    if (handle)
        return 0;
    /*
     * Found through this executable's RUNPATH (the build tree, or the install
     * libdir), then the usual ld.so search.  $VPMU_VIRT_LIBRARY overrides it.
     */
    const char *name = getenv("VPMU_VIRT_LIBRARY");
    void *h = dlopen(name && *name ? name : VPMU_VIRT_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME, "cannot load the libvirt adapter: %s", dlerror());
        return -1;
    }
#define VPMU_VIRT_RESOLVE(sym)                                                                     \
    if (!missing) {                                                                                \
        *(void **)&cli_virt_##sym = dlsym(h, #sym);                                                \
        if (!cli_virt_##sym)                                                                       \
            missing = #sym;                                                                        \
    }
    VPMU_VIRT_SYMBOLS(VPMU_VIRT_RESOLVE)
#undef VPMU_VIRT_RESOLVE
    if (missing) {
        vpmu_error_set(error, VPMU_ERR_RUNTIME,
                       "the libvirt adapter '%s' lacks '%s'; is it from another vpmu version?",
                       VPMU_VIRT_SONAME, missing);
        dlclose(h);
        return -1;
    }
    handle = h;
    /* The process-wide set-up (libvirt's error printing, virInitialize), once and
     * before any thread: documented at vpmu_virt_init() in vpmu/virt.h. */
    return VIRT(vpmu_virt_init)(0, error);
}

void
cli_virt_event_loop(const cli_global *g)
{
    vpmu_error *err = NULL;

    if (VIRT(vpmu_virt_init)(VPMU_VIRT_INIT_EVENT_LOOP, &err) < 0) {
        cli_warn(g, "%s; connections get no keepalive", vpmu_error_get_message(err));
        vpmu_error_free(err);
    }
}

int
cli_virt_connect(const cli_global *g, vpmu_conn **conn, vpmu_error **error)
{
    if (*conn)
        return 0;
    if (cli_virt_load(error) < 0)
        return -1;
    cli_virt_event_loop(g);
    *conn = VIRT(vpmu_conn_open_bounded)(cli_uri(g), 0, g->timeout, error);
    return *conn ? 0 : -1;
}
