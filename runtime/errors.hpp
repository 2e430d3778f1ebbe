// sluice::sec — error codes sluice puts into CAF errors (category "sluice"),
// for example the error response a request gets when a drop policy refuses
// or evicts it. `make_error(sluice::sec)` works like CAF's own `sec`.
#pragma once

#include <cstdint>
#include <string>

#include <caf/atom.hpp>
#include <caf/error.hpp>

namespace sluice {

enum class sec : std::uint8_t {
  none = 0,
  mailbox_full,   ///< drop-newest refused, or drop-oldest evicted, a request
  mailbox_closed, ///< (unused: a request lost because the receiver
                  ///< terminated gets CAF's sec::request_receiver_down,
                  ///< as it would from any dead CAF actor)
  would_block,    ///< the sender's park limit at the receiver was reached
  timed_out,      ///< a blocked thread's timeout expired
  no_credit,      ///< a request sent through an endpoint without credit
  dead_lettered,  ///< an unmanaged sender exceeded the overcommit allowance
  shed,           ///< refused while waiting, by a policy change (load shed)
};

std::string to_string(sec x);

/// The CAF error category atom of sluice errors.
constexpr caf::atom_value error_category = caf::atom("sluice");

caf::error make_error(sec x);

} // namespace sluice
