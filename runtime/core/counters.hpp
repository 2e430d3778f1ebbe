// sluice::core::counters — per-mailbox counters and gauges.
//
// Contract: written by the mailbox core (under its mutex), by lock-free
// senders (the fast path: attempted, accepted, high watermark, the admission
// word) and by the owning actor's thread (handler sequence counters); read by
// anyone without a lock (stats, the stall supervisor). Every read is a
// relaxed load: each value is an independent monotonic counter or gauge, and
// a snapshot is documented as "not atomic across fields". A `counter` has
// serialized writers (mutex or single owner), so its increments are a relaxed
// load + relaxed store; a `shared_counter` has concurrent writers and uses
// relaxed RMWs.
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

/// A counter that lock-free senders add to concurrently (attempted and
/// accepted: the fast path admits without the core's mutex).
class shared_counter {
public:
  std::uint64_t get() const noexcept {
    // relaxed: a monotonic count read for monitoring
    return value_.load(std::memory_order_relaxed);
  }

  void add(std::uint64_t n = 1) noexcept {
    // relaxed RMW: concurrent writers must not lose increments; nothing is
    // published through this value
    value_.fetch_add(n, std::memory_order_relaxed);
  }

  void sub(std::uint64_t n = 1) noexcept {
    // relaxed RMW: see add()
    value_.fetch_sub(n, std::memory_order_relaxed);
  }

  void set(std::uint64_t n) noexcept {
    // relaxed: gauges are published for monitoring only
    value_.store(n, std::memory_order_relaxed);
  }

  /// Raises the value to at least `n` (a high watermark with many writers).
  void raise_to(std::uint64_t n) noexcept {
    // relaxed: a monotonic maximum; the CAS only retries while n is higher
    auto cur = value_.load(std::memory_order_relaxed);
    while (n > cur
           && !value_.compare_exchange_weak(cur, n, std::memory_order_relaxed,
                                            std::memory_order_relaxed)) {
    }
  }

private:
  std::atomic<std::uint64_t> value_{0};
};

/// A count kept in two parts: `own` (serialized writers: the core's mutex)
/// plus a shared part that lock-free senders add to (the fast path counts an
/// attempt and an acceptance with one RMW on one shared counter).
class split_counter {
public:
  explicit split_counter(const shared_counter& shared) noexcept
    : shared_(shared) {}

  std::uint64_t get() const noexcept {
    // unsigned arithmetic: own_ may be "negative" (sub) without harm
    return own_.get() + shared_.get();
  }

  void add(std::uint64_t n = 1) noexcept {
    own_.add(n);
  }

  void sub(std::uint64_t n = 1) noexcept {
    own_.sub(n);
  }

private:
  counter own_;
  const shared_counter& shared_;
};

/// The admission word of a mailbox: its depth (low 32 bits: queued, in the
/// lock-free inbox, in hand and held messages) and the fast-path limit (high
/// 32 bits; 0 closes the fast path). Both halves live in one atomic so a
/// sender's compare-and-swap checks the limit and reserves a slot at once:
/// once the core lowers the limit (a waiter appeared, the mailbox closed),
/// no fast-path reservation can succeed against the old limit.
///
/// Every operation is relaxed: the word orders only itself (all RMWs on one
/// atomic are totally ordered), and no data is published through it (the
/// inbox and the core's mutex publish the messages).
class admission_gate {
public:
  static constexpr std::uint64_t count_mask = 0xffffffffu;
  static constexpr std::uint64_t max_limit = count_mask;

  /// The depth (what `counters::depth.get()` reports): the word's count
  /// minus slots the consumer released and no lock holder applied yet.
  std::uint64_t get() const noexcept {
    // relaxed: a monitoring value; the three loads are not one snapshot, so
    // clamp a transiently inconsistent difference at 0
    auto count = word_.load(std::memory_order_relaxed) & count_mask;
    auto pending = released_.load(std::memory_order_relaxed)
                   - applied_.load(std::memory_order_relaxed);
    return pending < count ? count - pending : 0;
  }

  /// Consumer (single writer), lock-free: one slot is free (a message's
  /// handler starts). Only recorded here; the next lock holder applies it to
  /// the word (sync), so the consumer does not write the word that senders
  /// CAS once per message. The fast path meanwhile sees a depth that is too
  /// high at worst: it falls back to the slow path, which syncs first.
  void release_one() noexcept {
    // relaxed load + store: single writer; relaxed publication is enough,
    // a lock holder reading a stale value only applies fewer slots
    released_.store(released_.load(std::memory_order_relaxed) + 1,
                    std::memory_order_relaxed);
  }

  /// Lock holders only (serialized): applies released slots to the word.
  void sync() noexcept {
    // relaxed: see release_one(); applied_ has serialized writers
    auto r = released_.load(std::memory_order_relaxed);
    auto a = applied_.load(std::memory_order_relaxed);
    if (r == a)
      return;
    word_.fetch_sub(r - a, std::memory_order_relaxed);
    applied_.store(r, std::memory_order_relaxed);
  }

  std::uint64_t limit() const noexcept {
    return word_.load(std::memory_order_relaxed) >> 32;
  }

  /// Fast path: reserves one slot if depth < the published limit.
  /// @returns the new depth, or 0 if the caller must take the slow path.
  std::uint64_t try_fast() noexcept {
    auto w = word_.load(std::memory_order_relaxed);
    while ((w & count_mask) < (w >> 32))
      if (word_.compare_exchange_weak(w, w + 1, std::memory_order_relaxed,
                                      std::memory_order_relaxed))
        return (w & count_mask) + 1;
    return 0;
  }

  /// Reserves one slot if depth < `bound` (the core, under its mutex; races
  /// only with fast-path reservations and consumer releases).
  bool try_reserve(std::uint64_t bound) noexcept {
    sync();
    auto w = word_.load(std::memory_order_relaxed);
    while ((w & count_mask) < bound)
      if (word_.compare_exchange_weak(w, w + 1, std::memory_order_relaxed,
                                      std::memory_order_relaxed))
        return true;
    return false;
  }

  /// Unconditional (admissions over capacity, held messages).
  void add(std::uint64_t n = 1) noexcept {
    word_.fetch_add(n, std::memory_order_relaxed);
  }

  /// @pre depth >= n
  void sub(std::uint64_t n = 1) noexcept {
    word_.fetch_sub(n, std::memory_order_relaxed);
  }

  /// Publishes a new fast-path limit, keeping the depth.
  void set_limit(std::uint64_t limit) noexcept {
    auto w = word_.load(std::memory_order_relaxed);
    while (!word_.compare_exchange_weak(w, (limit << 32) | (w & count_mask),
                                        std::memory_order_relaxed,
                                        std::memory_order_relaxed)) {
    }
  }

  /// Depth 0, fast path closed (the mailbox closed). A plain store: the
  /// caller guarantees no concurrent decrement (the consumer is the closer
  /// or gone) and no reservation can succeed against limit 0.
  void reset() noexcept {
    word_.store(0, std::memory_order_relaxed);
    applied_.store(released_.load(std::memory_order_relaxed),
                   std::memory_order_relaxed);
  }

private:
  std::atomic<std::uint64_t> word_{0};
  // the consumer's own line: written once per message by the consumer only
  alignas(64) std::atomic<std::uint64_t> released_{0};
  std::atomic<std::uint64_t> applied_{0}; // lock holders only
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
  // -- written by lock-free senders too --------------------------------------
  // fast-path admissions: each is one attempt and one acceptance
  alignas(64) shared_counter fast_admitted;
  shared_counter high_watermark; // highest depth seen
  // coarse_now_ns() when the oldest message in the lock-free inbox arrived
  // (0 if it is empty); exact for a message that found the inbox empty, else
  // never later than the true arrival (see mailbox_core's inbox mark)
  shared_counter inbox_since_ns;

  // -- the admission word: depth and fast-path limit --------------------------
  alignas(64) admission_gate depth; // queued + in hand + held messages

  // -- admission (counted by the core under its mutex) -----------------------
  // every ordinary message offered
  alignas(64) split_counter attempted{fast_admitted};
  // entered the queue (incl. overcommit, evict)
  split_counter accepted{fast_admitted};
  counter dequeued;          // handed to the actor (delivered)
  counter evicted;           // drop-oldest: removed to make room
  counter dropped_newest;    // drop-newest (or shed) refused the arrival
  counter would_block;       // park limit reached
  counter timed_out;         // a blocked thread gave up
  counter no_credit;         // endpoint send without credit
  counter closed;            // the mailbox was closed (target died)
  counter dead_lettered;     // unmanaged sender beyond overcommit
  counter discarded_on_exit; // still queued when the actor terminated
  counter held_discarded;    // skipped (held) and never handled at exit
  counter overcommitted;     // unmanaged admitted over capacity
  counter self_overcapacity; // self-sends admitted over capacity
  counter parked_total;      // messages parked by sluice actor senders
  counter blocked_total;     // sends that blocked a managed thread
  counter blocked_ns;        // total time senders waited at this mailbox
  counter credit_granted;    // credits returned to endpoints

  // -- gauges ----------------------------------------------------------------
  alignas(64) counter capacity;
  counter held;           // skipped messages kept by the actor
  counter parked_now;     // messages parked here right now
  counter blocked_now;    // threads blocked here right now
  counter credit_leased;  // capacity promised to endpoint leases
  counter leases_waiting; // endpoints refused a lease, in FIFO
  // coarse_now_ns() when the oldest message in the locked queue arrived (0
  // if none); stats report the older of this and inbox_since_ns
  counter oldest_enq_ns;

  /// When the oldest waiting message arrived (coarse_now_ns()), 0 if none:
  /// the older of the locked queue's head and the lock-free inbox.
  std::uint64_t oldest_arrival_ns() const noexcept {
    auto q = oldest_enq_ns.get();
    auto in = inbox_since_ns.get();
    if (q == 0)
      return in;
    return in == 0 || q < in ? q : in;
  }

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
