// threads.c compiled as C++.
#include "threads.c"
