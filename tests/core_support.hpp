// Test support for the CAF-free core tests (tests/core_*_test.cpp): a payload
// that counts itself, config builders, the named matrix of mailbox
// configurations, a harness that disposes whatever the core hands back, the
// accounting identities, and guards that keep threaded tests bounded.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "runtime/core/mailbox_core.hpp"
#include "runtime/mailbox.hpp"

// -- printers (found by ADL; GoogleTest prints enums as numbers otherwise) ----

namespace sluice {

inline void PrintTo(policy x, std::ostream* os) {
  *os << to_string(x);
}
inline void PrintTo(credit_mode x, std::ostream* os) {
  *os << to_string(x);
}
inline void PrintTo(sender_kind x, std::ostream* os) {
  *os << to_string(x);
}
inline void PrintTo(reaction x, std::ostream* os) {
  *os << to_string(x);
}

} // namespace sluice

namespace sluice::core {

inline void PrintTo(admit x, std::ostream* os) {
  *os << to_string(x);
}

} // namespace sluice::core

namespace sluice::core_test {

using namespace std::chrono_literals;
using core::admit;

// -- payload --------------------------------------------------------------------

/// The test element: who sent it and its per-sender sequence number. Counts
/// live instances, so a test proves nothing leaked or was freed twice.
struct node {
  int sender = 0;
  int seq = 0;
  node* next = nullptr; // the core's lock-free inbox link

  node(int s, int q) : sender(s), seq(q) {
    // relaxed: read only after the threads that touch nodes are joined
    live().fetch_add(1, std::memory_order_relaxed);
  }
  node(const node&) = delete;
  node& operator=(const node&) = delete;
  ~node() {
    // relaxed: same as the constructor
    live().fetch_sub(1, std::memory_order_relaxed);
  }

  static std::atomic<long>& live() {
    static std::atomic<long> n{0};
    return n;
  }
  static long live_now() {
    // relaxed: callers read after joining every thread that touched nodes
    return live().load(std::memory_order_relaxed);
  }
};

using core_type = core::mailbox_core<node, int>;
using effects = core_type::effects;
using waiter = core_type::waiter;
using wstate = waiter::state;

inline const char* to_string(wstate x) {
  switch (x) {
    case wstate::waiting:
      return "waiting";
    case wstate::admitted:
      return "admitted";
    case wstate::closed:
      return "closed";
    case wstate::dropped:
      return "dropped";
  }
  return "invalid-waiter-state";
}

// -- configurations ---------------------------------------------------------------

/// Runtime defaults with every field set (what sluice::resolve needs).
inline mailbox defaults() {
  auto d = mailbox::blank();
  d.set_policy(policy::block)
    .set_capacity(16)
    .set_window(4)
    .set_block_timeout(std::chrono::seconds{30})
    .set_park_limit(1)
    .set_overcommit(0)
    .set_credit_mode(credit_mode::automatic);
  return d;
}

inline resolved_mailbox cfg(const mailbox& m) {
  return resolve(m, defaults());
}

/// One row of the mailbox matrix every generic test runs against.
struct mailbox_case {
  std::string name;
  mailbox box;
};

inline void PrintTo(const mailbox_case& x, std::ostream* os) {
  *os << x.name;
}

/// The named matrix: every policy, small capacities so tests hit "full".
inline std::vector<mailbox_case> mailbox_matrix() {
  return {
    {"block_cap4", mailbox::block(4).with_park_limit(2).with_overcommit(2)},
    {"block_cap1", mailbox::block(1).with_park_limit(1).with_overcommit(1)},
    {"drop_newest_cap4", mailbox::drop_newest(4).with_overcommit(2)},
    {"drop_oldest_cap4", mailbox::drop_oldest(4).with_overcommit(2)},
    {"credit_auto_cap8_w4", mailbox::credit(8, 4).with_overcommit(2)},
    {"credit_manual_cap6_w2",
     mailbox::credit(6, 2).with_manual_credit().with_overcommit(2)},
  };
}

/// Name generator for INSTANTIATE_TEST_SUITE_P.
struct case_name {
  std::string
  operator()(const testing::TestParamInfo<mailbox_case>& info) const {
    return info.param.name;
  }
};

// -- counters ---------------------------------------------------------------------

inline std::string dump(const core::counters& c) {
  std::ostringstream out;
  out << "attempted=" << c.attempted.get() << " accepted=" << c.accepted.get()
      << " dequeued=" << c.dequeued.get() << " evicted=" << c.evicted.get()
      << " dropped_newest=" << c.dropped_newest.get()
      << " would_block=" << c.would_block.get()
      << " timed_out=" << c.timed_out.get()
      << " no_credit=" << c.no_credit.get() << " closed=" << c.closed.get()
      << " dead_lettered=" << c.dead_lettered.get()
      << " discarded_on_exit=" << c.discarded_on_exit.get()
      << " overcommitted=" << c.overcommitted.get()
      << " self_over=" << c.self_overcapacity.get()
      << " parked_total=" << c.parked_total.get()
      << " blocked_total=" << c.blocked_total.get()
      << " credit_granted=" << c.credit_granted.get()
      << " hwm=" << c.high_watermark.get() << " capacity=" << c.capacity.get()
      << " depth=" << c.depth.get() << " held=" << c.held.get()
      << " parked_now=" << c.parked_now.get()
      << " blocked_now=" << c.blocked_now.get()
      << " credit_leased=" << c.credit_leased.get()
      << " leases_waiting=" << c.leases_waiting.get();
  return out.str();
}

inline std::uint64_t refused(const core::counters& c) {
  return c.dropped_newest.get() + c.would_block.get() + c.timed_out.get()
         + c.no_credit.get() + c.closed.get() + c.dead_lettered.get();
}

inline std::uint64_t waiting(const core::counters& c) {
  return c.parked_now.get() + c.blocked_now.get();
}

/// The accounting identities (docs/policies.md), exact at quiescence:
///   attempted = accepted + refused + waiting
///   accepted  = dequeued + evicted + discarded_on_exit + queued
inline testing::AssertionResult identities_hold(const core::counters& c) {
  auto queued = c.depth.get() - c.held.get();
  if (c.attempted.get() != c.accepted.get() + refused(c) + waiting(c))
    return testing::AssertionFailure()
           << "attempted != accepted + refused + waiting: " << dump(c);
  if (c.accepted.get()
      != c.dequeued.get() + c.evicted.get() + c.discarded_on_exit.get()
           + queued)
    return testing::AssertionFailure()
           << "accepted != dequeued + evicted + discarded + queued: "
           << dump(c);
  return testing::AssertionSuccess();
}

// -- leases -----------------------------------------------------------------------

/// Counts writable() calls. The core never calls it: it lists the lease in
/// effects::writable and the caller (here: settle()) calls it.
struct counting_lease : core::lease {
  std::atomic<int> calls{0};
  void writable() noexcept override {
    // relaxed: read after the calling thread is joined or on the same thread
    calls.fetch_add(1, std::memory_order_relaxed);
  }
  int writable_calls() const {
    // relaxed: see writable()
    return calls.load(std::memory_order_relaxed);
  }
};

// -- effects ----------------------------------------------------------------------

/// What a parked waiter's resolution told its parker.
struct parked_outcome {
  int parker = 0;
  wstate st = wstate::waiting;
  admit how = admit::accepted;
  int sender = -1; ///< sender/seq of a message handed back (closed/dropped)
  int seq = -1;
};

/// What settle() did with one effects value.
struct settled {
  std::vector<parked_outcome> parked;
  std::vector<std::pair<int, int>> evicted; ///< sender, seq (then deleted)
  std::vector<core::lease*> writable;

  void append(const settled& x) {
    parked.insert(parked.end(), x.parked.begin(), x.parked.end());
    evicted.insert(evicted.end(), x.evicted.begin(), x.evicted.end());
    writable.insert(writable.end(), x.writable.begin(), x.writable.end());
  }
};

/// Carries out `fx` as the CAF layer does: deletes each finished waiter
/// (and the message of an unadmitted one: handed back), disposes evicted
/// messages and calls writable(). Never reads an admitted waiter's message
/// (another thread may already have popped it).
inline settled settle(effects& fx) {
  settled out;
  for (auto* w : fx.parked_done) {
    parked_outcome o;
    o.parker = w->parker;
    o.st = w->st;
    o.how = w->how;
    if (w->st != wstate::admitted) {
      o.sender = w->elem->sender;
      o.seq = w->elem->seq;
      delete w->elem;
    }
    out.parked.push_back(o);
    delete w;
  }
  fx.parked_done.clear();
  for (auto* e : fx.evicted) {
    out.evicted.emplace_back(e->sender, e->seq);
    delete e;
  }
  fx.evicted.clear();
  for (auto& l : fx.writable) {
    l->writable();
    out.writable.push_back(l.get());
  }
  fx.writable.clear();
  return out;
}

// -- single-threaded harness --------------------------------------------------------

/// One core plus bookkeeping: every message it creates is either returned
/// by pop() (and deleted), handed back (deleted, logged), evicted (deleted,
/// logged) or discarded by close(). Sender i uses key(i) and parker i.
/// Senders may call offer() from several threads (the logs are guarded);
/// read the logs after joining them.
class harness {
public:
  explicit harness(const mailbox& m) : core(cfg(m)) {}
  explicit harness(const resolved_mailbox& c) : core(c) {}

  core_type core;

  const void* key(int sender) const {
    return &keys_[static_cast<std::size_t>(sender)];
  }

  /// Offers a new message; a message the core did not take is deleted and
  /// logged in handed_back.
  admit offer(sender_kind who, int sender, int seq,
              core_type::clock::duration max_wait
              = core_type::clock::duration::max(),
              bool may_wait = true) {
    auto* x = new node{sender, seq};
    auto res = core.offer(x, who, key(sender), max_wait, may_wait);
    return finish(x, res);
  }

  /// The sluice-actor protocol: offer(); on park_needed, park().
  admit send_actor(int sender, int seq) {
    auto* x = new node{sender, seq};
    auto res = core.offer(x, sender_kind::actor, key(sender));
    if (res.status == admit::park_needed)
      res = core.park(x, key(sender), sender);
    return finish(x, res);
  }

  admit send_credit(core::lease& l, int sender, int seq) {
    auto* x = new node{sender, seq};
    effects fx;
    auto res = core.offer_credit(x, l, fx);
    record(settle(fx));
    return finish(x, res);
  }

  /// Pops one message and disposes it (its "handler" ran); logs what the
  /// pop produced in effects.
  std::optional<std::pair<int, int>> pop() {
    effects fx;
    auto* x = core.pop(fx);
    record(settle(fx));
    if (x == nullptr)
      return std::nullopt;
    std::pair<int, int> r{x->sender, x->seq};
    delete x;
    std::lock_guard<std::mutex> guard{log_mtx_};
    popped.push_back(r);
    return r;
  }

  /// Pops everything queued; returns the seq numbers in pop order.
  std::vector<int> drain() {
    std::vector<int> seqs;
    while (auto x = pop())
      seqs.push_back(x->second);
    return seqs;
  }

  settled reconfigure(const mailbox& m, bool* wake = nullptr) {
    effects fx;
    auto w = core.reconfigure(cfg(m), fx);
    if (wake != nullptr)
      *wake = w;
    auto s = settle(fx);
    record(s);
    return s;
  }

  settled attach(const std::shared_ptr<core::lease>& l, bool* ok = nullptr) {
    effects fx;
    auto r = core.attach(l, fx);
    if (ok != nullptr)
      *ok = r;
    auto s = settle(fx);
    record(s);
    return s;
  }

  settled detach(core::lease& l) {
    effects fx;
    core.detach(l, fx);
    auto s = settle(fx);
    record(s);
    return s;
  }

  settled grant(std::size_t n, std::size_t* granted = nullptr) {
    effects fx;
    auto k = core.grant(n, fx);
    if (granted != nullptr)
      *granted = k;
    auto s = settle(fx);
    record(s);
    return s;
  }

  settled unhold() {
    effects fx;
    core.unhold(fx);
    auto s = settle(fx);
    record(s);
    return s;
  }

  /// Closes the core and disposes what it hands out. @returns the
  /// discarded messages' (sender, seq) in queue order.
  std::vector<std::pair<int, int>> close(settled* out = nullptr) {
    effects fx;
    std::vector<node*> rest;
    core.close(fx, rest);
    std::vector<std::pair<int, int>> ids;
    for (auto* x : rest) {
      ids.emplace_back(x->sender, x->seq);
      delete x;
    }
    auto s = settle(fx);
    record(s);
    if (out != nullptr)
      *out = s;
    return ids;
  }

  const core::counters& stats() const {
    return core.stats();
  }
  std::uint64_t depth() const {
    return core.stats().depth.get();
  }

  std::vector<std::pair<int, int>> popped;
  std::vector<std::pair<int, int>> handed_back; ///< refused: sender, seq
  /// accepted on the fast path while the core closed, then discarded
  std::vector<std::pair<int, int>> discarded_late;
  std::vector<std::pair<int, int>> evicted; ///< from offer results
  settled log;                              ///< all effects settled

  /// Appends to `log` (any thread).
  void record(const settled& s) {
    std::lock_guard<std::mutex> guard{log_mtx_};
    log.append(s);
  }

private:
  admit finish(node* x, const core_type::offer_result& res) {
    std::vector<node*> late;
    if (res.late) // accepted on the fast path while the core closed
      core.take_late(late);
    std::lock_guard<std::mutex> guard{log_mtx_};
    for (auto* y : late) {
      discarded_late.emplace_back(y->sender, y->seq);
      delete y;
    }
    if (res.evicted != nullptr) {
      evicted.emplace_back(res.evicted->sender, res.evicted->seq);
      delete res.evicted;
    }
    if (!core::taken(res.status)) {
      handed_back.emplace_back(x->sender, x->seq);
      delete x;
    }
    return res.status;
  }

  std::mutex log_mtx_;
  int keys_[16] = {};
};

// -- test fixtures ----------------------------------------------------------------------

/// Checks that no node outlives a test (each test closes its cores and
/// disposes what they hand back before it ends).
class leak_checked : public testing::Test {
protected:
  void SetUp() override {
    live_at_start_ = node::live_now();
  }
  void TearDown() override {
    EXPECT_EQ(node::live_now(), live_at_start_)
      << "nodes leaked or freed twice";
  }

private:
  long live_at_start_ = 0;
};

template <class Param>
class leak_checked_param : public testing::TestWithParam<Param> {
protected:
  void SetUp() override {
    live_at_start_ = node::live_now();
  }
  void TearDown() override {
    EXPECT_EQ(node::live_now(), live_at_start_)
      << "nodes leaked or freed twice";
  }

private:
  long live_at_start_ = 0;
};

// -- threads ----------------------------------------------------------------------------

/// Polls `pred` until true or `timeout` (a bound for the failing case only;
/// passing runs return as soon as pred holds).
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 20s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred())
      return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

/// A thread whose completion can be awaited with a bound. A test that sees
/// it still running after the bound releases it (typically by closing the
/// core) and then joins, so no test can hang.
class guarded_thread {
public:
  template <class F>
  explicit guarded_thread(F f) {
    auto task = std::make_shared<std::packaged_task<void()>>(std::move(f));
    done_ = task->get_future();
    thread_ = std::thread{[task] { (*task)(); }};
  }

  guarded_thread(const guarded_thread&) = delete;
  guarded_thread& operator=(const guarded_thread&) = delete;

  ~guarded_thread() {
    if (thread_.joinable())
      thread_.join();
  }

  /// True (and joined) if the thread finished within `timeout`.
  bool finished_within(std::chrono::milliseconds timeout = 30s) {
    if (done_.wait_for(timeout) != std::future_status::ready)
      return false;
    thread_.join();
    done_.get(); // rethrows what the thread threw
    return true;
  }

  /// Still running now (no waiting).
  bool running() {
    return done_.wait_for(0s) != std::future_status::ready;
  }

  void join() {
    if (thread_.joinable())
      thread_.join();
  }

private:
  std::future<void> done_;
  std::thread thread_;
};

/// True in ThreadSanitizer builds, where concurrent tests scale down.
constexpr bool tsan_build =
#if defined(__SANITIZE_THREAD__)
  true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
  true;
#else
  false;
#endif
#else
  false;
#endif

} // namespace sluice::core_test
