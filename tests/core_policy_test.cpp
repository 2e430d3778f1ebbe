// Per-policy semantics of mailbox_core: what a full mailbox does with each
// kind of sender under block, drop-newest and drop-oldest (credit has its
// own file), self-sends and unmanaged senders.
#include <chrono>
#include <limits>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core_support.hpp"

namespace {

using namespace sluice;
using namespace sluice::core_test;

using pairs = std::vector<std::pair<int, int>>;

// -- drop-newest --------------------------------------------------------------------

using DropNewest = leak_checked;

TEST_F(DropNewest, KeepsTheOldestCapacityMessages) {
  harness h{mailbox::drop_newest(4)};
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(h.offer(sender_kind::actor, 0, i),
              i < 4 ? admit::accepted : admit::dropped)
      << i;
  EXPECT_EQ(h.handed_back,
            (pairs{{0, 4}, {0, 5}, {0, 6}, {0, 7}, {0, 8}, {0, 9}}))
    << "refused messages are handed back, newest first refused";
  EXPECT_EQ(h.stats().dropped_newest.get(), 6u);
  EXPECT_EQ(h.drain(), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(DropNewest, RefusesEveryKindOfSenderAlike) {
  harness h{mailbox::drop_newest(1).with_overcommit(5)};
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, 0), admit::accepted);
  int seq = 1;
  for (auto who : {sender_kind::self, sender_kind::actor, sender_kind::thread,
                   sender_kind::endpoint, sender_kind::unmanaged})
    EXPECT_EQ(h.offer(who, 0, seq++), admit::dropped) << to_string(who);
  EXPECT_EQ(h.stats().dropped_newest.get(), 5u);
  EXPECT_EQ(h.stats().overcommitted.get(), 0u) << "no overcommit here";
  EXPECT_EQ(h.stats().self_overcapacity.get(), 0u);
  EXPECT_EQ(h.stats().blocked_total.get(), 0u) << "nobody waits";
  EXPECT_EQ(h.stats().parked_total.get(), 0u);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(DropNewest, RoomAfterPopIsUsable) {
  harness h{mailbox::drop_newest(2)};
  EXPECT_EQ(h.offer(sender_kind::actor, 0, 0), admit::accepted);
  EXPECT_EQ(h.offer(sender_kind::actor, 0, 1), admit::accepted);
  EXPECT_EQ(h.offer(sender_kind::actor, 0, 2), admit::dropped);
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(h.offer(sender_kind::actor, 0, 3), admit::accepted);
  EXPECT_EQ(h.drain(), (std::vector<int>{1, 3}));
  h.close();
}

// -- drop-oldest ----------------------------------------------------------------

using DropOldest = leak_checked;

TEST_F(DropOldest, KeepsTheNewestCapacityMessages) {
  harness h{mailbox::drop_oldest(4)};
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(h.offer(sender_kind::actor, 0, i),
              i < 4 ? admit::accepted : admit::evicted)
      << i;
  EXPECT_TRUE(h.handed_back.empty());
  EXPECT_EQ(h.evicted, (pairs{{0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}}))
    << "the oldest queued message is evicted, in order";
  EXPECT_EQ(h.stats().evicted.get(), 6u);
  EXPECT_EQ(h.depth(), 4u);
  EXPECT_EQ(h.drain(), (std::vector<int>{6, 7, 8, 9}));
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(DropOldest, EvictsWhileTheConsumerIsInAHandler) {
  harness h{mailbox::drop_oldest(2)};
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, 0), admit::accepted);
  // The consumer pops message 0 and is "in its handler" (not finished).
  effects fx;
  node* in_handler = h.core.pop(fx);
  ASSERT_NE(in_handler, nullptr);
  EXPECT_EQ(in_handler->seq, 0);
  for (int i = 1; i <= 6; ++i)
    EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, i),
              i <= 2 ? admit::accepted : admit::evicted);
  EXPECT_EQ(h.evicted, (pairs{{0, 1}, {0, 2}, {0, 3}, {0, 4}}));
  // The message being handled is not queued: it is never evicted.
  EXPECT_EQ(in_handler->seq, 0);
  EXPECT_EQ(h.depth(), 2u);
  delete in_handler; // handler done
  EXPECT_EQ(h.drain(), (std::vector<int>{5, 6}));
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(DropOldest, EvictsAcrossSendersForEveryKind) {
  harness h{mailbox::drop_oldest(2)};
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, 0), admit::accepted);
  EXPECT_EQ(h.offer(sender_kind::thread, 1, 0), admit::accepted);
  EXPECT_EQ(h.offer(sender_kind::self, 2, 0), admit::evicted);
  EXPECT_EQ(h.offer(sender_kind::actor, 3, 0), admit::evicted);
  EXPECT_EQ(h.offer(sender_kind::endpoint, 4, 0), admit::evicted);
  EXPECT_EQ(h.evicted, (pairs{{0, 0}, {1, 0}, {2, 0}}));
  EXPECT_EQ(h.drain(), (std::vector<int>{0, 0}));
  EXPECT_EQ(h.popped, (pairs{{3, 0}, {4, 0}}));
  EXPECT_EQ(h.stats().self_overcapacity.get(), 0u);
  EXPECT_EQ(h.stats().overcommitted.get(), 0u);
  h.close();
}

// -- block: sluice actor senders (parking) ------------------------------------------

using Block = leak_checked;

void fill(harness& h, int n, int sender = 9) {
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(h.offer(sender_kind::unmanaged, sender, i), admit::accepted);
}

TEST_F(Block, ActorSenderGetsParkNeededThenParks) {
  harness h{mailbox::block(2).with_park_limit(2)};
  fill(h, 2);
  auto* x = new node{0, 0};
  auto res = h.core.offer(x, sender_kind::actor, h.key(0));
  EXPECT_EQ(res.status, admit::park_needed);
  EXPECT_FALSE(res.schedule);
  EXPECT_EQ(res.evicted, nullptr);
  // park_needed is not an attempt yet: park() counts it.
  EXPECT_EQ(h.stats().attempted.get(), 2u);
  EXPECT_TRUE(identities_hold(h.stats()));
  res = h.core.park(x, h.key(0), 0);
  EXPECT_EQ(res.status, admit::parked);
  EXPECT_FALSE(res.schedule) << "nothing queued: no wake-up";
  EXPECT_EQ(h.stats().attempted.get(), 3u);
  EXPECT_EQ(h.stats().parked_now.get(), 1u);
  EXPECT_EQ(h.stats().parked_total.get(), 1u);
  EXPECT_EQ(h.core.parked_by(h.key(0)), 1u);
  EXPECT_EQ(h.core.parked_by(h.key(1)), 0u);
  EXPECT_EQ(h.depth(), 2u) << "a parked message is not queued";
  EXPECT_TRUE(identities_hold(h.stats()));
  settled s;
  h.close(&s);
  ASSERT_EQ(s.parked.size(), 1u);
  EXPECT_EQ(s.parked[0].st, wstate::closed);
  EXPECT_EQ(s.parked[0].seq, 0);
}

TEST_F(Block, ParkAdmitsDirectlyIfRoomAppearedMeanwhile) {
  harness h{mailbox::block(1)};
  fill(h, 1);
  auto* x = new node{0, 0};
  ASSERT_EQ(h.core.offer(x, sender_kind::actor, h.key(0)).status,
            admit::park_needed);
  EXPECT_TRUE(h.pop()); // the consumer frees a slot before park()
  EXPECT_FALSE(h.core.finish_drain());
  auto res = h.core.park(x, h.key(0), 0);
  EXPECT_EQ(res.status, admit::accepted);
  EXPECT_TRUE(res.schedule) << "queued for an idle consumer";
  EXPECT_EQ(h.stats().parked_total.get(), 0u);
  EXPECT_EQ(h.drain(), (std::vector<int>{0}));
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Block, ParkLimitGivesWouldBlock) {
  harness h{mailbox::block(1).with_park_limit(2)};
  fill(h, 1);
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  EXPECT_EQ(h.send_actor(0, 1), admit::parked);
  EXPECT_EQ(h.send_actor(0, 2), admit::would_block);
  EXPECT_EQ(h.handed_back, (pairs{{0, 2}}));
  EXPECT_EQ(h.core.parked_by(h.key(0)), 2u);
  EXPECT_EQ(h.stats().would_block.get(), 1u);
  // The limit is per sender: another actor still parks.
  EXPECT_EQ(h.send_actor(1, 0), admit::parked);
  EXPECT_EQ(h.stats().parked_now.get(), 3u);
  EXPECT_TRUE(identities_hold(h.stats()));
  // Once one of sender 0's messages is admitted it may park again.
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(h.core.parked_by(h.key(0)), 1u);
  EXPECT_EQ(h.send_actor(0, 3), admit::parked);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Block, MayWaitFalseGivesWouldBlock) {
  harness h{mailbox::block(1)};
  fill(h, 1);
  EXPECT_EQ(
    h.offer(sender_kind::actor, 0, 0, core_type::clock::duration::max(), false),
    admit::would_block);
  EXPECT_EQ(h.offer(sender_kind::thread, 1, 0, 10s, false), admit::would_block);
  EXPECT_EQ(h.stats().would_block.get(), 2u);
  EXPECT_EQ(h.stats().parked_total.get(), 0u);
  EXPECT_EQ(h.stats().blocked_total.get(), 0u);
  EXPECT_EQ(h.handed_back.size(), 2u);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Block, PopAdmitsTheHeadWaiterAndReportsIt) {
  harness h{mailbox::block(2).with_park_limit(4)};
  fill(h, 2);
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  EXPECT_EQ(h.send_actor(1, 0), admit::parked);
  EXPECT_EQ(h.send_actor(0, 1), admit::parked);
  effects fx;
  auto* x = h.core.pop(fx);
  ASSERT_NE(x, nullptr);
  delete x;
  ASSERT_EQ(fx.parked_done.size(), 1u);
  auto* w = fx.parked_done[0];
  EXPECT_EQ(w->st, wstate::admitted);
  EXPECT_EQ(w->how, admit::accepted);
  EXPECT_EQ(w->parker, 0);
  EXPECT_EQ(w->key, h.key(0));
  ASSERT_NE(w->elem, nullptr);
  EXPECT_EQ(w->elem->sender, 0);
  EXPECT_EQ(w->elem->seq, 0);
  EXPECT_EQ(w->cv, nullptr) << "a parked sender, not a blocked thread";
  delete w; // the caller deletes the waiter, never the admitted message
  fx.parked_done.clear();
  EXPECT_EQ(h.stats().parked_now.get(), 2u);
  EXPECT_EQ(h.core.parked_by(h.key(0)), 1u);
  EXPECT_EQ(h.depth(), 2u);
  EXPECT_TRUE(identities_hold(h.stats()));
  // Everything arrives in FIFO order: queue, then waiters in park order.
  h.drain();
  EXPECT_EQ(h.popped, (pairs{{9, 1}, {0, 0}, {1, 0}, {0, 1}}));
  EXPECT_EQ(h.log.parked.size(), 2u);
  EXPECT_EQ(h.stats().parked_now.get(), 0u);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Block, NoBargingNewArrivalsQueueBehindWaiters) {
  harness h{mailbox::block(2).with_park_limit(4)};
  fill(h, 2);
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  EXPECT_EQ(h.send_actor(0, 1), admit::parked);
  // The consumer pops: the head waiter takes the slot.
  EXPECT_TRUE(h.pop());
  // A newcomer finds waiters and must wait behind them, even if it asks
  // between offer() and park().
  auto* x = new node{1, 0};
  ASSERT_EQ(h.core.offer(x, sender_kind::actor, h.key(1)).status,
            admit::park_needed);
  EXPECT_TRUE(h.pop()); // admits (0,1), still full
  EXPECT_EQ(h.core.park(x, h.key(1), 1).status, admit::parked);
  // A thread that may not wait is refused rather than jump the queue.
  EXPECT_EQ(h.offer(sender_kind::thread, 2, 0, 0s, false), admit::would_block);
  h.drain();
  EXPECT_EQ(h.popped, (pairs{{9, 0}, {9, 1}, {0, 0}, {0, 1}, {1, 0}}));
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Block, ParkedSenderKeepsItsOrder) {
  harness h{mailbox::block(3).with_park_limit(8)};
  std::vector<int> seqs;
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(h.send_actor(0, i), admit::accepted);
  for (int i = 3; i < 8; ++i)
    EXPECT_EQ(h.send_actor(0, i), admit::parked);
  EXPECT_EQ(h.drain(), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(h.log.parked.size(), 5u);
  for (auto& o : h.log.parked)
    EXPECT_EQ(o.st, wstate::admitted);
  h.close();
}

// -- block: managed threads ---------------------------------------------------------

TEST_F(Block, ThreadSenderBlocksUntilAConsumerPops) {
  harness h{mailbox::block(2)};
  fill(h, 2);
  admit got = admit::closed;
  bool scheduled = true;
  guarded_thread t{[&] {
    auto* x = new node{0, 0};
    auto res = h.core.offer(x, sender_kind::thread, h.key(0), 60s);
    got = res.status;
    scheduled = res.schedule;
    if (!core::taken(res.status))
      delete x;
  }};
  ASSERT_TRUE(eventually([&] { return h.stats().blocked_now.get() == 1; }));
  EXPECT_EQ(h.stats().blocked_total.get(), 1u);
  EXPECT_TRUE(t.running());
  EXPECT_TRUE(identities_hold(h.stats()));
  EXPECT_TRUE(h.pop()); // makes room: the blocked thread is admitted
  if (!t.finished_within()) {
    ADD_FAILURE() << "blocked sender not released by pop()";
    h.close(); // releases it
    t.join();
  }
  EXPECT_EQ(got, admit::accepted);
  EXPECT_FALSE(scheduled) << "the consumer is mid-pass (not idle)";
  EXPECT_TRUE(h.log.parked.empty()) << "threads are woken, not reported";
  EXPECT_EQ(h.stats().blocked_now.get(), 0u);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.drain();
  EXPECT_EQ(h.popped, (pairs{{9, 0}, {9, 1}, {0, 0}}));
  h.close();
}

TEST_F(Block, ThreadSenderTimesOutIfNobodyPops) {
  harness h{mailbox::block(1)};
  fill(h, 1);
  auto* x = new node{0, 0};
  auto res = h.core.offer(x, sender_kind::thread, h.key(0), 20ms);
  EXPECT_EQ(res.status, admit::timed_out);
  EXPECT_EQ(x->seq, 0) << "handed back intact";
  delete x;
  EXPECT_EQ(h.stats().timed_out.get(), 1u);
  EXPECT_EQ(h.stats().blocked_total.get(), 1u);
  EXPECT_EQ(h.stats().blocked_now.get(), 0u);
  EXPECT_GT(h.stats().blocked_ns.get(), 0u);
  EXPECT_TRUE(identities_hold(h.stats()));
  // The timed-out waiter left the FIFO: the next pop admits nobody, and
  // then the mailbox accepts new arrivals again.
  EXPECT_TRUE(h.pop());
  EXPECT_TRUE(h.log.parked.empty());
  EXPECT_EQ(h.send_actor(1, 0), admit::accepted);
  h.close();
}

TEST_F(Block, ZeroOrNegativeWaitTimesOutAtOnce) {
  harness h{mailbox::block(1)};
  fill(h, 1);
  EXPECT_EQ(h.offer(sender_kind::thread, 0, 0, 0s), admit::timed_out);
  EXPECT_EQ(h.offer(sender_kind::thread, 0, 1, -5s), admit::timed_out);
  EXPECT_EQ(h.stats().timed_out.get(), 2u);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Block, TimedOutHeadWaiterLetsTheNextOneKeepItsTurn) {
  harness h{mailbox::block(1).with_park_limit(2)};
  fill(h, 1);
  // A thread waits first (short timeout), then an actor parks behind it.
  guarded_thread t{[&] {
    EXPECT_EQ(h.offer(sender_kind::thread, 0, 0, 50ms), admit::timed_out);
  }};
  // blocked_total, not blocked_now: on a slow machine the thread may
  // already have timed out when we look.
  ASSERT_TRUE(eventually([&] { return h.stats().blocked_total.get() == 1; }));
  EXPECT_EQ(h.send_actor(1, 0), admit::parked);
  ASSERT_TRUE(t.finished_within());
  EXPECT_EQ(h.stats().parked_now.get(), 1u) << "still full: still waiting";
  EXPECT_TRUE(h.pop());
  ASSERT_EQ(h.log.parked.size(), 1u);
  EXPECT_EQ(h.log.parked[0].parker, 1);
  EXPECT_EQ(h.log.parked[0].st, wstate::admitted);
  EXPECT_EQ(h.drain(), (std::vector<int>{0}));
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Block, ThreadsAndParkedActorsShareOneFifo) {
  harness h{mailbox::block(1).with_park_limit(2)};
  fill(h, 1);
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  guarded_thread t{[&] {
    EXPECT_EQ(h.offer(sender_kind::thread, 1, 0, 60s), admit::accepted);
  }};
  ASSERT_TRUE(eventually([&] { return h.stats().blocked_now.get() == 1; }));
  EXPECT_EQ(h.send_actor(2, 0), admit::parked);
  // Pop 1: admits the parked actor 0 (head), the thread still waits.
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(h.stats().blocked_now.get(), 1u);
  EXPECT_TRUE(t.running());
  // Pop 2: admits the thread. Pop 3: admits actor 2.
  EXPECT_TRUE(h.pop());
  if (!t.finished_within()) {
    ADD_FAILURE() << "thread waiter not admitted in FIFO order";
    h.close();
    t.join();
    return;
  }
  EXPECT_TRUE(h.pop());
  h.drain();
  EXPECT_EQ(h.popped, (pairs{{9, 0}, {0, 0}, {1, 0}, {2, 0}}));
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

// -- self-sends -------------------------------------------------------------------

using SelfSend = leak_checked;

TEST_F(SelfSend, AdmittedOverCapacityUnderBlock) {
  harness h{mailbox::block(2).with_overcommit(0)};
  EXPECT_EQ(h.offer(sender_kind::self, 0, 0), admit::accepted);
  EXPECT_EQ(h.offer(sender_kind::self, 0, 1), admit::accepted);
  for (int i = 2; i < 6; ++i)
    EXPECT_EQ(h.offer(sender_kind::self, 0, i), admit::self_over);
  EXPECT_EQ(h.stats().self_overcapacity.get(), 4u);
  EXPECT_EQ(h.depth(), 6u);
  EXPECT_EQ(h.stats().parked_total.get(), 0u) << "never parks itself";
  EXPECT_EQ(h.drain(), (std::vector<int>{0, 1, 2, 3, 4, 5}));
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(SelfSend, AdmittedOverCapacityWhileOthersWait) {
  harness h{mailbox::block(1)};
  fill(h, 1);
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  EXPECT_EQ(h.offer(sender_kind::self, 1, 0), admit::self_over);
  h.drain();
  EXPECT_EQ(h.popped, (pairs{{9, 0}, {1, 0}, {0, 0}}))
    << "the waiter is admitted once depth is below capacity";
  h.close();
}

TEST_F(SelfSend, AdmittedOverCapacityUnderCredit) {
  harness h{mailbox::credit(2, 2).with_overcommit(0)};
  EXPECT_EQ(h.offer(sender_kind::self, 0, 0), admit::accepted);
  EXPECT_EQ(h.offer(sender_kind::self, 0, 1), admit::accepted);
  EXPECT_EQ(h.offer(sender_kind::self, 0, 2), admit::self_over);
  EXPECT_EQ(h.stats().self_overcapacity.get(), 1u);
  EXPECT_EQ(h.stats().no_credit.get(), 0u);
  EXPECT_EQ(h.drain(), (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(SelfSend, DroppedOrEvictingUnderDropPolicies) {
  harness n{mailbox::drop_newest(1)};
  EXPECT_EQ(n.offer(sender_kind::self, 0, 0), admit::accepted);
  EXPECT_EQ(n.offer(sender_kind::self, 0, 1), admit::dropped);
  n.close();
  harness o{mailbox::drop_oldest(1)};
  EXPECT_EQ(o.offer(sender_kind::self, 0, 0), admit::accepted);
  EXPECT_EQ(o.offer(sender_kind::self, 0, 1), admit::evicted);
  EXPECT_EQ(o.drain(), (std::vector<int>{1}));
  o.close();
}

// -- unmanaged senders ------------------------------------------------------------

using Unmanaged = leak_checked;

TEST_F(Unmanaged, OvercommitThenDeadLetterUnderBlock) {
  harness h{mailbox::block(2).with_overcommit(3)};
  std::vector<admit> got;
  for (int i = 0; i < 7; ++i)
    got.push_back(h.offer(sender_kind::unmanaged, 0, i));
  EXPECT_EQ(got, (std::vector<admit>{admit::accepted, admit::accepted,
                                     admit::overcommitted, admit::overcommitted,
                                     admit::overcommitted, admit::dead_letter,
                                     admit::dead_letter}));
  EXPECT_EQ(h.stats().overcommitted.get(), 3u);
  EXPECT_EQ(h.stats().dead_lettered.get(), 2u);
  EXPECT_EQ(h.depth(), 5u);
  EXPECT_EQ(h.handed_back, (pairs{{0, 5}, {0, 6}}));
  // Popping frees the allowance again (depth - capacity is what is used).
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, 7), admit::overcommitted);
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, 8), admit::dead_letter);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Unmanaged, BargePastWaitersWithinTheAllowance) {
  harness h{mailbox::block(1).with_overcommit(1)};
  fill(h, 1);
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 1, 0), admit::overcommitted)
    << "cannot be suspended, so it is not queued behind waiters";
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 1, 1), admit::dead_letter);
  // endpoint kind outside credit mode: the unmanaged rule
  EXPECT_EQ(h.offer(sender_kind::endpoint, 2, 0), admit::dead_letter);
  h.drain();
  EXPECT_EQ(h.popped, (pairs{{9, 0}, {1, 0}, {0, 0}}));
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Unmanaged, HugeOvercommitCostsNothingUpFront) {
  // The queue grows on demand: no giant reservation, no overflow of
  // capacity + overcommit, no endless rounding up.
  for (auto oc :
       {std::size_t{1} << 40, std::numeric_limits<std::size_t>::max()}) {
    harness h{mailbox::block(2).with_overcommit(oc)};
    for (int i = 0; i < 100; ++i)
      EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, i),
                i < 2 ? admit::accepted : admit::overcommitted);
    EXPECT_EQ(h.depth(), 100u);
    EXPECT_EQ(h.drain().size(), 100u);
    h.close();
  }
}

TEST_F(Unmanaged, ZeroOvercommitMeansDeadLetterWhenFull) {
  harness h{mailbox::block(1).with_overcommit(0)};
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, 0), admit::accepted);
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, 1), admit::dead_letter);
  h.close();
}

TEST_F(Unmanaged, OvercommitThenDeadLetterUnderCredit) {
  harness h{mailbox::credit(4, 4).with_overcommit(2)};
  std::vector<admit> got;
  for (int i = 0; i < 8; ++i)
    got.push_back(h.offer(sender_kind::unmanaged, 0, i));
  EXPECT_EQ(got, (std::vector<admit>{admit::accepted, admit::accepted,
                                     admit::accepted, admit::accepted,
                                     admit::overcommitted, admit::overcommitted,
                                     admit::dead_letter, admit::dead_letter}));
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Unmanaged,
       ManagedKindsWithoutEndpointFollowTheUnmanagedRuleUnderCredit) {
  harness h{mailbox::credit(1, 1).with_overcommit(1)};
  EXPECT_EQ(h.offer(sender_kind::actor, 0, 0), admit::accepted);
  EXPECT_EQ(h.offer(sender_kind::thread, 1, 0), admit::overcommitted);
  EXPECT_EQ(h.offer(sender_kind::actor, 0, 1), admit::dead_letter);
  EXPECT_EQ(h.offer(sender_kind::endpoint, 2, 0), admit::no_credit)
    << "an endpoint kind without a lease has no credit";
  EXPECT_EQ(h.stats().parked_total.get(), 0u) << "credit never suspends";
  EXPECT_EQ(h.stats().blocked_total.get(), 0u);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Unmanaged, PlainDropUnderDropPolicies) {
  harness n{mailbox::drop_newest(1).with_overcommit(8)};
  EXPECT_EQ(n.offer(sender_kind::unmanaged, 0, 0), admit::accepted);
  EXPECT_EQ(n.offer(sender_kind::unmanaged, 0, 1), admit::dropped);
  EXPECT_EQ(n.stats().overcommitted.get(), 0u);
  EXPECT_EQ(n.stats().dead_lettered.get(), 0u);
  n.close();
  harness o{mailbox::drop_oldest(1).with_overcommit(8)};
  EXPECT_EQ(o.offer(sender_kind::unmanaged, 0, 0), admit::accepted);
  EXPECT_EQ(o.offer(sender_kind::unmanaged, 0, 1), admit::evicted);
  EXPECT_EQ(o.stats().overcommitted.get(), 0u);
  EXPECT_EQ(o.depth(), 1u);
  o.close();
}

} // namespace
