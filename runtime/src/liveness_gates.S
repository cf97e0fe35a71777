/* Gates of the liveness API (liveness.cpp) and its signal entry. */
        .intel_syntax noprefix
#include "gate_macros.inc"
        .text
        GATE sdrad_set_timeout,     sdrad_impl_set_timeout
        GATE sdrad_set_heap_limit,  sdrad_impl_set_heap_limit
        GATE sdrad_on_discard,      sdrad_impl_on_discard
        GATE sdrad_set_init,        sdrad_impl_set_init
        GATE sdrad_domain_epoch,    sdrad_impl_domain_epoch
        GATE sdrad_shared_allocations, sdrad_impl_shared_allocations

        .section .note.GNU-stack,"",@progbits
