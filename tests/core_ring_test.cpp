// sluice::core::ring: FIFO order, growth beyond the reserve, wrap-around,
// swap, move-only slots.
#include <cstddef>
#include <deque>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/core/ring.hpp"

namespace {

using sluice::core::ring;

std::vector<int> drain(ring<int>& r) {
  std::vector<int> out;
  while (!r.empty())
    out.push_back(r.pop_front());
  return out;
}

TEST(Ring, StartsEmpty) {
  ring<int> r;
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.size(), 0u);
  EXPECT_EQ(r.reserved(), 16u);
}

TEST(Ring, ReserveRoundsUpToAPowerOfTwoOfAtLeast16) {
  EXPECT_EQ(ring<int>{0}.reserved(), 16u);
  EXPECT_EQ(ring<int>{1}.reserved(), 16u);
  EXPECT_EQ(ring<int>{16}.reserved(), 16u);
  EXPECT_EQ(ring<int>{17}.reserved(), 32u);
  EXPECT_EQ(ring<int>{1000}.reserved(), 1024u);
  EXPECT_EQ(ring<int>{1024}.reserved(), 1024u);
}

TEST(Ring, FifoOrder) {
  ring<int> r{8};
  for (int i = 0; i < 10; ++i)
    r.push_back(i);
  EXPECT_EQ(r.size(), 10u);
  EXPECT_EQ(r.front(), 0);
  EXPECT_EQ(drain(r), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  EXPECT_TRUE(r.empty());
}

TEST(Ring, FrontIsMutable) {
  ring<int> r;
  r.push_back(1);
  r.front() = 7;
  EXPECT_EQ(r.pop_front(), 7);
}

TEST(Ring, GrowsBeyondReserveKeepingOrder) {
  ring<int> r{16};
  for (int i = 0; i < 100; ++i)
    r.push_back(i);
  EXPECT_EQ(r.size(), 100u);
  EXPECT_EQ(r.reserved(), 128u);
  auto out = drain(r);
  ASSERT_EQ(out.size(), 100u);
  for (int i = 0; i < 100; ++i)
    EXPECT_EQ(out[static_cast<std::size_t>(i)], i);
}

TEST(Ring, NoGrowthWithinReserve) {
  ring<int> r{32};
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 32; ++i)
      r.push_back(i);
    for (int i = 0; i < 32; ++i)
      ASSERT_EQ(r.pop_front(), i);
  }
  EXPECT_EQ(r.reserved(), 32u);
}

TEST(Ring, WrapsAround) {
  ring<int> r{16};
  int next_in = 0;
  int next_out = 0;
  // Keep 5 in flight while the head walks around the buffer many times.
  for (int i = 0; i < 5; ++i)
    r.push_back(next_in++);
  for (int i = 0; i < 200; ++i) {
    r.push_back(next_in++);
    ASSERT_EQ(r.pop_front(), next_out++);
  }
  EXPECT_EQ(r.reserved(), 16u);
  EXPECT_EQ(r.size(), 5u);
  while (!r.empty())
    ASSERT_EQ(r.pop_front(), next_out++);
  EXPECT_EQ(next_in, next_out);
}

TEST(Ring, GrowsWhileWrapped) {
  ring<int> r{16};
  for (int i = 0; i < 10; ++i)
    r.push_back(-1);
  for (int i = 0; i < 10; ++i)
    r.pop_front(); // head now at 10
  for (int i = 0; i < 40; ++i)
    r.push_back(i); // wraps, then grows twice
  EXPECT_EQ(r.size(), 40u);
  auto out = drain(r);
  for (int i = 0; i < 40; ++i)
    EXPECT_EQ(out[static_cast<std::size_t>(i)], i);
}

TEST(Ring, ForEachVisitsOldestToNewest) {
  ring<int> r{16};
  for (int i = 0; i < 12; ++i)
    r.push_back(i);
  for (int i = 0; i < 8; ++i)
    r.pop_front();
  for (int i = 12; i < 20; ++i)
    r.push_back(i); // wrapped
  std::vector<int> seen;
  r.for_each([&](int& x) { seen.push_back(x); });
  EXPECT_EQ(seen,
            (std::vector<int>{8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19}));
  r.for_each([](int& x) { x *= 10; });
  EXPECT_EQ(r.pop_front(), 80);
}

TEST(Ring, Swap) {
  ring<int> a{16};
  ring<int> b{64};
  for (int i = 0; i < 20; ++i)
    a.push_back(i); // grown to 32
  a.pop_front();
  b.push_back(100);
  a.swap(b);
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(a.reserved(), 64u);
  EXPECT_EQ(b.size(), 19u);
  EXPECT_EQ(b.reserved(), 32u);
  EXPECT_EQ(drain(a), (std::vector<int>{100}));
  auto rest = drain(b);
  ASSERT_EQ(rest.size(), 19u);
  EXPECT_EQ(rest.front(), 1);
  EXPECT_EQ(rest.back(), 19);
  // Both still work after the swap.
  a.push_back(1);
  b.push_back(2);
  EXPECT_EQ(a.pop_front(), 1);
  EXPECT_EQ(b.pop_front(), 2);
}

TEST(Ring, MoveOnlySlots) {
  ring<std::unique_ptr<int>> r{16};
  for (int i = 0; i < 50; ++i)
    r.push_back(std::make_unique<int>(i));
  for (int i = 0; i < 50; ++i) {
    auto p = r.pop_front();
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(*p, i);
  }
}

TEST(Ring, MatchesADequeUnderRandomOperations) {
  std::mt19937 rng{42};
  ring<int> r{16};
  std::deque<int> ref;
  int next = 0;
  for (int step = 0; step < 20000; ++step) {
    if (ref.empty() || rng() % 100 < 55) {
      r.push_back(next);
      ref.push_back(next++);
    } else {
      ASSERT_EQ(r.front(), ref.front());
      ASSERT_EQ(r.pop_front(), ref.front());
      ref.pop_front();
    }
    ASSERT_EQ(r.size(), ref.size());
  }
}

TEST(Ring, AbsurdReserveThrowsInsteadOfHanging) {
  // A reserve above the largest power of two a size_t holds cannot be
  // rounded up; it must fail, not loop forever.
  auto huge = std::numeric_limits<std::size_t>::max() - 3;
  EXPECT_THROW(ring<int>{huge}, std::length_error);
}

} // namespace
