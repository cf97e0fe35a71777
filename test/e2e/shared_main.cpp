// shared_main.c compiled as C++.
#include "shared_main.c"
