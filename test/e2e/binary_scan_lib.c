/* A library with an XRSTORS encoding (0f c7 /3, memory operand) hidden in
 * a mov's immediate, for the scan after dlopen (binary_scan.c). */
unsigned sdrad_scan_lib_value(void) {
  unsigned r;
  __asm__ volatile("mov $0x001fc70f, %0" : "=r"(r)); /* 0f c7 1f: xrstors (%rdi) */
  return r;
}
