/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The quoting and masking of user values (src/lib/util.c):
 * quote_for_message(), uri_without_password() and uri_for_message().
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void
check_quote(const char *in, const char *want)
{
    _cleanup_free_ char *got = quote_for_message(in, 1000);
    assert_string_equal(got, want);
}

static void
test_quote(void **state)
{
    (void)state;
    check_quote("plain name", "plain name");
    check_quote("x\npmu: off", "x\\npmu: off");
    check_quote("a\tb\rc", "a\\tb\\x0dc");
    check_quote("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
    check_quote("del\x7f", "del\\x7f");
    /* C1 controls as their two UTF-8 bytes (CSI U+009B, NEL U+0085), U+00A0 kept */
    check_quote("a\xc2\x9b"
                "2J\xc2\x85",
                "a\\xc2\\x9b2J\\xc2\\x85");
    check_quote("nb\xc2\xa0sp", "nb\xc2\xa0sp");
    /* invalid UTF-8: a lone byte, a truncated sequence, an overlong form, a surrogate */
    check_quote("\xff", "\\xff");
    check_quote("e\xc3", "e\\xc3");
    check_quote("\xc0\xaf", "\\xc0\\xaf");
    check_quote("\xed\xa0\x80", "\\xed\\xa0\\x80");
    check_quote("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
                "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

static void
test_quote_limit(void **state)
{
    _cleanup_free_ char *got = quote_for_message("abcdef", 3);

    (void)state;
    assert_string_equal(got, "abc...");
}

static void
check_mask(const char *in, const char *want)
{
    _cleanup_free_ char *got = uri_without_password(in);
    assert_non_null(got);
    assert_string_equal(got, want);
}

static void
test_without_password(void **state)
{
    (void)state;
    check_mask("qemu+tcp://user:s3cret@host/system", "qemu+tcp://user:***@host/system");
    check_mask("AMQP://guest:pw@broker:5672/", "AMQP://guest:***@broker:5672/");
    check_mask("amqps://u:p@[::1]:5671/vhost", "amqps://u:***@[::1]:5671/vhost");
    check_mask("http://u:p@ss:word@127.0.0.1:8778/", "http://u:***@127.0.0.1:8778/");
    check_mask("http://u:@h/", "http://u:***@h/");
    /* nothing to hide: no password, no user information, no authority */
    check_mask("qemu+ssh://root@host/system", "qemu+ssh://root@host/system");
    check_mask("http://127.0.0.1:8778/x@y:z", "http://127.0.0.1:8778/x@y:z");
    check_mask("http://h/?q=a:b@c", "http://h/?q=a:b@c");
    check_mask("test:///default", "test:///default");
    check_mask("qemu:///system", "qemu:///system");
    check_mask("user:pw@host", "user:pw@host");
    check_mask("./dir/a:b@c", "./dir/a:b@c");
    /* malformed URLs that still carry a password */
    check_mask("amqp:u:s3cret@h", "amqp:u:***@h");
    check_mask("amqp:/u:s3cret@h/", "amqp:/u:***@h/");
    check_mask("AMQPS:u:s3cret@h:5671", "AMQPS:u:***@h:5671");
    /* not quoted: JSON and Prometheus escape it themselves */
    check_mask("qemu+tcp://u:p@h\n/system", "qemu+tcp://u:***@h\n/system");
    assert_null(uri_without_password(NULL));
}

static void
check_sanitize(const char *in, const char *want)
{
    _cleanup_free_ char *got = utf8_sanitize(in);
    assert_string_equal(got, want);
}

static void
test_sanitize(void **state)
{
    (void)state;
    check_sanitize("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac");
    /* controls are valid UTF-8: JSON escapes them itself */
    check_sanitize("a\n\x1b\xc2\x9b", "a\n\x1b\xc2\x9b");
    check_sanitize("m\xff", "m\xef\xbf\xbd");
    check_sanitize("\xc0\xaf/\xed\xa0\x80",
                   "\xef\xbf\xbd\xef\xbf\xbd/\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    check_sanitize("e\xc3", "e\xef\xbf\xbd");
}

static void
test_for_message(void **state)
{
    _cleanup_free_ char *a = uri_for_message("qemu+tcp://u\x1b[2K:p\nw@h\xc2\x9b/system");
    _cleanup_free_ char *b = uri_for_message(NULL);

    (void)state;
    assert_string_equal(a, "qemu+tcp://u\\x1b[2K:***@h\\xc2\\x9b/system");
    assert_string_equal(b, "");
}

int
main(void)
{
    static const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_quote),
            cmocka_unit_test(test_quote_limit),
            cmocka_unit_test(test_without_password),
            cmocka_unit_test(test_sanitize),
            cmocka_unit_test(test_for_message),
    };
    return cmocka_run_group_tests_name("quote", tests, NULL, NULL);
}
