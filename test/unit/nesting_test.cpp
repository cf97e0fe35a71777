// Domains nest: a domain may call into another; a fault in the inner one
// rewinds only to the inner entry.
#include <stdlib.h>

#include "test_util.h"

using namespace sdrad_test;

namespace {
struct Outer {
  int64_t inner;
  int inner_status;
  int depth_inside_inner;
  int after_inner;
  int fault_kind;
};
struct Inner {
  int depth;
  int crash;
};

void inner_body(void *p) {
  auto *b = (Inner *)p;
  b->depth = sdrad_depth();
  if (b->crash) *(volatile int *)nullptr = 1;
}

// As a thunk does: the caller builds the block in its own memory and
// copies it in (under PKU a domain may not write another domain's memory).
void outer_body(Outer *o) {
  Inner tmp{};
  tmp.crash = 1;
  auto *ib = (Inner *)__sdrad_copy_in(o->inner, &tmp, sizeof(tmp));
  o->inner_status = __sdrad_call(o->inner, inner_body, ib);
  sdrad_fault f;
  o->fault_kind = sdrad_last_fault(&f) ? f.kind : -1;
  // The outer domain is still running and can call the inner one again.
  tmp.crash = 0;
  ib = (Inner *)__sdrad_copy_in(o->inner, &tmp, sizeof(tmp));
  o->after_inner = __sdrad_call(o->inner, inner_body, ib);
  __sdrad_copy_out(o->inner, &tmp, ib, sizeof(tmp));
  o->depth_inside_inner = tmp.depth;
  __sdrad_block_free(o->inner, ib);
}
}  // namespace

TEST(Nesting, InnerFaultRewindsOnlyInner) {
  int64_t outer = domain("nest.outer");
  int64_t inner = domain("nest.inner");
  allow_nested_entry(inner_body, "nest.inner");
  InDomain<Outer> d(outer);
  d.b->inner = inner;
  ASSERT_EQ(d.run(outer_body), 0);
  EXPECT_EQ(d.b->inner_status, SDRAD_FAULT_SEGV);
  EXPECT_EQ(d.b->fault_kind, SDRAD_FAULT_SEGV);
  EXPECT_EQ(d.b->after_inner, 0);
  EXPECT_EQ(d.b->depth_inside_inner, 2);
  EXPECT_EQ(sdrad_depth(), 0);
}

TEST(Nesting, OuterFaultAfterInnerCallRewindsOuter) {
  int64_t outer = domain("nest.outer2");
  int64_t inner = domain("nest.inner2");
  allow_nested_entry(inner_body, "nest.inner2");
  InDomain<Outer> d(outer);
  d.b->inner = inner;
  EXPECT_EQ(d.run([](Outer *o) {
              outer_body(o);
              abort();
            }),
            SDRAD_FAULT_ABORT);
  EXPECT_EQ(sdrad_depth(), 0);
  // The fault recorded last is the outer domain's abort, not the inner
  // call's earlier segfault: the rewind went to the outer entry.
  sdrad_fault f;
  ASSERT_TRUE(sdrad_last_fault(&f));
  EXPECT_EQ(f.handle, outer);
  EXPECT_EQ(f.kind, SDRAD_FAULT_ABORT);
  // Both domains work again.
  InDomain<Outer> again(outer);
  again.b->inner = inner;
  ASSERT_EQ(again.run(outer_body), 0);
  EXPECT_EQ(again.b->after_inner, 0);
}

TEST(Nesting, ReenteringAnActiveDomainIsRefused) {
  int64_t h = domain("nest.self");
  InDomain<Outer> d(h);
  d.b->inner = h;
  ASSERT_EQ(d.run([](Outer *o) {
              o->inner_status = __sdrad_call(o->inner, inner_body, nullptr);
              o->fault_kind = sdrad_last_error();
            }),
            0);
  EXPECT_EQ(d.b->inner_status, SDRAD_E_NESTING);
  EXPECT_EQ(d.b->fault_kind, SDRAD_E_NESTING) << "sdrad_last_error() tells why";
}

namespace {
struct Chain {
  int64_t handles[8];
  int level, fail_at, reached;
  int status[8];
};
void chain_body(void *p) {
  auto *c = (Chain *)p;
  int me = c->level;
  c->reached = me;
  if (me == c->fail_at) abort();
  if (me + 1 < 8) {
    Chain tmp = *c;
    tmp.level = me + 1;
    int64_t h = c->handles[me + 1];
    auto *next = (Chain *)__sdrad_copy_in(h, &tmp, sizeof(tmp));
    c->status[me + 1] = __sdrad_call(h, chain_body, next);
    if (c->status[me + 1] == 0) {
      __sdrad_copy_out(h, &tmp, next, sizeof(tmp));
      __sdrad_block_free(h, next);
      c->reached = tmp.reached;
      for (int i = me + 2; i < 8; ++i) c->status[i] = tmp.status[i];
    }
  }
}
}  // namespace

TEST(Nesting, FaultAtEachDepthRewindsToThatDepth) {
  int64_t hs[8];
  for (int i = 0; i < 8; ++i) hs[i] = domain("nest.chain" + std::to_string(i));
  for (int i = 0; i < 8; ++i) allow_nested_entry(chain_body, ("nest.chain" + std::to_string(i)).c_str());
  for (int fail = 1; fail < 8; ++fail) {
    InDomain<Chain> d(hs[0]);
    for (int i = 0; i < 8; ++i) d.b->handles[i] = hs[i];
    d.b->fail_at = fail;
    ASSERT_EQ(d.run([](Chain *c) { chain_body(c); }), 0) << "fail at " << fail;
    EXPECT_EQ(d.b->status[fail], SDRAD_FAULT_ABORT) << "fail at " << fail;
    for (int i = 1; i < fail; ++i) EXPECT_EQ(d.b->status[i], 0) << "level " << i;
    EXPECT_EQ(sdrad_depth(), 0);
  }
}

namespace {
// The block-allocation form of a nested call: the block comes from
// __sdrad_block_alloc inside the calling domain, which may write it.
void outer_with_block(Outer *o) {
  auto *ib = (Inner *)__sdrad_block_alloc(o->inner, sizeof(Inner));
  ib->crash = 0;
  o->after_inner = __sdrad_call(o->inner, inner_body, ib);
  o->depth_inside_inner = ib->depth;
  __sdrad_block_free(o->inner, ib);
}
}  // namespace

TEST(Nesting, BlockAllocatedInsideADomainIsCarriedIntoTheCallee) {
  InDomain<Outer> d(domain("nest.blockouter"));
  d.b->inner = domain("nest.blockinner");
  allow_nested_entry(inner_body, "nest.blockinner");
  ASSERT_EQ(d.run(outer_with_block), 0);
  EXPECT_EQ(d.b->after_inner, 0);
  EXPECT_EQ(d.b->depth_inside_inner, 2);
}
