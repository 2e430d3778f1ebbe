// sluice::mailbox — the validated description of one bounded mailbox.
//
// A value object with named factories (block, drop_newest, drop_oldest,
// credit): an invalid mailbox cannot be built. Fields left unset take the
// runtime's configured defaults (docs/configuration.md); a named mailbox can
// be overridden from the config file or command line by its name.
//
// CAF-free: tests and the core include this without CAF.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sluice {

/// What a full mailbox does with the next ordinary message.
enum class policy : std::uint8_t {
  block,       ///< the sender waits (parked actor / blocked thread)
  drop_newest, ///< the arriving message is refused
  drop_oldest, ///< the oldest queued message is evicted
  credit,      ///< senders hold credit leased from capacity; none -> no_credit
};

/// How a credit receiver returns credit to its endpoints.
enum class credit_mode : std::uint8_t {
  automatic, ///< after consuming half a window from an endpoint
  manual,    ///< only when the receiver calls self->grant(n)
};

std::string_view to_string(policy x) noexcept;
std::string_view to_string(credit_mode x) noexcept;

/// Parses "block", "drop-newest", "drop-oldest" or "credit".
std::optional<policy> parse_policy(std::string_view str) noexcept;

/// Thrown by the factories and modifiers of `mailbox` for invalid settings.
class invalid_mailbox : public std::invalid_argument {
public:
  using std::invalid_argument::invalid_argument;
};

class mailbox {
public:
  using duration = std::chrono::nanoseconds;

  // -- named factories --------------------------------------------------------

  /// Nothing lost; a full mailbox makes the sender wait.
  static mailbox block(std::size_t capacity);

  /// Never blocks; a full mailbox refuses the arriving message.
  static mailbox drop_newest(std::size_t capacity);

  /// Never blocks; a full mailbox evicts its oldest queued message.
  static mailbox drop_oldest(std::size_t capacity);

  /// Never blocks, never loses: senders spend credit leased in windows of
  /// `window` messages from `capacity` (window <= capacity).
  static mailbox credit(std::size_t capacity, std::size_t window);

  /// Everything from the runtime's defaults (config `sluice.default-*`).
  static mailbox defaults();

  // -- modifiers (return a copy; throw invalid_mailbox) -------------------------

  /// Names the mailbox: reports, stats and config overrides use the name.
  mailbox named(std::string name) const;

  /// How long a managed thread waits on a full block mailbox (> 0).
  mailbox with_block_timeout(duration timeout) const;

  /// Messages one sluice actor may have parked at this mailbox (>= 1).
  mailbox with_park_limit(std::size_t limit) const;

  /// Messages from unmanaged senders admitted over capacity (>= 0).
  mailbox with_overcommit(std::size_t allowance) const;

  /// Credit is returned only when the receiver grants it.
  mailbox with_manual_credit() const;

  // -- observers (unset fields are std::nullopt) ------------------------------

  const std::string& name() const noexcept {
    return name_;
  }
  std::optional<sluice::policy> policy() const noexcept {
    return policy_;
  }
  std::optional<std::size_t> capacity() const noexcept {
    return capacity_;
  }
  std::optional<std::size_t> window() const noexcept {
    return window_;
  }
  std::optional<duration> block_timeout() const noexcept {
    return block_timeout_;
  }
  std::optional<std::size_t> park_limit() const noexcept {
    return park_limit_;
  }
  std::optional<std::size_t> overcommit() const noexcept {
    return overcommit_;
  }
  std::optional<sluice::credit_mode> credit_mode() const noexcept {
    return credit_mode_;
  }

  /// Fills every unset field from `fallback`, keeping set ones.
  mailbox merged_over(const mailbox& fallback) const;

  /// Replaces fields with those that `overrides` sets. Validates the result.
  mailbox overridden_by(const mailbox& overrides) const;

  /// Empty mailbox description used to collect overrides field by field.
  static mailbox blank();

  // Field setters for config binding; each validates its argument.
  mailbox& set_policy(sluice::policy x);
  mailbox& set_capacity(std::size_t x);
  mailbox& set_window(std::size_t x);
  mailbox& set_block_timeout(duration x);
  mailbox& set_park_limit(std::size_t x);
  mailbox& set_overcommit(std::size_t x);
  mailbox& set_credit_mode(sluice::credit_mode x);

  /// Throws invalid_mailbox if the combination is inconsistent (for example
  /// window > capacity). Called by all factories.
  void validate() const;

  friend bool operator==(const mailbox& x, const mailbox& y) noexcept;

private:
  mailbox() = default;

  std::string name_;
  std::optional<sluice::policy> policy_;
  std::optional<std::size_t> capacity_;
  std::optional<std::size_t> window_;
  std::optional<duration> block_timeout_;
  std::optional<std::size_t> park_limit_;
  std::optional<std::size_t> overcommit_;
  std::optional<sluice::credit_mode> credit_mode_;
};

/// A mailbox with every field set: what a live mailbox runs with.
struct resolved_mailbox {
  std::string name;
  sluice::policy policy = sluice::policy::block;
  std::size_t capacity = 0;
  std::size_t window = 0;
  mailbox::duration block_timeout{0};
  std::size_t park_limit = 0;
  std::size_t overcommit = 0;
  sluice::credit_mode credit_mode = sluice::credit_mode::automatic;
};

/// Resolves `x` (all fields of `defaults` must be set). Throws invalid_mailbox.
resolved_mailbox resolve(const mailbox& x, const mailbox& defaults);

std::string to_string(const resolved_mailbox& x);

} // namespace sluice
