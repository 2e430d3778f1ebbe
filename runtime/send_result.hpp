// sluice::send_result — what happened to one send.
//
// `status` says who acts next: accepted / accepted_evicted / parked need
// nothing from the caller; every other status hands the message back in
// `message` (the caller decides: retry, log, drop).
#pragma once

#include <cstdint>
#include <ostream>
#include <string_view>

#include <caf/message.hpp>

namespace sluice {

enum class send_status : std::uint8_t {
  accepted,         ///< queued (possibly over capacity: see over_capacity)
  accepted_evicted, ///< queued; drop-oldest evicted the oldest message
  parked,           ///< the sending actor is suspended until admitted
  dropped,          ///< drop-newest refused it (mailbox full)
  would_block,      ///< full and the caller may not wait (try_send, park limit)
  timed_out,        ///< a blocked thread waited its timeout
  no_credit,        ///< the endpoint has no credit; wait for writable
  closed,           ///< the receiver is gone
  dead_lettered,    ///< unmanaged-sender rule: beyond the overcommit allowance
};

std::string_view to_string(send_status x) noexcept;

/// True if the receiver took the message (now or, for parked, later).
constexpr bool taken(send_status x) noexcept {
  switch (x) {
    case send_status::accepted:
    case send_status::accepted_evicted:
    case send_status::parked:
      return true;
    case send_status::dropped:
    case send_status::would_block:
    case send_status::timed_out:
    case send_status::no_credit:
    case send_status::closed:
    case send_status::dead_lettered:
      return false;
  }
  return false;
}

class [[nodiscard]] send_result {
public:
  send_result() = default;
  send_result(send_status status, caf::message returned = {},
              bool over_capacity = false)
    : status_(status), message_(std::move(returned)),
      over_capacity_(over_capacity) {}

  send_status status() const noexcept {
    return status_;
  }

  /// The message handed back when not taken (empty otherwise).
  caf::message& message() noexcept {
    return message_;
  }
  const caf::message& message() const noexcept {
    return message_;
  }

  /// Accepted beyond capacity (self-send or overcommit allowance).
  bool over_capacity() const noexcept {
    return over_capacity_;
  }

  bool taken() const noexcept {
    return sluice::taken(status_);
  }

  explicit operator bool() const noexcept {
    return taken();
  }

private:
  send_status status_ = send_status::closed;
  caf::message message_;
  bool over_capacity_ = false;
};

std::string to_string(const send_result& x);

inline std::ostream& operator<<(std::ostream& out, send_status x) {
  return out << to_string(x);
}

/// GoogleTest printer.
inline void PrintTo(send_status x, std::ostream* out) {
  *out << to_string(x);
}

} // namespace sluice
