// mailbox_core lifecycle: close(), reconfigure() between policies and
// capacities, and held (skipped) messages.
#include <chrono>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core_support.hpp"

namespace {

using namespace sluice;
using namespace sluice::core_test;

using pairs = std::vector<std::pair<int, int>>;
using lease_ptr = std::shared_ptr<counting_lease>;

lease_ptr attach(harness& h) {
  auto l = std::make_shared<counting_lease>();
  h.attach(l);
  return l;
}

void fill(harness& h, int n, int sender = 9) {
  for (int i = 0; i < n; ++i)
    ASSERT_EQ(h.offer(sender_kind::unmanaged, sender, i), admit::accepted);
}

// -- close -----------------------------------------------------------------------------

using Close = leak_checked;

TEST_F(Close, LaterOffersAreClosed) {
  harness h{mailbox::block(2)};
  fill(h, 1);
  h.close();
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, 0), admit::closed);
  EXPECT_EQ(h.send_actor(0, 1), admit::closed);
  EXPECT_EQ(h.offer(sender_kind::thread, 0, 2, 60s), admit::closed);
  EXPECT_EQ(h.stats().closed.get(), 3u);
  EXPECT_EQ(h.handed_back.size(), 3u);
  EXPECT_FALSE(h.pop());
  EXPECT_TRUE(identities_hold(h.stats()));
}

TEST_F(Close, HandsOutQueuedMessagesInOrder) {
  harness h{mailbox::drop_newest(8)};
  fill(h, 5);
  EXPECT_TRUE(h.pop());
  auto discarded = h.close();
  EXPECT_EQ(discarded, (pairs{{9, 1}, {9, 2}, {9, 3}, {9, 4}}));
  EXPECT_EQ(h.stats().discarded_on_exit.get(), 4u);
  EXPECT_EQ(h.stats().dequeued.get(), 1u);
  EXPECT_EQ(h.depth(), 0u);
  EXPECT_TRUE(identities_hold(h.stats()));
}

TEST_F(Close, ReportsParkedWaitersClosed) {
  harness h{mailbox::block(1).with_park_limit(2)};
  fill(h, 1);
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  EXPECT_EQ(h.send_actor(1, 0), admit::parked);
  EXPECT_EQ(h.send_actor(0, 1), admit::parked);
  settled s;
  auto discarded = h.close(&s);
  EXPECT_EQ(discarded, (pairs{{9, 0}}));
  ASSERT_EQ(s.parked.size(), 3u);
  EXPECT_EQ(s.parked[0].parker, 0);
  EXPECT_EQ(s.parked[1].parker, 1);
  EXPECT_EQ(s.parked[2].parker, 0);
  for (auto& o : s.parked)
    EXPECT_EQ(o.st, wstate::closed);
  EXPECT_EQ(s.parked[2].seq, 1) << "the message is handed back";
  EXPECT_EQ(h.stats().closed.get(), 3u);
  EXPECT_EQ(h.stats().parked_now.get(), 0u);
  EXPECT_EQ(h.core.parked_by(h.key(0)), 0u);
  EXPECT_TRUE(identities_hold(h.stats()));
}

TEST_F(Close, WakesBlockedThreadsWithClosed) {
  harness h{mailbox::block(1)};
  fill(h, 1);
  std::vector<admit> got(2, admit::accepted);
  std::vector<std::unique_ptr<guarded_thread>> ts;
  for (int i = 0; i < 2; ++i)
    ts.push_back(std::make_unique<guarded_thread>([&h, &got, i] {
      got[static_cast<std::size_t>(i)]
        = h.offer(sender_kind::thread, i, 0, 60s);
    }));
  ASSERT_TRUE(eventually([&] { return h.stats().blocked_now.get() == 2; }));
  h.close();
  for (auto& t : ts)
    ASSERT_TRUE(t->finished_within()) << "close() must wake blocked threads";
  EXPECT_EQ(got, (std::vector<admit>{admit::closed, admit::closed}));
  EXPECT_EQ(h.stats().blocked_now.get(), 0u);
  EXPECT_EQ(h.stats().closed.get(), 2u);
  EXPECT_TRUE(identities_hold(h.stats()));
}

TEST_F(Close, ReleasesLeases) {
  harness h{mailbox::credit(4, 2)};
  auto a = attach(h);
  auto b = attach(h);
  auto c = attach(h); // waiting
  EXPECT_EQ(h.send_credit(*a, 0, 0), admit::accepted);
  settled s;
  auto discarded = h.close(&s);
  EXPECT_EQ(discarded.size(), 1u);
  EXPECT_EQ(s.writable.size(), 3u) << "every lease's owner is told";
  EXPECT_EQ(a->writable_calls(), 1);
  EXPECT_EQ(c->writable_calls(), 1);
  EXPECT_EQ(h.stats().credit_leased.get(), 0u);
  EXPECT_EQ(h.stats().leases_waiting.get(), 0u);
  EXPECT_EQ(h.core.credit_of(*b), 0u);
  EXPECT_EQ(h.send_credit(*b, 1, 0), admit::closed);
  EXPECT_EQ(h.core.wait_credit(*b, core_type::clock::now() + 60s), 0u);
  std::size_t k = 9;
  h.grant(10, &k);
  EXPECT_EQ(k, 0u);
  h.detach(*a); // endpoint destroyed after the target died: harmless
  EXPECT_TRUE(identities_hold(h.stats()));
}

TEST_F(Close, HeldMessagesAreTheActorsAndGaugesReset) {
  harness h{mailbox::block(4)};
  fill(h, 3);
  effects fx;
  auto* held = h.core.pop(fx);
  h.core.hold();
  EXPECT_EQ(h.stats().held.get(), 1u);
  auto discarded = h.close();
  EXPECT_EQ(discarded.size(), 2u) << "held messages are not the core's";
  delete held; // the actor reports it as held_discarded
  EXPECT_EQ(h.stats().held.get(), 0u);
  EXPECT_EQ(h.depth(), 0u);
  EXPECT_TRUE(identities_hold(h.stats()));
}

TEST_F(Close, UnclosedCoreFreesWhatItHolds) {
  auto before = node::live_now();
  {
    harness h{mailbox::block(1).with_park_limit(2)};
    fill(h, 1);
    EXPECT_EQ(h.send_actor(0, 0), admit::parked);
    EXPECT_EQ(node::live_now(), before + 2);
  } // ~mailbox_core closes and disposes the queued and the parked message
  EXPECT_EQ(node::live_now(), before);
}

// -- reconfigure -------------------------------------------------------------------------

using Reconfigure = leak_checked;

TEST_F(Reconfigure, BlockToDropNewestAdmitsWhatFitsAndDropsTheRest) {
  harness h{mailbox::block(2).with_park_limit(4)};
  fill(h, 2);
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  EXPECT_EQ(h.send_actor(1, 0), admit::parked);
  EXPECT_EQ(h.send_actor(2, 0), admit::parked);
  auto s = h.reconfigure(mailbox::drop_newest(3));
  ASSERT_EQ(s.parked.size(), 3u);
  EXPECT_EQ(s.parked[0].parker, 0);
  EXPECT_EQ(s.parked[0].st, wstate::admitted);
  EXPECT_EQ(s.parked[0].how, admit::accepted);
  EXPECT_EQ(s.parked[1].st, wstate::dropped);
  EXPECT_EQ(s.parked[1].seq, 0) << "handed back";
  EXPECT_EQ(s.parked[2].st, wstate::dropped);
  EXPECT_EQ(h.stats().dropped_newest.get(), 2u);
  EXPECT_EQ(h.stats().parked_now.get(), 0u);
  EXPECT_EQ(h.core.config().policy, policy::drop_newest);
  EXPECT_EQ(h.stats().capacity.get(), 3u);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.drain();
  EXPECT_EQ(h.popped, (pairs{{9, 0}, {9, 1}, {0, 0}}));
  h.close();
}

TEST_F(Reconfigure, BlockToDropNewestDropsABlockedThread) {
  harness h{mailbox::block(1)};
  fill(h, 1);
  admit got = admit::accepted;
  guarded_thread t{[&] { got = h.offer(sender_kind::thread, 0, 0, 60s); }};
  ASSERT_TRUE(eventually([&] { return h.stats().blocked_now.get() == 1; }));
  auto s = h.reconfigure(mailbox::drop_newest(1));
  EXPECT_TRUE(s.parked.empty()) << "threads are woken, not reported";
  ASSERT_TRUE(t.finished_within());
  EXPECT_EQ(got, admit::dropped);
  EXPECT_EQ(h.handed_back, (pairs{{0, 0}}));
  EXPECT_EQ(h.stats().dropped_newest.get(), 1u);
  EXPECT_EQ(h.stats().blocked_now.get(), 0u);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Reconfigure, BlockToDropOldestEvictsToAdmitWaiters) {
  harness h{mailbox::block(2).with_park_limit(4)};
  fill(h, 2);
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  EXPECT_EQ(h.send_actor(1, 0), admit::parked);
  auto s = h.reconfigure(mailbox::drop_oldest(2));
  EXPECT_EQ(s.evicted, (pairs{{9, 0}, {9, 1}}));
  ASSERT_EQ(s.parked.size(), 2u);
  for (auto& o : s.parked) {
    EXPECT_EQ(o.st, wstate::admitted);
    EXPECT_EQ(o.how, admit::evicted);
  }
  EXPECT_EQ(h.stats().evicted.get(), 2u);
  EXPECT_TRUE(identities_hold(h.stats()));
  EXPECT_EQ(h.drain(), (std::vector<int>{0, 0}));
  EXPECT_EQ(h.popped, (pairs{{0, 0}, {1, 0}}));
  h.close();
}

TEST_F(Reconfigure, BlockToCreditAdmitsWaitersOverCapacity) {
  harness h{mailbox::block(2).with_park_limit(4)};
  fill(h, 2);
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  EXPECT_EQ(h.send_actor(0, 1), admit::parked);
  admit got = admit::closed;
  guarded_thread t{[&] { got = h.offer(sender_kind::thread, 1, 0, 60s); }};
  ASSERT_TRUE(eventually([&] { return h.stats().blocked_now.get() == 1; }));
  auto s = h.reconfigure(mailbox::credit(2, 2));
  ASSERT_TRUE(t.finished_within());
  EXPECT_EQ(got, admit::overcommitted);
  ASSERT_EQ(s.parked.size(), 2u);
  for (auto& o : s.parked) {
    EXPECT_EQ(o.st, wstate::admitted);
    EXPECT_EQ(o.how, admit::overcommitted);
  }
  EXPECT_EQ(h.stats().overcommitted.get(), 3u);
  EXPECT_EQ(h.depth(), 5u);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.drain();
  EXPECT_EQ(h.popped, (pairs{{9, 0}, {9, 1}, {0, 0}, {0, 1}, {1, 0}}));
  h.close();
}

TEST_F(Reconfigure, WaitersWithRoomAreAdmittedUnderAnyNewPolicy) {
  for (auto m : {mailbox::drop_newest(10), mailbox::drop_oldest(10),
                 mailbox::credit(10, 2)}) {
    harness h{mailbox::block(1).with_park_limit(4)};
    fill(h, 1);
    EXPECT_EQ(h.send_actor(0, 0), admit::parked);
    EXPECT_EQ(h.send_actor(0, 1), admit::parked);
    auto s = h.reconfigure(m);
    ASSERT_EQ(s.parked.size(), 2u);
    for (auto& o : s.parked) {
      EXPECT_EQ(o.st, wstate::admitted);
      EXPECT_EQ(o.how, admit::accepted);
    }
    EXPECT_TRUE(s.evicted.empty());
    EXPECT_EQ(h.drain(), (std::vector<int>{0, 0, 1}));
    h.close();
  }
}

TEST_F(Reconfigure, CapacityRaiseAdmitsWaitersFifo) {
  harness h{mailbox::block(2).with_park_limit(4)};
  fill(h, 2);
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  EXPECT_EQ(h.send_actor(1, 0), admit::parked);
  EXPECT_EQ(h.send_actor(2, 0), admit::parked);
  auto s = h.reconfigure(mailbox::block(4).with_park_limit(4));
  ASSERT_EQ(s.parked.size(), 2u);
  EXPECT_EQ(s.parked[0].parker, 0);
  EXPECT_EQ(s.parked[1].parker, 1);
  EXPECT_EQ(h.stats().parked_now.get(), 1u);
  EXPECT_EQ(h.depth(), 4u);
  // No barging after the raise: still full, newcomers park behind 2.
  EXPECT_EQ(h.send_actor(3, 0), admit::parked);
  h.drain();
  EXPECT_EQ(h.popped, (pairs{{9, 0}, {9, 1}, {0, 0}, {1, 0}, {2, 0}, {3, 0}}));
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Reconfigure, CapacityRaiseReleasesABlockedThread) {
  harness h{mailbox::block(1)};
  fill(h, 1);
  admit got = admit::closed;
  guarded_thread t{[&] { got = h.offer(sender_kind::thread, 0, 0, 60s); }};
  ASSERT_TRUE(eventually([&] { return h.stats().blocked_now.get() == 1; }));
  h.reconfigure(mailbox::block(2));
  ASSERT_TRUE(t.finished_within());
  EXPECT_EQ(got, admit::accepted);
  EXPECT_EQ(h.drain(), (std::vector<int>{0, 0}));
  h.close();
}

TEST_F(Reconfigure, CapacityLowerKeepsQueuedMessages) {
  harness h{mailbox::block(4)};
  fill(h, 4);
  auto s = h.reconfigure(mailbox::block(2));
  EXPECT_TRUE(s.parked.empty());
  EXPECT_EQ(h.depth(), 4u);
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  EXPECT_TRUE(h.pop());
  EXPECT_TRUE(h.pop());
  EXPECT_TRUE(h.log.parked.empty()) << "depth 2 is not below capacity 2";
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(h.log.parked.size(), 1u);
  h.drain();
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Reconfigure, ReturnValueSaysWhetherToWakeTheConsumer) {
  harness h{mailbox::block(2)};
  fill(h, 2);
  // The actor skips both: held, queue empty, the consumer goes idle.
  std::vector<node*> held;
  for (int i = 0; i < 2; ++i) {
    effects fx;
    held.push_back(h.core.pop(fx));
    h.core.hold();
  }
  EXPECT_FALSE(h.core.finish_drain());
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  bool wake = false;
  h.reconfigure(mailbox::block(2), &wake);
  EXPECT_FALSE(wake) << "nothing queued";
  h.reconfigure(mailbox::block(3), &wake);
  EXPECT_TRUE(wake) << "a waiter was queued for an idle consumer";
  h.reconfigure(mailbox::block(4), &wake);
  EXPECT_FALSE(wake) << "a pass is already pending";
  EXPECT_EQ(h.drain(), (std::vector<int>{0}));
  for (auto* x : held)
    delete x;
  h.close();
}

TEST_F(Reconfigure, CreditToBlockRevokesLeases) {
  harness h{mailbox::credit(8, 4)};
  auto a = attach(h);
  auto b = attach(h);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(h.send_credit(*a, 0, i), admit::accepted);
  EXPECT_EQ(h.send_credit(*a, 0, 4), admit::no_credit); // wants writable
  EXPECT_EQ(h.send_credit(*b, 1, 0), admit::accepted);
  auto s = h.reconfigure(mailbox::block(8));
  ASSERT_EQ(s.writable.size(), 1u) << "the refused endpoint may retry";
  EXPECT_EQ(s.writable[0], a.get());
  EXPECT_EQ(h.stats().credit_leased.get(), 5u) << "only what is queued";
  EXPECT_EQ(h.core.credit_of(*a), 0u);
  EXPECT_EQ(h.core.credit_of(*b), 0u);
  // Endpoints now send as their owner.
  auto attempted = h.stats().attempted.get();
  auto* x = new node{0, 5};
  effects fx;
  EXPECT_EQ(h.core.offer_credit(x, *a, fx).status, admit::not_credit);
  delete x;
  EXPECT_EQ(h.stats().attempted.get(), attempted) << "nothing counted";
  // Queued endpoint messages return their slots as they are popped.
  for (std::uint64_t left = 5; left > 0; --left) {
    EXPECT_TRUE(h.pop());
    EXPECT_EQ(h.stats().credit_leased.get(), left - 1);
  }
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Reconfigure, BackToCreditLeasesAgainOnTheNextSend) {
  harness h{mailbox::credit(4, 4)};
  auto a = attach(h);
  EXPECT_EQ(h.send_credit(*a, 0, 0), admit::accepted);
  h.reconfigure(mailbox::block(4));
  h.drain();
  h.reconfigure(mailbox::credit(4, 2));
  EXPECT_EQ(h.core.credit_of(*a), 0u) << "lazily: nothing until a send";
  EXPECT_EQ(h.send_credit(*a, 0, 1), admit::accepted);
  EXPECT_EQ(h.core.credit_of(*a), 1u) << "a new lease with the new window";
  EXPECT_EQ(h.stats().credit_leased.get(), 2u);
  h.drain();
  h.close();
}

TEST_F(Reconfigure,
       RevokedLeaseWithMessagesQueuedLeasesAgainWhenTheyArePopped) {
  harness h{mailbox::credit(4, 4)};
  auto a = attach(h);
  EXPECT_EQ(h.send_credit(*a, 0, 0), admit::accepted);
  EXPECT_EQ(h.send_credit(*a, 0, 1), admit::accepted);
  h.reconfigure(mailbox::drop_newest(4));
  h.reconfigure(mailbox::credit(4, 4));
  EXPECT_EQ(h.send_credit(*a, 0, 2), admit::no_credit)
    << "its old messages are still queued";
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(a->writable_calls(), 0);
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(a->writable_calls(), 1) << "leased again and told";
  EXPECT_EQ(h.core.credit_of(*a), 4u);
  EXPECT_EQ(h.stats().credit_leased.get(), 4u);
  h.close();
}

TEST_F(Reconfigure, WaitCreditWakesWhenLeasesAreRevoked) {
  harness h{mailbox::credit(1, 1)};
  auto a = attach(h);
  EXPECT_EQ(h.send_credit(*a, 0, 0), admit::accepted);
  std::size_t got = 99;
  guarded_thread t{
    [&] { got = h.core.wait_credit(*a, core_type::clock::now() + 60s); }};
  std::this_thread::sleep_for(5ms);
  h.reconfigure(mailbox::block(1));
  // No credit will ever come: the endpoint must send as its owner now.
  if (!t.finished_within(20s)) {
    ADD_FAILURE() << "wait_credit sleeps through the revocation";
    h.close();
    t.join();
  }
  EXPECT_EQ(got, 0u);
  EXPECT_EQ(h.core.wait_credit(*a, core_type::clock::now() + 60s), 0u)
    << "and returns at once while the mailbox is not in credit mode";
  h.drain();
  h.close();
}

TEST_F(Reconfigure, WaitingLeasesTakeTheNewWindow) {
  harness h{mailbox::credit(8, 8)};
  auto a = attach(h);
  auto b = attach(h); // waits with window 8
  h.reconfigure(mailbox::credit(4, 2));
  h.detach(*a);
  EXPECT_EQ(h.core.credit_of(*b), 2u)
    << "a lease still waiting is granted the current window";
  EXPECT_EQ(h.stats().leases_waiting.get(), 0u);
  EXPECT_LE(h.stats().credit_leased.get(), 4u);
  h.close();
}

TEST_F(Reconfigure, CreditCapacityRaiseGrantsWaitingLeases) {
  harness h{mailbox::credit(4, 4)};
  auto a = attach(h);
  auto b = attach(h);
  EXPECT_EQ(h.send_credit(*b, 1, 0), admit::no_credit);
  auto s = h.reconfigure(mailbox::credit(8, 4));
  EXPECT_EQ(h.core.credit_of(*b), 4u);
  EXPECT_EQ(s.writable.size(), 1u);
  EXPECT_EQ(h.stats().credit_leased.get(), 8u);
  h.close();
}

TEST_F(Reconfigure, SamePolicyAndCapacityChangesNothing) {
  harness h{mailbox::drop_oldest(4)};
  fill(h, 3);
  bool wake = true;
  auto s = h.reconfigure(mailbox::drop_oldest(4), &wake);
  EXPECT_FALSE(wake);
  EXPECT_TRUE(s.parked.empty());
  EXPECT_TRUE(s.evicted.empty());
  EXPECT_EQ(h.drain(), (std::vector<int>{0, 1, 2}));
  h.close();
}

// -- held (skipped) messages ----------------------------------------------------------------

using Hold = leak_checked;

TEST_F(Hold, HeldMessagesMakeSendersWaitUnderBlock) {
  harness h{mailbox::block(2)};
  fill(h, 2);
  effects fx;
  auto* held = h.core.pop(fx);
  EXPECT_TRUE(fx.empty());
  h.core.hold(); // skipped: still counts
  EXPECT_EQ(h.depth(), 2u);
  EXPECT_EQ(h.stats().held.get(), 1u);
  EXPECT_EQ(h.send_actor(0, 0), admit::parked);
  auto s = h.unhold(); // handled now: a slot frees, the waiter enters
  delete held;
  ASSERT_EQ(s.parked.size(), 1u);
  EXPECT_EQ(s.parked[0].st, wstate::admitted);
  EXPECT_EQ(h.stats().held.get(), 0u);
  EXPECT_EQ(h.depth(), 2u);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.drain();
  h.close();
}

TEST_F(Hold, HeldMessagesMakeDropNewestDrop) {
  harness h{mailbox::drop_newest(2)};
  fill(h, 2);
  effects fx;
  auto* held = h.core.pop(fx);
  h.core.hold();
  EXPECT_EQ(h.offer(sender_kind::actor, 0, 0), admit::dropped);
  delete held;
  h.unhold();
  EXPECT_EQ(h.offer(sender_kind::actor, 0, 1), admit::accepted);
  h.drain();
  h.close();
}

TEST_F(Hold, DropOldestCannotEvictHeldMessages) {
  harness h{mailbox::drop_oldest(2)};
  fill(h, 2);
  effects fx;
  auto* held = h.core.pop(fx);
  h.core.hold();
  EXPECT_EQ(h.offer(sender_kind::actor, 0, 0), admit::evicted);
  EXPECT_EQ(h.evicted, (pairs{{9, 1}})) << "the queued one, not the held";
  EXPECT_EQ(h.depth(), 2u);
  delete held;
  h.unhold();
  h.drain();
  h.close();
}

/// With everything counted held by the actor there is nothing to evict: the
/// arrival is refused (counted as dropped) instead of growing past the bound.
TEST_F(Hold, DropOldestRefusesWhenEverythingIsHeld) {
  harness h{mailbox::drop_oldest(2)};
  fill(h, 2);
  effects fx;
  auto* a = h.core.pop(fx);
  h.core.hold();
  auto* b = h.core.pop(fx);
  h.core.hold();
  EXPECT_EQ(h.offer(sender_kind::actor, 0, 0), admit::dropped);
  EXPECT_EQ(h.stats().dropped_newest.get(), 1u);
  EXPECT_EQ(h.depth(), 2u);
  EXPECT_EQ(h.stats().high_watermark.get(), 2u);
  delete a;
  h.unhold();
  EXPECT_EQ(h.offer(sender_kind::actor, 0, 1), admit::accepted);
  delete b;
  h.unhold();
  h.drain();
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Hold, HeldMessagesLimitUnmanagedSendersUnderCredit) {
  harness h{mailbox::credit(2, 2).with_overcommit(0)};
  fill(h, 2);
  effects fx;
  auto* held = h.core.pop(fx);
  h.core.hold();
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, 0), admit::dead_letter);
  delete held;
  h.unhold();
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 0, 1), admit::accepted);
  h.drain();
  h.close();
}

} // namespace
