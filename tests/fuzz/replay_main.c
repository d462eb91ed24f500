/* replay_main.c - run a fuzz harness over saved inputs, without libFuzzer.
 *
 *   fuzz_NAME FILE|DIR...
 *
 * Calls LLVMFuzzerTestOneInput() once per file (a directory stands for the
 * regular files in it, in name order), so the seed corpus and every past
 * crash input can be replayed by `make check` with any compiler, under the
 * sanitizers or valgrind.  Prints the number of inputs run; a finding
 * aborts the process.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

static int
run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *data = NULL;
    size_t size = 0, cap = 0, n;

    if (fp == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    for (;;) {
        if (size == cap) {
            uint8_t *p;

            cap = cap == 0 ? 4096 : cap * 2;
            if ((p = realloc(data, cap)) == NULL) {
                fprintf(stderr, "%s: out of memory\n", path);
                free(data);
                fclose(fp);
                return -1;
            }
            data = p;
        }
        n = fread(data + size, 1, cap - size, fp);
        if (n == 0)
            break;
        size += n;
    }
    if (ferror(fp)) {
        fprintf(stderr, "%s: read error\n", path);
        free(data);
        fclose(fp);
        return -1;
    }
    fclose(fp);
    /* A copy of exactly size bytes, so reading past the end is caught. */
    {
        uint8_t *exact = malloc(size > 0 ? size : 1);

        if (exact == NULL) {
            free(data);
            return -1;
        }
        if (size > 0)
            memcpy(exact, data, size);
        free(data);
        LLVMFuzzerTestOneInput(exact, size);
        free(exact);
    }
    return 0;
}

static int
by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

int
main(int argc, char **argv)
{
    unsigned long ran = 0;
    int i, bad = 0;

    for (i = 1; i < argc; i++) {
        struct stat st;
        struct dirent **names;
        int n, j;

        if (stat(argv[i], &st) < 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            bad = 1;
            continue;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (run_file(argv[i]) < 0)
                bad = 1;
            else
                ran++;
            continue;
        }
        if ((n = scandir(argv[i], &names, NULL, by_name)) < 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            bad = 1;
            continue;
        }
        for (j = 0; j < n; j++) {
            char path[4096];

            snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]->d_name);
            if (names[j]->d_name[0] != '.' && stat(path, &st) == 0
                && S_ISREG(st.st_mode)) {
                if (run_file(path) < 0)
                    bad = 1;
                else
                    ran++;
            }
            free(names[j]);
        }
        free(names);
    }
    printf("%s: %lu inputs\n", argv[0], ran);
    return bad;
}
