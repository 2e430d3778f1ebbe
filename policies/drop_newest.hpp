// drop-newest: never blocks; a full mailbox refuses the arriving message.
//
// - Lost:     the arriving message when full: counted as dropped_newest,
//             reported to the dead-letter hook; a request gets the error
//             response sluice::sec::mailbox_full. Kept: the oldest messages.
// - Who waits: nobody.
// - Memory:   capacity.
// - Plain CAF send: treated like any other message.
#pragma once

#include "policies/reaction.hpp"
#include "runtime/mailbox.hpp"

namespace sluice::policies {

struct drop_newest {
  static constexpr sluice::policy kind = sluice::policy::drop_newest;

  // -- interface required by mailbox_core -------------------------------------

  static constexpr bool no_barging = false;

  static constexpr reaction on_full(sender_kind) noexcept {
    return reaction::refuse;
  }
};

} // namespace sluice::policies
