/* libpng.c - libpng decoding untrusted images inside a domain (the recipe
 * of docs/libraries.md): libpng keeps no global state, so nothing needs
 * setting up; its error handling (longjmp to png_jmpbuf) stays inside the
 * domain, and everything it allocates comes from the domain's heap.
 * 300 decodes of a valid image, truncated and corrupted copies, and an
 * injected bug in every 5th call: every answer must be right. */
#include "e2e.h"

#include <png.h>
#include <string.h>

struct mem_reader {
  const unsigned char *data;
  size_t len, pos;
};

static void read_mem(png_structp png, png_bytep out, png_size_t n) {
  struct mem_reader *r = png_get_io_ptr(png);
  if (r->pos + n > r->len) png_error(png, "truncated");
  memcpy(out, r->data + r->pos, n);
  r->pos += n;
}

static volatile int *volatile crash_at = NULL;

/* Sum of all pixel bytes of an 8-bit grey image, or -1 if it is malformed. */
SDRAD_ISOLATE("png", fallback_value(-1000))
static long decode_sum(SDRAD_IN(len) const unsigned char *data, int len, int inject) {
  struct mem_reader r = {data, (size_t)len, 0};
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  volatile long sum = 0;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, NULL);
    return -1;
  }
  png_set_read_fn(png, &r, read_mem);
  png_read_info(png, info);
  png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
  png_bytep row = malloc(png_get_rowbytes(png, info));
  for (png_uint_32 y = 0; y < h; ++y) {
    png_read_row(png, row, NULL);
    for (png_uint_32 x = 0; x < w; ++x) sum += row[x];
  }
  if (inject) *crash_at = 1; /* the simulated bug, with libpng's state alive */
  free(row);
  png_destroy_read_struct(&png, &info, NULL);
  return sum;
}

/* A 16x16 grey image in memory, written with libpng in root. */
static unsigned char image[4096];
static size_t image_len;
static void write_mem(png_structp png, png_bytep in, png_size_t n) {
  (void)png;
  CHECK(image_len + n <= sizeof image, "image too large");
  memcpy(image + image_len, in, n);
  image_len += n;
}
static void flush_mem(png_structp png) { (void)png; }

static long make_image(void) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png_create_info_struct(png);
  CHECK(!setjmp(png_jmpbuf(png)), "writing the image");
  png_set_write_fn(png, NULL, write_mem, flush_mem);
  png_set_IHDR(png, info, 16, 16, 8, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  long sum = 0;
  unsigned char row[16];
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) sum += row[x] = (unsigned char)(x * 16 + y);
    png_write_row(png, row);
  }
  png_write_end(png, NULL);
  png_destroy_write_struct(&png, &info);
  return sum;
}

int main(void) {
  long want = make_image();
  unsigned char bad[4096];
  int faults = 0;
  for (int i = 0; i < 300; ++i) {
    int kind = i % 3, inject = i % 5 == 4;
    memcpy(bad, image, image_len);
    int len = (int)image_len;
    if (kind == 1) len = len / 2;                  /* truncated */
    if (kind == 2) memset(bad + 33, 0xff, 8);      /* corrupted IDAT */
    long r = decode_sum(bad, len, inject && kind == 0);
    if (inject && kind == 0) {
      CHECK_EQ(r, -1000);
      CHECK_EQ(take_fault(), SDRAD_FAULT_SEGV);
      ++faults;
      continue;
    }
    CHECK_EQ(take_fault(), 0);
    CHECK(r == (kind == 0 ? want : -1), "decode %d (kind %d): %ld", i, kind, r);
  }
  CHECK(faults > 10, "faults were injected");
  printf("libpng: 300 decodes, %d injected faults: ok\n", faults);
  return 0;
}
