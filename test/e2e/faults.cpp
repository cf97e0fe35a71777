// The same program as faults.c, compiled as C++ (mangled names, and a
// "throw" mode: a C++ exception escaping the domain is a fault too).
#include "faults.c"
