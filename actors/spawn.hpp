// sluice::spawn — CAF's spawn with a mailbox description.
//
//   auto a = sluice::spawn<my_actor>(sys, sluice::mailbox::block(64), args...);
//   auto b = sluice::spawn(sys, sluice::mailbox::drop_oldest(8).named("b"),
//                          [](sluice::actor* self) -> caf::behavior {...});
//   auto c = sluice::spawn<my_actor, caf::linked>(self, mbox, args...);
//
// Class-based spawns need a class deriving from sluice::actor; function-based
// ones a function whose first parameter is `sluice::actor*` or
// `sluice::stateful_actor<S>*`. CAF's spawn options (linked, monitored,
// detached, lazy_init) work as usual.
#pragma once

#include <type_traits>
#include <utility>

#include <caf/actor_system.hpp>
#include <caf/infer_handle.hpp>
#include <caf/spawn_options.hpp>

#include "actors/actor.hpp"

namespace sluice {

namespace detail {

struct pending_mailbox_guard {
  explicit pending_mailbox_guard(const mailbox& m) {
    set_pending_mailbox(m);
  }
  ~pending_mailbox_guard() {
    clear_pending_mailbox();
  }
  pending_mailbox_guard(const pending_mailbox_guard&) = delete;
  pending_mailbox_guard& operator=(const pending_mailbox_guard&) = delete;
};

template <class F>
using fun_impl_t = typename caf::infer_handle_from_fun<F>::impl;

} // namespace detail

/// Spawns class `Impl` (derived from sluice::actor) in `sys`.
template <class Impl, caf::spawn_options Os = caf::no_spawn_options,
          class... Ts>
caf::actor spawn(caf::actor_system& sys, const mailbox& m, Ts&&... xs) {
  static_assert(std::is_base_of<sluice::actor, Impl>::value,
                "sluice::spawn<Impl>: Impl must derive from sluice::actor");
  detail::pending_mailbox_guard guard{m};
  return sys.spawn<Impl, Os>(std::forward<Ts>(xs)...);
}

/// Spawns a function-based sluice actor in `sys`.
template <caf::spawn_options Os = caf::no_spawn_options, class F, class... Ts>
auto spawn(caf::actor_system& sys, const mailbox& m, F fun, Ts&&... xs)
  -> decltype(sys.spawn<Os>(std::move(fun), std::forward<Ts>(xs)...)) {
  static_assert(std::is_base_of<sluice::actor, detail::fun_impl_t<F>>::value,
                "sluice::spawn(fun): the first parameter of fun must be "
                "sluice::actor* or sluice::stateful_actor<State>*");
  detail::pending_mailbox_guard guard{m};
  return sys.spawn<Os>(std::move(fun), std::forward<Ts>(xs)...);
}

/// Spawns class `Impl` from actor `parent` (for caf::linked/monitored).
template <class Impl, caf::spawn_options Os = caf::no_spawn_options,
          class Parent, class... Ts>
auto spawn(Parent* parent, const mailbox& m, Ts&&... xs)
  -> decltype(parent->template spawn<Impl, Os>(std::forward<Ts>(xs)...)) {
  static_assert(std::is_base_of<sluice::actor, Impl>::value,
                "sluice::spawn<Impl>: Impl must derive from sluice::actor");
  detail::pending_mailbox_guard guard{m};
  return parent->template spawn<Impl, Os>(std::forward<Ts>(xs)...);
}

/// Spawns a function-based sluice actor from actor `parent`.
template <caf::spawn_options Os = caf::no_spawn_options, class Parent, class F,
          class... Ts>
auto spawn(Parent* parent, const mailbox& m, F fun, Ts&&... xs)
  -> decltype(parent->template spawn<Os>(std::move(fun),
                                         std::forward<Ts>(xs)...)) {
  static_assert(std::is_base_of<sluice::actor, detail::fun_impl_t<F>>::value,
                "sluice::spawn(fun): the first parameter of fun must be "
                "sluice::actor* or sluice::stateful_actor<State>*");
  detail::pending_mailbox_guard guard{m};
  return parent->template spawn<Os>(std::move(fun), std::forward<Ts>(xs)...);
}

} // namespace sluice
