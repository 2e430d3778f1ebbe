// The design note's table, asserted from the policy_matrix scenario's own
// measurements (nothing here knows which policy should do what except the
// seed's table itself).
// sluice-test-timeout: 300
#include "support.hpp"

#include "samples/policy_matrix.hpp"

using namespace sluice::test;

namespace {

struct expected_row {
  sluice::policy policy;
  bool loss;
  bool sender_stalls;
  bool cascading;
};

// ../shared/seed: the table of backpressure mechanisms.
const expected_row seed_table[] = {
  {sluice::policy::block, false, true, true},
  {sluice::policy::drop_newest, true, false, false},
  {sluice::policy::drop_oldest, true, false, false},
  {sluice::policy::credit, false, false, false},
};

void check(const std::vector<policy_matrix::result>& rs) {
  ASSERT_EQ(rs.size(), 4u);
  for (std::size_t i = 0; i < rs.size(); ++i) {
    auto& r = rs[i];
    auto& want = seed_table[i];
    SCOPED_TRACE(std::string{to_string(r.policy)});
    ASSERT_EQ(r.policy, want.policy);
    EXPECT_EQ(r.loses(), want.loss);
    EXPECT_EQ(r.sender_stalls(), want.sender_stalls);
    EXPECT_EQ(r.upstream_stalled, want.cascading);
    // every message is accounted for
    EXPECT_EQ(r.delivered + r.lost, r.sent);
    // the stage's mailbox stayed bounded
    EXPECT_LE(r.stage_max_depth, r.stage_capacity);
  }
}

} // namespace

TEST(PolicyMatrix, ReproducesTheSeedTable) {
  system_fixture fx;
  policy_matrix::params ps;
  ps.messages = 3000;
  ps.capacity = 16;
  ps.sink_delay_us = 50;
  check(policy_matrix::run_all(fx.sys(), ps));
}

TEST(PolicyMatrix, ReproducesTheSeedTableWithOtherParameters) {
  system_fixture fx;
  policy_matrix::params ps;
  ps.messages = 2000;
  ps.capacity = 40;
  ps.sink_delay_us = 120;
  ps.batch = 7;
  check(policy_matrix::run_all(fx.sys(), ps));
}

TEST(PolicyMatrix, RejectsUnknownPolicies) {
  try {
    policy_matrix::parse_policies("block,drop-middle");
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string{e.what()}.find("drop-middle"), std::string::npos);
  }
}
