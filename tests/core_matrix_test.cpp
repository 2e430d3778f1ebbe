// Generic mailbox_core tests: every policy in the named matrix
// (core_support.hpp) meets every test here. Single-threaded, seeded random
// interleavings of sends, pops, holds and grants.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core_support.hpp"

namespace {

using namespace sluice;
using namespace sluice::core_test;

/// Sends as the policy's managed sender: under block a sluice actor (the
/// park protocol), under drop-* an actor (nothing special), under credit an
/// endpoint holding a lease (attached at construction). Pops check that
/// every sender's messages arrive in increasing sequence order.
class driver {
public:
  driver(const mailbox_case& c, int senders, std::uint32_t seed)
    : h(c.box), rc(cfg(c.box)), rng(seed),
      next_seq(static_cast<std::size_t>(senders), 0),
      last_seen(static_cast<std::size_t>(senders), -1) {
    if (rc.policy == policy::credit)
      for (int i = 0; i < senders; ++i) {
        auto l = std::make_shared<counting_lease>();
        bool ok = false;
        h.attach(l, &ok);
        EXPECT_TRUE(ok);
        leases.push_back(l);
      }
  }

  harness h;
  resolved_mailbox rc;
  std::mt19937 rng;
  std::vector<int> next_seq;
  std::vector<int> last_seen;
  std::vector<std::shared_ptr<counting_lease>> leases;
  std::vector<node*> held; // popped, kept by the "actor", counted as held
  std::size_t held_disposed = 0;
  std::size_t pops = 0;

  int senders() const {
    return static_cast<int>(next_seq.size());
  }

  int pick(int n) {
    return static_cast<int>(rng() % static_cast<unsigned>(n));
  }

  admit send_managed(int s) {
    auto seq = next_seq[static_cast<std::size_t>(s)]++;
    switch (rc.policy) {
      case policy::block:
        return h.send_actor(s, seq);
      case policy::drop_newest:
      case policy::drop_oldest:
        return h.offer(sender_kind::actor, s, seq);
      case policy::credit:
        return h.send_credit(*leases[static_cast<std::size_t>(s)], s, seq);
    }
    return admit::closed;
  }

  admit send_unmanaged(int s) {
    auto seq = next_seq[static_cast<std::size_t>(s)]++;
    return h.offer(sender_kind::unmanaged, s, seq);
  }

  void check_order(int sender, int seq) {
    auto& last = last_seen[static_cast<std::size_t>(sender)];
    EXPECT_LT(last, seq) << "sender " << sender << " out of order";
    last = seq;
  }

  bool pop() {
    auto x = h.pop();
    if (!x)
      return false;
    ++pops;
    check_order(x->first, x->second);
    maybe_grant();
    return true;
  }

  /// Pops and keeps the message (a skipped message): counts as held.
  bool pop_and_hold() {
    effects fx;
    auto* x = h.core.pop(fx);
    h.record(settle(fx));
    if (x == nullptr)
      return false;
    ++pops;
    check_order(x->sender, x->seq);
    h.core.hold();
    held.push_back(x);
    maybe_grant();
    return true;
  }

  void unhold() {
    if (held.empty())
      return;
    delete held.back();
    held.pop_back();
    h.unhold();
  }

  /// Manual credit: the "actor" grants what it consumed now and then.
  void maybe_grant() {
    if (rc.policy == policy::credit && rc.credit_mode == credit_mode::manual
        && pick(2) == 0)
      h.grant(h.core.owed());
  }

  /// Closes the core and disposes everything; returns the messages
  /// discarded by close().
  std::size_t close() {
    auto discarded = h.close();
    for (auto* x : held)
      delete x;
    held_disposed = held.size();
    held.clear();
    return discarded.size();
  }

  /// Messages created minus those accounted for: 0 when nothing is lost or
  /// counted twice.
  long unaccounted(std::size_t discarded) const {
    long produced = 0;
    for (auto n : next_seq)
      produced += n;
    long parked_back = 0;
    for (auto& o : h.log.parked)
      if (o.st != wstate::admitted)
        ++parked_back;
    return produced - static_cast<long>(pops + h.handed_back.size())
           - parked_back
           - static_cast<long>(h.evicted.size() + h.log.evicted.size())
           - static_cast<long>(discarded);
  }
};

class Matrix : public leak_checked_param<mailbox_case> {
protected:
  resolved_mailbox rc() const {
    return cfg(GetParam().box);
  }
};

TEST_P(Matrix, CountersStartAtZeroWithTheCapacityGauge) {
  harness h{GetParam().box};
  auto& c = h.stats();
  EXPECT_EQ(c.capacity.get(), rc().capacity);
  EXPECT_EQ(c.depth.get(), 0u);
  EXPECT_EQ(c.attempted.get(), 0u);
  EXPECT_EQ(c.oldest_arrival_ns(), 0u);
  EXPECT_TRUE(identities_hold(c));
  EXPECT_FALSE(h.core.closed());
  EXPECT_EQ(h.core.config().policy, rc().policy);
  EXPECT_EQ(h.core.config().capacity, rc().capacity);
  h.close();
}

TEST_P(Matrix, ManagedSendersNeverExceedCapacity) {
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    driver d{GetParam(), 3, seed};
    for (int step = 0; step < 3000; ++step) {
      if (d.pick(100) < 45)
        d.pop();
      else
        d.send_managed(d.pick(d.senders()));
      ASSERT_LE(d.h.depth(), d.rc.capacity) << "step " << step;
    }
    EXPECT_LE(d.h.stats().high_watermark.get(), d.rc.capacity);
    EXPECT_EQ(d.h.stats().overcommitted.get(), 0u);
    EXPECT_EQ(d.h.stats().dead_lettered.get(), 0u);
    EXPECT_GT(d.pops, 0u);
    EXPECT_EQ(d.unaccounted(d.close()), 0);
  }
}

TEST_P(Matrix, UnmanagedSendersStayWithinOvercommit) {
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    driver d{GetParam(), 4, seed};
    auto bound = d.rc.capacity + d.rc.overcommit;
    for (int step = 0; step < 3000; ++step) {
      auto r = d.pick(100);
      if (r < 35)
        d.pop();
      else if (r < 70)
        d.send_managed(d.pick(2));
      else
        d.send_unmanaged(2 + d.pick(2));
      ASSERT_LE(d.h.depth(), bound) << "step " << step;
    }
    EXPECT_LE(d.h.stats().high_watermark.get(), bound);
    EXPECT_EQ(d.unaccounted(d.close()), 0);
  }
}

TEST_P(Matrix, PerSenderFifo) {
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    driver d{GetParam(), 5, seed};
    for (int step = 0; step < 4000; ++step) {
      auto r = d.pick(100);
      if (r < 40)
        d.pop();
      else if (r < 85)
        d.send_managed(d.pick(3));
      else
        d.send_unmanaged(3 + d.pick(2));
    }
    // Drain what is left (admitting parked waiters as room appears).
    while (d.pop()) {
    }
    EXPECT_EQ(d.h.stats().parked_now.get(), 0u);
    EXPECT_EQ(d.unaccounted(d.close()), 0);
  }
}

TEST_P(Matrix, IdentitiesHoldAfterEveryStep) {
  for (std::uint32_t seed = 1; seed <= 3; ++seed) {
    driver d{GetParam(), 4, seed};
    for (int step = 0; step < 3000; ++step) {
      auto r = d.pick(100);
      if (r < 30)
        d.pop();
      else if (r < 38)
        d.pop_and_hold();
      else if (r < 45)
        d.unhold();
      else if (r < 50)
        (void)d.h.core.finish_drain();
      else if (r < 80)
        d.send_managed(d.pick(2));
      else if (r < 90)
        d.send_unmanaged(2);
      else if (r < 95)
        d.h.offer(sender_kind::thread, 3, d.next_seq[3]++, 0s, false);
      else
        d.h.offer(sender_kind::self, 3, d.next_seq[3]++);
      ASSERT_TRUE(identities_hold(d.h.stats())) << "step " << step;
      ASSERT_EQ(d.h.stats().held.get(), d.held.size());
      ASSERT_EQ(d.h.stats().blocked_now.get(), 0u);
    }
    auto discarded = d.close();
    EXPECT_TRUE(identities_hold(d.h.stats()));
    EXPECT_EQ(d.h.stats().discarded_on_exit.get(), discarded);
    EXPECT_EQ(d.h.stats().depth.get(), 0u);
    EXPECT_EQ(d.h.stats().held.get(), 0u);
    EXPECT_EQ(d.h.stats().parked_now.get(), 0u);
    EXPECT_EQ(d.unaccounted(discarded), 0);
  }
}

TEST_P(Matrix, CountersAgreeWithWhatTheCallersSaw) {
  driver d{GetParam(), 4, 7};
  for (int step = 0; step < 2000; ++step) {
    auto r = d.pick(100);
    if (r < 40)
      d.pop();
    else if (r < 85)
      d.send_managed(d.pick(2));
    else
      d.send_unmanaged(2 + d.pick(2));
  }
  auto& c = d.h.stats();
  EXPECT_EQ(c.dequeued.get(), d.pops);
  EXPECT_EQ(c.evicted.get(), d.h.evicted.size() + d.h.log.evicted.size());
  EXPECT_EQ(c.attempted.get(),
            static_cast<std::uint64_t>(d.next_seq[0] + d.next_seq[1]
                                       + d.next_seq[2] + d.next_seq[3]));
  std::size_t parked_back = 0;
  for (auto& o : d.h.log.parked)
    parked_back += o.st != wstate::admitted ? 1 : 0;
  EXPECT_EQ(refused(c), d.h.handed_back.size() + parked_back);
  auto queued = c.depth.get();
  auto discarded = d.close();
  EXPECT_EQ(queued, discarded);
  EXPECT_EQ(c.discarded_on_exit.get(), discarded);
  EXPECT_EQ(d.unaccounted(discarded), 0);
}

TEST_P(Matrix, HeldMessagesCountAgainstCapacity) {
  harness h{GetParam().box};
  auto cap = static_cast<int>(rc().capacity);
  for (int i = 0; i < cap; ++i)
    ASSERT_EQ(h.offer(sender_kind::unmanaged, 0, i), admit::accepted);
  // The actor skips the first one or two messages: they stay held.
  auto k = std::min(cap, 2);
  std::vector<node*> held;
  for (int i = 0; i < k; ++i) {
    effects fx;
    auto* x = h.core.pop(fx);
    ASSERT_NE(x, nullptr);
    EXPECT_TRUE(fx.empty());
    h.core.hold();
    held.push_back(x);
  }
  EXPECT_EQ(h.stats().held.get(), static_cast<std::uint64_t>(k));
  EXPECT_EQ(h.depth(), static_cast<std::uint64_t>(cap));
  EXPECT_TRUE(identities_hold(h.stats()));
  // Queue + held is at capacity: nothing is admitted within capacity.
  EXPECT_NE(h.offer(sender_kind::unmanaged, 1, 0), admit::accepted);
  // Releasing one held message makes room for exactly one.
  delete held.back();
  held.pop_back();
  h.unhold();
  // (Drop-oldest evicted a queued message above; room is room either way.)
  auto d = h.depth();
  if (d < rc().capacity) {
    EXPECT_EQ(h.offer(sender_kind::unmanaged, 1, 1), admit::accepted);
  }
  EXPECT_NE(h.offer(sender_kind::unmanaged, 1, 2), admit::accepted);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
  for (auto* x : held)
    delete x;
  EXPECT_EQ(h.stats().held.get(), 0u);
  EXPECT_EQ(h.depth(), 0u);
}

TEST_P(Matrix, UnholdWithoutHoldIsIgnored) {
  harness h{GetParam().box};
  h.unhold();
  EXPECT_EQ(h.stats().held.get(), 0u);
  EXPECT_EQ(h.depth(), 0u);
  h.close();
}

TEST_P(Matrix, ScheduleTokenProtocol) {
  harness h{GetParam().box};
  auto send = [&](int seq) {
    auto* x = new node{0, seq};
    auto res = h.core.offer(x, sender_kind::unmanaged, nullptr);
    // cap 1: the second one is overcommitted; every one is taken
    EXPECT_TRUE(core::taken(res.status)) << core::to_string(res.status);
    EXPECT_EQ(res.evicted, nullptr);
    return res.schedule;
  };
  EXPECT_TRUE(send(0)) << "the first accepted offer wakes the consumer";
  EXPECT_FALSE(send(1)) << "a pass is already pending";
  EXPECT_TRUE(h.pop());
  EXPECT_TRUE(h.core.finish_drain()) << "messages remain: pass again";
  EXPECT_FALSE(send(2));
  EXPECT_TRUE(h.pop());
  EXPECT_TRUE(h.pop());
  EXPECT_FALSE(h.pop());
  EXPECT_FALSE(h.core.finish_drain()) << "empty: the consumer goes idle";
  EXPECT_TRUE(send(3)) << "next accepted offer wakes the idle consumer";
  h.close();
}

TEST_P(Matrix, RefusedOffersDoNotWakeTheConsumer) {
  harness h{GetParam().box};
  EXPECT_FALSE(h.core.finish_drain());
  h.close();
  auto* x = new node{0, 0};
  auto res = h.core.offer(x, sender_kind::unmanaged, nullptr);
  EXPECT_EQ(res.status, admit::closed);
  EXPECT_FALSE(res.schedule);
  delete x;
}

TEST_P(Matrix, ClosedMailboxRefusesEverySender) {
  harness h{GetParam().box};
  h.close();
  for (auto who : {sender_kind::self, sender_kind::actor, sender_kind::thread,
                   sender_kind::endpoint, sender_kind::unmanaged})
    EXPECT_EQ(h.offer(who, 0, 0), admit::closed) << to_string(who);
  auto* x = new node{0, 1};
  auto res = h.core.park(x, h.key(0), 0);
  EXPECT_EQ(res.status, admit::closed);
  delete x;
  counting_lease l;
  EXPECT_EQ(h.send_credit(l, 0, 2), admit::closed);
  EXPECT_EQ(h.stats().closed.get(), 7u);
  EXPECT_EQ(h.stats().attempted.get(), 7u);
  EXPECT_TRUE(identities_hold(h.stats()));
  auto l2 = std::make_shared<counting_lease>();
  bool ok = true;
  h.attach(l2, &ok);
  EXPECT_FALSE(ok) << "attach to a closed mailbox fails";
  EXPECT_EQ(h.send_credit(*l2, 0, 3), admit::closed);
  // hold/unhold after close change nothing
  h.core.hold();
  EXPECT_EQ(h.stats().held.get(), 0u);
  EXPECT_TRUE(h.core.closed());
}

TEST_P(Matrix, CloseHandsOutEverything) {
  driver d{GetParam(), 3, 11};
  for (int step = 0; step < 200; ++step) {
    if (d.pick(100) < 20)
      d.pop();
    else
      d.send_managed(d.pick(3));
  }
  auto queued = d.h.depth();
  auto parked = d.h.stats().parked_now.get();
  settled s;
  auto discarded = d.h.close(&s);
  EXPECT_EQ(discarded.size(), queued);
  EXPECT_EQ(d.h.stats().discarded_on_exit.get(), queued);
  std::size_t closed_waiters = 0;
  for (auto& o : s.parked) {
    EXPECT_EQ(o.st, wstate::closed);
    ++closed_waiters;
  }
  EXPECT_EQ(closed_waiters, parked);
  if (d.rc.policy == policy::credit) {
    EXPECT_EQ(s.writable.size(), d.leases.size())
      << "every lease is released and told writable";
  }
  EXPECT_EQ(d.h.depth(), 0u);
  EXPECT_EQ(d.h.stats().parked_now.get(), 0u);
  EXPECT_EQ(d.h.stats().credit_leased.get(), 0u);
  EXPECT_EQ(d.h.stats().oldest_arrival_ns(), 0u)
    << "nothing is queued after close";
  EXPECT_TRUE(identities_hold(d.h.stats()));
  // Discarded messages keep each sender's order.
  std::vector<int> last(3, -1);
  for (auto& [sender, seq] : discarded) {
    auto& l = last[static_cast<std::size_t>(sender)];
    EXPECT_LT(l, seq);
    l = seq;
  }
  EXPECT_EQ(d.unaccounted(discarded.size()), 0);
  // A second close changes nothing.
  EXPECT_TRUE(d.h.close().empty());
  EXPECT_EQ(d.h.stats().discarded_on_exit.get(), queued);
}

TEST_P(Matrix, OldestEnqueueTimestampTracksTheHead) {
  harness h{GetParam().box};
  auto& c = h.stats();
  EXPECT_EQ(c.oldest_arrival_ns(), 0u);
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, 0), admit::accepted);
  auto first = c.oldest_arrival_ns();
  EXPECT_GT(first, 0u);
  EXPECT_TRUE(core::taken(h.offer(sender_kind::unmanaged, 0, 1)));
  EXPECT_EQ(c.oldest_arrival_ns(), first) << "the oldest did not change";
  EXPECT_TRUE(h.pop());
  EXPECT_GE(c.oldest_arrival_ns(), first);
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(c.oldest_arrival_ns(), 0u) << "empty queue: 0";
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, 2), admit::accepted);
  EXPECT_GT(c.oldest_arrival_ns(), 0u);
  h.close();
  EXPECT_EQ(c.oldest_arrival_ns(), 0u) << "closed: nothing queued";
}

TEST_P(Matrix, HighWatermarkIsTheDeepestDepth) {
  harness h{GetParam().box};
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, 0), admit::accepted);
  EXPECT_TRUE(core::taken(h.offer(sender_kind::unmanaged, 0, 1)));
  auto peak = h.depth();
  EXPECT_EQ(peak, 2u);
  EXPECT_TRUE(h.pop());
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(h.stats().high_watermark.get(), peak);
  h.close();
}

INSTANTIATE_TEST_SUITE_P(Policies, Matrix, testing::ValuesIn(mailbox_matrix()),
                         case_name{});

} // namespace
