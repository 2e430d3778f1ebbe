// What a sluice user can rely on about ordering, and what not.
//
// Can rely on:
// - per-sender FIFO within the ordinary lane (for every policy; drop
//   policies leave gaps but never reorder);
// - waiting senders are admitted FIFO, ahead of later arrivals (block: no
//   barging);
// - responses are never blocked, refused or dropped by the bounded lane;
// - a control message (exit, down, response) is handled after at most one
//   more ordinary message.
// Cannot rely on:
// - an ordinary message being handled before a down or exit message caused
//   later by the same sender: control messages overtake queued ordinary ones;
// - order between control and ordinary messages in general;
// - high-priority sends being bounded: CAF's urgent category is control
//   traffic to sluice and bypasses the bounded lane.

#include "support.hpp"

using namespace sluice::test;
using sluice::mailbox;
using sluice::send_status;

namespace {

/// A receiver that logs "m<sender>.<seq>", "down", "exit" (trapping exits)
/// and holds on hold_atom.
caf::behavior logging_receiver(sluice::actor* self,
                               std::shared_ptr<event_log> log,
                               std::shared_ptr<gate> g) {
  self->set_down_handler([=](caf::down_msg&) { log->add("down"); });
  self->set_exit_handler([=](caf::exit_msg& m) {
    log->add("exit");
    if (m.reason == caf::exit_reason::kill)
      self->quit(m.reason);
  });
  return {
    [=](int sender, int seq) {
      log->add("m" + std::to_string(sender) + "." + std::to_string(seq));
    },
    [=](hold_atom) { g->wait(); },
    [=](const caf::actor& x) { self->monitor(x); },
    [=](const caf::actor& x, go_atom) { self->link_to(x); },
  };
}

// -- what users can rely on ---------------------------------------------------

TEST(ordering, per_sender_fifo_and_arrival_order_across_senders) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mailbox::block(4).with_block_timeout(60s), p);
  hold(a, p);
  // a thread and a sluice actor interleave through a 4-slot mailbox
  sender_report thread_rep;
  auto actor_rep = std::make_shared<sender_report>();
  thread_group ts;
  ts.spawn([&] {
    send_all_from_thread(a, sluice::policy::block, 1, 100, thread_rep);
  });
  auto sender = start_managed_sender(fx.sys(), a, sluice::policy::block, 2, 100,
                                     4, actor_rep);
  EXPECT_TRUE(eventually([&] { return stats_of(a).waiting() >= 2; }));
  p.hold->open();
  ts.join();
  ASSERT_TRUE(eventually([&] { return p.rec->size() == 200; }, 30s));
  EXPECT_EQ(p.rec->of(1), iota(0, 100));
  EXPECT_EQ(p.rec->of(2), iota(0, 100));
  shutdown(fx.sys(), {a, sender});
}

/// Waiters are admitted in the order they started waiting, before anything
/// that arrives later (no barging): a parked actor, then a blocked thread,
/// then a try_send that must not slip in front of them.
TEST(ordering, waiters_admitted_fifo_without_barging) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mailbox::block(1).with_block_timeout(60s), p);
  hold(a, p);
  fill(a, 1);
  auto x = sluice::spawn(
    fx.sys(), mailbox::block(4), [=](sluice::actor* self) -> caf::behavior {
      return {[=](go_atom) {
        EXPECT_EQ(sluice::send(self, a, 1, 0).status(), send_status::parked);
      }};
    });
  caf::anon_send(x, go_atom::value);
  ASSERT_TRUE(eventually([&] { return stats_of(a).parked_now == 1; }));
  thread_group ts;
  ts.spawn([&] {
    EXPECT_EQ(sluice::send(sluice::this_thread, a, 2, 0).status(),
              send_status::accepted);
  });
  ASSERT_TRUE(eventually([&] { return stats_of(a).blocked_now == 1; }));
  p.hold->open();
  // the queue drains one by one; a late try_send may get in only after the
  // waiters
  std::vector<send_status> late;
  while (p.rec->size() < 3 && late.size() < 100000)
    late.push_back(sluice::try_send(sluice::this_thread, a, 3, 0).status());
  ts.join();
  ASSERT_TRUE(eventually([&] { return p.rec->size() >= 3; }));
  auto all = p.rec->all();
  ASSERT_GE(all.size(), 3u);
  EXPECT_EQ(all[0], std::make_pair(-1, 0));
  EXPECT_EQ(all[1], std::make_pair(1, 0)) << "parked first";
  EXPECT_EQ(all[2], std::make_pair(2, 0)) << "then the blocked thread";
  shutdown(fx.sys(), {a, x});
}

/// A response arriving while the ordinary lane is full is neither refused
/// nor counted: it uses the control lane and is handled first.
TEST(ordering, responses_are_never_blocked) {
  system_fixture fx;
  auto log = std::make_shared<event_log>();
  auto server_gate = std::make_shared<gate>();
  auto server = fx.sys().spawn([=]() -> caf::behavior {
    return {[=](ping_atom) {
      server_gate->wait();
      return 1;
    }};
  });
  auto g = std::make_shared<gate>();
  auto a = sluice::spawn(
    fx.sys(), mailbox::drop_newest(1),
    [=](sluice::actor* self) -> caf::behavior {
      return {
        [=](go_atom) {
          self->request(server, caf::infinite, ping_atom::value).then([=](int) {
            log->add("response");
          });
        },
        [=](hold_atom) { g->wait(); },
        [=](int sender, int seq) {
          log->add("m" + std::to_string(sender) + "." + std::to_string(seq));
        },
      };
    });
  caf::anon_send(a, go_atom::value);
  ASSERT_TRUE(server_gate->wait_entered());
  caf::anon_send(a, hold_atom::value);
  ASSERT_TRUE(g->wait_entered());
  fill(a, 1);
  EXPECT_EQ(sluice::try_send(sluice::this_thread, a, 5, 5).status(),
            send_status::dropped)
    << "the lane is full";
  auto before = stats_of(a);
  server_gate->open();
  ASSERT_TRUE(eventually([&] { return stats_of(a).control_depth >= 1; }));
  auto after = stats_of(a);
  EXPECT_EQ(after.attempted, before.attempted) << "not an ordinary message";
  EXPECT_EQ(after.dropped_newest, before.dropped_newest);
  g->open();
  ASSERT_TRUE(eventually([&] { return log->size() == 2; }));
  EXPECT_EQ(log->get(), (std::vector<std::string>{"response", "m-1.0"}));
  shutdown(fx.sys(), {a, server});
}

// -- what users cannot rely on --------------------------------------------------

/// X sends five messages, then dies. The receiver (monitoring X) handles the
/// down message after at most one of them: the rest are still queued and
/// are handled after it. Nothing is lost (block), but "down" is not last.
TEST(ordering, down_overtakes_queued_messages_of_the_same_sender) {
  system_fixture fx;
  auto log = std::make_shared<event_log>();
  auto g = std::make_shared<gate>();
  auto t
    = sluice::spawn(fx.sys(), mailbox::block(16), logging_receiver, log, g);
  auto x = sluice::spawn(fx.sys(), mailbox::block(4),
                         [=](sluice::actor* self) -> caf::behavior {
                           return {[=](go_atom) {
                             for (int i = 0; i < 5; ++i)
                               self->send(t, 1, i);
                             self->quit();
                           }};
                         });
  caf::scoped_actor self{fx.sys()};
  self->request(t, 10s, x).receive([] {}, [](caf::error&) { ADD_FAILURE(); });
  caf::anon_send(t, hold_atom::value);
  ASSERT_TRUE(g->wait_entered());
  caf::anon_send(x, go_atom::value);
  ASSERT_TRUE(eventually([&] { return stats_of(t).control_depth >= 1; }))
    << "the down message arrives while X's messages are queued";
  EXPECT_EQ(stats_of(t).queued(), 5u);
  g->open();
  ASSERT_TRUE(eventually([&] { return log->size() == 6; }));
  EXPECT_LE(log->index_of("down"), 1) << ::testing::PrintToString(log->get());
  std::vector<std::string> ms;
  for (auto& e : log->get())
    if (e != "down")
      ms.push_back(e);
  EXPECT_EQ(ms,
            (std::vector<std::string>{"m1.0", "m1.1", "m1.2", "m1.3", "m1.4"}))
    << "per-sender FIFO still holds";
  shutdown(fx.sys(), {t});
}

/// Same with a link: the exit message of a linked sender overtakes its
/// queued ordinary messages.
TEST(ordering, exit_overtakes_queued_messages_of_a_linked_sender) {
  system_fixture fx;
  auto log = std::make_shared<event_log>();
  auto g = std::make_shared<gate>();
  auto t
    = sluice::spawn(fx.sys(), mailbox::block(16), logging_receiver, log, g);
  auto x = sluice::spawn(fx.sys(), mailbox::block(4),
                         [=](sluice::actor* self) -> caf::behavior {
                           return {[=](go_atom) {
                             for (int i = 0; i < 5; ++i)
                               self->send(t, 1, i);
                             self->quit(caf::exit_reason::user_shutdown);
                           }};
                         });
  caf::scoped_actor self{fx.sys()};
  self->request(t, 10s, x, go_atom::value)
    .receive([] {}, [](caf::error&) { ADD_FAILURE(); });
  caf::anon_send(t, hold_atom::value);
  ASSERT_TRUE(g->wait_entered());
  caf::anon_send(x, go_atom::value);
  ASSERT_TRUE(eventually([&] { return stats_of(t).control_depth >= 1; }));
  g->open();
  ASSERT_TRUE(eventually([&] { return log->size() == 6; }));
  EXPECT_LE(log->index_of("exit"), 1) << ::testing::PrintToString(log->get());
  shutdown(fx.sys(), {t});
}

/// High-priority messages are CAF's urgent category: sluice treats them as
/// control traffic, so they bypass the bound and the policy entirely.
TEST(ordering, high_priority_sends_bypass_the_bounded_lane) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mailbox::drop_newest(1), p);
  hold(a, p);
  fill(a, 1);
  auto sender = fx.sys().spawn([=](caf::event_based_actor* self) {
    for (int i = 0; i < 5; ++i)
      self->send<caf::message_priority::high>(a, 9, i);
  });
  ASSERT_TRUE(eventually([&] { return stats_of(a).control_depth >= 5; }));
  EXPECT_EQ(stats_of(a).dropped_newest, 0u);
  p.hold->open();
  EXPECT_TRUE(eventually([&] { return p.rec->of(9).size() == 5; }));
  shutdown(fx.sys(), {a});
}

} // namespace
