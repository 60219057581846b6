/* Ring buffer for the relay's native codec. */
#include <stdio.h>
#include <string.h>

#define NOTE "/* TODO: a string, not a comment */"

// TODO: make the capacity configurable \
   FIXME: this line continues the comment above (backslash-newline)
static char ring[4096];

int ring_put(const char *s) {
    char q = '"'; /* XXX: '"' is a char literal */
    size_t n = strlen(s);
    if (n > sizeof ring) return -1; // HACK: silently reject big writes
    memcpy(ring, s, n);
    printf("%c%s\n", q, NOTE);
    return 0;
}
