// The mailbox matrix: every policy meets every generic test. Each policy's
// guarantee (what it loses, what it keeps, in which order), the accounting
// identity at quiescence, the memory bound under a burst, and senders of
// every kind: managed threads, sluice actors, plain CAF actors, the CAF clock
// (delayed sends) and the receiver itself.
// sluice-test-timeout: 180

#include "support.hpp"

using namespace sluice::test;
using sluice::loss;
using sluice::mailbox_stats;
using sluice::policy;
using sluice::send_status;
using sluice::to_string;

namespace {

class matrix : public ::testing::TestWithParam<mailbox_case> {
protected:
  /// The mailbox under test, named after the case.
  sluice::mailbox mbox() const {
    return GetParam().mbox.named("target");
  }

  /// Waits until every accepted message has been handled and no sender
  /// waits, then returns the stats.
  static mailbox_stats quiesce(const caf::actor& a, const sink_probe& p,
                               std::size_t extra_handled = 0) {
    mailbox_stats s;
    EXPECT_TRUE(eventually(
      [&] {
        s = stats_of(a);
        return s.queued() == 0 && s.waiting() == 0
               && p.rec->size() + extra_handled == s.delivered;
      },
      30s))
      << to_string(s) << " recorded=" << p.rec->size();
    return s;
  }
};

// -- per-policy guarantees ------------------------------------------------------

/// Three managed threads send at once with the policy's lossless API
/// (sluice::send, or a credit endpoint with wait_writable). Per-sender FIFO
/// always holds; block and credit lose nothing; drop policies lose exactly
/// what they report.
TEST_P(matrix, managed_threads_fifo_and_accounting) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mbox(), p);
  auto cfg = config_of(a);
  constexpr int senders = 3;
  constexpr int n = 300;
  std::vector<std::unique_ptr<sender_report>> reps;
  thread_group ts;
  for (int s = 0; s < senders; ++s) {
    reps.push_back(std::make_unique<sender_report>());
    // the thread gets the report itself: a later push_back may move the
    // vector's buffer while the thread runs
    auto* rep = reps.back().get();
    ts.spawn([&, s, rep] { send_all_from_thread(a, cfg.policy, s, n, *rep); });
  }
  ts.join();
  auto st = quiesce(a, p);
  expect_identity(st);
  EXPECT_LE(st.high_watermark, cfg.capacity) << "managed senders only";
  std::uint64_t refused_by_results = 0;
  for (int s = 0; s < senders; ++s) {
    auto seqs = p.rec->of(s);
    EXPECT_TRUE(strictly_increasing(seqs)) << "sender " << s;
    auto& rep = *reps[s];
    EXPECT_EQ(rep.count(send_status::timed_out), 0);
    EXPECT_EQ(rep.count(send_status::closed), 0);
    EXPECT_EQ(rep.count(send_status::dead_lettered), 0);
    switch (cfg.policy) {
      case policy::block:
      case policy::credit:
        EXPECT_EQ(seqs, iota(0, n)) << "sender " << s;
        EXPECT_EQ(rep.count(send_status::accepted), n);
        break;
      case policy::drop_newest:
        EXPECT_EQ(static_cast<int>(seqs.size()),
                  rep.count(send_status::accepted));
        EXPECT_EQ(rep.count(send_status::accepted)
                    + rep.count(send_status::dropped),
                  n);
        refused_by_results += rep.count(send_status::dropped);
        break;
      case policy::drop_oldest:
        EXPECT_EQ(rep.count(send_status::accepted)
                    + rep.count(send_status::accepted_evicted),
                  n);
        // (with several senders, one sender's messages may all be
        // evicted by the others: only the newest overall is kept)
        break;
    }
  }
  EXPECT_EQ(st.dropped_newest, refused_by_results);
  EXPECT_EQ(st.delivered, p.rec->size());
  EXPECT_EQ(st.lost(), st.dropped_newest + st.evicted);
  shutdown(fx.sys(), {a});
}

/// Three sluice actors send at once, three messages per handler: block parks
/// them (at most park-limit messages each), credit uses endpoints resent from
/// on_writable, drop policies just send. Same guarantees as for threads;
/// during the burst parked_now <= park_limit x senders and depth <= capacity.
TEST_P(matrix, managed_actors_fifo_and_bounds) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mbox(), p);
  auto cfg = config_of(a);
  constexpr int senders = 3;
  constexpr int n = 200;
  std::vector<std::shared_ptr<sender_report>> reps;
  std::vector<caf::actor> actors;
  for (int s = 0; s < senders; ++s) {
    reps.push_back(std::make_shared<sender_report>());
    actors.push_back(
      start_managed_sender(fx.sys(), a, cfg.policy, s, n, 3, reps.back()));
  }
  auto all_done = [&] {
    for (auto& r : reps)
      if (!r->finished.load())
        return false;
    return true;
  };
  std::uint64_t max_parked = 0;
  std::uint64_t max_depth = 0;
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!all_done() && std::chrono::steady_clock::now() < deadline) {
    auto s = stats_of(a);
    max_parked = std::max(max_parked, s.parked_now);
    max_depth = std::max(max_depth, s.depth);
    std::this_thread::sleep_for(200us);
  }
  ASSERT_TRUE(all_done()) << to_string(stats_of(a));
  auto st = quiesce(a, p);
  expect_identity(st);
  EXPECT_LE(max_parked, cfg.park_limit * senders);
  EXPECT_LE(max_depth, cfg.capacity);
  EXPECT_LE(st.high_watermark, cfg.capacity) << "managed senders only";
  for (int s = 0; s < senders; ++s) {
    auto seqs = p.rec->of(s);
    EXPECT_TRUE(strictly_increasing(seqs)) << "sender " << s;
    EXPECT_FALSE(reps[s]->writable_off_owner.load())
      << "on_writable must run on the owning actor";
    if (lossless(cfg.policy)) {
      EXPECT_EQ(seqs, iota(0, n)) << "sender " << s;
    }
  }
  if (cfg.policy == policy::block) {
    EXPECT_GT(st.parked_total, 0u) << "the burst should have parked someone";
  }
  actors.push_back(a);
  shutdown(fx.sys(), actors);
}

/// The consumer is stuck in a handler while a managed sender sends
/// 3 x capacity + 2 messages. drop-newest keeps the oldest `capacity` and
/// hands back the rest; drop-oldest keeps the newest (evicting while the
/// consumer is stuck); block holds the sender until room appears; credit
/// refuses with no_credit once the window is spent. Then the gate opens.
TEST_P(matrix, stuck_consumer_guarantee) {
  dead_letters dl;
  system_fixture fx;
  fx.rt().set_dead_letter_hook(dl.hook());
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mbox(), p);
  auto cfg = config_of(a);
  const int cap = static_cast<int>(cfg.capacity);
  const int n = 3 * cap + 2;
  hold(a, p);
  thread_group ts;
  sender_report rep;
  switch (cfg.policy) {
    case policy::drop_newest:
      for (int i = 0; i < n; ++i) {
        auto r = sluice::send(sluice::this_thread, a, 0, i);
        if (i < cap) {
          EXPECT_EQ(r.status(), send_status::accepted) << i;
        } else {
          EXPECT_EQ(r.status(), send_status::dropped) << i;
          EXPECT_EQ(r.message().get_as<int>(1), i) << "handed back";
        }
      }
      break;
    case policy::drop_oldest:
      for (int i = 0; i < n; ++i) {
        auto r = sluice::send(sluice::this_thread, a, 0, i);
        EXPECT_EQ(r.status(), i < cap ? send_status::accepted
                                      : send_status::accepted_evicted)
          << i;
        EXPECT_TRUE(r.message().empty());
      }
      EXPECT_EQ(dl.seqs(loss::evicted, 0), iota(0, n - cap));
      break;
    case policy::block:
      ts.spawn([&] { send_all_from_thread(a, cfg.policy, 0, n, rep); });
      EXPECT_TRUE(eventually([&] {
        auto s = stats_of(a);
        return s.blocked_now == 1 && s.depth == cfg.capacity;
      }))
        << to_string(stats_of(a));
      break;
    case policy::credit: {
      auto ep = sluice::connect(sluice::this_thread, a);
      int sent = 0;
      for (;;) {
        auto r = ep.send(0, sent);
        if (r.status() == send_status::no_credit) {
          EXPECT_EQ(r.message().get_as<int>(1), sent) << "handed back";
          break;
        }
        ASSERT_EQ(r.status(), send_status::accepted);
        ++sent;
      }
      EXPECT_EQ(sent, static_cast<int>(cfg.window));
      EXPECT_EQ(ep.credit(), 0u);
      EXPECT_FALSE(ep.wait_writable(20ms)) << "stuck consumer returns none";
      ep.close();
      // the rest from a thread that waits for credit (`sent` by value: the
      // thread outlives this block)
      ts.spawn([&, sent] {
        for (int i = 0; i < sent; ++i)
          rep.note(send_status::accepted);
        auto ep2 = sluice::connect(sluice::this_thread, a);
        for (int i = sent; i < n; ++i) {
          auto r = ep2.send(0, i);
          while (r.status() == send_status::no_credit) {
            if (!ep2.wait_writable(30s)) {
              ADD_FAILURE() << "no credit";
              return;
            }
            r = ep2.send_message(std::move(r.message()));
          }
          rep.note(r.status());
        }
      });
      break;
    }
  }
  EXPECT_LE(stats_of(a).depth, cfg.capacity);
  p.hold->open();
  ts.join();
  auto st = quiesce(a, p, 1); // + the hold message
  expect_identity(st);
  EXPECT_LE(st.high_watermark, cfg.capacity);
  auto seqs = p.rec->of(0);
  switch (cfg.policy) {
    case policy::drop_newest:
      EXPECT_EQ(seqs, iota(0, cap));
      EXPECT_EQ(st.dropped_newest, static_cast<std::uint64_t>(n - cap));
      break;
    case policy::drop_oldest:
      EXPECT_EQ(seqs, iota(n - cap, n));
      EXPECT_EQ(st.evicted, static_cast<std::uint64_t>(n - cap));
      EXPECT_EQ(dl.count(loss::evicted), static_cast<std::size_t>(n - cap));
      break;
    case policy::block:
      EXPECT_EQ(seqs, iota(0, n));
      EXPECT_EQ(rep.count(send_status::accepted), n);
      EXPECT_GE(st.blocked_total, 1u);
      break;
    case policy::credit:
      EXPECT_EQ(seqs, iota(0, n));
      EXPECT_EQ(rep.count(send_status::accepted), n);
      break;
  }
  EXPECT_EQ(st.lost(), st.dropped_newest + st.evicted);
  shutdown(fx.sys(), {a});
}

/// Everyone at once: managed threads, sluice actors, a plain CAF actor, the
/// CAF clock (delayed sends) and the receiver's own self-sends. Managed
/// senders of block and credit lose nothing; the identity holds exactly at
/// quiescence; the depth never exceeds capacity + overcommit + the counted
/// self-sends.
TEST_P(matrix, every_sender_kind_at_once) {
  dead_letters dl;
  system_fixture fx;
  fx.rt().set_dead_letter_hook(dl.hook());
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mbox(), p);
  auto cfg = config_of(a);
  constexpr int n = 150;
  std::vector<std::unique_ptr<sender_report>> thread_reps;
  std::vector<std::shared_ptr<sender_report>> actor_reps;
  std::vector<caf::actor> actors;
  thread_group ts;
  for (int s = 0; s < 2; ++s) {
    thread_reps.push_back(std::make_unique<sender_report>());
    auto* rep = thread_reps.back().get(); // a later push_back may move it
    ts.spawn([&, s, rep] { send_all_from_thread(a, cfg.policy, s, n, *rep); });
  }
  for (int s = 2; s < 4; ++s) {
    actor_reps.push_back(std::make_shared<sender_report>());
    actors.push_back(start_managed_sender(fx.sys(), a, cfg.policy, s, n, 2,
                                          actor_reps.back()));
  }
  start_unmanaged_sender(fx.sys(), a, 4, n);
  for (int i = 0; i < 20; ++i)
    caf::delayed_anon_send(a, 1ms, 5, i);
  // the go message starts the self-sends; a plain thread send may be
  // refused (drop-newest, or credit's unmanaged rule): resend until taken
  auto go
    = caf::make_message(go_atom::value, 2 * static_cast<int>(cfg.capacity) + 3);
  int go_refused = 0;
  for (;;) {
    auto r = sluice::send(sluice::this_thread, a, go);
    if (r.taken())
      break;
    ++go_refused;
    ASSERT_LT(go_refused, 100000) << "go never accepted";
    std::this_thread::sleep_for(100us);
  }
  ts.join();
  ASSERT_TRUE(eventually(
    [&] {
      for (auto& r : actor_reps)
        if (!r->finished.load())
          return false;
      // every message of the senders that cannot be told (unmanaged,
      // delayed, self-sends) was handled or reached the hook (attempted is
      // no measure: refused sends that are resent count again)
      // (drop-oldest may evict the go message itself: then none are sent)
      auto all = dl.all();
      bool go_lost = std::any_of(all.begin(), all.end(), [](auto& x) {
        return x.content.template match_elements<go_atom, int>();
      });
      std::size_t self_sends = go_lost ? 0 : 2 * cfg.capacity + 3;
      return p.rec->of(4).size() + dl.from(4) == static_cast<std::size_t>(n)
             && p.rec->of(5).size() + dl.from(5) == 20u
             && p.rec->of(99).size() + dl.from(99) == self_sends;
    },
    60s))
    << to_string(stats_of(a));
  // entered counts the go message too; rec counts (int, int) messages only
  mailbox_stats st;
  EXPECT_TRUE(eventually(
    [&] {
      st = stats_of(a);
      return st.queued() == 0 && st.waiting() == 0
             && static_cast<std::uint64_t>(p.entered->load()) == st.delivered;
    },
    30s))
    << to_string(st);
  expect_identity(st);
  auto bound = cfg.capacity + cfg.overcommit + st.self_overcapacity;
  EXPECT_LE(st.high_watermark, bound) << to_string(st);
  for (int s = 0; s < 5; ++s)
    EXPECT_TRUE(strictly_increasing(p.rec->of(s))) << "sender " << s;
  if (lossless(cfg.policy)) {
    for (int s = 0; s < 4; ++s)
      EXPECT_EQ(p.rec->of(s), iota(0, n)) << "managed sender " << s;
    // unmanaged and delayed: admitted or dead-lettered, never both
    auto unmanaged = p.rec->of(4).size() + dl.seqs(loss::overcommit, 4).size();
    EXPECT_EQ(unmanaged, static_cast<std::size_t>(n));
    auto delayed = p.rec->of(5).size() + dl.seqs(loss::overcommit, 5).size();
    EXPECT_EQ(delayed, 20u);
    // self-sends are admitted over capacity
    EXPECT_EQ(p.rec->of(99), iota(0, 2 * static_cast<int>(cfg.capacity) + 3));
  }
  // every loss reaches the hook once, except refusals handed back to a
  // managed sender through its send_result
  std::uint64_t handed_back = static_cast<std::uint64_t>(go_refused);
  for (auto& r : thread_reps)
    handed_back += r->count(send_status::dropped);
  for (auto& r : actor_reps)
    handed_back += r->count(send_status::dropped);
  EXPECT_EQ(dl.size(), st.lost() - handed_back);
  actors.push_back(a);
  shutdown(fx.sys(), actors);
}

// -- unmanaged senders --------------------------------------------------------

/// Shared body: `send_k(k)` makes an unmanaged sender deliver (7, 0..k-1)
/// to the held receiver. block and credit admit them within capacity, then
/// within the overcommit allowance, then dead-letter them; drop policies
/// treat them like any other sender.
template <class SendK>
void unmanaged_to_held(const mailbox_case& param, bool mailbox_hook,
                       SendK send_k) {
  dead_letters dl;
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), param.mbox.named("target"), p);
  if (mailbox_hook)
    impl_of(a)->set_dead_letter_hook(dl.hook());
  else
    fx.rt().set_dead_letter_hook(dl.hook());
  auto cfg = config_of(a);
  const int cap = static_cast<int>(cfg.capacity);
  const int over = static_cast<int>(cfg.overcommit);
  const int k = cap + over + 5;
  hold(a, p);
  send_k(fx.sys(), a, k);
  ASSERT_TRUE(eventually(
    [&] { return stats_of(a).attempted == static_cast<std::uint64_t>(1 + k); }))
    << to_string(stats_of(a));
  auto s = stats_of(a);
  switch (cfg.policy) {
    case policy::block:
    case policy::credit:
      EXPECT_EQ(s.depth, static_cast<std::uint64_t>(cap + over));
      EXPECT_EQ(s.overcommitted, static_cast<std::uint64_t>(over));
      EXPECT_EQ(s.dead_lettered, 5u);
      EXPECT_EQ(dl.seqs(loss::overcommit, 7), iota(cap + over, k));
      break;
    case policy::drop_newest:
      EXPECT_EQ(s.depth, static_cast<std::uint64_t>(cap));
      EXPECT_EQ(s.dropped_newest, static_cast<std::uint64_t>(k - cap));
      EXPECT_EQ(dl.seqs(loss::dropped, 7), iota(cap, k));
      break;
    case policy::drop_oldest:
      EXPECT_EQ(s.depth, static_cast<std::uint64_t>(cap));
      EXPECT_EQ(s.evicted, static_cast<std::uint64_t>(k - cap));
      EXPECT_EQ(dl.seqs(loss::evicted, 7), iota(0, k - cap));
      break;
  }
  EXPECT_LE(s.high_watermark, cfg.capacity + cfg.overcommit);
  p.hold->open();
  mailbox_stats st;
  EXPECT_TRUE(eventually([&] {
    st = stats_of(a);
    return st.queued() == 0 && p.rec->size() + 1 == st.delivered;
  }));
  expect_identity(st);
  EXPECT_TRUE(strictly_increasing(p.rec->of(7)));
  EXPECT_EQ(dl.size(), st.lost());
  for (auto& x : dl.all()) {
    EXPECT_EQ(x.mailbox, "target");
    EXPECT_EQ(x.receiver, a.address());
  }
  shutdown(fx.sys(), {a});
}

TEST_P(matrix, unmanaged_caf_actor_overcommit_then_dead_letter) {
  unmanaged_to_held(GetParam(), false,
                    [](caf::actor_system& sys, const caf::actor& a, int k) {
                      start_unmanaged_sender(sys, a, 7, k);
                    });
}

TEST_P(matrix, unmanaged_delayed_send_from_clock_thread) {
  // CAF's clock thread delivers delayed sends: unmanaged. The hook is the
  // mailbox's own this time.
  unmanaged_to_held(GetParam(), true,
                    [](caf::actor_system&, const caf::actor& a, int k) {
                      for (int i = 0; i < k; ++i)
                        caf::delayed_anon_send(a, 1ms, 7, i);
                    });
}

// -- self-sends ---------------------------------------------------------------

/// One handler sends itself 3 x capacity messages. block and credit admit
/// them over capacity (counted in self_overcapacity): an actor never
/// deadlocks on its own mailbox. drop policies apply their rule.
TEST_P(matrix, self_sends) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mbox(), p);
  auto cfg = config_of(a);
  const int cap = static_cast<int>(cfg.capacity);
  const int k = 3 * cap;
  caf::anon_send(a, go_atom::value, k);
  mailbox_stats st;
  ASSERT_TRUE(eventually([&] {
    st = stats_of(a);
    return st.attempted == static_cast<std::uint64_t>(k + 1) && st.queued() == 0
           && p.rec->size() + 1 == st.delivered;
  }))
    << to_string(st);
  expect_identity(st);
  auto seqs = p.rec->of(99);
  switch (cfg.policy) {
    case policy::block:
    case policy::credit:
      EXPECT_EQ(seqs, iota(0, k));
      EXPECT_EQ(st.self_overcapacity, static_cast<std::uint64_t>(k - cap));
      EXPECT_EQ(st.high_watermark, static_cast<std::uint64_t>(k));
      break;
    case policy::drop_newest:
      EXPECT_EQ(seqs, iota(0, cap));
      EXPECT_EQ(st.dropped_newest, static_cast<std::uint64_t>(k - cap));
      break;
    case policy::drop_oldest:
      EXPECT_EQ(seqs, iota(k - cap, k));
      EXPECT_EQ(st.evicted, static_cast<std::uint64_t>(k - cap));
      break;
  }
  shutdown(fx.sys(), {a});
}

// -- the control lane -----------------------------------------------------------

/// An exit message arriving while the ordinary lane is full and the handler
/// is stuck is handled after at most one more ordinary message.
TEST_P(matrix, exit_overtakes_a_full_lane) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mbox(), p);
  auto cfg = config_of(a);
  caf::scoped_actor self{fx.sys()};
  self->monitor(a);
  hold(a, p);
  fill(a, static_cast<int>(cfg.capacity));
  EXPECT_EQ(stats_of(a).depth, cfg.capacity);
  self->send_exit(a, caf::exit_reason::user_shutdown);
  EXPECT_GE(stats_of(a).control_depth, 1u);
  auto before = p.entered->load();
  p.hold->open();
  bool down = false;
  self->receive([&](const caf::down_msg&) { down = true; },
                caf::after(10s) >> [] {});
  ASSERT_TRUE(down);
  EXPECT_LE(p.entered->load() - before, 1)
    << "ordinary messages handled after the exit arrived";
  auto st = stats_of(a);
  expect_identity(st);
  EXPECT_EQ(st.discarded_on_exit
              + static_cast<std::uint64_t>(p.entered->load() - before),
            cfg.capacity);
}

/// Same for a down message (a monitored actor dies).
TEST_P(matrix, down_overtakes_a_full_lane) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mbox(), p);
  auto cfg = config_of(a);
  auto victim = fx.sys().spawn([]() -> caf::behavior { return {[](int) {}}; });
  caf::scoped_actor self{fx.sys()};
  // monitors the victim; the (empty) answer says the monitor is in place
  self->request(a, 10s, victim)
    .receive([] {},
             [&](caf::error& e) { ADD_FAILURE() << fx.sys().render(e); });
  hold(a, p);
  fill(a, static_cast<int>(cfg.capacity));
  caf::anon_send_exit(victim, caf::exit_reason::kill);
  ASSERT_TRUE(eventually([&] { return stats_of(a).control_depth >= 1; }))
    << "the down message never arrived";
  auto before = p.entered->load();
  p.hold->open();
  ASSERT_TRUE(eventually([&] { return p.down_at->load() >= 0; }));
  EXPECT_LE(p.down_at->load() - before, 1)
    << "ordinary messages handled after the down message arrived";
  // nothing lost: the rest of the lane is still handled
  EXPECT_TRUE(eventually([&] { return p.rec->of(-1).size() == cfg.capacity; }));
  shutdown(fx.sys(), {a});
}

// -- requests -----------------------------------------------------------------

/// A request from a sluice actor to a full mailbox: drop-newest answers
/// sluice::sec::mailbox_full at once; drop-oldest when it evicts the request;
/// block parks the requester and answers later; credit admits it within the
/// overcommit allowance.
TEST_P(matrix, request_to_a_full_mailbox) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mbox(), p);
  auto cfg = config_of(a);
  struct outcome {
    std::mutex mtx;
    bool done = false;
    int value = -1;
    caf::error err;
  };
  auto out = std::make_shared<outcome>();
  hold(a, p);
  fill(a, static_cast<int>(cfg.capacity));
  auto requester
    = sluice::spawn(fx.sys(), sluice::mailbox::block(16),
                    [=](sluice::actor* self) -> caf::behavior {
                      self->request(a, caf::infinite, ping_atom::value)
                        .then(
                          [=](int x) {
                            std::lock_guard<std::mutex> guard{out->mtx};
                            out->done = true;
                            out->value = x;
                          },
                          [=](caf::error& e) {
                            std::lock_guard<std::mutex> guard{out->mtx};
                            out->done = true;
                            out->err = e;
                          });
                      return {[](int) {}};
                    });
  auto done = [&] {
    std::lock_guard<std::mutex> guard{out->mtx};
    return out->done;
  };
  switch (cfg.policy) {
    case policy::drop_newest:
      ASSERT_TRUE(eventually(done));
      break;
    case policy::drop_oldest:
      ASSERT_TRUE(eventually([&] {
        return stats_of(a).attempted == 2 + cfg.capacity; // hold, fill, req
      }));
      EXPECT_FALSE(done());
      fill(a, static_cast<int>(cfg.capacity)); // evicts the request
      ASSERT_TRUE(eventually(done));
      break;
    case policy::block:
      ASSERT_TRUE(eventually([&] { return stats_of(a).parked_now == 1; }));
      EXPECT_TRUE(stats_of(requester).suspended_now);
      EXPECT_FALSE(done());
      break;
    case policy::credit:
      ASSERT_TRUE(eventually([&] { return stats_of(a).overcommitted == 1; }));
      EXPECT_FALSE(done());
      break;
  }
  p.hold->open();
  ASSERT_TRUE(eventually(done));
  std::lock_guard<std::mutex> guard{out->mtx};
  if (lossless(cfg.policy)) {
    EXPECT_FALSE(out->err) << fx.sys().render(out->err);
    EXPECT_GT(out->value, 0);
  } else {
    ASSERT_TRUE(out->err);
    EXPECT_EQ(out->err.category(), sluice::error_category);
    EXPECT_EQ(out->err.code(),
              static_cast<std::uint8_t>(sluice::sec::mailbox_full));
    EXPECT_NE(fx.sys().render(out->err).find("mailbox_full"), std::string::npos)
      << fx.sys().render(out->err);
  }
  shutdown(fx.sys(), {a, requester});
}

// -- the receiver dies ----------------------------------------------------------

/// The receiver terminates with a full lane: queued messages are discarded
/// (counted, reported to the hook, requests answered), a managed thread
/// blocked on it returns `closed` with its message, a parked sluice actor
/// gets the outcome and drains its own mailbox again.
TEST_P(matrix, receiver_death_releases_everyone) {
  dead_letters dl;
  system_fixture fx;
  fx.rt().set_dead_letter_hook(dl.hook());
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mbox(), p);
  auto cfg = config_of(a);
  hold(a, p);
  fill(a, static_cast<int>(cfg.capacity));
  // a managed thread
  sluice::send_result thread_result;
  thread_group ts;
  ts.spawn([&] { thread_result = sluice::send(sluice::this_thread, a, 8, 0); });
  // a sluice actor sending from a handler, then asked to answer a ping
  auto sender = sluice::spawn(fx.sys(), sluice::mailbox::block(16),
                              [=](sluice::actor* self) -> caf::behavior {
                                return {
                                  [=](go_atom) {
                                    auto r = sluice::send(self, a, 9, 0);
                                    return static_cast<int>(r.status());
                                  },
                                  [](ping_atom) { return 42; },
                                };
                              });
  caf::scoped_actor self{fx.sys()};
  int sender_status = -1;
  self->request(sender, 10s, go_atom::value)
    .receive([&](int x) { sender_status = x; },
             [&](caf::error& e) { ADD_FAILURE() << fx.sys().render(e); });
  if (cfg.policy == policy::block) {
    EXPECT_EQ(sender_status, static_cast<int>(send_status::parked));
    ASSERT_TRUE(eventually([&] {
      auto s = stats_of(a);
      return s.blocked_now == 1 && s.parked_now == 1;
    }))
      << to_string(stats_of(a));
    EXPECT_TRUE(stats_of(sender).suspended_now);
    // suspended: a ping waits in its lane until the receiver dies
    auto pong = std::make_shared<std::atomic<int>>(0);
    fx.sys().spawn([=](caf::event_based_actor* pinger) {
      pinger->request(sender, caf::infinite, ping_atom::value).then([=](int x) {
        *pong = x;
      });
    });
    caf::anon_send_exit(a, caf::exit_reason::kill);
    p.hold->open();
    ts.join();
    EXPECT_EQ(thread_result.status(), send_status::closed);
    ASSERT_FALSE(thread_result.message().empty()) << "message handed back";
    EXPECT_EQ(thread_result.message().get_as<int>(0), 8);
    EXPECT_TRUE(eventually([&] { return pong->load() == 42; }))
      << "the parked sender resumed";
    EXPECT_FALSE(stats_of(sender).suspended_now);
    EXPECT_EQ(dl.count(loss::closed), 1u) << "the parked message";
  } else {
    ts.join();
    EXPECT_TRUE(thread_result.taken() || !thread_result.message().empty());
    caf::anon_send_exit(a, caf::exit_reason::kill);
    p.hold->open();
  }
  ASSERT_TRUE(eventually([&] { return stats_of(a).discarded_on_exit > 0; }));
  EXPECT_TRUE(eventually([&] {
    auto s = stats_of(a);
    return s.waiting() == 0 && s.queued() == 0;
  }));
  auto st = stats_of(a);
  expect_identity(st);
  // close() counts them all at once; cleanup then reports them one by one
  EXPECT_TRUE(eventually(
    [&] { return dl.count(loss::discarded_on_exit) == st.discarded_on_exit; }))
    << dl.count(loss::discarded_on_exit) << " of " << st.discarded_on_exit;
  // later sends are refused with closed, message handed back
  auto late = sluice::send(sluice::this_thread, a, 10, 0);
  EXPECT_EQ(late.status(), send_status::closed);
  EXPECT_FALSE(late.message().empty());
  shutdown(fx.sys(), {sender});
}

// -- no message leaks or doubles --------------------------------------------------

/// Payloads that count their copies go through every path a message can
/// take: queued and handled, refused and handed back, evicted, dead-lettered
/// (unmanaged), parked then closed, skipped then discarded at exit, still
/// queued at exit. When everything is gone, so is every payload.
TEST_P(matrix, payloads_never_leak_or_double) {
  const auto live_before = counted::live().load();
  {
    dead_letters dl;
    system_fixture fx;
    fx.rt().set_dead_letter_hook(dl.hook());
    auto g = std::make_shared<gate>();
    auto handled = std::make_shared<std::atomic<int>>(0);
    // room for the skipped message plus the hold message
    auto m = mbox();
    if (!m.capacity() || *m.capacity() < 4)
      m.set_capacity(4);
    auto a = sluice::spawn(fx.sys(), m, [=](sluice::actor*) -> caf::behavior {
      return {
        [=](hold_atom) { g->wait(); },
        [=](const counted& c) -> caf::result<void> {
          if (c.value % 5 == 0)
            return caf::skip; // held until exit
          ++*handled;
          return caf::unit;
        },
      };
    });
    auto cfg = config_of(a);
    const int cap = static_cast<int>(cfg.capacity);
    // one skipped (held until exit) and one handled before the gate closes
    caf::anon_send(a, counted{5});
    caf::anon_send(a, counted{11});
    ASSERT_TRUE(eventually(
      [&] { return stats_of(a).held == 1 && handled->load() == 1; }));
    caf::anon_send(a, hold_atom::value);
    ASSERT_TRUE(g->wait_entered());
    // refused and handed back, or evicted
    for (int i = 0; i < cap + 3; ++i) {
      auto r = sluice::try_send(sluice::this_thread, a, counted{i});
      if (!r.taken()) {
        EXPECT_FALSE(r.message().empty());
      }
    }
    // unmanaged: overcommitted, then dead-lettered (or dropped/evicted)
    auto unmanaged = fx.sys().spawn([=](caf::event_based_actor* self) {
      for (int i = 0; i < cap + static_cast<int>(cfg.overcommit) + 3; ++i)
        self->send(a, counted{i});
    });
    // a sluice actor parks under block (closed when the receiver dies)
    auto parker = sluice::spawn(fx.sys(), sluice::mailbox::block(4),
                                [=](sluice::actor* self) -> caf::behavior {
                                  return {[=](go_atom) {
                                    auto r = sluice::send(self, a, counted{7});
                                    static_cast<void>(r);
                                  }};
                                });
    caf::anon_send(parker, go_atom::value);
    caf::scoped_actor self{fx.sys()};
    self->monitor(a);
    EXPECT_TRUE(eventually([&] {
      return stats_of(a).attempted >= static_cast<std::uint64_t>(
               2 + 1 + cap + 3 + cap + cfg.overcommit + 3 + 1);
    }));
    self->send_exit(a, caf::exit_reason::kill);
    g->open();
    self->receive([](const caf::down_msg&) {},
                  caf::after(10s) >> [] { ADD_FAILURE() << "no down"; });
    auto st = stats_of(a);
    expect_identity(st);
    shutdown(fx.sys(), {parker});
  }
  EXPECT_EQ(counted::live().load(), live_before)
    << "payload constructions and destructions do not match";
}

// -- the runtime sees every mailbox ----------------------------------------------

TEST_P(matrix, listed_by_name_while_alive) {
  system_fixture fx;
  sink_probe p;
  auto name = "listed_" + GetParam().name;
  auto a = spawn_sink(fx.sys(), GetParam().mbox.named(name), p);
  auto find = [&]() -> std::optional<mailbox_stats> {
    for (auto& s : fx.rt().mailboxes())
      if (s.name == name)
        return s;
    return std::nullopt;
  };
  auto s = find();
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->policy, config_of(a).policy);
  EXPECT_EQ(s->capacity, config_of(a).capacity);
  auto direct = sluice::stats(a);
  ASSERT_TRUE(direct.has_value());
  EXPECT_EQ(direct->name, name);
  exit_and_wait(fx.sys(), a);
  EXPECT_FALSE(find().has_value()) << "a terminated mailbox is not listed";
}

INSTANTIATE_TEST_SUITE_P(mailboxes, matrix, matrix_values(), matrix_name);

// -- the error a lost request gets, for each way a block mailbox refuses -------

/// The sluice error code a request got, or -1 (with a failure) otherwise.
int sluice_code(caf::actor_system& sys, const caf::error& e) {
  if (!e || e.category() != sluice::error_category) {
    ADD_FAILURE() << "not a sluice error: " << sys.render(e);
    return -1;
  }
  return e.code();
}

/// A plain CAF actor (unmanaged) beyond the overcommit allowance: its
/// request is dead-lettered and answered with sluice::sec::dead_lettered.
TEST(request_errors, unmanaged_beyond_the_allowance_gets_dead_lettered) {
  dead_letters dl;
  system_fixture fx;
  fx.rt().set_dead_letter_hook(dl.hook());
  sink_probe p;
  auto a
    = spawn_sink(fx.sys(), sluice::mailbox::block(1).with_overcommit(1), p);
  hold(a, p);
  fill(a, 1);
  auto err = std::make_shared<std::pair<std::mutex, std::vector<caf::error>>>();
  auto plain = fx.sys().spawn([=](caf::event_based_actor* self) {
    for (int i = 0; i < 2; ++i) // the first is overcommitted, the second not
      self->request(a, caf::infinite, ping_atom::value)
        .then([](int) {},
              [=](caf::error& e) {
                std::lock_guard<std::mutex> guard{err->first};
                err->second.push_back(e);
              });
  });
  auto errors = [&] {
    std::lock_guard<std::mutex> guard{err->first};
    return err->second;
  };
  ASSERT_TRUE(eventually([&] { return errors().size() == 1; }));
  EXPECT_EQ(sluice_code(fx.sys(), errors()[0]),
            static_cast<int>(sluice::sec::dead_lettered));
  auto s = stats_of(a);
  EXPECT_EQ(s.overcommitted, 1u);
  EXPECT_EQ(s.dead_lettered, 1u);
  EXPECT_EQ(dl.count(loss::overcommit), 1u);
  p.hold->open();
  EXPECT_TRUE(eventually([&] { return stats_of(a).queued() == 0; }));
  EXPECT_EQ(errors().size(), 1u) << "the overcommitted request is answered";
  shutdown(fx.sys(), {a, plain});
}

/// A sluice actor beyond its park limit: the request is answered with
/// sluice::sec::would_block; the one within the limit stays parked and is
/// answered once admitted.
TEST(request_errors, beyond_the_park_limit_gets_would_block) {
  system_fixture fx;
  sink_probe p;
  auto a
    = spawn_sink(fx.sys(), sluice::mailbox::block(1).with_park_limit(1), p);
  hold(a, p);
  fill(a, 1);
  struct results {
    std::mutex mtx;
    std::vector<int> values;
    std::vector<caf::error> errors;
  };
  auto r = std::make_shared<results>();
  auto requester = sluice::spawn(
    fx.sys(), sluice::mailbox::block(8), [=](sluice::actor* self) {
      for (int i = 0; i < 2; ++i)
        self->request(a, caf::infinite, ping_atom::value)
          .then(
            [=](int x) {
              std::lock_guard<std::mutex> guard{r->mtx};
              r->values.push_back(x);
            },
            [=](caf::error& e) {
              std::lock_guard<std::mutex> guard{r->mtx};
              r->errors.push_back(e);
            });
      return caf::behavior{[](int) {}};
    });
  auto count = [&] {
    std::lock_guard<std::mutex> guard{r->mtx};
    return r->values.size() + r->errors.size();
  };
  ASSERT_TRUE(eventually([&] { return count() == 1; }));
  {
    std::lock_guard<std::mutex> guard{r->mtx};
    ASSERT_EQ(r->errors.size(), 1u);
    EXPECT_EQ(sluice_code(fx.sys(), r->errors[0]),
              static_cast<int>(sluice::sec::would_block));
  }
  EXPECT_EQ(stats_of(a).would_block, 1u);
  EXPECT_EQ(stats_of(a).parked_now, 1u);
  p.hold->open();
  ASSERT_TRUE(eventually([&] { return count() == 2; }));
  std::lock_guard<std::mutex> guard{r->mtx};
  EXPECT_EQ(r->values.size(), 1u) << "the parked request was answered";
  shutdown(fx.sys(), {a, requester});
}

/// A managed thread (here a caf::scoped_actor on the test's own thread)
/// whose request waits out the block-timeout gets sluice::sec::timed_out.
TEST(request_errors, thread_timeout_gets_timed_out) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(),
                      sluice::mailbox::block(1).with_block_timeout(50ms), p);
  hold(a, p);
  fill(a, 1);
  caf::scoped_actor self{fx.sys()};
  caf::error got;
  self->request(a, 10s, ping_atom::value)
    .receive([](int) { ADD_FAILURE() << "answered although full"; },
             [&](caf::error& e) { got = e; });
  EXPECT_EQ(sluice_code(fx.sys(), got),
            static_cast<int>(sluice::sec::timed_out));
  EXPECT_EQ(stats_of(a).timed_out, 1u);
  p.hold->open();
  shutdown(fx.sys(), {a});
}

} // namespace
