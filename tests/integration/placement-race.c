/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * placement-race URL UUID: prove, against a real Placement, that
 * vpmu_placement_set_provider_trait() survives a stale generation (409).
 *
 * The race is made deterministic: an observer runs between vpmu's GET of the
 * provider's traits and its PUT, and there a second client changes the same
 * provider (adds a trait), which bumps the generation vpmu just read.  vpmu's
 * PUT must then get 409, re-read, and write again, keeping the trait the
 * other writer added.  A second case never stops interfering and checks that
 * vpmu gives up after the configured attempts, with a clear message, having
 * changed nothing of its own.
 *
 * Called by placement.sh, which starts Placement and creates the provider
 * with the traits HW_CPU_X86_AVX2 and CUSTOM_FOO.  Prints TAP; exit 0 or 1.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vpmu/placement.h"

static int failures;
static int n_test;

static void
ok(bool cond, const char *what, const char *detail)
{
    n_test++;
    printf("%s %d - %s%s%s\n", cond ? "ok" : "not ok", n_test, what, detail ? ": " : "",
           detail ? detail : "");
    if (!cond)
        failures++;
}

typedef struct {
    vpmu_placement *other; /* the interfering writer */
    const char *uuid;
    unsigned interfere;  /* how many more READ events to interfere with */
    unsigned interfered; /* how many times it did (this case) */
    unsigned added;      /* traits added so far, for fresh names */
    unsigned conflicts;  /* CONFLICT events seen */
    unsigned long long read_gen[16];
    unsigned n_reads;
    char *last_error;
} race;

static void
observe(vpmu_placement *pl, vpmu_placement_event ev, const char *uuid, unsigned long long gen,
        void *data)
{
    race *r = data;

    (void)pl;
    (void)uuid;
    if (ev == VPMU_PLACEMENT_EVENT_CONFLICT) {
        r->conflicts++;
        return;
    }
    if (ev != VPMU_PLACEMENT_EVENT_READ)
        return;
    if (r->n_reads < 16)
        r->read_gen[r->n_reads] = gen;
    r->n_reads++;
    if (r->interfere == 0)
        return;
    r->interfere--;
    /* Between vpmu's GET and its PUT: another writer changes the provider. */
    char trait[32];
    vpmu_error *err = NULL;
    snprintf(trait, sizeof(trait), "CUSTOM_RACE_%u", r->added + 1);
    if (vpmu_placement_ensure_trait(r->other, trait, NULL, &err) < 0 ||
        vpmu_placement_set_provider_trait(r->other, r->uuid, trait, true, NULL, &err) < 0) {
        free(r->last_error);
        r->last_error = strdup(vpmu_error_get_message(err));
        vpmu_error_free(err);
        return;
    }
    r->interfered++;
    r->added++;
}

static bool
has(char **traits, const char *t)
{
    for (size_t i = 0; traits && traits[i]; i++)
        if (strcmp(traits[i], t) == 0)
            return true;
    return false;
}

int
main(int argc, char **argv)
{
    vpmu_placement *pl, *other;
    vpmu_error *err = NULL;
    vpmu_placement_trait_result res = {0};
    race r = {0};
    char **traits = NULL;
    unsigned long long gen0 = 0, gen = 0;
    char buf[256];
    int rc;

    if (argc != 3) {
        fprintf(stderr, "usage: placement-race URL PROVIDER_UUID\n");
        return 2;
    }
    printf("1..12\n");
    pl = vpmu_placement_new(argv[1], "admin", &err);
    other = vpmu_placement_new(argv[1], "admin", &err);
    if (!pl || !other) {
        printf("Bail out! %s\n", vpmu_error_get_message(err));
        return 1;
    }
    if (vpmu_placement_ensure_trait(pl, VPMU_TRAIT, NULL, &err) < 0 ||
        vpmu_placement_get_provider_traits(pl, argv[2], &traits, &gen0, &err) < 0) {
        printf("Bail out! %s\n", vpmu_error_get_message(err));
        return 1;
    }
    ok(!has(traits, VPMU_TRAIT) && has(traits, "CUSTOM_FOO"),
       "the race provider starts without our trait and with CUSTOM_FOO", NULL);
    vpmu_placement_strv_free(traits);
    traits = NULL;

    /* Case 1: two interfering writes, then vpmu gets through. */
    r.other = other;
    r.uuid = argv[2];
    r.interfere = 2;
    vpmu_placement_set_observer(pl, observe, &r);
    rc = vpmu_placement_set_provider_trait(pl, argv[2], VPMU_TRAIT, true, &res, &err);
    ok(rc == 0, "set the trait while another writer races",
       rc ? vpmu_error_get_message(err) : NULL);
    vpmu_error_free(err);
    err = NULL;
    ok(r.interfered == 2, "the other writer changed the provider twice in vpmu's window",
       r.last_error);
    snprintf(buf, sizeof(buf), "conflicts=%u attempts=%u observer-conflicts=%u", res.conflicts,
             res.attempts, r.conflicts);
    ok(res.conflicts == 2 && res.attempts == 3 && r.conflicts == 2,
       "vpmu got 409 twice and retried (a retry happened)", buf);
    snprintf(buf, sizeof(buf), "reads at generations %llu, %llu, %llu", r.read_gen[0],
             r.read_gen[1], r.read_gen[2]);
    ok(r.n_reads == 3 && r.read_gen[1] == r.read_gen[0] + 1 && r.read_gen[2] == r.read_gen[1] + 1,
       "each re-read saw the generation the other writer made", buf);
    ok(res.changed && res.generation == r.read_gen[2] + 1, "vpmu's PUT made the next generation",
       NULL);

    if (vpmu_placement_get_provider_traits(pl, argv[2], &traits, &gen, &err) < 0) {
        printf("Bail out! %s\n", vpmu_error_get_message(err));
        return 1;
    }
    ok(has(traits, VPMU_TRAIT), "our trait is on the provider", NULL);
    ok(has(traits, "CUSTOM_RACE_1") && has(traits, "CUSTOM_RACE_2"),
       "both traits the other writer added in the race survived", NULL);
    ok(has(traits, "CUSTOM_FOO") && has(traits, "HW_CPU_X86_AVX2"),
       "the provider's earlier traits survived", NULL);
    vpmu_placement_strv_free(traits);
    traits = NULL;

    /* Case 2: a provider that never stops changing; bounded, nothing of ours written. */
    vpmu_placement_set_max_attempts(pl, 3);
    r.interfere = 100;
    r.interfered = 0;
    r.conflicts = 0;
    r.n_reads = 0;
    rc = vpmu_placement_set_provider_trait(pl, argv[2], VPMU_TRAIT, false, &res, &err);
    ok(rc == -1 && err && strstr(vpmu_error_get_message(err), "gave up") &&
               strstr(vpmu_error_get_message(err), "after 3 generation conflicts (HTTP 409)"),
       "vpmu gives up after 3 conflicts in a row", err ? vpmu_error_get_message(err) : "no error");
    vpmu_error_free(err);
    err = NULL;
    ok(r.conflicts == 3 && r.interfered == 4, "exactly 3 PUTs were refused (4 reads interfered)",
       NULL);
    vpmu_placement_set_observer(pl, NULL, NULL);
    if (vpmu_placement_get_provider_traits(pl, argv[2], &traits, &gen, &err) < 0) {
        printf("Bail out! %s\n", vpmu_error_get_message(err));
        return 1;
    }
    ok(has(traits, VPMU_TRAIT) && has(traits, "CUSTOM_RACE_1") && has(traits, "CUSTOM_RACE_6"),
       "after giving up our trait is still there, as are all the other writer's", NULL);
    vpmu_placement_strv_free(traits);
    free(r.last_error);
    vpmu_placement_free(pl);
    vpmu_placement_free(other);
    return failures ? 1 : 0;
}
