// sluice::runtime — sluice's shared state next to a caf::actor_system.
//
// CAF 0.17 has no way to add a module, so users create one runtime right
// after the actor_system and keep it alive as long as the system runs:
//
//   sluice::config cfg;              // or sluice::configure(my_cfg)
//   cfg.parse(argc, argv);
//   caf::actor_system sys{cfg};
//   sluice::runtime rt{sys};         // validates sluice.* settings
//
// The runtime owns the validated settings, the dead-letter hook and the
// registry of live mailboxes (what stats listings and the stall supervisor
// visit).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>
#include <caf/message_id.hpp>

#include "runtime/config.hpp"
#include "runtime/mailbox.hpp"
#include "runtime/stats.hpp"

namespace sluice {

class actor;

/// Why a message reached the dead-letter hook.
enum class loss : std::uint8_t {
  dropped,           ///< drop-newest refused it
  evicted,           ///< drop-oldest evicted it
  would_block,       ///< park limit reached on a plain (void) send
  timed_out,         ///< a blocked thread's timeout expired on a plain send
  no_credit,         ///< (reserved: endpoint sends hand the message back)
  closed,            ///< the receiver terminated before admitting it
  overcommit,        ///< unmanaged sender beyond the overcommit allowance
  discarded_on_exit, ///< still queued when the receiver terminated
  held_discarded,    ///< taken by the receiver (skipped, or in its drain
                     ///< batch) but never handled: it terminated first
  shed,              ///< a waiting message refused by a policy change
};

std::string_view to_string(loss x) noexcept;

/// One lost message, as the dead-letter hook sees it.
struct dead_letter {
  std::string mailbox;          ///< the receiver's mailbox name
  caf::actor_addr receiver;     ///< the receiver
  caf::strong_actor_ptr sender; ///< may be null (anonymous sends)
  caf::message_id mid;          ///< mid.is_request(): the sender got an error
  caf::message content;         ///< the message itself
  sluice::loss reason = loss::dropped;
};

/// Called on the thread that decided the loss: the sender's thread for
/// refusals and drop-oldest evictions, the receiver's thread for messages
/// discarded at exit or admitted-then-closed parked messages, the thread
/// that called reconfigure() for shed messages. Must not block and must not
/// send to the receiver with a blocking policy.
using dead_letter_hook = std::function<void(const dead_letter&)>;

namespace detail {

/// The runtime's state; actors keep it alive through a shared_ptr.
class runtime_state {
public:
  explicit runtime_state(caf::actor_system& sys, runtime_settings settings);

  /// The state registered for `sys`, or throws std::logic_error.
  static std::shared_ptr<runtime_state> of(caf::actor_system& sys);

  const runtime_settings& settings() const noexcept {
    return settings_;
  }

  /// Applies config overrides by name, then defaults. Throws invalid_mailbox.
  resolved_mailbox resolve(const mailbox& m);

  void set_hook(dead_letter_hook f);
  void report(const dead_letter& x) const;

  void add(sluice::actor* x);
  void remove(sluice::actor* x);
  std::vector<mailbox_stats> list() const;

  /// Override names never matched by a created mailbox.
  std::vector<std::string> unused_overrides() const;

  caf::actor_system& system() noexcept {
    return *sys_;
  }

private:
  caf::actor_system* sys_;
  runtime_settings settings_;
  mutable std::mutex mtx_; // guards everything below
  std::shared_ptr<const dead_letter_hook> hook_;
  std::set<std::string> used_overrides_;
  std::set<sluice::actor*> live_;
};

} // namespace detail

/// Registers sluice's options and its CAF thread marker on `cfg`. Call
/// before cfg.parse() and before constructing the actor_system.
void configure(caf::actor_system_config& cfg);

/// An actor_system_config with sluice's options and thread marker.
class config : public caf::actor_system_config {
public:
  config();
};

class runtime {
public:
  /// Reads and validates the sluice.* settings (throws config_error) and
  /// registers itself for `sys` (throws std::logic_error if `sys` was not
  /// configured with sluice::configure or already has a runtime).
  explicit runtime(caf::actor_system& sys);

  /// Waits for all actors of the system to terminate (as the actor_system's
  /// own destructor does), then reports config overrides that matched no
  /// mailbox to stderr.
  ~runtime();

  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  const runtime_settings& settings() const noexcept {
    return state_->settings();
  }

  /// Replaces the runtime-wide dead-letter hook (per-mailbox hooks win).
  void set_dead_letter_hook(dead_letter_hook f);

  /// Every live sluice mailbox with its name and stats.
  std::vector<mailbox_stats> mailboxes() const;

  /// Config override names that matched no mailbox so far.
  std::vector<std::string> unused_overrides() const;

private:
  std::shared_ptr<detail::runtime_state> state_;
};

/// Stats of a sluice actor's mailbox; std::nullopt for other actors.
std::optional<mailbox_stats> stats(const caf::actor& x);

/// Switches policy and capacity of a live sluice mailbox from any thread
/// (sluice::actor::reconfigure; the stall supervisor's load shedding).
/// @returns false, changing nothing, if `x` is not a sluice actor.
/// @throws invalid_mailbox naming the field if `m` is invalid (e.g. a
/// window larger than the capacity).
bool reconfigure(const caf::actor& x, const sluice::mailbox& m);

/// Replaces a sluice mailbox's own dead-letter hook (wins over the
/// runtime's) from any thread. Losses before the call go to the runtime's.
/// @returns false, changing nothing, if `x` is not a sluice actor.
bool set_dead_letter_hook(const caf::actor& x, dead_letter_hook f);

} // namespace sluice
