#include <stdio.h>
int main(void) {
  puts("listening");
  return 0;
}
