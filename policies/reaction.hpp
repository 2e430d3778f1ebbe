// The vocabulary shared by the policy headers and the mailbox core: who is
// sending, and what a full mailbox does with the arriving message.
// CAF-free.
#pragma once

#include <cstdint>
#include <string_view>

namespace sluice {

/// Who is sending, as far as admission is concerned.
enum class sender_kind : std::uint8_t {
  self,      ///< the receiving actor itself
  actor,     ///< a sluice actor: can be parked without holding a thread
  thread,    ///< a managed (non-CAF) thread: can block with a timeout
  endpoint,  ///< a credit endpoint holding a lease at this mailbox
  unmanaged, ///< plain CAF actor, CAF-owned thread, remote node
};

/// What happens to a message arriving at a full mailbox.
enum class reaction : std::uint8_t {
  admit_over, ///< admit over capacity, counted (self-sends)
  park,       ///< park the message; suspend the sending actor
  wait,       ///< block the sending thread until space or timeout
  refuse,     ///< refuse the arriving message (drop-newest)
  evict,      ///< evict the oldest queued message, admit this one
  overcommit, ///< admit within the overcommit allowance, else dead-letter
  no_credit,  ///< refuse: the endpoint has no credit left
};

constexpr std::string_view to_string(sender_kind x) noexcept {
  switch (x) {
    case sender_kind::self:
      return "self";
    case sender_kind::actor:
      return "actor";
    case sender_kind::thread:
      return "thread";
    case sender_kind::endpoint:
      return "endpoint";
    case sender_kind::unmanaged:
      return "unmanaged";
  }
  return "invalid-sender-kind";
}

constexpr std::string_view to_string(reaction x) noexcept {
  switch (x) {
    case reaction::admit_over:
      return "admit-over";
    case reaction::park:
      return "park";
    case reaction::wait:
      return "wait";
    case reaction::refuse:
      return "refuse";
    case reaction::evict:
      return "evict";
    case reaction::overcommit:
      return "overcommit";
    case reaction::no_credit:
      return "no-credit";
  }
  return "invalid-reaction";
}

} // namespace sluice
