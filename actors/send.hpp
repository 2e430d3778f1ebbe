// The sluice send API: results instead of silence.
//
//   auto r = sluice::send(self, dest, x, y);               // may park/block
//   auto r = sluice::try_send(self, dest, x);              // never waits
//   auto r = sluice::send_for(50ms, sluice::this_thread, dest, x);
//
// The sender is a sluice actor (`self`) or the calling thread
// (`sluice::this_thread`, a managed thread that may block). The result says
// what happened and hands the message back when it was not taken. Plain CAF
// sends to a sluice actor are governed by the same policy; they just cannot
// report back (losses go to the dead-letter hook).
#pragma once

#include <chrono>

#include <caf/actor.hpp>
#include <caf/message.hpp>

#include "runtime/send_result.hpp"

namespace sluice {

class actor;

/// Tag: the sender is the calling thread.
struct this_thread_t {};
constexpr this_thread_t this_thread{};

namespace detail {

enum class send_mode : std::uint8_t { normal, try_only };

send_result deliver(sluice::actor* self, const caf::actor& dest,
                    caf::message msg, send_mode mode,
                    std::chrono::nanoseconds timeout);

} // namespace detail

/// Sends as `self`: parks `self` when a block mailbox is full.
template <class... Ts>
[[nodiscard]] send_result send(sluice::actor* self, const caf::actor& dest,
                               Ts&&... xs) {
  return detail::deliver(self, dest, caf::make_message(std::forward<Ts>(xs)...),
                         detail::send_mode::normal,
                         std::chrono::nanoseconds{0});
}

/// Sends from the calling thread: blocks up to the block-timeout when a
/// block mailbox is full.
template <class... Ts>
[[nodiscard]] send_result send(this_thread_t, const caf::actor& dest,
                               Ts&&... xs) {
  return detail::deliver(
    nullptr, dest, caf::make_message(std::forward<Ts>(xs)...),
    detail::send_mode::normal, std::chrono::nanoseconds{0});
}

/// Never waits: a full block mailbox answers would_block.
template <class... Ts>
[[nodiscard]] send_result try_send(sluice::actor* self, const caf::actor& dest,
                                   Ts&&... xs) {
  return detail::deliver(self, dest, caf::make_message(std::forward<Ts>(xs)...),
                         detail::send_mode::try_only,
                         std::chrono::nanoseconds{0});
}

template <class... Ts>
[[nodiscard]] send_result try_send(this_thread_t, const caf::actor& dest,
                                   Ts&&... xs) {
  return detail::deliver(
    nullptr, dest, caf::make_message(std::forward<Ts>(xs)...),
    detail::send_mode::try_only, std::chrono::nanoseconds{0});
}

/// From a thread: waits at most `timeout` on a full block mailbox.
template <class Rep, class Period, class... Ts>
[[nodiscard]] send_result send_for(std::chrono::duration<Rep, Period> timeout,
                                   this_thread_t, const caf::actor& dest,
                                   Ts&&... xs) {
  auto t = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout);
  if (t.count() <= 0)
    t = std::chrono::nanoseconds{1};
  return detail::deliver(nullptr, dest,
                         caf::make_message(std::forward<Ts>(xs)...),
                         detail::send_mode::normal, t);
}

} // namespace sluice
