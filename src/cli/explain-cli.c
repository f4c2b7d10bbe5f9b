/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The effective vPMU for the CLI: printing an explanation, and the check
 * `boot` runs so that a guest that will not get what was decided is said so
 * (docs/host-and-explain.md "The rules"; rules in explain.c).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "virtload.h"
#include "vpmu/explain.h"
#include "vpmu/hostcaps.h"

bool
cli_uri_is_remote(const char *uri)
{
    return uri_has_host(uri); /* util.c: the one test, which audit uses too */
}

json_t *
cli_explanation_json(const vpmu_explanation *ex)
{
    const char *const *r = vpmu_explanation_get_reasons(ex, NULL);
    const char *element = vpmu_explanation_get_element(ex);
    json_t *reasons = json_array();

    for (; *r; r++)
        json_array_append_new(reasons, cli_json_string(*r));
    json_t *kind_reasons = json_array();

    for (r = vpmu_explanation_get_kind_reasons(ex, NULL); *r; r++)
        json_array_append_new(kind_reasons, cli_json_string(*r));
    return json_pack("{s:s, s:b, s:s, s:o, s:o, s:s, s:o}", "effective",
                     vpmu_effective_to_string(vpmu_explanation_get_state(ex)), "honours_decision",
                     vpmu_explanation_honours_decision(ex), "rule", vpmu_explanation_get_rule(ex),
                     "element", element ? json_string(element) : json_null(), "reasons", reasons,
                     "kind", vpmu_kind_to_string(vpmu_explanation_get_kind(ex)), "kind_reasons",
                     kind_reasons);
}

void
cli_explanation_print_text(const vpmu_explanation *ex, FILE *out)
{
    const char *element = vpmu_explanation_get_element(ex);
    const char *const *r = vpmu_explanation_get_reasons(ex, NULL);

    if (element)
        fprintf(out, "libvirt: %s\n", element);
    else
        fprintf(out, "libvirt: no <pmu> element\n");
    fprintf(out, "effective: %s\n", vpmu_effective_to_string(vpmu_explanation_get_state(ex)));
    fprintf(out, "rule: %s\n", vpmu_explanation_get_rule(ex));
    /* Reasons name the CPU model, arch and virt type as given: quoted. */
    for (; *r; r++)
        fprintf(out, "reason: %s\n", cli_e(*r));
    fprintf(out, "vpmu kind: %s\n", vpmu_kind_to_string(vpmu_explanation_get_kind(ex)));
    for (r = vpmu_explanation_get_kind_reasons(ex, NULL); *r; r++)
        fprintf(out, "kind: %s\n", cli_e(*r));
    if (!vpmu_explanation_honours_decision(ex))
        fprintf(out, "warning: the guest will not get what was decided\n");
}

int
cli_explain_guest(const cli_global *g, vpmu_conn *conn, const vpmu_guest_spec *spec,
                  vpmu_explanation **out)
{
    vpmu_hostcaps *host = NULL;
    vpmu_explanation *ex;
    vpmu_explain_input in = {
            .decision = spec->pmu,
            .arch = spec->arch,
            .virt_type = spec->virt_type,
            .cpu_mode = spec->cpu_mode,
            .cpu_model = spec->cpu_model,
    };
    int warned = 0;

    if (conn) {
        const char *driver = VIRT(vpmu_conn_get_driver)(conn);
        bool qemu = driver && STREQ(driver, "QEMU");
        unsigned long hv = 0;

        /*
         * Guests of a local QEMU driver run on this host; those of a remote
         * one, or of the test driver, do not: their host is unknown.
         */
        if (qemu && !cli_uri_is_remote(VIRT(vpmu_conn_get_uri)(conn)))
            host = vpmu_hostcaps_probe("/", NULL);
        if (qemu && VIRT(vpmu_conn_get_versions)(conn, NULL, &hv, NULL) == 0)
            in.qemu_version = hv;
    } else {
        host = vpmu_hostcaps_probe("/", NULL);
    }
    in.host = host;
    ex = vpmu_explain(&in);
    if (!vpmu_explanation_honours_decision(ex)) {
        _cleanup_free_ char *joined = NULL;
        const char *const *r = vpmu_explanation_get_reasons(ex, NULL);
        size_t len = 0, used = 0;

        for (const char *const *p = r; *p; p++)
            len += strlen(*p) + 2;
        joined = xmalloc(len + 1);
        for (const char *const *p = r; *p; p++) {
            size_t n = strlen(*p);
            if (p != r) {
                memcpy(joined + used, "; ", 2);
                used += 2;
            }
            memcpy(joined + used, *p, n);
            used += n;
        }
        joined[used] = '\0';
        cli_warn(g, "decided pmu %s, but the guest will get: %s (%s): %s",
                 vpmu_pmu_to_string(spec->pmu),
                 vpmu_effective_to_string(vpmu_explanation_get_state(ex)),
                 vpmu_explanation_get_rule(ex), joined);
        warned = 1;
    }
    vpmu_hostcaps_free(host);
    if (out)
        *out = ex;
    else
        vpmu_explanation_free(ex);
    return warned;
}
