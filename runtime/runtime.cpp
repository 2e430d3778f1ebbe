#include "runtime/runtime.hpp"

#include <iostream>
#include <map>
#include <stdexcept>

#include <caf/deep_to_string.hpp>
#include <caf/thread_hook.hpp>

#include "actors/actor.hpp"
#include "runtime/errors.hpp"

namespace sluice {

std::string_view to_string(loss x) noexcept {
  switch (x) {
    case loss::dropped:
      return "dropped";
    case loss::evicted:
      return "evicted";
    case loss::would_block:
      return "would-block";
    case loss::timed_out:
      return "timed-out";
    case loss::no_credit:
      return "no-credit";
    case loss::closed:
      return "closed";
    case loss::overcommit:
      return "overcommit";
    case loss::discarded_on_exit:
      return "discarded-on-exit";
    case loss::held_discarded:
      return "held-discarded";
    case loss::shed:
      return "shed";
  }
  return "invalid-loss";
}

namespace {

// -- which threads belong to CAF -------------------------------------------------

thread_local bool tl_caf_thread = false;

std::mutex registry_mtx; // guards the map below
std::map<const caf::actor_system*, std::weak_ptr<detail::runtime_state>>
  runtimes;

/// Marks every thread the actor system starts (workers, clock, middleman,
/// detached actors, logger) so sluice never blocks one of them.
class caf_thread_marker : public caf::thread_hook {
public:
  void init(caf::actor_system&) override {
    // nop
  }
  void thread_started() override {
    tl_caf_thread = true;
  }
  void thread_terminates() override {
    tl_caf_thread = false;
  }
};

/// True if `sys` was built from a config that went through configure(). Asks
/// the system's own config rather than a registry of system addresses: a
/// new system may reuse the address of a destroyed configured one.
bool configured_for_sluice(const caf::actor_system& sys) {
  for (auto& hook : sys.config().thread_hooks_)
    if (dynamic_cast<const caf_thread_marker*>(hook.get()) != nullptr)
      return true;
  return false;
}

} // namespace

bool detail::on_caf_thread() noexcept {
  return tl_caf_thread;
}

// -- configuration entry points ------------------------------------------------

void configure(caf::actor_system_config& cfg) {
  add_options(cfg);
  cfg.add_thread_hook<caf_thread_marker>();
  // (CAF 0.17's add_error_category<T> template does not compile: its renderer
  // has the wrong signature, so sluice passes its own.)
  cfg.add_error_category(error_category, [](std::uint8_t code, caf::atom_value,
                                            const caf::message& ctx) {
    auto str = "sluice: " + to_string(static_cast<sec>(code));
    if (!ctx.empty())
      str += " (" + caf::deep_to_string(ctx) + ")";
    return str;
  });
}

config::config() {
  configure(*this);
}

// -- runtime state ------------------------------------------------------------------

namespace detail {

runtime_state::runtime_state(caf::actor_system& sys, runtime_settings settings)
  : sys_(&sys), settings_(std::move(settings)) {}

std::shared_ptr<runtime_state> runtime_state::of(caf::actor_system& sys) {
  std::lock_guard<std::mutex> guard{registry_mtx};
  auto i = runtimes.find(&sys);
  if (i != runtimes.end())
    if (auto ptr = i->second.lock())
      return ptr;
  throw std::logic_error("sluice: no sluice::runtime exists for this "
                         "actor_system; create one right after the system");
}

resolved_mailbox runtime_state::resolve(const mailbox& m) {
  auto eff = m;
  if (!m.name().empty()) {
    auto i = settings_.overrides.find(m.name());
    if (i != settings_.overrides.end()) {
      eff = m.overridden_by(i->second);
      std::lock_guard<std::mutex> guard{mtx_};
      used_overrides_.insert(m.name());
    }
  }
  return sluice::resolve(eff, settings_.defaults);
}

void runtime_state::set_hook(dead_letter_hook f) {
  auto p = std::make_shared<const dead_letter_hook>(std::move(f));
  std::lock_guard<std::mutex> guard{mtx_};
  hook_ = std::move(p);
}

void runtime_state::report(const dead_letter& x) const {
  std::shared_ptr<const dead_letter_hook> h;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    h = hook_;
  }
  if (h != nullptr && *h)
    (*h)(x);
}

void runtime_state::add(sluice::actor* x) {
  std::lock_guard<std::mutex> guard{mtx_};
  live_.insert(x);
}

void runtime_state::remove(sluice::actor* x) {
  std::lock_guard<std::mutex> guard{mtx_};
  live_.erase(x);
}

std::vector<mailbox_stats> runtime_state::list() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<mailbox_stats> result;
  result.reserve(live_.size());
  for (auto* x : live_)
    result.push_back(x->stats()); // counters: lock-free reads
  return result;
}

std::vector<std::string> runtime_state::unused_overrides() const {
  std::lock_guard<std::mutex> guard{mtx_};
  std::vector<std::string> result;
  for (auto& kvp : settings_.overrides)
    if (used_overrides_.count(kvp.first) == 0)
      result.push_back(kvp.first);
  return result;
}

} // namespace detail

// -- runtime ---------------------------------------------------------------------------

runtime::runtime(caf::actor_system& sys) {
  if (!configured_for_sluice(sys))
    throw std::logic_error(
      "sluice: the actor_system was not configured for sluice; call "
      "sluice::configure(cfg) (or use sluice::config) before creating it");
  auto state
    = std::make_shared<detail::runtime_state>(sys, read_settings(sys.config()));
  // check and register in one critical section: two runtimes constructed
  // at once for the same system cannot both succeed
  std::lock_guard<std::mutex> guard{registry_mtx};
  auto& slot = runtimes[&sys];
  if (!slot.expired())
    throw std::logic_error("sluice: this actor_system already has a "
                           "sluice::runtime");
  slot = state;
  state_ = std::move(state);
}

runtime::~runtime() {
  state_->system().await_all_actors_done();
  for (auto& name : state_->unused_overrides())
    std::cerr << "sluice: config override for mailbox '" << name
              << "' matched no mailbox\n";
  std::lock_guard<std::mutex> guard{registry_mtx};
  runtimes.erase(&state_->system());
}

void runtime::set_dead_letter_hook(dead_letter_hook f) {
  state_->set_hook(std::move(f));
}

std::vector<mailbox_stats> runtime::mailboxes() const {
  return state_->list();
}

std::vector<std::string> runtime::unused_overrides() const {
  return state_->unused_overrides();
}

namespace {

/// The sluice actor behind a handle; nullptr for an empty handle or another
/// kind of actor. (The handle keeps the object alive, even after it exited.)
sluice::actor* sluice_impl(const caf::actor& x) {
  if (!x)
    return nullptr;
  return dynamic_cast<sluice::actor*>(caf::actor_cast<caf::abstract_actor*>(x));
}

} // namespace

std::optional<mailbox_stats> stats(const caf::actor& x) {
  if (auto* impl = sluice_impl(x))
    return impl->stats();
  return std::nullopt;
}

bool reconfigure(const caf::actor& x, const sluice::mailbox& m) {
  auto* impl = sluice_impl(x);
  if (impl == nullptr)
    return false;
  impl->reconfigure(m);
  return true;
}

bool set_dead_letter_hook(const caf::actor& x, dead_letter_hook f) {
  auto* impl = sluice_impl(x);
  if (impl == nullptr)
    return false;
  impl->set_dead_letter_hook(std::move(f));
  return true;
}

} // namespace sluice
