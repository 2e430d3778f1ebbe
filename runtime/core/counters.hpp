// sluice::core::counters — per-mailbox counters and gauges.
//
// Contract: written by the mailbox core (under its mutex) and by the owning
// actor's thread (handler sequence counters); read by anyone without a lock
// (stats, the stall supervisor). Every read is a relaxed load: each value is
// an independent monotonic counter or gauge, and a snapshot is documented as
// "not atomic across fields". Writers are serialized (mutex or single owner),
// so increments are a relaxed load + relaxed store, never a contended RMW.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

namespace sluice::core {

/// A counter with a single writer at a time and any number of readers.
class counter {
public:
  std::uint64_t get() const noexcept {
    // relaxed: a reader wants a recent value, not an ordering with other data
    return value_.load(std::memory_order_relaxed);
  }

  void add(std::uint64_t n = 1) noexcept {
    // relaxed load + store: writers are serialized by the caller (the core's
    // mutex or the owning actor's thread), so no increment can be lost.
    value_.store(value_.load(std::memory_order_relaxed) + n,
                 std::memory_order_relaxed);
  }

  void sub(std::uint64_t n = 1) noexcept {
    // relaxed: same single-writer rule as add()
    value_.store(value_.load(std::memory_order_relaxed) - n,
                 std::memory_order_relaxed);
  }

  void set(std::uint64_t n) noexcept {
    // relaxed: gauges are published for monitoring only
    value_.store(n, std::memory_order_relaxed);
  }

private:
  std::atomic<std::uint64_t> value_{0};
};

static_assert(std::atomic<std::uint64_t>::is_always_lock_free,
              "counters must be readable by the supervisor without locks");

/// Monotonic nanoseconds for per-message timestamps: CLOCK_MONOTONIC_COARSE
/// where available (about 7 ns a read, resolution of a few ms: plenty for a
/// supervisor sampling every 50 ms; steady_clock::now() costs about 27 ns
/// here, most of an uncontended push). Same epoch as steady_clock on Linux.
inline std::int64_t coarse_now_ns() noexcept {
#if defined(CLOCK_MONOTONIC_COARSE)
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
#else
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           std::chrono::steady_clock::now().time_since_epoch())
    .count();
#endif
}

/// All counters of one mailbox. Field names match stats fields. The groups
/// written by different threads sit on separate cache lines.
struct counters {
  // -- admission (all counted by the core under its mutex) -------------------
  alignas(64) counter attempted; // every ordinary message offered
  counter accepted;              // entered the queue (incl. overcommit, evict)
  counter dequeued;              // handed to the actor (delivered)
  counter evicted;               // drop-oldest: removed to make room
  counter dropped_newest;        // drop-newest (or shed) refused the arrival
  counter would_block;           // park limit reached
  counter timed_out;             // a blocked thread gave up
  counter no_credit;             // endpoint send without credit
  counter closed;                // the mailbox was closed (target died)
  counter dead_lettered;         // unmanaged sender beyond overcommit
  counter discarded_on_exit;     // still queued when the actor terminated
  counter held_discarded;        // skipped (held) and never handled at exit
  counter overcommitted;         // unmanaged admitted over capacity
  counter self_overcapacity;     // self-sends admitted over capacity
  counter parked_total;          // messages parked by sluice actor senders
  counter blocked_total;         // sends that blocked a managed thread
  counter blocked_ns;            // total time senders waited at this mailbox
  counter credit_granted;        // credits returned to endpoints
  counter high_watermark;        // highest depth seen

  // -- gauges ----------------------------------------------------------------
  alignas(64) counter capacity;
  counter depth;          // queued + held (skipped) messages
  counter held;           // skipped messages kept by the actor
  counter parked_now;     // messages parked here right now
  counter blocked_now;    // threads blocked here right now
  counter credit_leased;  // capacity promised to endpoint leases
  counter leases_waiting; // endpoints refused a lease, in FIFO
  // coarse_now_ns() when the oldest queued message arrived, 0 if none
  counter oldest_enq_ns;

  // -- the owning actor (single writer: the actor's thread) ------------------
  alignas(64) counter
    handler_entries;       // ordinary messages whose handler started
  counter handler_exits;   // ... and returned (or threw)
  counter control_handled; // control-lane messages consumed
  counter drains;          // drain passes
  counter suspended_ns;    // time this actor spent suspended as a sender
  counter suspended_now;   // 1 while suspended (parked messages outstanding)
};

} // namespace sluice::core
