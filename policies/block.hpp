// block: nothing is lost by the policy; a full mailbox makes the sender wait.
//
// - Lost:     nothing from managed senders. Unmanaged senders (plain CAF
//             actors, CAF threads, remote nodes) cannot wait: they are
//             admitted within the overcommit allowance, then dead-lettered.
// - Who waits: a sluice actor is parked (its message waits at the target and
//             it drains no ordinary messages until admitted; its thread is
//             free); a managed thread blocks up to block-timeout. Waiters are
//             admitted FIFO, ahead of new arrivals (no barging).
// - Memory:   capacity + overcommit + park-limit x parked senders
//             + one message per blocked thread (+ counted self-sends).
// - Plain CAF send from an unmanaged sender: overcommit, then dead letter.
#pragma once

#include "policies/reaction.hpp"
#include "runtime/mailbox.hpp"

namespace sluice::policies {

struct block {
  static constexpr sluice::policy kind = sluice::policy::block;

  // -- interface required by mailbox_core -------------------------------------

  /// New arrivals queue behind waiting senders.
  static constexpr bool no_barging = true;

  static constexpr reaction on_full(sender_kind who) noexcept {
    switch (who) {
      case sender_kind::self:
        return reaction::admit_over; // an actor must not deadlock on itself
      case sender_kind::actor:
        return reaction::park;
      case sender_kind::thread:
        return reaction::wait;
      case sender_kind::endpoint:  // endpoints only hold leases under credit
      case sender_kind::unmanaged: // cannot be suspended
        return reaction::overcommit;
    }
    return reaction::overcommit;
  }
};

} // namespace sluice::policies
