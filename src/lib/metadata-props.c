/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * metadata-props.c: one job, reading the legacy "key='value', key2='value2'"
 * properties string that older python-openstackclient prints (osc-lib's
 * format_dict()) into a JSON object, with a precise error for anything else.
 */
#include "config.h"

#include <jansson.h>
#include <stdarg.h>
#include <string.h>

#include "metadata-private.h"
#include "util.h"

/* jansson's own json_decrefp() (behind json_auto_t) does the cleanup. */
#define _cleanup_json_ _cleanup_(json_decrefp)

/* Characters a key of the string form may hold: anything but separators, quotes and controls. */
static bool
is_key_char(char c)
{
    return c != '=' && c != ',' && c != '\'' && c != '"' && c != '\\' && (unsigned char)c >= 0x20 &&
           c != 0x7f;
}

/*
 * Does a quote at s[j - 1] close the value?  Only when what follows is the end
 * of the string, or a comma and then another "key=".
 * osc-lib's format_dict() wraps values in single quotes without escaping
 * anything, so a quote inside a value ("it's") is taken literally unless it
 * is followed by exactly such a separator.
 */
static bool
closes_value(const char *s, size_t len, size_t j)
{
    size_t k;

    while (j < len && is_space(s[j]))
        j++;
    if (j == len)
        return true;
    if (s[j] != ',')
        return false;
    j++;
    while (j < len && is_space(s[j]))
        j++;
    k = j;
    while (j < len && is_key_char(s[j]))
        j++;
    return j > k && j < len && s[j] == '=';
}

/*
 * Parse "key='value', key2='value2'" (osc-lib format_dict(), printed by older
 * python-openstackclient for properties) into a JSON object of strings.
 *
 *  - keys run up to '=' (surrounding blanks trimmed) and may not be empty;
 *  - values are in single (or double) quotes; inside them \' (\") and \\
 *    stand for the quote and the backslash, any other backslash is literal;
 *  - a quote closes the value only when followed by the end or by
 *    ", key=", so commas and quotes inside values survive;
 *  - an empty string means no properties; a duplicate key is refused.
 *
 * Known ambiguity: format_dict() does not escape, so a value that itself ends
 * in a backslash, or contains "', key='", cannot be told apart; such a value
 * is read as the grammar above says.
 */
typedef struct {
    const char *s;
    const char *file;
    const char *what;
    const char *owner;
} props_ctx;

/* The name starts its line, so that tests/test-errors-catalogue.py does not take it for a call. */
/* clang-format off */
static void
props_fail(vpmu_error **error, const props_ctx *pc, size_t pos, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* clang-format on */

/* Fail at byte @pos of the string; the message counts characters from 1. */
static void
props_fail(vpmu_error **error, const props_ctx *pc, size_t pos, const char *fmt, ...)
{
    _cleanup_free_ char *detail = NULL;
    va_list ap;

    va_start(ap, fmt);
    detail = xvasprintf(fmt, ap);
    va_end(ap);
    vpmu_error_set(error, VPMU_ERR_INVALID,
                   "%s: %s '%s': cannot read the 'properties' string at character %zu: %s",
                   pc->file, pc->what, pc->owner, utf8_chars(pc->s, pos) + 1, detail);
}

json_t *
metadata_parse_props_string(const char *s, size_t len, const char *file, const char *what,
                            const char *owner, vpmu_error **error)
{
    _cleanup_json_ json_t *obj = json_object();
    const props_ctx pc = {.s = s, .file = file, .what = what, .owner = owner};
    size_t i = 0;

    while (i < len && is_space(s[i]))
        i++;
    while (i < len) {
        _cleanup_free_ char *key = NULL;
        _cleanup_free_ char *value = NULL;
        size_t kstart = i, kend, qpos, vlen = 0;
        bool closed = false;
        char q;

        while (i < len && is_key_char(s[i]))
            i++;
        kend = i;
        while (kend > kstart && is_space(s[kend - 1]))
            kend--;
        if (kend == kstart) {
            props_fail(error, &pc, kstart, "expected a key");
            return NULL;
        }
        key = xstrndup(s + kstart, kend - kstart);
        if (i == len || s[i] != '=') {
            _cleanup_free_ char *shown = quote_for_message(key, SHOW_MAX);
            props_fail(error, &pc, i, "expected '=' after '%s'", shown);
            return NULL;
        }
        i++;
        while (i < len && is_space(s[i]))
            i++;
        if (i == len || (s[i] != '\'' && s[i] != '"')) {
            _cleanup_free_ char *shown = quote_for_message(key, SHOW_MAX);
            props_fail(error, &pc, i, "the value of '%s' must be in quotes, as in %s='value'",
                       shown, shown);
            return NULL;
        }
        qpos = i;
        q = s[i++];
        value = xmalloc(len - i + 1);
        while (i < len) {
            char c = s[i];

            if (c == '\\' && i + 1 < len && (s[i + 1] == q || s[i + 1] == '\\')) {
                value[vlen++] = s[i + 1];
                i += 2;
                continue;
            }
            if (c == q && closes_value(s, len, i + 1)) {
                i++;
                closed = true;
                break;
            }
            value[vlen++] = c;
            i++;
        }
        value[vlen] = '\0';
        if (!closed) {
            _cleanup_free_ char *shown = quote_for_message(key, SHOW_MAX);
            props_fail(error, &pc, qpos, "the value of '%s' has no closing quote", shown);
            return NULL;
        }
        if (json_object_get(obj, key)) {
            _cleanup_free_ char *shown = quote_for_message(key, SHOW_MAX);
            props_fail(error, &pc, kstart, "duplicate key '%s'", shown);
            return NULL;
        }
        /* Both come from a valid JSON string, so they are UTF-8 without NUL. */
        json_object_set_new(obj, key, json_stringn(value, vlen));
        while (i < len && is_space(s[i]))
            i++;
        if (i == len)
            break;
        /* closes_value() saw ", key='" here. */
        i++;
        while (i < len && is_space(s[i]))
            i++;
    }
    return TAKE_PTR(obj);
}
