// credit: signal-based flow control, like HTTP/2 windows. Never blocks, never
// loses.
//
// - Lost:     nothing. A sender holds an endpoint (sluice::connect) whose
//             window is leased from the receiver's capacity; each send spends
//             one credit; with none the send returns no_credit and hands the
//             message back. The receiver returns credit as it consumes
//             (automatic: after half a window) or when it says so (manual).
// - Who waits: nobody is suspended. A refused actor endpoint is told
//             `writable` on its control lane; a thread endpoint can wait.
//             Endpoints refused a lease queue FIFO for one.
// - Memory:   capacity + overcommit: queued + held messages + unspent credit
//             <= capacity (windows are leased against what is queued; a
//             skipped message keeps its credit until handled).
// - Plain CAF send (no endpoint): the unmanaged rule — admitted into capacity
//             not promised to endpoints, then within the overcommit
//             allowance, then dead-lettered.
#pragma once

#include "policies/reaction.hpp"
#include "runtime/mailbox.hpp"

namespace sluice::policies {

struct credit {
  static constexpr sluice::policy kind = sluice::policy::credit;

  // -- interface required by mailbox_core -------------------------------------

  static constexpr bool no_barging = false;

  static constexpr reaction on_full(sender_kind who) noexcept {
    switch (who) {
      case sender_kind::self:
        return reaction::admit_over;
      case sender_kind::endpoint:
        return reaction::no_credit;
      case sender_kind::actor:
      case sender_kind::thread:
      case sender_kind::unmanaged:
        return reaction::overcommit;
    }
    return reaction::overcommit;
  }
};

} // namespace sluice::policies
