/* The second translation unit of attribute_settings.c: domain "cfg" with
 * another timeout (a conflict), domain "agree" with the same settings. */
#include <sdrad/isolate.h>

SDRAD_ISOLATE("cfg", timeout_ms(250), fallback_value(-1))
int conflict_other(void) { return 2; }
SDRAD_ISOLATE("agree", timeout_ms(300), fallback_value(-1))
int agree_other(void) { return 4; }
