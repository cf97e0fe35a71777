// shared_a.c compiled as C++.
#include "shared_a.c"
