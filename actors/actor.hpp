// sluice::actor — an event-based CAF actor with a bounded mailbox.
//
// Derive from it (or use sluice::stateful_actor<State>, or a function taking
// `sluice::actor*`) and spawn with sluice::spawn. Ordinary messages go to the
// bounded lane governed by the mailbox policy; control messages (responses,
// exit/down/error/timeout, stream traffic, sluice's own signals) use CAF's
// native mailbox and are never blocked or dropped. See docs/architecture.md.
//
// Everything that depends on CAF 0.17 internals (enqueue/consume/resume/
// cleanup overrides, mailbox_element handling) lives in this class and
// actors/actor.cpp.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <caf/detail/disposer.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/stateful_actor.hpp>

#include "runtime/core/mailbox_core.hpp"
#include "runtime/mailbox.hpp"
#include "runtime/runtime.hpp"
#include "runtime/send_result.hpp"
#include "runtime/stats.hpp"

namespace sluice {

class actor;

namespace detail {

class endpoint_lease;

/// The core links mailbox elements in its lock-free inbox through CAF's own
/// intrusive `next` pointer (free while the element is in a sluice queue):
/// core::member_link, the core's default.
using core_type
  = core::mailbox_core<caf::mailbox_element, caf::strong_actor_ptr,
                       caf::detail::disposer>;

/// A send in progress through the sluice API (thread-local, see send.hpp).
struct send_ctx {
  enum class mode : std::uint8_t { normal, try_only };
  const caf::abstract_actor* target = nullptr;
  mode how = mode::normal;
  std::chrono::nanoseconds timeout{0}; // 0: the mailbox's block-timeout
  bool consumed = false;               // a sluice mailbox handled it
  send_status status = send_status::accepted;
  bool over_capacity = false;
  caf::mailbox_element_ptr handback;
};

/// The send in progress on this thread, if any.
send_ctx*& current_send() noexcept;

/// The sluice actor running on this thread, if any.
sluice::actor*& current_actor() noexcept;

/// True on threads the actor system started (workers, clock, middleman,
/// detached actors): such threads are never blocked by sluice.
bool on_caf_thread() noexcept;

/// Mailbox settings for the next sluice::actor constructed on this thread.
void set_pending_mailbox(const mailbox& m);
void clear_pending_mailbox() noexcept;

} // namespace detail

class actor : public caf::event_based_actor {
public:
  using super = caf::event_based_actor;

  explicit actor(caf::actor_config& cfg);
  ~actor() override;

  // -- sluice API (any thread unless noted) ----------------------------------

  /// The mailbox name (explicit name, or "actor#<id>").
  const std::string& mailbox_name() const noexcept {
    return name_;
  }

  /// The mailbox as it runs now.
  resolved_mailbox mailbox_config() const {
    return core_.config();
  }

  /// Snapshot of this mailbox's counters (no locks).
  mailbox_stats stats() const;

  /// Switches policy/capacity of the live mailbox; fields `m` leaves unset
  /// keep their current values. What happens to parked senders and leased
  /// credit: docs/policies.md#changing-a-live-mailbox.
  void reconfigure(const sluice::mailbox& m);

  /// Replaces this mailbox's dead-letter hook (wins over the runtime's).
  void set_dead_letter_hook(dead_letter_hook f);

  /// What became of a message this actor sent to a full `block` mailbox
  /// (sluice::send answered `parked`; plain sends park too): `accepted` or
  /// `accepted_evicted` once admitted, `closed` if the target terminated
  /// first, `dropped` if the target's policy changed to drop-newest (the
  /// message then went to the target's dead-letter hook as `shed`).
  using park_handler
    = std::function<void(send_status outcome, const caf::actor_addr& target)>;

  /// Calls `f` once per parked message, on this actor's thread (its control
  /// lane), in the order the outcomes arrive; like any message it waits
  /// while the actor awaits a response. Actor thread only.
  void set_park_handler(park_handler f);

  /// Manual credit: returns up to `n` consumed messages' credit to their
  /// endpoints. Actor thread only. @returns credit granted.
  std::size_t grant(std::size_t n);

  /// Manual credit: consumed messages whose credit was not granted back.
  std::size_t credit_owed() const {
    return core_.owed();
  }

  /// True while this actor has parked messages at a full block mailbox and
  /// therefore drains no ordinary messages. Actor thread only.
  bool suspended() const noexcept {
    return parked_out_ > 0;
  }

  // -- CAF overrides (CAF 0.17 internals) ------------------------------------

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override;

  caf::resumable::resume_result resume(caf::execution_unit* eu,
                                       std::size_t max_throughput) override;

  caf::invoke_message_result consume(caf::mailbox_element& x) override;

  bool cleanup(caf::error&& reason, caf::execution_unit* host) override;

  // -- internal, used by endpoints and send.hpp --------------------------------

  /// @private
  send_result offer_endpoint(caf::mailbox_element_ptr elem,
                             detail::endpoint_lease& l);

  /// @private
  detail::core_type& core() noexcept {
    return core_;
  }

  /// @private endpoint owned by this actor (actor thread only)
  void register_endpoint(std::uint64_t id,
                         std::weak_ptr<detail::endpoint_lease> l);

private:
  using effects = detail::core_type::effects;

  bool drain();
  bool run(caf::mailbox_element_ptr ptr);
  std::size_t run_skipped();
  void post_drain(caf::execution_unit* eu);
  /// offer() for a message the lock-free admission did not take: classifies
  /// the sender (which may park it or block the calling thread).
  detail::core_type::offer_result offer_slow(caf::mailbox_element* raw,
                                             const detail::send_ctx* ctx);
  void maybe_resume_drain();
  void dispatch(effects& fx);
  /// Reports a lost message to the dead-letter hook; a request gets the
  /// error response for `why`.
  void lose(caf::mailbox_element_ptr ptr, loss why);
  /// A parked message's outcome arrived: ends the suspension with the last.
  void on_park_outcome();
  /// Runs the waiting user calls unless a response is awaited.
  void run_user_calls();
  void on_writable(std::uint64_t endpoint_id);
  void note_parked();

  std::shared_ptr<detail::runtime_state> rt_;
  std::string name_;
  detail::core_type core_;

  // Control-lane messages enqueued but not yet consumed (an estimate used to
  // yield the drain to exit/down/responses). Any thread increments.
  std::atomic<std::int64_t> control_pending_{0};

  std::shared_ptr<const dead_letter_hook> hook_; // atomic_load/atomic_store
  std::mutex reconfigure_mtx_; // serializes reconfigure() callers
  park_handler park_handler_;  // actor thread only
  /// A park outcome for park_handler_ or a writable callback to run.
  struct user_call {
    bool writable;
    send_status outcome;
    caf::actor_addr target;
    std::uint64_t endpoint;
  };
  std::deque<user_call> user_calls_; // actor thread only

  // -- actor thread only -------------------------------------------------------
  std::size_t drain_batch_;
  caf::message drain_msg_;
  /// A skipped message and the core's token for it (its credit lease).
  struct held_message {
    caf::mailbox_element_ptr ptr;
    detail::core_type::held_token token;
  };
  std::deque<held_message> skipped_;
  // Messages the drain took from the core with one lock (pop_batch) and has
  // not handled yet; they survive a yield to the next pass.
  static constexpr std::size_t max_batch = 16;
  caf::mailbox_element* batch_[max_batch] = {};
  std::size_t batch_pos_ = 0;
  std::size_t batch_len_ = 0;
  bool batch_counted_ = false;
  bool in_ordinary_ = false;
  bool retry_skipped_ = false;
  bool deferred_ = false;
  // CAF's max-throughput for the current resume(), counted in ordinary
  // messages (CAF itself counts a whole drain pass as one message); when it
  // runs out the drain stops and resume() re-schedules the actor behind the
  // others (out_of_budget_).
  std::size_t budget_ = 0;
  bool out_of_budget_ = false;
  std::size_t parked_out_ = 0;
  std::chrono::steady_clock::time_point suspended_since_;
  effects fx_;
  std::unordered_map<std::uint64_t, std::weak_ptr<detail::endpoint_lease>>
    endpoints_;
  std::size_t prune_endpoints_at_ = 16; // see register_endpoint()
};

/// A sluice actor with a state object, like caf::stateful_actor<State>.
template <class State>
using stateful_actor = caf::stateful_actor<State, sluice::actor>;

} // namespace sluice
