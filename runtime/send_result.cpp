#include "runtime/send_result.hpp"

#include <caf/deep_to_string.hpp>

namespace sluice {

std::string_view to_string(send_status x) noexcept {
  switch (x) {
    case send_status::accepted:
      return "accepted";
    case send_status::accepted_evicted:
      return "accepted_evicted";
    case send_status::parked:
      return "parked";
    case send_status::dropped:
      return "dropped";
    case send_status::would_block:
      return "would_block";
    case send_status::timed_out:
      return "timed_out";
    case send_status::no_credit:
      return "no_credit";
    case send_status::closed:
      return "closed";
    case send_status::dead_lettered:
      return "dead_lettered";
  }
  return "invalid_send_status";
}

std::string to_string(const send_result& x) {
  std::string str{to_string(x.status())};
  if (!x.message().empty())
    str += " (handed back: " + caf::deep_to_string(x.message()) + ")";
  return str;
}

} // namespace sluice
