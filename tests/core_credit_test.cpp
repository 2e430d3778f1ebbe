// Credit mode of mailbox_core: leases, windows, spending, grants
// (automatic and manual), the unmanaged rule next to endpoints, detach,
// wait_credit. writable() is the caller's job: tests look at what the core
// returns in effects::writable (settle() then calls writable()).
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

class Credit : public leak_checked {
protected:
  lease_ptr attach(harness& h, settled* s = nullptr) {
    auto l = std::make_shared<counting_lease>();
    bool ok = false;
    auto r = h.attach(l, &ok);
    EXPECT_TRUE(ok);
    if (s != nullptr)
      *s = r;
    return l;
  }

  static bool contains(const settled& s, const core::lease* l) {
    for (auto* x : s.writable)
      if (x == l)
        return true;
    return false;
  }
};

TEST_F(Credit, AttachLeasesAWindowFromCapacity) {
  harness h{mailbox::credit(8, 4)};
  settled s;
  auto a = attach(h, &s);
  EXPECT_TRUE(s.writable.empty()) << "nobody was refused: nobody to tell";
  EXPECT_EQ(h.core.credit_of(*a), 4u);
  EXPECT_EQ(h.stats().credit_leased.get(), 4u);
  auto b = attach(h);
  EXPECT_EQ(h.core.credit_of(*b), 4u);
  EXPECT_EQ(h.stats().credit_leased.get(), 8u);
  // Capacity fully leased: the third one waits.
  auto c = attach(h);
  EXPECT_EQ(h.core.credit_of(*c), 0u);
  EXPECT_EQ(h.stats().credit_leased.get(), 8u);
  EXPECT_EQ(h.stats().leases_waiting.get(), 1u);
  EXPECT_EQ(h.depth(), 0u);
  h.close();
}

TEST_F(Credit, SumOfActiveWindowsNeverExceedsCapacity) {
  harness h{mailbox::credit(10, 4)};
  std::vector<lease_ptr> ls;
  for (int i = 0; i < 5; ++i)
    ls.push_back(attach(h));
  std::size_t active = 0;
  for (auto& l : ls)
    active += h.core.credit_of(*l) > 0 ? 1 : 0;
  EXPECT_EQ(active, 2u) << "4 + 4 <= 10, 4 + 4 + 4 > 10";
  EXPECT_EQ(h.stats().credit_leased.get(), 8u);
  EXPECT_EQ(h.stats().leases_waiting.get(), 3u);
  // Churn: detach and attach, checking the gauge each time.
  for (int round = 0; round < 20; ++round) {
    h.detach(*ls[static_cast<std::size_t>(round % 5)]);
    ls[static_cast<std::size_t>(round % 5)] = attach(h);
    EXPECT_LE(h.stats().credit_leased.get(), 10u);
    std::size_t sum = 0;
    for (auto& l : ls)
      sum += h.core.credit_of(*l);
    EXPECT_LE(sum, 10u);
  }
  h.close();
}

TEST_F(Credit, WaitingLeaseBecomesActiveFifoWhenAnotherDetaches) {
  harness h{mailbox::credit(4, 4)};
  auto a = attach(h);
  auto b = attach(h);
  auto c = attach(h);
  EXPECT_EQ(h.stats().leases_waiting.get(), 2u);
  // b was refused a send: it wants writable; c did not try.
  EXPECT_EQ(h.send_credit(*b, 1, 0), admit::no_credit);
  EXPECT_EQ(h.handed_back, (pairs{{1, 0}}));
  auto s = h.detach(*a);
  EXPECT_EQ(h.core.credit_of(*b), 4u) << "b was first in line";
  EXPECT_EQ(h.core.credit_of(*c), 0u);
  EXPECT_TRUE(contains(s, b.get())) << "refused sender is told writable";
  EXPECT_EQ(b->writable_calls(), 1);
  EXPECT_EQ(h.stats().leases_waiting.get(), 1u);
  s = h.detach(*b);
  EXPECT_EQ(h.core.credit_of(*c), 4u);
  EXPECT_TRUE(s.writable.empty()) << "c never asked: no writable()";
  EXPECT_EQ(c->writable_calls(), 0);
  EXPECT_EQ(h.stats().leases_waiting.get(), 0u);
  EXPECT_EQ(h.send_credit(*c, 2, 0), admit::accepted);
  h.drain();
  h.close();
}

TEST_F(Credit, DetachingAWaitingLeaseLeavesTheLine) {
  harness h{mailbox::credit(4, 4)};
  auto a = attach(h);
  auto b = attach(h);
  auto c = attach(h);
  h.detach(*b);
  EXPECT_EQ(h.stats().leases_waiting.get(), 1u);
  h.detach(*a);
  EXPECT_EQ(h.core.credit_of(*c), 4u);
  EXPECT_EQ(h.core.credit_of(*b), 0u);
  EXPECT_EQ(h.send_credit(*b, 1, 0), admit::closed) << "released lease";
  h.close();
}

TEST_F(Credit, OfferSpendsCreditThenNoCredit) {
  harness h{mailbox::credit(8, 4)};
  auto l = attach(h);
  for (int i = 0; i < 4; ++i) {
    auto* x = new node{0, i};
    effects fx;
    auto res = h.core.offer_credit(x, *l, fx);
    EXPECT_EQ(res.status, admit::accepted);
    EXPECT_EQ(res.schedule, i == 0);
    EXPECT_TRUE(fx.empty());
    EXPECT_EQ(h.core.credit_of(*l), static_cast<std::size_t>(3 - i));
  }
  EXPECT_EQ(h.send_credit(*l, 0, 4), admit::no_credit);
  EXPECT_EQ(h.handed_back, (pairs{{0, 4}}));
  EXPECT_EQ(h.stats().no_credit.get(), 1u);
  EXPECT_EQ(h.stats().credit_leased.get(), 4u) << "spent credit stays leased";
  EXPECT_EQ(h.depth(), 4u);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.drain();
  h.close();
}

TEST_F(Credit, NoCreditArmsWritableForTheNextGrant) {
  harness h{mailbox::credit(4, 4)};
  auto l = attach(h);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(h.send_credit(*l, 0, i), admit::accepted);
  EXPECT_EQ(h.send_credit(*l, 0, 4), admit::no_credit);
  EXPECT_EQ(h.send_credit(*l, 0, 5), admit::no_credit);
  EXPECT_TRUE(h.pop());
  EXPECT_TRUE(h.log.writable.empty()) << "1 of 4 consumed: no grant yet";
  EXPECT_TRUE(h.pop()); // half a window: credit 2 returns
  ASSERT_EQ(h.log.writable.size(), 1u);
  EXPECT_EQ(h.log.writable[0], l.get());
  EXPECT_EQ(l->writable_calls(), 1) << "called once by the caller";
  EXPECT_EQ(h.core.credit_of(*l), 2u);
  // The next grant without a refusal in between tells nobody.
  EXPECT_TRUE(h.pop());
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(h.core.credit_of(*l), 4u);
  EXPECT_EQ(h.log.writable.size(), 1u);
  EXPECT_EQ(l->writable_calls(), 1);
  h.close();
}

TEST_F(Credit, AutomaticModeGrantsAfterHalfAWindow) {
  harness h{mailbox::credit(12, 6)};
  auto l = attach(h);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(h.send_credit(*l, 0, i), admit::accepted);
  std::vector<std::size_t> credit_after_pop;
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(h.pop());
    credit_after_pop.push_back(h.core.credit_of(*l));
  }
  EXPECT_EQ(credit_after_pop, (std::vector<std::size_t>{0, 0, 3, 3, 3, 6}));
  EXPECT_EQ(h.stats().credit_granted.get(), 6u);
  EXPECT_EQ(h.core.owed(), 0u);
  h.close();
}

TEST_F(Credit, AutomaticModeWindowOfOneGrantsEveryPop) {
  harness h{mailbox::credit(2, 1)};
  auto l = attach(h);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(h.send_credit(*l, 0, i), admit::accepted);
    EXPECT_EQ(h.core.credit_of(*l), 0u);
    EXPECT_TRUE(h.pop());
    EXPECT_EQ(h.core.credit_of(*l), 1u);
  }
  EXPECT_EQ(h.stats().credit_granted.get(), 10u);
  h.close();
}

TEST_F(Credit, ManualModeGrantsOnlyViaGrant) {
  harness h{mailbox::credit(4, 4).with_manual_credit()};
  auto l = attach(h);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(h.send_credit(*l, 0, i), admit::accepted);
  EXPECT_EQ(h.send_credit(*l, 0, 4), admit::no_credit);
  h.drain();
  EXPECT_EQ(h.core.credit_of(*l), 0u) << "consumed, not granted";
  EXPECT_EQ(h.core.owed(), 4u);
  EXPECT_TRUE(h.log.writable.empty());
  EXPECT_EQ(h.stats().credit_granted.get(), 0u);
  std::size_t k = 0;
  auto s = h.grant(1, &k);
  EXPECT_EQ(k, 1u);
  EXPECT_EQ(h.core.credit_of(*l), 1u);
  EXPECT_EQ(h.core.owed(), 3u);
  EXPECT_EQ(s.writable.size(), 1u) << "the refused endpoint hears of it";
  s = h.grant(100, &k);
  EXPECT_EQ(k, 3u) << "no more than what was consumed";
  EXPECT_TRUE(s.writable.empty());
  EXPECT_EQ(h.core.credit_of(*l), 4u);
  EXPECT_EQ(h.core.owed(), 0u);
  h.grant(5, &k);
  EXPECT_EQ(k, 0u);
  EXPECT_EQ(h.stats().credit_granted.get(), 4u);
  h.close();
}

TEST_F(Credit, ManualGrantGoesToTheOldestLeaseFirst) {
  harness h{mailbox::credit(4, 2).with_manual_credit()};
  auto a = attach(h);
  auto b = attach(h);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(h.send_credit(*b, 1, i), admit::accepted);
    EXPECT_EQ(h.send_credit(*a, 0, i), admit::accepted);
  }
  h.drain();
  EXPECT_EQ(h.core.owed(), 4u);
  std::size_t k = 0;
  h.grant(3, &k);
  EXPECT_EQ(k, 3u);
  EXPECT_EQ(h.core.credit_of(*a), 2u) << "a attached first";
  EXPECT_EQ(h.core.credit_of(*b), 1u);
  h.close();
}

TEST_F(Credit, GrantInAutomaticModeReturnsCreditEarly) {
  harness h{mailbox::credit(8, 8)};
  auto l = attach(h);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(h.send_credit(*l, 0, i), admit::accepted);
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(h.core.owed(), 1u);
  std::size_t k = 0;
  h.grant(10, &k);
  EXPECT_EQ(k, 1u);
  EXPECT_EQ(h.core.credit_of(*l), 6u);
  h.drain();
  h.close();
}

TEST_F(Credit, UnmanagedOnlyUseCapacityNotPromisedToEndpoints) {
  harness h{mailbox::credit(8, 4).with_overcommit(2)};
  auto l = attach(h); // 4 of 8 promised
  std::vector<admit> got;
  for (int i = 0; i < 8; ++i)
    got.push_back(h.offer(sender_kind::unmanaged, 9, i));
  EXPECT_EQ(got, (std::vector<admit>{admit::accepted, admit::accepted,
                                     admit::accepted, admit::accepted,
                                     admit::overcommitted, admit::overcommitted,
                                     admit::dead_letter, admit::dead_letter}));
  // The endpoint still has its whole window.
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(h.send_credit(*l, 0, i), admit::accepted) << i;
  EXPECT_EQ(h.send_credit(*l, 0, 4), admit::no_credit);
  EXPECT_EQ(h.depth(), 10u) << "capacity + overcommit";
  EXPECT_LE(h.stats().high_watermark.get(), 10u);
  EXPECT_TRUE(identities_hold(h.stats()));
  h.drain();
  h.close();
}

TEST_F(Credit, CreditReturnedButNotYetSpentStaysPromised) {
  harness h{mailbox::credit(4, 4).with_manual_credit().with_overcommit(0)};
  auto l = attach(h);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(h.send_credit(*l, 0, i), admit::accepted);
  h.drain(); // owed 4, not granted yet: still promised to the endpoint
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 9, 0), admit::dead_letter);
  h.grant(4);
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 9, 1), admit::dead_letter);
  h.close();
}

TEST_F(Credit, DetachWithMessagesOutstandingReturnsTheRestAsTheyArePopped) {
  harness h{mailbox::credit(8, 4)};
  auto a = attach(h);
  auto b = attach(h);
  auto c = attach(h); // waits: 8 of 8 leased
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(h.send_credit(*a, 0, i), admit::accepted);
  h.detach(*a);
  // a's unspent credit (1) returned; its 3 queued messages still hold slots.
  EXPECT_EQ(h.stats().credit_leased.get(), 7u);
  EXPECT_EQ(h.core.credit_of(*c), 0u) << "7 + 4 > 8";
  EXPECT_EQ(h.send_credit(*c, 2, 0), admit::no_credit);
  a.reset(); // the endpoint is gone; the core keeps what it needs
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(h.stats().credit_leased.get(), 6u);
  EXPECT_EQ(h.core.credit_of(*c), 0u);
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(h.stats().credit_leased.get(), 5u);
  EXPECT_EQ(h.core.credit_of(*c), 0u);
  EXPECT_TRUE(h.pop()); // last outstanding: 4 + 4 <= 8
  EXPECT_EQ(h.stats().credit_leased.get(), 8u);
  EXPECT_EQ(h.core.credit_of(*c), 4u);
  EXPECT_EQ(c->writable_calls(), 1) << "c was refused, so it is told";
  EXPECT_EQ(h.popped, (pairs{{0, 0}, {0, 1}, {0, 2}}));
  EXPECT_TRUE(identities_hold(h.stats()));
  h.close();
}

TEST_F(Credit, DetachTwiceAndDetachUnattachedAreHarmless) {
  harness h{mailbox::credit(4, 4)};
  auto a = attach(h);
  h.detach(*a);
  h.detach(*a);
  counting_lease never;
  h.detach(never);
  EXPECT_EQ(h.stats().credit_leased.get(), 0u);
  auto b = attach(h);
  EXPECT_EQ(h.core.credit_of(*b), 4u);
  h.close();
}

TEST_F(Credit, OfferCreditOnANonCreditMailboxIsNotCredit) {
  for (auto m :
       {mailbox::block(4), mailbox::drop_newest(4), mailbox::drop_oldest(4)}) {
    harness h{m};
    auto l = attach(h);
    auto* x = new node{0, 0};
    effects fx;
    auto res = h.core.offer_credit(x, *l, fx);
    EXPECT_EQ(res.status, admit::not_credit);
    EXPECT_TRUE(fx.empty());
    delete x; // handed back; the caller sends as the endpoint's owner
    EXPECT_EQ(h.stats().attempted.get(), 0u) << "nothing counted";
    EXPECT_EQ(h.stats().credit_leased.get(), 0u);
    EXPECT_TRUE(identities_hold(h.stats()));
    h.close();
  }
}

TEST_F(Credit, WaitCreditBlocksAThreadUntilAGrant) {
  harness h{mailbox::credit(2, 2)};
  auto l = attach(h);
  EXPECT_EQ(h.send_credit(*l, 0, 0), admit::accepted);
  EXPECT_EQ(h.send_credit(*l, 0, 1), admit::accepted);
  std::size_t got = 0;
  guarded_thread t{
    [&] { got = h.core.wait_credit(*l, core_type::clock::now() + 60s); }};
  // Nothing observable says "the thread waits"; popping now or before it
  // waits must both end with credit.
  std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(h.pop());
  EXPECT_TRUE(h.pop()); // half of 2 -> grant after each pop
  if (!t.finished_within()) {
    ADD_FAILURE() << "wait_credit not woken by a grant";
    h.close();
    t.join();
  }
  EXPECT_GT(got, 0u);
  h.close();
}

TEST_F(Credit, WaitCreditReturnsAtOnceWithCredit) {
  harness h{mailbox::credit(2, 2)};
  auto l = attach(h);
  EXPECT_EQ(h.core.wait_credit(*l, core_type::clock::now() + 60s), 2u);
  h.close();
}

TEST_F(Credit, WaitCreditTimesOut) {
  harness h{mailbox::credit(1, 1)};
  auto l = attach(h);
  EXPECT_EQ(h.send_credit(*l, 0, 0), admit::accepted);
  EXPECT_EQ(h.core.wait_credit(*l, core_type::clock::now() + 20ms), 0u);
  EXPECT_EQ(h.core.wait_credit(*l, core_type::clock::now() - 1s), 0u);
  // Having asked, the endpoint is told writable at the next grant.
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(l->writable_calls(), 1);
  h.close();
}

TEST_F(Credit, WaitCreditWakesForALeaseGrantedLater) {
  harness h{mailbox::credit(2, 2)};
  auto a = attach(h);
  auto b = attach(h); // waiting for a lease
  std::size_t got = 0;
  guarded_thread t{
    [&] { got = h.core.wait_credit(*b, core_type::clock::now() + 60s); }};
  std::this_thread::sleep_for(5ms);
  h.detach(*a);
  if (!t.finished_within()) {
    ADD_FAILURE() << "wait_credit not woken when its lease was granted";
    h.close();
    t.join();
  }
  EXPECT_EQ(got, 2u);
  h.close();
}

TEST_F(Credit, WaitCreditWakesOnClose) {
  harness h{mailbox::credit(1, 1)};
  auto l = attach(h);
  EXPECT_EQ(h.send_credit(*l, 0, 0), admit::accepted);
  std::size_t got = 99;
  guarded_thread t{
    [&] { got = h.core.wait_credit(*l, core_type::clock::now() + 60s); }};
  std::this_thread::sleep_for(5ms);
  h.close();
  ASSERT_TRUE(t.finished_within()) << "close() must wake wait_credit";
  EXPECT_EQ(got, 0u);
}

TEST_F(Credit, LeaseDestroyedOnlyAfterTheCoreUnlocks) {
  // A lease's destructor is user code (endpoint_lease holds actor handles):
  // it must not run under the core's mutex. The last reference may be the
  // core's, once the endpoint detached with messages outstanding.
  struct probing_lease : core::lease {
    core_type* c = nullptr;
    bool* locked = nullptr;
    std::thread* probe = nullptr;
    ~probing_lease() override {
      if (c == nullptr)
        return;
      auto done = std::make_shared<std::atomic<bool>>(false);
      auto* core = c;
      *probe = std::thread{[core, done] {
        (void)core->closed(); // takes the core's mutex
        // release: pairs with the acquire poll below
        done->store(true, std::memory_order_release);
      }};
      auto deadline = std::chrono::steady_clock::now() + 10s;
      // acquire: pairs with the probe's release store
      while (!done->load(std::memory_order_acquire)
             && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
      *locked = !done->load(std::memory_order_acquire);
    }
  };
  harness h{mailbox::credit(4, 4)};
  bool locked = false;
  std::thread probe;
  {
    auto l = std::make_shared<probing_lease>();
    h.attach(l);
    EXPECT_EQ(h.send_credit(*l, 0, 0), admit::accepted);
    h.detach(*l);
    l->c = &h.core;
    l->locked = &locked;
    l->probe = &probe;
  }                     // the core now holds the only reference
  EXPECT_TRUE(h.pop()); // the last outstanding message: the lease is freed
  ASSERT_TRUE(probe.joinable()) << "the lease was not destroyed by pop()";
  probe.join();
  EXPECT_FALSE(locked) << "lease destructor ran under the core's mutex";
  h.close();
}

// -- the credit bound with held messages and plain senders ---------------------

/// The consumer protocol of a sluice actor: pop_batch() takes one message
/// under credit; if the actor skips it, hold() keeps its credit until
/// unhold(); a message handled normally returns its credit at the next call.
TEST_F(Credit, HeldMessageReturnsItsCreditOnlyWhenConsumed) {
  harness h{mailbox::credit(4, 2)};
  auto l = attach(h);
  EXPECT_EQ(h.send_credit(*l, 0, 0), admit::accepted);
  EXPECT_EQ(h.send_credit(*l, 0, 1), admit::accepted);
  EXPECT_EQ(h.send_credit(*l, 0, 2), admit::no_credit);
  effects fx;
  node* out[4] = {};
  bool counted = true;
  ASSERT_EQ(h.core.pop_batch(out, 4, &counted, fx), 1u) << "one at a time";
  EXPECT_FALSE(counted);
  auto t0 = h.core.hold(); // skipped: still occupies memory
  ASSERT_EQ(h.core.pop_batch(out + 1, 4, &counted, fx), 1u);
  auto t1 = h.core.hold();
  EXPECT_EQ(h.core.credit_of(*l), 0u) << "held messages keep their credit";
  EXPECT_EQ(h.depth(), 2u);
  EXPECT_EQ(h.send_credit(*l, 0, 3), admit::no_credit);
  // consumed later: the slots free and a half window returns
  h.core.unhold(fx, t0);
  EXPECT_EQ(h.core.credit_of(*l), 1u);
  h.core.unhold(fx, t1);
  EXPECT_EQ(h.core.credit_of(*l), 2u);
  EXPECT_EQ(h.depth(), 0u);
  delete out[0];
  delete out[1];
  settle(fx);
  h.close();
}

TEST_F(Credit, HandledMessageReturnsItsCreditAtTheNextCall) {
  harness h{mailbox::credit(4, 1)};
  auto l = attach(h);
  EXPECT_EQ(h.send_credit(*l, 0, 0), admit::accepted);
  effects fx;
  node* out[1] = {};
  bool counted = true;
  ASSERT_EQ(h.core.pop_batch(out, 1, &counted, fx), 1u);
  delete out[0]; // handled
  EXPECT_EQ(h.core.credit_of(*l), 0u) << "not back before the next call";
  h.core.settle(fx);
  EXPECT_EQ(h.core.credit_of(*l), 1u);
  settle(fx);
  h.close();
}

/// Plain (unmanaged) messages queued before an endpoint connects occupy
/// capacity: the window is leased only once they are gone, so depth plus
/// unspent credit never exceeds capacity plus the overcommit allowance.
TEST_F(Credit, LeasesAreGrantedAgainstQueuedPlainMessages) {
  harness h{mailbox::credit(8, 4).with_overcommit(4)};
  for (int i = 0; i < 12; ++i)
    EXPECT_TRUE(core::taken(h.offer(sender_kind::unmanaged, 1, i)));
  EXPECT_EQ(h.offer(sender_kind::unmanaged, 1, 12), admit::dead_letter);
  auto a = attach(h);
  EXPECT_EQ(h.core.credit_of(*a), 0u) << "12 queued: no room for a window";
  EXPECT_EQ(h.send_credit(*a, 0, 0), admit::no_credit);
  for (int i = 0; i < 7; ++i)
    EXPECT_TRUE(h.pop());
  EXPECT_EQ(h.core.credit_of(*a), 0u) << "5 queued + 4 > 8";
  EXPECT_TRUE(h.pop());
  EXPECT_EQ(h.core.credit_of(*a), 4u) << "4 queued + 4 <= 8";
  EXPECT_EQ(h.stats().leases_waiting.get(), 0u);
  h.drain();
  h.close();
}

/// A plain sender cannot take the room an endpoint waits for, and the
/// receiver's self-sends do not use credit promised to endpoints.
TEST_F(Credit, PlainAndSelfSendsLeaveRoomForEndpoints) {
  harness h{mailbox::credit(4, 2).with_overcommit(4)};
  auto a = attach(h); // window 2 of 4 leased
  EXPECT_EQ(h.offer(sender_kind::thread, 1, 0), admit::accepted);
  auto b = attach(h);
  EXPECT_EQ(h.core.credit_of(*b), 0u) << "1 queued + 2 promised + 2 > 4";
  EXPECT_EQ(h.offer(sender_kind::self, 2, 0), admit::self_over)
    << "the last free slot is kept for the lease in line";
  EXPECT_EQ(h.offer(sender_kind::thread, 1, 1), admit::overcommitted);
  EXPECT_EQ(h.drain().size(), 3u);
  EXPECT_EQ(h.core.credit_of(*b), 2u) << "granted once the queue emptied";
  EXPECT_EQ(h.core.credit_of(*a), 2u);
  h.close();
}

} // namespace
