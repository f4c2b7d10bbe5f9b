/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The bottom of the CLI: diagnostics on stderr ("vpmu: message", the usage
 * errors and their "Try" line, warnings), stdout's final check and JSON
 * printing, and user values made safe for output (cli_e(), cli_e_uri(),
 * cli_uri_masked(), cli_json_string()).  It uses the library's helpers
 * (util.h) and nothing else of the CLI, so that every other CLI file can use it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cli_command_name;

/*
 * "vpmu: PREFIX" and the message on one line of stderr.  Each value in a
 * message is quoted where it is put in; the whole line goes through
 * quote_for_message() once more, so that no control byte reaches the
 * terminal even from a value that was missed (quoting twice changes nothing:
 * its output has no byte it would quote).
 */
static void print_message(const char *prefix, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));
static void
print_message(const char *prefix, const char *fmt, va_list ap)
{
    _cleanup_free_ char *msg = xvasprintf(fmt, ap);
    _cleanup_free_ char *q = quote_for_message(msg, SIZE_MAX);

    fprintf(stderr, "vpmu: %s%s\n", prefix, q);
}

static void print_messagef(const char *prefix, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void
print_messagef(const char *prefix, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    print_message(prefix, fmt, ap);
    va_end(ap);
}

int
cli_fail(vpmu_error *err)
{
    int code = (int)vpmu_error_get_code(err);

    print_messagef("", "%s", vpmu_error_get_message(err));
    vpmu_error_free(err);
    /* Every usage error, the library's too, ends with the same hint. */
    if (code == CLI_EXIT_USAGE) {
        if (cli_command_name)
            fprintf(stderr, "Try 'vpmu %s --help'.\n", cli_command_name);
        else
            fputs("Try 'vpmu --help'.\n", stderr);
    }
    if (code < CLI_EXIT_RUNTIME || code > CLI_EXIT_CONFLICT)
        code = CLI_EXIT_RUNTIME;
    return code;
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    print_message("", fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "Try 'vpmu %s --help'.\n", cmd);
    else
        fputs("Try 'vpmu --help'.\n", stderr);
    return CLI_EXIT_USAGE;
}

int
cli_bad_option(const char *cmd, int c, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    bool is_long = arg[0] == '-' && arg[1] == '-';

    /* A short option may sit in a cluster ("-qx"): name the letter. */
    if (!is_long && optopt > 0 && optopt < 128) {
        if (c == ':')
            return cli_usage(cmd, "option '-%c' needs an argument", optopt);
        return cli_usage(cmd, "unknown option '-%c'", optopt);
    }
    if (c == ':')
        return cli_usage(cmd, "option '%s' needs an argument", arg);
    return cli_usage(cmd, "unknown option '%s'", arg);
}

void
cli_warn(const cli_global *g, const char *fmt, ...)
{
    va_list ap;

    if (g && g->quiet)
        return;
    va_start(ap, fmt);
    print_message("warning: ", fmt, ap);
    va_end(ap);
}

int
cli_stdout_check(void)
{
    static bool reported;
    int e = 0;

    if (fflush(stdout) != 0)
        e = errno;
    if (!e && !ferror(stdout))
        return CLI_EXIT_OK;
    if (!reported) {
        reported = true;
        if (e)
            fprintf(stderr, "vpmu: cannot write to standard output: %s\n", strerror(e));
        else
            fprintf(stderr, "vpmu: cannot write to standard output\n");
    }
    return CLI_EXIT_RUNTIME;
}

int
cli_print_json(json_t *v)
{
    int r = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

    json_decref(v);
    fputc('\n', stdout);
    if (cli_stdout_check() != CLI_EXIT_OK || r < 0)
        return CLI_EXIT_RUNTIME;
    return CLI_EXIT_OK;
}

static char *e_ring[16];
static size_t e_next;

static const char *
ring_keep(char *q)
{
    free(e_ring[e_next]);
    e_ring[e_next] = q;
    e_next = (e_next + 1) % ELEMENTSOF(e_ring);
    return q;
}

const char *
cli_e(const char *s)
{
    return s ? ring_keep(quote_for_message(s, SIZE_MAX)) : NULL;
}

const char *
cli_e_uri(const char *uri)
{
    return uri ? ring_keep(uri_for_message(uri)) : NULL;
}

json_t *
cli_json_string(const char *s)
{
    json_t *v;

    if (!s)
        return json_null();
    v = json_string(s);
    if (!v) {
        _cleanup_free_ char *valid = utf8_sanitize(s);
        v = json_string(valid);
    }
    return v;
}

const char *
cli_uri_masked(const char *uri)
{
    return uri ? ring_keep(uri_without_password(uri)) : NULL;
}

void
cli_e_release(void)
{
    for (size_t i = 0; i < ELEMENTSOF(e_ring); i++) {
        free(e_ring[i]);
        e_ring[i] = NULL;
    }
}
