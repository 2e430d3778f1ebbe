// sluice::core::counters — per-mailbox counters and gauges.
//
// Contract: written by the mailbox core (under its mutex), by lock-free
// senders (the fast path: the admission word, the inbox's arrival time) and by
// the owning actor's thread (handler sequence counters); read by
// anyone without a lock (stats, the stall supervisor). Plain counters and
// gauges are read with a relaxed load: each is an independent monotonic
// counter or gauge, and a snapshot is documented as "not atomic across
// fields". The values the admission gate derives (fast-path admissions, so
// attempted and accepted; the high watermark) use acquire loads, see
// admission_gate. A `counter` has
// serialized writers (mutex or single owner), so its increments are a relaxed
// load + relaxed store; a `shared_counter` has concurrent writers and uses
// relaxed RMWs.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>
#include <thread>

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

/// A counter or gauge written by threads that share no lock: the inbox's
/// arrival time, stamped by the lock-free sender that finds the inbox empty
/// and moved on by lock holders (add/sub stay RMWs for any future counter of
/// that kind).
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

private:
  std::atomic<std::uint64_t> value_{0};
};

class admission_gate;

/// A count kept in two parts: `own` (serialized writers: the core's mutex)
/// plus the fast-path admissions the admission gate derives (each fast-path
/// admission is one attempt and one acceptance).
class split_counter {
public:
  explicit split_counter(const admission_gate& gate) noexcept : gate_(gate) {}

  std::uint64_t get() const noexcept; // defined after admission_gate

  void add(std::uint64_t n = 1) noexcept {
    own_.add(n);
  }

  void sub(std::uint64_t n = 1) noexcept {
    own_.sub(n);
  }

private:
  counter own_;
  const admission_gate& gate_;
};

/// The admission word of a mailbox: its depth (low 32 bits: queued, in the
/// lock-free inbox, in hand and held messages) and the fast-path limit (high
/// 32 bits; 0 closes the fast path). Both halves live in one atomic so a
/// sender's compare-and-swap checks the limit and reserves a slot at once:
/// once the core lowers the limit (a waiter appeared, the mailbox closed),
/// no fast-path reservation can succeed against the old limit.
///
/// The fast path does nothing else: one CAS per message. What monitoring
/// needs from it is derived by the lock holders, who make every other change
/// to the word (all serialized by the core's mutex):
/// - fast_total(): fast-path admissions = count + (lock holders'
///   decrements - their increments), kept in net_. A reader pairs count and
///   net_ through a sequence lock (seq_ is odd for the whole of a lock
///   holder's change to them); fast senders change only the count, which is
///   what the formula expects.
/// - high_watermark(): the count only grows between two decrements, so its
///   maximum is the larger of its current value and the value just before
///   each decrement, which the decrementing CAS records in hwm_ first.
///
/// Invariant both rely on: every write to the word is an RMW (no plain
/// store, not even in reset()), so any value a reader loads lies in the
/// release sequence of the last lock holder's release RMW before it.
/// Without fences (ThreadSanitizer does not model them): a lock holder's
/// changes to the word and net_ are release operations, so a reader whose
/// acquire load sees one of them also sees that change's odd seq_ when it
/// reloads seq_, and retries.
///
/// Fast senders and start_one() use relaxed RMWs and stores: the word orders
/// only itself (all RMWs on one atomic are totally ordered) and no data is
/// published through it (the inbox and the core's mutex publish messages).
/// The orders on the lock holders' side serve the two derived readings.
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

  /// Messages admitted by try_fast() so far (exact; any thread, no lock).
  /// Retries while a lock holder is inside a change (a few instructions);
  /// yields after a while in case that lock holder was preempted there.
  std::uint64_t fast_total() const noexcept {
    for (unsigned spins = 0;; ++spins) {
      // acquire: if this reads a writer's closing store, its changes to the
      // word and net_ are visible to the loads below
      auto s1 = seq_.load(std::memory_order_acquire);
      if ((s1 & 1) == 0) {
        // acquire (both): if either load sees a change of a later write
        // section (a release RMW or store, or a fast sender's RMW in its
        // release sequence), that section's odd seq_ is visible below
        auto w = word_.load(std::memory_order_acquire);
        auto k = net_.load(std::memory_order_acquire);
        // relaxed: ordered after the two acquire loads above
        if (seq_.load(std::memory_order_relaxed) == s1)
          return (w & count_mask) + k;
      }
      if (spins < 64)
        pause();
      else
        std::this_thread::yield();
    }
  }

  /// The highest count the word ever held (any thread, no lock). Like the
  /// fast path's own view of depth, the count includes slots released by
  /// start_one() that no lock holder applied yet.
  std::uint64_t high_watermark() const noexcept {
    // acquire: pairs with the release CAS in decrement() and reset(); seeing
    // a count after a decrement makes the hwm_ recorded before it visible
    auto count = word_.load(std::memory_order_acquire) & count_mask;
    // relaxed: ordered by the acquire load above
    auto h = hwm_.load(std::memory_order_relaxed);
    return count > h ? count : h;
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
    write_begin();
    decrement(r - a);
    write_end();
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
    write_begin();
    bool ok = false;
    // relaxed load: single lock holder; release CAS: a change in a write
    // section (see fast_total())
    auto w = word_.load(std::memory_order_relaxed);
    while ((w & count_mask) < bound)
      if (word_.compare_exchange_weak(w, w + 1, std::memory_order_release,
                                      std::memory_order_relaxed)) {
        ok = true;
        add_net(~std::uint64_t{0}); // -1: a lock holder's increment
        break;
      }
    write_end();
    return ok;
  }

  /// Unconditional (admissions over capacity, held messages); applies
  /// released slots first so the count is not inflated by them.
  void add(std::uint64_t n = 1) noexcept {
    sync();
    write_begin();
    // release: a change in a write section (see fast_total())
    word_.fetch_add(n, std::memory_order_release);
    add_net(0 - n);
    write_end();
  }

  /// @pre depth >= n
  void sub(std::uint64_t n = 1) noexcept {
    if (n == 0)
      return; // no RMW on the senders' line for nothing
    write_begin();
    decrement(n);
    write_end();
  }

  /// Publishes a new fast-path limit, keeping the depth (and so what the
  /// readers derive from it: no write section).
  void set_limit(std::uint64_t limit) noexcept {
    // relaxed: the limit half orders nothing but itself
    auto w = word_.load(std::memory_order_relaxed);
    while (!word_.compare_exchange_weak(w, (limit << 32) | (w & count_mask),
                                        std::memory_order_relaxed,
                                        std::memory_order_relaxed)) {
    }
  }

  /// Depth 0, fast path closed (the mailbox closed). The caller guarantees
  /// no concurrent decrement (the consumer is the closer or gone); senders
  /// can no longer reserve against limit 0.
  void reset() noexcept {
    write_begin();
    // relaxed: the release CAS below publishes (a CAS, not a store: see the
    // class comment)
    auto w = word_.load(std::memory_order_relaxed);
    for (;;) {
      raise_hwm(w & count_mask);
      // release: see decrement()
      if (word_.compare_exchange_weak(w, 0, std::memory_order_release,
                                      std::memory_order_relaxed))
        break;
    }
    add_net(w & count_mask);
    write_end();
    // relaxed: serialized writers (lock holders)
    applied_.store(released_.load(std::memory_order_relaxed),
                   std::memory_order_relaxed);
  }

private:
  static void pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }

  /// Opens a write section (lock holders only): readers of fast_total()
  /// retry until write_end().
  void write_begin() noexcept {
    // relaxed load and store: single writer at a time (the core's mutex);
    // the section's changes are release operations sequenced after this
    // store, which orders it before them for any reader that sees one
    auto s = seq_.load(std::memory_order_relaxed);
    seq_.store(s + 1, std::memory_order_relaxed);
  }

  void write_end() noexcept {
    // release: a reader that loads the even value sees the changes
    seq_.store(seq_.load(std::memory_order_relaxed) + 1,
               std::memory_order_release);
  }

  void add_net(std::uint64_t d) noexcept {
    // relaxed load: single writer; release store: a change in a write
    // section (see fast_total())
    net_.store(net_.load(std::memory_order_relaxed) + d,
               std::memory_order_release);
  }

  void raise_hwm(std::uint64_t c) noexcept {
    // relaxed: single writer (lock holders); published by the CAS after it
    if (c > hwm_.load(std::memory_order_relaxed))
      hwm_.store(c, std::memory_order_relaxed);
  }

  /// Subtracts n from the count (write section held), recording the count
  /// it replaces in hwm_ first.
  void decrement(std::uint64_t n) noexcept {
    // relaxed: the CAS below publishes
    auto w = word_.load(std::memory_order_relaxed);
    for (;;) {
      raise_hwm(w & count_mask);
      // release: a reader that sees this count (or a later one) also sees
      // hwm_ holding the count it replaced
      if (word_.compare_exchange_weak(w, w - n, std::memory_order_release,
                                      std::memory_order_relaxed))
        break;
    }
    add_net(n);
  }

  std::atomic<std::uint64_t> word_{0};
  // lock holders only: read by monitoring, never by senders
  std::atomic<std::uint64_t> net_{0}; // decrements - lock holders' increments
  std::atomic<std::uint64_t> seq_{0}; // odd during a lock holder's change
  std::atomic<std::uint64_t> hwm_{0}; // highest count before a decrement
  // the consumer's own line: written once per message by the consumer only
  alignas(64) std::atomic<std::uint64_t> released_{0};
  std::atomic<std::uint64_t> applied_{0}; // lock holders only
};

inline std::uint64_t split_counter::get() const noexcept {
  // unsigned arithmetic: own_ may be "negative" (sub) without harm
  return own_.get() + gate_.fast_total();
}

/// A read-only view of one derived value of the admission gate, readable
/// like the counters around it.
template <std::uint64_t (admission_gate::*F)() const noexcept>
class gate_view {
public:
  explicit gate_view(const admission_gate& gate) noexcept : gate_(gate) {}
  std::uint64_t get() const noexcept {
    return (gate_.*F)();
  }

private:
  const admission_gate& gate_;
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
  // coarse_now_ns() when the oldest message in the lock-free inbox arrived
  // (0 if it is empty); exact for a message that found the inbox empty, else
  // never later than the true arrival (see mailbox_core's inbox mark)
  alignas(64) shared_counter inbox_since_ns;

  // -- the admission word: depth and fast-path limit --------------------------
  alignas(64) admission_gate depth; // queued + in hand + held messages
  // fast-path admissions: each is one attempt and one acceptance
  gate_view<&admission_gate::fast_total> fast_admitted{depth};
  // highest depth seen; like the fast path's view of depth it counts slots
  // start_one() released that no lock holder applied yet (at most a drain
  // batch), so it may exceed the true peak by that much
  gate_view<&admission_gate::high_watermark> high_watermark{depth};

  // -- admission (counted by the core under its mutex) -----------------------
  // every ordinary message offered
  alignas(64) split_counter attempted{depth};
  // entered the queue (incl. overcommit, evict)
  split_counter accepted{depth};
  counter dequeued;          // handed to the actor (delivered)
  counter evicted;           // drop-oldest: removed to make room
  counter dropped_newest;    // drop-newest (or shed) refused the arrival
  counter would_block;       // park limit reached
  counter timed_out;         // a blocked thread gave up
  counter no_credit;         // endpoint send without credit
  counter closed;            // the mailbox was closed (target died)
  counter dead_lettered;     // unmanaged sender beyond overcommit
  counter discarded_on_exit; // still queued when the actor terminated
  counter held_discarded;    // taken (held or in the batch), never handled
  counter overcommitted;     // unmanaged admitted over capacity
  counter self_overcapacity; // self-sends admitted over capacity
  counter parked_total;      // messages parked by sluice actor senders
  counter blocked_total;     // sends that blocked a managed thread
  counter blocked_ns;        // total time senders waited at this mailbox
  counter credit_granted;    // credits returned to endpoints

  // -- gauges ----------------------------------------------------------------
  alignas(64) counter capacity;
  counter policy_code;    // sluice::policy as an integer, set with capacity
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
