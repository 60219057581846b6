#include <stdlib.h>
#include "ringbuf.h"
struct ringbuf { int *data; };
ringbuf *ringbuf_new(size_t n) { ringbuf *r = calloc(1, sizeof *r); if (r) r->data = calloc(n, sizeof(int)); return r; }
