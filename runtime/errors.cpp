#include "runtime/errors.hpp"

namespace sluice {

std::string to_string(sec x) {
  switch (x) {
    case sec::none:
      return "none";
    case sec::mailbox_full:
      return "mailbox_full";
    case sec::mailbox_closed:
      return "mailbox_closed";
    case sec::would_block:
      return "would_block";
    case sec::timed_out:
      return "timed_out";
    case sec::no_credit:
      return "no_credit";
    case sec::dead_lettered:
      return "dead_lettered";
    case sec::shed:
      return "shed";
  }
  return "invalid_sluice_sec";
}

caf::error make_error(sec x) {
  return caf::error{static_cast<std::uint8_t>(x), error_category};
}

} // namespace sluice
