#include "ringbuf.h"
int main(void) { return ringbuf_new(8) == 0; }
