/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A main() for the fuzz targets in the normal (gcc) build: feed every file
 * named on the command line, or found under a named directory (recursively,
 * in sorted order), to LLVMFuzzerTestOneInput() once.  This replays the
 * inputs that once crashed (fuzz/regressions/TARGET/) and the seeds in the
 * unit suite, with or without sanitizers.
 *
 *   fuzz-replay-TARGET [--min N] PATH...
 *
 * Exits 0 when every input ran and at least N (default 1) were found; any
 * crash or broken invariant aborts the program.  Hidden files (".gitkeep",
 * "README") are skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"

#define REPLAY_MAX_INPUT (64u * 1024u * 1024u)

static unsigned long replayed;

static int
replay_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    uint8_t *buf;
    size_t used = 0;

    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if ((unsigned long long)st.st_size > REPLAY_MAX_INPUT) {
        fprintf(stderr, "replay: '%s' is larger than %u bytes\n", path, REPLAY_MAX_INPUT);
        close(fd);
        return -1;
    }
    /* Exact size, so that a read past the end is caught by ASan or valgrind. */
    buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf)
        abort();
    while (used < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + used, (size_t)st.st_size - used);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            fprintf(stderr, "replay: cannot read '%s'\n", path);
            free(buf);
            close(fd);
            return -1;
        }
        used += (size_t)r;
    }
    close(fd);
    LLVMFuzzerTestOneInput(buf, used);
    free(buf);
    replayed++;
    return 0;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
replay_path(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int r = 0;

    if (lstat(path, &st) < 0) {
        fprintf(stderr, "replay: cannot stat '%s': %s\n", path, strerror(errno));
        return -1;
    }
    /*
     * A symbolic link is not an input: the host fixtures hold links that
     * lead out of the tree on purpose (tests/data/hosts/escape-symlinks).
     */
    if (S_ISLNK(st.st_mode))
        return 0;
    if (!S_ISDIR(st.st_mode))
        return replay_file(path);
    d = opendir(path);
    if (!d) {
        fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "README") == 0 ||
            strcmp(de->d_name, "README.md") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof(*names));
            if (!names)
                abort();
        }
        if (asprintf(&names[n++], "%s/%s", path, de->d_name) < 0)
            abort();
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n; i++) {
        if (replay_path(names[i]) < 0)
            r = -1;
        free(names[i]);
    }
    free(names);
    return r;
}

int
main(int argc, char **argv)
{
    unsigned long min = 1;
    int i = 1, r = 0;

    if (argc > 2 && strcmp(argv[1], "--min") == 0) {
        char *end = NULL;
        min = strtoul(argv[2], &end, 10);
        if (!end || *end) {
            fprintf(stderr, "replay: bad --min '%s'\n", argv[2]);
            return 2;
        }
        i = 3;
    }
    for (; i < argc; i++)
        if (replay_path(argv[i]) < 0)
            r = 1;
    printf("replayed %lu inputs\n", replayed);
    if (replayed < min) {
        fprintf(stderr, "replay: found %lu inputs, expected at least %lu\n", replayed, min);
        return 1;
    }
    return r;
}
