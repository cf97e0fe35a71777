// copies.c compiled as C++.
#include "copies.c"
