/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Numbers are formatted the same whatever the caller's locale (issue 12
 * item 4).  A program that calls setlocale(LC_ALL, "de_DE.UTF-8") has a
 * decimal comma in printf; an image property 1.5 must still read "1.5".
 * The de_DE.UTF-8 locale is compiled here with localedef(1) into a scratch
 * directory (LOCPATH), so the test needs the 'locales' package's sources
 * and no system locale, and fails (never skips) when it cannot make one.
 */
#include "config.h"

#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"
#include "vpmu/metadata.h"

static char scratch[] = "/tmp/vpmu-locale-XXXXXX";

static int
setup(void **state)
{
    char cmd[256];

    (void)state;
    if (!mkdtemp(scratch))
        return -1;
    snprintf(cmd, sizeof(cmd), "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1",
             scratch);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot compile de_DE.UTF-8 with localedef (package 'locales')\n");
        return -1;
    }
    setenv("LOCPATH", scratch, 1);
    return 0;
}

static int
teardown(void **state)
{
    char cmd[256];

    (void)state;
    setlocale(LC_ALL, "C");
    snprintf(cmd, sizeof(cmd), "rm -rf %s", scratch);
    return system(cmd) == 0 ? 0 : -1;
}

static void
test_decimal_comma_locale(void **state)
{
    static const char doc[] = "{\"name\": \"img\", \"x_ratio\": 1.5, \"x_tiny\": 0.25, "
                              "\"hw_pmu\": \"false\"}";
    char buf[16];
    vpmu_error *err = NULL;
    vpmu_image *img;
    char *s;

    (void)state;
    assert_non_null(setlocale(LC_ALL, "de_DE.UTF-8"));
    /* The locale is really in force: printf writes a comma. */
    snprintf(buf, sizeof(buf), "%.1f", 1.5);
    assert_string_equal(buf, "1,5");

    img = vpmu_image_parse(doc, strlen(doc), "img.json", &err);
    assert_null(err);
    assert_non_null(img);
    assert_string_equal(vpmu_image_get_prop(img, "x_ratio"), "1.5");
    assert_string_equal(vpmu_image_get_prop(img, "x_tiny"), "0.25");
    vpmu_image_free(img);

    s = format_double(-2.5e-3);
    assert_string_equal(s, "-0.0025000000000000001");
    free(s);
    /* And the caller's locale is as it was. */
    snprintf(buf, sizeof(buf), "%.1f", 2.5);
    assert_string_equal(buf, "2,5");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_decimal_comma_locale),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
