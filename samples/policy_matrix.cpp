// policy_matrix: the design note's table of backpressure models, measured.
//
//   policy_matrix [--messages=N] [--capacity=N] [--sink-delay-us=N]
//                 [--policies=block,drop-newest,drop-oldest,credit]
//                 [--format=text|json] [--sluice.*=...]
//
// Runs source -> stage -> sink once per policy with identical load and
// prints whether each policy lost messages, stalled the sender and stalled
// the stage (cascade), with the numbers behind every cell.
#include <iostream>

#include "samples/policy_matrix.hpp"

namespace {

class matrix_config : public sluice::config {
public:
  std::size_t messages = 20000;
  std::size_t capacity = 64;
  std::size_t sink_delay_us = 50;
  std::string policies = "block,drop-newest,drop-oldest,credit";
  std::string format = "text";

  matrix_config() {
    opt_group{custom_options_, "global"}
      .add(messages, "messages", "messages the source sends per policy")
      .add(capacity, "capacity", "capacity of the stage and sink mailboxes")
      .add(sink_delay_us, "sink-delay-us", "sink work per message (us)")
      .add(policies, "policies", "comma-separated policies to run")
      .add(format, "format", "text or json");
  }
};

} // namespace

int main(int argc, char** argv) {
  matrix_config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::cerr << "policy_matrix: " << cfg.render(err) << "\n";
    return 1;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  policy_matrix::params ps;
  try {
    if (cfg.messages == 0)
      throw std::invalid_argument("--messages: must be at least 1, got 0");
    if (cfg.capacity == 0)
      throw std::invalid_argument("--capacity: must be at least 1, got 0");
    if (cfg.format != "text" && cfg.format != "json")
      throw std::invalid_argument("--format: expected text or json, got '"
                                  + cfg.format + "'");
    ps.messages = cfg.messages;
    ps.capacity = cfg.capacity;
    ps.sink_delay_us = cfg.sink_delay_us;
    ps.policies = policy_matrix::parse_policies(cfg.policies);
  } catch (const std::exception& e) {
    std::cerr << "policy_matrix: " << e.what() << "\n";
    return 1;
  }
  cfg.set("logger.verbosity", caf::atom("quiet"));
  try {
    caf::actor_system sys{cfg};
    sluice::runtime rt{sys};
    auto rs = policy_matrix::run_all(sys, ps);
    if (cfg.format == "json")
      std::cout << policy_matrix::to_json(rs);
    else
      std::cout << policy_matrix::to_text(rs, ps);
  } catch (const std::exception& e) {
    std::cerr << "policy_matrix: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
