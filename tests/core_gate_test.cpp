// sluice::core::admission_gate: the two values it derives for monitoring
// instead of counting them on the fast path. fast_total() (fast-path
// admissions) must be exact whenever no lock holder is inside a change, and
// high_watermark() must be the highest count the word ever held. First
// against a sequential model under random operations, then under threads: fast
// senders, a lock holder and a consumer racing, a reader checking that
// neither value ever goes backwards or misses what it must already include.
// sluice-test-timeout: 120
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core_support.hpp"
#include "runtime/core/counters.hpp"

namespace {

using sluice::core::admission_gate;
using sluice::core_test::guarded_thread;
using sluice::core_test::tsan_build;

/// A short busy wait (a CPU pause where there is one).
void spin_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

/// The gate's word as a plain model: the count includes released slots not
/// yet applied, exactly as the real word does.
struct gate_model {
  std::uint64_t count = 0;
  std::uint64_t limit = 0;
  std::uint64_t released = 0;
  std::uint64_t applied = 0;
  std::uint64_t fast = 0; // try_fast() successes
  std::uint64_t max = 0;  // highest count

  void grow(std::uint64_t n) {
    count += n;
    max = std::max(max, count);
  }
  void sync() {
    count -= released - applied;
    applied = released;
  }
  std::uint64_t depth() const {
    return count - (released - applied);
  }
};

TEST(AdmissionGate, DerivedValuesFollowTheModelUnderRandomOperations) {
  admission_gate g;
  gate_model m;
  std::mt19937_64 rng{20261203};
  auto pick = [&](std::uint64_t n) { return rng() % n; };
  for (int step = 0; step < 200000; ++step) {
    switch (pick(9)) {
      case 0:
      case 1:
      case 2: { // a fast sender
        auto got = g.try_fast();
        if (m.count < m.limit) {
          m.grow(1);
          ++m.fast;
          ASSERT_EQ(got, m.count) << "step " << step;
        } else {
          ASSERT_EQ(got, 0u) << "step " << step;
        }
        break;
      }
      case 3: { // the core reserves a slot against a bound
        auto bound = pick(40);
        m.sync();
        bool ok = m.count < bound;
        if (ok)
          m.grow(1);
        ASSERT_EQ(g.try_reserve(bound), ok) << "step " << step;
        break;
      }
      case 4: { // an unconditional admission (overcommit, held)
        auto n = 1 + pick(3);
        m.sync();
        m.grow(n);
        g.add(n);
        break;
      }
      case 5: { // handed out under the lock
        if (m.depth() == 0)
          break;
        auto n = 1 + pick(m.depth());
        m.count -= n;
        g.sub(n);
        break;
      }
      case 6: // the consumer starts a handler
        if (m.depth() == 0)
          break;
        ++m.released;
        g.release_one();
        break;
      case 7:
        m.sync();
        g.sync();
        break;
      case 8:
        if (pick(200) == 0) { // the mailbox closes (rarely)
          m.count = 0;
          m.limit = 0; // reset() closes the fast path
          m.applied = m.released;
          g.reset();
        } else {
          m.limit = pick(48);
          g.set_limit(m.limit);
        }
        break;
    }
    ASSERT_EQ(g.fast_total(), m.fast) << "step " << step;
    ASSERT_EQ(g.high_watermark(), m.max) << "step " << step;
    ASSERT_EQ(g.get(), m.depth()) << "step " << step;
  }
  EXPECT_GT(m.fast, 10000u); // the run exercised the fast path
  EXPECT_GT(m.max, 30u);     // and crossed more than one limit
}

TEST(AdmissionGate, ResetKeepsTheFastCountAndTheHighWatermark) {
  admission_gate g;
  g.set_limit(8);
  for (int i = 0; i < 5; ++i)
    ASSERT_NE(g.try_fast(), 0u);
  g.add(2);
  g.reset();
  EXPECT_EQ(g.get(), 0u);
  EXPECT_EQ(g.fast_total(), 5u);
  EXPECT_EQ(g.high_watermark(), 7u);
  EXPECT_EQ(g.try_fast(), 0u); // closed: limit 0
  g.set_limit(3);
  EXPECT_EQ(g.try_fast(), 1u);
  EXPECT_EQ(g.fast_total(), 6u);
  EXPECT_EQ(g.high_watermark(), 7u);
}

/// Threads: `senders` fast senders, one lock holder (the mutex is the
/// core's), one consumer releasing slots, one reader. Every admitted message
/// is later taken out again, by sub() under the lock or by release_one();
/// what is admitted is published in `admitted` after the admission, so the
/// lock holder never takes out more than the word holds.
TEST(AdmissionGate, ReadersNeverSeeTheDerivedValuesGoBackwards) {
  constexpr int senders = 2;
  const std::uint64_t per_sender = tsan_build ? 50000 : 1000000;
  constexpr std::uint64_t capacity = 64;

  admission_gate g;
  std::mutex core_mtx;
  {
    std::lock_guard<std::mutex> lock{core_mtx};
    g.set_limit(capacity);
  }
  // relaxed unless noted: test bookkeeping; each use says what it needs
  std::atomic<std::uint64_t> admitted{0};       // published after admission
  std::atomic<std::uint64_t> fast_published{0}; // try_fast() ones only
  std::atomic<std::uint64_t> taken{0};          // slots claimed for removal
  std::atomic<std::uint64_t> max_seen{0};       // highest try_fast() result
  std::atomic<int> senders_left{senders};
  std::atomic<bool> consumer_done{false};
  std::atomic<bool> reader_failed{false};
  std::atomic<bool> stop_reader{false};

  // claims one admitted, not yet removed message (test bookkeeping only)
  auto claim = [&] {
    auto t = taken.load(std::memory_order_relaxed);
    // acquire: the admission that was published is in the word
    while (t < admitted.load(std::memory_order_acquire))
      if (taken.compare_exchange_weak(t, t + 1, std::memory_order_relaxed))
        return true;
    return false;
  };

  std::vector<std::uint64_t> own(senders, 0);
  std::vector<std::unique_ptr<guarded_thread>> threads;
  for (int s = 0; s < senders; ++s)
    threads.push_back(std::make_unique<guarded_thread>([&, s] {
      std::uint64_t mine = 0;
      std::uint64_t high = 0;
      while (mine < per_sender) {
        auto d = g.try_fast();
        if (d == 0) {
          std::this_thread::yield();
          continue;
        }
        ++mine;
        high = std::max(high, d);
        // release (both): whoever reads the count finds the admission in
        // the word (the reader's lower bound, a claim)
        fast_published.fetch_add(1, std::memory_order_release);
        admitted.fetch_add(1, std::memory_order_release);
      }
      own[s] = mine;
      auto m = max_seen.load(std::memory_order_relaxed);
      while (m < high
             && !max_seen.compare_exchange_weak(m, high,
                                                std::memory_order_relaxed)) {
      }
      senders_left.fetch_sub(1, std::memory_order_release);
    }));

  // the lock holder: sub, sync, reservations, limit changes, until the
  // senders are done and everything admitted is out again
  threads.push_back(std::make_unique<guarded_thread>([&] {
    std::minstd_rand rng{7};
    for (;;) {
      bool done = senders_left.load(std::memory_order_acquire) == 0;
      std::unique_lock<std::mutex> lock{core_mtx};
      // mostly removals: a reservation takes the slot its sync() just
      // freed, so frequent ones would starve the fast senders
      auto op = rng() % 16;
      if (op < 8) {
        if (claim())
          g.sub();
      } else if (op < 12) {
        g.sync();
      } else if (op == 12) {
        if (g.try_reserve(capacity)) {
          // release: published like a fast admission
          admitted.fetch_add(1, std::memory_order_release);
        }
      } else if (op == 13) {
        g.set_limit(rng() % 2 == 0 ? capacity : capacity / 2);
      } else {
        lock.unlock();
        std::this_thread::yield(); // 2 cores: let the others run
        lock.lock();
      }
      // acquire: the consumer's last release_one() is visible to sync()
      if (done && consumer_done.load(std::memory_order_acquire)
          && taken.load(std::memory_order_relaxed)
               == admitted.load(std::memory_order_acquire)) {
        g.set_limit(capacity);
        g.sync();
        return;
      }
    }
  }));

  // the consumer: single writer of released slots
  threads.push_back(std::make_unique<guarded_thread>([&] {
    while (senders_left.load(std::memory_order_acquire) != 0) {
      if (claim())
        g.release_one();
      else
        std::this_thread::yield();
    }
    consumer_done.store(true, std::memory_order_release);
  }));

  // the reader (the stall supervisor's position): no lock
  std::uint64_t reads = 0;
  guarded_thread reader{[&] {
    std::uint64_t last_fast = 0;
    std::uint64_t last_hwm = 0;
    while (!stop_reader.load(std::memory_order_relaxed)) {
      // acquire: the fast admissions published so far are in the word, so
      // fast_total() read after this must include them
      auto lower = fast_published.load(std::memory_order_acquire);
      auto f = g.fast_total();
      auto h = g.high_watermark();
      if (f < last_fast || f < lower || f > senders * per_sender || h < last_hwm
          || h > capacity) {
        reader_failed.store(true, std::memory_order_relaxed);
        ADD_FAILURE() << "fast_total " << last_fast << " -> " << f
                      << " (published " << lower << "), high_watermark "
                      << last_hwm << " -> " << h;
        return;
      }
      last_fast = f;
      last_hwm = h;
      ++reads;
      std::this_thread::yield(); // 2 cores: leave the writers room
    }
  }};

  for (auto& t : threads)
    ASSERT_TRUE(t->finished_within(std::chrono::seconds{60}))
      << "a gate thread did not finish";
  stop_reader.store(true, std::memory_order_relaxed);
  ASSERT_TRUE(reader.finished_within(std::chrono::seconds{10}));
  EXPECT_FALSE(reader_failed.load());
  EXPECT_GT(reads, 100u); // the reader did race with the writers

  std::uint64_t fast = 0;
  for (auto n : own)
    fast += n;
  EXPECT_EQ(fast, senders * per_sender);
  EXPECT_EQ(g.fast_total(), fast);
  EXPECT_EQ(g.get(), 0u);
  auto hwm = g.high_watermark();
  EXPECT_GE(hwm, max_seen.load());
  EXPECT_LE(hwm, capacity);
  EXPECT_GT(max_seen.load(), 1u); // the senders did overlap the consumers
}

/// A lock holder climbs a staircase (add(2), then sub(1)), so every sub()
/// replaces a brand-new peak. A reader without the lock must never see the
/// high watermark go backwards or below the peak published before its read.
/// Catches a decrement that records the peak after its CAS, and a reader
/// that loads hwm_ before the word.
TEST(AdmissionGate, HighWatermarkHoldsEachPeakThatADecrementReplaces) {
  const std::uint64_t steps = tsan_build ? 100000 : 2000000;
  admission_gate g;
  // relaxed unless noted: test bookkeeping
  std::atomic<std::uint64_t> peak{0};
  std::atomic<bool> done{false};
  std::atomic<bool> failed{false};
  guarded_thread reader{[&] {
    std::uint64_t last = 0;
    while (!done.load(std::memory_order_relaxed)) {
      // acquire: the peak published below is in the word or in hwm_
      auto lower = peak.load(std::memory_order_acquire);
      auto h = g.high_watermark();
      if (h < last || h < lower) {
        failed.store(true, std::memory_order_relaxed);
        ADD_FAILURE() << "high_watermark " << last << " -> " << h
                      << " (peak published before the read: " << lower << ")";
        return;
      }
      last = h;
    }
  }};
  guarded_thread holder{[&] {
    for (std::uint64_t i = 0;
         i < steps && !failed.load(std::memory_order_relaxed); ++i) {
      g.add(2); // count i + 2: a new peak
      // release: the reader that sees this finds the peak in the gate
      peak.store(i + 2, std::memory_order_release);
      g.sub(1); // replaces the peak
    }
    done.store(true, std::memory_order_relaxed);
  }};
  ASSERT_TRUE(holder.finished_within(std::chrono::seconds{60}));
  ASSERT_TRUE(reader.finished_within(std::chrono::seconds{10}));
  EXPECT_FALSE(failed.load());
  EXPECT_EQ(g.high_watermark(), steps + 1);
}

/// A decrement races with the fast admission that makes a new peak, so its
/// CAS fails and retries from the new count. After each round, with nobody
/// in the gate, the watermark must be the true maximum. Catches a decrement
/// that records only the count it first loaded.
TEST(AdmissionGate, DecrementRetryRecordsThePeakItRacedWith) {
  const int rounds = tsan_build ? 20000 : 200000;
  admission_gate g;
  g.set_limit(admission_gate::max_limit);
  std::atomic<int> go{0}; // round to run; -1: the test gave up
  std::atomic<int> done{0};
  std::atomic<std::uint64_t> result{0};
  guarded_thread sender{[&] {
    for (int r = 1; r <= rounds; ++r) {
      // acquire: pairs with the lock holder's release of round r
      for (int g_r; (g_r = go.load(std::memory_order_acquire)) != r;)
        if (g_r < 0)
          return;
      // relaxed: published by the release store of done
      result.store(g.try_fast(), std::memory_order_relaxed);
      done.store(r, std::memory_order_release);
    }
  }};
  // an ASSERT below returns early: release the sender before joining it
  struct give_up {
    std::atomic<int>& go;
    ~give_up() {
      go.store(-1, std::memory_order_release); // release: see the sender
    }
  } stop{go};
  std::uint64_t truth = 0;
  std::uint64_t count = 0;
  int mismatches = 0;
  for (int r = 1; r <= rounds; ++r) {
    g.add(1);
    truth = std::max(truth, ++count);
    go.store(r, std::memory_order_release); // release: round r may start
    for (int k = r % 32; k > 0; --k)        // sweep the timing
      spin_pause();
    g.sub(1);
    // acquire: the sender's result of round r
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{30};
    while (done.load(std::memory_order_acquire) != r)
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "round " << r;
    auto d = result.load(std::memory_order_relaxed);
    ASSERT_NE(d, 0u) << "round " << r;
    truth = std::max(truth, d); // the count is back to `count` (+1 -1)
    if (g.high_watermark() != truth && ++mismatches == 1)
      ADD_FAILURE() << "round " << r << ": high_watermark "
                    << g.high_watermark() << ", true maximum " << truth;
  }
  ASSERT_TRUE(sender.finished_within(std::chrono::seconds{10}));
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(g.fast_total(), static_cast<std::uint64_t>(rounds));
}

} // namespace
