// mailbox_core's lock-free inbox under real threads. The inbox is an
// intrusive MPSC FIFO list (Vyukov style, no stub node): a sender appends
// with one exchange of tail_ and then either links its predecessor or, when
// the inbox was empty, stamps the arrival time and publishes head_; lock
// holders take from head_ and detach the last message with a CAS of tail_.
// The ring (slow path) holds older messages: every push into it first moves
// the inbox into it.
//
// These tests aim at that protocol: exact per-sender FIFO and exactly-once
// delivery while the inbox drains to empty all the time (CAS-detach of the
// last message against the first sender's head_ publication), FIFO across
// the fast path and the ring, close() racing with fast senders (popped,
// discarded by close() or collected by take_late(), exactly once), no lost
// wake-up, and the monitoring stamp.
//
// Two seams make the windows inside a push wide (they simulate a sender
// preempted mid-push; nothing in the core is changed):
// - stall_link, a Link policy whose set_next_release() (the one step
//   between a sender's exchange and the end of its push when the inbox was
//   not empty) can sleep now and then, or wait at a gate for one chosen
//   message;
// - a clock_gettime() interposed in this executable: a thread that armed it
//   waits at the gate in its next CLOCK_MONOTONIC_COARSE read, which on the
//   fast path happens only between the exchange that found the inbox empty
//   and the publication of head_.
// Every gate wait and every thread is bounded; a failure cannot hang.
// sluice-test-timeout: 300
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif

#include <dlfcn.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core_support.hpp"

// -- seams ----------------------------------------------------------------------

namespace inbox_seam {

// stall_link: sleep before linking every n-th message of a sender (0: never)
std::atomic<int> jitter_every{0};
// stall_link: the message (sender, seq) whose link waits for the gate
std::atomic<int> gate_sender{-1};
std::atomic<int> gate_seq{-1};
std::atomic<bool> link_gate_hit{false};
// this thread waits at the gate in its next coarse clock read
thread_local bool clock_armed = false;
std::atomic<bool> clock_gate_hit{false};
std::atomic<bool> gate_open{true};

/// Waits until the gate opens; bounded (10 s) so a test that fails before
/// opening it cannot hang. nanosleep only: no clock read in here.
inline void wait_at_gate() {
  for (int i = 0; i < 20000 && !gate_open.load(std::memory_order_acquire); ++i)
    std::this_thread::sleep_for(std::chrono::microseconds{500});
}

inline void reset() {
  // relaxed: set between tests, before any thread that reads them starts
  jitter_every.store(0, std::memory_order_relaxed);
  gate_sender.store(-1, std::memory_order_relaxed);
  gate_seq.store(-1, std::memory_order_relaxed);
  link_gate_hit.store(false, std::memory_order_relaxed);
  clock_gate_hit.store(false, std::memory_order_relaxed);
  gate_open.store(true, std::memory_order_release);
}

inline void before_link(const sluice::core_test::node& n) {
  // relaxed: the gate target is set before the sender thread starts
  if (n.sender == gate_sender.load(std::memory_order_relaxed)
      && n.seq == gate_seq.load(std::memory_order_relaxed)) {
    link_gate_hit.store(true, std::memory_order_release); // pairs: tests
    wait_at_gate();
    return;
  }
  auto every = jitter_every.load(std::memory_order_relaxed);
  if (every > 0 && n.seq % every == every - 1)
    std::this_thread::sleep_for(std::chrono::microseconds{20});
}

using clock_fn = int (*)(clockid_t, struct timespec*);

inline clock_fn real_clock_gettime() {
  static const clock_fn fn = [] {
    void* sym = dlsym(RTLD_NEXT, "clock_gettime");
    clock_fn f = nullptr;
    static_assert(sizeof(f) == sizeof(sym), "function pointer size");
    std::memcpy(&f, &sym, sizeof(f));
    return f;
  }();
  return fn;
}

} // namespace inbox_seam

/// Interposed for this test executable only (see the top of the file).
extern "C" int clock_gettime(clockid_t clk, struct timespec* tp) noexcept {
  if (clk == CLOCK_MONOTONIC_COARSE && inbox_seam::clock_armed) {
    inbox_seam::clock_armed = false;
    // release: pairs with the test's acquire load
    inbox_seam::clock_gate_hit.store(true, std::memory_order_release);
    inbox_seam::wait_at_gate();
  }
  if (auto f = inbox_seam::real_clock_gettime())
    return f(clk, tp);
  return static_cast<int>(syscall(SYS_clock_gettime, clk, tp));
}

namespace {

using namespace sluice;
using namespace sluice::core_test;

/// Generous: only a lost wake-up or a deadlock exhausts it.
constexpr auto long_wait = std::chrono::seconds{20};

/// Message counts shrink under ThreadSanitizer (about 10x slower).
constexpr int scaled(int n) {
  return tsan_build ? n / 4 : n;
}

/// member_link plus a hook between a sender's exchange and its link.
struct stall_link {
  static void set_next(node* x, node* n) noexcept {
    x->next = n;
  }
  static node* next_acquire(node* x) noexcept {
    return __atomic_load_n(&x->next, __ATOMIC_ACQUIRE);
  }
  static void set_next_release(node* x, node* n) noexcept {
    inbox_seam::before_link(*n);
    __atomic_store_n(&x->next, n, __ATOMIC_RELEASE);
  }
};

using stall_core
  = core::mailbox_core<node, int, std::default_delete<node>, stall_link>;

/// Disposes effects as the CAF layer does; @returns messages handed back or
/// evicted (not delivered).
template <class Fx>
long dispose(Fx& fx) {
  long lost = 0;
  for (auto* w : fx.parked_done) {
    if (w->st != Fx::value_type_hint::admitted) {
      delete w->elem;
      ++lost;
    }
    delete w;
  }
  fx.parked_done.clear();
  for (auto* e : fx.evicted) {
    delete e;
    ++lost;
  }
  fx.evicted.clear();
  for (auto& l : fx.writable)
    l->writable();
  fx.writable.clear();
  return lost;
}

} // namespace

// effects has no alias for its waiter state: give dispose() one per core.
namespace {

template <class Core>
struct fx_of : Core::effects {
  using value_type_hint = typename Core::waiter::state;
};

// -- the consumer -----------------------------------------------------------------

enum class order_check : std::uint8_t {
  per_sender, ///< each sender's seq is 0, 1, 2, ... exactly
  global,     ///< seq increases strictly across all senders
};

/// A sluice actor's drain protocol against the core: a drain token (an
/// offer's `schedule`) starts a pass; a pass takes batches (pop_batch up to
/// 16, start_one before each message) or single messages (pop) until none,
/// then finish_drain(); "more" runs another pass at once. Checks the order
/// of every message it takes and deletes it.
template <class Core>
class drain_consumer {
public:
  drain_consumer(Core& c, int senders, bool batch,
                 order_check check = order_check::per_sender)
    : core_(c), batch_(batch), check_(check),
      next_(static_cast<std::size_t>(senders), 0),
      popped_by_(static_cast<std::size_t>(senders), 0) {}

  /// A sender got `schedule`.
  void post() {
    // release: pairs with run()'s acquire loads
    tokens_.fetch_add(1, std::memory_order_release);
  }

  /// Runs passes until `running` senders are done and no token is left.
  void run(const std::atomic<int>& running) {
    auto deadline = std::chrono::steady_clock::now() + long_wait;
    // acquire: pairs with the senders' release decrement and token posts
    while (running.load(std::memory_order_acquire) > 0
           || tokens_.load(std::memory_order_acquire) > 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        timed_out = true;
        return;
      }
      if (tokens_.load(std::memory_order_acquire) == 0) {
        std::this_thread::yield();
        continue;
      }
      tokens_.fetch_sub(1, std::memory_order_acq_rel);
      while (pass()) {
        if (std::chrono::steady_clock::now() > deadline) {
          timed_out = true;
          return;
        }
      }
      ++idles; // finish_drain() said idle: the next offer schedules
    }
  }

  /// One drain pass; @returns what finish_drain() returned.
  bool pass() {
    ++passes;
    long got = 0;
    fx_of<Core> fx;
    if (batch_) {
      node* batch[16];
      bool counted = false;
      for (;;) {
        auto n = core_.pop_batch(batch, 16, &counted, fx);
        lost += dispose(fx);
        if (n == 0)
          break;
        for (std::size_t i = 0; i < n; ++i) {
          if (counted)
            core_.start_one();
          take(batch[i]);
          ++got;
        }
      }
    } else {
      while (auto* x = core_.pop(fx)) {
        lost += dispose(fx);
        take(x);
        ++got;
      }
      lost += dispose(fx);
    }
    if (got == 0)
      ++empty_passes;
    auto more = core_.finish_drain(fx);
    lost += dispose(fx);
    return more;
  }

  long popped(int sender) const {
    return popped_by_[static_cast<std::size_t>(sender)];
  }

  long total = 0;
  long out_of_order = 0;
  long passes = 0;
  long empty_passes = 0; // a pass that found nothing (or only a gap)
  long idles = 0;        // finish_drain() said idle
  long lost = 0;         // handed back / evicted through effects
  bool timed_out = false;
  std::string first_disorder;

private:
  void take(node* x) {
    auto s = static_cast<std::size_t>(x->sender);
    bool ok = check_ == order_check::per_sender ? x->seq == next_[s]
                                                : x->seq > last_global_;
    if (!ok) {
      if (out_of_order == 0) {
        std::ostringstream os;
        os << "sender " << x->sender << " seq " << x->seq << " expected "
           << (check_ == order_check::per_sender ? next_[s] : last_global_ + 1);
        first_disorder = os.str();
      }
      ++out_of_order;
    }
    next_[s] = x->seq + 1;
    last_global_ = std::max(last_global_, x->seq);
    ++popped_by_[s];
    ++total;
    delete x;
  }

  Core& core_;
  bool batch_;
  order_check check_;
  std::vector<int> next_;
  std::vector<long> popped_by_;
  int last_global_ = -1;
  std::atomic<int> tokens_{0};
};

/// Checks at quiescence that the consumer really went idle (a new offer
/// must schedule it), then pops that message back. Also: nothing waits, so
/// the monitoring stamps are 0.
template <class Core>
void expect_idle_and_empty(Core& core) {
  auto& s = core.stats();
  EXPECT_EQ(s.depth.get(), 0u);
  EXPECT_EQ(s.inbox_since_ns.get(), 0u) << "inbox stamp left behind";
  EXPECT_EQ(s.oldest_enq_ns.get(), 0u) << "ring stamp left behind";
  EXPECT_EQ(s.oldest_arrival_ns(), 0u);
  auto* probe = new node{0, -1};
  auto res = core.offer(probe, sender_kind::unmanaged, nullptr);
  EXPECT_EQ(res.status, admit::accepted);
  EXPECT_TRUE(res.schedule)
    << "the consumer went idle, but the flag says a pass is pending";
  fx_of<Core> fx;
  node* out[2] = {};
  bool counted = false;
  auto n = core.pop_batch(out, 2, &counted, fx);
  EXPECT_EQ(n, 1u) << "the probe (and nothing else) was queued";
  dispose(fx);
  for (std::size_t i = 0; i < n; ++i) {
    if (counted)
      core.start_one();
    delete out[i];
  }
  if (n == 0) { // stay leak-free when the check failed: close collects it
    std::vector<node*> rest;
    core.close(fx, rest);
    core.take_late(rest);
    for (auto* x : rest)
      delete x;
    dispose(fx);
  }
  EXPECT_FALSE(core.finish_drain(fx));
  dispose(fx);
}

// -- fixtures ---------------------------------------------------------------------

/// Bounds a whole test: the bounded waits above report a lost wake-up or a
/// stuck sender, but a thread spinning inside the core (a lock holder
/// waiting for a link that never comes) cannot be released, and joining it
/// would hang. After `bound` the watchdog reports the test and aborts.
class watchdog {
public:
  explicit watchdog(std::chrono::seconds bound) {
    auto* info = testing::UnitTest::GetInstance()->current_test_info();
    name_ = info != nullptr
              ? std::string{info->test_suite_name()} + "." + info->name()
              : "?";
    thread_ = std::thread{[this, bound] {
      std::unique_lock<std::mutex> guard{mtx_};
      if (!cv_.wait_for(guard, bound, [this] { return done_; })) {
        std::cerr << "FATAL: " << name_ << " still running after "
                  << bound.count()
                  << " s: deadlock or livelock (a thread stuck in the core)"
                  << std::endl;
        std::abort();
      }
    }};
  }
  watchdog(const watchdog&) = delete;
  watchdog& operator=(const watchdog&) = delete;
  ~watchdog() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

private:
  std::string name_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

/// leak_checked, bounded by a watchdog.
class watched : public leak_checked {
protected:
  void SetUp() override {
    leak_checked::SetUp();
    dog_ = std::make_unique<watchdog>(std::chrono::seconds{90});
  }
  void TearDown() override {
    dog_.reset();
    leak_checked::TearDown();
  }

private:
  std::unique_ptr<watchdog> dog_;
};

// -- typed fixture: the production link, and the stalling one ------------------

struct plain_inbox {
  using core = core_type;
  static constexpr int jitter = 0;
};
struct stalling_inbox {
  using core = stall_core;
  static constexpr int jitter = 16; // a sender "preempted" every 16th link
};

struct inbox_names {
  template <class T>
  static std::string GetName(int) {
    return std::is_same<T, plain_inbox>::value ? "plain" : "stalling";
  }
};

template <class V>
class Inbox : public watched {
protected:
  void SetUp() override {
    watched::SetUp();
    inbox_seam::reset();
    // relaxed: before any thread starts
    inbox_seam::jitter_every.store(V::jitter, std::memory_order_relaxed);
  }
  void TearDown() override {
    inbox_seam::reset();
    watched::TearDown();
  }
};

using inbox_variants = testing::Types<plain_inbox, stalling_inbox>;
TYPED_TEST_SUITE(Inbox, inbox_variants, inbox_names);

/// Sends `count` messages as `id`; `slow(seq)` picks park() (the mutex
/// path, admitted at once while there is room) instead of offer().
template <class Core, class Slow>
void send_mixed(Core& core, drain_consumer<Core>& c, int id, int count,
                sender_kind who, Slow slow, std::atomic<long>& refused,
                bool sleepy) {
  int key = 0;
  for (int seq = 0; seq < count; ++seq) {
    auto* x = new node{id, seq};
    typename Core::offer_result res;
    if (slow(seq))
      res = core.park(x, &key, id);
    else
      res = core.offer(x, who, &key, long_wait);
    if (res.schedule)
      c.post();
    if (!core::taken(res.status)) {
      refused.fetch_add(1, std::memory_order_relaxed); // read after join
      delete x;
    }
    EXPECT_FALSE(res.late);
    EXPECT_EQ(res.evicted, nullptr);
    // bursts: the consumer catches up, the inbox empties (a yield is not
    // enough under ThreadSanitizer's scheduling: sleepy senders nap)
    if (sleepy && seq % 16 == 15)
      std::this_thread::sleep_for(std::chrono::microseconds{20});
    else if (seq % 8 == 7)
      std::this_thread::yield();
  }
}

/// Runs `senders` sender threads and one consumer; checks exact per-sender
/// order, exactly-once delivery and the idle state at the end.
template <class Core, class Slow>
void run_senders(Core& core, int senders, int count, sender_kind who,
                 bool batch, Slow slow, drain_consumer<Core>* out = nullptr,
                 bool sleepy = false) {
  drain_consumer<Core> c{core, senders, batch};
  std::atomic<int> running{senders};
  std::atomic<long> refused{0};
  std::vector<std::unique_ptr<guarded_thread>> ts;
  guarded_thread cons{[&] { c.run(running); }};
  for (int id = 0; id < senders; ++id)
    ts.push_back(std::make_unique<guarded_thread>([&, id] {
      send_mixed(core, c, id, count, who, slow, refused, sleepy);
      running.fetch_sub(1, std::memory_order_release); // pairs: run()
    }));
  for (auto& th : ts)
    ASSERT_TRUE(th->finished_within(std::chrono::seconds{60}));
  ASSERT_TRUE(cons.finished_within(std::chrono::seconds{60}));
  EXPECT_FALSE(c.timed_out) << "lost wake-up or livelock";
  EXPECT_EQ(refused.load(), 0);
  EXPECT_EQ(c.lost, 0);
  EXPECT_EQ(c.out_of_order, 0) << "first: " << c.first_disorder;
  for (int id = 0; id < senders; ++id)
    EXPECT_EQ(c.popped(id), count)
      << "sender " << id << ": lost or duplicated messages";
  EXPECT_EQ(core.stats().dequeued.get(),
            static_cast<std::uint64_t>(senders) * count);
  EXPECT_TRUE(identities_hold(core.stats()));
  expect_idle_and_empty(core);
  if (out != nullptr) {
    out->total = c.total;
    out->passes = c.passes;
    out->empty_passes = c.empty_passes;
    out->idles = c.idles;
  }
}

// -- (a) fast senders, inbox draining to empty all the time ----------------------

TYPED_TEST(Inbox, FastSendersExactFifoEveryMessageOnce) {
  using core_t = typename TypeParam::core;
  constexpr int senders = 3;
  const int count = scaled(20000);
  for (bool batch : {true, false}) {
    SCOPED_TRACE(batch ? "pop_batch consumer" : "pop consumer");
    // never full: every message takes the fast path
    core_t core{cfg(mailbox::block(1u << 16))};
    drain_consumer<core_t> info{core, senders, batch};
    run_senders(
      core, senders, count, sender_kind::unmanaged, batch,
      [](int) { return false; }, &info, true);
    EXPECT_EQ(core.stats().fast_admitted.get(),
              static_cast<std::uint64_t>(senders) * count + 1)
      << "every message (and the probe) took the fast path";
    // the race under test: the consumer went idle on an empty inbox often
    EXPECT_GT(info.idles, 10) << "the inbox never drained: test too weak";
    std::cout << "[ info     ] " << (batch ? "batch" : "pop")
              << ": passes=" << info.passes
              << " empty_passes=" << info.empty_passes
              << " idles=" << info.idles << "\n";
  }
}

/// Blocked threads (a small block mailbox): senders alternate between the
/// fast path and waiting in the FIFO, admitted by the consumer into the
/// ring (push_locked moves the inbox first).
TYPED_TEST(Inbox, BlockingThreadsAlternatePathsExactFifo) {
  using core_t = typename TypeParam::core;
  core_t core{cfg(mailbox::block(8))};
  run_senders(core, 3, scaled(12000), sender_kind::thread, true,
              [](int) { return false; });
  EXPECT_GT(core.stats().blocked_total.get(), 0u) << "never full";
}

// -- (b) fast senders racing with pushes into the ring -----------------------------

/// Each sender mixes offer() (fast path) and park() (mutex path, admitted
/// at once: always room): per-sender order must hold across both paths.
TYPED_TEST(Inbox, FastAndSlowPushesKeepPerSenderFifo) {
  using core_t = typename TypeParam::core;
  core_t core{cfg(mailbox::block(1u << 16))};
  constexpr int senders = 3;
  const int count = scaled(20000);
  run_senders(core, senders, count, sender_kind::unmanaged, true,
              [](int seq) { return (seq * 7) % 5 < 2; });
  auto& s = core.stats();
  auto slow = s.accepted.get() - s.fast_admitted.get();
  EXPECT_EQ(slow, static_cast<std::uint64_t>(senders) * (count * 2 / 5));
}

/// Self-sends into a tiny mailbox: fast while depth < 4, over capacity
/// through the mutex (self_over) while full, so every sender keeps
/// switching paths under load.
TYPED_TEST(Inbox, SelfSendsOverCapacityKeepPerSenderFifo) {
  using core_t = typename TypeParam::core;
  core_t core{cfg(mailbox::block(4))};
  run_senders(core, 3, scaled(20000), sender_kind::self, true,
              [](int) { return false; });
  auto& s = core.stats();
  EXPECT_GT(s.self_overcapacity.get(), 0u) << "never took the slow path";
  EXPECT_GT(s.fast_admitted.get(), 1u) << "never took the fast path";
}

/// Two senders take turns (each send happens-before the other's next one)
/// and choose the path per message: the consumer must see the global
/// sequence in order, whichever path each message took.
TYPED_TEST(Inbox, HappensBeforeOrderHoldsAcrossPaths) {
  using core_t = typename TypeParam::core;
  core_t core{cfg(mailbox::block(1u << 16))};
  const int count = scaled(8000);
  drain_consumer<core_t> c{core, 2, true, order_check::global};
  std::atomic<int> running{2};
  std::atomic<int> turn{0}; // the next global seq to send
  std::atomic<bool> stuck{false};
  guarded_thread cons{[&] { c.run(running); }};
  std::vector<std::unique_ptr<guarded_thread>> ts;
  for (int id = 0; id < 2; ++id)
    ts.push_back(std::make_unique<guarded_thread>([&, id] {
      int key = 0;
      auto deadline = std::chrono::steady_clock::now() + long_wait;
      for (int k = id; k < count; k += 2) {
        // acquire: the other sender's send happens-before this one
        while (turn.load(std::memory_order_acquire) != k) {
          if (stuck.load(std::memory_order_relaxed)
              || std::chrono::steady_clock::now() > deadline) {
            stuck.store(true, std::memory_order_relaxed);
            running.fetch_sub(1, std::memory_order_release);
            return;
          }
          std::this_thread::yield();
        }
        auto* x = new node{id, k};
        bool slow = (k * 7) % 3 == 0;
        auto res = slow ? core.park(x, &key, id)
                        : core.offer(x, sender_kind::unmanaged, &key);
        EXPECT_EQ(res.status, admit::accepted);
        if (res.schedule)
          c.post();
        turn.store(k + 1, std::memory_order_release); // pairs above
      }
      running.fetch_sub(1, std::memory_order_release); // pairs: run()
    }));
  for (auto& th : ts)
    ASSERT_TRUE(th->finished_within(std::chrono::seconds{60}));
  ASSERT_TRUE(cons.finished_within(std::chrono::seconds{60}));
  EXPECT_FALSE(stuck.load()) << "the relay stalled";
  EXPECT_FALSE(c.timed_out) << "lost wake-up";
  EXPECT_EQ(c.out_of_order, 0) << "first: " << c.first_disorder;
  EXPECT_EQ(c.total, count);
  expect_idle_and_empty(core);
}

// -- (c) close() racing with fast senders and the consumer ---------------------------

/// Senders on the fast path, a batch consumer and close() from a third
/// thread at a different point each round. Every message must end exactly
/// once: popped, refused (closed), discarded by close() or collected by
/// take_late() after its sender saw `late`; nothing may be left for a final
/// take_late() (a late sender always collects its own message).
TYPED_TEST(Inbox, CloseRacingWithSendersAccountsEveryMessageOnce) {
  using core_t = typename TypeParam::core;
  constexpr int senders = 3;
  const int count = scaled(4000);
  const int rounds = tsan_build ? 6 : 20;
  long total_late = 0;
  long total_late_seen = 0;
  for (int round = 0; round < rounds; ++round) {
    SCOPED_TRACE(round);
    core_t core{cfg(mailbox::drop_newest(1u << 16))};
    enum : int { popped, refused, discarded, late, kinds };
    // outcome counts per message id (sender * count + seq)
    std::vector<std::atomic<int>> ledger(
      static_cast<std::size_t>(senders * count * kinds));
    auto note = [&](const node* x, int how) {
      auto i = (static_cast<std::size_t>(x->sender) * count
                + static_cast<std::size_t>(x->seq))
                 * kinds
               + static_cast<std::size_t>(how);
      ledger[i].fetch_add(1, std::memory_order_relaxed); // read after join
    };
    std::atomic<bool> closed{false};
    std::atomic<long> late_seen{0};
    std::vector<std::unique_ptr<guarded_thread>> ts;
    for (int id = 0; id < senders; ++id)
      ts.push_back(std::make_unique<guarded_thread>([&, id] {
        for (int seq = 0; seq < count; ++seq) {
          auto* x = new node{id, seq};
          auto res = core.offer(x, sender_kind::unmanaged, nullptr);
          if (!core::taken(res.status)) {
            note(x, refused);
            delete x;
          }
          if (res.late) {
            late_seen.fetch_add(1, std::memory_order_relaxed);
            std::vector<node*> v;
            core.take_late(v);
            for (auto* y : v) {
              note(y, late);
              delete y;
            }
          }
        }
      }));
    guarded_thread consumer{[&] {
      auto deadline = std::chrono::steady_clock::now() + long_wait;
      fx_of<core_t> fx;
      node* batch[16];
      bool counted = false;
      // acquire: pairs with the release store after close() returned
      while (!closed.load(std::memory_order_acquire)) {
        if (std::chrono::steady_clock::now() > deadline)
          return;
        auto n = core.pop_batch(batch, 16, &counted, fx);
        dispose(fx);
        for (std::size_t i = 0; i < n; ++i) {
          if (counted)
            core.start_one();
          note(batch[i], popped);
          delete batch[i];
        }
        if (n == 0) {
          (void)core.finish_drain(fx);
          dispose(fx);
          std::this_thread::yield();
        }
      }
    }};
    // close at a different point each round
    auto target = static_cast<std::uint64_t>(round) * count * senders
                  / static_cast<std::uint64_t>(rounds);
    EXPECT_TRUE(eventually(
      [&] { return core.stats().accepted.get() >= target; }, long_wait));
    fx_of<core_t> fx;
    std::vector<node*> gone;
    core.close(fx, gone);
    dispose(fx);
    closed.store(true, std::memory_order_release);
    for (auto* x : gone) {
      note(x, discarded);
      delete x;
    }
    for (auto& th : ts)
      ASSERT_TRUE(th->finished_within());
    ASSERT_TRUE(consumer.finished_within());
    std::vector<node*> rest;
    core.take_late(rest);
    EXPECT_TRUE(rest.empty())
      << rest.size() << " late message(s) nobody collected";
    for (auto* x : rest) {
      note(x, discarded);
      delete x;
    }
    long n[kinds] = {};
    long bad = 0;
    for (int id = 0; id < senders * count; ++id) {
      int sum = 0;
      for (int k = 0; k < kinds; ++k) {
        auto v = ledger[static_cast<std::size_t>(id * kinds + k)].load();
        n[k] += v;
        sum += v;
      }
      if (sum != 1 && bad++ == 0)
        ADD_FAILURE() << "message " << id / count << ":" << id % count
                      << " ended " << sum << " times";
    }
    EXPECT_EQ(bad, 0);
    auto& s = core.stats();
    EXPECT_EQ(static_cast<long>(s.dequeued.get()), n[popped]);
    EXPECT_EQ(static_cast<long>(s.closed.get()), n[refused]);
    EXPECT_EQ(static_cast<long>(s.discarded_on_exit.get()),
              n[discarded] + n[late]);
    EXPECT_EQ(s.inbox_since_ns.get(), 0u);
    EXPECT_EQ(s.oldest_arrival_ns(), 0u);
    total_late += n[late];
    total_late_seen += late_seen.load();
  }
  std::cout << "[ info     ] late messages collected by take_late: "
            << total_late << " (senders told late: " << total_late_seen
            << ")\n";
}

// -- deterministic gaps: a sender "preempted" inside its push ------------------------

using InboxGap = watched;

/// Opens the gate when leaving scope (a failing test must not leave a
/// thread waiting at it).
struct gate_guard {
  gate_guard() {
    inbox_seam::reset();
    inbox_seam::gate_open.store(false, std::memory_order_release);
  }
  ~gate_guard() {
    inbox_seam::reset();
  }
  static void open() {
    inbox_seam::gate_open.store(true, std::memory_order_release);
  }
};

template <class Core>
std::vector<std::pair<int, int>> pop_all(Core& core) {
  std::vector<std::pair<int, int>> got;
  fx_of<Core> fx;
  node* batch[16];
  bool counted = false;
  while (auto n = core.pop_batch(batch, 16, &counted, fx)) {
    dispose(fx);
    for (std::size_t i = 0; i < n; ++i) {
      if (counted)
        core.start_one();
      got.emplace_back(batch[i]->sender, batch[i]->seq);
      delete batch[i];
    }
  }
  dispose(fx);
  EXPECT_FALSE(core.finish_drain(fx));
  dispose(fx);
  return got;
}

using ids = std::vector<std::pair<int, int>>;

/// Sender 1 stalls between its exchange and linking sender 0's message: the
/// consumer cannot take either yet, and must not go idle unless sender 1
/// will wake it; once sender 1 links, both arrive in order.
TEST_F(InboxGap, ConsumerIsNotLostWhileASenderIsBetweenExchangeAndLink) {
  gate_guard gate;
  inbox_seam::gate_sender.store(1, std::memory_order_relaxed);
  inbox_seam::gate_seq.store(0, std::memory_order_relaxed);
  stall_core core{cfg(mailbox::block(64))};
  auto r0 = core.offer(new node{0, 0}, sender_kind::unmanaged, nullptr);
  ASSERT_EQ(r0.status, admit::accepted);
  EXPECT_TRUE(r0.schedule);
  stall_core::offer_result r1;
  guarded_thread w1{[&] {
    r1 = core.offer(new node{1, 0}, sender_kind::unmanaged, nullptr);
  }};
  ASSERT_TRUE(eventually(
    [] { return inbox_seam::link_gate_hit.load(std::memory_order_acquire); }));
  // the pass the drain token started
  fx_of<stall_core> fx;
  node* batch[16];
  bool counted = false;
  auto n = core.pop_batch(batch, 16, &counted, fx);
  dispose(fx);
  for (std::size_t i = 0; i < n; ++i) { // none expected, but stay exact
    if (counted)
      core.start_one();
    delete batch[i];
  }
  bool more = core.finish_drain(fx);
  dispose(fx);
  std::cout << "[ info     ] during the link gap: pop_batch took " << n
            << ", finish_drain said more=" << more << "\n";
  gate_guard::open();
  ASSERT_TRUE(w1.finished_within());
  EXPECT_TRUE(more || r1.schedule)
    << "lost wake-up: consumer idle and sender 1 does not schedule it";
  auto got = pop_all(core);
  if (n == 0) {
    EXPECT_EQ(got, (ids{{0, 0}, {1, 0}}));
  } else {
    EXPECT_EQ(got, (ids{{1, 0}}));
  }
  expect_idle_and_empty(core);
  std::vector<node*> rest;
  fx_of<stall_core> cfx;
  core.close(cfx, rest);
  EXPECT_TRUE(rest.empty());
}

/// A push into the ring while a sender is between exchange and link must
/// still queue behind both fast messages (it waits for the link).
TEST_F(InboxGap, SlowPushDuringALinkGapQueuesBehindTheFastMessages) {
  gate_guard gate;
  inbox_seam::gate_sender.store(1, std::memory_order_relaxed);
  inbox_seam::gate_seq.store(0, std::memory_order_relaxed);
  stall_core core{cfg(mailbox::block(64))};
  ASSERT_EQ(core.offer(new node{0, 0}, sender_kind::unmanaged, nullptr).status,
            admit::accepted);
  guarded_thread w1{[&] {
    EXPECT_EQ(
      core.offer(new node{1, 0}, sender_kind::unmanaged, nullptr).status,
      admit::accepted);
  }};
  ASSERT_TRUE(eventually(
    [] { return inbox_seam::link_gate_hit.load(std::memory_order_acquire); }));
  int key = 0;
  guarded_thread slow{[&] {
    EXPECT_EQ(core.park(new node{2, 0}, &key, 2).status, admit::accepted);
  }};
  std::this_thread::sleep_for(std::chrono::milliseconds{30});
  std::cout << "[ info     ] slow push still waiting for the link after 30 ms: "
            << slow.running() << "\n";
  gate_guard::open();
  ASSERT_TRUE(w1.finished_within());
  ASSERT_TRUE(slow.finished_within());
  EXPECT_EQ(pop_all(core), (ids{{0, 0}, {1, 0}, {2, 0}}));
  expect_idle_and_empty(core);
}

/// What close_during_gap() collected.
struct gap_closed {
  ids all;                     ///< every message, sorted
  std::size_t closed = 0;      ///< of them discarded by close()
  std::size_t uncollected = 0; ///< of them found by a final take_late()
};

/// With a sender stuck in the gap (thread `sender`): runs close() on its
/// own thread, opens the gap 30 ms later, then collects and frees every
/// message that close() discarded, that the sender took back as late
/// (`late`, filled by the sender's thread) and that a final take_late()
/// still found.
template <class Core>
void close_during_gap(Core& core, guarded_thread& sender,
                      std::vector<node*>& late, gap_closed& out) {
  std::vector<node*> gone;
  guarded_thread closer{[&] {
    fx_of<Core> fx;
    core.close(fx, gone);
    dispose(fx);
  }};
  std::this_thread::sleep_for(std::chrono::milliseconds{30});
  gate_guard::open();
  ASSERT_TRUE(sender.finished_within());
  ASSERT_TRUE(closer.finished_within());
  std::vector<node*> rest;
  core.take_late(rest);
  out.closed = gone.size();
  out.uncollected = rest.size();
  for (auto* v : {&gone, &late, &rest})
    for (auto* x : *v) {
      out.all.emplace_back(x->sender, x->seq);
      delete x;
    }
  std::sort(out.all.begin(), out.all.end());
}

/// close() while a sender is between exchange and link: both messages end
/// exactly once (close() discards them, or the sender's take_late() collects
/// what close() could not take).
TEST_F(InboxGap, CloseDuringALinkGapAccountsBothMessagesOnce) {
  gate_guard gate;
  inbox_seam::gate_sender.store(1, std::memory_order_relaxed);
  inbox_seam::gate_seq.store(0, std::memory_order_relaxed);
  stall_core core{cfg(mailbox::block(64))};
  ASSERT_EQ(core.offer(new node{0, 0}, sender_kind::unmanaged, nullptr).status,
            admit::accepted);
  std::vector<node*> late;
  bool saw_late = false;
  guarded_thread w1{[&] {
    auto r = core.offer(new node{1, 0}, sender_kind::unmanaged, nullptr);
    EXPECT_EQ(r.status, admit::accepted);
    saw_late = r.late;
    if (r.late)
      core.take_late(late);
  }};
  ASSERT_TRUE(eventually(
    [] { return inbox_seam::link_gate_hit.load(std::memory_order_acquire); }));
  gap_closed got;
  close_during_gap(core, w1, late, got);
  if (HasFatalFailure())
    return;
  EXPECT_EQ(got.all, (ids{{0, 0}, {1, 0}})) << "each exactly once";
  EXPECT_EQ(got.uncollected, 0u) << "a late message nobody collected";
  EXPECT_EQ(core.stats().discarded_on_exit.get(), 2u);
  EXPECT_EQ(core.stats().inbox_since_ns.get(), 0u);
  std::cout << "[ info     ] close during link gap: close took " << got.closed
            << ", late sender took " << (got.all.size() - got.closed)
            << ", sender saw late=" << saw_late << "\n";
}

/// Sender 0 found the inbox empty and stalls before it publishes head_
/// (in its arrival-time read); sender 1 links behind it. The consumer must
/// not go idle for good, a slow push must queue behind both, and close()
/// must account everything.
TEST_F(InboxGap, FirstSenderStalledBeforeItPublishesTheHead) {
  gate_guard gate;
  core_type core{cfg(mailbox::block(64))};
  core_type::offer_result r0;
  guarded_thread w0{[&] {
    inbox_seam::clock_armed = true;
    r0 = core.offer(new node{0, 0}, sender_kind::unmanaged, nullptr);
    inbox_seam::clock_armed = false;
  }};
  ASSERT_TRUE(eventually(
    [] { return inbox_seam::clock_gate_hit.load(std::memory_order_acquire); }));
  auto r1 = core.offer(new node{1, 0}, sender_kind::unmanaged, nullptr);
  ASSERT_EQ(r1.status, admit::accepted);
  // a pass (the token r1 got): nothing can be taken before head_ exists
  fx_of<core_type> fx;
  node* batch[16];
  bool counted = false;
  auto n = core.pop_batch(batch, 16, &counted, fx);
  dispose(fx);
  EXPECT_EQ(n, 0u);
  for (std::size_t i = 0; i < n; ++i) {
    if (counted)
      core.start_one();
    delete batch[i];
  }
  bool more = core.finish_drain(fx);
  dispose(fx);
  int key = 0;
  guarded_thread slow{[&] {
    EXPECT_EQ(core.park(new node{2, 0}, &key, 2).status, admit::accepted);
  }};
  std::this_thread::sleep_for(std::chrono::milliseconds{30});
  gate_guard::open();
  ASSERT_TRUE(w0.finished_within());
  ASSERT_TRUE(slow.finished_within());
  EXPECT_EQ(r0.status, admit::accepted);
  EXPECT_TRUE(more || r0.schedule) << "lost wake-up";
  EXPECT_EQ(pop_all(core), (ids{{0, 0}, {1, 0}, {2, 0}}));
  expect_idle_and_empty(core);
}

TEST_F(InboxGap, CloseWhileFirstSenderIsStalledBeforeItPublishesTheHead) {
  gate_guard gate;
  core_type core{cfg(mailbox::block(64))};
  std::vector<node*> late;
  guarded_thread w0{[&] {
    inbox_seam::clock_armed = true;
    auto r = core.offer(new node{0, 0}, sender_kind::unmanaged, nullptr);
    inbox_seam::clock_armed = false;
    EXPECT_EQ(r.status, admit::accepted);
    if (r.late)
      core.take_late(late);
  }};
  ASSERT_TRUE(eventually(
    [] { return inbox_seam::clock_gate_hit.load(std::memory_order_acquire); }));
  gap_closed got;
  close_during_gap(core, w0, late, got);
  if (HasFatalFailure())
    return;
  EXPECT_EQ(got.all, (ids{{0, 0}})) << "exactly once";
  EXPECT_EQ(got.uncollected, 0u);
  EXPECT_EQ(core.stats().discarded_on_exit.get(), 1u);
  EXPECT_EQ(core.stats().inbox_since_ns.get(), 0u);
}

// -- (d) the monitoring stamp ---------------------------------------------------------

using InboxStamp = watched;

/// Single-threaded: 0 when nothing waits, non-zero while anything waits in
/// the inbox or the ring, through batches, ring pushes and the mark.
TEST_F(InboxStamp, ZeroWhenConsumedSetWhileMessagesWait) {
  core_type core{cfg(mailbox::block(256))};
  auto& s = core.stats();
  EXPECT_EQ(s.oldest_arrival_ns(), 0u);
  int key = 0;
  int next_seq = 0;
  auto fast = [&] {
    auto r
      = core.offer(new node{0, next_seq++}, sender_kind::unmanaged, nullptr);
    ASSERT_EQ(r.status, admit::accepted);
  };
  auto slow = [&] {
    ASSERT_EQ(core.park(new node{0, next_seq++}, &key, 0).status,
              admit::accepted);
  };
  int expect_seq = 0;
  auto take = [&](std::size_t max) {
    fx_of<core_type> fx;
    node* batch[64];
    bool counted = false;
    auto n = core.pop_batch(batch, max, &counted, fx);
    dispose(fx);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(batch[i]->seq, expect_seq++);
      if (counted)
        core.start_one();
      delete batch[i];
    }
    return n;
  };
  auto waiting = [&] { return next_seq - expect_seq; };
  auto check = [&](const char* where) {
    if (waiting() > 0) {
      EXPECT_NE(s.oldest_arrival_ns(), 0u)
        << where << ": " << waiting() << " waiting";
    } else {
      EXPECT_EQ(s.oldest_arrival_ns(), 0u) << where << ": nothing waits";
      EXPECT_EQ(s.inbox_since_ns.get(), 0u) << where;
    }
  };
  for (int i = 0; i < 3; ++i)
    fast();
  EXPECT_NE(s.inbox_since_ns.get(), 0u);
  check("3 fast");
  take(2);
  check("1 left in the inbox");
  slow(); // moves the inbox into the ring first
  EXPECT_EQ(s.inbox_since_ns.get(), 0u) << "the inbox was moved: empty";
  check("2 in the ring");
  fast();
  check("2 in the ring, 1 in the inbox");
  take(64);
  check("all taken");
  // a long inbox consumed in batches: the mark keeps the stamp set
  for (int i = 0; i < 50; ++i)
    fast();
  while (waiting() > 0) {
    check("long inbox");
    take(16);
  }
  check("long inbox drained");
  fx_of<core_type> fx;
  EXPECT_FALSE(core.finish_drain(fx));
  fast();
  slow();
  check("before close");
  std::vector<node*> rest;
  core.close(fx, rest);
  EXPECT_EQ(rest.size(), 2u);
  for (auto* x : rest)
    delete x;
  EXPECT_EQ(s.oldest_arrival_ns(), 0u) << "after close";
  EXPECT_EQ(s.inbox_since_ns.get(), 0u) << "after close";
}

/// A push into the ring races with the first sender into an empty inbox
/// (stalled after its exchange, before its stamp and head_): once both are
/// queued and nobody consumes, the oldest arrival must not read 0.
TEST_F(InboxStamp, SlowPushRacingWithTheFirstFastSenderKeepsAnArrivalTime) {
  gate_guard gate;
  core_type core{cfg(mailbox::block(64))};
  guarded_thread w0{[&] {
    inbox_seam::clock_armed = true;
    EXPECT_EQ(
      core.offer(new node{0, 0}, sender_kind::unmanaged, nullptr).status,
      admit::accepted);
    inbox_seam::clock_armed = false;
  }};
  ASSERT_TRUE(eventually(
    [] { return inbox_seam::clock_gate_hit.load(std::memory_order_acquire); }));
  int key = 0;
  guarded_thread slow{[&] {
    EXPECT_EQ(core.park(new node{1, 0}, &key, 1).status, admit::accepted);
  }};
  std::this_thread::sleep_for(std::chrono::milliseconds{30});
  gate_guard::open();
  ASSERT_TRUE(w0.finished_within());
  ASSERT_TRUE(slow.finished_within());
  auto& s = core.stats();
  EXPECT_NE(s.oldest_arrival_ns(), 0u)
    << "2 messages wait, but the stall supervisor sees none (oldest_enq_ns="
    << s.oldest_enq_ns.get() << " inbox_since_ns=" << s.inbox_since_ns.get()
    << ")";
  EXPECT_EQ(pop_all(core), (ids{{0, 0}, {1, 0}}));
  EXPECT_EQ(s.oldest_arrival_ns(), 0u);
}

/// Under traffic: whenever the consumer found the mailbox empty at the end
/// of a pass (finish_drain() idle) and no sender is running, both stamps
/// are 0; and with senders stopped mid-stream (nothing consumed), the
/// oldest arrival is never 0 while messages wait.
TEST_F(InboxStamp, StampsConsistentAtQuiescencePoints) {
  core_type core{cfg(mailbox::block(1u << 16))};
  const int rounds = tsan_build ? 200 : 1500;
  int key = 0;
  long zero_while_waiting = 0;
  std::ostringstream first_zero;
  for (int round = 0; round < rounds; ++round) {
    // two senders race a few messages (fast and slow) into the empty core
    std::atomic<int> go{0};
    std::vector<std::unique_ptr<guarded_thread>> ts;
    for (int id = 0; id < 2; ++id)
      ts.push_back(std::make_unique<guarded_thread>([&, id] {
        go.fetch_add(1, std::memory_order_acq_rel);
        while (go.load(std::memory_order_acquire) < 2) {
        }
        for (int i = 0; i < 3; ++i) {
          auto* x = new node{id, round * 3 + i};
          auto r = (id + i + round) % 3 == 0
                     ? core.park(x, &key, id)
                     : core.offer(x, sender_kind::unmanaged, nullptr);
          EXPECT_EQ(r.status, admit::accepted);
        }
      }));
    for (auto& th : ts)
      ASSERT_TRUE(th->finished_within());
    auto zero = core.stats().oldest_arrival_ns() == 0;
    if (zero && zero_while_waiting++ == 0)
      first_zero << "round " << round
                 << ": oldest_enq_ns=" << core.stats().oldest_enq_ns.get()
                 << " inbox_since_ns=" << core.stats().inbox_since_ns.get()
                 << " depth=" << core.stats().depth.get();
    auto got = pop_all(core);
    EXPECT_EQ(got.size(), 6u);
    if (zero && zero_while_waiting == 1) {
      first_zero << "; pop order:";
      for (auto& g : got)
        first_zero << ' ' << g.first << ':' << g.second;
    }
    EXPECT_EQ(core.stats().oldest_arrival_ns(), 0u);
    EXPECT_EQ(core.stats().inbox_since_ns.get(), 0u);
  }
  EXPECT_EQ(zero_while_waiting, 0)
    << "rounds where 6 messages waited and the oldest arrival read 0; first: "
    << first_zero.str();
}

} // namespace
