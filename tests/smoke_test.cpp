#include "support.hpp"

using namespace sluice::test;

TEST(Smoke, DropNewestKeepsOldest) {
  system_fixture fx;
  gate g;
  std::atomic<int> sum{0};
  auto a = sluice::spawn(fx.sys(), sluice::mailbox::drop_newest(4).named("s"),
                         [&](sluice::actor*) -> caf::behavior {
                           return {[&](int x) {
                             if (x == 0)
                               g.wait();
                             sum += x;
                           }};
                         });
  ASSERT_TRUE(sluice::send(sluice::this_thread, a, 0).taken());
  ASSERT_TRUE(g.wait_entered());
  int dropped = 0;
  for (int i = 1; i <= 10; ++i) {
    auto r = sluice::send(sluice::this_thread, a, i);
    if (r.status() == sluice::send_status::dropped) {
      ++dropped;
      EXPECT_EQ(r.message().get_as<int>(0), i);
    }
  }
  EXPECT_EQ(dropped, 6);
  g.open();
  EXPECT_TRUE(eventually([&] { return sum.load() == 1 + 2 + 3 + 4; }));
  auto s = stats_of(a);
  EXPECT_EQ(s.dropped_newest, 6u);
  expect_identity(s);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
