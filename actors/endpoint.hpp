// sluice::endpoint — a credit-holding sender to one credit mailbox.
//
//   auto out = sluice::connect(self, sink);          // actor endpoint
//   auto r = out.send(42);                           // spends one credit
//   if (r.status() == sluice::send_status::no_credit)
//     out.on_writable([=] { /* flush */ });         // on self's control lane
//
// The endpoint's window is leased from the receiver's capacity, so credit
// outstanding never exceeds capacity. Endpoints refused a lease wait FIFO.
// Destroying the endpoint (or its owning actor terminating) returns the
// credit. If the receiver is not in credit mode, send() behaves like
// sluice::send from the owner.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message_id.hpp>

#include "actors/actor.hpp"
#include "actors/send.hpp"

namespace sluice {

namespace detail {

class endpoint_lease : public core::lease {
public:
  endpoint_lease(caf::actor target, sluice::actor* target_impl,
                 sluice::actor* owner, std::uint64_t id);

  void writable() noexcept override;

  caf::actor target;
  sluice::actor* target_impl;
  caf::actor_addr owner; // null for thread endpoints
  std::uint64_t id;

  void set_callback(std::function<void()> f);
  void call_callback();

private:
  std::mutex cb_mtx_; // writable() may run on any thread for thread endpoints
  std::function<void()> callback_;
};

} // namespace detail

class endpoint {
public:
  endpoint() = default;
  explicit endpoint(std::shared_ptr<detail::endpoint_lease> l)
    : lease_(std::move(l)) {}
  endpoint(endpoint&&) noexcept = default;
  endpoint& operator=(endpoint&& other) noexcept;
  endpoint(const endpoint&) = delete;
  endpoint& operator=(const endpoint&) = delete;
  ~endpoint();

  explicit operator bool() const noexcept {
    return lease_ != nullptr;
  }

  const caf::actor& target() const noexcept;

  /// Spends one credit and sends; no credit -> no_credit with the message
  /// handed back (the endpoint is told writable when credit arrives).
  template <class... Ts>
  send_result send(Ts&&... xs) {
    return send_message(caf::make_message(std::forward<Ts>(xs)...));
  }

  send_result send_message(caf::message msg);

  /// Credit available now.
  std::size_t credit() const;

  /// Thread endpoints: waits until credit is available or `timeout` passes;
  /// true if there is credit. Never waits on an actor's endpoint, inside an
  /// actor or on one of CAF's threads (workers, clock, middleman, detached
  /// actors): there it only says whether there is credit now (actors use
  /// on_writable()).
  bool wait_writable(std::chrono::nanoseconds timeout);

  /// Called when credit arrives after a refused send: on the owning actor's
  /// control lane for actor endpoints; on the granting thread for thread
  /// endpoints (must not block).
  void on_writable(std::function<void()> f);

  /// Returns the credit now (same as destroying the endpoint).
  void close();

private:
  std::shared_ptr<detail::endpoint_lease> lease_;
};

/// An endpoint owned by sluice actor `self` to credit mailbox `dest`.
/// Throws std::invalid_argument if `dest` is not a sluice actor.
endpoint connect(sluice::actor* self, const caf::actor& dest);

/// An endpoint owned by the calling (non-actor) thread.
endpoint connect(this_thread_t, const caf::actor& dest);

} // namespace sluice
