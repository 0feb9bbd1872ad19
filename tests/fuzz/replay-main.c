/*
 * replay-main.c - runs a fuzz target's function on files, without libFuzzer.
 *
 * Linked with one fuzz-*.c by the ordinary compiler, it makes a program
 * that replays saved inputs (crash files in fixtures/fuzz-crashes/) as
 * `make check` does: each file is one call of LLVMFuzzerTestOneInput.
 * Exits 0 when every file was read and replayed; a crash is the failure.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    int rc = 1;

    if (f == NULL) {
        perror(path);
        return 1;
    }
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (nb == NULL)
                goto err;
            buf = nb;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        perror(path);
        goto err;
    }
    LLVMFuzzerTestOneInput(buf, len);
    rc = 0;
err:
    free(buf);
    fclose(f);
    return rc;
}

int main(int argc, char **argv)
{
    int failed = 0;

    for (int i = 1; i < argc; i++) {
        if (replay(argv[i]) != 0)
            failed = 1;
        else
            printf("replayed %s\n", argv[i]);
    }
    return failed;
}
