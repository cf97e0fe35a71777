/* Gate of __sdrad_domain_handle_with (domain_settings.cpp). */
        .intel_syntax noprefix
#include "gate_macros.inc"
        .text
        GATE __sdrad_domain_handle_with, sdrad_impl_domain_handle_with

        .section .note.GNU-stack,"",@progbits
