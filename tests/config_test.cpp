// Tests for runtime/config: reading `sluice.*` settings from a CAF config
// file and command line, and rejecting every bad value with a message that
// names the key and the value.

#include "runtime/config.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <gtest/gtest.h>

using namespace std::chrono_literals;
using sluice::config_error;
using sluice::mailbox;
using sluice::runtime_settings;

namespace {

// -- fixtures -----------------------------------------------------------------

/// Exposes CAF's help text, which actor_system_config keeps protected.
struct probe_config : caf::actor_system_config {
  std::string help() const {
    return custom_options_.help_text(false);
  }
};

/// One config file and one actor_system_config per test.
class config : public ::testing::Test {
protected:
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }

  /// Writes `ini` to a temp file and parses it plus `args` as an app would.
  caf::error parse(const std::string& ini, std::vector<std::string> args = {}) {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (std::filesystem::temp_directory_path()
             / (std::string{"sluice_config_test_"} + info->name() + ".ini"))
              .string();
    std::ofstream{path_} << ini;
    sluice::add_options(cfg);
    return cfg.parse(std::move(args), path_.c_str());
  }

  caf::error parse_args(std::vector<std::string> args) {
    return parse("", std::move(args));
  }

  /// what() of the config_error read_settings throws, or "<no error>".
  std::string error_message() {
    try {
      sluice::read_settings(cfg);
    } catch (const config_error& e) {
      if (std::getenv("SLUICE_PRINT_ERRORS"))
        std::cout << "    " << e.what() << "\n";
      return e.what();
    }
    return "<no error>";
  }

  runtime_settings read() {
    return sluice::read_settings(cfg);
  }

  probe_config cfg;
  std::string path_;
};

::testing::AssertionResult
contains_all(const std::string& text,
             std::initializer_list<std::string> parts) {
  for (auto& part : parts)
    if (text.find(part) == std::string::npos)
      return ::testing::AssertionFailure()
             << "'" << text << "' does not contain '" << part << "'";
  return ::testing::AssertionSuccess();
}

mailbox blank() {
  return mailbox::blank();
}

// -- built-in defaults --------------------------------------------------------

TEST_F(config, builtin_defaults) {
  auto s = sluice::builtin_settings();
  EXPECT_EQ(s.defaults.policy(), sluice::policy::block);
  EXPECT_EQ(s.defaults.capacity(), 1024u);
  EXPECT_EQ(s.defaults.window(), 64u);
  EXPECT_EQ(s.defaults.block_timeout(), mailbox::duration{5s});
  EXPECT_EQ(s.defaults.park_limit(), 64u);
  EXPECT_EQ(s.defaults.overcommit(), 64u);
  EXPECT_EQ(s.defaults.credit_mode(), sluice::credit_mode::automatic);
  EXPECT_EQ(s.defaults.name(), "");
  EXPECT_TRUE(s.overrides.empty());
  EXPECT_EQ(s.drain_batch, 64u);
}

TEST_F(config, empty_config_gives_builtin_defaults) {
  ASSERT_FALSE(parse(""));
  auto s = read();
  EXPECT_EQ(s.defaults, sluice::builtin_settings().defaults);
  EXPECT_TRUE(s.overrides.empty());
  EXPECT_EQ(s.drain_batch, 64u);
}

TEST_F(config, other_sections_are_left_alone) {
  ASSERT_FALSE(parse("[scheduler]\nmax-threads=2\n[my-app]\nanything=1\n"));
  EXPECT_EQ(read().defaults, sluice::builtin_settings().defaults);
}

// -- reading every key --------------------------------------------------------

TEST_F(config, ini_every_key) {
  ASSERT_FALSE(parse(R"([sluice]
default-policy = "credit"
default-capacity = 512
block-timeout = 250ms
credit-window = 32
park-limit = 8
overcommit = 0 ; none over capacity
credit-mode = "manual"
drain-batch = 16
)"));
  auto s = read();
  EXPECT_EQ(s.defaults.policy(), sluice::policy::credit);
  EXPECT_EQ(s.defaults.capacity(), 512u);
  EXPECT_EQ(s.defaults.block_timeout(), mailbox::duration{250ms});
  EXPECT_EQ(s.defaults.window(), 32u);
  EXPECT_EQ(s.defaults.park_limit(), 8u);
  EXPECT_EQ(s.defaults.overcommit(), 0u);
  EXPECT_EQ(s.defaults.credit_mode(), sluice::credit_mode::manual);
  EXPECT_EQ(s.drain_batch, 16u);
}

TEST_F(config, cli_every_key) {
  ASSERT_FALSE(parse_args(
    {"--sluice.default-policy=drop-oldest", "--sluice.default-capacity=100",
     "--sluice.block-timeout=1min", "--sluice.credit-window=10",
     "--sluice.park-limit=3", "--sluice.overcommit=7",
     "--sluice.credit-mode=manual", "--sluice.drain-batch=5"}));
  auto s = read();
  EXPECT_EQ(s.defaults.policy(), sluice::policy::drop_oldest);
  EXPECT_EQ(s.defaults.capacity(), 100u);
  EXPECT_EQ(s.defaults.block_timeout(), mailbox::duration{1min});
  EXPECT_EQ(s.defaults.window(), 10u);
  EXPECT_EQ(s.defaults.park_limit(), 3u);
  EXPECT_EQ(s.defaults.overcommit(), 7u);
  EXPECT_EQ(s.defaults.credit_mode(), sluice::credit_mode::manual);
  EXPECT_EQ(s.drain_batch, 5u);
}

TEST_F(config, cli_wins_over_ini) {
  ASSERT_FALSE(parse("[sluice]\ndefault-capacity=100\ndrain-batch=9\n",
                     {"--sluice.default-capacity=200"}));
  auto s = read();
  EXPECT_EQ(s.defaults.capacity(), 200u);
  EXPECT_EQ(s.drain_batch, 9u);
}

TEST_F(config, each_policy_name) {
  ASSERT_FALSE(parse(""));
  for (auto p : {sluice::policy::block, sluice::policy::drop_newest,
                 sluice::policy::drop_oldest, sluice::policy::credit}) {
    probe_config fresh;
    sluice::add_options(fresh);
    auto flag = "--sluice.default-policy=" + std::string{to_string(p)};
    ASSERT_FALSE(fresh.parse(std::vector<std::string>{flag}, path_.c_str()));
    EXPECT_EQ(sluice::read_settings(fresh).defaults.policy(), p) << flag;
  }
}

TEST_F(config, small_default_capacity_caps_the_builtin_window) {
  ASSERT_FALSE(parse("[sluice]\ndefault-capacity=16\n"));
  auto s = read();
  EXPECT_EQ(s.defaults.capacity(), 16u);
  EXPECT_EQ(s.defaults.window(), 16u);
}

TEST_F(config, code_set_values_are_validated_too) {
  ASSERT_FALSE(parse(""));
  cfg.set("sluice.default-capacity", std::size_t{0});
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.default-capacity", "'0'"}));
}

TEST_F(config, options_show_in_help_once) {
  sluice::add_options(cfg);
  sluice::add_options(cfg);
  auto help = cfg.help();
  for (auto key : {"default-policy", "default-capacity", "block-timeout",
                   "credit-window", "park-limit", "overcommit", "credit-mode",
                   "drain-batch", "overrides"}) {
    auto flag = std::string{"--sluice."} + key + "=";
    auto first = help.find(flag);
    EXPECT_NE(first, std::string::npos) << flag;
    EXPECT_EQ(help.find(flag, first + 1), std::string::npos) << flag;
  }
}

// -- per-mailbox overrides ----------------------------------------------------

TEST_F(config, ini_mailboxes_map) {
  ASSERT_FALSE(parse(R"([sluice]
mailboxes = {
  stage = { policy = "drop-oldest", capacity = 64 }
  sink = { credit-window = 8, block-timeout = 2s, park-limit = 2,
           overcommit = 0, credit-mode = "manual" }
}
)"));
  auto s = read();
  ASSERT_EQ(s.overrides.size(), 2u);
  auto stage = blank();
  stage.set_policy(sluice::policy::drop_oldest).set_capacity(64);
  EXPECT_EQ(s.overrides.at("stage"), stage);
  auto sink = blank();
  sink.set_window(8)
    .set_block_timeout(2s)
    .set_park_limit(2)
    .set_overcommit(0)
    .set_credit_mode(sluice::credit_mode::manual);
  EXPECT_EQ(s.overrides.at("sink"), sink);
}

TEST_F(config, ini_mailboxes_block_syntax) {
  ASSERT_FALSE(parse("[sluice]\nmailboxes {\n  stage {\n    capacity = 8\n"
                     "  }\n}\n"));
  auto expected = blank();
  expected.set_capacity(8);
  EXPECT_EQ(read().overrides.at("stage"), expected);
}

TEST_F(config, ini_overrides_list) {
  ASSERT_FALSE(parse(
    "[sluice]\noverrides = [\"stage.policy:credit\", \"stage.capacity:64\", "
    "\"pipeline.sink.block-timeout=500ms\"]\n"));
  auto s = read();
  auto stage = blank();
  stage.set_policy(sluice::policy::credit).set_capacity(64);
  EXPECT_EQ(s.overrides.at("stage"), stage);
  auto sink = blank(); // names may contain dots: the key is after the last
  sink.set_block_timeout(500ms);
  EXPECT_EQ(s.overrides.at("pipeline.sink"), sink);
}

TEST_F(config, cli_overrides_list) {
  ASSERT_FALSE(parse_args({"--sluice.overrides=stage.policy:drop-newest,"
                           "stage.capacity:32,sink.overcommit:0"}));
  auto s = read();
  auto stage = blank();
  stage.set_policy(sluice::policy::drop_newest).set_capacity(32);
  EXPECT_EQ(s.overrides.at("stage"), stage);
  auto sink = blank();
  sink.set_overcommit(0);
  EXPECT_EQ(s.overrides.at("sink"), sink);
}

TEST_F(config, cli_overrides_list_with_brackets_and_quotes) {
  ASSERT_FALSE(parse_args(
    {R"(--sluice.overrides=["stage.capacity=16", "stage.credit-mode:manual"])"}));
  auto stage = blank();
  stage.set_capacity(16).set_credit_mode(sluice::credit_mode::manual);
  EXPECT_EQ(read().overrides.at("stage"), stage);
}

TEST_F(config, cli_overrides_replace_fields_of_the_ini_map) {
  ASSERT_FALSE(parse("[sluice]\nmailboxes = { stage = { capacity = 64, "
                     "policy = \"drop-oldest\" } }\n",
                     {"--sluice.overrides=stage.capacity:128"}));
  auto stage = blank();
  stage.set_policy(sluice::policy::drop_oldest).set_capacity(128);
  EXPECT_EQ(read().overrides.at("stage"), stage);
}

TEST_F(config, override_capacity_below_default_window_is_fine) {
  // The default window (64) is capped at resolve time; only an explicit
  // window larger than the capacity is an error.
  ASSERT_FALSE(parse("[sluice]\nmailboxes = { small = { capacity = 8 } }\n"));
  auto s = read();
  auto small = blank();
  small.set_capacity(8);
  EXPECT_EQ(s.overrides.at("small"), small);
  EXPECT_EQ(sluice::resolve(s.overrides.at("small"), s.defaults).window, 8u);
}

TEST_F(config, override_window_may_use_the_configured_default_capacity) {
  ASSERT_FALSE(parse("[sluice]\ndefault-capacity = 4096\n"
                     "mailboxes = { wide = { credit-window = 2048 } }\n"));
  EXPECT_EQ(read().overrides.at("wide").window(), 2048u);
}

// -- bad values in the config file --------------------------------------------

TEST_F(config, ini_unknown_policy) {
  ASSERT_FALSE(parse("[sluice]\ndefault-policy = \"fast\"\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.default-policy", "\"fast\"", ":2"}));
}

TEST_F(config, ini_unquoted_policy) {
  EXPECT_TRUE(parse("[sluice]\ndefault-policy = drop-oldest\n"));
  EXPECT_TRUE(contains_all(
    error_message(), {"sluice.default-policy", "'drop-oldest'", "quoted"}));
}

TEST_F(config, ini_atom_policy) {
  ASSERT_FALSE(parse("[sluice]\ndefault-policy = 'block'\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.default-policy", "'block'"}));
}

TEST_F(config, ini_zero_capacity) {
  ASSERT_FALSE(parse("[sluice]\ndefault-capacity = 0\n"));
  EXPECT_TRUE(contains_all(
    error_message(),
    {"sluice.default-capacity: expected a positive integer, got '0'"}));
}

TEST_F(config, ini_negative_capacity) {
  // CAF drops this value silently; the raw re-read catches it.
  ASSERT_FALSE(parse("[sluice]\ndefault-capacity = -3\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.default-capacity", "'-3'"}));
}

TEST_F(config, ini_malformed_capacity) {
  // CAF's parser fails; read_settings names the key CAF's error does not.
  EXPECT_TRUE(parse("[sluice]\ndefault-capacity = 12abc\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.default-capacity", "'12abc'"}));
}

TEST_F(config, ini_fractional_capacity) {
  ASSERT_FALSE(parse("[sluice]\ndefault-capacity = 1.5\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.default-capacity", "'1.5'"}));
}

TEST_F(config, ini_string_capacity) {
  ASSERT_FALSE(parse("[sluice]\ndefault-capacity = \"abc\"\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.default-capacity", "\"abc\""}));
}

TEST_F(config, ini_capacity_above_maximum) {
  ASSERT_FALSE(parse("[sluice]\ndefault-capacity = 4000000000\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.default-capacity", "'4000000000'"}));
}

TEST_F(config, ini_duration_without_unit) {
  ASSERT_FALSE(parse("[sluice]\nblock-timeout = 5\n"));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.block-timeout", "'5'"}));
}

TEST_F(config, ini_zero_duration) {
  ASSERT_FALSE(parse("[sluice]\nblock-timeout = 0s\n"));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.block-timeout", "'0s'"}));
}

TEST_F(config, ini_negative_duration) {
  ASSERT_FALSE(parse("[sluice]\nblock-timeout = -5s\n"));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.block-timeout", "'-5s'"}));
}

TEST_F(config, ini_malformed_duration) {
  EXPECT_TRUE(parse("[sluice]\nblock-timeout = 5xs\n"));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.block-timeout", "'5xs'"}));
}

TEST_F(config, ini_window_above_capacity) {
  ASSERT_FALSE(parse("[sluice]\ndefault-capacity = 32\ncredit-window = 64\n"));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.credit-window", "'64'",
                                             "sluice.default-capacity", "32"}));
}

TEST_F(config, ini_window_above_builtin_capacity) {
  ASSERT_FALSE(parse("[sluice]\ncredit-window = 2000\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.credit-window", "'2000'"}));
}

TEST_F(config, ini_zero_window) {
  ASSERT_FALSE(parse("[sluice]\ncredit-window = 0\n"));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.credit-window", "'0'"}));
}

TEST_F(config, ini_zero_park_limit) {
  ASSERT_FALSE(parse("[sluice]\npark-limit = 0\n"));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.park-limit", "'0'"}));
}

TEST_F(config, ini_negative_overcommit) {
  ASSERT_FALSE(parse("[sluice]\novercommit = -1\n"));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.overcommit", "'-1'"}));
}

TEST_F(config, ini_unknown_credit_mode) {
  ASSERT_FALSE(parse("[sluice]\ncredit-mode = \"sometimes\"\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.credit-mode", "\"sometimes\""}));
}

TEST_F(config, ini_zero_drain_batch) {
  ASSERT_FALSE(parse("[sluice]\ndrain-batch = 0\n"));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.drain-batch", "'0'"}));
}

TEST_F(config, ini_unknown_key) {
  ASSERT_FALSE(parse("[sluice]\ncapacity = 5\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.capacity", "unknown key", "'5'"}));
}

TEST_F(config, ini_duplicate_key) {
  // CAF keeps the first of two equal keys in a section and says nothing.
  ASSERT_FALSE(parse("[sluice]\ndefault-capacity = 5\ndefault-capacity = 7\n"));
  EXPECT_TRUE(contains_all(error_message(),
                           {"sluice.default-capacity", "twice", "'5'", "'7'"}));
}

TEST_F(config, ini_sub_sections_rejected) {
  // CAF 0.17.6 keeps only the last of these: 'stage' would be lost silently.
  ASSERT_FALSE(parse("[sluice.mailboxes.stage]\ncapacity = 64\n"
                     "[sluice.mailboxes.sink]\ncapacity = 8\n"));
  EXPECT_TRUE(contains_all(error_message(),
                           {"[sluice.mailboxes.stage]", "mailboxes = {"}));
}

TEST_F(config, ini_syntax_error_elsewhere) {
  EXPECT_TRUE(parse("[scheduler]\nmax-threads = two\n"));
  EXPECT_TRUE(contains_all(error_message(), {path_ + ":2", "cannot parse"}));
}

TEST_F(config, missing_config_file) {
  sluice::add_options(cfg);
  auto err = cfg.parse(
    std::vector<std::string>{"--config-file=/nonexistent/sluice.ini"});
  EXPECT_TRUE(err);
  EXPECT_TRUE(
    contains_all(error_message(), {"config-file", "/nonexistent/sluice.ini"}));
}

TEST_F(config, ini_override_unknown_key) {
  ASSERT_FALSE(parse("[sluice]\nmailboxes = { stage = { capasity = 5 } }\n"));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.mailboxes.stage.capasity",
                                             "unknown key", "'5'"}));
}

TEST_F(config, ini_override_unknown_policy) {
  ASSERT_FALSE(parse("[sluice]\nmailboxes = { stage = { policy = \"x\" } }\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.mailboxes.stage.policy", "\"x\""}));
}

TEST_F(config, ini_override_zero_capacity) {
  ASSERT_FALSE(parse("[sluice]\nmailboxes = { stage = { capacity = 0 } }\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.mailboxes.stage.capacity", "'0'"}));
}

TEST_F(config, ini_override_malformed_capacity) {
  EXPECT_TRUE(
    parse("[sluice]\nmailboxes = {\n  stage = {\n    capacity = 9x\n  }\n}\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.mailboxes.stage.capacity", "'9x'"}));
}

TEST_F(config, ini_override_window_above_own_capacity) {
  ASSERT_FALSE(parse("[sluice]\nmailboxes = { stage = { capacity = 8, "
                     "credit-window = 16 } }\n"));
  EXPECT_TRUE(contains_all(
    error_message(), {"sluice.mailboxes.stage.credit-window", "'16'", "8"}));
}

TEST_F(config, ini_override_window_above_default_capacity) {
  ASSERT_FALSE(parse("[sluice]\ndefault-capacity = 32\n"
                     "mailboxes = { stage = { credit-window = 64 } }\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.mailboxes.stage.credit-window",
                                   "'64'", "sluice.default-capacity"}));
}

TEST_F(config, ini_override_not_a_map) {
  ASSERT_FALSE(parse("[sluice]\nmailboxes = { stage = 5 }\n"));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.mailboxes.stage", "'5'"}));
}

TEST_F(config, ini_mailboxes_not_a_map) {
  ASSERT_FALSE(parse("[sluice]\nmailboxes = \"stage\"\n"));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.mailboxes", "\"stage\""}));
}

TEST_F(config, ini_overrides_entry_bad_value) {
  ASSERT_FALSE(parse("[sluice]\noverrides = [\"stage.capacity:0\"]\n"));
  EXPECT_TRUE(contains_all(error_message(),
                           {"sluice.overrides", "stage.capacity", "'0'"}));
}

TEST_F(config, ini_overrides_not_a_list) {
  // CAF drops a string where it declared a list; the raw re-read catches it.
  ASSERT_FALSE(parse("[sluice]\noverrides = \"stage.capacity:5\"\n"));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.overrides", "stage.capacity:5"}));
}

// -- bad values on the command line -------------------------------------------

// CAF itself rejects values its declared type cannot hold; its error names
// the whole argument, key and value.
void expect_caf_rejects(const caf::error& err, const std::string& arg) {
  ASSERT_TRUE(err) << arg;
  EXPECT_TRUE(contains_all(caf::to_string(err), {arg}));
}

TEST_F(config, cli_zero_capacity) {
  ASSERT_FALSE(parse_args({"--sluice.default-capacity=0"}));
  EXPECT_TRUE(contains_all(
    error_message(),
    {"sluice.default-capacity: expected a positive integer, got '0'"}));
}

TEST_F(config, cli_negative_capacity) {
  expect_caf_rejects(parse_args({"--sluice.default-capacity=-3"}),
                     "--sluice.default-capacity=-3");
}

TEST_F(config, cli_malformed_capacity) {
  expect_caf_rejects(parse_args({"--sluice.default-capacity=12abc"}),
                     "--sluice.default-capacity=12abc");
}

TEST_F(config, cli_fractional_capacity) {
  expect_caf_rejects(parse_args({"--sluice.park-limit=1.5"}),
                     "--sluice.park-limit=1.5");
}

TEST_F(config, cli_wrong_type_capacity) {
  expect_caf_rejects(parse_args({"--sluice.default-capacity=abc"}),
                     "--sluice.default-capacity=abc");
}

TEST_F(config, cli_unknown_key) {
  expect_caf_rejects(parse_args({"--sluice.capacity=5"}),
                     "--sluice.capacity=5");
}

TEST_F(config, cli_mailboxes_map_is_file_only) {
  expect_caf_rejects(parse_args({"--sluice.mailboxes={stage={capacity=5}}"}),
                     "--sluice.mailboxes={stage={capacity=5}}");
}

TEST_F(config, cli_duration_without_unit) {
  expect_caf_rejects(parse_args({"--sluice.block-timeout=5"}),
                     "--sluice.block-timeout=5");
}

TEST_F(config, cli_unknown_policy) {
  ASSERT_FALSE(parse_args({"--sluice.default-policy=fast"}));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.default-policy", "'fast'"}));
}

TEST_F(config, cli_unknown_credit_mode) {
  ASSERT_FALSE(parse_args({"--sluice.credit-mode=auto"}));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.credit-mode", "'auto'"}));
}

TEST_F(config, cli_zero_duration) {
  ASSERT_FALSE(parse_args({"--sluice.block-timeout=0s"}));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.block-timeout", "'0s'"}));
}

TEST_F(config, cli_negative_duration) {
  ASSERT_FALSE(parse_args({"--sluice.block-timeout=-250ms"}));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.block-timeout", "'-250ms'"}));
}

TEST_F(config, cli_zero_drain_batch) {
  ASSERT_FALSE(parse_args({"--sluice.drain-batch=0"}));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.drain-batch", "'0'"}));
}

TEST_F(config, cli_window_above_capacity) {
  ASSERT_FALSE(
    parse_args({"--sluice.default-capacity=16", "--sluice.credit-window=17"}));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.credit-window", "'17'",
                                             "sluice.default-capacity", "16"}));
}

TEST_F(config, cli_flag_after_positional_argument) {
  ASSERT_FALSE(parse_args({"input.txt", "--sluice.default-capacity=5"}));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.default-capacity=5", "input.txt"}));
}

TEST_F(config, cli_override_zero_capacity) {
  ASSERT_FALSE(parse_args({"--sluice.overrides=stage.capacity:0"}));
  EXPECT_TRUE(contains_all(error_message(),
                           {"sluice.overrides", "stage.capacity", "'0'"}));
}

TEST_F(config, cli_override_malformed_number) {
  ASSERT_FALSE(parse_args({"--sluice.overrides=stage.capacity:12abc"}));
  EXPECT_TRUE(contains_all(error_message(),
                           {"sluice.overrides", "stage.capacity", "'12abc'"}));
}

TEST_F(config, cli_override_negative_overcommit) {
  ASSERT_FALSE(parse_args({"--sluice.overrides=stage.overcommit:-1"}));
  EXPECT_TRUE(contains_all(error_message(),
                           {"sluice.overrides", "stage.overcommit", "'-1'"}));
}

TEST_F(config, cli_override_fractional_park_limit) {
  ASSERT_FALSE(parse_args({"--sluice.overrides=stage.park-limit:1.5"}));
  EXPECT_TRUE(contains_all(error_message(),
                           {"sluice.overrides", "stage.park-limit", "'1.5'"}));
}

TEST_F(config, cli_override_bad_duration) {
  ASSERT_FALSE(parse_args({"--sluice.overrides=stage.block-timeout:0ms"}));
  EXPECT_TRUE(contains_all(
    error_message(), {"sluice.overrides", "stage.block-timeout", "'0ms'"}));
}

TEST_F(config, cli_override_unknown_policy) {
  ASSERT_FALSE(parse_args({"--sluice.overrides=stage.policy:fast"}));
  EXPECT_TRUE(contains_all(error_message(),
                           {"sluice.overrides", "stage.policy", "'fast'"}));
}

TEST_F(config, cli_override_unknown_key) {
  ASSERT_FALSE(parse_args({"--sluice.overrides=stage.capasity:5"}));
  EXPECT_TRUE(contains_all(error_message(), {"sluice.overrides", "capasity",
                                             "stage.capasity:5", "unknown"}));
}

TEST_F(config, cli_override_without_key) {
  ASSERT_FALSE(parse_args({"--sluice.overrides=stage:5"}));
  EXPECT_TRUE(contains_all(
    error_message(), {"sluice.overrides", "'stage:5'", "NAME.KEY:VALUE"}));
}

TEST_F(config, cli_override_set_twice) {
  ASSERT_FALSE(
    parse_args({"--sluice.overrides=stage.capacity:5,stage.capacity:6"}));
  EXPECT_TRUE(contains_all(error_message(),
                           {"sluice.overrides", "stage.capacity:6", "second"}));
}

TEST_F(config, cli_override_window_above_capacity) {
  ASSERT_FALSE(
    parse_args({"--sluice.overrides=stage.capacity:8,stage.credit-window:16"}));
  EXPECT_TRUE(
    contains_all(error_message(), {"sluice.overrides", "stage.credit-window",
                                   "'16'", "capacity 8"}));
}

TEST_F(config, cli_override_window_above_ini_capacity) {
  ASSERT_FALSE(parse("[sluice]\nmailboxes = { stage = { capacity = 8 } }\n",
                     {"--sluice.overrides=stage.credit-window:9"}));
  EXPECT_TRUE(contains_all(error_message(),
                           {"stage.credit-window", "'9'", "capacity 8"}));
}

} // namespace
