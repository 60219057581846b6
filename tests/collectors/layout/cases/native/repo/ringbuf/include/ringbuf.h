#ifndef RINGBUF_H
#define RINGBUF_H
#include <stddef.h>
typedef struct ringbuf ringbuf;
ringbuf *ringbuf_new(size_t n);
#endif
