// Compiles and links against an installed sluice: the umbrella header and
// the library must be usable through find_package(sluice) alone.
#include <sluice.hpp>

#include <iostream>

int main() {
  auto m = sluice::mailbox::drop_oldest(8).named("consumer");
  auto name = sluice::to_string(*m.policy());
  std::cout << "sluice consumer: " << m.name() << " uses " << name << '\n';
  return name == "drop-oldest" ? 0 : 1;
}
