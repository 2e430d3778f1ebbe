// mailbox_core under real threads (these are the ThreadSanitizer tests):
// producers of every kind against one consumer that follows the drain-token
// protocol, parking handed back by the consumer, reconfigure() while
// everything runs, credit endpoints with wait_credit(). Every run is
// bounded (message counts, generous waits that only a bug would exhaust)
// and ends with exact accounting: every message produced is popped,
// refused (handed back) or evicted, exactly once.
// sluice-test-timeout: 300
// GCC 12 reports a false -Warray-bounds inside std::thread's constructor
// when a lambda thread is emplaced into a vector (GCC bug 104165 family).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Warray-bounds"
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core_support.hpp"

namespace {

using namespace sluice;
using namespace sluice::core_test;

/// Messages per producer. The same in sanitizer builds: under TSan the
/// whole file runs in a few seconds on 2 cores.
constexpr int per_producer = 20000;

/// Reconfigurations done while producers run (ConcurrentPolicyChanges...).
constexpr int reconfigurations = 3000;

/// Generous: only a lost wake-up or a deadlock exhausts these.
constexpr auto long_wait = std::chrono::seconds{30};

/// How many messages a producer sends: at least `min`; more while `extend`
/// is set (so producers overlap with something else), never above `max`.
struct pace {
  int min = per_producer;
  int max = per_producer;
  const std::atomic<bool>* extend = nullptr;
  bool polite = false; ///< yield after each message (more interleavings)

  bool more(int seq) const {
    if (polite && seq > 0)
      std::this_thread::yield();
    // acquire: pairs with the release store that ends the extension
    return seq < min
           || (seq < max && extend != nullptr
               && extend->load(std::memory_order_acquire));
  }
};

// -- bookkeeping -----------------------------------------------------------------------

/// Outcomes by the message's original sender. Relaxed increments: read
/// only after every thread that writes them is joined.
struct tally {
  explicit tally(int senders)
    : produced(static_cast<std::size_t>(senders)),
      popped(static_cast<std::size_t>(senders)),
      refused(static_cast<std::size_t>(senders)),
      evicted(static_cast<std::size_t>(senders)) {}

  std::vector<std::atomic<long>> produced;
  std::vector<std::atomic<long>> popped;
  std::vector<std::atomic<long>> refused; // handed back to the producer
  std::vector<std::atomic<long>> evicted;
  std::atomic<long> writable{0};

  static void bump(std::vector<std::atomic<long>>& v, int sender) {
    // relaxed: see the struct comment
    v[static_cast<std::size_t>(sender)].fetch_add(1, std::memory_order_relaxed);
  }

  static long get(const std::vector<std::atomic<long>>& v, int sender) {
    // relaxed: read after join
    return v[static_cast<std::size_t>(sender)].load(std::memory_order_relaxed);
  }

  long total_popped() const {
    long n = 0;
    for (auto& x : popped)
      n += x.load(std::memory_order_relaxed); // relaxed: after join
    return n;
  }
  long total_evicted() const {
    long n = 0;
    for (auto& x : evicted)
      n += x.load(std::memory_order_relaxed); // relaxed: after join
    return n;
  }

  long total_produced() const {
    long n = 0;
    for (auto& x : produced)
      n += x.load(std::memory_order_relaxed); // relaxed: after join
    return n;
  }

  /// Every sender's messages: popped + refused + evicted == produced, and
  /// each sender produced at least `min`.
  void expect_complete(const std::vector<int>& senders, long min) const {
    for (auto s : senders) {
      EXPECT_GE(get(produced, s), min) << "sender " << s;
      EXPECT_EQ(get(popped, s) + get(refused, s) + get(evicted, s),
                get(produced, s))
        << "sender " << s << ": produced " << get(produced, s) << " popped "
        << get(popped, s) << " refused " << get(refused, s) << " evicted "
        << get(evicted, s);
    }
  }
};

/// A sluice actor's view of its parked messages: the parker is told each
/// outcome by whoever resolved the waiter (consumer or reconfigurer).
class parker_box {
public:
  void parked() {
    std::lock_guard<std::mutex> guard{mtx_};
    ++outstanding_;
  }
  void resolved() {
    std::lock_guard<std::mutex> guard{mtx_};
    --outstanding_;
    cv_.notify_all();
  }
  /// Suspended until fewer than `limit` messages are parked.
  bool wait_below(int limit) {
    std::unique_lock<std::mutex> guard{mtx_};
    return cv_.wait_for(guard, long_wait, [&] { return outstanding_ < limit; });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  int outstanding_ = 0;
};

/// Routes settled effects: parked outcomes to their parker box and the
/// tally, evicted messages to the tally.
struct router {
  tally* t = nullptr;
  std::vector<parker_box>* parkers = nullptr; // indexed by parker id

  void operator()(effects& fx) const {
    auto s = settle(fx);
    for (auto& o : s.parked) {
      if (o.st != wstate::admitted)
        tally::bump(t->refused, o.sender);
      if (parkers != nullptr)
        (*parkers)[static_cast<std::size_t>(o.parker)].resolved();
    }
    for (auto& e : s.evicted)
      tally::bump(t->evicted, e.first);
    // relaxed: a statistic read after join
    t->writable.fetch_add(static_cast<long>(s.writable.size()),
                          std::memory_order_relaxed);
  }
};

/// The consumer: waits for a drain token (an offer's `schedule`, a
/// reconfigure's wake-up, its own finish_drain() saying "more"), pops until
/// empty, checks each sender's order, hands back what pops produce.
class consumer {
public:
  consumer(core_type& c, tally& t, router r, int senders)
    : core_(c), tally_(t), route_(r),
      last_(static_cast<std::size_t>(senders), -1) {}

  void wake() {
    std::lock_guard<std::mutex> guard{mtx_};
    token_ = true;
    cv_.notify_one();
  }

  /// Producers are done: drain what is left and return.
  void stop() {
    std::lock_guard<std::mutex> guard{mtx_};
    stop_ = true;
    cv_.notify_one();
  }

  void run() {
    for (;;) {
      bool last_pass = false;
      {
        std::unique_lock<std::mutex> guard{mtx_};
        if (!cv_.wait_for(guard, long_wait, [&] { return token_ || stop_; })
            && queued() > 0)
          ++lost_wakeups; // messages queued, nobody told us
        token_ = false;
        last_pass = stop_;
      }
      drain();
      if (last_pass) {
        drain();
        return;
      }
      if (core_.finish_drain())
        wake(); // schedule another pass ourselves
    }
  }

  int lost_wakeups = 0;
  int out_of_order = 0;
  std::uint64_t max_depth_seen = 0;

private:
  std::uint64_t queued() const {
    return core_.stats().depth.get() - core_.stats().held.get();
  }

  void drain() {
    for (;;) {
      effects fx;
      auto* x = core_.pop(fx);
      route_(fx);
      if (x == nullptr)
        return;
      max_depth_seen = std::max(max_depth_seen, core_.stats().depth.get());
      auto& last = last_[static_cast<std::size_t>(x->sender)];
      if (x->seq <= last)
        ++out_of_order;
      last = x->seq;
      tally::bump(tally_.popped, x->sender);
      delete x;
    }
  }

  core_type& core_;
  tally& tally_;
  router route_;
  std::vector<int> last_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool token_ = false;
  bool stop_ = false;
};

/// Disposes an offer's result the way a sender does.
void handle(const core_type::offer_result& res, node* x, tally& t,
            consumer& c) {
  if (res.evicted != nullptr) {
    tally::bump(t.evicted, res.evicted->sender);
    delete res.evicted;
  }
  if (res.schedule)
    c.wake();
  if (!core::taken(res.status)) {
    tally::bump(t.refused, x->sender);
    delete x;
  }
}

void send_as(core_type& core, sender_kind who, int id, const void* key,
             tally& t, consumer& c, pace p = {}) {
  for (int seq = 0; p.more(seq); ++seq) {
    tally::bump(t.produced, id);
    auto* x = new node{id, seq};
    auto res = core.offer(x, who, key, long_wait);
    EXPECT_NE(res.status, admit::park_needed);
    handle(res, x, t, c);
  }
}

/// A sluice actor: offer, park when told, stay suspended while park-limit
/// messages are parked.
void send_as_actor(core_type& core, int id, const void* key,
                   std::size_t park_limit, parker_box& box, tally& t,
                   consumer& c, std::atomic<int>& would_block, pace p = {}) {
  for (int seq = 0; p.more(seq); ++seq) {
    if (!box.wait_below(static_cast<int>(park_limit)))
      ADD_FAILURE() << "actor " << id << " never resumed";
    tally::bump(t.produced, id);
    auto* x = new node{id, seq};
    auto res = core.offer(x, sender_kind::actor, key, long_wait);
    if (res.status == admit::park_needed) {
      res = core.park(x, key, id);
      if (res.status == admit::parked)
        box.parked();
      if (res.status == admit::would_block)
        // relaxed: read after join
        would_block.fetch_add(1, std::memory_order_relaxed);
    }
    handle(res, x, t, c);
  }
  if (!box.wait_below(1))
    ADD_FAILURE() << "actor " << id << ": parked messages never resolved";
}

void close_and_dispose(core_type& core, tally& t, const router& r) {
  effects fx;
  std::vector<node*> rest;
  core.close(fx, rest);
  EXPECT_TRUE(rest.empty()) << "the consumer drained everything";
  for (auto* x : rest) {
    tally::bump(t.popped, x->sender); // keep the accounting exact anyway
    delete x;
  }
  r(fx);
}

// -- every policy: producers x one consumer ---------------------------------------------

class Concurrency : public leak_checked_param<mailbox_case> {};

TEST_P(Concurrency, ProducersAndOneConsumer) {
  auto rc = cfg(GetParam().box);
  core_type core{rc};
  constexpr int senders = 4; // 0, 1: unmanaged; 2, 3: managed threads
  tally t{senders};
  router r{&t, nullptr};
  consumer c{core, t, r, senders};
  int keys[senders] = {};
  std::thread cons{[&] { c.run(); }};
  std::vector<std::thread> producers;
  for (int id = 0; id < senders; ++id)
    producers.emplace_back([&, id] {
      send_as(core, id < 2 ? sender_kind::unmanaged : sender_kind::thread, id,
              &keys[id], t, c);
    });
  for (auto& p : producers)
    p.join();
  c.stop();
  cons.join();
  auto& s = core.stats();
  EXPECT_EQ(c.lost_wakeups, 0);
  EXPECT_EQ(c.out_of_order, 0);
  EXPECT_EQ(s.attempted.get(),
            static_cast<std::uint64_t>(senders * per_producer));
  EXPECT_EQ(s.dequeued.get(), static_cast<std::uint64_t>(t.total_popped()));
  EXPECT_EQ(s.evicted.get(), static_cast<std::uint64_t>(t.total_evicted()));
  EXPECT_EQ(s.timed_out.get(), 0u) << "the consumer kept up within 30 s";
  EXPECT_EQ(s.depth.get(), 0u);
  EXPECT_EQ(s.blocked_now.get(), 0u);
  EXPECT_LE(s.high_watermark.get(), rc.capacity + rc.overcommit);
  EXPECT_TRUE(identities_hold(s));
  t.expect_complete({0, 1, 2, 3}, per_producer);
  if (rc.policy == policy::block) {
    // managed threads lose nothing under block
    EXPECT_EQ(tally::get(t.popped, 2), per_producer);
    EXPECT_EQ(tally::get(t.popped, 3), per_producer);
  }
  close_and_dispose(core, t, r);
  EXPECT_TRUE(identities_hold(s));
}

INSTANTIATE_TEST_SUITE_P(Policies, Concurrency,
                         testing::ValuesIn(mailbox_matrix()), case_name{});

// -- the lock-free fast path: batch consumer, close racing with senders ---------------

/// The drain protocol of a sluice actor: pop_batch() up to 16 in hand,
/// start_one() lock-free before each, finish_drain() at the end. Senders
/// mostly take the fast path (capacity 64, never refused for block) while
/// the consumer takes and frees slots concurrently. Ends with exact
/// accounting, per-sender order and the capacity bound.
TEST(FastPath, BatchConsumerKeepsOrderAndBound) {
  for (auto box : {mailbox::block(64), mailbox::drop_newest(64),
                   mailbox::drop_oldest(64)}) {
    auto rc = cfg(box);
    SCOPED_TRACE(to_string(rc.policy));
    core_type core{rc};
    constexpr int senders = 2;
    std::vector<std::atomic<long>> produced(senders), popped(senders),
      refused(senders);
    std::atomic<long> evicted{0};
    std::atomic<int> tokens{0}; // drain tokens posted and not yet taken
    std::atomic<int> running{senders};
    std::vector<std::unique_ptr<guarded_thread>> ts;
    for (int id = 0; id < senders; ++id)
      ts.push_back(std::make_unique<guarded_thread>([&, id] {
        for (int seq = 0; seq < per_producer; ++seq) {
          auto* x = new node{id, seq};
          // relaxed: counts read after join
          produced[id].fetch_add(1, std::memory_order_relaxed);
          auto res = core.offer(x, sender_kind::thread, nullptr, long_wait);
          if (res.evicted != nullptr) {
            evicted.fetch_add(1, std::memory_order_relaxed);
            delete res.evicted;
          }
          if (!core::taken(res.status)) {
            refused[id].fetch_add(1, std::memory_order_relaxed);
            delete x;
          }
          if (res.schedule) // release: the consumer acquires the token
            tokens.fetch_add(1, std::memory_order_release);
        }
        running.fetch_sub(1, std::memory_order_release); // pairs below
      }));
    int out_of_order = 0;
    std::uint64_t max_depth = 0;
    std::vector<int> last(senders, -1);
    auto consume = [&] {
      effects fx;
      node* batch[16];
      bool counted = false;
      for (;;) {
        auto n = core.pop_batch(batch, 16, &counted, fx);
        if (n == 0)
          break;
        for (std::size_t i = 0; i < n; ++i) {
          if (counted)
            core.start_one();
          max_depth = std::max(max_depth, core.stats().depth.get());
          auto* x = batch[i];
          auto& l = last[static_cast<std::size_t>(x->sender)];
          out_of_order += x->seq <= l ? 1 : 0;
          l = x->seq;
          popped[x->sender].fetch_add(1, std::memory_order_relaxed);
          delete x;
        }
      }
      return core.finish_drain(fx);
    };
    guarded_thread consumer_thread{[&] {
      auto deadline = std::chrono::steady_clock::now() + long_wait;
      // acquire: pairs with the senders' release decrement / token post
      while (running.load(std::memory_order_acquire) > 0
             || tokens.load(std::memory_order_acquire) > 0) {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline);
        if (tokens.load(std::memory_order_acquire) == 0) {
          std::this_thread::yield();
          continue;
        }
        tokens.fetch_sub(1, std::memory_order_acq_rel);
        while (consume()) {
        }
      }
    }};
    ASSERT_TRUE(consumer_thread.finished_within());
    for (auto& th : ts)
      ASSERT_TRUE(th->finished_within());
    EXPECT_EQ(core.stats().depth.get(), 0u) << "a token was lost";
    long total_produced = produced[0] + produced[1];
    long total_popped = popped[0] + popped[1];
    long total_refused = refused[0] + refused[1];
    EXPECT_EQ(total_popped + total_refused + evicted.load(), total_produced);
    EXPECT_EQ(out_of_order, 0);
    EXPECT_LE(max_depth, rc.capacity);
    EXPECT_LE(core.stats().high_watermark.get(), rc.capacity);
    if (rc.policy == policy::block) {
      EXPECT_EQ(total_popped, total_produced) << "block loses nothing";
    }
    EXPECT_TRUE(identities_hold(core.stats()));
    effects fx;
    std::vector<node*> rest;
    core.close(fx, rest);
    EXPECT_TRUE(rest.empty());
  }
}

/// close() races with senders on the fast path: each message is popped,
/// refused (closed), discarded by close() or collected by take_late()
/// after the sender saw `late`; exactly once, none leaked.
TEST(FastPath, CloseRacingWithFastSendersLosesNothingUnaccounted) {
  for (int round = 0; round < 20; ++round) {
    core_type core{cfg(mailbox::drop_newest(1u << 16))};
    constexpr int senders = 2;
    std::atomic<long> produced{0}, refused{0}, late{0};
    std::vector<std::unique_ptr<guarded_thread>> ts;
    for (int id = 0; id < senders; ++id)
      ts.push_back(std::make_unique<guarded_thread>([&, id] {
        for (int seq = 0; seq < 2000; ++seq) {
          auto* x = new node{id, seq};
          produced.fetch_add(1, std::memory_order_relaxed); // after join
          auto res = core.offer(x, sender_kind::unmanaged, nullptr);
          if (!core::taken(res.status)) {
            refused.fetch_add(1, std::memory_order_relaxed);
            delete x;
          }
          if (res.late) {
            std::vector<node*> v;
            core.take_late(v);
            late.fetch_add(static_cast<long>(v.size()),
                           std::memory_order_relaxed);
            for (auto* y : v)
              delete y;
          }
        }
      }));
    // let some through, then close while they run
    while (core.stats().accepted.get() < 100u * static_cast<unsigned>(round))
      std::this_thread::yield();
    effects fx;
    std::vector<node*> discarded;
    core.close(fx, discarded);
    for (auto& th : ts)
      ASSERT_TRUE(th->finished_within());
    std::vector<node*> rest; // anything still in the inbox
    core.take_late(rest);
    auto n_discarded = static_cast<long>(discarded.size() + rest.size());
    for (auto* x : discarded)
      delete x;
    for (auto* x : rest)
      delete x;
    EXPECT_EQ(refused + late + n_discarded, produced) << "round " << round;
    EXPECT_EQ(static_cast<long>(core.stats().discarded_on_exit.get()),
              late + n_discarded);
    EXPECT_EQ(static_cast<long>(core.stats().closed.get()), refused.load());
  }
}

/// reconfigure() resolves waiters while a fast sender spins for room: the
/// freed slot goes to the waiter (queued first), never to the fast sender
/// (the fast path stays closed until every waiter is resolved).
TEST(FastPath, ReconfigureGivesFreedRoomToWaitersFirst) {
  auto block = cfg(mailbox::block(4).with_park_limit(1));
  auto shed = cfg(mailbox::drop_newest(4));
  int barged = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    core_type core{block};
    for (int i = 0; i < 4; ++i)
      ASSERT_EQ(
        core.offer(new node{0, i}, sender_kind::unmanaged, nullptr).status,
        admit::accepted);
    int key = 0;
    ASSERT_EQ(core.park(new node{1, 0}, &key, 1).status, admit::parked);
    node* out[8];
    bool counted = false;
    effects fx;
    ASSERT_EQ(core.pop_batch(out, 8, &counted, fx), 4u);
    core.start_one(); // one slot free, the waiter not yet admitted
    delete out[0];
    std::atomic<bool> started{false};
    std::atomic<bool> won{false};
    guarded_thread fast{[&] {
      auto* x = new node{2, 0};
      started.store(true, std::memory_order_release); // pairs below
      for (int i = 0; i < 100000; ++i) {
        core_type::offer_result r;
        if (core.offer_fast(x, r)) {
          won.store(true, std::memory_order_relaxed); // read after join
          return;
        }
      }
      delete x;
    }};
    while (!started.load(std::memory_order_acquire))
      std::this_thread::yield();
    effects fx2;
    core.reconfigure(shed, fx2);
    ASSERT_TRUE(fast.finished_within());
    ASSERT_EQ(fx2.parked_done.size(), 1u);
    auto* w = fx2.parked_done[0];
    if (w->st == core_type::waiter::state::dropped) {
      barged += won.load(std::memory_order_relaxed) ? 1 : 0;
      delete w->elem;
    }
    delete w;
    for (int i = 1; i < 4; ++i) {
      core.start_one();
      delete out[i];
    }
    std::vector<node*> rest;
    core.close(fx, rest);
    for (auto* x : rest)
      delete x;
  }
  EXPECT_EQ(barged, 0) << "a fast sender took the slot of a queued waiter";
}

// -- block: parked actors, blocked threads, one consumer --------------------------------

using Parking = leak_checked;

TEST_F(Parking, ConsumerHandsBackParkedOutcomes) {
  auto rc = cfg(mailbox::block(4).with_park_limit(2).with_overcommit(0));
  core_type core{rc};
  constexpr int senders = 3; // 0, 1: sluice actors; 2: a managed thread
  tally t{senders};
  std::vector<parker_box> boxes(2);
  router r{&t, &boxes};
  consumer c{core, t, r, senders};
  int keys[senders] = {};
  std::atomic<int> would_block{0};
  std::thread cons{[&] { c.run(); }};
  std::vector<std::thread> producers;
  for (int id = 0; id < 2; ++id)
    producers.emplace_back([&, id] {
      send_as_actor(core, id, &keys[id], rc.park_limit,
                    boxes[static_cast<std::size_t>(id)], t, c, would_block);
    });
  producers.emplace_back(
    [&] { send_as(core, sender_kind::thread, 2, &keys[2], t, c); });
  for (auto& p : producers)
    p.join();
  c.stop();
  cons.join();
  auto& s = core.stats();
  EXPECT_EQ(c.lost_wakeups, 0);
  EXPECT_EQ(c.out_of_order, 0);
  // relaxed: after join
  EXPECT_EQ(would_block.load(std::memory_order_relaxed), 0)
    << "an actor never exceeds its park limit if it waits for outcomes";
  EXPECT_EQ(t.total_popped(), senders * per_producer) << "nothing lost";
  EXPECT_EQ(s.parked_now.get(), 0u);
  EXPECT_EQ(s.blocked_now.get(), 0u);
  EXPECT_LE(s.high_watermark.get(), rc.capacity);
  EXPECT_TRUE(identities_hold(s));
  t.expect_complete({0, 1, 2}, per_producer);
  close_and_dispose(core, t, r);
}

TEST_F(Parking, CloseReleasesEveryoneWhileTheyWait) {
  auto rc = cfg(mailbox::block(2).with_park_limit(1));
  core_type core{rc};
  constexpr int senders = 4; // 0, 1: actors; 2, 3: threads
  tally t{senders};
  std::vector<parker_box> boxes(2);
  router r{&t, &boxes};
  int keys[senders] = {};
  // Fill it; nobody consumes, so every sender ends up waiting.
  for (int i = 0; i < 2; ++i) {
    auto* x = new node{3, -2 + i};
    ASSERT_EQ(core.offer(x, sender_kind::unmanaged, nullptr).status,
              admit::accepted);
  }
  std::vector<admit> thread_result(2, admit::accepted);
  std::vector<std::unique_ptr<guarded_thread>> ts;
  for (int id = 0; id < 2; ++id)
    ts.push_back(std::make_unique<guarded_thread>([&, id] {
      auto* x = new node{id, 0};
      auto res = core.offer(x, sender_kind::actor, &keys[id]);
      EXPECT_EQ(res.status, admit::park_needed);
      res = core.park(x, &keys[id], id);
      EXPECT_EQ(res.status, admit::parked);
      boxes[static_cast<std::size_t>(id)].parked();
    }));
  for (int id = 2; id < 4; ++id)
    ts.push_back(std::make_unique<guarded_thread>([&, id] {
      auto* x = new node{id, 0};
      auto res = core.offer(x, sender_kind::thread, &keys[id], long_wait);
      thread_result[static_cast<std::size_t>(id - 2)] = res.status;
      if (!core::taken(res.status))
        delete x;
    }));
  ASSERT_TRUE(eventually([&] {
    return core.stats().parked_now.get() == 2
           && core.stats().blocked_now.get() == 2;
  }));
  effects fx;
  std::vector<node*> rest;
  core.close(fx, rest);
  EXPECT_EQ(rest.size(), 2u);
  for (auto* x : rest)
    delete x;
  ASSERT_EQ(fx.parked_done.size(), 2u);
  r(fx);
  for (auto& th : ts)
    ASSERT_TRUE(th->finished_within());
  EXPECT_EQ(thread_result, (std::vector<admit>{admit::closed, admit::closed}));
  EXPECT_EQ(core.stats().closed.get(), 4u);
  EXPECT_EQ(core.stats().parked_now.get(), 0u);
  EXPECT_EQ(core.stats().blocked_now.get(), 0u);
  EXPECT_TRUE(identities_hold(core.stats()));
}

// -- reconfigure() while producers and the consumer run -------------------------------------

using Reconfiguring = leak_checked;

TEST_F(Reconfiguring, ConcurrentPolicyChangesLoseNothingUnaccounted) {
  const std::vector<mailbox> cycle = {
    mailbox::block(4).with_park_limit(2).with_overcommit(2),
    mailbox::drop_newest(3),
    mailbox::credit(6, 3).with_overcommit(2),
    mailbox::drop_oldest(5),
    mailbox::block(2).with_park_limit(2).with_overcommit(1),
    mailbox::credit(4, 2),
    mailbox::drop_oldest(2),
    mailbox::block(8).with_park_limit(2),
  };
  core_type core{cfg(cycle[0])};
  // 0: unmanaged, 1: managed thread, 2: sluice actor, 3: credit endpoint
  constexpr int senders = 4;
  tally t{senders};
  std::vector<parker_box> boxes(3); // only box 2 is used
  router r{&t, &boxes};
  consumer c{core, t, r, senders};
  int keys[senders] = {};
  std::atomic<int> would_block{0};
  std::atomic<bool> reconfiguring{true};
  // Producers overlap with every reconfiguration: they go on while the
  // reconfigurer works (bounded by max).
  pace p{per_producer / 4, per_producer * 20, &reconfiguring, true};
  auto lease = std::make_shared<counting_lease>();
  {
    effects fx;
    ASSERT_TRUE(core.attach(lease, fx));
    r(fx);
  }
  std::thread cons{[&] { c.run(); }};
  std::thread admin{[&] {
    for (std::size_t i = 1; i <= reconfigurations; ++i) {
      effects fx;
      auto wake = core.reconfigure(cfg(cycle[i % cycle.size()]), fx);
      r(fx);
      if (wake)
        c.wake();
      std::this_thread::yield();
    }
    // release: pairs with pace::more's acquire load
    reconfiguring.store(false, std::memory_order_release);
  }};
  std::vector<std::thread> producers;
  producers.emplace_back(
    [&] { send_as(core, sender_kind::unmanaged, 0, &keys[0], t, c, p); });
  producers.emplace_back(
    [&] { send_as(core, sender_kind::thread, 1, &keys[1], t, c, p); });
  producers.emplace_back([&] {
    send_as_actor(core, 2, &keys[2], 2, boxes[2], t, c, would_block, p);
  });
  producers.emplace_back([&] {
    // An endpoint: spends credit in credit mode, else sends as its owner
    // (a managed thread here); on no_credit the message is handed back and
    // the thread waits briefly for credit.
    for (int seq = 0; p.more(seq); ++seq) {
      tally::bump(t.produced, 3);
      auto* x = new node{3, seq};
      effects fx;
      auto res = core.offer_credit(x, *lease, fx);
      r(fx);
      if (res.status == admit::not_credit)
        res = core.offer(x, sender_kind::thread, &keys[3], long_wait);
      auto status = res.status;
      handle(res, x, t, c);
      if (status == admit::no_credit)
        (void)core.wait_credit(*lease, core_type::clock::now()
                                         + std::chrono::milliseconds{2});
    }
    effects fx;
    core.detach(*lease, fx);
    r(fx);
  });
  admin.join();
  for (auto& th : producers)
    th.join();
  c.stop();
  cons.join();
  auto& s = core.stats();
  EXPECT_EQ(s.attempted.get(), static_cast<std::uint64_t>(t.total_produced()))
    << "every message was offered once (not_credit is not an attempt)";
  EXPECT_EQ(c.lost_wakeups, 0);
  EXPECT_EQ(c.out_of_order, 0);
  // relaxed: after join
  EXPECT_EQ(would_block.load(std::memory_order_relaxed), 0);
  EXPECT_EQ(s.depth.get(), 0u);
  EXPECT_EQ(s.parked_now.get(), 0u);
  EXPECT_EQ(s.blocked_now.get(), 0u);
  EXPECT_EQ(s.dequeued.get(), static_cast<std::uint64_t>(t.total_popped()));
  EXPECT_EQ(s.evicted.get(), static_cast<std::uint64_t>(t.total_evicted()));
  EXPECT_TRUE(identities_hold(s));
  t.expect_complete({0, 1, 2, 3}, p.min);
  close_and_dispose(core, t, r);
  EXPECT_TRUE(identities_hold(s));
}

// -- credit: endpoint threads, automatic grants ----------------------------------------------

using CreditThreads = leak_checked;

std::shared_ptr<counting_lease> attach_lease(core_type& core, const router& r) {
  auto l = std::make_shared<counting_lease>();
  effects fx;
  EXPECT_TRUE(core.attach(l, fx));
  r(fx);
  return l;
}

/// An endpoint thread: never loses a message; on no_credit it keeps the
/// message and waits for credit. Attaches a lease unless given one; detaches
/// at the end. @returns the no_credit retries.
long endpoint_sender(core_type& core, int id, tally& t, consumer& c,
                     const router& r,
                     std::shared_ptr<counting_lease> l = nullptr) {
  if (l == nullptr)
    l = attach_lease(core, r);
  long retries = 0;
  for (int seq = 0; seq < per_producer; ++seq) {
    tally::bump(t.produced, id);
    auto* x = new node{id, seq};
    for (;;) {
      effects fx;
      auto res = core.offer_credit(x, *l, fx);
      r(fx);
      if (res.status == admit::no_credit) {
        ++retries;
        if (core.wait_credit(*l, core_type::clock::now() + long_wait) == 0) {
          ADD_FAILURE() << "endpoint " << id << ": no credit for 30 s";
          tally::bump(t.refused, id);
          delete x;
          break;
        }
        continue;
      }
      EXPECT_EQ(res.status, admit::accepted);
      handle(res, x, t, c);
      break;
    }
  }
  effects fx;
  core.detach(*l, fx);
  r(fx);
  return retries;
}

TEST_F(CreditThreads, TwoEndpointsNothingLostNothingOverCapacity) {
  auto rc = cfg(mailbox::credit(8, 4).with_overcommit(0));
  core_type core{rc};
  constexpr int senders = 2;
  tally t{senders};
  router r{&t, nullptr};
  consumer c{core, t, r, senders};
  std::thread cons{[&] { c.run(); }};
  std::vector<long> retries(senders, 0);
  std::vector<std::thread> eps;
  for (int id = 0; id < senders; ++id)
    eps.emplace_back([&, id] {
      retries[static_cast<std::size_t>(id)]
        = endpoint_sender(core, id, t, c, r);
    });
  for (auto& e : eps)
    e.join();
  c.stop();
  cons.join();
  auto& s = core.stats();
  EXPECT_EQ(c.lost_wakeups, 0);
  EXPECT_EQ(c.out_of_order, 0);
  EXPECT_EQ(t.total_popped(), senders * per_producer) << "nothing lost";
  EXPECT_LE(s.high_watermark.get(), rc.capacity) << "nothing over capacity";
  EXPECT_LE(c.max_depth_seen, rc.capacity);
  EXPECT_EQ(s.no_credit.get(),
            static_cast<std::uint64_t>(retries[0] + retries[1]));
  EXPECT_EQ(s.dead_lettered.get() + s.overcommitted.get(), 0u);
  EXPECT_EQ(s.credit_leased.get(), 0u) << "both detached, nothing queued";
  EXPECT_TRUE(identities_hold(s));
  t.expect_complete({0, 1}, per_producer);
  close_and_dispose(core, t, r);
}

TEST_F(CreditThreads, ThirdEndpointWaitsForALeaseThenProceeds) {
  auto rc = cfg(mailbox::credit(8, 4).with_overcommit(0));
  core_type core{rc};
  constexpr int senders = 3;
  tally t{senders};
  router r{&t, nullptr};
  consumer c{core, t, r, senders};
  std::thread cons{[&] { c.run(); }};
  std::vector<std::thread> eps;
  for (int id = 0; id < senders; ++id)
    eps.emplace_back([&, id] { (void)endpoint_sender(core, id, t, c, r); });
  for (auto& e : eps)
    e.join();
  c.stop();
  cons.join();
  auto& s = core.stats();
  EXPECT_EQ(c.lost_wakeups, 0);
  EXPECT_EQ(c.out_of_order, 0);
  EXPECT_EQ(t.total_popped(), senders * per_producer) << "nothing lost";
  EXPECT_LE(s.high_watermark.get(), rc.capacity);
  EXPECT_EQ(s.leases_waiting.get(), 0u);
  EXPECT_TRUE(identities_hold(s));
  t.expect_complete({0, 1, 2}, per_producer);
  close_and_dispose(core, t, r);
}

TEST_F(CreditThreads, EndpointsAndUnmanagedSendersShareTheCapacity) {
  auto rc = cfg(mailbox::credit(8, 2).with_overcommit(2));
  core_type core{rc};
  constexpr int senders = 3; // 0, 1: endpoints; 2: unmanaged
  tally t{senders};
  router r{&t, nullptr};
  consumer c{core, t, r, senders};
  std::thread cons{[&] { c.run(); }};
  // The endpoints lease first: a lease is granted against other leases
  // only, so unmanaged messages queued before it could exceed the bound.
  std::vector<std::shared_ptr<counting_lease>> ls;
  for (int id = 0; id < 2; ++id)
    ls.push_back(attach_lease(core, r));
  EXPECT_EQ(core.stats().credit_leased.get(), 4u);
  std::vector<std::thread> ps;
  for (int id = 0; id < 2; ++id)
    ps.emplace_back([&, id] {
      (void)endpoint_sender(core, id, t, c, r,
                            ls[static_cast<std::size_t>(id)]);
    });
  int key = 0;
  ps.emplace_back(
    [&] { send_as(core, sender_kind::unmanaged, 2, &key, t, c); });
  for (auto& p : ps)
    p.join();
  c.stop();
  cons.join();
  auto& s = core.stats();
  EXPECT_EQ(c.lost_wakeups, 0);
  EXPECT_EQ(c.out_of_order, 0);
  EXPECT_EQ(tally::get(t.popped, 0), per_producer);
  EXPECT_EQ(tally::get(t.popped, 1), per_producer);
  EXPECT_LE(s.high_watermark.get(), rc.capacity + rc.overcommit);
  EXPECT_TRUE(identities_hold(s));
  t.expect_complete({0, 1, 2}, per_producer);
  close_and_dispose(core, t, r);
}

} // namespace
