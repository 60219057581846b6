#include <assert.h>
#include "ringbuf.h"
int main(void) { assert(ringbuf_new(2) != NULL); return 0; }
