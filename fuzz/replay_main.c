/*
 * replay_main.c - runs a fuzz target over files, without libFuzzer: how corpora become tests.
 *
 * Linked with one target (fuzz/<target>.c) and the ASan/UBSan objects of the project by
 * scripts/fuzz-replay.sh. Each argument is a file or a directory; a directory's regular files
 * are replayed in name order (dot files skipped, no recursion). Every input is read into a heap
 * buffer of exactly its size, so an over-read past the end is caught by ASan, and passed once to
 * LLVMFuzzerTestOneInput. A crash, a sanitizer report or a failed FUZZ_CHECK ends the process,
 * so each input's name goes to stderr ("replay: input PATH") before it runs: the last such line
 * names the culprit. A leak check runs after each input (LeakSanitizer, when detect_leaks is
 * on), so a leak is blamed on the input that caused it; it exits 23. Otherwise exits 0 after the
 * last input, 2 when an argument cannot be read. Prints "replayed N inputs" to stdout at the end.
 */
#include "fuzz.h"

#include <dirent.h>
#include <sanitizer/lsan_interface.h>
#include <errno.h>
#include <sys/stat.h>

/* Replays one file; returns 0, or -1 when it cannot be read. */
static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, n = 0;
    uint8_t *data = malloc(cap);
    for (;;) {
        if (!data) {
            fclose(f);
            fprintf(stderr, "replay: out of memory reading '%s'\n", path);
            return -1;
        }
        n += fread(data + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        uint8_t *bigger = realloc(data, cap);
        if (!bigger)
            free(data);
        data = bigger;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(data);
        fprintf(stderr, "replay: cannot read '%s'\n", path);
        return -1;
    }
    /* an exact-size copy, so that reading one byte past the input is an ASan error */
    uint8_t *exact = malloc(n ? n : 1);
    if (!exact) {
        free(data);
        return -1;
    }
    memcpy(exact, data, n);
    free(data);
    fprintf(stderr, "replay: input %s\n", path);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    if (__lsan_do_recoverable_leak_check()) {
        fprintf(stderr, "replay: input %s leaked memory\n", path);
        exit(23);
    }
    return 0;
}

static int skip_dot(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* Replays a file, or every regular file of a directory; adds to *count. */
static int run_path(const char *path, long *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: cannot stat '%s': %s\n", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (run_file(path) != 0)
            return -1;
        (*count)++;
        return 0;
    }
    struct dirent **names;
    int n = scandir(path, &names, skip_dot, alphasort);
    if (n < 0) {
        fprintf(stderr, "replay: cannot list '%s': %s\n", path, strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char *file = NULL;
        if (rc == 0 && asprintf(&file, "%s/%s", path, names[i]->d_name) < 0) {
            rc = -1;
            file = NULL;
        }
        if (file && stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(file) != 0)
                rc = -1;
            else
                (*count)++;
        }
        free(file);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    long count = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i], &count) != 0)
            rc = 2;
    printf("replayed %ld inputs\n", count);
    return rc;
}
