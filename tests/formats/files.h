/* files.h - what a failed or aborted build may leave in the working
 * directory: helpers shared by the store and tablebuild tests.  Include
 * after <cmocka.h>. */
#ifndef AM_TESTS_FILES_H
#define AM_TESTS_FILES_H

#include <dirent.h>
#include <string.h>

/* Files in the working directory whose name contains part. */
static inline int
count_files(const char *part)
{
    DIR *d = opendir(".");
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, part) != NULL)
            n++;
    closedir(d);
    return n;
}

#endif
