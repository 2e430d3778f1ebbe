// sluice::core::mailbox_core — the bounded ordinary lane of one mailbox.
//
// Contract
// - Any thread may offer(); exactly one consumer at a time (the owning actor)
//   calls pop() or pop_batch()/start_one(), hold()/unhold(), settle(),
//   finish_drain() and grant().
// - Fast path (lock-free): while the mailbox is open, not in credit mode,
//   has no waiters and its depth is below capacity, offer() reserves a slot
//   with one CAS on the admission word (counters.hpp: depth and fast-path
//   limit in one atomic) and appends the message to a lock-free FIFO inbox
//   (an intrusive list through the element's own link: one exchange, no
//   allocation). start_one() is lock-free too. Everything else takes the
//   mutex.
// - Slow path: one mutex guards the ring (slow-path admissions, with their
//   credit lease and arrival time), the waiter FIFO and the credit leases.
//   Consumers take from the ring first, then from the inbox. Every push into
//   the ring first moves the inbox into it (move_inbox_locked), so the ring
//   holds the older messages and the inbox the newer ones: global FIFO
//   order, and per-sender order, hold across both paths. Admissions within
//   capacity reserve their slot with a CAS bounded by capacity
//   (try_reserve), so the two paths together never exceed it; the core
//   lowers the fast-path limit to 0 before it queues a waiter (no barging)
//   or closes.
// - Critical sections are O(1) except moving the inbox into the ring
//   (O(messages moved)), lease detach and the waiter timeout path, which
//   scan short lists.
// - Counters are published through relaxed atomics (counters.hpp) and can be
//   read at any time without the mutex.
// - Ownership of elements: an accepted or parked element belongs to the core
//   until pop() returns it or close() hands it out; a refused element stays
//   with the caller ("handed back").
// - Never calls user code while holding the mutex: whatever must happen after
//   a state change (wake a parked sender, tell an endpoint it is writable) is
//   returned in `effects` for the caller to carry out.
// - CAF-free: T is any type; Parker is whatever identifies a parked sender
//   (CAF: a strong actor pointer; tests: an integer).
//
// When to use: this is the engine behind every sluice actor's mailbox; users
// do not touch it directly.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "policies/block.hpp"
#include "policies/credit.hpp"
#include "policies/drop_newest.hpp"
#include "policies/drop_oldest.hpp"
#include "runtime/core/counters.hpp"
#include "runtime/core/ring.hpp"
#include "runtime/mailbox.hpp"

namespace sluice::core {

/// What the core did with an offered message.
enum class admit : std::uint8_t {
  accepted,      ///< queued within capacity
  evicted,       ///< queued; the oldest queued message was evicted
  overcommitted, ///< queued over capacity within the overcommit allowance
  self_over,     ///< self-send queued over capacity
  parked,        ///< waiting in the FIFO; the outcome is reported later
  dropped,       ///< refused: mailbox full (drop-newest, or shed)
  would_block,   ///< refused: the sender's park limit is reached
  timed_out,     ///< refused: a blocked thread's timeout expired
  no_credit,     ///< refused: the endpoint has no credit
  closed,        ///< refused: the mailbox is closed
  dead_letter,   ///< refused: unmanaged sender beyond the overcommit allowance
  not_credit,    ///< offer_credit() on a mailbox not in credit mode
  park_needed,   ///< the sender must call park() (message handed back)
};

constexpr std::string_view to_string(admit x) noexcept {
  switch (x) {
    case admit::accepted:
      return "accepted";
    case admit::evicted:
      return "evicted";
    case admit::overcommitted:
      return "overcommitted";
    case admit::self_over:
      return "self-over";
    case admit::parked:
      return "parked";
    case admit::dropped:
      return "dropped";
    case admit::would_block:
      return "would-block";
    case admit::timed_out:
      return "timed-out";
    case admit::no_credit:
      return "no-credit";
    case admit::closed:
      return "closed";
    case admit::dead_letter:
      return "dead-letter";
    case admit::not_credit:
      return "not-credit";
    case admit::park_needed:
      return "park-needed";
  }
  return "invalid-admit";
}

/// True if the core took the message (it is queued or parked).
constexpr bool taken(admit x) noexcept {
  switch (x) {
    case admit::accepted:
    case admit::evicted:
    case admit::overcommitted:
    case admit::self_over:
    case admit::parked:
      return true;
    case admit::dropped:
    case admit::would_block:
    case admit::timed_out:
    case admit::no_credit:
    case admit::closed:
    case admit::dead_letter:
    case admit::not_credit:
    case admit::park_needed:
      return false;
  }
  return false;
}

/// Credit held by one endpoint at one mailbox. Shared between the endpoint
/// (which spends it) and the core (which grants it); all fields are guarded
/// by the core's mutex.
class lease {
public:
  virtual ~lease() = default;

  /// Called without the core's mutex after credit arrived for a sender that
  /// was refused (or after the mailbox closed). Must not block.
  virtual void writable() noexcept {
    // nop
  }

  /// Whether a send was refused since the last writable() call.
  enum class state : std::uint8_t {
    detached,
    waiting,
    active,
    revoked,
    released
  };

private:
  template <class, class, class, class>
  friend class mailbox_core;

  state st_ = state::detached;
  std::size_t window_ = 0;
  std::size_t credit_ = 0;      // spendable now
  std::size_t outstanding_ = 0; // sent, not yet popped by the receiver
  std::size_t owed_ = 0;        // popped, not yet granted back
  bool want_writable_ = false;
  std::condition_variable* waiting_thread_ = nullptr;
};

/// How the core links elements in its lock-free inbox: through a member
/// `next` of type T* (or a base pointer that converts with static_cast).
/// A sender links its predecessor while the consumer may read that link,
/// so those two accesses are atomic: GCC/Clang builtins on the plain
/// pointer (C++17 has no std::atomic_ref). set_next() initializes a link
/// not yet visible to anyone else.
template <class T>
struct member_link {
  static void set_next(T* x, T* n) noexcept {
    x->next = n;
  }
  static T* next_acquire(T* x) noexcept {
    return static_cast<T*>(__atomic_load_n(&x->next, __ATOMIC_ACQUIRE));
  }
  static void set_next_release(T* x, T* n) noexcept {
    decltype(x->next) link = n; // T* or its base's pointer type
    __atomic_store_n(&x->next, link, __ATOMIC_RELEASE);
  }
};

template <class T, class Parker, class Disposer = std::default_delete<T>,
          class Link = member_link<T>>
class mailbox_core {
public:
  using clock = std::chrono::steady_clock;

  /// A parked message (sluice actor sender) or a blocked thread.
  struct waiter {
    enum class state : std::uint8_t { waiting, admitted, closed, dropped };
    T* elem = nullptr;
    Parker parker{};
    const void* key = nullptr;
    std::condition_variable* cv = nullptr; // set for blocked threads
    state st = state::waiting;
    admit how = admit::accepted; // how it was admitted (accepted / evicted)
    clock::time_point since;
    waiter* next = nullptr;
  };

  /// Deferred work produced by a state change; carry it out without locks.
  struct effects {
    /// Parked messages now admitted (st == admitted) or released unadmitted
    /// (closed or dropped; elem handed back). Caller notifies the parker and
    /// deletes the waiter.
    std::vector<waiter*> parked_done;
    /// Messages evicted while resolving waiters (policy change).
    std::vector<T*> evicted;
    /// Leases to tell writable().
    std::vector<std::shared_ptr<lease>> writable;

    bool empty() const noexcept {
      return parked_done.empty() && evicted.empty() && writable.empty();
    }
  };

  /// What hold() returns and unhold() takes back: the credit lease a held
  /// message was sent through, so its credit returns only once it is
  /// consumed. Opaque to the consumer; valid until unhold() or close().
  struct held_token {
    lease* from = nullptr;
  };

  struct offer_result {
    admit status = admit::accepted;
    T* evicted = nullptr;  ///< drop-oldest: the evicted element (caller owns)
    bool schedule = false; ///< caller must wake the consumer (drain token)
    /// Taken on the fast path while the mailbox closed: call take_late().
    bool late = false;
  };

  /// max_wait value meaning "the mailbox's configured block-timeout".
  static constexpr clock::duration configured_timeout = clock::duration::min();

  /// The ring starts small and doubles up to the bound on demand, so a huge
  /// capacity costs memory only when it is used.
  static constexpr std::size_t initial_reserve = 1024;

  explicit mailbox_core(const resolved_mailbox& cfg)
    : cfg_(cfg),
      queue_(std::min(cfg.capacity + cfg.overcommit, initial_reserve)) {
    publish_config_locked();
    update_gate_locked(); // no other thread sees the core yet
  }

  mailbox_core(const mailbox_core&) = delete;
  mailbox_core& operator=(const mailbox_core&) = delete;

  ~mailbox_core() {
    // Elements still owned here are destroyed by the owner's close(); a core
    // destroyed unclosed frees what it holds.
    std::vector<T*> rest;
    effects fx;
    close(fx, rest);
    take_late(rest); // raced into the inbox after an earlier close()
    Disposer dispose;
    for (auto* x : rest)
      dispose(x);
    for (auto* w : fx.parked_done) {
      dispose(w->elem);
      delete w;
    }
  }

  // -- senders ----------------------------------------------------------------

  /// The lock-free fast path of offer() (see the contract at the top).
  /// @returns false, having changed nothing, if `elem` must take the slow
  /// path; true if it was accepted (`res` says whether to schedule the
  /// consumer and whether the mailbox closed meanwhile: then take_late()).
  bool offer_fast(T* elem, offer_result& res) noexcept {
    // one CAS: the gate derives the admission count and high watermark
    if (stats_.depth.try_fast() == 0)
      return false;
    push_inbox(elem);
    res.status = admit::accepted;
    // seq_cst load: see go_idle_locked(); the exchange picks one waker
    res.schedule = !scheduled_.load(std::memory_order_seq_cst)
                   && !scheduled_.exchange(true, std::memory_order_seq_cst);
    // seq_cst: see close()
    res.late = closed_flag_.load(std::memory_order_seq_cst);
    return true;
  }

  /// Messages that took the fast path while the mailbox closed (offer()
  /// said `late`): moves them to `out`, counted as discarded_on_exit, for
  /// the caller to report and dispose. Any caller may collect any sender's.
  void take_late(std::vector<T*>& out) {
    auto guard = acquire();
    if (!closed_)
      return;
    while (!queued_empty()) {
      stats_.discarded_on_exit.add();
      out.push_back(pop_queued().elem);
    }
    stats_.oldest_enq_ns.set(0);
  }

  /// Offers `elem` from a sender of kind `who` (identified by `key` for park
  /// limits). A managed thread (`who == thread`) may block up to `max_wait`.
  /// A sluice actor that must wait gets park_needed and then calls park()
  /// (so a parker reference is built only when needed). With `may_wait`
  /// false, waiting becomes would_block.
  offer_result offer(T* elem, sender_kind who, const void* key,
                     clock::duration max_wait = clock::duration::max(),
                     bool may_wait = true) {
    offer_result res;
    if (offer_fast(elem, res))
      return res;
    return offer_slow(elem, who, key, max_wait, may_wait);
  }

  /// offer() after offer_fast() declined `elem`: the locked path alone.
  offer_result offer_slow(T* elem, sender_kind who, const void* key,
                          clock::duration max_wait = clock::duration::max(),
                          bool may_wait = true) {
    offer_result res;
    auto guard = acquire();
    stats_.attempted.add();
    if (closed_) {
      stats_.closed.add();
      res.status = admit::closed;
      return res;
    }
    if (reserve_room_locked()) {
      push_locked(elem, nullptr);
      res.status = admit::accepted;
    } else {
      switch (on_full(who)) {
        case reaction::admit_over:
          stats_.depth.add();
          push_locked(elem, nullptr);
          stats_.self_overcapacity.add();
          res.status = admit::self_over;
          break;
        case reaction::park:
          if (!may_wait) {
            stats_.would_block.add();
            res.status = admit::would_block;
          } else {
            stats_.attempted.sub(); // park() counts the attempt again
            res.status = admit::park_needed;
          }
          return res;
        case reaction::wait:
          if (!may_wait) {
            stats_.would_block.add();
            res.status = admit::would_block;
            return res;
          }
          res.status = wait_locked(guard, elem, key, max_wait);
          break;
        case reaction::refuse:
          stats_.dropped_newest.add();
          res.status = admit::dropped;
          return res;
        case reaction::evict:
          res.evicted = evict_locked();
          if (res.evicted == nullptr) {
            // everything counted is held by the actor (skipped) or being
            // handled: nothing to evict, so the bound refuses the arrival
            stats_.dropped_newest.add();
            res.status = admit::dropped;
            return res;
          }
          push_locked(elem, nullptr); // takes the evicted one's slot
          res.status = admit::evicted;
          break;
        case reaction::overcommit:
          if (overcommit_used_locked() < cfg_.overcommit) {
            stats_.depth.add();
            push_locked(elem, nullptr);
            stats_.overcommitted.add();
            res.status = admit::overcommitted;
          } else {
            stats_.dead_lettered.add();
            res.status = admit::dead_letter;
            return res;
          }
          break;
        case reaction::no_credit:
          stats_.no_credit.add();
          res.status = admit::no_credit;
          return res;
      }
    }
    if (taken(res.status) && res.status != admit::parked)
      res.schedule = schedule_locked();
    unlock_and_free_retired(guard); // an eviction may have freed a lease
    return res;
  }

  /// Second step of offer() for a sluice actor sender: admits `elem` if room
  /// appeared meanwhile, else parks it (FIFO) with `parker`, or refuses it
  /// with would_block when `key` already has park-limit messages parked.
  offer_result park(T* elem, const void* key, Parker parker) {
    auto guard = acquire();
    stats_.attempted.add();
    offer_result res;
    if (closed_) {
      stats_.closed.add();
      res.status = admit::closed;
      return res;
    }
    if (reserve_room_locked()) {
      push_locked(elem, nullptr);
      res.status = admit::accepted;
      res.schedule = schedule_locked();
      return res;
    }
    if (cfg_.policy != policy::block) {
      // the policy changed between offer() and park(): admit over capacity
      // rather than lose a managed sender's message
      stats_.depth.add();
      push_locked(elem, nullptr);
      stats_.overcommitted.add();
      res.status = admit::overcommitted;
      res.schedule = schedule_locked();
      return res;
    }
    res.status = park_locked(elem, key, std::move(parker));
    return res;
  }

  /// Offers `elem` through a credit lease. Returns not_credit (message handed
  /// back, nothing counted) if the mailbox is not in credit mode; the caller
  /// then sends as the endpoint's owner instead.
  offer_result offer_credit(T* elem, lease& l, effects& fx) {
    auto guard = acquire();
    offer_result res;
    if (cfg_.policy != policy::credit && !closed_) {
      res.status = admit::not_credit;
      return res;
    }
    stats_.attempted.add();
    if (closed_ || l.st_ == lease::state::released) {
      stats_.closed.add();
      res.status = admit::closed;
      return res;
    }
    if ((l.st_ == lease::state::revoked && l.outstanding_ == 0)
        || l.st_ == lease::state::detached)
      enqueue_lease_locked(l, fx);
    if (l.st_ != lease::state::active || l.credit_ == 0) {
      l.want_writable_ = true;
      stats_.no_credit.add();
      res.status = admit::no_credit;
      return res;
    }
    --l.credit_;
    --unspent_;
    ++l.outstanding_;
    // the credit is the reservation (no fast path in credit mode)
    stats_.depth.add();
    push_locked(elem, &l);
    res.status = admit::accepted;
    res.schedule = schedule_locked();
    return res;
  }

  /// Registers a lease at this mailbox; it becomes active (credit = window)
  /// at once if capacity allows and nobody is queued for one, else it waits
  /// FIFO and its owner hears writable() when it is granted.
  /// @returns false if the mailbox is closed.
  bool attach(std::shared_ptr<lease> l, effects& fx) {
    auto guard = acquire();
    if (closed_) {
      l->st_ = lease::state::released;
      return false;
    }
    leases_.push_back(l);
    if (cfg_.policy == policy::credit)
      enqueue_lease_locked(*l, fx);
    else
      l->st_ = lease::state::revoked; // activated once the policy is credit
    return true;
  }

  /// Returns the lease's credit to the mailbox (endpoint destroyed or its
  /// owner gone). Messages it already sent stay queued.
  void detach(lease& l, effects& fx) {
    auto guard = acquire();
    drop_lease_locked(l);
    l.st_ = lease::state::released;
    forget_if_done_locked(l);
    grant_waiting_leases_locked(fx);
    unlock_and_free_retired(guard);
  }

  /// Credit the lease can spend now (for thread endpoints and tests).
  std::size_t credit_of(const lease& l) const {
    auto guard = acquire();
    return l.credit_;
  }

  /// Blocks the calling thread until `l` has credit, the mailbox closes or
  /// leaves credit mode (no credit will come: the endpoint sends as its
  /// owner) or `deadline` passes. @returns the credit available (0 on
  /// timeout/close/not credit).
  std::size_t wait_credit(lease& l, clock::time_point deadline) {
    auto guard = acquire();
    std::condition_variable cv;
    l.waiting_thread_ = &cv;
    while (!closed_ && cfg_.policy == policy::credit && l.credit_ == 0) {
      l.want_writable_ = true;
      if (cv.wait_until(guard, deadline) == std::cv_status::timeout)
        break;
    }
    l.waiting_thread_ = nullptr;
    return l.credit_;
  }

  // -- consumer ---------------------------------------------------------------

  /// Takes the oldest queued message, or nullptr. Frees its slot, returns
  /// credit as the policy says, and admits waiters once depth is at or below
  /// the resume mark (capacity - capacity/4). nullptr does not mean empty:
  /// a sender may be mid-push (see the inbox); finish_drain() says whether
  /// to come back.
  T* pop(effects& fx) {
    auto guard = acquire();
    if (closed_) // what raced in after close() belongs to take_late()
      return nullptr;
    release_pending_locked(fx);
    auto s = pop_queued(false);
    if (s.elem == nullptr)
      return nullptr; // empty, or its only sender is still linking
    note_inbox_mark_locked();
    stats_.depth.sub(); // handed out: no longer counted
    stats_.dequeued.add();
    after_remove_locked(s, fx);
    grant_waiting_leases_locked(fx);
    admit_waiters_locked(fx);
    unlock_and_free_retired(guard);
    return s.elem;
  }

  /// Consumer: takes up to `max` oldest messages into `out` with one lock.
  /// Until the consumer calls start_one() for a message, it still waits
  /// ("in hand") and keeps its slot, so capacity means the same as with
  /// pop(): messages waiting, excluding the one being handled. drop-oldest
  /// (an arrival may evict anything still waiting, never the message being
  /// handled) and credit (a popped slot's credit goes back to its endpoint)
  /// take one at a time.
  /// Under credit the message taken is "pending": like any message being
  /// handled it no longer counts against capacity, but its credit returns
  /// only at the consumer's next call (pop_batch, settle, finish_drain), or,
  /// if the actor skips it (hold()), at unhold(): a held message never
  /// frees credit while it still occupies memory.
  /// @returns how many were taken (0 does not mean empty: a sender may be
  /// mid-push; finish_drain() says whether to come back); `*counted` says
  /// whether they are in hand (then call start_one() before handling each).
  std::size_t pop_batch(T** out, std::size_t max, bool* counted, effects& fx) {
    auto guard = acquire();
    *counted = false;
    if (closed_) // what raced in after close() belongs to take_late()
      return 0;
    stats_.depth.sync(); // apply the slots start_one() released
    release_pending_locked(fx);
    // drop-oldest must be able to evict everything still waiting; credit
    // returns a slot's credit when it is popped: both take one at a time
    *counted
      = cfg_.policy == policy::block || cfg_.policy == policy::drop_newest;
    if (!*counted)
      max = std::min<std::size_t>(max, 1);
    std::size_t n = 0;
    while (n < max) {
      auto s = pop_queued(false);
      if (s.elem == nullptr)
        break; // empty, or a sender is still linking: the next pass
      out[n++] = s.elem;
      if (cfg_.policy == policy::credit) {
        pending_ = true; // max is 1 here: at most one pending message
        pending_from_ = s.from;
      } else if (s.from != nullptr) {
        lease_done_locked(*s.from, fx); // a lease revoked since it sent
      }
    }
    if (!*counted)
      stats_.depth.sub(n); // handed out; counted ones leave at start_one()
    grant_waiting_leases_locked(fx);
    stats_.dequeued.add(n);
    note_inbox_mark_locked();
    note_head_locked(); // once per batch, not per message
    admit_waiters_locked(
      fx); // start_one() calls since the last lock freed room
    unlock_and_free_retired(guard);
    return n;
  }

  /// Consumer, lock-free: a message taken in hand starts being handled; its
  /// slot is free from now on. Recorded on the consumer's own counter and
  /// applied by the next lock holder (admission_gate::release_one): a fast
  /// sender may still see the slot taken and then takes the slow path,
  /// which applies it first; waiters are admitted at the next pop_batch(),
  /// settle() or finish_drain().
  void start_one() noexcept {
    // relaxed: close() reset the depth; a consumer racing with close() on
    // another thread must not decrement below 0 (the actor closes on its
    // own thread, so this matters only for other users of the core)
    if (!closed_flag_.load(std::memory_order_relaxed))
      stats_.depth.release_one(); // applied by the next lock holder
  }

  /// Consumer: publishes depth and admits waiters after start_one() calls,
  /// when a drain pass pauses (yield, suspended sender, awaited response).
  void settle(effects& fx) {
    auto guard = acquire();
    stats_.depth.sync();
    release_pending_locked(fx);
    publish_depth_locked();
    admit_waiters_locked(fx);
    unlock_and_free_retired(guard);
  }

  /// Consumer: the drain pass ends; publishes depth, admits waiters.
  /// @returns true if messages remain (schedule another pass).
  bool finish_drain(effects& fx) {
    auto guard = acquire();
    stats_.depth.sync();
    release_pending_locked(fx);
    publish_depth_locked();
    admit_waiters_locked(fx);
    bool more = go_idle_locked();
    unlock_and_free_retired(guard);
    return more;
  }

  /// Consumer that uses pop() only (no pending message): the drain pass
  /// ends. @returns true if messages remain (the consumer must schedule
  /// another pass), false if the consumer is now idle (the next accepted
  /// offer reports `schedule`).
  bool finish_drain() {
    auto guard = acquire();
    return go_idle_locked();
  }

  /// Consumer: the message just taken was skipped and kept by the actor; it
  /// counts against capacity until unhold(), which takes the token back.
  held_token hold() {
    auto guard = acquire();
    held_token t;
    if (closed_)
      return t;
    ++held_;
    stats_.depth.add(); // counted again (it left at pop or start_one)
    if (pending_) {     // credit: the pending message becomes held
      pending_ = false;
      t.from = pending_from_;
      pending_from_ = nullptr;
    }
    publish_depth_locked();
    return t;
  }

  /// Consumer: a held message was consumed or discarded; its slot frees and
  /// its credit (if it came through an endpoint) returns.
  void unhold(effects& fx, held_token t = {}) {
    auto guard = acquire();
    if (closed_ || held_ == 0)
      return;
    --held_;
    stats_.depth.sub();
    if (t.from != nullptr)
      lease_done_locked(*t.from, fx);
    publish_depth_locked();
    grant_waiting_leases_locked(fx);
    admit_waiters_locked(fx);
    unlock_and_free_retired(guard);
  }

  /// Manual credit: returns up to `n` consumed messages' credit to their
  /// endpoints, oldest lease first. @returns credit granted.
  std::size_t grant(std::size_t n, effects& fx) {
    auto guard = acquire();
    std::size_t total = 0;
    for (auto& lp : leases_) {
      if (n == 0)
        break;
      auto& l = *lp;
      if (l.st_ != lease::state::active || l.owed_ == 0)
        continue;
      auto k = std::min(n, l.owed_);
      give_credit_locked(l, k, fx);
      n -= k;
      total += k;
    }
    return total;
  }

  /// Credit consumed by the actor and not yet granted back (manual mode).
  std::size_t owed() const {
    auto guard = acquire();
    std::size_t total = 0;
    for (auto& l : leases_)
      if (l->st_ == lease::state::active)
        total += l->owed_;
    return total;
  }

  // -- lifecycle and reconfiguration -------------------------------------------

  /// Closes the mailbox: later offers get `closed`. Queued messages move to
  /// `discarded` (caller disposes, counted as discarded_on_exit); parked
  /// messages go to fx.parked_done with state closed; blocked threads wake
  /// with `closed`; leases are released and their owners told writable().
  void close(effects& fx, std::vector<T*>& discarded) {
    auto guard = acquire();
    if (closed_)
      return;
    closed_ = true;
    stats_.depth.set_limit(0); // no fast-path admission from now on
    // seq_cst store, then the seq_cst reads of tail_ in queued_empty() and
    // the pops: against push_inbox()'s seq_cst exchange then offer_fast()'s
    // seq_cst load of the flag, either the sender sees the flag (and calls
    // take_late()) or the loop below takes its message
    closed_flag_.store(true, std::memory_order_seq_cst);
    while (!queued_empty()) {
      auto s = pop_queued();
      stats_.discarded_on_exit.add();
      if (s.from != nullptr) {
        --s.from->outstanding_;
      }
      discarded.push_back(s.elem);
    }
    while (waiters_head_ != nullptr) {
      auto* w = pop_waiter_locked();
      stats_.closed.add();
      resolve_waiter_locked(w, waiter::state::closed, fx);
    }
    for (auto& l : leases_) {
      l->st_ = lease::state::released;
      l->credit_ = l->owed_ = 0;
      if (l->waiting_thread_ != nullptr)
        l->waiting_thread_->notify_all();
      fx.writable.push_back(l);
    }
    leases_.clear();
    lease_fifo_.clear();
    leased_ = unspent_ = 0;
    held_ = 0;
    pending_ = false;
    pending_from_ = nullptr;
    // the consumer is the caller (cleanup) or gone: nothing is in hand
    stats_.depth.reset();
    stats_.credit_leased.set(0);
    stats_.leases_waiting.set(0);
    stats_.oldest_enq_ns.set(0); // nothing is queued any more
    publish_depth_locked();
  }

  /// Switches policy and capacity of a live mailbox. Queued messages stay.
  /// Leaving block resolves every waiter through the new policy in FIFO
  /// order (admitted if room; else drop-newest refuses, drop-oldest evicts,
  /// credit admits over capacity as overcommit). Leaving credit revokes all
  /// leases (endpoints then send as their owner); entering credit activates
  /// leases lazily on their next send. See docs/policies.md.
  /// @returns true if the caller must wake the consumer.
  bool reconfigure(const resolved_mailbox& cfg, effects& fx) {
    auto guard = acquire();
    auto old = cfg_.policy;
    cfg_ = cfg;
    publish_config_locked();
    if (old == policy::credit && cfg.policy != policy::credit) {
      for (auto& l : leases_) {
        drop_lease_locked(*l);
        l->st_ = lease::state::revoked;
        if (l->waiting_thread_ != nullptr)
          l->waiting_thread_->notify_all(); // wait_credit() returns: no credit
        if (l->want_writable_) {
          l->want_writable_ = false;
          fx.writable.push_back(l);
        }
      }
    }
    for (auto* l : lease_fifo_)
      l->window_ = cfg.window; // not granted yet: lease the current window
    if (cfg.policy != policy::block) {
      while (waiters_head_ != nullptr) {
        auto* w = pop_waiter_locked();
        if (stats_.depth.try_reserve(cfg_.capacity)) {
          push_locked(w->elem, nullptr);
          w->how = admit::accepted;
          resolve_waiter_locked(w, waiter::state::admitted, fx);
          continue;
        }
        switch (cfg.policy) {
          case policy::block: // unreachable: guarded above
          case policy::credit:
            stats_.depth.add();
            push_locked(w->elem, nullptr);
            stats_.overcommitted.add();
            w->how = admit::overcommitted;
            resolve_waiter_locked(w, waiter::state::admitted, fx);
            break;
          case policy::drop_newest:
            stats_.dropped_newest.add();
            resolve_waiter_locked(w, waiter::state::dropped, fx);
            break;
          case policy::drop_oldest:
            if (auto* old_elem = evict_locked()) {
              fx.evicted.push_back(old_elem);
              push_locked(w->elem, nullptr);
              w->how = admit::evicted;
              resolve_waiter_locked(w, waiter::state::admitted, fx);
            } else { // all held: nothing to evict (see offer())
              stats_.dropped_newest.add();
              resolve_waiter_locked(w, waiter::state::dropped, fx);
            }
            break;
        }
      }
    } else {
      admit_waiters_locked(fx);
    }
    grant_waiting_leases_locked(fx);
    update_gate_locked(); // after every waiter is resolved
    auto wake = !queued_empty() && schedule_locked();
    unlock_and_free_retired(guard);
    return wake;
  }

  resolved_mailbox config() const {
    auto guard = acquire();
    return cfg_;
  }

  bool closed() const {
    auto guard = acquire();
    return closed_;
  }

  /// Messages parked here by `key` right now.
  std::size_t parked_by(const void* key) const {
    auto guard = acquire();
    auto i = parked_by_.find(key);
    return i == parked_by_.end() ? 0 : i->second;
  }

  /// Lock-free counters (see counters.hpp).
  core::counters& stats() noexcept {
    return stats_;
  }
  const core::counters& stats() const noexcept {
    return stats_;
  }

private:
  struct slot {
    T* elem = nullptr;
    lease* from = nullptr; // credit attribution
    std::int64_t enq_ns = 0;
  };
  using ring_type = ring<slot>;

  static std::int64_t now_ns() noexcept {
    return coarse_now_ns();
  }

  /// Locks mtx_, spinning briefly first: critical sections here take tens
  /// of nanoseconds, so sleeping in the kernel (futex) costs far more than
  /// waiting for the other core to finish. Falls back to a plain lock.
  std::unique_lock<std::mutex> acquire() const {
    for (int i = 0; i < 128; ++i) {
      if (mtx_.try_lock())
        return std::unique_lock<std::mutex>{mtx_, std::adopt_lock};
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    return std::unique_lock<std::mutex>{mtx_};
  }

  // -- admission helpers (mtx_ held) -----------------------------------------

  /// Queued (ring and inbox), in hand and held messages. Lock-free senders
  /// and start_one() change it concurrently: a decision taken on a stale
  /// value only refuses or delays an arrival that raced with a decrement;
  /// admissions within capacity go through try_reserve(), never over it.
  std::size_t depth_locked() noexcept {
    stats_.depth.sync(); // slots released by start_one() count as free
    return static_cast<std::size_t>(stats_.depth.get());
  }

  std::size_t waiting_window_locked() const noexcept {
    return lease_fifo_.empty() ? 0 : lease_fifo_.front()->window_;
  }

  /// The pending message (see pop_batch()) was consumed: its credit returns.
  void release_pending_locked(effects& fx) {
    if (!pending_)
      return;
    pending_ = false;
    auto* l = pending_from_;
    pending_from_ = nullptr;
    if (l != nullptr)
      lease_done_locked(*l, fx);
    publish_depth_locked();
    grant_waiting_leases_locked(fx);
  }

  /// Reserves a slot within capacity for any sender kind (self-sends too:
  /// under credit, capacity promised to endpoints is not theirs; over
  /// capacity they are admitted as self_over and counted).
  bool reserve_room_locked() noexcept {
    switch (cfg_.policy) {
      case policy::block:
        return waiters_head_ == nullptr
               && stats_.depth.try_reserve(cfg_.capacity);
      case policy::credit: {
        // capacity promised to endpoints (unspent_) and the window of the
        // lease first in line are not free for others: plain senders cannot
        // starve endpoints waiting for a lease
        auto kept = unspent_ + waiting_window_locked();
        return kept < cfg_.capacity
               && stats_.depth.try_reserve(cfg_.capacity - kept);
      }
      case policy::drop_newest:
      case policy::drop_oldest:
        return stats_.depth.try_reserve(cfg_.capacity);
    }
    return false;
  }

  /// The fast path is open (limit = capacity) while the mailbox is open,
  /// not in credit mode (credit needs the lease bookkeeping) and has no
  /// waiters (they are admitted first: no barging); else closed (0).
  void update_gate_locked() noexcept {
    bool open = !closed_ && cfg_.policy != policy::credit
                && waiters_head_ == nullptr
                && cfg_.capacity <= admission_gate::max_limit;
    auto limit = open ? static_cast<std::uint64_t>(cfg_.capacity) : 0;
    if (stats_.depth.limit() != limit)
      stats_.depth.set_limit(limit);
  }

  // -- the inbox: a lock-free intrusive FIFO list (senders, lock holders) -----
  //
  // Senders append with one exchange of tail_ and then link their
  // predecessor to themselves (the first into an empty inbox publishes
  // head_ instead). Lock holders take messages from head_ in FIFO order,
  // touching each element once (no reversal, unlike a LIFO stack), and
  // never take the last message while a sender may be linking behind it:
  // they detach it with a CAS of tail_ or wait for the link. Between a
  // sender's exchange and its link the list has a gap; a consumer that
  // meets it stops the batch (the next pass finds the message), while a
  // lock holder that must take everything (close, a push into the ring)
  // spins until the sender has linked, a few instructions later unless the
  // sender was preempted.

  void push_inbox(T* elem) noexcept {
    Link::set_next(elem, nullptr); // not visible to anyone yet
    // seq_cst: the single total order pairs this with go_idle_locked()'s
    // and close()'s seq_cst reads of tail_ (see there)
    T* prev = tail_.exchange(elem, std::memory_order_seq_cst);
    if (prev != nullptr) {
      // release: publishes the element to the lock holder's acquire load of
      // the link. prev is still queued: the last message is not taken
      // while a sender may link behind it (inbox_pop_locked()).
      Link::set_next_release(prev, elem);
      return;
    }
    // First in an empty inbox: its arrival time, then the head. (relaxed
    // stamp: published with the element by the release store below)
    stats_.inbox_since_ns.set(static_cast<std::uint64_t>(now_ns()));
    // release: publishes the element and the stamp to inbox_pop_locked()
    head_.store(elem, std::memory_order_release);
  }

  /// Polls `f` until it yields a message: briefly only, unless `wait`.
  template <class F>
  static T* await_link(F f, bool wait) noexcept {
    for (int i = 0;; ++i) {
      if (T* x = f())
        return x;
      if (i < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      } else if (!wait) {
        return nullptr;
      } else {
        std::this_thread::yield(); // the sender was preempted mid-push
      }
    }
  }

  /// Takes the oldest message of the inbox; nullptr if it is empty, or if
  /// the sender of the message needed next is still linking and `wait` is
  /// false. `arrived` (if set) receives the inbox's stamp for the message
  /// taken, read once the head is published (its sender stamps first).
  T* inbox_pop_locked(bool wait, std::int64_t* arrived = nullptr) noexcept {
    // acquire: pairs with push_inbox()'s release store of head_
    T* h = head_.load(std::memory_order_acquire);
    if (h == nullptr) {
      // seq_cst: see close()
      if (tail_.load(std::memory_order_seq_cst) == nullptr)
        return nullptr; // empty
      // a sender took the empty inbox and is about to publish head_
      h = await_link([this] { return head_.load(std::memory_order_acquire); },
                     wait);
      if (h == nullptr)
        return nullptr;
    }
    // After the acquire load of head_: the stamp of the sender that found
    // the inbox empty is visible (it stamps before publishing head_).
    auto since = stats_.inbox_since_ns.get();
    if (arrived != nullptr)
      *arrived = static_cast<std::int64_t>(since);
    T* next = Link::next_acquire(h);
    if (next == nullptr) {
      // h may be the last: detach it unless a sender is linking behind it.
      // Stamp and head first: once tail_ is null a sender may set both.
      stats_.inbox_since_ns.set(0);
      head_.store(nullptr, std::memory_order_relaxed);
      T* expected = h;
      // seq_cst: see close(); it also releases the cleared head_ and stamp
      // to the next sender, whose exchange reads this value
      if (tail_.compare_exchange_strong(expected, nullptr,
                                        std::memory_order_seq_cst,
                                        std::memory_order_relaxed)) {
        mark_ = nullptr; // the mark, if any, was h or before it
        return h;
      }
      // A sender exchanged tail_ after h and is linking h to its message.
      // No sender writes head_ or the stamp while tail_ is not null.
      stats_.inbox_since_ns.set(since);
      head_.store(h, std::memory_order_relaxed);
      next = await_link([h] { return Link::next_acquire(h); }, wait);
      if (next == nullptr)
        return nullptr;
    }
    // relaxed: only lock holders read head_ while the inbox is not empty
    head_.store(next, std::memory_order_relaxed);
    // No sender writes h's link any more (it is set): clear it, so nothing
    // that outlives the queue points into it.
    Link::set_next(h, nullptr);
    if (h == mark_) { // everything behind the mark arrived after mark_ts_
      mark_ = nullptr;
      stats_.inbox_since_ns.set(static_cast<std::uint64_t>(mark_ts_));
    }
    return h;
  }

  /// The inbox's arrival stamp is set when a message enters it empty. For a
  /// list that never empties, the consumer marks the newest message (and
  /// the time) when no mark is pending: once the mark is taken, everything
  /// left arrived after that time and the stamp becomes it. So the stamp
  /// never makes the oldest message look younger than it is; it can make it
  /// look older, by up to the time the consumer took to get from the
  /// previous mark's time to that message.
  void note_inbox_mark_locked() noexcept {
    if (mark_ != nullptr)
      return;
    // relaxed: any message still queued will do as a mark
    if (T* t = tail_.load(std::memory_order_relaxed)) {
      mark_ = t;
      mark_ts_ = now_ns();
    }
  }

  /// Moves the inbox into the ring before a push into the ring, so the ring
  /// holds the older messages (global and per-sender FIFO). Moves what was
  /// in the inbox when it started: later arrivals are concurrent with the
  /// push and may stay behind it (no livelock under a stream of senders).
  void move_inbox_locked() {
    // relaxed: a sender whose push happens-before this one is seen; the
    // others are concurrent with it
    T* last = tail_.load(std::memory_order_relaxed);
    if (last == nullptr)
      return;
    for (;;) {
      std::int64_t ts = 0;
      T* x = inbox_pop_locked(true, &ts);
      if (queue_.empty())
        stats_.oldest_enq_ns.set(static_cast<std::uint64_t>(ts));
      queue_.push_back(slot{x, nullptr, ts});
      if (x == last)
        return;
    }
  }

  // -- the queue: the ring (older) then the inbox (newer) -----------------------
  //
  // A never-full mailbox keeps everything in the inbox: the consumer takes
  // messages straight from it, like CAF's own mailbox and without its
  // reversal. The ring holds what the slow path queued (and the inbox
  // messages moved in ahead of it).

  bool queued_empty() const noexcept {
    // seq_cst: see close()
    return queue_.empty() && tail_.load(std::memory_order_seq_cst) == nullptr;
  }

  /// The oldest queued message; elem is nullptr if nothing is queued, or if
  /// `wait` is false and the next one's sender is still linking.
  slot pop_queued(bool wait = true) noexcept {
    if (!queue_.empty())
      return queue_.pop_front();
    std::int64_t ts = 0;
    T* x = inbox_pop_locked(wait, &ts);
    return slot{x, nullptr, ts};
  }

  /// The consumer pass ends: idle unless messages remain (ring or inbox).
  /// @returns true if the consumer must run another pass.
  bool go_idle_locked() {
    // relaxed: head_ is the lock holders' while the inbox is not empty
    if (!queue_.empty() || head_.load(std::memory_order_relaxed) != nullptr)
      return true;
    // seq_cst store then seq_cst load, against push_inbox()'s seq_cst
    // exchange then offer_fast()'s seq_cst load of scheduled_: either the
    // sender sees false and schedules, or this load sees its message (even
    // one still linking: the next pass finds it) and we go on
    scheduled_.store(false, std::memory_order_seq_cst);
    if (tail_.load(std::memory_order_seq_cst) == nullptr)
      return false;
    return !scheduled_.exchange(true, std::memory_order_seq_cst);
  }

  reaction on_full(sender_kind who) const noexcept {
    switch (cfg_.policy) {
      case policy::block:
        return policies::block::on_full(who);
      case policy::drop_newest:
        return policies::drop_newest::on_full(who);
      case policy::drop_oldest:
        return policies::drop_oldest::on_full(who);
      case policy::credit:
        return policies::credit::on_full(who);
    }
    return reaction::refuse;
  }

  std::size_t overcommit_used_locked() noexcept {
    auto d = depth_locked() + (cfg_.policy == policy::credit ? unspent_ : 0);
    return d > cfg_.capacity ? d - cfg_.capacity : 0;
  }

  /// Queues `elem` behind everything queued. Its slot is already counted in
  /// the admission word.
  void push_locked(T* elem, lease* from) {
    move_inbox_locked(); // FIFO: what took the fast path is older
    auto ts = now_ns();
    if (queue_.empty())
      stats_.oldest_enq_ns.set(static_cast<std::uint64_t>(ts));
    queue_.push_back(slot{elem, from, ts});
    stats_.accepted.add();
    publish_depth_locked();
  }

  /// Publishes cfg_'s capacity and policy for lock-free stats readers.
  void publish_config_locked() noexcept {
    stats_.capacity.set(cfg_.capacity);
    stats_.policy_code.set(static_cast<std::uint64_t>(cfg_.policy));
  }

  /// Publishes the held gauge (the admission gate keeps the high watermark).
  void publish_depth_locked() noexcept {
    if (stats_.held.get() != held_)
      stats_.held.set(held_);
  }

  bool schedule_locked() noexcept {
    // relaxed load: a cheap pre-check, safe because the flag is cleared
    // only under the mutex (go_idle_locked()), which this caller holds; the
    // atomic exchange picks one waker (acq_rel orders it with the clear)
    return !scheduled_.load(std::memory_order_relaxed)
           && !scheduled_.exchange(true, std::memory_order_acq_rel);
  }

  T* evict_locked() {
    if (queued_empty())
      return nullptr;
    auto s = pop_queued();
    stats_.evicted.add();
    effects local; // leases exist only under credit, which never evicts
    after_remove_locked(s, local);
    return s.elem;
  }

  /// A slot left the queue (pop, eviction): its lease, if any, gets its
  /// credit back now.
  void after_remove_locked(slot& s, effects& fx) {
    note_head_locked();
    if (s.from != nullptr)
      lease_done_locked(*s.from, fx);
  }

  /// Publishes the arrival time of the ring's new head and the gauges (the
  /// inbox keeps its own stamp, see inbox_pop_locked()).
  void note_head_locked() noexcept {
    stats_.oldest_enq_ns.set(
      queue_.empty() ? 0 : static_cast<std::uint64_t>(queue_.front().enq_ns));
    publish_depth_locked();
  }

  /// A message sent through `l` no longer occupies the mailbox.
  void lease_done_locked(lease& l, effects& fx) {
    --l.outstanding_;
    if (l.st_ == lease::state::active) {
      ++l.owed_;
      ++unspent_;
      if (cfg_.credit_mode == credit_mode::automatic
          && l.owed_ >= std::max<std::size_t>(1, l.window_ / 2))
        give_credit_locked(l, l.owed_, fx);
      return;
    }
    --leased_; // released or revoked: the slot returns to the pool
    stats_.credit_leased.set(leased_);
    if (l.st_ == lease::state::revoked && l.outstanding_ == 0
        && cfg_.policy == policy::credit)
      enqueue_lease_locked(l, fx); // back in credit mode: lease again
    forget_if_done_locked(l);
    grant_waiting_leases_locked(fx);
  }

  // -- waiters (mtx_ held) ---------------------------------------------------

  void append_waiter_locked(waiter* w) noexcept {
    w->next = nullptr;
    if (waiters_tail_ == nullptr)
      waiters_head_ = w;
    else
      waiters_tail_->next = w;
    waiters_tail_ = w;
    update_gate_locked(); // close the fast path: waiters go first
  }

  waiter* pop_waiter_locked() noexcept {
    auto* w = waiters_head_;
    waiters_head_ = w->next;
    if (waiters_head_ == nullptr)
      waiters_tail_ = nullptr;
    // The fast path stays closed: the caller reopens it (update_gate_locked)
    // once it has resolved the waiters it pops, so a fast sender never takes
    // the slot freed for a waiter.
    w->next = nullptr;
    return w;
  }

  void unlink_waiter_locked(waiter* w) noexcept {
    waiter* prev = nullptr;
    for (auto* i = waiters_head_; i != nullptr; prev = i, i = i->next) {
      if (i != w)
        continue;
      if (prev == nullptr)
        waiters_head_ = i->next;
      else
        prev->next = i->next;
      if (waiters_tail_ == i)
        waiters_tail_ = prev;
      i->next = nullptr;
      if (waiters_head_ == nullptr)
        update_gate_locked();
      return;
    }
  }

  admit park_locked(T* elem, const void* key, Parker parker) {
    auto& n = parked_by_[key];
    if (n >= cfg_.park_limit) {
      if (n == 0)
        parked_by_.erase(key);
      stats_.would_block.add();
      return admit::would_block;
    }
    ++n;
    auto* w = new waiter;
    w->elem = elem;
    w->parker = std::move(parker);
    w->key = key;
    w->since = clock::now();
    append_waiter_locked(w);
    stats_.parked_total.add();
    stats_.parked_now.add();
    return admit::parked;
  }

  admit wait_locked(std::unique_lock<std::mutex>& guard, T* elem,
                    const void* key, clock::duration max_wait) {
    if (max_wait == configured_timeout)
      max_wait
        = std::chrono::duration_cast<clock::duration>(cfg_.block_timeout);
    std::condition_variable cv;
    waiter w;
    w.elem = elem;
    w.key = key;
    w.cv = &cv;
    w.since = clock::now();
    auto deadline = max_wait >= clock::time_point::max() - w.since
                      ? clock::time_point::max()
                      : w.since + max_wait;
    append_waiter_locked(&w);
    stats_.blocked_total.add();
    stats_.blocked_now.add();
    while (w.st == waiter::state::waiting) {
      if (cv.wait_until(guard, deadline) == std::cv_status::timeout
          && w.st == waiter::state::waiting) {
        unlink_waiter_locked(&w);
        stats_.blocked_now.sub();
        stats_.blocked_ns.add(elapsed_ns(w.since));
        stats_.timed_out.add();
        // No admission here: the effects (a parked sender's outcome) would
        // have nowhere to go. None is needed either: this waiter was not let
        // in at the last admit_waiters_locked(), and depth has only fallen
        // since through start_one(), which the consumer always follows with
        // settle(), pop_batch() or finish_drain() (each admits waiters).
        return admit::timed_out;
      }
    }
    switch (w.st) {
      case waiter::state::admitted:
        return w.how;
      case waiter::state::closed:
        return admit::closed;
      case waiter::state::dropped:
        return admit::dropped;
      case waiter::state::waiting:
        break;
    }
    return admit::closed;
  }

  static std::uint64_t elapsed_ns(clock::time_point since) {
    auto d = clock::now() - since;
    return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  }

  /// Marks `w` resolved; wakes a thread or hands a parked message to fx.
  void resolve_waiter_locked(waiter* w, typename waiter::state st,
                             effects& fx) {
    stats_.blocked_ns.add(elapsed_ns(w->since));
    w->st = st;
    if (w->cv != nullptr) {
      stats_.blocked_now.sub();
      w->cv->notify_one(); // under the mutex: the waiter outlives this call
      return;
    }
    stats_.parked_now.sub();
    auto i = parked_by_.find(w->key);
    if (i != parked_by_.end() && --i->second == 0)
      parked_by_.erase(i);
    fx.parked_done.push_back(w);
  }

  /// Waiters are let in once depth has fallen to the resume mark, then up to
  /// capacity: a blocked thread or parked actor wakes once per
  /// capacity/4 freed slots instead of once per slot (fewer context switches
  /// and park outcomes; FIFO and no-barging are unchanged).
  std::size_t resume_mark() const noexcept {
    return cfg_.capacity - std::max<std::size_t>(1, cfg_.capacity / 4);
  }

  void admit_waiters_locked(effects& fx) {
    if (cfg_.policy != policy::block || waiters_head_ == nullptr
        || depth_locked() > resume_mark())
      return;
    while (waiters_head_ != nullptr
           && stats_.depth.try_reserve(cfg_.capacity)) {
      auto* w = pop_waiter_locked();
      push_locked(w->elem, nullptr);
      w->how = admit::accepted;
      resolve_waiter_locked(w, waiter::state::admitted, fx);
    }
    update_gate_locked();
    // No wake-up needed: waiters exist only while the mailbox is full, so a
    // consumer pass is pending and re-checks the queue in finish_drain().
  }

  // -- credit (mtx_ held) ----------------------------------------------------

  void enqueue_lease_locked(lease& l, effects& fx) {
    l.st_ = lease::state::waiting;
    l.window_ = cfg_.window;
    l.credit_ = l.owed_ = 0;
    lease_fifo_.push_back(&l);
    grant_waiting_leases_locked(fx);
  }

  void grant_waiting_leases_locked(effects& fx) {
    if (cfg_.policy != policy::credit)
      return;
    while (!lease_fifo_.empty()) {
      auto* l = lease_fifo_.front();
      // Lease against what is free now: queued, held and in-hand messages
      // (plain or overcommitted ones too) plus credit already promised.
      // Then depth + unspent credit <= capacity whatever arrived first.
      if (depth_locked() + unspent_ + l->window_ > cfg_.capacity)
        break;
      lease_fifo_.pop_front();
      l->st_ = lease::state::active;
      l->credit_ = l->window_;
      leased_ += l->window_;
      unspent_ += l->window_;
      stats_.credit_leased.set(leased_);
      notify_lease_locked(*l, fx);
    }
    stats_.leases_waiting.set(lease_fifo_.size());
  }

  void give_credit_locked(lease& l, std::size_t k, effects& fx) {
    l.owed_ -= k;
    l.credit_ += k;
    stats_.credit_granted.add(k);
    notify_lease_locked(l, fx);
  }

  void notify_lease_locked(lease& l, effects& fx) {
    if (l.waiting_thread_ != nullptr)
      l.waiting_thread_->notify_all();
    if (!l.want_writable_)
      return;
    l.want_writable_ = false;
    for (auto& lp : leases_)
      if (lp.get() == &l) {
        fx.writable.push_back(lp);
        return;
      }
  }

  /// Takes back a lease's unspent credit; its outstanding messages still
  /// hold slots until popped.
  void drop_lease_locked(lease& l) {
    switch (l.st_) {
      case lease::state::waiting:
        lease_fifo_.erase(
          std::remove(lease_fifo_.begin(), lease_fifo_.end(), &l),
          lease_fifo_.end());
        stats_.leases_waiting.set(lease_fifo_.size());
        break;
      case lease::state::active:
        leased_ -= l.credit_ + l.owed_;
        unspent_ -= l.credit_ + l.owed_;
        stats_.credit_leased.set(leased_);
        break;
      case lease::state::detached:
      case lease::state::revoked:
      case lease::state::released:
        break;
    }
    l.credit_ = l.owed_ = 0;
  }

  /// Drops the core's reference to a released lease with nothing queued.
  /// It may be the last one: the lease moves to retired_ and is freed by
  /// unlock_and_free_retired() (a lease's destructor is user code).
  void forget_if_done_locked(lease& l) {
    if (l.st_ != lease::state::released || l.outstanding_ != 0)
      return;
    auto i = std::find_if(
      leases_.begin(), leases_.end(),
      [&](const std::shared_ptr<lease>& x) { return x.get() == &l; });
    if (i == leases_.end())
      return;
    retired_.push_back(std::move(*i));
    leases_.erase(i);
  }

  /// Unlocks, then frees the leases forgotten while the mutex was held.
  void unlock_and_free_retired(std::unique_lock<std::mutex>& guard) {
    std::vector<std::shared_ptr<lease>> dead;
    dead.swap(retired_);
    guard.unlock();
  } // `dead` is destroyed here, without the mutex

  // -- state (guarded by mtx_) -------------------------------------------------

  mutable std::mutex mtx_;
  resolved_mailbox cfg_;
  ring_type queue_;
  std::size_t held_ = 0;
  // credit: the message pop_batch() took last; its credit is not back yet
  bool pending_ = false;
  lease* pending_from_ = nullptr;
  bool closed_ = false;
  waiter* waiters_head_ = nullptr;
  waiter* waiters_tail_ = nullptr;
  std::unordered_map<const void*, std::size_t> parked_by_;
  std::vector<std::shared_ptr<lease>> leases_;
  std::vector<std::shared_ptr<lease>> retired_; // freed after unlocking
  std::deque<lease*> lease_fifo_;
  // the newest inbox message when the consumer last looked, and when
  // (note_inbox_mark_locked())
  T* mark_ = nullptr;
  std::int64_t mark_ts_ = 0;
  std::size_t leased_ = 0;  // capacity promised to leases (see docs)
  std::size_t unspent_ = 0; // credit held by endpoints, not yet sent
  core::counters stats_;

  // -- lock-free state ----------------------------------------------------------
  // The inbox's tail and the scheduled flag share a line: every fast send
  // touches both.
  alignas(64) std::atomic<T*> tail_{nullptr};
  // a consumer pass is pending (drain token sent, finish_drain not yet idle)
  std::atomic<bool> scheduled_{false};
  // closed_ for lock-free readers: every fast send and every start_one()
  // read it, close() writes it once. Its own line: on the inbox line, each
  // start_one() missed on the line the sender had just written (measured:
  // about 8% of end-to-end throughput).
  alignas(64) std::atomic<bool> closed_flag_{false};
  // The inbox's head: lock holders' (a sender writes it only when it finds
  // the inbox empty). Its own line, away from the senders' tail.
  alignas(64) std::atomic<T*> head_{nullptr};
};

} // namespace sluice::core
