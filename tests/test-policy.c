/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure decision (src/lib/policy.c) against docs/facts.md §1: every row of the
 * truth table, the twelve oslo spellings in any case and with blanks, the
 * refused spellings, the conflict message, and the security property that an
 * image can never turn the vPMU on against a flavor's false.
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

#include "util.h"
#include "vpmu/metadata.h"
#include "vpmu/policy.h"

static const char *const true_spellings[] = {"1", "t", "true", "on", "y", "yes"};
static const char *const false_spellings[] = {"0", "f", "false", "off", "n", "no"};

/* Blanks Python's str.strip() removes and vpmu ignores too (ASCII only). */
static const char *const blanks[][2] = {
        {"", ""},     {" ", ""},        {"", " "},    {"  ", "   "},
        {"\t", "\n"}, {"\r\n ", "\t "}, {"\v", "\f"}, {" \t\r\n\v\f", " \t\r\n\v\f"},
};

#define assert_contains(haystack, needle)                                                          \
    do {                                                                                           \
        const char *h_ = (haystack), *n_ = (needle);                                               \
        if (!h_ || !strstr(h_, n_))                                                                \
            fail_msg("expected '%s' in '%s'", n_, h_ ? h_ : "(null)");                             \
    } while (0)

/* Case variants of an ASCII word: lower, UPPER, Title, aLtErNaTe, AlTeRnAtE. */
#define N_CASES 5
static char *
case_variant(const char *word, int variant)
{
    char *s = xstrdup(word);

    for (size_t i = 0; s[i]; i++) {
        char c = s[i];
        bool up = false;
        switch (variant) {
        case 0:
            up = false;
            break;
        case 1:
            up = true;
            break;
        case 2:
            up = i == 0;
            break;
        case 3:
            up = i % 2 == 1;
            break;
        case 4:
            up = i % 2 == 0;
            break;
        }
        if (c >= 'a' && c <= 'z' && up)
            s[i] = (char)(c - 'a' + 'A');
    }
    return s;
}

static char *
with_blanks(const char *word, size_t b)
{
    return xasprintf("%s%s%s", blanks[b][0], word, blanks[b][1]);
}

/* ---- enum strings --------------------------------------------------------------------------- */

static void
test_enum_strings(void **state)
{
    (void)state;
    assert_string_equal(vpmu_pmu_to_string(VPMU_PMU_UNSET), "unset");
    assert_string_equal(vpmu_pmu_to_string(VPMU_PMU_ON), "on");
    assert_string_equal(vpmu_pmu_to_string(VPMU_PMU_OFF), "off");
    assert_null(vpmu_pmu_to_string(VPMU_PMU_LAST));
    assert_null(vpmu_pmu_to_string((vpmu_pmu)-1));
    for (int p = 0; p < VPMU_PMU_LAST; p++)
        assert_int_equal(vpmu_pmu_from_string(vpmu_pmu_to_string((vpmu_pmu)p)), p);
    assert_int_equal(vpmu_pmu_from_string("ON"), -1);
    assert_int_equal(vpmu_pmu_from_string(NULL), -1);
    assert_string_equal(vpmu_source_to_string(VPMU_SOURCE_NONE), "none");
    assert_string_equal(vpmu_source_to_string(VPMU_SOURCE_FLAVOR), "flavor");
    assert_string_equal(vpmu_source_to_string(VPMU_SOURCE_IMAGE), "image");
    assert_string_equal(vpmu_source_to_string(VPMU_SOURCE_BOTH), "flavor+image");
    assert_null(vpmu_source_to_string(VPMU_SOURCE_LAST));
}

/* ---- the truth table (docs/facts.md §1) ------------------------------------------------- */

typedef struct {
    const char *flavor; /* NULL: unset */
    const char *image;
    int code; /* 0: success */
    vpmu_pmu pmu;
    vpmu_source source;
    vpmu_pmu says_flavor;
    vpmu_pmu says_image;
} row;

static const row truth_table[] = {
        /* unset / unset: no <pmu> element */
        {NULL, NULL, 0, VPMU_PMU_UNSET, VPMU_SOURCE_NONE, VPMU_PMU_UNSET, VPMU_PMU_UNSET},
        /* unset / true, unset / false: the image's value */
        {NULL, "true", 0, VPMU_PMU_ON, VPMU_SOURCE_IMAGE, VPMU_PMU_UNSET, VPMU_PMU_ON},
        {NULL, "false", 0, VPMU_PMU_OFF, VPMU_SOURCE_IMAGE, VPMU_PMU_UNSET, VPMU_PMU_OFF},
        /* true / unset, false / unset: the flavor's value */
        {"true", NULL, 0, VPMU_PMU_ON, VPMU_SOURCE_FLAVOR, VPMU_PMU_ON, VPMU_PMU_UNSET},
        {"false", NULL, 0, VPMU_PMU_OFF, VPMU_SOURCE_FLAVOR, VPMU_PMU_OFF, VPMU_PMU_UNSET},
        /* X / X */
        {"true", "true", 0, VPMU_PMU_ON, VPMU_SOURCE_BOTH, VPMU_PMU_ON, VPMU_PMU_ON},
        {"false", "false", 0, VPMU_PMU_OFF, VPMU_SOURCE_BOTH, VPMU_PMU_OFF, VPMU_PMU_OFF},
        /* disagreement: refused */
        {"true", "false", VPMU_ERR_CONFLICT, 0, 0, 0, 0},
        {"false", "true", VPMU_ERR_CONFLICT, 0, 0, 0, 0},
};

static void
check_row(const row *r, const char *flavor, const char *image)
{
    vpmu_policy_input in = {"m1.test", flavor, "img.test", image};
    /* A sentinel: *out must stay untouched on failure. */
    vpmu_decision d = {VPMU_PMU_LAST, VPMU_SOURCE_LAST, VPMU_PMU_LAST, VPMU_PMU_LAST};
    _cleanup_error_ vpmu_error *err = NULL;
    int rc = vpmu_decide(&in, &d, &err);

    if (r->code == 0) {
        if (rc != 0)
            fail_msg("flavor '%s' image '%s': unexpected error: %s", flavor ? flavor : "(unset)",
                     image ? image : "(unset)", vpmu_error_get_message(err));
        assert_null(err);
        assert_int_equal(d.pmu, r->pmu);
        assert_int_equal(d.source, r->source);
        assert_int_equal(d.flavor, r->says_flavor);
        assert_int_equal(d.image, r->says_image);
    } else {
        assert_int_equal(rc, -1);
        assert_non_null(err);
        assert_int_equal(vpmu_error_get_code(err), r->code);
        assert_int_equal(d.pmu, VPMU_PMU_LAST);
        assert_int_equal(d.source, VPMU_SOURCE_LAST);
    }
}

static void
test_truth_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < ELEMENTSOF(truth_table); i++)
        check_row(&truth_table[i], truth_table[i].flavor, truth_table[i].image);
}

/*
 * The same table with every spelling standing for true/false: the result
 * depends on the meaning, never on the spelling.
 */
static void
test_truth_table_all_spellings(void **state)
{
    (void)state;
    for (size_t i = 0; i < ELEMENTSOF(truth_table); i++) {
        const row *r = &truth_table[i];
        for (size_t a = 0; a < ELEMENTSOF(true_spellings); a++) {
            for (size_t b = 0; b < ELEMENTSOF(true_spellings); b++) {
                const char *fv = !r->flavor                 ? NULL
                                 : STREQ(r->flavor, "true") ? true_spellings[a]
                                                            : false_spellings[a];
                const char *iv = !r->image                 ? NULL
                                 : STREQ(r->image, "true") ? true_spellings[b]
                                                           : false_spellings[b];
                _cleanup_free_ char *fc = fv ? case_variant(fv, (int)((a + b) % N_CASES)) : NULL;
                _cleanup_free_ char *ic =
                        iv ? case_variant(iv, (int)((a + 2 * b) % N_CASES)) : NULL;
                _cleanup_free_ char *fw = fc ? with_blanks(fc, (a + b) % ELEMENTSOF(blanks)) : NULL;
                _cleanup_free_ char *iw = ic ? with_blanks(ic, (a * b) % ELEMENTSOF(blanks)) : NULL;
                check_row(r, fw, iw);
            }
        }
    }
}

/* ---- the twelve spellings ------------------------------------------------------------------- */

static void
test_accepted_spellings(void **state)
{
    (void)state;
    for (int meaning = 0; meaning < 2; meaning++) {
        const char *const *words = meaning ? true_spellings : false_spellings;
        for (size_t w = 0; w < 6; w++) {
            for (int cv = 0; cv < N_CASES; cv++) {
                _cleanup_free_ char *word = case_variant(words[w], cv);
                for (size_t b = 0; b < ELEMENTSOF(blanks); b++) {
                    _cleanup_free_ char *s = with_blanks(word, b);
                    bool out = !meaning;
                    vpmu_policy_input fin = {"f", s, "i", NULL};
                    vpmu_policy_input iin = {"f", NULL, "i", s};
                    vpmu_decision d;
                    vpmu_pmu want = meaning ? VPMU_PMU_ON : VPMU_PMU_OFF;

                    if (vpmu_parse_bool(s, &out) != 0)
                        fail_msg("'%s' should be accepted", s);
                    assert_int_equal(out, meaning);

                    assert_int_equal(vpmu_decide(&fin, &d, NULL), 0);
                    assert_int_equal(d.pmu, want);
                    assert_int_equal(d.source, VPMU_SOURCE_FLAVOR);

                    assert_int_equal(vpmu_decide(&iin, &d, NULL), 0);
                    assert_int_equal(d.pmu, want);
                    assert_int_equal(d.source, VPMU_SOURCE_IMAGE);
                }
            }
        }
    }
}

/* ---- refused spellings ---------------------------------------------------------------------- */

static const char *const refused[] = {
        "ture",
        "2",
        "",
        "  ",
        "yes please",
        "tru",
        "onn",
        "truee",
        "ye",
        "of",
        "offf",
        "nope",
        "-1",
        "+1",
        "10",
        "01",
        "1.0",
        "0x1",
        "t rue",
        "true,",
        "'true'",
        "\"true\"",
        "True!",
        "enabled",
        "disabled",
        "none",
        "null",
        "None",
        "yep",
        "yeah",
        "nah",
        "ok",
        "oui",
        "nein",
        "y e s",
        "\ttrue\tfalse",
        /* Unicode blanks and look-alikes: Python's strip() would remove U+00A0, vpmu does not
         * (deliberately stricter, docs/reference.md). */
        "\xc2\xa0true",
        "true\xc2\xa0",
        "\xef\xbd\x94\xef\xbd\x92\xef\xbd\x95\xef\xbd\x85",
        "\xe2\x80\x8btrue",
        "tr\xc3\xbc\x65", /* "trüe"; \x65 is 'e', which a hex escape would swallow */
        /* control characters that are not blanks */
        "\x1ctrue",
        "true\x1f",
        "tr\x01ue",
};

static void
check_refused(const char *value)
{
    bool out = true;
    vpmu_decision d;

    if (vpmu_parse_bool(value, &out) == 0)
        fail_msg("'%s' should be refused", value);

    for (int side = 0; side < 2; side++) {
        vpmu_policy_input in = {"vran.du.large", side ? NULL : value, "debian-12-perf",
                                side ? value : NULL};
        _cleanup_error_ vpmu_error *err = NULL;
        _cleanup_free_ char *shown = quote_for_message(value, 64);
        _cleanup_free_ char *quoted = xasprintf("'%s'", shown);
        const char *msg;

        assert_int_equal(vpmu_decide(&in, &d, &err), -1);
        assert_non_null(err);
        assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
        msg = vpmu_error_get_message(err);
        assert_contains(msg, quoted);
        assert_contains(msg, vpmu_accepted_bool_values());
        if (side == 0) {
            assert_contains(msg, "flavor 'vran.du.large'");
            assert_contains(msg, "'hw:pmu'");
        } else {
            assert_contains(msg, "image 'debian-12-perf'");
            assert_contains(msg, "'hw_pmu'");
        }
        /* The message is one line. */
        assert_null(strchr(msg, '\n'));
    }
}

static void
test_refused_spellings(void **state)
{
    (void)state;
    for (size_t i = 0; i < ELEMENTSOF(refused); i++)
        check_refused(refused[i]);
    /* Every case variant of a typo is refused too. */
    for (int cv = 0; cv < N_CASES; cv++) {
        _cleanup_free_ char *s = case_variant("ture", cv);
        check_refused(s);
    }
}

/* Each of the twelve words extended by one letter is refused: no prefix matching. */
static void
test_refused_extensions(void **state)
{
    (void)state;
    for (int meaning = 0; meaning < 2; meaning++) {
        const char *const *words = meaning ? true_spellings : false_spellings;
        for (size_t w = 0; w < 6; w++) {
            _cleanup_free_ char *longer = xasprintf("%sx", words[w]);
            _cleanup_free_ char *prefixed = xasprintf("x%s", words[w]);
            check_refused(longer);
            check_refused(prefixed);
        }
    }
}

static void
test_refused_flavor_checked_first(void **state)
{
    /* Both invalid: the flavor (the operator's input) is reported. */
    vpmu_policy_input in = {"f", "bogus", "i", "ture"};
    _cleanup_error_ vpmu_error *err = NULL;
    vpmu_decision d;

    (void)state;
    assert_int_equal(vpmu_decide(&in, &d, &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    assert_contains(vpmu_error_get_message(err), "'bogus'");
    assert_contains(vpmu_error_get_message(err), "'hw:pmu'");
}

static void
test_refused_huge_value(void **state)
{
    /* A 2 MiB value is refused with a short message quoting only its start. */
    size_t n = 2u * 1024u * 1024u;
    _cleanup_free_ char *big = xmalloc(n + 1);
    _cleanup_error_ vpmu_error *err = NULL;
    vpmu_policy_input in = {"f", NULL, "i", big};
    vpmu_decision d;

    (void)state;
    memset(big, 't', n);
    big[n] = '\0';
    assert_int_equal(vpmu_decide(&in, &d, &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_INVALID);
    assert_true(strlen(vpmu_error_get_message(err)) < 512);
    assert_contains(vpmu_error_get_message(err), "ttt...'");
}

static void
test_error_may_be_null(void **state)
{
    vpmu_policy_input bad = {"f", "ture", "i", NULL};
    vpmu_policy_input conflict = {"f", "no", "i", "yes"};
    vpmu_decision d;

    (void)state;
    assert_int_equal(vpmu_decide(&bad, &d, NULL), -1);
    assert_int_equal(vpmu_decide(&conflict, &d, NULL), -1);
}

static void
test_unnamed_inputs(void **state)
{
    vpmu_policy_input in = {NULL, "true", "", "false"};
    _cleanup_error_ vpmu_error *err = NULL;
    vpmu_decision d;

    (void)state;
    assert_int_equal(vpmu_decide(&in, &d, &err), -1);
    assert_contains(vpmu_error_get_message(err), "flavor '(unnamed)'");
    assert_contains(vpmu_error_get_message(err), "image '(unnamed)'");
}

/* ---- the conflict message ------------------------------------------------------------------- */

static void
test_conflict_message(void **state)
{
    vpmu_policy_input in = {"vran.du.large", " False ", "debian-12-perf", "YES"};
    _cleanup_error_ vpmu_error *err = NULL;
    vpmu_decision d;
    const char *msg;

    (void)state;
    assert_int_equal(vpmu_decide(&in, &d, &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_CONFLICT);
    msg = vpmu_error_get_message(err);
    /* Names the flavor, its value as written, the image, its value... */
    assert_contains(msg, "flavor 'vran.du.large'");
    assert_contains(msg, "hw:pmu=' False '");
    assert_contains(msg, "image 'debian-12-perf'");
    assert_contains(msg, "hw_pmu='YES'");
    /* ...and how to resolve it. */
    assert_contains(msg, "remove hw_pmu from the image");
    assert_contains(msg, "flavor whose hw:pmu is unset or agrees");
    assert_null(strchr(msg, '\n'));
}

/* ---- security: the tenant never overrides the operator -------------------------------------- */

static void
test_image_never_overrides_flavor_false(void **state)
{
    size_t tried = 0;

    (void)state;
    for (size_t fw = 0; fw < ELEMENTSOF(false_spellings); fw++) {
        for (int fc = 0; fc < N_CASES; fc++) {
            _cleanup_free_ char *fword = case_variant(false_spellings[fw], fc);
            _cleanup_free_ char *fval = with_blanks(fword, (fw + (size_t)fc) % ELEMENTSOF(blanks));
            for (size_t tw = 0; tw < ELEMENTSOF(true_spellings); tw++) {
                for (int tc = 0; tc < N_CASES; tc++) {
                    _cleanup_free_ char *tword = case_variant(true_spellings[tw], tc);
                    for (size_t b = 0; b < ELEMENTSOF(blanks); b++) {
                        _cleanup_free_ char *ival = with_blanks(tword, b);
                        vpmu_policy_input in = {"vran", fval, "tenant-image", ival};
                        vpmu_decision d = {VPMU_PMU_LAST, 0, 0, 0};
                        _cleanup_error_ vpmu_error *err = NULL;

                        if (vpmu_decide(&in, &d, &err) == 0 || d.pmu == VPMU_PMU_ON)
                            fail_msg("image hw_pmu='%s' turned the vPMU on against flavor "
                                     "hw:pmu='%s'",
                                     ival, fval);
                        assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_CONFLICT);
                        tried++;
                    }
                }
            }
        }
    }
    /* 6 false words x 5 cases x 6 true words x 5 cases x 8 blank pairs */
    assert_int_equal(tried, 6 * N_CASES * 6 * N_CASES * ELEMENTSOF(blanks));
}

/* With the flavor off, no image value at all (valid, invalid, absent) yields on. */
static void
test_flavor_false_never_on(void **state)
{
    (void)state;
    for (size_t i = 0; i < ELEMENTSOF(refused); i++) {
        vpmu_policy_input in = {"vran", "false", "img", refused[i]};
        vpmu_decision d = {VPMU_PMU_LAST, 0, 0, 0};
        if (vpmu_decide(&in, &d, NULL) == 0)
            fail_msg("image hw_pmu='%s' was accepted", refused[i]);
        assert_int_equal(d.pmu, VPMU_PMU_LAST);
    }
    {
        vpmu_policy_input in = {"vran", "false", "img", NULL};
        vpmu_decision d;
        assert_int_equal(vpmu_decide(&in, &d, NULL), 0);
        assert_int_equal(d.pmu, VPMU_PMU_OFF);
    }
}

/* The symmetric property: an image cannot turn off what the flavor turned on. */
static void
test_image_never_overrides_flavor_true(void **state)
{
    (void)state;
    for (size_t tw = 0; tw < ELEMENTSOF(true_spellings); tw++) {
        for (size_t fw = 0; fw < ELEMENTSOF(false_spellings); fw++) {
            for (int cv = 0; cv < N_CASES; cv++) {
                _cleanup_free_ char *iv = case_variant(false_spellings[fw], cv);
                vpmu_policy_input in = {"f", true_spellings[tw], "i", iv};
                _cleanup_error_ vpmu_error *err = NULL;
                vpmu_decision d;

                assert_int_equal(vpmu_decide(&in, &d, &err), -1);
                assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_CONFLICT);
            }
        }
    }
}

/* ---- vpmu_decide_for(): metadata objects into the policy ------------------------------------ */

static void
test_decide_for(void **state)
{
    vpmu_flavor *f = vpmu_flavor_new("vran");
    vpmu_image *img = vpmu_image_new("perf");
    _cleanup_error_ vpmu_error *err = NULL;
    vpmu_decision d;

    (void)state;
    assert_int_equal(vpmu_decide_for(NULL, NULL, &d, NULL), 0);
    assert_int_equal(d.pmu, VPMU_PMU_UNSET);
    assert_int_equal(d.source, VPMU_SOURCE_NONE);

    vpmu_image_set_prop(img, "hw_pmu", "true");
    assert_int_equal(vpmu_decide_for(NULL, img, &d, NULL), 0);
    assert_int_equal(d.pmu, VPMU_PMU_ON);
    assert_int_equal(d.source, VPMU_SOURCE_IMAGE);

    vpmu_flavor_set_spec(f, "hw:pmu", "false");
    assert_int_equal(vpmu_decide_for(f, NULL, &d, NULL), 0);
    assert_int_equal(d.pmu, VPMU_PMU_OFF);

    assert_int_equal(vpmu_decide_for(f, img, &d, &err), -1);
    assert_int_equal(vpmu_error_get_code(err), VPMU_ERR_CONFLICT);
    assert_contains(vpmu_error_get_message(err), "flavor 'vran'");
    assert_contains(vpmu_error_get_message(err), "image 'perf'");

    vpmu_flavor_free(f);
    vpmu_image_free(img);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_enum_strings),
            cmocka_unit_test(test_truth_table),
            cmocka_unit_test(test_truth_table_all_spellings),
            cmocka_unit_test(test_accepted_spellings),
            cmocka_unit_test(test_refused_spellings),
            cmocka_unit_test(test_refused_extensions),
            cmocka_unit_test(test_refused_flavor_checked_first),
            cmocka_unit_test(test_refused_huge_value),
            cmocka_unit_test(test_error_may_be_null),
            cmocka_unit_test(test_unnamed_inputs),
            cmocka_unit_test(test_conflict_message),
            cmocka_unit_test(test_image_never_overrides_flavor_false),
            cmocka_unit_test(test_flavor_false_never_on),
            cmocka_unit_test(test_image_never_overrides_flavor_true),
            cmocka_unit_test(test_decide_for),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
