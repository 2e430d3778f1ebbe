// Every form of sluice::spawn: class-based, function-based (with
// arguments), sluice::stateful_actor<State>, from a parent actor with
// caf::linked / caf::monitored, caf::detached (a CAF thread: never blocked
// by sluice) and caf::lazy_init.

#include "support.hpp"

using namespace sluice::test;
using sluice::mailbox;
using sluice::policy;
using sluice::send_status;

namespace {

class adder : public sluice::actor {
public:
  adder(caf::actor_config& cfg, int start) : sluice::actor(cfg), sum_(start) {}

  caf::behavior make_behavior() override {
    return {[=](int x) {
      sum_ += x;
      return sum_;
    }};
  }

private:
  int sum_;
};

int ask(caf::actor_system& sys, const caf::actor& a, int x) {
  caf::scoped_actor self{sys};
  int result = -1;
  self->request(a, 10s, x).receive(
    [&](int y) { result = y; },
    [&](caf::error& e) { ADD_FAILURE() << sys.render(e); });
  return result;
}

TEST(spawn, class_based) {
  system_fixture fx;
  auto a
    = sluice::spawn<adder>(fx.sys(), mailbox::drop_oldest(4).named("cls"), 10);
  EXPECT_EQ(ask(fx.sys(), a, 5), 15);
  auto cfg = config_of(a);
  EXPECT_EQ(cfg.name, "cls");
  EXPECT_EQ(cfg.policy, policy::drop_oldest);
  EXPECT_EQ(cfg.capacity, 4u);
  shutdown(fx.sys(), {a});
}

TEST(spawn, function_based_with_arguments) {
  system_fixture fx;
  auto a = sluice::spawn(
    fx.sys(), mailbox::credit(16, 4),
    [](sluice::actor*, int k, std::string tag) -> caf::behavior {
      return {[=](int x) { return x * k + static_cast<int>(tag.size()); }};
    },
    3, std::string{"ab"});
  EXPECT_EQ(ask(fx.sys(), a, 5), 17);
  EXPECT_EQ(config_of(a).policy, policy::credit);
  EXPECT_EQ(config_of(a).window, 4u);
  shutdown(fx.sys(), {a});
}

struct counter_state {
  int n = 0;
  static inline const char* name = "counter";
};

TEST(spawn, stateful_actor) {
  system_fixture fx;
  auto a = sluice::spawn(
    fx.sys(), mailbox::block(4),
    [](sluice::stateful_actor<counter_state>* self) -> caf::behavior {
      return {[=](int x) { return self->state.n += x; }};
    });
  EXPECT_EQ(ask(fx.sys(), a, 2), 2);
  EXPECT_EQ(ask(fx.sys(), a, 3), 5);
  EXPECT_STREQ(impl_of(a)->name(), "counter");
  shutdown(fx.sys(), {a});
}

TEST(spawn, defaults_and_generated_names) {
  system_fixture fx([](sluice::config& cfg) {
    cfg.set("sluice.default-policy", "drop-newest");
    cfg.set("sluice.default-capacity", std::size_t{7});
  });
  auto a = sluice::spawn<adder>(fx.sys(), mailbox::defaults(), 0);
  auto cfg = config_of(a);
  EXPECT_EQ(cfg.policy, policy::drop_newest);
  EXPECT_EQ(cfg.capacity, 7u);
  EXPECT_EQ(cfg.name, "actor#" + std::to_string(a.id()));
  shutdown(fx.sys(), {a});
}

// -- from a parent --------------------------------------------------------------

/// Asks `parent` (which answers ping_atom with the children it spawned) for
/// its children; the reply orders the handles' writes before our reads.
std::vector<caf::actor> children_of(caf::actor_system& sys,
                                    const caf::actor& parent) {
  caf::scoped_actor self{sys};
  std::vector<caf::actor> result;
  self->request(parent, 10s, ping_atom::value)
    .receive(
      [&](const caf::actor& x, const caf::actor& y) {
        result = {x, y};
      },
      [&](caf::error& e) { ADD_FAILURE() << sys.render(e); });
  return result;
}

/// caf::linked: the child's death takes the parent along (class-based and
/// function-based forms).
TEST(spawn, linked_from_a_parent) {
  system_fixture fx;
  auto parent = sluice::spawn(
    fx.sys(), mailbox::block(8), [](sluice::actor* self) -> caf::behavior {
      auto child = sluice::spawn<caf::linked>(
        self, mailbox::block(2).named("linked-child"),
        [](sluice::actor*) -> caf::behavior { return {[](int) {}}; });
      auto child2
        = sluice::spawn<adder, caf::linked>(self, mailbox::block(2), 1);
      return {[=](ping_atom) { return caf::make_message(child, child2); }};
    });
  caf::scoped_actor self{fx.sys()};
  self->monitor(parent);
  auto kids = children_of(fx.sys(), parent);
  ASSERT_EQ(kids.size(), 2u);
  EXPECT_EQ(config_of(kids[0]).name, "linked-child");
  EXPECT_EQ(ask(fx.sys(), kids[1], 1), 2);
  caf::anon_send_exit(kids[0], caf::exit_reason::user_shutdown);
  caf::error reason;
  self->receive([&](caf::down_msg& dm) { reason = dm.reason; },
                caf::after(10s) >> [] { ADD_FAILURE() << "parent lives"; });
  EXPECT_EQ(reason, caf::exit_reason::user_shutdown);
  shutdown(fx.sys(), {kids[1]}); // the link took it along too
}

/// caf::monitored: the parent gets a down message when the child dies.
TEST(spawn, monitored_from_a_parent) {
  system_fixture fx;
  auto downs = std::make_shared<std::atomic<int>>(0);
  auto parent = sluice::spawn(
    fx.sys(), mailbox::block(8), [=](sluice::actor* self) -> caf::behavior {
      auto child = sluice::spawn<caf::monitored>(
        self, mailbox::block(2),
        [](sluice::actor*) -> caf::behavior { return {[](int) {}}; });
      auto child2
        = sluice::spawn<adder, caf::monitored>(self, mailbox::block(2), 1);
      self->set_down_handler([=](caf::down_msg& dm) {
        if (dm.source == child.address())
          ++*downs;
      });
      return {[=](ping_atom) { return caf::make_message(child, child2); }};
    });
  auto kids = children_of(fx.sys(), parent);
  ASSERT_EQ(kids.size(), 2u);
  caf::anon_send_exit(kids[0], caf::exit_reason::kill);
  EXPECT_TRUE(eventually([&] { return downs->load() == 1; }));
  shutdown(fx.sys(), {parent, kids[1]});
}

// -- detached ---------------------------------------------------------------------

/// A detached sluice actor runs on its own CAF thread: sluice never blocks
/// it. Sending to a full block mailbox parks it (sluice::send and plain
/// send) instead of blocking its thread; it resumes when admitted.
TEST(spawn, detached_actor_is_never_blocked) {
  system_fixture fx;
  sink_probe p;
  auto target = spawn_sink(fx.sys(), mailbox::block(1).with_park_limit(4), p);
  hold(target, p);
  fill(target, 1);
  struct probe {
    std::atomic<bool> caf_thread{false};
    std::atomic<bool> current{false};
    std::atomic<int> status{-1};
    std::atomic<bool> returned{false};
    std::atomic<int> pings{0};
  };
  auto pr = std::make_shared<probe>();
  auto d = sluice::spawn<caf::detached>(
    fx.sys(), mailbox::block(4), [=](sluice::actor* self) -> caf::behavior {
      return {
        [=](go_atom) {
          pr->caf_thread = sluice::detail::on_caf_thread();
          pr->current = sluice::detail::current_actor() == self;
          // even "as this thread": a detached actor's thread belongs to CAF
          auto r = sluice::send(sluice::this_thread, target, 2, 0);
          pr->status = static_cast<int>(r.status());
          self->send(target, 2, 1); // plain send: parks too
          pr->returned = true;
        },
        [=](ping_atom) { ++pr->pings; },
      };
    });
  caf::anon_send(d, go_atom::value);
  ASSERT_TRUE(eventually([&] { return pr->returned.load(); }))
    << "the detached actor's thread blocked on a full mailbox";
  EXPECT_TRUE(pr->caf_thread.load());
  EXPECT_TRUE(pr->current.load());
  EXPECT_EQ(pr->status.load(), static_cast<int>(send_status::parked));
  EXPECT_EQ(stats_of(target).parked_now, 2u);
  caf::anon_send(d, ping_atom::value);
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(pr->pings.load(), 0) << "suspended while parked";
  p.hold->open();
  EXPECT_TRUE(eventually([&] { return pr->pings.load() == 1; }));
  EXPECT_TRUE(eventually([&] { return p.rec->of(2) == iota(0, 2); }));
  shutdown(fx.sys(), {target, d});
}

/// A detached receiver: drain tokens wake its private thread; a managed
/// thread feeding it through a small block mailbox loses nothing.
TEST(spawn, detached_receiver) {
  system_fixture fx;
  sink_probe p;
  auto a = sluice::spawn<caf::detached>(
    fx.sys(), mailbox::block(2).with_block_timeout(60s), recording_sink, p);
  sender_report rep;
  thread_group ts;
  ts.spawn([&] { send_all_from_thread(a, policy::block, 1, 200, rep); });
  ts.join();
  EXPECT_TRUE(eventually([&] { return p.rec->of(1) == iota(0, 200); }));
  expect_identity(stats_of(a));
  shutdown(fx.sys(), {a});
}

/// An exception in the init function: the actor quits, its mailbox is
/// closed and unlisted, requests get CAF's error for a dead receiver.
TEST(spawn, init_function_that_throws) {
  system_fixture fx;
  auto a = sluice::spawn(fx.sys(), mailbox::block(2).named("broken"),
                         [](sluice::actor*) -> caf::behavior {
                           throw std::runtime_error("init failed");
                         });
  caf::scoped_actor self{fx.sys()};
  caf::error err;
  self->request(a, 10s, 1).receive([](int) { ADD_FAILURE(); },
                                   [&](caf::error& e) { err = e; });
  EXPECT_EQ(err, caf::sec::request_receiver_down) << fx.sys().render(err);
  for (auto& s : fx.rt().mailboxes())
    EXPECT_NE(s.name, "broken");
  EXPECT_EQ(sluice::send(sluice::this_thread, a, 1).status(),
            send_status::closed);
}

/// A plain detached CAF actor is an unmanaged sender: admitted within the
/// overcommit allowance, never blocked.
TEST(spawn, plain_detached_caf_actor_is_unmanaged) {
  system_fixture fx;
  sink_probe p;
  auto target = spawn_sink(fx.sys(), mailbox::block(1).with_overcommit(1), p);
  hold(target, p);
  fill(target, 1);
  std::atomic<bool> done{false};
  fx.sys().spawn<caf::detached>([&, target](caf::event_based_actor* self) {
    for (int i = 0; i < 3; ++i)
      self->send(target, 3, i);
    done = true;
  });
  ASSERT_TRUE(eventually([&] { return done.load(); }));
  auto s = stats_of(target);
  EXPECT_EQ(s.overcommitted, 1u);
  EXPECT_EQ(s.dead_lettered, 2u);
  p.hold->open();
  shutdown(fx.sys(), {target});
}

// -- lazy init --------------------------------------------------------------------

TEST(spawn, lazy_init) {
  system_fixture fx;
  auto initialized = std::make_shared<std::atomic<bool>>(false);
  auto a = sluice::spawn<caf::lazy_init>(fx.sys(),
                                         mailbox::drop_newest(3).named("lazy"),
                                         [=](sluice::actor*) -> caf::behavior {
                                           *initialized = true;
                                           return {[](int x) { return x + 1; }};
                                         });
  // the mailbox exists before the actor ever ran
  auto s = stats_of(a);
  EXPECT_EQ(s.name, "lazy");
  EXPECT_EQ(s.capacity, 3u);
  std::this_thread::sleep_for(10ms);
  EXPECT_FALSE(initialized->load());
  EXPECT_EQ(ask(fx.sys(), a, 1), 2);
  EXPECT_TRUE(initialized->load());
  shutdown(fx.sys(), {a});
}

/// A lazily initialized block mailbox filled before its first run: the
/// first message wakes it and everything is handled in order.
TEST(spawn, lazy_init_filled_before_first_run) {
  system_fixture fx;
  sink_probe p;
  auto a = sluice::spawn<caf::lazy_init>(
    fx.sys(), mailbox::block(4).with_block_timeout(60s), recording_sink, p);
  thread_group ts;
  sender_report rep;
  ts.spawn([&] { send_all_from_thread(a, policy::block, 1, 50, rep); });
  ts.join();
  EXPECT_TRUE(eventually([&] { return p.rec->of(1) == iota(0, 50); }));
  shutdown(fx.sys(), {a});
}

} // namespace
