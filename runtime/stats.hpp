// sluice::mailbox_stats — a snapshot of one mailbox's counters.
//
// Each field is read with a relaxed load: the snapshot is not atomic across
// fields (a message may show as accepted but not yet queued). At quiescence
// the accounting identities hold exactly:
//   attempted = accepted + refused() + waiting()
//   accepted  = delivered + evicted + discarded_on_exit + queued()
// CAF-free.
#pragma once

#include <cstdint>
#include <string>

#include "runtime/core/counters.hpp"
#include "runtime/mailbox.hpp"

namespace sluice {

struct mailbox_stats {
  std::string name;
  sluice::policy policy = sluice::policy::block;
  std::uint64_t capacity = 0;
  std::uint64_t depth = 0; ///< queued + held
  std::uint64_t held = 0;  ///< skipped messages kept by the actor
  std::uint64_t high_watermark = 0;
  std::uint64_t attempted = 0;
  std::uint64_t accepted = 0;
  std::uint64_t delivered = 0; ///< handed to the actor (dequeued)
  std::uint64_t evicted = 0;
  std::uint64_t dropped_newest = 0;
  std::uint64_t would_block = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t no_credit = 0;
  std::uint64_t closed = 0;
  std::uint64_t dead_lettered = 0;
  std::uint64_t discarded_on_exit = 0;
  /// handed to the actor (skipped, or left in its drain batch) but never
  /// handled: it exited first
  std::uint64_t held_discarded = 0;
  std::uint64_t overcommitted = 0;
  std::uint64_t self_overcapacity = 0;
  std::uint64_t parked_total = 0;
  std::uint64_t parked_now = 0;
  std::uint64_t blocked_total = 0;
  std::uint64_t blocked_now = 0;
  std::uint64_t blocked_ns = 0; ///< total time senders waited here
  std::uint64_t credit_leased = 0;
  std::uint64_t credit_granted = 0;
  std::uint64_t leases_waiting = 0;
  std::uint64_t control_depth = 0; ///< control-lane estimate
  std::uint64_t handler_entries = 0;
  std::uint64_t handler_exits = 0;
  std::uint64_t suspended_ns = 0; ///< this actor suspended as a sender
  bool suspended_now = false;
  /// When the oldest waiting message arrived (steady clock, coarse ns; 0 if
  /// none waits). Never later than its true arrival; may be earlier by up
  /// to the time the consumer last took to catch up with its mark (see
  /// docs/architecture.md).
  std::uint64_t oldest_enq_ns = 0;

  /// Messages the mailbox did not take.
  std::uint64_t refused() const noexcept {
    return dropped_newest + would_block + timed_out + no_credit + closed
           + dead_lettered;
  }

  /// Messages taken but lost: refused by policy, evicted, discarded at exit.
  std::uint64_t lost() const noexcept {
    return dropped_newest + evicted + dead_lettered + discarded_on_exit
           + held_discarded;
  }

  /// Messages whose sender still waits (parked or blocked).
  std::uint64_t waiting() const noexcept {
    return parked_now + blocked_now;
  }

  /// Messages in the queue proper (excludes held).
  std::uint64_t queued() const noexcept {
    return depth - held;
  }
};

/// Reads `c` (relaxed loads, see counters.hpp).
mailbox_stats snapshot(const core::counters& c);

/// One line, `key=value` pairs.
std::string to_string(const mailbox_stats& x);

} // namespace sluice
