// A sluice actor shares CAF's workers like a plain CAF actor: CAF's
// scheduler.max-throughput counts its ordinary messages, not its drain
// passes (CAF alone would count a whole drain pass as one message).
// sluice-test-timeout: 60

#include <atomic>
#include <cstddef>

#include "support.hpp"

namespace {

using namespace sluice::test;

/// One worker, a busy sluice actor with `n` ordinary messages queued behind
/// a handler that holds the worker, and a plain CAF actor scheduled behind
/// it: how many of the busy actor's messages ran before the other actor got
/// the worker. `throughput` 0: CAF's default (unlimited).
int handled_before_the_other_actor_ran(std::size_t throughput,
                                       std::size_t drain_batch, int n) {
  system_fixture fx{[&](sluice::config& cfg) {
    cfg.set("scheduler.max-threads", 1);
    if (throughput > 0)
      cfg.set("scheduler.max-throughput", throughput);
    cfg.set("sluice.drain-batch", drain_batch);
  }};
  gate hold;
  // relaxed: both are written and read on the one worker thread; the test
  // thread reads them only after eventually() saw the final values
  std::atomic<int> handled{0};
  std::atomic<int> seen{-1};
  auto busy = sluice::spawn(
    fx.sys(), sluice::mailbox::block(static_cast<std::size_t>(n) + 8),
    [&](sluice::actor*) -> caf::behavior {
      return {[&](int x) {
        if (x == 0)
          hold.wait(); // the only worker is here while the rest is queued
        handled.fetch_add(1, std::memory_order_relaxed);
      }};
    });
  auto other = fx.sys().spawn([&](caf::event_based_actor*) -> caf::behavior {
    return {[&](int) {
      seen.store(handled.load(std::memory_order_relaxed),
                 std::memory_order_relaxed);
    }};
  });
  caf::anon_send(busy, 0);
  EXPECT_TRUE(hold.wait_entered());
  for (int i = 1; i < n; ++i)
    caf::anon_send(busy, i); // never full: all queued on the ordinary lane
  caf::anon_send(other, 0);  // scheduled behind the busy actor
  hold.open();
  EXPECT_TRUE(eventually([&] { return seen.load() >= 0; }));
  EXPECT_TRUE(eventually([&] { return handled.load() == n; }));
  caf::anon_send_exit(busy, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(other, caf::exit_reason::user_shutdown);
  return seen.load();
}

TEST(scheduling, a_busy_sluice_actor_yields_the_worker_after_max_throughput) {
  // CAF's own rule for a plain actor: at most max-throughput messages per
  // turn on the worker. Counting drain passes instead would let the busy
  // actor run 10 x 64 (or all 2000) messages first.
  for (std::size_t batch : {64u, 1024u}) {
    auto before = handled_before_the_other_actor_ran(10, batch, 2000);
    EXPECT_GE(before, 1) << "drain-batch " << batch;
    EXPECT_LE(before, 10) << "drain-batch " << batch;
  }
}

TEST(scheduling,
     unlimited_throughput_keeps_the_worker_until_the_lane_is_empty) {
  // CAF's default max-throughput is unlimited: like a plain actor, the busy
  // actor handles everything queued before it gives the worker up, however
  // small its drain batch.
  EXPECT_EQ(handled_before_the_other_actor_ran(0, 16, 2000), 2000);
}

} // namespace
