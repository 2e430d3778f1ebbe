// Senders of every kind, one behaviour at a time: managed threads
// (sluice::send, send_for, try_send, caf::anon_send), sluice actors
// (sluice::send and plain self->send: parking and the park limit),
// self-sends, sends to actors without a sluice mailbox, and where losses go
// (send results versus the dead-letter hooks).

#include "support.hpp"

using namespace sluice::test;
using sluice::loss;
using sluice::mailbox;
using sluice::send_status;
using sluice::to_string;

namespace {

mailbox small_block(std::size_t cap) {
  return mailbox::block(cap).with_block_timeout(60s).with_park_limit(2);
}

// -- managed threads ------------------------------------------------------------

TEST(thread_sender, send_for_times_out_and_hands_the_message_back) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), small_block(2), p);
  hold(a, p);
  fill(a, 2);
  auto r = sluice::send_for(30ms, sluice::this_thread, a, 1, 2);
  EXPECT_EQ(r.status(), send_status::timed_out);
  ASSERT_TRUE((r.message().match_elements<int, int>()));
  EXPECT_EQ(r.message().get_as<int>(0), 1);
  EXPECT_EQ(r.message().get_as<int>(1), 2);
  auto s = stats_of(a);
  EXPECT_EQ(s.timed_out, 1u);
  EXPECT_EQ(s.blocked_now, 0u);
  EXPECT_EQ(s.blocked_total, 1u);
  expect_identity(s);
  p.hold->open();
  EXPECT_TRUE(eventually([&] { return p.rec->size() == 2; }));
  EXPECT_EQ(p.rec->of(1).size(), 0u);
  shutdown(fx.sys(), {a});
}

TEST(thread_sender, anon_send_blocks_the_thread_until_there_is_room) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), small_block(2), p);
  hold(a, p);
  fill(a, 2);
  std::atomic<bool> returned{false};
  thread_group ts;
  ts.spawn([&] {
    caf::anon_send(a, 5, 0); // a managed thread: waits for room
    returned = true;
  });
  ASSERT_TRUE(eventually([&] { return stats_of(a).blocked_now == 1; }));
  EXPECT_FALSE(returned.load());
  p.hold->open();
  ts.join();
  EXPECT_TRUE(returned.load());
  EXPECT_TRUE(eventually([&] { return p.rec->size() == 3; }));
  // the blocked message comes after the ones queued before it
  auto all = p.rec->all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.back(), std::make_pair(5, 0));
  expect_identity(stats_of(a));
  shutdown(fx.sys(), {a});
}

TEST(thread_sender, anon_send_that_times_out_is_a_dead_letter) {
  dead_letters dl;
  system_fixture fx;
  fx.rt().set_dead_letter_hook(dl.hook());
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mailbox::block(1).with_block_timeout(20ms), p);
  hold(a, p);
  fill(a, 1);
  caf::anon_send(a, 6, 0); // cannot report back: goes to the hook
  EXPECT_EQ(dl.seqs(loss::timed_out, 6), std::vector<int>{0});
  EXPECT_EQ(stats_of(a).timed_out, 1u);
  p.hold->open();
  shutdown(fx.sys(), {a});
}

TEST(thread_sender, try_send_never_waits) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), small_block(1), p);
  hold(a, p);
  auto r1 = sluice::try_send(sluice::this_thread, a, 1, 0);
  EXPECT_EQ(r1.status(), send_status::accepted);
  EXPECT_TRUE(r1.message().empty());
  auto r2 = sluice::try_send(sluice::this_thread, a, 1, 1);
  EXPECT_EQ(r2.status(), send_status::would_block);
  EXPECT_FALSE(r2.taken());
  EXPECT_FALSE(static_cast<bool>(r2));
  EXPECT_EQ(r2.message().get_as<int>(1), 1);
  EXPECT_NE(to_string(r2).find("would_block"), std::string::npos);
  EXPECT_EQ(stats_of(a).would_block, 1u);
  p.hold->open();
  shutdown(fx.sys(), {a});
}

TEST(thread_sender, plain_send_to_a_credit_mailbox_follows_the_unmanaged_rule) {
  // Without an endpoint a thread is not a credit sender: capacity not
  // promised to endpoints, then the overcommit allowance, then refused.
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mailbox::credit(4, 2).with_overcommit(1), p);
  hold(a, p);
  auto ep = sluice::connect(sluice::this_thread, a); // leases 2 of 4
  EXPECT_EQ(ep.credit(), 2u);
  std::vector<send_status> got;
  for (int i = 0; i < 4; ++i)
    got.push_back(sluice::send(sluice::this_thread, a, 1, i).status());
  std::vector<send_status> want{send_status::accepted, send_status::accepted,
                                send_status::accepted,
                                send_status::dead_lettered};
  EXPECT_EQ(got, want);
  auto s = stats_of(a);
  EXPECT_EQ(s.overcommitted, 1u);
  EXPECT_EQ(s.dead_lettered, 1u);
  // the endpoint's credit is still good
  EXPECT_EQ(ep.send(2, 0).status(), send_status::accepted);
  EXPECT_EQ(ep.send(2, 1).status(), send_status::accepted);
  EXPECT_EQ(ep.send(2, 2).status(), send_status::no_credit);
  ep.close();
  p.hold->open();
  EXPECT_TRUE(eventually([&] { return p.rec->size() == 5; }));
  expect_identity(stats_of(a));
  shutdown(fx.sys(), {a});
}

// -- sluice actors ------------------------------------------------------------

/// A sluice actor sending with plain `self->send` to a full block mailbox is
/// parked just like with sluice::send: it drains nothing until admitted.
TEST(actor_sender, plain_self_send_parks_at_a_full_block_mailbox) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), small_block(1), p);
  hold(a, p);
  fill(a, 1);
  auto handled = std::make_shared<std::atomic<int>>(0);
  auto sender = sluice::spawn(fx.sys(), mailbox::block(8),
                              [=](sluice::actor* self) -> caf::behavior {
                                return {
                                  [=](go_atom) { self->send(a, 3, 0); },
                                  [=](int) { ++*handled; },
                                };
                              });
  caf::anon_send(sender, go_atom::value);
  ASSERT_TRUE(eventually([&] { return stats_of(a).parked_now == 1; }));
  EXPECT_TRUE(eventually([&] { return stats_of(sender).suspended_now; }));
  caf::anon_send(sender, 1);
  caf::anon_send(sender, 2);
  std::this_thread::sleep_for(20ms); // give it a chance to misbehave
  EXPECT_EQ(handled->load(), 0) << "a suspended actor drains nothing";
  p.hold->open();
  EXPECT_TRUE(eventually([&] { return handled->load() == 2; }));
  EXPECT_TRUE(eventually([&] { return p.rec->of(3).size() == 1; }));
  auto s = stats_of(sender);
  EXPECT_FALSE(s.suspended_now);
  EXPECT_GT(s.suspended_ns, 0u);
  expect_identity(stats_of(a));
  shutdown(fx.sys(), {a, sender});
}

/// The sender's own code learns what became of each parked message: one
/// parked at each of two full targets; the first is admitted once its
/// target drains (accepted, naming that target), the second target dies
/// with the message still parked (closed). Without the handler the outcomes
/// would reach only the targets' dead-letter hooks.
TEST(actor_sender, park_handler_sees_each_parked_messages_outcome) {
  // two receivers held in handlers take two workers: the sender needs a third
  system_fixture fx(
    [](sluice::config& cfg) { cfg.set("scheduler.max-threads", 4); });
  sink_probe pa;
  sink_probe pb;
  auto a = spawn_sink(fx.sys(), small_block(1), pa);
  auto b = spawn_sink(fx.sys(), small_block(1), pb);
  for (auto* x : {&a, &b}) {
    hold(*x, x == &a ? pa : pb);
    fill(*x, 1);
  }
  struct seen {
    std::mutex mtx;
    std::vector<std::pair<send_status, caf::actor_addr>> outcomes;
  };
  auto log = std::make_shared<seen>();
  auto sender = sluice::spawn(
    fx.sys(), mailbox::block(8), [=](sluice::actor* self) -> caf::behavior {
      self->set_park_handler([=](send_status st, const caf::actor_addr& to) {
        std::lock_guard<std::mutex> guard{log->mtx};
        log->outcomes.emplace_back(st, to);
      });
      return {
        [=](go_atom) {
          EXPECT_EQ(sluice::send(self, a, 3, 0).status(), send_status::parked);
          EXPECT_EQ(sluice::send(self, b, 3, 1).status(), send_status::parked);
        },
      };
    });
  auto outcomes = [&] {
    std::lock_guard<std::mutex> guard{log->mtx};
    return log->outcomes;
  };
  caf::anon_send(sender, go_atom::value);
  ASSERT_TRUE(eventually([&] {
    return stats_of(a).parked_now == 1 && stats_of(b).parked_now == 1;
  }));
  EXPECT_TRUE(outcomes().empty());
  pa.hold->open(); // a drains: the parked message is admitted
  ASSERT_TRUE(eventually([&] { return pa.rec->of(3).size() == 1; }));
  ASSERT_TRUE(eventually([&] { return outcomes().size() == 1; }));
  EXPECT_EQ(outcomes()[0].first, send_status::accepted);
  EXPECT_EQ(outcomes()[0].second, a.address());
  EXPECT_TRUE(stats_of(sender).suspended_now) << "still parked at b";
  caf::anon_send_exit(b, caf::exit_reason::kill); // handled before the filler
  pb.hold->open();
  ASSERT_TRUE(eventually([&] { return outcomes().size() == 2; }))
    << outcomes().size();
  EXPECT_EQ(outcomes()[1].first, send_status::closed);
  EXPECT_EQ(outcomes()[1].second, b.address());
  EXPECT_TRUE(pb.rec->of(3).empty());
  EXPECT_TRUE(eventually([&] { return !stats_of(sender).suspended_now; }));
  shutdown(fx.sys(), {a, sender});
}

/// A parked sender that then awaits a high-priority response: its park
/// outcome arrives during the await. The handler waits until the response
/// is in (user code never runs during an await), but the suspension ends
/// at once, and after the response the actor drains its own lane again.
/// (A token left in CAF's skip cache of the normal queue would never be
/// retried by a response from the urgent queue: the actor would stall.)
TEST(actor_sender, park_outcome_during_a_high_priority_await) {
  system_fixture fx(
    [](sluice::config& cfg) { cfg.set("scheduler.max-threads", 4); });
  sink_probe p;
  auto b = spawn_sink(fx.sys(), small_block(1), p);
  hold(b, p);
  fill(b, 1);
  auto answer = std::make_shared<gate>();
  auto c = fx.sys().spawn([=] {
    return caf::behavior{[=](ping_atom) {
      answer->wait();
      return 1;
    }};
  });
  struct seen {
    std::atomic<int> outcomes{0};
    std::atomic<int> outcomes_before_reply{-1};
    std::atomic<int> replies{0};
    std::atomic<int> ints{0};
  };
  auto log = std::make_shared<seen>();
  auto a = sluice::spawn(
    fx.sys(), mailbox::block(8), [=](sluice::actor* self) -> caf::behavior {
      self->set_park_handler([=](send_status st, const caf::actor_addr&) {
        EXPECT_EQ(st, send_status::accepted);
        ++log->outcomes;
      });
      return {
        [=](go_atom) {
          EXPECT_EQ(sluice::send(self, b, 3, 0).status(), send_status::parked);
          self->request<caf::message_priority::high>(c, 30s, ping_atom::value)
            .await([=](int) {
              log->outcomes_before_reply = log->outcomes.load();
              ++log->replies;
            });
        },
        [=](int) { ++log->ints; },
      };
    });
  caf::anon_send(a, go_atom::value);
  ASSERT_TRUE(eventually([&] { return stats_of(b).parked_now == 1; }));
  caf::anon_send(a, 1); // ordinary: waits while a is parked and awaiting
  p.hold->open();       // b drains: the parked message is admitted
  ASSERT_TRUE(eventually([&] { return p.rec->of(3).size() == 1; }));
  EXPECT_TRUE(eventually([&] { return !stats_of(a).suspended_now; }))
    << "the suspension ends when the outcome arrives";
  std::this_thread::sleep_for(20ms); // give it a chance to misbehave
  EXPECT_EQ(log->outcomes.load(), 0) << "no user code during the await";
  EXPECT_EQ(log->ints.load(), 0) << "no ordinary message during the await";
  answer->open();
  ASSERT_TRUE(eventually([&] { return log->ints.load() == 1; }))
    << "the actor drains again after the response";
  EXPECT_EQ(log->replies.load(), 1);
  EXPECT_EQ(log->outcomes_before_reply.load(), 0);
  EXPECT_EQ(log->outcomes.load(), 1);
  shutdown(fx.sys(), {a, b, c});
}

/// The handle-based calls reach the sluice actor behind a caf::actor, and
/// refuse (changing nothing) for anything else.
TEST(any_sender, reconfigure_and_hook_by_handle) {
  dead_letters rt_dl;
  dead_letters mb_dl;
  system_fixture fx;
  fx.rt().set_dead_letter_hook(rt_dl.hook());
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mailbox::block(4).named("by_handle"), p);
  ASSERT_TRUE(sluice::set_dead_letter_hook(a, mb_dl.hook()));
  ASSERT_TRUE(sluice::reconfigure(a, mailbox::drop_newest(2)));
  auto cfg = config_of(a);
  EXPECT_EQ(cfg.policy, sluice::policy::drop_newest);
  EXPECT_EQ(cfg.capacity, 2u);
  // stats read gauges without the mailbox's lock: they follow the change
  EXPECT_EQ(stats_of(a).policy, sluice::policy::drop_newest);
  EXPECT_EQ(stats_of(a).capacity, 2u);
  hold(a, p);
  for (int i = 0; i < 5; ++i)
    caf::anon_send(a, 1, i); // 2 queued, 3 dropped
  EXPECT_EQ(mb_dl.seqs(loss::dropped, 1), iota(2, 5));
  EXPECT_EQ(rt_dl.size(), 0u);
  // an invalid change is refused with the field named, nothing changed
  auto too_wide = mailbox::blank();
  too_wide.set_policy(sluice::policy::credit).set_window(4); // capacity: 2
  try {
    sluice::reconfigure(a, too_wide);
    ADD_FAILURE() << "window 4 > capacity 2 accepted";
  } catch (const sluice::invalid_mailbox& e) {
    EXPECT_NE(std::string{e.what()}.find("window"), std::string::npos)
      << e.what();
  }
  EXPECT_EQ(config_of(a).policy, sluice::policy::drop_newest);
  // not a sluice actor, or no actor at all
  auto plain = fx.sys().spawn([] { return caf::behavior{[](int) {}}; });
  EXPECT_FALSE(sluice::reconfigure(plain, mailbox::block(1)));
  EXPECT_FALSE(sluice::set_dead_letter_hook(plain, mb_dl.hook()));
  EXPECT_FALSE(sluice::reconfigure(caf::actor{}, mailbox::block(1)));
  p.hold->open();
  shutdown(fx.sys(), {a, plain});
}

/// One handler sends more than the park limit: sluice::send answers
/// would_block with the message handed back; a plain send at the limit
/// becomes a dead letter (loss::would_block).
TEST(actor_sender, park_limit) {
  dead_letters dl;
  system_fixture fx;
  fx.rt().set_dead_letter_hook(dl.hook());
  sink_probe p;
  auto a = spawn_sink(fx.sys(), small_block(1), p); // park limit 2
  hold(a, p);
  fill(a, 1);
  auto statuses = std::make_shared<std::vector<send_status>>();
  auto handed_back = std::make_shared<int>(-1);
  auto sender = sluice::spawn(
    fx.sys(), mailbox::block(8), [=](sluice::actor* self) -> caf::behavior {
      return {
        [=](go_atom) {
          for (int i = 0; i < 3; ++i) {
            auto r = sluice::send(self, a, 4, i);
            statuses->push_back(r.status());
            if (!r.taken())
              *handed_back = r.message().get_as<int>(1);
          }
          self->send(a, 4, 3); // plain: beyond the limit -> dead letter
        },
        [=](ping_atom) { return static_cast<int>(statuses->size()); },
      };
    });
  caf::anon_send(sender, go_atom::value);
  ASSERT_TRUE(eventually([&] { return stats_of(a).parked_now == 2; }));
  EXPECT_TRUE(eventually([&] { return dl.size() == 1; }));
  EXPECT_EQ(dl.seqs(loss::would_block, 4), std::vector<int>{3});
  EXPECT_EQ(stats_of(a).would_block, 2u);
  p.hold->open();
  // the ping is drained once both parked messages are admitted
  caf::scoped_actor self{fx.sys()};
  self->request(sender, 10s, ping_atom::value)
    .receive([](int n) { EXPECT_EQ(n, 3); },
             [&](caf::error& e) { ADD_FAILURE() << fx.sys().render(e); });
  std::vector<send_status> want{send_status::parked, send_status::parked,
                                send_status::would_block};
  EXPECT_EQ(*statuses, want);
  EXPECT_EQ(*handed_back, 2);
  EXPECT_TRUE(eventually([&] { return p.rec->of(4) == iota(0, 2); }));
  expect_identity(stats_of(a));
  shutdown(fx.sys(), {a, sender});
}

/// try_send from a sluice actor never parks it: would_block, handed back.
TEST(actor_sender, try_send_never_parks) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), small_block(1), p);
  hold(a, p);
  fill(a, 1);
  auto sender = sluice::spawn(
    fx.sys(), mailbox::block(4), [=](sluice::actor* self) -> caf::behavior {
      return {[=](go_atom) {
        auto r = sluice::try_send(self, a, 1, 0);
        return caf::make_message(
          static_cast<int>(r.status()),
          r.message().empty() ? -1 : r.message().get_as<int>(1),
          self->suspended());
      }};
    });
  caf::scoped_actor self{fx.sys()};
  self->request(sender, 10s, go_atom::value)
    .receive(
      [](int st, int back, bool suspended) {
        EXPECT_EQ(st, static_cast<int>(send_status::would_block));
        EXPECT_EQ(back, 0);
        EXPECT_FALSE(suspended);
      },
      [&](caf::error& e) { ADD_FAILURE() << fx.sys().render(e); });
  EXPECT_EQ(stats_of(a).parked_total, 0u);
  p.hold->open();
  shutdown(fx.sys(), {a, sender});
}

/// self->delayed_send from a sluice actor is delivered later by CAF's clock
/// thread: an unmanaged sender. The actor is never parked for it.
TEST(actor_sender, delayed_send_is_unmanaged) {
  dead_letters dl;
  system_fixture fx;
  fx.rt().set_dead_letter_hook(dl.hook());
  sink_probe p;
  auto a = spawn_sink(fx.sys(), small_block(1).with_overcommit(2), p);
  hold(a, p);
  fill(a, 1);
  auto sender = sluice::spawn(fx.sys(), mailbox::block(4),
                              [=](sluice::actor* self) -> caf::behavior {
                                return {
                                  [=](go_atom) {
                                    for (int i = 0; i < 5; ++i)
                                      self->delayed_send(a, 1ms, 6, i);
                                  },
                                  [](ping_atom) { return 1; },
                                };
                              });
  caf::anon_send(sender, go_atom::value);
  ASSERT_TRUE(eventually([&] { return stats_of(a).attempted == 7; }));
  auto s = stats_of(a);
  EXPECT_EQ(s.parked_total, 0u);
  EXPECT_EQ(s.overcommitted, 2u);
  EXPECT_EQ(s.dead_lettered, 3u);
  EXPECT_EQ(dl.seqs(loss::overcommit, 6), iota(2, 5));
  for (auto& x : dl.all())
    EXPECT_EQ(x.sender, caf::actor_cast<caf::strong_actor_ptr>(sender));
  EXPECT_FALSE(stats_of(sender).suspended_now);
  p.hold->open();
  EXPECT_TRUE(eventually([&] { return p.rec->of(6) == iota(0, 2); }));
  shutdown(fx.sys(), {a, sender});
}

/// sluice::send(self, self, ...) on a full mailbox: accepted over capacity.
TEST(actor_sender, self_send_reports_over_capacity) {
  system_fixture fx;
  auto result = std::make_shared<std::vector<std::pair<send_status, bool>>>();
  auto a = sluice::spawn(
    fx.sys(), small_block(2), [=](sluice::actor* self) -> caf::behavior {
      return {
        [=](go_atom) {
          for (int i = 0; i < 4; ++i) {
            auto r = sluice::send(self, caf::actor{self}, 0, i);
            result->emplace_back(r.status(), r.over_capacity());
          }
        },
        [](int, int) {},
      };
    });
  caf::scoped_actor self{fx.sys()};
  // the request is the only message queued when the handler runs
  self->request(a, 10s, go_atom::value)
    .receive([] {}, [](caf::error&) { ADD_FAILURE(); });
  std::vector<std::pair<send_status, bool>> want{{send_status::accepted, false},
                                                 {send_status::accepted, false},
                                                 {send_status::accepted, true},
                                                 {send_status::accepted, true}};
  EXPECT_EQ(*result, want);
  auto s = stats_of(a);
  EXPECT_EQ(s.self_overcapacity, 2u);
  shutdown(fx.sys(), {a});
}

// -- destinations without a sluice mailbox ---------------------------------------

TEST(any_sender, sluice_send_to_plain_actors_and_invalid_handles) {
  system_fixture fx;
  std::atomic<int> got{0};
  auto plain = fx.sys().spawn(
    [&]() -> caf::behavior { return {[&](int x) { got = x; }}; });
  auto r = sluice::send(sluice::this_thread, plain, 7);
  EXPECT_EQ(r.status(), send_status::accepted);
  EXPECT_TRUE(eventually([&] { return got.load() == 7; }));
  EXPECT_FALSE(sluice::stats(plain).has_value());
  auto none = sluice::send(sluice::this_thread, caf::actor{}, 8);
  EXPECT_EQ(none.status(), send_status::closed);
  EXPECT_EQ(none.message().get_as<int>(0), 8);
  EXPECT_THROW(sluice::connect(sluice::this_thread, plain),
               std::invalid_argument);
  EXPECT_THROW(sluice::connect(sluice::this_thread, caf::actor{}),
               std::invalid_argument);
  shutdown(fx.sys(), {plain});
}

// -- where losses are reported --------------------------------------------------

TEST(any_sender, mailbox_hook_wins_over_runtime_hook) {
  dead_letters rt_dl;
  dead_letters mb_dl;
  system_fixture fx;
  fx.rt().set_dead_letter_hook(rt_dl.hook());
  sink_probe p1;
  sink_probe p2;
  auto a = spawn_sink(fx.sys(), mailbox::drop_newest(1).named("one"), p1);
  auto b = spawn_sink(fx.sys(), mailbox::drop_newest(1).named("two"), p2);
  impl_of(b)->set_dead_letter_hook(mb_dl.hook());
  hold(a, p1);
  hold(b, p2);
  for (auto& x : {a, b})
    for (int i = 0; i < 3; ++i)
      caf::anon_send(x, 1, i); // 1 queued, 2 dropped each
  EXPECT_EQ(rt_dl.seqs(loss::dropped, 1), iota(1, 3));
  EXPECT_EQ(mb_dl.seqs(loss::dropped, 1), iota(1, 3));
  for (auto& x : rt_dl.all())
    EXPECT_EQ(x.mailbox, "one");
  for (auto& x : mb_dl.all())
    EXPECT_EQ(x.mailbox, "two");
  // sluice::send hands refusals back instead of reporting them
  auto r = sluice::send(sluice::this_thread, a, 1, 9);
  EXPECT_EQ(r.status(), send_status::dropped);
  EXPECT_EQ(rt_dl.size(), 2u);
  p1.hold->open();
  p2.hold->open();
  shutdown(fx.sys(), {a, b});
}

TEST(any_sender, result_strings) {
  using sluice::send_result;
  EXPECT_EQ(to_string(send_status::accepted), "accepted");
  EXPECT_EQ(to_string(send_status::dead_lettered), "dead_lettered");
  EXPECT_EQ(to_string(send_result{send_status::parked}), "parked");
  auto s = to_string(send_result{send_status::dropped, caf::make_message(1)});
  EXPECT_NE(s.find("dropped"), std::string::npos);
  EXPECT_NE(s.find("1"), std::string::npos);
  EXPECT_EQ(::testing::PrintToString(send_status::timed_out), "timed_out");
  EXPECT_EQ(to_string(loss::held_discarded), "held-discarded");
  EXPECT_EQ(sluice::to_string(sluice::sec::shed), "shed");
  auto err = sluice::make_error(sluice::sec::mailbox_full);
  EXPECT_EQ(err.category(), sluice::error_category);
}

} // namespace
