// Compiles, links and runs against an installed sluice: the umbrella header
// and the library must be usable through find_package(sluice) alone.
#include <sluice.hpp>

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

int main() {
  sluice::config cfg;
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  sluice::runtime rt{sys};
  std::atomic<int> sum{0};
  auto a = sluice::spawn(sys, sluice::mailbox::drop_oldest(8).named("consumer"),
                         [&](sluice::actor*) -> caf::behavior {
                           return {[&](int x) { sum += x; }};
                         });
  int taken = 0;
  for (int i = 1; i <= 3; ++i)
    if (sluice::send(sluice::this_thread, a, i).taken())
      ++taken;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (sum.load() != 6 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto st = sluice::stats(a);
  std::cout << "sluice consumer: " << (st ? to_string(*st) : "no stats")
            << '\n';
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  return taken == 3 && sum.load() == 6 ? 0 : 1;
}
