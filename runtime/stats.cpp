#include "runtime/stats.hpp"

#include <sstream>

namespace sluice {

mailbox_stats snapshot(const core::counters& c) {
  mailbox_stats s;
  s.capacity = c.capacity.get();
  s.policy = static_cast<sluice::policy>(c.policy_code.get());
  s.depth = c.depth.get();
  s.held = c.held.get();
  s.high_watermark = c.high_watermark.get();
  s.attempted = c.attempted.get();
  s.accepted = c.accepted.get();
  s.delivered = c.dequeued.get();
  s.evicted = c.evicted.get();
  s.dropped_newest = c.dropped_newest.get();
  s.would_block = c.would_block.get();
  s.timed_out = c.timed_out.get();
  s.no_credit = c.no_credit.get();
  s.closed = c.closed.get();
  s.dead_lettered = c.dead_lettered.get();
  s.discarded_on_exit = c.discarded_on_exit.get();
  s.held_discarded = c.held_discarded.get();
  s.overcommitted = c.overcommitted.get();
  s.self_overcapacity = c.self_overcapacity.get();
  s.parked_total = c.parked_total.get();
  s.parked_now = c.parked_now.get();
  s.blocked_total = c.blocked_total.get();
  s.blocked_now = c.blocked_now.get();
  s.blocked_ns = c.blocked_ns.get();
  s.credit_leased = c.credit_leased.get();
  s.credit_granted = c.credit_granted.get();
  s.leases_waiting = c.leases_waiting.get();
  s.handler_entries = c.handler_entries.get();
  s.handler_exits = c.handler_exits.get();
  s.suspended_ns = c.suspended_ns.get();
  s.suspended_now = c.suspended_now.get() != 0;
  s.oldest_enq_ns = c.oldest_arrival_ns();
  return s;
}

std::string to_string(const mailbox_stats& x) {
  std::ostringstream out;
  out << (x.name.empty() ? "<unnamed>" : x.name)
      << ": policy=" << to_string(x.policy) << " capacity=" << x.capacity
      << " depth=" << x.depth << " hwm=" << x.high_watermark
      << " attempted=" << x.attempted << " accepted=" << x.accepted
      << " delivered=" << x.delivered << " evicted=" << x.evicted
      << " dropped_newest=" << x.dropped_newest
      << " would_block=" << x.would_block << " timed_out=" << x.timed_out
      << " no_credit=" << x.no_credit << " closed=" << x.closed
      << " dead_lettered=" << x.dead_lettered
      << " discarded_on_exit=" << x.discarded_on_exit
      << " overcommitted=" << x.overcommitted << " parked_now=" << x.parked_now
      << " blocked_now=" << x.blocked_now
      << " blocked_ms=" << x.blocked_ns / 1000000
      << " credit_leased=" << x.credit_leased
      << " credit_granted=" << x.credit_granted
      << " suspended_ms=" << x.suspended_ns / 1000000;
  return out.str();
}

} // namespace sluice
