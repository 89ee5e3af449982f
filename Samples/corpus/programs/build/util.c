#include <stdio.h>
int parse(const char *s) { int unused; char buf[4]; sprintf(buf, "%s", s); return 0; }
int main(void) { long x = 5; printf("%d\n", x); return parse("abc"); }
