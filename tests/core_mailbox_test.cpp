// The CAF-free vocabulary: sluice::mailbox (validated value object),
// resolve(), the policy headers' reaction tables, and every enum's
// to_string. Also instantiates the core's public templates with unusual
// arguments (a custom Disposer, a non-integer Parker).
#include <chrono>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "core_support.hpp"
#include "policies/block.hpp"
#include "policies/credit.hpp"
#include "policies/drop_newest.hpp"
#include "policies/drop_oldest.hpp"

namespace {

using namespace sluice;
using namespace sluice::core_test;

constexpr policy all_policies[]
  = {policy::block, policy::drop_newest, policy::drop_oldest, policy::credit};
constexpr sender_kind all_kinds[]
  = {sender_kind::self, sender_kind::actor, sender_kind::thread,
     sender_kind::endpoint, sender_kind::unmanaged};

// -- mailbox value object ----------------------------------------------------------

TEST(Mailbox, FactoriesSetPolicyAndCapacity) {
  auto b = mailbox::block(4);
  EXPECT_EQ(b.policy(), policy::block);
  EXPECT_EQ(b.capacity(), 4u);
  EXPECT_FALSE(b.window());
  EXPECT_EQ(mailbox::drop_newest(5).policy(), policy::drop_newest);
  EXPECT_EQ(mailbox::drop_oldest(6).policy(), policy::drop_oldest);
  auto c = mailbox::credit(8, 2);
  EXPECT_EQ(c.policy(), policy::credit);
  EXPECT_EQ(c.capacity(), 8u);
  EXPECT_EQ(c.window(), 2u);
  EXPECT_FALSE(mailbox::defaults().policy());
  EXPECT_FALSE(mailbox::blank().capacity());
}

TEST(Mailbox, ModifiersReturnCopies) {
  auto a = mailbox::block(4);
  auto b = a.with_park_limit(3).with_overcommit(0).named("x");
  EXPECT_FALSE(a.park_limit());
  EXPECT_TRUE(a.name().empty());
  EXPECT_EQ(b.park_limit(), 3u);
  EXPECT_EQ(b.overcommit(), 0u);
  EXPECT_EQ(b.name(), "x");
  EXPECT_EQ(a.with_manual_credit().credit_mode(), credit_mode::manual);
  EXPECT_EQ(a.with_block_timeout(std::chrono::milliseconds{5}).block_timeout(),
            mailbox::duration{std::chrono::milliseconds{5}});
}

TEST(Mailbox, InvalidSettingsCannotBeBuilt) {
  EXPECT_THROW(mailbox::block(0), invalid_mailbox);
  EXPECT_THROW(mailbox::drop_newest((std::size_t{1} << 30) + 1),
               invalid_mailbox);
  EXPECT_NO_THROW(mailbox::drop_newest(std::size_t{1} << 30));
  EXPECT_THROW(mailbox::credit(4, 0), invalid_mailbox);
  EXPECT_THROW(mailbox::credit(4, 5), invalid_mailbox);
  EXPECT_NO_THROW(mailbox::credit(4, 4));
  EXPECT_THROW(mailbox::block(4).with_park_limit(0), invalid_mailbox);
  EXPECT_THROW(mailbox::block(4).with_block_timeout(mailbox::duration{0}),
               invalid_mailbox);
  EXPECT_THROW(mailbox::block(4).with_block_timeout(mailbox::duration{-1}),
               invalid_mailbox);
  EXPECT_THROW(mailbox::block(4).named(""), invalid_mailbox);
  EXPECT_NO_THROW(mailbox::block(4).with_overcommit(0));
}

TEST(Mailbox, MergedOverFillsOnlyUnsetFields) {
  auto m = mailbox::block(4).named("a").merged_over(defaults().named("d"));
  EXPECT_EQ(m.name(), "a");
  EXPECT_EQ(m.policy(), policy::block);
  EXPECT_EQ(m.capacity(), 4u);
  EXPECT_EQ(m.window(), 4u);
  EXPECT_EQ(m.park_limit(), 1u);
  auto n = mailbox::blank().merged_over(defaults().named("d"));
  EXPECT_EQ(n.name(), "d");
}

TEST(Mailbox, OverriddenByReplacesSetFieldsKeepsName) {
  auto base = mailbox::credit(8, 4).named("stage");
  auto over = mailbox::blank();
  over.set_capacity(16).set_credit_mode(credit_mode::manual);
  auto m = base.overridden_by(over);
  EXPECT_EQ(m.name(), "stage");
  EXPECT_EQ(m.capacity(), 16u);
  EXPECT_EQ(m.window(), 4u);
  EXPECT_EQ(m.credit_mode(), credit_mode::manual);
}

TEST(Mailbox, OverriddenByValidatesTheResult) {
  // documented: "Validates the result"
  auto over = mailbox::blank();
  over.set_capacity(2);
  EXPECT_THROW(mailbox::credit(8, 4).overridden_by(over), invalid_mailbox);
}

TEST(Mailbox, Equality) {
  EXPECT_EQ(mailbox::block(4), mailbox::block(4));
  EXPECT_FALSE(mailbox::block(4) == mailbox::block(5));
  EXPECT_FALSE(mailbox::block(4) == mailbox::block(4).named("x"));
  EXPECT_FALSE(mailbox::block(4) == mailbox::drop_newest(4));
}

TEST(Resolve, FillsEveryFieldFromDefaults) {
  auto r = resolve(mailbox::block(4).with_park_limit(2).named("n"), defaults());
  EXPECT_EQ(r.name, "n");
  EXPECT_EQ(r.policy, policy::block);
  EXPECT_EQ(r.capacity, 4u);
  EXPECT_EQ(r.window, 4u);
  EXPECT_EQ(r.park_limit, 2u);
  EXPECT_EQ(r.overcommit, 0u);
  EXPECT_EQ(r.block_timeout, mailbox::duration{std::chrono::seconds{30}});
  EXPECT_EQ(r.credit_mode, credit_mode::automatic);
}

TEST(Resolve, DefaultWindowIsCappedToCapacity) {
  auto r = resolve(mailbox::credit(2, 2), defaults());
  EXPECT_EQ(r.window, 2u);
  auto s = resolve(mailbox::drop_newest(2), defaults()); // default window 4
  EXPECT_EQ(s.window, 2u);
}

TEST(Resolve, ExplicitWindowAboveCapacityFails) {
  auto m = mailbox::blank();
  m.set_policy(policy::credit).set_window(8);
  EXPECT_NO_THROW(resolve(m, defaults())); // default capacity 16
  m.set_capacity(4);
  EXPECT_THROW(resolve(m, defaults()), invalid_mailbox);
}

TEST(Resolve, MissingDefaultFails) {
  auto d = mailbox::blank();
  d.set_policy(policy::block).set_capacity(4);
  EXPECT_THROW(resolve(mailbox::block(4), d), invalid_mailbox);
  try {
    (void)resolve(mailbox::block(4).named("x"), d);
  } catch (const invalid_mailbox& e) {
    EXPECT_NE(std::string{e.what()}.find("'x'"), std::string::npos) << e.what();
  }
}

TEST(Resolve, ToString) {
  EXPECT_EQ(to_string(cfg(mailbox::block(4).named("a"))),
            "mailbox(a, block, capacity=4)");
  EXPECT_EQ(to_string(cfg(mailbox::credit(8, 2).with_manual_credit())),
            "mailbox(<unnamed>, credit, capacity=8, window=2, manual)");
}

// -- enums ----------------------------------------------------------------------

TEST(Enums, PolicyNamesRoundTrip) {
  std::set<std::string_view> names;
  for (auto p : all_policies) {
    auto s = to_string(p);
    names.insert(s);
    EXPECT_EQ(parse_policy(s), p);
  }
  EXPECT_EQ(names.size(), 4u);
  EXPECT_FALSE(parse_policy("Block"));
  EXPECT_FALSE(parse_policy(""));
  EXPECT_EQ(to_string(credit_mode::automatic), "automatic");
  EXPECT_EQ(to_string(credit_mode::manual), "manual");
}

TEST(Enums, EveryAdmitHasADistinctName) {
  constexpr admit all[] = {
    admit::accepted,   admit::evicted, admit::overcommitted, admit::self_over,
    admit::parked,     admit::dropped, admit::would_block,   admit::timed_out,
    admit::no_credit,  admit::closed,  admit::dead_letter,   admit::not_credit,
    admit::park_needed};
  std::set<std::string_view> names;
  for (auto x : all) {
    auto s = core::to_string(x);
    EXPECT_NE(s, "invalid-admit");
    names.insert(s);
  }
  EXPECT_EQ(names.size(), std::size(all));
}

TEST(Enums, TakenMeansTheCoreOwnsTheMessage) {
  EXPECT_TRUE(core::taken(admit::accepted));
  EXPECT_TRUE(core::taken(admit::evicted));
  EXPECT_TRUE(core::taken(admit::overcommitted));
  EXPECT_TRUE(core::taken(admit::self_over));
  EXPECT_TRUE(core::taken(admit::parked));
  EXPECT_FALSE(core::taken(admit::dropped));
  EXPECT_FALSE(core::taken(admit::would_block));
  EXPECT_FALSE(core::taken(admit::timed_out));
  EXPECT_FALSE(core::taken(admit::no_credit));
  EXPECT_FALSE(core::taken(admit::closed));
  EXPECT_FALSE(core::taken(admit::dead_letter));
  EXPECT_FALSE(core::taken(admit::not_credit));
  EXPECT_FALSE(core::taken(admit::park_needed));
}

TEST(Enums, SenderKindAndReactionNames) {
  std::set<std::string_view> kinds;
  for (auto k : all_kinds)
    kinds.insert(to_string(k));
  EXPECT_EQ(kinds.size(), 5u);
  EXPECT_EQ(kinds.count("invalid-sender-kind"), 0u);
  constexpr reaction reactions[]
    = {reaction::admit_over, reaction::park,  reaction::wait,
       reaction::refuse,     reaction::evict, reaction::overcommit,
       reaction::no_credit};
  std::set<std::string_view> names;
  for (auto r : reactions)
    names.insert(to_string(r));
  EXPECT_EQ(names.size(), 7u);
  EXPECT_EQ(names.count("invalid-reaction"), 0u);
}

// -- policy headers: the reaction tables are the contracts -----------------------

TEST(Policies, Kinds) {
  static_assert(policies::block::kind == policy::block);
  static_assert(policies::drop_newest::kind == policy::drop_newest);
  static_assert(policies::drop_oldest::kind == policy::drop_oldest);
  static_assert(policies::credit::kind == policy::credit);
  static_assert(policies::block::no_barging);
  static_assert(!policies::drop_newest::no_barging);
  static_assert(!policies::drop_oldest::no_barging);
  static_assert(!policies::credit::no_barging);
}

TEST(Policies, BlockMakesManagedSendersWait) {
  using p = policies::block;
  EXPECT_EQ(p::on_full(sender_kind::self), reaction::admit_over);
  EXPECT_EQ(p::on_full(sender_kind::actor), reaction::park);
  EXPECT_EQ(p::on_full(sender_kind::thread), reaction::wait);
  EXPECT_EQ(p::on_full(sender_kind::endpoint), reaction::overcommit);
  EXPECT_EQ(p::on_full(sender_kind::unmanaged), reaction::overcommit);
}

TEST(Policies, DropPoliciesTreatEverySenderAlike) {
  for (auto k : all_kinds) {
    EXPECT_EQ(policies::drop_newest::on_full(k), reaction::refuse)
      << to_string(k);
    EXPECT_EQ(policies::drop_oldest::on_full(k), reaction::evict)
      << to_string(k);
  }
}

TEST(Policies, CreditNeverSuspends) {
  using p = policies::credit;
  EXPECT_EQ(p::on_full(sender_kind::self), reaction::admit_over);
  EXPECT_EQ(p::on_full(sender_kind::endpoint), reaction::no_credit);
  EXPECT_EQ(p::on_full(sender_kind::actor), reaction::overcommit);
  EXPECT_EQ(p::on_full(sender_kind::thread), reaction::overcommit);
  EXPECT_EQ(p::on_full(sender_kind::unmanaged), reaction::overcommit);
  for (auto k : all_kinds) {
    EXPECT_NE(p::on_full(k), reaction::park);
    EXPECT_NE(p::on_full(k), reaction::wait);
  }
}

// -- template instantiations -------------------------------------------------------

struct item {
  int v = 0;
  item* next = nullptr; // the core's inbox link
};

/// Counts disposals instead of deleting: proves the destructor of an
/// unclosed core routes everything it still owns through Disposer.
struct counting_disposer {
  static int& disposed() {
    static int n = 0;
    return n;
  }
  void operator()(item* x) const {
    ++disposed();
    delete x;
  }
};

TEST(Templates, UnclosedCoreDisposesThroughDisposer) {
  counting_disposer::disposed() = 0;
  using custom_core = core::mailbox_core<item, std::string, counting_disposer>;
  {
    custom_core c{cfg(mailbox::block(2).with_park_limit(2))};
    int key = 0;
    for (int i = 0; i < 2; ++i)
      ASSERT_EQ(c.offer(new item{i}, sender_kind::unmanaged, nullptr).status,
                admit::accepted);
    auto* parked = new item{9};
    ASSERT_EQ(c.offer(parked, sender_kind::actor, &key).status,
              admit::park_needed);
    ASSERT_EQ(c.park(parked, &key, std::string{"parker"}).status,
              admit::parked);
    EXPECT_EQ(c.parked_by(&key), 1u);
  } // destroyed unclosed: 2 queued + 1 parked
  EXPECT_EQ(counting_disposer::disposed(), 3);
}

TEST(Templates, CoreOverAMoveOnlyParker) {
  using ptr_core = core::mailbox_core<item, std::unique_ptr<int>>;
  ptr_core c{cfg(mailbox::block(1))};
  int key = 0;
  ASSERT_EQ(c.offer(new item{1}, sender_kind::unmanaged, nullptr).status,
            admit::accepted);
  auto* x = new item{2};
  ASSERT_EQ(c.offer(x, sender_kind::actor, &key).status, admit::park_needed);
  ASSERT_EQ(c.park(x, &key, std::make_unique<int>(7)).status, admit::parked);
  ptr_core::effects fx;
  auto* first = c.pop(fx);
  ASSERT_NE(first, nullptr);
  delete first;
  ASSERT_EQ(fx.parked_done.size(), 1u);
  ASSERT_NE(fx.parked_done[0]->parker, nullptr);
  EXPECT_EQ(*fx.parked_done[0]->parker, 7);
  delete fx.parked_done[0];
  auto* second = c.pop(fx);
  ASSERT_EQ(second, x);
  delete second;
}

} // namespace
