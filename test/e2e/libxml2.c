/* libxml2.c - libxml2 parsing untrusted documents inside a domain, with the
 * recipe of docs/libraries.md:
 *
 *  1. libxml2's global state (mutexes, dictionaries' lock, encoding
 *     handlers, ...) is created in root, before any domain runs, in
 *     memory every domain may use: xmlInitParser() between
 *     sdrad_shared_allocations(1) and (0).  Initialised lazily inside a
 *     domain, that state would live in the domain's heap and be discarded
 *     at the first fault; initialised in root with the root heap, it would
 *     be root memory the domain cannot lock.
 *  2. After every discard, a root hook (sdrad_on_discard) clears libxml2's
 *     last-error record, which points into the discarded heap.
 *  3. Documents are parsed and freed inside the domain; only results (a
 *     count, an error code) leave it, and the error record is reset before
 *     returning (its strings are in the domain's heap; root would otherwise
 *     meet them, at the latest in libxml2's destructor at exit).
 *
 * 1,000 parses of valid and malformed documents, with a bug injected into
 * every 7th call (a crash while the document is alive and, for malformed
 * ones, an error recorded): every answer must be right, and the last-error
 * record readable from root.
 */
#define _GNU_SOURCE
#include "e2e.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <string.h>


/* The last fault as text (for failure messages), cleared. */
static const char *fault_text(void) {
  static char buf[160];
  sdrad_fault f;
  if (!sdrad_last_fault(&f)) return "none";
  snprintf(buf, sizeof buf, "%s (addr %#lx pc %#lx pkey %d)", sdrad_fault_kind_name(f.kind), (unsigned long)f.addr,
           (unsigned long)f.pc, f.pkey);
  sdrad_clear_fault();
  return buf;
}

/* --- 1: global state in shared memory ---------------------------------- */
static void libxml_setup(void) {
  /* Everything xmlInitParser allocates (with xmlMalloc or malloc: its
   * mutexes) comes from the runtime's shared heap, which every domain may
   * write; allocations inside domains still come from their own heaps. */
  int was = sdrad_shared_allocations(1);
  xmlInitParser();
  sdrad_shared_allocations(was);
}

/* --- 2: after a discard ------------------------------------------------- */
static int discards;
static void libxml_after_discard(int64_t handle, void *arg) {
  (void)handle;
  (void)arg;
  /* Its strings were in the discarded heap: forget them (not xmlResetError,
   * which would free them). */
  memset(__xmlLastError(), 0, sizeof(xmlError));
  discards++;
}

/* --- 3: the isolated parser --------------------------------------------- */
static volatile int *volatile crash_at = NULL;

/* Elements in the document, or -(libxml2 error code) if it is malformed.
 * inject: crash after parsing (the document, and any error, still alive). */
SDRAD_ISOLATE("xml", fallback_value(-1000000))
static long count_elements(SDRAD_IN(len) const char *text, int len, int inject) {
  xmlDocPtr doc = xmlReadMemory(text, len, "in.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (inject) *crash_at = 1; /* the simulated bug */
  if (!doc) {
    const xmlError *e = xmlGetLastError();
    long code = e ? -(long)e->code : -1;
    xmlResetLastError(); /* its strings are in this domain's heap */
    return code;
  }
  long n = 0;
  for (xmlNodePtr c = xmlDocGetRootElement(doc); c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    ++n;
    for (xmlNodePtr k = c->children; k; k = k->next) n += k->type == XML_ELEMENT_NODE;
  }
  xmlFreeDoc(doc);
  return n;
}

int main(void) {
  libxml_setup();
  int64_t h = sdrad_domain_by_name("xml", 0);
  CHECK(h > 0, "no domain");
  CHECK_EQ(sdrad_on_discard(h, libxml_after_discard, NULL), 0);
  char doc[512];
  int expected_discards = 0, malformed = 0;
  for (int i = 0; i < 1000; ++i) {
    int kids = i % 5, bad = i % 3 == 2, inject = i % 7 == 6;
    int len = snprintf(doc, sizeof doc, "<?xml version=\"1.0\"?><root n=\"%d\">", i);
    for (int k = 0; k < kids; ++k) len += snprintf(doc + len, sizeof doc - len, "<item id=\"%d\">x</item>", k);
    len += snprintf(doc + len, sizeof doc - len, bad ? "<unclosed></root>" : "</root>");
    long r = count_elements(doc, len, inject);
    if (inject) {
      CHECK(r == -1000000, "parse %d: the injected bug was not caught (%ld)", i, r);
      CHECK_EQ(take_fault(), SDRAD_FAULT_SEGV);
      ++expected_discards;
      /* Root may look at libxml2's error record after a discard. */
      const xmlError *e = xmlGetLastError();
      CHECK(e == NULL, "the error record still points into the discarded heap");
      continue;
    }
    CHECK(r != -1000000, "parse %d faulted: %s", i, fault_text());
    if (bad) {
      CHECK(r == -XML_ERR_TAG_NOT_FINISHED, "parse %d (malformed): %ld", i, r);
      ++malformed;
    } else {
      CHECK(r == 1 + kids, "parse %d: %ld elements, expected %d", i, r, 1 + kids);
    }
  }
  CHECK_EQ(discards, expected_discards);
  CHECK(malformed > 200, "malformed documents were parsed");
  printf("libxml2: 1000 parses, %d malformed, %d injected faults: ok\n", malformed, discards);
  return 0;
}
