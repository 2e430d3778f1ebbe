// Model-based test: seeded random single-threaded operation sequences
// applied both to mailbox_core and to a plain reference model written from
// the documented semantics (a deque plus counters). After every step the
// results (status, evicted message, wake-up, popped message, waiter
// outcomes, writable leases), every counter and gauge, each lease's credit
// and each sender's parked count must agree.
// sluice-test-timeout: 300
#include <algorithm>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core_support.hpp"

namespace {

using namespace sluice;
using namespace sluice::core_test;

constexpr int steps = 20000;
constexpr std::uint32_t seeds
  = tsan_build ? 2 : 4;       // single-threaded: TSan adds little
constexpr int keys = 3;       // sluice-actor / thread sender identities
constexpr int max_leases = 6; // leases ever attached per run

// -- the reference model ---------------------------------------------------------------

/// Plain values for every counter the core keeps.
struct model_counters {
  std::uint64_t attempted = 0, accepted = 0, dequeued = 0, evicted = 0,
                dropped_newest = 0, would_block = 0, timed_out = 0,
                no_credit = 0, closed = 0, dead_lettered = 0,
                discarded_on_exit = 0, overcommitted = 0, self_over = 0,
                parked_total = 0, blocked_total = 0, credit_granted = 0,
                high_watermark = 0, parked_now = 0;
};

struct model_lease {
  enum class st { waiting, active, revoked, released };
  st state = st::waiting;
  std::size_t window = 0;
  std::size_t credit = 0;
  std::size_t outstanding = 0;
  std::size_t owed = 0;
  bool want = false; // a send was refused: tell writable at the next grant
};

/// What one operation returned, in a form both sides can produce.
struct outcome {
  admit status = admit::accepted;
  int evicted = -1; // id of the message evicted by this offer
  bool schedule = false;
  int popped = -1;
  bool more = false; // finish_drain()
  std::size_t granted = 0;
  std::vector<std::string> parked; // "parker:state:how:id"
  std::vector<std::string> evicted_fx;
  std::vector<int> writable; // lease indices
};

class model {
public:
  explicit model(const resolved_mailbox& rc) : cfg_(rc) {}

  model_counters c;

  std::size_t depth() const {
    return q_.size() + held_;
  }
  std::size_t held() const {
    return held_;
  }
  std::size_t unspent() const {
    std::size_t n = 0;
    for (auto& l : leases_)
      if (l.state == model_lease::st::active)
        n += l.credit + l.owed;
    return n;
  }
  std::size_t leased() const {
    std::size_t n = 0;
    for (auto& l : leases_)
      n += l.state == model_lease::st::active ? l.window : l.outstanding;
    return n;
  }
  std::size_t leases_waiting() const {
    return fifo_.size();
  }
  std::size_t parked_by(int key) const {
    auto i = parked_by_.find(key);
    return i == parked_by_.end() ? 0 : i->second;
  }
  const model_lease& lease(int i) const {
    return leases_[static_cast<std::size_t>(i)];
  }
  std::size_t owed() const {
    std::size_t n = 0;
    for (auto& l : leases_)
      if (l.state == model_lease::st::active)
        n += l.owed;
    return n;
  }
  bool queue_empty() const {
    return q_.empty();
  }

  // -- operations --------------------------------------------------------------------

  outcome offer(int id, sender_kind who, bool may_wait) {
    outcome o;
    ++c.attempted;
    if (room(who)) {
      push(id, -1);
      o.status = admit::accepted;
    } else {
      switch (cfg_.policy) {
        case policy::block:
          switch (who) {
            case sender_kind::self:
              push(id, -1);
              ++c.self_over;
              o.status = admit::self_over;
              break;
            case sender_kind::actor:
            case sender_kind::thread:
              // threads only offer with may_wait == false here
              if (!may_wait || who == sender_kind::thread) {
                ++c.would_block;
                o.status = admit::would_block;
              } else {
                --c.attempted; // park() counts it
                o.status = admit::park_needed;
              }
              break;
            case sender_kind::endpoint:
            case sender_kind::unmanaged:
              o.status = overcommit(id);
              break;
          }
          break;
        case policy::drop_newest:
          ++c.dropped_newest;
          o.status = admit::dropped;
          break;
        case policy::drop_oldest:
          if (q_.empty()) { // everything counted is held: nothing to evict
            ++c.dropped_newest;
            o.status = admit::dropped;
            break;
          }
          {
            auto s = q_.front();
            q_.pop_front();
            ++c.evicted;
            after_remove(s, o);
            o.evicted = s.id;
          }
          push(id, -1);
          o.status = admit::evicted;
          break;
        case policy::credit:
          switch (who) {
            case sender_kind::self:
              push(id, -1);
              ++c.self_over;
              o.status = admit::self_over;
              break;
            case sender_kind::endpoint:
              ++c.no_credit;
              o.status = admit::no_credit;
              break;
            case sender_kind::actor:
            case sender_kind::thread:
            case sender_kind::unmanaged:
              o.status = overcommit(id);
              break;
          }
          break;
      }
    }
    if (core::taken(o.status) && o.status != admit::parked)
      o.schedule = schedule();
    bump_hwm();
    return o;
  }

  outcome park(int id, int key) {
    outcome o;
    ++c.attempted;
    if (room(sender_kind::actor)) {
      push(id, -1);
      o.status = admit::accepted;
      o.schedule = schedule();
    } else if (parked_by(key) >= cfg_.park_limit) {
      ++c.would_block;
      o.status = admit::would_block;
    } else {
      waiters_.push_back({id, key});
      ++parked_by_[key];
      ++c.parked_total;
      ++c.parked_now;
      o.status = admit::parked;
    }
    bump_hwm();
    return o;
  }

  outcome offer_credit(int id, int li) {
    outcome o;
    if (cfg_.policy != policy::credit) {
      o.status = admit::not_credit;
      return o;
    }
    ++c.attempted;
    auto& l = leases_[static_cast<std::size_t>(li)];
    if (l.state == model_lease::st::released) {
      ++c.closed;
      o.status = admit::closed;
      return o;
    }
    if (l.state != model_lease::st::active || l.credit == 0) {
      l.want = true;
      ++c.no_credit;
      o.status = admit::no_credit;
      return o;
    }
    --l.credit;
    ++l.outstanding;
    push(id, li);
    o.status = admit::accepted;
    o.schedule = schedule();
    bump_hwm();
    return o;
  }

  outcome pop() {
    outcome o;
    if (q_.empty())
      return o;
    auto s = q_.front();
    q_.pop_front();
    ++c.dequeued;
    after_remove(s, o);
    grant_waiting(o);
    admit_waiters(o);
    o.popped = s.id;
    bump_hwm();
    return o;
  }

  void hold() {
    ++held_;
    bump_hwm();
  }

  outcome unhold() {
    outcome o;
    if (held_ == 0)
      return o;
    --held_;
    grant_waiting(o);
    admit_waiters(o);
    bump_hwm();
    return o;
  }

  outcome finish_drain() {
    outcome o;
    if (!q_.empty()) {
      o.more = true;
      return o;
    }
    scheduled_ = false;
    return o;
  }

  outcome attach() {
    outcome o;
    leases_.push_back({});
    auto li = static_cast<int>(leases_.size()) - 1;
    if (cfg_.policy == policy::credit) {
      auto& l = leases_.back();
      l.state = model_lease::st::waiting;
      l.window = cfg_.window;
      fifo_.push_back(li);
      grant_waiting(o);
    } else {
      leases_.back().state = model_lease::st::revoked;
    }
    return o;
  }

  outcome detach(int li) {
    outcome o;
    auto& l = leases_[static_cast<std::size_t>(li)];
    if (l.state == model_lease::st::waiting)
      fifo_.erase(std::find(fifo_.begin(), fifo_.end(), li));
    l.credit = l.owed = 0;
    l.state = model_lease::st::released;
    grant_waiting(o);
    return o;
  }

  outcome grant(std::size_t n) {
    outcome o;
    for (std::size_t i = 0; i < leases_.size() && n > 0; ++i) {
      auto& l = leases_[i];
      if (l.state != model_lease::st::active || l.owed == 0)
        continue;
      auto k = std::min(n, l.owed);
      give(static_cast<int>(i), k, o);
      n -= k;
      o.granted += k;
    }
    return o;
  }

  /// close(): discarded ids (queue order), closed waiters, all leases told.
  outcome close(std::vector<int>& discarded) {
    outcome o;
    for (auto& s : q_) {
      discarded.push_back(s.id);
      ++c.discarded_on_exit;
      if (s.lease >= 0)
        --leases_[static_cast<std::size_t>(s.lease)].outstanding;
    }
    q_.clear();
    for (auto& w : waiters_) {
      ++c.closed;
      --c.parked_now;
      o.parked.push_back(
        describe(w.key, wstate::closed, admit::accepted, w.id));
    }
    waiters_.clear();
    parked_by_.clear();
    for (std::size_t i = 0; i < leases_.size(); ++i)
      if (!forgotten(static_cast<int>(i)))
        o.writable.push_back(static_cast<int>(i));
    for (auto& l : leases_) {
      l.state = model_lease::st::released;
      l.credit = l.owed = 0;
    }
    fifo_.clear();
    held_ = 0;
    return o;
  }

  /// The core drops a released lease with nothing queued from its list.
  bool forgotten(int li) const {
    auto& l = leases_[static_cast<std::size_t>(li)];
    return l.state == model_lease::st::released && l.outstanding == 0;
  }

  static std::string describe(int parker, wstate st, admit how, int id) {
    std::ostringstream out;
    out << parker << ":" << to_string(st) << ":"
        << (st == wstate::admitted ? core::to_string(how) : "-") << ":" << id;
    return out.str();
  }

private:
  struct slot {
    int id;
    int lease;
  };
  struct wait_entry {
    int id;
    int key;
  };

  bool room(sender_kind who) const {
    auto d = depth();
    switch (cfg_.policy) {
      case policy::block:
        return d < cfg_.capacity && waiters_.empty();
      case policy::drop_newest:
      case policy::drop_oldest:
        return d < cfg_.capacity;
      case policy::credit: // self-sends too; the next lease's window is kept
        (void)who;
        return d + unspent()
                 + (fifo_.empty()
                      ? 0
                      : leases_[static_cast<std::size_t>(fifo_.front())].window)
               < cfg_.capacity;
    }
    return false;
  }

  admit overcommit(int id) {
    auto d = depth() + (cfg_.policy == policy::credit ? unspent() : 0);
    auto used = d > cfg_.capacity ? d - cfg_.capacity : 0;
    if (used < cfg_.overcommit) {
      push(id, -1);
      ++c.overcommitted;
      return admit::overcommitted;
    }
    ++c.dead_lettered;
    return admit::dead_letter;
  }

  void push(int id, int lease) {
    q_.push_back({id, lease});
    ++c.accepted;
  }

  bool schedule() {
    if (scheduled_)
      return false;
    scheduled_ = true;
    return true;
  }

  void bump_hwm() {
    c.high_watermark = std::max<std::uint64_t>(c.high_watermark, depth());
  }

  void after_remove(const slot& s, outcome& o) {
    if (s.lease < 0)
      return;
    auto& l = leases_[static_cast<std::size_t>(s.lease)];
    --l.outstanding;
    if (l.state == model_lease::st::active) {
      ++l.owed;
      if (cfg_.credit_mode == credit_mode::automatic
          && l.owed >= std::max<std::size_t>(1, l.window / 2))
        give(s.lease, l.owed, o);
    } else {
      grant_waiting(o);
    }
  }

  void admit_waiters(outcome& o) {
    if (cfg_.policy != policy::block)
      return;
    while (!waiters_.empty() && depth() < cfg_.capacity) {
      auto w = waiters_.front();
      waiters_.pop_front();
      push(w.id, -1);
      --c.parked_now;
      if (--parked_by_[w.key] == 0)
        parked_by_.erase(w.key);
      o.parked.push_back(
        describe(w.key, wstate::admitted, admit::accepted, w.id));
    }
  }

  void give(int li, std::size_t k, outcome& o) {
    auto& l = leases_[static_cast<std::size_t>(li)];
    l.owed -= k;
    l.credit += k;
    c.credit_granted += k;
    notify(li, o);
  }

  void notify(int li, outcome& o) {
    auto& l = leases_[static_cast<std::size_t>(li)];
    if (!l.want)
      return;
    l.want = false;
    o.writable.push_back(li);
  }

  void grant_waiting(outcome& o) {
    if (cfg_.policy != policy::credit)
      return;
    while (!fifo_.empty()) {
      auto li = fifo_.front();
      auto& l = leases_[static_cast<std::size_t>(li)];
      if (depth() + unspent() + l.window > cfg_.capacity)
        break;
      fifo_.pop_front();
      l.state = model_lease::st::active;
      l.credit = l.window;
      notify(li, o);
    }
  }

  resolved_mailbox cfg_;
  std::deque<slot> q_;
  std::size_t held_ = 0;
  std::deque<wait_entry> waiters_;
  std::map<int, std::size_t> parked_by_;
  std::vector<model_lease> leases_;
  std::deque<int> fifo_;
  bool scheduled_ = false;
};

// -- the system under test, wrapped to produce outcomes ---------------------------------

class real {
public:
  explicit real(const resolved_mailbox& c) : core(c) {}

  ~real() {
    for (auto* x : held_)
      delete x;
  }

  core_type core;
  std::vector<std::shared_ptr<counting_lease>> leases;

  const void* key(int k) const {
    return &keys_[k];
  }

  outcome offer(int id, sender_kind who, int k, bool may_wait) {
    auto* x = new node{k, id};
    auto res
      = core.offer(x, who, key(k), core_type::clock::duration::max(), may_wait);
    return finish(x, res, {});
  }

  /// offer(), then park() on park_needed (the sluice-actor protocol). The
  /// model sees the two steps separately; here they are one outcome each.
  outcome offer_actor(int id, int k, outcome* second) {
    auto* x = new node{k, id};
    auto res = core.offer(x, sender_kind::actor, key(k));
    if (res.status != admit::park_needed)
      return finish(x, res, {});
    outcome first;
    first.status = admit::park_needed;
    first.schedule = res.schedule;
    auto res2 = core.park(x, key(k), k);
    *second = finish(x, res2, {});
    return first;
  }

  outcome offer_credit(int id, int li) {
    auto* x = new node{-1, id};
    effects fx;
    auto res = core.offer_credit(x, *leases[static_cast<std::size_t>(li)], fx);
    return finish(x, res, fx);
  }

  outcome pop() {
    effects fx;
    auto* x = core.pop(fx);
    outcome o = from(fx);
    if (x != nullptr) {
      o.popped = x->seq;
      delete x;
    }
    return o;
  }

  /// Pops and holds: the popped message is the actor's until unhold().
  outcome pop_and_hold() {
    effects fx;
    auto* x = core.pop(fx);
    outcome o = from(fx);
    if (x != nullptr) {
      o.popped = x->seq;
      core.hold();
      held_.push_back(x);
    }
    return o;
  }

  outcome unhold() {
    effects fx;
    if (!held_.empty()) {
      delete held_.front();
      held_.pop_front();
    }
    core.unhold(fx);
    return from(fx);
  }

  std::size_t held() const {
    return held_.size();
  }

  outcome finish_drain() {
    outcome o;
    o.more = core.finish_drain();
    return o;
  }

  outcome attach() {
    auto l = std::make_shared<counting_lease>();
    leases.push_back(l);
    effects fx;
    EXPECT_TRUE(core.attach(l, fx));
    return from(fx);
  }

  outcome detach(int li) {
    effects fx;
    core.detach(*leases[static_cast<std::size_t>(li)], fx);
    return from(fx);
  }

  outcome grant(std::size_t n) {
    effects fx;
    auto k = core.grant(n, fx);
    auto o = from(fx);
    o.granted = k;
    return o;
  }

  outcome close(std::vector<int>& discarded) {
    effects fx;
    std::vector<node*> rest;
    core.close(fx, rest);
    for (auto* x : rest) {
      discarded.push_back(x->seq);
      delete x;
    }
    for (auto* x : held_)
      delete x;
    held_.clear();
    return from(fx);
  }

private:
  outcome finish(node* x, const core_type::offer_result& res, effects fx) {
    outcome o = from(fx);
    o.status = res.status;
    o.schedule = res.schedule;
    if (res.evicted != nullptr) {
      o.evicted = res.evicted->seq;
      delete res.evicted;
    }
    if (!core::taken(res.status))
      delete x;
    return o;
  }

  int index_of(const core::lease* l) const {
    for (std::size_t i = 0; i < leases.size(); ++i)
      if (leases[i].get() == l)
        return static_cast<int>(i);
    return -1;
  }

  outcome from(effects& fx) {
    outcome o;
    for (auto* w : fx.parked_done) {
      o.parked.push_back(
        model::describe(w->parker, w->st, w->how, w->elem->seq));
      if (w->st != wstate::admitted)
        delete w->elem;
      delete w;
    }
    for (auto* e : fx.evicted) {
      o.evicted_fx.push_back(std::to_string(e->seq));
      delete e;
    }
    for (auto& l : fx.writable) {
      l->writable();
      o.writable.push_back(index_of(l.get()));
    }
    return o;
  }

  int keys_[keys] = {};
  std::deque<node*> held_;
};

// -- comparison -------------------------------------------------------------------------------

testing::AssertionResult same(const outcome& m, const outcome& r) {
  auto fail = [&](const char* what) {
    return testing::AssertionFailure() << what << " differs";
  };
  if (m.status != r.status)
    return fail("status") << ": model " << core::to_string(m.status)
                          << ", core " << core::to_string(r.status);
  if (m.evicted != r.evicted)
    return fail("evicted message")
           << ": model " << m.evicted << ", core " << r.evicted;
  if (m.schedule != r.schedule)
    return fail("schedule") << ": model " << m.schedule;
  if (m.popped != r.popped)
    return fail("popped message")
           << ": model " << m.popped << ", core " << r.popped;
  if (m.more != r.more)
    return fail("finish_drain");
  if (m.granted != r.granted)
    return fail("granted") << ": model " << m.granted << ", core " << r.granted;
  if (m.parked != r.parked) {
    auto f = fail("parked outcomes");
    f << ": model [";
    for (auto& x : m.parked)
      f << x << " ";
    f << "] core [";
    for (auto& x : r.parked)
      f << x << " ";
    return f << "]";
  }
  if (m.evicted_fx != r.evicted_fx)
    return fail("effects::evicted");
  if (m.writable != r.writable)
    return fail("writable leases")
           << ": model " << m.writable.size() << ", core " << r.writable.size();
  return testing::AssertionSuccess();
}

testing::AssertionResult same_state(const model& m, real& r) {
  auto& c = r.core.stats();
  auto check = [&](const char* name, std::uint64_t want,
                   std::uint64_t got) -> testing::AssertionResult {
    if (want != got)
      return testing::AssertionFailure()
             << name << ": model " << want << ", core " << got << " | "
             << dump(c);
    return testing::AssertionSuccess();
  };
#define SLUICE_CHECK(name, want, got)                                          \
  if (auto res = check(name, want, got); !res)                                 \
    return res;
  SLUICE_CHECK("attempted", m.c.attempted, c.attempted.get())
  SLUICE_CHECK("accepted", m.c.accepted, c.accepted.get())
  SLUICE_CHECK("dequeued", m.c.dequeued, c.dequeued.get())
  SLUICE_CHECK("evicted", m.c.evicted, c.evicted.get())
  SLUICE_CHECK("dropped_newest", m.c.dropped_newest, c.dropped_newest.get())
  SLUICE_CHECK("would_block", m.c.would_block, c.would_block.get())
  SLUICE_CHECK("timed_out", m.c.timed_out, c.timed_out.get())
  SLUICE_CHECK("no_credit", m.c.no_credit, c.no_credit.get())
  SLUICE_CHECK("closed", m.c.closed, c.closed.get())
  SLUICE_CHECK("dead_lettered", m.c.dead_lettered, c.dead_lettered.get())
  SLUICE_CHECK("discarded_on_exit", m.c.discarded_on_exit,
               c.discarded_on_exit.get())
  SLUICE_CHECK("overcommitted", m.c.overcommitted, c.overcommitted.get())
  SLUICE_CHECK("self_overcapacity", m.c.self_over, c.self_overcapacity.get())
  SLUICE_CHECK("parked_total", m.c.parked_total, c.parked_total.get())
  SLUICE_CHECK("blocked_total", m.c.blocked_total, c.blocked_total.get())
  SLUICE_CHECK("credit_granted", m.c.credit_granted, c.credit_granted.get())
  SLUICE_CHECK("high_watermark", m.c.high_watermark, c.high_watermark.get())
  SLUICE_CHECK("depth", m.depth(), c.depth.get())
  SLUICE_CHECK("held", m.held(), c.held.get())
  SLUICE_CHECK("parked_now", m.c.parked_now, c.parked_now.get())
  SLUICE_CHECK("blocked_now", 0, c.blocked_now.get())
  SLUICE_CHECK("credit_leased", m.leased(), c.credit_leased.get())
  SLUICE_CHECK("leases_waiting", m.leases_waiting(), c.leases_waiting.get())
  SLUICE_CHECK("owed", m.owed(), r.core.owed())
  SLUICE_CHECK("oldest_enq_ns is 0 iff empty", m.queue_empty(),
               c.oldest_arrival_ns() == 0)
  for (int k = 0; k < keys; ++k)
    SLUICE_CHECK("parked_by", m.parked_by(k), r.core.parked_by(r.key(k)))
  for (std::size_t i = 0; i < r.leases.size(); ++i)
    SLUICE_CHECK("credit_of", m.lease(static_cast<int>(i)).credit,
                 r.core.credit_of(*r.leases[i]))
#undef SLUICE_CHECK
  if (!identities_hold(c))
    return identities_hold(c);
  return testing::AssertionSuccess();
}

// -- the random walk -------------------------------------------------------------------------

void run_walk(const resolved_mailbox& rc, std::uint32_t seed) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng{seed};
  auto pick
    = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  model m{rc};
  real r{rc};
  int next_id = 0;
  bool credit = rc.policy == policy::credit;
  if (credit) {
    // start with two endpoints
    for (int i = 0; i < 2; ++i) {
      auto mo = m.attach();
      auto ro = r.attach();
      ASSERT_TRUE(same(mo, ro));
    }
  }
  for (int step = 0; step < steps; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    auto roll = pick(100);
    outcome mo;
    outcome ro;
    auto id = next_id++;
    if (roll < 14) {
      mo = m.offer(id, sender_kind::unmanaged, true);
      ro = r.offer(id, sender_kind::unmanaged, pick(keys), true);
    } else if (roll < 18) {
      mo = m.offer(id, sender_kind::self, true);
      ro = r.offer(id, sender_kind::self, pick(keys), true);
    } else if (roll < 30) {
      auto k = pick(keys);
      mo = m.offer(id, sender_kind::actor, true);
      outcome second;
      ro = r.offer_actor(id, k, &second);
      ASSERT_TRUE(same(mo, ro)) << "offer (actor)";
      if (mo.status == admit::park_needed) {
        mo = m.park(id, k);
        ro = second;
      }
    } else if (roll < 34) {
      mo = m.offer(id, sender_kind::thread, false);
      ro = r.offer(id, sender_kind::thread, pick(keys), false);
    } else if (roll < 36) {
      mo = m.offer(id, sender_kind::endpoint, true);
      ro = r.offer(id, sender_kind::endpoint, pick(keys), true);
    } else if (roll < 52) {
      if (r.leases.empty())
        continue;
      auto li = pick(static_cast<int>(r.leases.size()));
      mo = m.offer_credit(id, li);
      ro = r.offer_credit(id, li);
    } else if (roll < 76) {
      mo = m.pop();
      ro = r.pop();
    } else if (roll < 80) {
      mo = m.pop();
      ro = r.pop_and_hold();
      if (mo.popped >= 0)
        m.hold();
    } else if (roll < 84) {
      if (r.held() == 0)
        continue;
      mo = m.unhold();
      ro = r.unhold();
    } else if (roll < 88) {
      mo = m.finish_drain();
      ro = r.finish_drain();
    } else if (roll < 93) {
      auto n = static_cast<std::size_t>(pick(5));
      mo = m.grant(n);
      ro = r.grant(n);
    } else if (roll < 96) {
      if (static_cast<int>(r.leases.size()) >= max_leases)
        continue;
      mo = m.attach();
      ro = r.attach();
    } else {
      if (r.leases.empty())
        continue;
      auto li = pick(static_cast<int>(r.leases.size()));
      mo = m.detach(li);
      ro = r.detach(li);
    }
    ASSERT_TRUE(same(mo, ro));
    ASSERT_TRUE(same_state(m, r));
  }
  std::vector<int> md;
  std::vector<int> rd;
  auto mo = m.close(md);
  auto ro = r.close(rd);
  EXPECT_EQ(md, rd) << "discarded messages";
  EXPECT_TRUE(same(mo, ro)) << "close";
  EXPECT_EQ(r.core.stats().depth.get(), 0u);
  EXPECT_EQ(r.core.stats().parked_now.get(), 0u);
  EXPECT_EQ(r.core.stats().credit_leased.get(), 0u);
  EXPECT_EQ(m.c.discarded_on_exit, r.core.stats().discarded_on_exit.get());
  EXPECT_EQ(m.c.closed, r.core.stats().closed.get());
  EXPECT_TRUE(identities_hold(r.core.stats()));
}

class Model : public leak_checked_param<mailbox_case> {};

TEST_P(Model, RandomWalkAgreesWithTheReference) {
  auto rc = cfg(GetParam().box);
  for (std::uint32_t seed = 1; seed <= seeds; ++seed) {
    run_walk(rc, seed);
    if (HasFatalFailure())
      return;
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, Model, testing::ValuesIn(mailbox_matrix()),
                         case_name{});

/// More shapes: a window equal to capacity, a window of one, big
/// overcommit, a park limit of three.
INSTANTIATE_TEST_SUITE_P(
  Shapes, Model,
  testing::Values(
    mailbox_case{"block_cap3_park3",
                 mailbox::block(3).with_park_limit(3).with_overcommit(4)},
    mailbox_case{"drop_oldest_cap1", mailbox::drop_oldest(1)},
    mailbox_case{"credit_window_eq_cap", mailbox::credit(5, 5)},
    mailbox_case{"credit_window_1", mailbox::credit(3, 1).with_overcommit(1)},
    mailbox_case{
      "credit_manual_w3",
      mailbox::credit(9, 3).with_manual_credit().with_overcommit(3)}),
  case_name{});

} // namespace
