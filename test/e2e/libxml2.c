/* libxml2.c - libxml2 parsing untrusted documents inside a domain, with the
 * recipe of docs/libraries.md, in the isolate attribute's form (no handle,
 * no setter call):
 *
 *  1. libxml2's global state (mutexes, the dictionaries' lock, encoding
 *     handlers, ...) is created in root before any domain runs, in memory
 *     every domain may use: xmlInitParser() between
 *     sdrad_shared_allocations(1) and (0), here in a constructor.
 *     Initialised lazily inside a domain, that state would live in the
 *     domain's heap and be discarded at the first fault; initialised in
 *     root with the root heap, it would be root memory the domain cannot
 *     lock.
 *  2. init(xml_domain_init) runs inside the domain on its first call and
 *     again on the first call after every discard: it makes the parser
 *     context every call reuses (domain-heap state, gone with a discard).
 *  3. on_discard(xml_after_discard) runs in root after every discard: it
 *     clears libxml2's last-error record, which points into the discarded
 *     heap, and forgets the context.
 *  4. Documents are parsed and freed inside the domain; only results (a
 *     count, an error code) leave it, and the error record is reset before
 *     returning (its strings are in the domain's heap).
 *
 * 1,000 parses of valid and malformed documents, with a bug injected into
 * every 7th call (a crash while the document is alive and, for malformed
 * ones, an error recorded): every answer must be right, the hooks must have
 * run once per discard, and the last-error record must be readable from
 * root after each fault.
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
__attribute__((constructor)) static void libxml_setup(void) {
  /* Everything xmlInitParser allocates (with xmlMalloc or malloc: its
   * mutexes) comes from the runtime's shared heap, which every domain may
   * write; allocations inside domains still come from their own heaps. */
  int was = sdrad_shared_allocations(1);
  xmlInitParser();
  sdrad_shared_allocations(was);
}

/* --- 2: domain state, made inside the domain ---------------------------- */
static __thread xmlParserCtxtPtr ctxt; /* key-0 TLS; points into the domain heap */
static __thread int inits;             /* written inside the domain */

static void xml_domain_init(void) {
  ctxt = xmlNewParserCtxt();
  inits++;
}

/* --- 3: after a discard, in root ---------------------------------------- */
static int discards;
static int ctxt_at_discard;
static void xml_after_discard(void) {
  CHECK(sdrad_depth() == 0, "on_discard runs in root");
  /* Its strings were in the discarded heap: forget them (not xmlResetError,
   * which would free them). */
  memset(__xmlLastError(), 0, sizeof(xmlError));
  ctxt_at_discard = ctxt != NULL;
  ctxt = NULL;
  discards++;
}

/* --- 4: the isolated parser --------------------------------------------- */
static volatile int *volatile crash_at = NULL;

/* Elements in the document, or -(libxml2 error code) if it is malformed,
 * or -1 without a parser context.  inject: crash after parsing (the
 * document, and any error, still alive). */
SDRAD_ISOLATE("xml", heap_limit(32M), init(xml_domain_init), on_discard(xml_after_discard),
              fallback_value(-1000000))
static long count_elements(SDRAD_IN(len) const char *text, int len, int inject) {
  if (!ctxt) return -1;
  xmlDocPtr doc = xmlCtxtReadMemory(ctxt, text, len, "in.xml", NULL,
                                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (inject) *crash_at = 1; /* the simulated bug */
  if (!doc) {
    const xmlError *e = xmlCtxtGetLastError(ctxt);
    long code = e && e->code ? -(long)e->code : -1;
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
      CHECK_EQ(discards, expected_discards);
      CHECK(ctxt_at_discard, "parse %d: no parser context before the discard", i);
      CHECK(ctxt == NULL, "the hook forgot the context");
      /* Root may look at libxml2's error record after a discard. */
      const xmlError *e = xmlGetLastError();
      CHECK(e == NULL, "the error record still points into the discarded heap");
      continue;
    }
    CHECK(r != -1000000, "parse %d faulted: %s", i, fault_text());
    CHECK(r != -1, "parse %d: no parser context (init did not run)", i);
    if (bad) {
      CHECK(r == -XML_ERR_TAG_NOT_FINISHED, "parse %d (malformed): %ld", i, r);
      ++malformed;
    } else {
      CHECK(r == 1 + kids, "parse %d: %ld elements, expected %d", i, r, 1 + kids);
    }
    /* One context per discard (and the first): reused by every call. */
    CHECK(inits == expected_discards + 1, "parse %d: init ran %d times after %d discards", i, inits,
          expected_discards);
  }
  CHECK_EQ(discards, expected_discards);
  CHECK(malformed > 200, "malformed documents were parsed");
  printf("libxml2: 1000 parses, %d malformed, %d injected faults, %d inits: ok\n", malformed, discards, inits);
  return 0;
}
