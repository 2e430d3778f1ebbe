// sluice::runtime: the registry of live mailboxes, sluice::stats, config
// overrides by mailbox name, unused overrides, and the runtime's own
// preconditions.

#include "support.hpp"

using namespace sluice::test;
using sluice::mailbox;
using sluice::policy;

namespace {

std::vector<std::string> names(const std::vector<sluice::mailbox_stats>& xs) {
  std::vector<std::string> result;
  for (auto& x : xs)
    result.push_back(x.name);
  std::sort(result.begin(), result.end());
  return result;
}

TEST(runtime, lists_every_live_mailbox_by_name) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mailbox::block(4).named("alpha"), p);
  auto b = spawn_sink(fx.sys(), mailbox::drop_oldest(2).named("beta"), p);
  auto c = spawn_sink(fx.sys(), mailbox::credit(8, 2), p);
  auto plain = fx.sys().spawn([]() -> caf::behavior { return {[](int) {}}; });
  auto listed = names(fx.rt().mailboxes());
  auto unnamed = "actor#" + std::to_string(c.id());
  std::vector<std::string> want{"alpha", "beta", unnamed};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(listed, want);
  for (auto& s : fx.rt().mailboxes()) {
    if (s.name == "beta") {
      EXPECT_EQ(s.policy, policy::drop_oldest);
      EXPECT_EQ(s.capacity, 2u);
    }
  }
  exit_and_wait(fx.sys(), b);
  want.erase(std::find(want.begin(), want.end(), "beta"));
  EXPECT_EQ(names(fx.rt().mailboxes()), want);
  shutdown(fx.sys(), {a, c, plain});
  EXPECT_TRUE(fx.rt().mailboxes().empty());
}

TEST(runtime, stats_of_an_actor) {
  system_fixture fx;
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mailbox::drop_newest(2).named("st"), p);
  hold(a, p);
  fill(a, 2);
  EXPECT_EQ(sluice::try_send(sluice::this_thread, a, 1, 0).status(),
            sluice::send_status::dropped);
  auto s = sluice::stats(a);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->name, "st");
  EXPECT_EQ(s->policy, policy::drop_newest);
  EXPECT_EQ(s->capacity, 2u);
  EXPECT_EQ(s->depth, 2u);
  EXPECT_EQ(s->dropped_newest, 1u);
  EXPECT_EQ(s->handler_entries, s->handler_exits + 1) << "held in a handler";
  EXPECT_NE(sluice::to_string(*s).find("dropped_newest=1"), std::string::npos);
  auto plain = fx.sys().spawn([]() -> caf::behavior { return {[](int) {}}; });
  EXPECT_FALSE(sluice::stats(plain).has_value());
  EXPECT_FALSE(sluice::stats(caf::actor{}).has_value());
  p.hold->open();
  shutdown(fx.sys(), {a, plain});
}

TEST(runtime, config_override_by_mailbox_name) {
  system_fixture fx([](sluice::config& cfg) {
    cfg.set("sluice.overrides",
            std::vector<std::string>{"stage.policy:drop-oldest",
                                     "stage.capacity:3",
                                     "stage.v2.block-timeout:250ms"});
  });
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mailbox::block(64).named("stage"), p);
  auto cfg = config_of(a);
  EXPECT_EQ(cfg.policy, policy::drop_oldest);
  EXPECT_EQ(cfg.capacity, 3u);
  // a name with dots: the key is what follows the last dot
  auto b = spawn_sink(fx.sys(), mailbox::block(64).named("stage.v2"), p);
  EXPECT_EQ(config_of(b).block_timeout, std::chrono::milliseconds{250});
  EXPECT_EQ(config_of(b).policy, policy::block);
  // the override acts on the live mailbox
  hold(a, p);
  fill(a, 5);
  EXPECT_EQ(stats_of(a).evicted, 2u);
  EXPECT_TRUE(fx.rt().unused_overrides().empty());
  p.hold->open();
  shutdown(fx.sys(), {a, b});
}

TEST(runtime, unused_overrides_name_mailboxes_never_created) {
  system_fixture fx([](sluice::config& cfg) {
    cfg.set("sluice.overrides",
            std::vector<std::string>{"used.capacity:5", "typo.capacity:5"});
  });
  EXPECT_EQ(fx.rt().unused_overrides(),
            (std::vector<std::string>{"typo", "used"}));
  sink_probe p;
  auto a = spawn_sink(fx.sys(), mailbox::block(1).named("used"), p);
  EXPECT_EQ(config_of(a).capacity, 5u);
  EXPECT_EQ(fx.rt().unused_overrides(), std::vector<std::string>{"typo"});
  shutdown(fx.sys(), {a});
}

/// At shutdown the runtime tells the user, on stderr, which overrides
/// named a mailbox that was never created (a typo in the config file).
TEST(runtime, shutdown_reports_unused_overrides_on_stderr) {
  std::string err;
  {
    system_fixture fx([](sluice::config& cfg) {
      cfg.set("sluice.overrides",
              std::vector<std::string>{"used.capacity:5", "tpyo.capacity:5"});
    });
    sink_probe p;
    auto a = spawn_sink(fx.sys(), mailbox::block(1).named("used"), p);
    shutdown(fx.sys(), {a});
    testing::internal::CaptureStderr();
  } // ~runtime
  err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("sluice: config override for mailbox 'tpyo' matched no "
                     "mailbox"),
            std::string::npos)
    << err;
  EXPECT_EQ(err.find("'used'"), std::string::npos) << err;
}

/// A bad sluice.* value stops startup: constructing the runtime throws
/// config_error naming the key and the value.
TEST(runtime, bad_config_stops_startup_naming_key_and_value) {
  sluice::config cfg;
  cfg.set("scheduler.max-threads", 1);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  cfg.set("sluice.default-capacity", 0);
  caf::actor_system sys{cfg};
  try {
    sluice::runtime rt{sys};
    ADD_FAILURE() << "capacity 0 accepted";
  } catch (const sluice::config_error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("sluice.default-capacity"), std::string::npos) << what;
    EXPECT_NE(what.find("0"), std::string::npos) << what;
  }
}

TEST(runtime, requires_a_configured_system) {
  caf::actor_system_config cfg; // no sluice::configure
  cfg.set("scheduler.max-threads", 1);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  try {
    sluice::runtime rt{sys};
    ADD_FAILURE() << "no exception";
  } catch (const std::logic_error& e) {
    EXPECT_NE(std::string{e.what()}.find("sluice::configure"),
              std::string::npos)
      << e.what();
  }
}

TEST(runtime, one_runtime_per_system) {
  system_fixture fx;
  EXPECT_THROW(sluice::runtime{fx.sys()}, std::logic_error);
}

TEST(runtime, spawning_without_a_runtime_throws) {
  sluice::config cfg;
  cfg.set("scheduler.max-threads", 1);
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  EXPECT_THROW(
    sluice::spawn(sys, mailbox::block(1),
                  [](sluice::actor*) -> caf::behavior { return {[](int) {}}; }),
    std::logic_error);
}

/// Systems come and go at the same addresses: a system created from a
/// config without sluice::configure must be refused even if a configured
/// system (that never got a runtime) lived at its address before.
TEST(runtime, configured_marks_do_not_outlive_their_system) {
  for (int i = 0; i < 3; ++i) {
    auto cfg = std::make_unique<sluice::config>();
    cfg->set("scheduler.max-threads", 1);
    cfg->set("logger.verbosity", caf::atom("quiet"));
    auto sys = std::make_unique<caf::actor_system>(*cfg);
    sys.reset();
    cfg.reset();
    auto plain_cfg = std::make_unique<caf::actor_system_config>();
    plain_cfg->set("scheduler.max-threads", 1);
    plain_cfg->set("logger.verbosity", caf::atom("quiet"));
    auto plain = std::make_unique<caf::actor_system>(*plain_cfg);
    EXPECT_THROW(sluice::runtime{*plain}, std::logic_error);
  }
}

} // namespace
