// shared_b.c compiled as C++.
#include "shared_b.c"
