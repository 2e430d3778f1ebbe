// samples/policy_matrix, the program: run as a child process (under
// coreutils' timeout) with --format=json and parameters other than its
// defaults, its stdout read with nlohmann::json; the seed's table is checked
// against the measurements in the output, and bad options must make it exit
// non-zero with a message on stderr naming the option and the value.
//
// tests/CMakeLists.txt passes the sample's path as SLUICE_POLICY_MATRIX_EXE
// (and links nlohmann_json) when the sample is built; without it the test
// skips.
// sluice-test-timeout: 300

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#ifdef SLUICE_POLICY_MATRIX_EXE

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;

/// What one run of the program did.
struct run_result {
  /// The shell's exit status: the program's own, 124 if `timeout` ended it,
  /// 128 + N if it died of signal N; -1 if the shell did not exit normally.
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string shell_quote(const std::string& x) {
  std::string result = "'";
  for (char c : x) {
    if (c == '\'')
      result += "'\\''";
    else
      result += c;
  }
  return result + "'";
}

/// Runs policy_matrix with `args`; stdout through a pipe, stderr through a
/// temporary file. `timeout` ends a child that hangs (exit status 124; a
/// child that ignores SIGTERM is killed 10 s later), well within the ctest
/// TIMEOUT above.
run_result run_matrix(const std::vector<std::string>& args) {
  run_result result;
  char err_path[] = "/tmp/policy_matrix_cli_test.XXXXXX";
  int fd = mkstemp(err_path);
  if (fd < 0) {
    ADD_FAILURE() << "mkstemp failed";
    return result;
  }
  close(fd);
  std::string cmd
    = "timeout -k 10 120 " + shell_quote(SLUICE_POLICY_MATRIX_EXE);
  for (auto& arg : args)
    cmd += " " + shell_quote(arg);
  cmd += " 2>" + shell_quote(err_path) + " </dev/null";
  if (FILE* pipe = popen(cmd.c_str(), "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0)
      result.out.append(buf, n);
    int status = pclose(pipe);
    if (status != -1 && WIFEXITED(status))
      result.exit_code = WEXITSTATUS(status);
  } else {
    ADD_FAILURE() << "popen failed: " << cmd;
  }
  std::ifstream in{err_path};
  result.err.assign(std::istreambuf_iterator<char>{in},
                    std::istreambuf_iterator<char>{});
  std::remove(err_path);
  return result;
}

constexpr int messages = 3000;
constexpr int capacity = 16;
constexpr int sink_delay_us = 100;

/// The numeric fields of every row; all unsigned integers.
const char* const numeric_fields[] = {
  "sent",
  "delivered",
  "lost",
  "producer_blocked_ms",
  "stage_blocked_ms",
  "stage_max_depth",
  "stage_capacity",
  "duration_ms",
};

std::uint64_t u(const json& row, const char* key) {
  return row.at(key).get<std::uint64_t>();
}

/// Checks one row's fields, their JSON types and what holds for every
/// policy. Fatal failures stop the caller (ASSERT_NO_FATAL_FAILURE).
void check_row(const json& row, const std::string& policy, int sent, int cap) {
  SCOPED_TRACE(row.dump());
  ASSERT_TRUE(row.is_object());
  ASSERT_TRUE(row.contains("policy"));
  ASSERT_TRUE(row["policy"].is_string());
  EXPECT_EQ(row["policy"].get<std::string>(), policy);
  for (auto* key : numeric_fields) {
    ASSERT_TRUE(row.contains(key)) << key;
    ASSERT_TRUE(row[key].is_number_unsigned()) << key;
  }
  ASSERT_TRUE(row.contains("upstream_stalled"));
  ASSERT_TRUE(row["upstream_stalled"].is_boolean());
  auto stalled = row["upstream_stalled"].get<bool>();
  EXPECT_EQ(stalled, u(row, "stage_blocked_ms") > 0);
  EXPECT_EQ(u(row, "sent"), static_cast<std::uint64_t>(sent));
  EXPECT_EQ(u(row, "sent"), u(row, "delivered") + u(row, "lost"));
  EXPECT_EQ(u(row, "stage_capacity"), static_cast<std::uint64_t>(cap));
  EXPECT_LE(u(row, "stage_max_depth"), u(row, "stage_capacity"));
}

/// The seed's table: block loses nothing, stalls the producer and the stage
/// before the slow sink; the drop policies lose and stall nobody; credit
/// loses nothing and stalls nobody.
void check_seed_table(const json& row) {
  SCOPED_TRACE(row.dump());
  auto policy = row.at("policy").get<std::string>();
  auto lost = u(row, "lost");
  auto producer_blocked_ms = u(row, "producer_blocked_ms");
  auto stalled = row.at("upstream_stalled").get<bool>();
  if (policy == "block") {
    EXPECT_EQ(lost, 0u);
    EXPECT_GT(producer_blocked_ms, 0u);
    EXPECT_TRUE(stalled);
  } else if (policy == "drop-newest" || policy == "drop-oldest") {
    EXPECT_GT(lost, 0u);
    EXPECT_EQ(producer_blocked_ms, 0u);
    EXPECT_FALSE(stalled);
  } else if (policy == "credit") {
    EXPECT_EQ(lost, 0u);
    EXPECT_EQ(producer_blocked_ms, 0u);
    EXPECT_FALSE(stalled);
  } else {
    ADD_FAILURE() << "unexpected policy " << policy;
  }
}

json parse_output(const run_result& r) {
  auto j = json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "stdout is not one JSON document:\n"
                                 << r.out;
  return j;
}

/// All four policies, not in the program's default order: the output must
/// follow the order asked for.
TEST(policy_matrix_cli, json_reproduces_the_seed_table) {
  const std::vector<std::string> order{"credit", "drop-oldest", "block",
                                       "drop-newest"};
  auto r
    = run_matrix({"--format=json", "--messages=" + std::to_string(messages),
                  "--capacity=" + std::to_string(capacity),
                  "--sink-delay-us=" + std::to_string(sink_delay_us),
                  "--policies=credit,drop-oldest,block,drop-newest"});
  ASSERT_EQ(r.exit_code, 0) << "stderr:\n" << r.err;
  auto j = parse_output(r);
  ASSERT_TRUE(j.is_array()) << r.out;
  ASSERT_EQ(j.size(), order.size()) << r.out;
  for (std::size_t i = 0; i < order.size(); ++i) {
    ASSERT_NO_FATAL_FAILURE(check_row(j[i], order[i], messages, capacity));
    check_seed_table(j[i]);
    // The sink busy-waits sink_delay_us per delivered message, one at a
    // time, all within the measured duration.
    EXPECT_GE(u(j[i], "duration_ms"),
              u(j[i], "delivered") * sink_delay_us / 1000)
      << j[i].dump();
  }
}

/// One policy, another capacity: one row, nothing else run.
TEST(policy_matrix_cli, json_runs_only_the_policies_asked_for) {
  auto r = run_matrix({"--format=json", "--messages=500", "--capacity=5",
                       "--sink-delay-us=20", "--policies=drop-newest"});
  ASSERT_EQ(r.exit_code, 0) << "stderr:\n" << r.err;
  auto j = parse_output(r);
  ASSERT_TRUE(j.is_array()) << r.out;
  ASSERT_EQ(j.size(), 1u) << r.out;
  ASSERT_NO_FATAL_FAILURE(check_row(j[0], "drop-newest", 500, 5));
  EXPECT_EQ(u(j[0], "producer_blocked_ms"), 0u);
  EXPECT_FALSE(j[0]["upstream_stalled"].get<bool>());
}

// -- bad input ------------------------------------------------------------------

struct bad_input {
  std::string name;
  std::string arg;    ///< the bad argument
  std::string option; ///< what stderr must name
  std::string value;  ///< ... followed by this value
};

void PrintTo(const bad_input& x, std::ostream* out) {
  *out << x.arg;
}

std::string bad_input_name(const ::testing::TestParamInfo<bad_input>& info) {
  return info.param.name;
}

class policy_matrix_cli_bad : public ::testing::TestWithParam<bad_input> {};

/// The program refuses at once: exits on its own with a non-zero status (not
/// a crash, not the timeout), prints no results, and stderr names the option
/// and then the bad value.
TEST_P(policy_matrix_cli_bad, exits_non_zero_naming_the_option) {
  auto& x = GetParam();
  // Otherwise valid and quick: a program that ignored the bad argument would
  // finish its run and exit 0. (The option itself is not given twice.)
  std::vector<std::string> args;
  for (std::string base : {"--format=json", "--messages=100"})
    if (base.compare(0, x.option.size() + 1, x.option + "=") != 0)
      args.push_back(base);
  args.push_back(x.arg);
  auto r = run_matrix(args);
  EXPECT_NE(r.exit_code, 0) << "accepted " << x.arg << "; stdout:\n" << r.out;
  EXPECT_NE(r.exit_code, 124) << "did not finish within the timeout";
  EXPECT_TRUE(r.exit_code > 0 && r.exit_code < 124)
    << "exit status " << r.exit_code << " (not an exit of its own); stderr:\n"
    << r.err;
  EXPECT_EQ(r.out, "");
  auto at = r.err.find(x.option);
  ASSERT_NE(at, std::string::npos) << "stderr:\n" << r.err;
  EXPECT_NE(r.err.find(x.value, at + x.option.size()), std::string::npos)
    << "stderr:\n"
    << r.err;
}

INSTANTIATE_TEST_SUITE_P(
  policy_matrix_cli, policy_matrix_cli_bad,
  ::testing::Values(
    bad_input{"unknown_policy", "--policies=block,fast", "--policies", "fast"},
    bad_input{"zero_capacity", "--capacity=0", "--capacity", "0"},
    bad_input{"zero_messages", "--messages=0", "--messages", "0"},
    bad_input{"unknown_format", "--format=xml", "--format", "xml"}),
  bad_input_name);

} // namespace

#else // no SLUICE_POLICY_MATRIX_EXE: the sample is not part of this build

TEST(policy_matrix_cli, requires_the_sample) {
  GTEST_SKIP() << "samples/policy_matrix is not built (SLUICE_BUILD_SAMPLES)";
}

#endif
