// nesting.c compiled as C++.
#include "nesting.c"
