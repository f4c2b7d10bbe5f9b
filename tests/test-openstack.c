/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Nova flavor lists, Glance image lists, lookup by name
 * (src/lib/openstack.c), and drift (src/lib/drift.c).
 *
 * The inputs under tests/data/openstack/ are answers of the real Nova API
 * (nova-api 26, microversion 2.61) and Glance API (glance-api 25) on this
 * machine, captured through tests/integration/lib/openstack.sh; nothing in
 * them was written by hand except where a test says so.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cleanup.h"
#include "util.h"
#include "vpmu/drift.h"
#include "vpmu/openstack.h"

#define DATA VPMU_TESTDATA "/openstack/"

#define assert_contains(haystack, needle)                                                          \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (!h_ || !strstr(h_, n_))                                                                \
            fail_msg("expected '%s' in '%s'", n_, h_ ? h_ : "(null)");                             \
    } while (0)

DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_flavor_list *, vpmu_flavor_list_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(vpmu_image_list *, vpmu_image_list_free)

static char *
slurp(const char *name, size_t *len)
{
    _cleanup_free_ char *path = xasprintf("%s%s", DATA, name);
    vpmu_error *err = NULL;
    char *buf = NULL;

    if (vpmu_read_file(path, 1u << 20, &buf, len, &err) < 0)
        fail_msg("%s", vpmu_error_get_message(err));
    return buf;
}

static void
test_flavor_list(void **state)
{
    (void)state;
    _cleanup_(vpmu_flavor_list_freep) vpmu_flavor_list *l = vpmu_flavor_list_new();
    _cleanup_free_ char *buf = NULL, *next = NULL;
    _cleanup_error_ vpmu_error *err = NULL;
    const vpmu_flavor *f;
    size_t len;
    long i;

    buf = slurp("nova-flavors-detail.json", &len);
    assert_int_equal(vpmu_flavor_list_add_page(l, buf, len, "GET /flavors/detail", &next, &err), 0);
    assert_null(next);
    assert_int_equal(vpmu_flavor_list_count(l), 3);
    i = vpmu_flavor_list_find(l, "vran.du.large", &err);
    assert_true(i >= 0);
    f = vpmu_flavor_list_at(l, (size_t)i);
    assert_string_equal(vpmu_flavor_get_id(f), "4c31eeaf-26f6-4d3e-9285-b3c487b2da62");
    assert_string_equal(vpmu_flavor_get_spec(f, "hw:pmu"), "false");
    assert_int_equal(vpmu_flavor_get_ram_mib(f), 512);
    assert_null(vpmu_flavor_list_at(l, 3));

    /* Not found: exit 1, the name quoted. */
    assert_int_equal(vpmu_flavor_list_find(l, "m1.tiny", &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_RUNTIME);
    assert_string_equal(vpmu_error_get_message(err), "flavor 'm1.tiny' not found");
}

static void
test_flavor_list_pages(void **state)
{
    (void)state;
    _cleanup_(vpmu_flavor_list_freep) vpmu_flavor_list *l = vpmu_flavor_list_new();
    _cleanup_free_ char *buf = NULL, *next = NULL;
    _cleanup_error_ vpmu_error *err = NULL;
    size_t len;

    buf = slurp("nova-flavors-detail-page1.json", &len);
    assert_int_equal(vpmu_flavor_list_add_page(l, buf, len, "page 1", &next, &err), 0);
    assert_int_equal(vpmu_flavor_list_count(l), 2);
    assert_string_equal(next, "http://127.0.0.1:18774/v2.1/flavors/detail?is_public=None&limit=2"
                              "&marker=3db6ee39-0a36-4fbc-a84b-5f99341f2582");
}

static void
test_flavor_names_unique_in_nova_but_not_trusted(void **state)
{
    (void)state;
    /*
     * Nova refuses a second flavor of the same name (409), so this list is
     * written by hand: a list from elsewhere (or a future Nova) must still
     * not be resolved by picking one.
     */
    static const char two[] =
            "{\"flavors\": [{\"id\": \"a1\", \"name\": \"x\", \"extra_specs\": {}},"
            " {\"id\": \"b2\", \"name\": \"x\", \"extra_specs\": {\"hw:pmu\": \"true\"}}]}";
    _cleanup_(vpmu_flavor_list_freep) vpmu_flavor_list *l = vpmu_flavor_list_new();
    _cleanup_error_ vpmu_error *err = NULL;

    assert_int_equal(vpmu_flavor_list_add_page(l, two, strlen(two), "s", NULL, &err), 0);
    assert_int_equal(vpmu_flavor_list_find(l, "x", &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    assert_string_equal(vpmu_error_get_message(err),
                        "flavor name 'x' is ambiguous: ids 'a1', 'b2'; give the id");
}

static void
test_image_list_ambiguous(void **state)
{
    (void)state;
    _cleanup_(vpmu_image_list_freep) vpmu_image_list *l = vpmu_image_list_new();
    _cleanup_free_ char *buf = NULL, *next = NULL;
    _cleanup_error_ vpmu_error *err = NULL;
    size_t len;

    buf = slurp("glance-images-dup.json", &len);
    assert_int_equal(vpmu_image_list_add_page(l, buf, len, "GET /v2/images", &next, &err), 0);
    assert_null(next);
    assert_int_equal(vpmu_image_list_count(l), 2);
    assert_int_equal(vpmu_image_list_find(l, "dup-image", &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    assert_contains(vpmu_error_get_message(err), "image name 'dup-image' is ambiguous: ids '");
    assert_contains(vpmu_error_get_message(err), vpmu_image_get_id(vpmu_image_list_at(l, 0)));
    assert_contains(vpmu_error_get_message(err), vpmu_image_get_id(vpmu_image_list_at(l, 1)));
}

static void
test_image_list_pages_and_steal(void **state)
{
    (void)state;
    _cleanup_(vpmu_image_list_freep) vpmu_image_list *l = vpmu_image_list_new();
    _cleanup_(vpmu_image_freep) vpmu_image *img = NULL;
    _cleanup_free_ char *buf = NULL, *next = NULL;
    _cleanup_error_ vpmu_error *err = NULL;
    size_t len;

    buf = slurp("glance-images-page1.json", &len);
    assert_int_equal(vpmu_image_list_add_page(l, buf, len, "p", &next, &err), 0);
    assert_string_equal(next, "/v2/images?limit=1&marker=9ab52ac0-1006-4b6b-a6a9-f852c099dbd9");
    assert_int_equal(vpmu_image_list_count(l), 1);
    img = vpmu_image_list_steal(l, 0);
    assert_non_null(img);
    assert_int_equal(vpmu_image_list_count(l), 0);
    assert_null(vpmu_image_list_steal(l, 0));
}

/* A list element is read exactly as the same document in a file is. */
static void
test_list_element_same_as_show(void **state)
{
    (void)state;
    _cleanup_(vpmu_flavor_list_freep) vpmu_flavor_list *l = vpmu_flavor_list_new();
    _cleanup_(vpmu_flavor_freep) vpmu_flavor *shown = NULL;
    _cleanup_free_ char *a = NULL, *b = NULL;
    _cleanup_error_ vpmu_error *err = NULL;
    const vpmu_flavor *listed;
    size_t la, lb;

    a = slurp("nova-flavor-show.json", &la);
    b = slurp("nova-flavors-detail.json", &lb);
    shown = vpmu_flavor_parse(a, la, "show", &err);
    assert_non_null(shown);
    assert_int_equal(vpmu_flavor_list_add_page(l, b, lb, "list", NULL, &err), 0);
    listed = vpmu_flavor_list_at(l, (size_t)vpmu_flavor_list_find(l, "vran.du.large", &err));
    assert_string_equal(vpmu_flavor_get_id(listed), vpmu_flavor_get_id(shown));
    assert_int_equal(vpmu_flavor_spec_count(listed), vpmu_flavor_spec_count(shown));
    for (size_t i = 0; i < vpmu_flavor_spec_count(shown); i++) {
        const char *k, *v;
        assert_true(vpmu_flavor_spec_at(shown, i, &k, &v));
        assert_string_equal(vpmu_flavor_get_spec(listed, k), v);
    }
}

static void
expect_bad(int image, const char *body, const char *needle)
{
    _cleanup_(vpmu_flavor_list_freep) vpmu_flavor_list *fl = vpmu_flavor_list_new();
    _cleanup_(vpmu_image_list_freep) vpmu_image_list *il = vpmu_image_list_new();
    _cleanup_error_ vpmu_error *err = NULL;
    _cleanup_free_ char *next = NULL;
    int r;

    if (image)
        r = vpmu_image_list_add_page(il, body, strlen(body), "src", &next, &err);
    else
        r = vpmu_flavor_list_add_page(fl, body, strlen(body), "src", &next, &err);
    assert_int_equal(r, -1);
    assert_null(next);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    assert_contains(vpmu_error_get_message(err), needle);
    assert_int_equal(vpmu_flavor_list_count(fl) + vpmu_image_list_count(il), 0);
}

static void
test_bad_answers(void **state)
{
    (void)state;
    expect_bad(0, "", "src:");
    expect_bad(0, "[]", "expected a JSON object, found an array");
    expect_bad(0, "{\"flavor\": {}}", "expected 'flavors' as an array, found nothing");
    expect_bad(0, "{\"flavors\": [1]}", "flavors[0] must be an object, not a number");
    expect_bad(0, "{\"flavors\": [{\"name\": \"x\"}]}", "the flavor has no 'id'");
    expect_bad(0,
               "{\"flavors\": [{\"id\": \"1\", \"name\": \"a\"}, {\"id\": \"2\", \"hw:pmu\": 1}]}",
               "flavors[1]");
    expect_bad(0, "{\"flavors\": [], \"flavors_links\": {}}", "'flavors_links' must be an array");
    expect_bad(0, "{\"flavors\": [], \"flavors_links\": [{\"rel\": \"next\"}]}", "has no 'href'");
    expect_bad(0, "{\"flavors\": [], \"flavors\": []}", "duplicate");
    expect_bad(1, "{\"images\": {}}", "expected 'images' as an array, found an object");
    expect_bad(1, "{\"images\": [], \"next\": 3}", "'next' must be a non-empty string");
    expect_bad(1, "{\"images\": [{\"id\": \"i\", \"extra_specs\": {}}]}", "looks like a flavor");
    expect_bad(1, "{\"images\": [{\"name\": \"i\"}]}", "the image has no 'id'");
}

static void
test_ambiguous_many(void **state)
{
    (void)state;
    _cleanup_(vpmu_image_list_freep) vpmu_image_list *l = vpmu_image_list_new();
    _cleanup_error_ vpmu_error *err = NULL;
    _cleanup_free_ char *body = xstrdup("{\"images\": [");

    for (int i = 0; i < 12; i++) {
        char *nb = xasprintf("%s%s{\"id\": \"id%02d\", \"name\": \"n\"}", body, i ? ", " : "", i);
        free(body);
        body = nb;
    }
    {
        char *nb = xasprintf("%s]}", body);
        free(body);
        body = nb;
    }
    assert_int_equal(vpmu_image_list_add_page(l, body, strlen(body), "s", NULL, &err), 0);
    assert_int_equal(vpmu_image_list_find(l, "n", &err), -1);
    assert_contains(vpmu_error_get_message(err), "12 images have it");
    assert_contains(vpmu_error_get_message(err), "'id09' and 2 more");
}

/* ---- drift ------------------------------------------------------------------------------------
 */

static vpmu_flavor *
flavor(const char *name, const char *pmu)
{
    vpmu_flavor *f = vpmu_flavor_new(name);
    if (pmu)
        vpmu_flavor_set_spec(f, "hw:pmu", pmu);
    return f;
}

static vpmu_image *
image(const char *name, const char *pmu)
{
    vpmu_image *i = vpmu_image_new(name);
    if (pmu)
        vpmu_image_set_prop(i, "hw_pmu", pmu);
    return i;
}

static void
expect_drift(vpmu_pmu has, const char *fv, const char *iv, bool with_image, vpmu_drift_state state,
             const char *reason)
{
    _cleanup_(vpmu_flavor_freep) vpmu_flavor *f = flavor("vran.du.large", fv);
    _cleanup_(vpmu_image_freep) vpmu_image *i = with_image ? image("cirros", iv) : NULL;
    _cleanup_error_ vpmu_error *err = NULL;
    vpmu_drift d;

    assert_int_equal(vpmu_drift_compare(has, f, i, &d, &err), 0);
    if (d.state != state || !STREQ(d.reason, reason))
        fail_msg("state %s reason '%s', expected %s '%s'", vpmu_drift_state_to_string(d.state),
                 d.reason, vpmu_drift_state_to_string(state), reason);
    vpmu_drift_clear(&d);
}

static void
test_drift(void **state)
{
    (void)state;
    /* on -> off: the operator's vRAN case */
    expect_drift(VPMU_PMU_ON, "false", NULL, true, VPMU_DRIFT_DRIFT,
                 "flavor 'vran.du.large' now has hw:pmu=false; the guest still has the vPMU "
                 "(<pmu state='on'/>)");
    /* off -> on, decided by the image */
    expect_drift(VPMU_PMU_OFF, NULL, "true", true, VPMU_DRIFT_DRIFT,
                 "image 'cirros' now has hw_pmu=true (flavor 'vran.du.large' leaves it to the "
                 "image); the guest still has the vPMU turned off (<pmu state='off'/>)");
    /* set -> unset */
    expect_drift(VPMU_PMU_ON, NULL, NULL, true, VPMU_DRIFT_DRIFT,
                 "neither flavor 'vran.du.large' nor image 'cirros' sets the vPMU now; the guest "
                 "still has the vPMU (<pmu state='on'/>)");
    expect_drift(VPMU_PMU_OFF, NULL, NULL, false, VPMU_DRIFT_DRIFT,
                 "flavor 'vran.du.large' does not set hw:pmu now, and the guest has no image; the "
                 "guest still has the vPMU turned off (<pmu state='off'/>)");
    /* unset -> set, both agreeing */
    expect_drift(VPMU_PMU_UNSET, "true", "yes", true, VPMU_DRIFT_DRIFT,
                 "flavor 'vran.du.large' now has hw:pmu=true and image 'cirros' hw_pmu=yes; the "
                 "guest has no <pmu> element (the hypervisor's default)");
    /* in sync */
    expect_drift(VPMU_PMU_OFF, "0", NULL, true, VPMU_DRIFT_IN_SYNC,
                 "flavor 'vran.du.large' has hw:pmu=0; the guest has the vPMU turned off "
                 "(<pmu state='off'/>)");
    expect_drift(VPMU_PMU_UNSET, NULL, NULL, true, VPMU_DRIFT_IN_SYNC,
                 "neither flavor 'vran.du.large' nor image 'cirros' sets the vPMU; the guest has "
                 "no <pmu> element either (the hypervisor's default)");
    /* no longer decides: the policy's own conflict message follows the prefix */
    {
        _cleanup_(vpmu_flavor_freep) vpmu_flavor *f = flavor("vran.du.large", "false");
        _cleanup_(vpmu_image_freep) vpmu_image *i = image("cirros", "true");
        vpmu_drift d;

        assert_int_equal(vpmu_drift_compare(VPMU_PMU_ON, f, i, &d, NULL), 0);
        assert_int_equal(d.state, VPMU_DRIFT_UNKNOWN);
        assert_contains(d.reason, "the flavor and image no longer decide: ");
        assert_contains(d.reason, "hw:pmu='false'");
        assert_contains(d.reason, "hw_pmu='true'");
        vpmu_drift_clear(&d);
    }
}

static void
test_drift_invalid_value(void **state)
{
    (void)state;
    _cleanup_(vpmu_flavor_freep) vpmu_flavor *f = flavor("m1", "ture");
    _cleanup_error_ vpmu_error *err = NULL;
    vpmu_drift d;

    assert_int_equal(vpmu_drift_compare(VPMU_PMU_ON, f, NULL, &d, &err), 0);
    assert_int_equal(d.state, VPMU_DRIFT_UNKNOWN);
    assert_contains(d.reason, "the flavor and image no longer decide: ");
    assert_contains(d.reason, "'ture'");
    vpmu_drift_clear(&d);
    assert_int_equal(vpmu_drift_compare(VPMU_PMU_ON, NULL, NULL, &d, &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_USAGE);
    vpmu_drift_set(&d, VPMU_DRIFT_UNMANAGED, VPMU_PMU_OFF, "not managed by Nova");
    assert_string_equal(vpmu_drift_state_to_string(d.state), "not-managed");
    vpmu_drift_clear(&d);
    vpmu_drift_clear(NULL);
    assert_null(vpmu_drift_state_to_string(VPMU_DRIFT_LAST));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_flavor_list),
            cmocka_unit_test(test_flavor_list_pages),
            cmocka_unit_test(test_flavor_names_unique_in_nova_but_not_trusted),
            cmocka_unit_test(test_image_list_ambiguous),
            cmocka_unit_test(test_image_list_pages_and_steal),
            cmocka_unit_test(test_list_element_same_as_show),
            cmocka_unit_test(test_bad_answers),
            cmocka_unit_test(test_ambiguous_many),
            cmocka_unit_test(test_drift),
            cmocka_unit_test(test_drift_invalid_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
