/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Data-driven CLI tests.  Each directory under tests/data/cli/ is one case:
 *
 *   args             one argument per line (the vpmu binary is implied);
 *                    @DATA@ -> tests/data, @EXAMPLES@ -> examples, @TMP@ -> a
 *                    fresh temporary directory for the case
 *   stdin            optional, fed to standard input
 *   exit             the expected exit status (default 0)
 *   stdout           optional, the exact expected standard output
 *   stdout.json      optional, expected stdout compared as JSON (jansson json_equal)
 *   stdout-contains  optional, lines that must each appear in stdout
 *   stderr-contains  optional, lines that must each appear in stderr
 *   stdout-lacks, stderr-lacks  optional, lines that must not appear
 *   stderr           optional, the exact expected standard error
 *   files/           optional, copied into @TMP@ before the run
 *   tmp-expect/      optional, files that @TMP@ must hold, byte for byte, after it
 *   env              optional, one change to the environment a line: NAME=VALUE
 *                    sets (after @...@ substitution), -NAME removes
 *   stdout-to        optional, where stdout goes instead of a file: "full"
 *                    (/dev/full) or "closed-pipe" (a pipe whose reader is gone);
 *                    stdout is then not compared
 *
 * VPMU_REGENERATE=1 rewrites existing stdout / stdout.json files from the
 * actual output (review the diff).  $VPMU_TEST_WRAPPER (words separated by
 * spaces, e.g. "valgrind --error-exitcode=1") prefixes every vpmu run.
 * The environment has LIBVIRT_DEFAULT_URI=test:///default (unless a case's env
 * removes it).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "util.h"

extern char **environ;

static const char *srcdir, *bin;

static char *
slurp(const char *path)
{
    char *buf = NULL;
    if (vpmu_read_file(path, 64u << 20, &buf, NULL, NULL) < 0)
        return NULL;
    return buf;
}

static char *
replace_all(const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from), tl = strlen(to), n = 0;
    const char *p;
    char *out, *o;

    for (p = s; (p = strstr(p, from)); p += fl)
        n++;
    out = o = xmalloc(strlen(s) + n * (tl > fl ? tl - fl : 0) + 1);
    for (p = s; *p;) {
        if (strncmp(p, from, fl) == 0) {
            memcpy(o, to, tl);
            o += tl;
            p += fl;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

static char *
subst(const char *line, const char *tmpdir)
{
    _cleanup_free_ char *data = xasprintf("%s/tests/data", srcdir);
    _cleanup_free_ char *ex = xasprintf("%s/examples", srcdir);
    _cleanup_free_ char *a = replace_all(line, "@DATA@", data);
    _cleanup_free_ char *b = replace_all(a, "@EXAMPLES@", ex);
    return replace_all(b, "@TMP@", tmpdir);
}

typedef struct {
    int status;
    char *out;
    char *err;
} run_result;

/* environ with the case's env file applied. */
static void
make_env(const char *envfile, const char *tmpdir, strv *out)
{
    _cleanup_free_ char *spec = envfile ? slurp(envfile) : NULL;
    char *save = NULL;

    for (char **e = environ; *e; e++)
        strv_push(out, xstrdup(*e));
    if (!spec)
        return;
    for (char *l = strtok_r(spec, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        _cleanup_free_ char *line = subst(l, tmpdir);
        const char *eq = strchr(line, '=');
        size_t nl = line[0] == '-' ? strlen(line + 1) : eq ? (size_t)(eq - line) : strlen(line);
        const char *name = line[0] == '-' ? line + 1 : line;
        size_t w = 0;

        for (size_t i = 0; i < out->n; i++) {
            if (strncmp(out->v[i], name, nl) == 0 && out->v[i][nl] == '=')
                free(out->v[i]);
            else
                out->v[w++] = out->v[i];
        }
        out->n = w;
        out->v[w] = NULL;
        if (line[0] != '-')
            strv_push(out, xstrdup(line));
    }
}

static void
run(char **argv, const char *stdin_path, const char *tmpdir, const char *envfile,
    const char *stdout_to, run_result *r)
{
    _cleanup_free_ char *outp = xasprintf("%s/.stdout", tmpdir);
    _cleanup_free_ char *errp = xasprintf("%s/.stderr", tmpdir);
    posix_spawn_file_actions_t fa;
    strv env = {0};
    int pfd[2] = {-1, -1};
    pid_t pid;
    int st = 0;

    make_env(envfile, tmpdir, &env);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, stdin_path ? stdin_path : "/dev/null", O_RDONLY, 0);
    if (stdout_to && STREQ(stdout_to, "full")) {
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/full", O_WRONLY, 0);
    } else if (stdout_to && STREQ(stdout_to, "closed-pipe")) {
        assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
        close(pfd[0]); /* nobody reads: every write fails with EPIPE */
        posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
    } else {
        assert_null(stdout_to);
        posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    }
    posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, env.v), 0);
    posix_spawn_file_actions_destroy(&fa);
    if (pfd[1] >= 0)
        close(pfd[1]);
    strv_clear(&env);
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (stdout_to) {
        FILE *f = fopen(outp, "w");
        assert_non_null(f);
        fclose(f);
    }
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r->out = slurp(outp);
    r->err = slurp(errp);
    assert_non_null(r->out);
    assert_non_null(r->err);
}

static void
check_lacks(const char *what, const char *haystack, const char *list, const char *tmpdir)
{
    _cleanup_free_ char *copy = xstrdup(list);
    char *save = NULL;

    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        _cleanup_free_ char *bad = subst(l, tmpdir);
        if (*bad && strstr(haystack, bad)) {
            print_error("%s holds: %s\n--- actual %s ---\n%s\n", what, bad, what, haystack);
            fail();
        }
    }
}

static void
check_contains(const char *what, const char *haystack, const char *list, const char *tmpdir)
{
    _cleanup_free_ char *copy = xstrdup(list);
    char *save = NULL;

    for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        _cleanup_free_ char *want = subst(l, tmpdir);
        if (!*want)
            continue;
        if (!strstr(haystack, want)) {
            print_error("%s lacks: %s\n--- actual %s ---\n%s\n", what, want, what, haystack);
            fail();
        }
    }
}

/* Copy (or compare) every regular file of @from into (with) @to. */
static void
sync_dir(const char *from, const char *to, bool compare)
{
    DIR *d = opendir(from);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        _cleanup_free_ char *src = xasprintf("%s/%s", from, e->d_name);
        _cleanup_free_ char *dst = xasprintf("%s/%s", to, e->d_name);
        _cleanup_free_ char *a = slurp(src);
        assert_non_null(a);
        if (compare) {
            _cleanup_free_ char *b = slurp(dst);
            if (!b)
                fail_msg("%s is missing after the run", dst);
            if (!STREQ(a, b))
                fail_msg("%s differs from %s after the run:\n%s", dst, src, b);
        } else {
            assert_int_equal(vpmu_write_file_atomic(dst, a, strlen(a), NULL), 0);
        }
    }
    closedir(d);
}

static void
test_case(void **state)
{
    const char *dir = *state;
    _cleanup_free_ char *tmpl = xstrdup("/tmp/vpmu-cli-XXXXXX");
    char *tmpdir = mkdtemp(tmpl);
    _cleanup_free_ char *argsp = xasprintf("%s/args", dir);
    _cleanup_free_ char *args = slurp(argsp);
    _cleanup_free_ char *exitp = xasprintf("%s/exit", dir);
    _cleanup_free_ char *exits = slurp(exitp);
    _cleanup_free_ char *stdinp = xasprintf("%s/stdin", dir);
    strv argv = {0};
    const char *wrapper = getenv("VPMU_TEST_WRAPPER");
    run_result r = {0};
    char *save = NULL;
    int want_exit = 0;

    assert_non_null(tmpdir);
    assert_non_null(args);
    if (wrapper && *wrapper) {
        _cleanup_free_ char *w = xstrdup(wrapper);
        char *ws = NULL;
        for (char *t = strtok_r(w, " ", &ws); t; t = strtok_r(NULL, " ", &ws))
            strv_push(&argv, xstrdup(t));
        /* posix_spawn needs a path: resolve the wrapper through PATH. */
        if (!strchr(argv.v[0], '/')) {
            _cleanup_free_ char *full = xasprintf("/usr/bin/%s", argv.v[0]);
            free(argv.v[0]);
            argv.v[0] = TAKE_PTR(full);
        }
    }
    strv_push(&argv, xstrdup(bin));
    for (char *l = strtok_r(args, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        strv_push(&argv, subst(l, tmpdir));
    if (exits) {
        unsigned long long v = 0;
        assert_int_equal(parse_ull(exits, &v), 0);
        want_exit = (int)v;
    }

    {
        _cleanup_free_ char *files = xasprintf("%s/files", dir);
        sync_dir(files, tmpdir, false);
    }
    {
        _cleanup_free_ char *envp = xasprintf("%s/env", dir);
        _cleanup_free_ char *top = xasprintf("%s/stdout-to", dir);
        _cleanup_free_ char *to = slurp(top);
        if (to)
            strstrip(to);
        run(argv.v, access(stdinp, R_OK) == 0 ? stdinp : NULL, tmpdir,
            access(envp, R_OK) == 0 ? envp : NULL, to, &r);
    }

    if (r.status != want_exit) {
        print_error("exit status %d, expected %d\n--- stdout ---\n%s--- stderr ---\n%s\n", r.status,
                    want_exit, r.out, r.err);
        fail();
    }

    const char *regen = getenv("VPMU_REGENERATE");
    {
        _cleanup_free_ char *p = xasprintf("%s/stdout", dir);
        _cleanup_free_ char *want = slurp(p);
        if (want) {
            _cleanup_free_ char *w = subst(want, tmpdir);
            if (regen && *regen)
                assert_int_equal(vpmu_write_file_atomic(p, r.out, strlen(r.out), NULL), 0);
            else
                assert_string_equal(r.out, w);
        }
    }
    {
        _cleanup_free_ char *p = xasprintf("%s/stdout.json", dir);
        _cleanup_free_ char *want = slurp(p);
        if (want) {
            json_error_t je;
            json_t *a = json_loads(r.out, 0, &je);
            json_t *b = json_loads(want, 0, &je);
            if (regen && *regen) {
                assert_int_equal(vpmu_write_file_atomic(p, r.out, strlen(r.out), NULL), 0);
            } else {
                assert_non_null(b);
                if (!a || !json_equal(a, b)) {
                    print_error("JSON differs\n--- actual ---\n%s\n--- expected ---\n%s\n", r.out,
                                want);
                    fail();
                }
            }
            json_decref(a);
            json_decref(b);
        }
    }
    {
        _cleanup_free_ char *p = xasprintf("%s/stdout-contains", dir);
        _cleanup_free_ char *want = slurp(p);
        if (want)
            check_contains("stdout", r.out, want, tmpdir);
    }
    {
        _cleanup_free_ char *p = xasprintf("%s/stderr-contains", dir);
        _cleanup_free_ char *want = slurp(p);
        if (want)
            check_contains("stderr", r.err, want, tmpdir);
    }
    {
        _cleanup_free_ char *p = xasprintf("%s/stdout-lacks", dir);
        _cleanup_free_ char *bad = slurp(p);
        if (bad)
            check_lacks("stdout", r.out, bad, tmpdir);
    }
    {
        _cleanup_free_ char *p = xasprintf("%s/stderr-lacks", dir);
        _cleanup_free_ char *bad = slurp(p);
        if (bad)
            check_lacks("stderr", r.err, bad, tmpdir);
    }
    {
        _cleanup_free_ char *p = xasprintf("%s/stderr", dir);
        _cleanup_free_ char *want = slurp(p);
        if (want) {
            _cleanup_free_ char *w = subst(want, tmpdir);
            assert_string_equal(r.err, w);
        }
    }

    {
        _cleanup_free_ char *expect = xasprintf("%s/tmp-expect", dir);
        sync_dir(expect, tmpdir, true);
    }
    free(r.out);
    free(r.err);
    strv_clear(&argv);
    {
        /* Remove the case's temporary directory (flat: cases write no subdirs). */
        DIR *d = opendir(tmpdir);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (STREQ(e->d_name, ".") || STREQ(e->d_name, ".."))
                continue;
            _cleanup_free_ char *f = xasprintf("%s/%s", tmpdir, e->d_name);
            (void)unlink(f);
        }
        if (d)
            closedir(d);
        (void)rmdir(tmpdir);
    }
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(void)
{
    _cleanup_free_ char *casedir = NULL;
    struct CMUnitTest *tests;
    strv names = {0}, dirs = {0};
    DIR *d;
    struct dirent *e;
    int rc;

    srcdir = getenv("VPMU_SRCDIR");
    bin = getenv("VPMU_BIN");
    if (!srcdir || !bin) {
        fprintf(stderr, "VPMU_SRCDIR and VPMU_BIN must be set (run through meson test)\n");
        return 1;
    }
    casedir = xasprintf("%s/tests/data/cli", srcdir);
    d = opendir(casedir);
    if (!d) {
        fprintf(stderr, "cannot open %s: %s\n", casedir, strerror(errno));
        return 1;
    }
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            strv_push(&names, xstrdup(e->d_name));
    closedir(d);
    if (names.n == 0) {
        fprintf(stderr, "no CLI test cases in %s\n", casedir);
        return 1;
    }
    qsort(names.v, names.n, sizeof(char *), cmp_str);
    tests = xcalloc(names.n, sizeof(*tests));
    for (size_t i = 0; i < names.n; i++) {
        strv_pushf(&dirs, "%s/%s", casedir, names.v[i]);
        tests[i].name = names.v[i];
        tests[i].test_func = test_case;
        tests[i].initial_state = dirs.v[i];
    }
    rc = _cmocka_run_group_tests("cli", tests, names.n, NULL, NULL);
    free(tests);
    strv_clear(&dirs);
    strv_clear(&names);
    return rc;
}
