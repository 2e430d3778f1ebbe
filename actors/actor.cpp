// The CAF 0.17 adapter: the only place that knows how CAF's scheduled_actor
// dispatches messages. A port to CAF 1.x (pluggable abstract_mailbox)
// replaces this file; the core, the policies and the runtime stay.

#include "actors/actor.hpp"

#include <algorithm>
#include <iterator>
#include <optional>

#include <caf/actor_cast.hpp>
#include <caf/atom.hpp>
#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>
#include <caf/stream_slot.hpp>
#include <caf/system_messages.hpp>

#include "actors/endpoint.hpp"
#include "runtime/errors.hpp"

namespace sluice {

namespace detail {

namespace {

thread_local send_ctx* tl_send = nullptr;
thread_local sluice::actor* tl_actor = nullptr;
thread_local std::optional<mailbox> tl_pending;
thread_local char tl_thread_key; // address identifies a managed thread

} // namespace

send_ctx*& current_send() noexcept {
  return tl_send;
}

sluice::actor*& current_actor() noexcept {
  return tl_actor;
}

void set_pending_mailbox(const mailbox& m) {
  tl_pending = m;
}

void clear_pending_mailbox() noexcept {
  tl_pending.reset();
}

} // namespace detail

namespace {

// sluice's control tokens: atoms, so classifying them is a type-token and
// integer compare (custom types would need an RTTI compare).
using drain_atom = caf::atom_constant<caf::atom("sl_drain")>;
using park_atom = caf::atom_constant<caf::atom("sl_park")>;
using writable_atom = caf::atom_constant<caf::atom("sl_write")>;

constexpr auto atom_token = caf::make_type_token<caf::atom_value>();
constexpr auto park_token
  = caf::make_type_token<caf::atom_value, std::int32_t, caf::actor_addr>();
constexpr auto writable_token
  = caf::make_type_token<caf::atom_value, std::uint64_t>();

bool is_token(const caf::type_erased_tuple& c, caf::atom_value a,
              std::uint32_t tt) {
  return c.type_token() == tt && c.get_as<caf::atom_value>(0) == a;
}

/// Control lane: everything CAF must see even when the ordinary lane is full
/// (CAF 0.17.6 has no node_down_msg; remote node failures arrive as
/// down_msg/exit_msg).
/// Chosen by content and category, not by priority alone (CAF sends down
/// and exit messages with normal priority).
bool is_control(const caf::mailbox_element& x) {
  if (x.mid.is_response()
      || x.mid.category() != caf::message_id::normal_message_category)
    return true;
  switch (x.content().type_token()) {
    case caf::make_type_token<caf::exit_msg>():
    case caf::make_type_token<caf::down_msg>():
    case caf::make_type_token<caf::group_down_msg>():
    case caf::make_type_token<caf::error>():
    case caf::make_type_token<caf::timeout_msg>():
    case caf::make_type_token<caf::open_stream_msg>():
      return true;
    case atom_token:
      return x.content().get_as<caf::atom_value>(0) == drain_atom::value;
    case park_token:
      return x.content().get_as<caf::atom_value>(0) == park_atom::value;
    case writable_token:
      return x.content().get_as<caf::atom_value>(0) == writable_atom::value;
    default:
      return false;
  }
}

/// Control messages that pass through consume() (streams do not).
bool passes_consume(const caf::mailbox_element& x) {
  return !x.mid.is_stream_message();
}

bool is_sluice_token(const caf::type_erased_tuple& c) {
  return is_token(c, drain_atom::value, atom_token)
         || is_token(c, park_atom::value, park_token)
         || is_token(c, writable_atom::value, writable_token);
}

send_status to_send_status(core::admit x) {
  switch (x) {
    case core::admit::accepted:
    case core::admit::overcommitted:
    case core::admit::self_over:
      return send_status::accepted;
    case core::admit::evicted:
      return send_status::accepted_evicted;
    case core::admit::parked:
      return send_status::parked;
    case core::admit::dropped:
      return send_status::dropped;
    case core::admit::would_block:
    case core::admit::park_needed:
      return send_status::would_block;
    case core::admit::timed_out:
      return send_status::timed_out;
    case core::admit::no_credit:
    case core::admit::not_credit:
      return send_status::no_credit;
    case core::admit::closed:
      return send_status::closed;
    case core::admit::dead_letter:
      return send_status::dead_lettered;
  }
  return send_status::closed;
}

loss to_loss(core::admit x) {
  switch (x) {
    case core::admit::dropped:
      return loss::dropped;
    case core::admit::would_block:
    case core::admit::park_needed:
      return loss::would_block;
    case core::admit::timed_out:
      return loss::timed_out;
    case core::admit::no_credit:
    case core::admit::not_credit:
      return loss::no_credit;
    case core::admit::closed:
      return loss::closed;
    case core::admit::dead_letter:
      return loss::overcommit;
    case core::admit::accepted:
    case core::admit::evicted:
    case core::admit::overcommitted:
    case core::admit::self_over:
    case core::admit::parked:
      break;
  }
  return loss::dropped;
}

/// The error response a request lost for reason `x` gets. A receiver that
/// terminated answers like CAF does for a dead actor, wherever the request
/// was (arriving, parked, queued, skipped); the other losses have sluice's
/// own codes.
caf::error error_for(loss x) {
  switch (x) {
    case loss::dropped:
    case loss::evicted:
      return make_error(sec::mailbox_full);
    case loss::would_block:
      return make_error(sec::would_block);
    case loss::timed_out:
      return make_error(sec::timed_out);
    case loss::no_credit:
      return make_error(sec::no_credit);
    case loss::closed:
    case loss::discarded_on_exit:
    case loss::held_discarded:
      return caf::make_error(caf::sec::request_receiver_down);
    case loss::overcommit:
      return make_error(sec::dead_lettered);
    case loss::shed:
      return make_error(sec::shed);
  }
  return make_error(sec::mailbox_full);
}

resolved_mailbox resolve_for(detail::runtime_state& rt, caf::actor_id id) {
  auto m = detail::tl_pending ? *detail::tl_pending : mailbox::defaults();
  detail::tl_pending.reset(); // one spawn, one mailbox
  auto r = rt.resolve(m);
  if (r.name.empty())
    r.name = "actor#" + std::to_string(id);
  return r;
}

} // namespace

// -- construction --------------------------------------------------------------

actor::actor(caf::actor_config& cfg)
  : super(cfg), rt_(detail::runtime_state::of(home_system())), name_(),
    core_(resolve_for(*rt_, id())), drain_batch_(rt_->settings().drain_batch),
    drain_msg_(caf::make_message(drain_atom::value)) {
  name_ = core_.config().name;
  rt_->add(this);
}

actor::~actor() {
  rt_->remove(this);
}

// -- sluice API ----------------------------------------------------------------

mailbox_stats actor::stats() const {
  // counters and gauges only: no lock, so the runtime's listing (and the
  // stall supervisor's sampling) never waits for a mailbox
  auto s = snapshot(core_.stats());
  s.name = name_;
  // relaxed: an estimate for monitoring only
  auto c = control_pending_.load(std::memory_order_relaxed);
  s.control_depth = c > 0 ? static_cast<std::uint64_t>(c) : 0;
  return s;
}

void actor::reconfigure(const sluice::mailbox& m) {
  // Callers on different threads (the supervisor shedding load, the actor
  // itself) must not merge over the same old settings: one at a time. The
  // effects (dead-letter hooks: user code) run after the lock is released.
  std::unique_lock<std::mutex> guard{reconfigure_mtx_};
  auto cur = core_.config();
  // A window `m` leaves unset follows a smaller capacity: the current window
  // must not turn "capacity 2" into "window 8 exceeds capacity 2".
  auto cap = m.capacity() ? *m.capacity() : cur.capacity;
  auto fields = sluice::mailbox::blank();
  fields.set_policy(cur.policy)
    .set_capacity(cur.capacity)
    .set_window(std::min(cur.window, cap))
    .set_block_timeout(cur.block_timeout)
    .set_park_limit(cur.park_limit)
    .set_overcommit(cur.overcommit)
    .set_credit_mode(cur.credit_mode);
  auto next = resolve(m.merged_over(fields), fields);
  next.name = name_;
  effects fx;
  auto wake = core_.reconfigure(next, fx);
  guard.unlock();
  dispatch(fx);
  if (wake)
    post_drain(nullptr);
}

void actor::set_park_handler(park_handler f) {
  park_handler_ = std::move(f);
}

void actor::set_dead_letter_hook(dead_letter_hook f) {
  auto p = std::make_shared<const dead_letter_hook>(std::move(f));
  // seq_cst (default of the shared_ptr atomic free functions): rare writes,
  // readers on any thread must see a fully built hook
  std::atomic_store(&hook_, std::move(p));
}

std::size_t actor::grant(std::size_t n) {
  effects fx;
  auto k = core_.grant(n, fx);
  dispatch(fx);
  return k;
}

void actor::register_endpoint(std::uint64_t id,
                              std::weak_ptr<detail::endpoint_lease> l) {
  // Closed endpoints leave expired entries behind; sweep them whenever the
  // map doubled, so an actor connecting over and over stays bounded.
  if (endpoints_.size() >= prune_endpoints_at_) {
    for (auto i = endpoints_.begin(); i != endpoints_.end();)
      i = i->second.expired() ? endpoints_.erase(i) : std::next(i);
    prune_endpoints_at_ = std::max<std::size_t>(16, 2 * endpoints_.size());
  }
  endpoints_.emplace(id, std::move(l));
}

// -- sending into this mailbox -----------------------------------------------

void actor::enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) {
  if (is_control(*ptr)) {
    if (passes_consume(*ptr) && !is_sluice_token(ptr->content()))
      // relaxed: an estimate; consume() decrements it. The enqueue into
      // CAF's mailbox that follows publishes the message itself.
      control_pending_.fetch_add(1, std::memory_order_relaxed);
    super::enqueue(std::move(ptr), eu);
    return;
  }
  auto* ctx = detail::current_send();
  if (ctx != nullptr && ctx->target != this)
    ctx = nullptr; // a send in progress to someone else
  if (ctx != nullptr)
    ctx->consumed = true;
  auto* raw = ptr.release();
  detail::core_type::offer_result res;
  // Room in the mailbox: the lock-free admission takes any sender alike, so
  // who is sending matters only when it declines.
  if (!core_.offer_fast(raw, res))
    res = offer_slow(raw, ctx);
  if (res.evicted != nullptr)
    lose(caf::mailbox_element_ptr{res.evicted}, loss::evicted);
  if (res.late) { // accepted while the actor terminated: discarded
    std::vector<caf::mailbox_element*> late;
    core_.take_late(late);
    for (auto* e : late)
      lose(caf::mailbox_element_ptr{e}, loss::discarded_on_exit);
  } else if (res.schedule) {
    post_drain(eu);
  }
  if (core::taken(res.status)) {
    if (ctx != nullptr) {
      ctx->status = to_send_status(res.status);
      ctx->over_capacity = res.status == core::admit::overcommitted
                           || res.status == core::admit::self_over;
    }
    return;
  }
  caf::mailbox_element_ptr back{raw};
  if (ctx != nullptr) {
    ctx->status = to_send_status(res.status);
    ctx->handback = std::move(back);
    return;
  }
  lose(std::move(back), to_loss(res.status));
}

detail::core_type::offer_result actor::offer_slow(caf::mailbox_element* raw,
                                                  const detail::send_ctx* ctx) {
  // Who is sending?
  auto* cur = detail::current_actor();
  sender_kind who;
  const void* key;
  if (cur == this) {
    who = sender_kind::self;
    key = cur;
  } else if (cur != nullptr) {
    who = sender_kind::actor;
    key = cur;
  } else if (detail::on_caf_thread()) {
    who = sender_kind::unmanaged;
    key = nullptr;
  } else {
    who = sender_kind::thread;
    key = &detail::tl_thread_key;
  }
  // Only a managed thread can block; by default for the mailbox's
  // block-timeout, which the core reads under its own lock.
  auto max_wait = detail::core_type::configured_timeout;
  if (ctx != nullptr && ctx->timeout.count() > 0)
    max_wait = std::chrono::duration_cast<detail::core_type::clock::duration>(
      ctx->timeout);
  bool may_wait = ctx == nullptr || ctx->how == detail::send_ctx::mode::normal;
  auto res = core_.offer_slow(raw, who, key, max_wait, may_wait);
  if (res.status == core::admit::park_needed) {
    res = core_.park(raw, key, caf::strong_actor_ptr{cur->ctrl()});
    if (res.status == core::admit::parked)
      cur->note_parked();
  }
  return res;
}

send_result actor::offer_endpoint(caf::mailbox_element_ptr elem,
                                  detail::endpoint_lease& l) {
  auto* raw = elem.release();
  effects fx;
  auto res = core_.offer_credit(raw, l, fx);
  dispatch(fx);
  if (res.status == core::admit::not_credit) {
    // Not a credit mailbox (any more): send as the endpoint's owner, or as
    // the calling thread for a thread endpoint. (A raw actor_cast of an
    // actor_addr is never null, even for an empty or expired address: the
    // owner must be upgraded to a strong reference first.)
    caf::mailbox_element_ptr back{raw};
    auto msg = back->move_content_to_message();
    sluice::actor* owner = nullptr;
    caf::strong_actor_ptr owner_ref;
    if (l.owner) {
      owner_ref = caf::actor_cast<caf::strong_actor_ptr>(l.owner);
      if (owner_ref == nullptr) // the owner terminated: its endpoint is done
        return send_result{send_status::closed, std::move(msg)};
      owner = static_cast<sluice::actor*>(
        caf::actor_cast<caf::abstract_actor*>(owner_ref));
    }
    return detail::deliver(owner, l.target, std::move(msg),
                           detail::send_mode::normal,
                           std::chrono::nanoseconds{0});
  }
  if (res.schedule)
    post_drain(nullptr);
  if (core::taken(res.status))
    return send_result{to_send_status(res.status)};
  caf::mailbox_element_ptr back{raw};
  return send_result{to_send_status(res.status),
                     back->move_content_to_message()};
}

void actor::post_drain(caf::execution_unit* eu) {
  super::enqueue(
    caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, drain_msg_),
    eu);
}

void actor::lose(caf::mailbox_element_ptr ptr, loss why) {
  if (ptr->mid.is_request() && ptr->sender != nullptr) {
    auto err = error_for(why);
    ptr->sender->enqueue(caf::make_mailbox_element(nullptr,
                                                   ptr->mid.response_id(), {},
                                                   caf::make_message(err)),
                         nullptr);
  }
  // seq_cst load pairs with set_dead_letter_hook's store
  auto h = std::atomic_load(&hook_);
  dead_letter dl;
  dl.mailbox = name_;
  dl.receiver = address();
  dl.sender = ptr->sender;
  dl.mid = ptr->mid;
  dl.reason = why;
  if (h != nullptr && *h) {
    dl.content = ptr->move_content_to_message();
    (*h)(dl);
    return;
  }
  // the runtime's hook, if any, copies the content only when installed
  dl.content = ptr->move_content_to_message();
  rt_->report(dl);
}

void actor::dispatch(effects& fx) {
  for (auto* w : fx.parked_done) {
    send_status outcome = send_status::accepted;
    switch (w->st) {
      case detail::core_type::waiter::state::admitted:
        outcome = w->how == core::admit::evicted ? send_status::accepted_evicted
                                                 : send_status::accepted;
        break;
      case detail::core_type::waiter::state::closed:
        outcome = send_status::closed;
        lose(caf::mailbox_element_ptr{w->elem}, loss::closed);
        break;
      case detail::core_type::waiter::state::dropped:
        outcome = send_status::dropped;
        lose(caf::mailbox_element_ptr{w->elem}, loss::shed);
        break;
      case detail::core_type::waiter::state::waiting:
        break;
    }
    if (w->parker != nullptr)
      w->parker->enqueue(caf::make_mailbox_element(
                           nullptr, caf::make_message_id(), {},
                           park_atom::value, static_cast<std::int32_t>(outcome),
                           address()),
                         nullptr);
    delete w;
  }
  fx.parked_done.clear();
  for (auto* e : fx.evicted)
    lose(caf::mailbox_element_ptr{e}, loss::evicted);
  fx.evicted.clear();
  for (auto& l : fx.writable)
    l->writable();
  fx.writable.clear();
}

// -- the sender side of parking -------------------------------------------------

void actor::note_parked() {
  // Actor thread: we are inside this actor's handler.
  if (parked_out_++ == 0) {
    suspended_since_ = std::chrono::steady_clock::now();
    core_.stats().suspended_now.set(1);
  }
}

void actor::on_park_outcome() {
  if (parked_out_ == 0)
    return;
  if (--parked_out_ == 0) {
    auto d = std::chrono::steady_clock::now() - suspended_since_;
    core_.stats().suspended_ns.add(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()));
    core_.stats().suspended_now.set(0);
    maybe_resume_drain();
  }
}

void actor::on_writable(std::uint64_t endpoint_id) {
  auto i = endpoints_.find(endpoint_id);
  if (i == endpoints_.end())
    return;
  if (auto l = i->second.lock())
    l->call_callback();
  else
    endpoints_.erase(i);
}

// -- draining -------------------------------------------------------------------

caf::resumable::resume_result actor::resume(caf::execution_unit* eu,
                                            std::size_t max_throughput) {
  // Everything this actor runs (make_behavior, handlers, on_exit) sends as
  // this actor.
  auto& cur = detail::current_actor();
  auto* prev = cur;
  cur = this;
  budget_ = max_throughput;
  auto res = super::resume(eu, max_throughput);
  cur = prev;
  if (!out_of_budget_ || res == resumable::done)
    return res;
  // The drain used up this resume's share with ordinary messages still
  // queued: a new token re-schedules the actor at the back of the
  // scheduler's queue (CAF's mailbox may be blocked by now), as CAF does for
  // an actor that reached max-throughput. Nothing of this actor is touched
  // after the token is out: another worker may resume it at once.
  out_of_budget_ = false;
  post_drain(nullptr);
  return res;
}

caf::invoke_message_result actor::consume(caf::mailbox_element& x) {
  if (in_ordinary_)
    return super::consume(x); // an ordinary message driven by drain()
  // As CAF's consume() does first: whatever runs next (the writable
  // callback, drain()'s `outer`) must see this element, not a stale pointer
  // to a message that has been destroyed since.
  current_element_ = &x;
  auto& c = x.content();
  // A sluice token is not a message the behavior received: unless it
  // delivered ordinary messages it is reported as dropped, so CAF does not
  // re-arm the receive timeout (`after(...)`) for it. A token whose work
  // terminated the actor reports consumed, so reactivate() finalizes now.
  auto token_done = [this](bool delivered) {
    return delivered || !alive() ? caf::invoke_message_result::consumed
                                 : caf::invoke_message_result::dropped;
  };
  if (is_token(c, drain_atom::value, atom_token))
    return token_done(drain());
  // The park handler and writable callbacks are user code: like any message
  // they wait while the actor awaits a response. The tokens themselves are
  // always taken (a skipped token would sit in CAF's cache of its own queue,
  // which a response of another priority never retries); the calls wait in
  // user_calls_ and run in arrival order once no response is awaited.
  if (is_token(c, park_atom::value, park_token)) {
    if (park_handler_)
      user_calls_.push_back(
        {false, static_cast<send_status>(c.get_as<std::int32_t>(1)),
         c.get_as<caf::actor_addr>(2), 0});
    on_park_outcome(); // the suspension ends now, whatever the handler does
    run_user_calls();
    return token_done(false);
  }
  if (is_token(c, writable_atom::value, writable_token)) {
    user_calls_.push_back(
      {true, send_status::accepted, {}, c.get_as<std::uint64_t>(1)});
    run_user_calls();
    return token_done(false);
  }
  auto res = super::consume(x);
  if (res != caf::invoke_message_result::skipped && passes_consume(x)) {
    // relaxed: estimate, see enqueue()
    control_pending_.fetch_sub(1, std::memory_order_relaxed);
    core_.stats().control_handled.add();
  }
  if (res == caf::invoke_message_result::consumed) {
    retry_skipped_ = retry_skipped_ || !skipped_.empty();
    maybe_resume_drain();
  }
  if (!user_calls_.empty()) // the awaited response may have arrived
    run_user_calls();
  return res;
}

void actor::run_user_calls() {
  bool ran = false;
  while (!user_calls_.empty() && awaited_responses_.empty() && alive()) {
    auto call = std::move(user_calls_.front());
    user_calls_.pop_front();
    ran = true;
    if (call.writable) {
      on_writable(call.endpoint);
    } else if (park_handler_) {
      auto f = park_handler_; // the handler may replace itself
      f(call.outcome, call.target);
    }
  }
  if (!ran)
    return;
  // the user code may have changed the behavior: retry skipped messages
  retry_skipped_ = retry_skipped_ || !skipped_.empty();
  maybe_resume_drain();
}

void actor::maybe_resume_drain() {
  if (parked_out_ > 0 || !awaited_responses_.empty())
    return;
  if (deferred_) {
    deferred_ = false;
    post_drain(context());
  } else if (retry_skipped_ && !skipped_.empty()) {
    post_drain(context()); // an extra pass is harmless
  }
}

bool actor::drain() {
  core_.stats().drains.add();
  auto* outer = current_element_;
  bool any = false;
  std::size_t n = 0;
  // Slots freed lock-free (start_one) or a credit message still pending:
  // waiters, leases and credit need a settle() when the pass pauses.
  bool started = false;
  auto release = [&] {
    if (started) {
      core_.settle(fx_);
      if (!fx_.empty())
        dispatch(fx_);
    }
  };
  for (;;) {
    if (getf(is_cleaned_up_flag) || !alive())
      return any; // terminated: cleanup() closed the core
    if (parked_out_ > 0 || !awaited_responses_.empty()) {
      release();
      deferred_ = true; // resumed by the park outcome / the response
      return any;
    }
    if (budget_ == 0) {
      release();
      out_of_budget_ = true; // resume() posts the next token
      return any;
    }
    if (n >= drain_batch_
        // relaxed: the count is a hint for yielding, not a synchronization
        || (n > 0 && control_pending_.load(std::memory_order_relaxed) > 0)) {
      release();
      post_drain(context()); // yield: control messages go first
      return any;
    }
    if (retry_skipped_) {
      retry_skipped_ = false;
      if (auto k = run_skipped(); k > 0) {
        any = true;
        n += k;
        budget_ -= std::min(budget_, k);
        current_element_ = outer;
        continue;
      }
    }
    if (batch_pos_ == batch_len_) {
      // One lock takes a batch; the slots stay counted until released.
      batch_pos_ = 0;
      batch_len_ = core_.pop_batch(
        batch_, std::min({max_batch, drain_batch_ - n, budget_}),
        &batch_counted_, fx_);
      if (!fx_.empty())
        dispatch(fx_);
      if (batch_len_ == 0)
        break;
    }
    auto* raw = batch_[batch_pos_++];
    ++n;
    --budget_; // > 0, checked above
    started = true;
    if (batch_counted_)
      core_.start_one(); // the handled message no longer occupies a slot
    if (run(caf::mailbox_element_ptr{raw}))
      any = true;
    current_element_ = outer;
  }
  if (core_.finish_drain(fx_))
    post_drain(context());
  if (!fx_.empty())
    dispatch(fx_);
  return any;
}

bool actor::run(caf::mailbox_element_ptr ptr) {
  auto& st = core_.stats();
  st.handler_entries.add();
  in_ordinary_ = true;
  auto res = reactivate(*ptr); // CAF's duties: exceptions, finalize, on_exit
  in_ordinary_ = false;
  st.handler_exits.add();
  switch (res) {
    case activation_result::skipped:
      if (!getf(is_cleaned_up_flag)) {
        auto token = core_.hold();
        skipped_.push_back(held_message{std::move(ptr), token});
      }
      return false;
    case activation_result::success:
    case activation_result::dropped:
      retry_skipped_ = retry_skipped_ || !skipped_.empty();
      return true;
    case activation_result::terminated:
      return true;
  }
  return true;
}

std::size_t actor::run_skipped() {
  std::size_t handled = 0;
  std::size_t i = 0;
  while (i < skipped_.size()) {
    if (getf(is_cleaned_up_flag) || !alive() || !awaited_responses_.empty())
      break;
    auto ptr = std::move(skipped_[i].ptr);
    auto token = skipped_[i].token;
    skipped_.erase(skipped_.begin() + static_cast<std::ptrdiff_t>(i));
    auto& st = core_.stats();
    st.handler_entries.add();
    in_ordinary_ = true;
    auto res = reactivate(*ptr);
    in_ordinary_ = false;
    st.handler_exits.add();
    if (res == activation_result::skipped) {
      if (getf(is_cleaned_up_flag))
        break;
      skipped_.insert(skipped_.begin() + static_cast<std::ptrdiff_t>(i),
                      held_message{std::move(ptr), token});
      ++i;
      continue;
    }
    core_.unhold(fx_, token);
    if (!fx_.empty())
      dispatch(fx_);
    ++handled;
    if (res == activation_result::terminated)
      break;
    i = 0; // state changed: retry from the oldest
  }
  return handled;
}

// -- termination ------------------------------------------------------------------

bool actor::cleanup(caf::error&& reason, caf::execution_unit* host) {
  rt_->remove(this);
  effects fx;
  std::vector<caf::mailbox_element*> discarded;
  core_.close(fx, discarded);
  for (auto* e : discarded)
    lose(caf::mailbox_element_ptr{e}, loss::discarded_on_exit);
  for (auto& e : skipped_) {
    core_.stats().held_discarded.add();
    lose(std::move(e.ptr), loss::held_discarded);
  }
  skipped_.clear();
  // Taken by the current drain pass but not handled yet.
  while (batch_pos_ < batch_len_) {
    core_.stats().held_discarded.add();
    lose(caf::mailbox_element_ptr{batch_[batch_pos_++]}, loss::held_discarded);
  }
  batch_pos_ = batch_len_ = 0;
  dispatch(fx);
  // Endpoints this actor owns return their credit.
  for (auto& kvp : endpoints_)
    if (auto l = kvp.second.lock()) {
      effects lfx;
      l->target_impl->core().detach(*l, lfx);
      l->target_impl->dispatch(lfx);
    }
  endpoints_.clear();
  park_handler_ = nullptr; // it may hold handles (to this actor, too)
  user_calls_.clear();
  if (parked_out_ > 0) {
    auto d = std::chrono::steady_clock::now() - suspended_since_;
    core_.stats().suspended_ns.add(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()));
    core_.stats().suspended_now.set(0);
  }
  return super::cleanup(std::move(reason), host);
}

} // namespace sluice
