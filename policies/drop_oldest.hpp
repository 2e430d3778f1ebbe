// drop-oldest: never blocks; a full mailbox evicts its oldest queued message
// and admits the arriving one.
//
// - Lost:     the oldest queued ordinary message when full: counted as
//             evicted, reported to the dead-letter hook; an evicted request
//             gets sluice::sec::mailbox_full. Delivered: always the newest.
//             Eviction works while the consumer is stuck in a long handler
//             (the message being handled is no longer queued). Messages
//             the actor skipped (held) are not evictable: with only held
//             messages counted, the arrival is refused (dropped_newest).
// - Who waits: nobody.
// - Memory:   capacity.
// - Plain CAF send: treated like any other message.
#pragma once

#include "policies/reaction.hpp"
#include "runtime/mailbox.hpp"

namespace sluice::policies {

struct drop_oldest {
  static constexpr sluice::policy kind = sluice::policy::drop_oldest;

  // -- interface required by mailbox_core -------------------------------------

  static constexpr bool no_barging = false;

  static constexpr reaction on_full(sender_kind) noexcept {
    return reaction::evict;
  }
};

} // namespace sluice::policies
