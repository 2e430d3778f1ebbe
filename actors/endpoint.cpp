#include "actors/endpoint.hpp"

#include <atomic>
#include <stdexcept>

#include <caf/actor_cast.hpp>
#include <caf/atom.hpp>

namespace sluice {

namespace detail {

namespace {

std::atomic<std::uint64_t> next_endpoint_id{1};

} // namespace

endpoint_lease::endpoint_lease(caf::actor target_hdl, sluice::actor* target_ptr,
                               sluice::actor* owner_ptr, std::uint64_t ep_id)
  : target(std::move(target_hdl)), target_impl(target_ptr),
    owner(owner_ptr != nullptr ? owner_ptr->address() : caf::actor_addr{}),
    id(ep_id) {}

void endpoint_lease::writable() noexcept {
  if (owner) {
    // Actor endpoint: signal on the owner's control lane; the owner runs the
    // callback on its own thread.
    if (auto hdl = caf::actor_cast<caf::strong_actor_ptr>(owner))
      hdl->enqueue(caf::make_mailbox_element(
                     nullptr, caf::make_message_id(), {},
                     caf::atom_constant<caf::atom("sl_write")>::value, id),
                   nullptr);
    return;
  }
  call_callback(); // thread endpoint: on the granting thread
}

void endpoint_lease::set_callback(std::function<void()> f) {
  std::lock_guard<std::mutex> guard{cb_mtx_};
  callback_ = std::move(f);
}

void endpoint_lease::call_callback() {
  std::function<void()> f;
  {
    std::lock_guard<std::mutex> guard{cb_mtx_};
    f = callback_;
  }
  if (f)
    f();
}

} // namespace detail

namespace {

std::shared_ptr<detail::endpoint_lease> make_lease(sluice::actor* owner,
                                                   const caf::actor& dest) {
  // (actor_cast of an invalid handle to a raw pointer is not null: check)
  auto* impl = dest ? dynamic_cast<sluice::actor*>(
                 caf::actor_cast<caf::abstract_actor*>(dest))
                    : nullptr;
  if (impl == nullptr)
    throw std::invalid_argument(
      "sluice::connect: the destination is not a sluice actor");
  // relaxed: ids only need to be unique
  auto id = detail::next_endpoint_id.fetch_add(1, std::memory_order_relaxed);
  auto l = std::make_shared<detail::endpoint_lease>(dest, impl, owner, id);
  detail::core_type::effects fx;
  impl->core().attach(l, fx);
  for (auto& x : fx.writable)
    x->writable();
  if (owner != nullptr)
    owner->register_endpoint(id, l);
  return l;
}

} // namespace

endpoint connect(sluice::actor* self, const caf::actor& dest) {
  if (self == nullptr)
    throw std::invalid_argument("sluice::connect: self is null");
  return endpoint{make_lease(self, dest)};
}

endpoint connect(this_thread_t, const caf::actor& dest) {
  return endpoint{make_lease(nullptr, dest)};
}

endpoint& endpoint::operator=(endpoint&& other) noexcept {
  if (this != &other) {
    close();
    lease_ = std::move(other.lease_);
  }
  return *this;
}

endpoint::~endpoint() {
  close();
}

void endpoint::close() {
  if (!lease_)
    return;
  detail::core_type::effects fx;
  lease_->target_impl->core().detach(*lease_, fx);
  for (auto& x : fx.writable)
    x->writable();
  lease_.reset();
}

const caf::actor& endpoint::target() const noexcept {
  static const caf::actor none;
  return lease_ ? lease_->target : none;
}

send_result endpoint::send_message(caf::message msg) {
  if (!lease_)
    return send_result{send_status::closed, std::move(msg)};
  caf::strong_actor_ptr sender;
  if (lease_->owner)
    sender = caf::actor_cast<caf::strong_actor_ptr>(lease_->owner);
  return lease_->target_impl->offer_endpoint(
    caf::make_mailbox_element(std::move(sender), caf::make_message_id(), {},
                              std::move(msg)),
    *lease_);
}

std::size_t endpoint::credit() const {
  return lease_ ? lease_->target_impl->core().credit_of(*lease_) : 0;
}

bool endpoint::wait_writable(std::chrono::nanoseconds timeout) {
  if (!lease_)
    return false;
  // Never block an actor or one of CAF's threads (a worker would stall every
  // actor scheduled on it): there the answer is only "credit now?".
  if (lease_->owner || detail::current_actor() != nullptr
      || detail::on_caf_thread())
    return credit() > 0;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  return lease_->target_impl->core().wait_credit(*lease_, deadline) > 0;
}

void endpoint::on_writable(std::function<void()> f) {
  if (lease_)
    lease_->set_callback(std::move(f));
}

} // namespace sluice
