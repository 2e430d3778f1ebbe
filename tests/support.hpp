// Test support: an actor system with a sluice runtime, polling with a
// deadline, a gate to hold a handler, and a payload that counts copies.
// Below those: the matrix of mailbox configurations every generic test runs
// against, a thread-safe recorder of handled messages, and senders of every
// kind that use the lossless API of each policy.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <caf/all.hpp>
#include <gtest/gtest.h>

#include <sluice.hpp>

namespace sluice::test {

using namespace std::chrono_literals;

/// Polls `pred` until true or `timeout`; returns the last result.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred())
      return true;
    std::this_thread::sleep_for(1ms);
  }
  return pred();
}

/// Holds handlers until opened.
class gate {
public:
  void open() {
    std::lock_guard<std::mutex> guard{mtx_};
    open_ = true;
    cv_.notify_all();
  }
  /// Blocks the caller until open() (or 10 s, then fails the test).
  void wait() {
    std::unique_lock<std::mutex> guard{mtx_};
    entered_ = true;
    cv_.notify_all();
    if (!cv_.wait_for(guard, 10s, [&] { return open_; }))
      ADD_FAILURE() << "gate never opened";
  }
  /// Waits until some handler is inside wait().
  bool wait_entered(std::chrono::milliseconds timeout = 10s) {
    std::unique_lock<std::mutex> guard{mtx_};
    return cv_.wait_for(guard, timeout, [&] { return entered_; });
  }

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool open_ = false;
  bool entered_ = false;
};

/// Counts constructions and destructions: proves nothing leaks or doubles.
struct counted {
  static std::atomic<long>& live() {
    static std::atomic<long> n{0};
    return n;
  }
  int value = 0;
  counted() {
    live().fetch_add(1, std::memory_order_relaxed); // test bookkeeping
  }
  explicit counted(int x) : value(x) {
    live().fetch_add(1, std::memory_order_relaxed);
  }
  counted(const counted& other) : value(other.value) {
    live().fetch_add(1, std::memory_order_relaxed);
  }
  counted& operator=(const counted&) = default;
  ~counted() {
    live().fetch_sub(1, std::memory_order_relaxed);
  }
};

/// CAF 0.17 requires message types to be inspectable.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, counted& x) {
  return f(caf::meta::type_name("counted"), x.value);
}

/// An actor system with a sluice runtime, 2 worker threads.
class system_fixture {
public:
  explicit system_fixture(std::function<void(sluice::config&)> tweak
                          = nullptr) {
    cfg_.set("scheduler.max-threads", 2);
    cfg_.set("logger.verbosity", caf::atom("quiet"));
    if (tweak)
      tweak(cfg_);
    sys_ = std::make_unique<caf::actor_system>(cfg_);
    rt_ = std::make_unique<sluice::runtime>(*sys_);
  }
  ~system_fixture() {
    rt_.reset();
    sys_.reset();
  }
  caf::actor_system& sys() {
    return *sys_;
  }
  sluice::runtime& rt() {
    return *rt_;
  }

private:
  sluice::config cfg_;
  std::unique_ptr<caf::actor_system> sys_;
  std::unique_ptr<sluice::runtime> rt_;
};

inline mailbox_stats stats_of(const caf::actor& a) {
  auto s = sluice::stats(a);
  EXPECT_TRUE(s.has_value());
  return s ? *s : mailbox_stats{};
}

/// attempted = accepted + refused + waiting; accepted = delivered + evicted
/// + discarded_on_exit + queued.
inline void expect_identity(const mailbox_stats& s) {
  EXPECT_EQ(s.attempted, s.accepted + s.refused() + s.waiting())
    << to_string(s);
  EXPECT_EQ(s.accepted,
            s.delivered + s.evicted + s.discarded_on_exit + s.queued())
    << to_string(s);
}

// -- the mailbox matrix -----------------------------------------------------

/// One mailbox configuration of the test matrix.
struct mailbox_case {
  std::string name;
  sluice::mailbox mbox;
};

inline void PrintTo(const mailbox_case& x, std::ostream* out) {
  *out << x.name;
}

/// Every policy, at a roomy and at a minimal capacity. Generic tests run
/// against all of them (INSTANTIATE_TEST_SUITE_P(..., matrix_values(),
/// matrix_name)). Block timeouts are long: a blocked test thread must never
/// give up because the machine is slow.
inline std::vector<mailbox_case> mailbox_matrix() {
  using sluice::mailbox;
  const auto patience = std::chrono::seconds{60};
  return {
    {"block_8",
     mailbox::block(8).with_park_limit(2).with_overcommit(4).with_block_timeout(
       patience)},
    {"block_1",
     mailbox::block(1).with_park_limit(1).with_overcommit(2).with_block_timeout(
       patience)},
    {"drop_newest_8", mailbox::drop_newest(8).with_overcommit(4)},
    {"drop_newest_1", mailbox::drop_newest(1).with_overcommit(2)},
    {"drop_oldest_8", mailbox::drop_oldest(8).with_overcommit(4)},
    {"drop_oldest_1", mailbox::drop_oldest(1).with_overcommit(2)},
    {"credit_8_4", mailbox::credit(8, 4).with_overcommit(4)},
    {"credit_4_1", mailbox::credit(4, 1).with_overcommit(2)},
  };
}

inline auto matrix_values() {
  return ::testing::ValuesIn(mailbox_matrix());
}

inline std::string
matrix_name(const ::testing::TestParamInfo<mailbox_case>& info) {
  return info.param.name;
}

/// True for the policies that lose nothing from managed senders.
inline bool lossless(sluice::policy p) {
  switch (p) {
    case sluice::policy::block:
    case sluice::policy::credit:
      return true;
    case sluice::policy::drop_newest:
    case sluice::policy::drop_oldest:
      return false;
  }
  return false;
}

// -- atoms ------------------------------------------------------------------

using hold_atom = caf::atom_constant<caf::atom("hold")>;
using go_atom = caf::atom_constant<caf::atom("go")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
using count_atom = caf::atom_constant<caf::atom("count")>;

// -- access to the sluice actor behind a handle --------------------------------

inline sluice::actor* impl_of(const caf::actor& a) {
  return dynamic_cast<sluice::actor*>(caf::actor_cast<caf::abstract_actor*>(a));
}

inline sluice::resolved_mailbox config_of(const caf::actor& a) {
  auto* p = impl_of(a);
  EXPECT_NE(p, nullptr);
  return p != nullptr ? p->mailbox_config() : sluice::resolved_mailbox{};
}

/// Sends `reason` to `a` and waits (at most 10 s) for its down message.
/// Do not call while `a` is held in a gate: it cannot handle the exit then.
inline bool exit_and_wait(caf::actor_system& sys, const caf::actor& a,
                          caf::exit_reason reason = caf::exit_reason::kill) {
  caf::scoped_actor self{sys};
  self->monitor(a);
  self->send_exit(a, reason);
  bool down = false;
  self->receive([&](const caf::down_msg&) { down = true; },
                caf::after(std::chrono::seconds{10}) >> [] {});
  EXPECT_TRUE(down) << "actor did not terminate within 10 s";
  return down;
}

// -- recording what a receiver handled -----------------------------------------

/// Thread-safe log of (sender, sequence number) pairs in handling order.
class recorder {
public:
  void add(int sender, int seq) {
    std::lock_guard<std::mutex> guard{mtx_};
    log_.emplace_back(sender, seq);
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return log_.size();
  }

  /// Sequence numbers of `sender`, in handling order.
  std::vector<int> of(int sender) const {
    std::lock_guard<std::mutex> guard{mtx_};
    std::vector<int> result;
    for (auto& x : log_)
      if (x.first == sender)
        result.push_back(x.second);
    return result;
  }

  std::vector<std::pair<int, int>> all() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return log_;
  }

private:
  mutable std::mutex mtx_;
  std::vector<std::pair<int, int>> log_;
};

/// 0, 1, ..., n-1.
inline std::vector<int> iota(int first, int last) {
  std::vector<int> result;
  for (int i = first; i < last; ++i)
    result.push_back(i);
  return result;
}

inline bool strictly_increasing(const std::vector<int>& xs) {
  return std::adjacent_find(xs.begin(), xs.end(), std::greater_equal<int>{})
         == xs.end();
}

/// The receiver used by most tests: records (sender, seq) pairs, holds its
/// handler on the gate for a hold_atom, answers ping with the number of
/// ordinary messages it has entered, and counts handler entries.
struct sink_probe {
  std::shared_ptr<recorder> rec = std::make_shared<recorder>();
  std::shared_ptr<gate> hold = std::make_shared<gate>();
  std::shared_ptr<std::atomic<int>> entered
    = std::make_shared<std::atomic<int>>(0);
  /// `entered` when the first down message was handled (-1: none yet).
  std::shared_ptr<std::atomic<int>> down_at
    = std::make_shared<std::atomic<int>>(-1);
};

inline caf::behavior recording_sink(sluice::actor* self, sink_probe p) {
  self->set_down_handler([=](caf::down_msg&) {
    int expected = -1;
    p.down_at->compare_exchange_strong(expected, p.entered->load());
  });
  return {
    [=](int sender, int seq) {
      p.entered->fetch_add(1); // seq_cst: test bookkeeping
      p.rec->add(sender, seq);
    },
    [=](hold_atom) {
      p.entered->fetch_add(1);
      p.hold->wait();
    },
    [=](ping_atom) {
      p.entered->fetch_add(1);
      return p.entered->load();
    },
    // k self-sends (99, 0..k-1) from one handler
    [=](go_atom, int k) {
      p.entered->fetch_add(1);
      for (int i = 0; i < k; ++i)
        self->send(self, 99, i);
    },
    [=](const caf::actor& x) {
      p.entered->fetch_add(1);
      self->monitor(x);
    },
  };
}

inline caf::actor spawn_sink(caf::actor_system& sys, const sluice::mailbox& m,
                             const sink_probe& p) {
  return sluice::spawn(sys, m, recording_sink, p);
}

/// Sends hold_atom to `a` from this thread and waits until the handler is
/// stuck on the gate: from then on `a` drains nothing until the gate opens.
inline void hold(const caf::actor& a, const sink_probe& p) {
  caf::anon_send(a, hold_atom::value);
  ASSERT_TRUE(p.hold->wait_entered()) << "hold handler never ran";
}

/// Fills `a` with `n` messages (-1, 0..n-1) from this thread, never waiting.
inline void fill(const caf::actor& a, int n) {
  for (int i = 0; i < n; ++i) {
    auto r = sluice::try_send(sluice::this_thread, a, -1, i);
    EXPECT_TRUE(r.taken()) << "fill message " << i << ": " << r.status();
  }
}

/// Collects dead letters; install with hook(). Must outlive the runtime.
class dead_letters {
public:
  sluice::dead_letter_hook hook() {
    return [this](const sluice::dead_letter& x) {
      std::lock_guard<std::mutex> guard{mtx_};
      items_.push_back(x);
    };
  }

  std::size_t count(sluice::loss why) const {
    std::lock_guard<std::mutex> guard{mtx_};
    return static_cast<std::size_t>(std::count_if(
      items_.begin(), items_.end(),
      [&](const sluice::dead_letter& x) { return x.reason == why; }));
  }

  std::size_t size() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return items_.size();
  }

  /// Sequence numbers of lost (sender, seq) messages with reason `why`.
  std::vector<int> seqs(sluice::loss why, int sender) const {
    std::lock_guard<std::mutex> guard{mtx_};
    std::vector<int> result;
    for (auto& x : items_)
      if (x.reason == why && x.content.match_elements<int, int>()
          && x.content.get_as<int>(0) == sender)
        result.push_back(x.content.get_as<int>(1));
    return result;
  }

  /// Lost (sender, seq) messages of `sender`, whatever the reason.
  std::size_t from(int sender) const {
    std::lock_guard<std::mutex> guard{mtx_};
    return static_cast<std::size_t>(std::count_if(
      items_.begin(), items_.end(), [&](const sluice::dead_letter& x) {
        return x.content.match_elements<int, int>()
               && x.content.get_as<int>(0) == sender;
      }));
  }

  std::vector<sluice::dead_letter> all() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return items_;
  }

private:
  mutable std::mutex mtx_;
  std::vector<sluice::dead_letter> items_;
};

/// Joins its threads when destroyed, so a failed assertion never leaves a
/// joinable std::thread behind (which would abort the test binary).
struct thread_group {
  std::vector<std::thread> threads;
  template <class F>
  void spawn(F f) {
    threads.emplace_back(std::move(f));
  }
  void join() {
    for (auto& t : threads)
      if (t.joinable())
        t.join();
  }
  ~thread_group() {
    join();
  }
};

/// Kills every actor in `xs` and waits for each to terminate.
inline void shutdown(caf::actor_system& sys, std::vector<caf::actor> xs) {
  for (auto& x : xs)
    if (x)
      exit_and_wait(sys, x);
}

// -- senders of every kind --------------------------------------------------

/// What one sender saw; written by the sender, read after `finished`.
struct sender_report {
  std::mutex mtx;
  std::map<sluice::send_status, int> statuses;
  std::atomic<bool> finished{false};
  std::atomic<bool> writable_off_owner{false}; // on_writable ran elsewhere

  void note(sluice::send_status st) {
    std::lock_guard<std::mutex> guard{mtx};
    ++statuses[st];
  }

  int count(sluice::send_status st) {
    std::lock_guard<std::mutex> guard{mtx};
    auto i = statuses.find(st);
    return i == statuses.end() ? 0 : i->second;
  }

  void finish() {
    finished.store(true); // seq_cst: test bookkeeping
  }
};

/// From the calling (managed) thread: sends (id, 0..n-1) to `dest` with the
/// policy's lossless API: sluice::send (blocks on a full block mailbox) or,
/// for credit, an endpoint that resends the handed-back message after
/// wait_writable.
inline void send_all_from_thread(const caf::actor& dest, sluice::policy p,
                                 int id, int n, sender_report& rep) {
  if (p == sluice::policy::credit) {
    auto ep = sluice::connect(sluice::this_thread, dest);
    for (int i = 0; i < n; ++i) {
      auto r = ep.send(id, i);
      while (r.status() == sluice::send_status::no_credit) {
        rep.note(r.status());
        EXPECT_EQ(r.message().get_as<int>(1), i) << "message not handed back";
        if (!ep.wait_writable(std::chrono::seconds{30})) {
          ADD_FAILURE() << "no credit within 30 s";
          rep.finish();
          return;
        }
        r = ep.send_message(std::move(r.message()));
      }
      rep.note(r.status());
    }
  } else {
    for (int i = 0; i < n; ++i)
      rep.note(sluice::send(sluice::this_thread, dest, id, i).status());
  }
  rep.finish();
}

/// State of a sluice actor that sends (id, 0..n-1) to `dest`, `burst`
/// messages per handler, with the policy's lossless API for actors:
/// sluice::send (parks on a full block mailbox; a would_block at the park
/// limit is retried after the actor resumes) or a credit endpoint (no_credit
/// is retried from the on_writable callback, on the actor's control lane).
struct managed_sender_state {
  caf::actor dest;
  sluice::policy policy = sluice::policy::block;
  int id = 0;
  int n = 0;
  int burst = 1;
  int next = 0;
  caf::message pending; // handed back; resent before anything newer
  std::unique_ptr<sluice::endpoint> ep;
  std::shared_ptr<sender_report> report;
};

using managed_sender_actor = sluice::stateful_actor<managed_sender_state>;

inline void pump(managed_sender_actor* self) {
  auto& st = self->state;
  for (int k = 0; k < st.burst && st.next < st.n; ++k) {
    auto msg = st.pending.empty() ? caf::make_message(st.id, st.next)
                                  : std::move(st.pending);
    st.pending = caf::message{};
    auto r = st.ep ? st.ep->send_message(std::move(msg))
                   : sluice::send(self, st.dest, std::move(msg));
    st.report->note(r.status());
    switch (r.status()) {
      case sluice::send_status::accepted:
      case sluice::send_status::accepted_evicted:
      case sluice::send_status::parked:
      case sluice::send_status::dropped: // drop-newest: lost by design
        ++st.next;
        break;
      case sluice::send_status::would_block:
        // park limit: resend after the parked messages are admitted (our
        // own go_atom is drained only then)
        st.pending = std::move(r.message());
        self->send(self, go_atom::value);
        return;
      case sluice::send_status::no_credit:
        st.pending = std::move(r.message());
        st.ep->on_writable([self] {
          if (sluice::detail::current_actor() != self)
            self->state.report->writable_off_owner = true;
          pump(self);
        });
        return;
      case sluice::send_status::timed_out:
      case sluice::send_status::closed:
      case sluice::send_status::dead_lettered:
        ADD_FAILURE() << "managed sender got " << r.status();
        ++st.next;
        break;
    }
  }
  if (st.next == st.n) {
    st.ep.reset(); // returns the credit
    st.report->finish();
    return;
  }
  self->send(self, go_atom::value);
}

inline caf::behavior managed_sender(managed_sender_actor* self, caf::actor dest,
                                    sluice::policy p, int id, int n, int burst,
                                    std::shared_ptr<sender_report> rep) {
  auto& st = self->state;
  st.dest = dest;
  st.policy = p;
  st.id = id;
  st.n = n;
  st.burst = burst;
  st.report = std::move(rep);
  if (p == sluice::policy::credit)
    st.ep = std::make_unique<sluice::endpoint>(sluice::connect(self, dest));
  return {
    [=](go_atom) { pump(self); },
  };
}

/// Spawns a managed sender (roomy block mailbox) and starts it.
inline caf::actor start_managed_sender(caf::actor_system& sys,
                                       const caf::actor& dest, sluice::policy p,
                                       int id, int n, int burst,
                                       std::shared_ptr<sender_report> rep) {
  auto a = sluice::spawn(sys, sluice::mailbox::block(1024), managed_sender,
                         dest, p, id, n, burst, std::move(rep));
  caf::anon_send(a, go_atom::value);
  return a;
}

/// A plain CAF actor (unmanaged sender) that sends (id, 0..n-1) to `dest`
/// from its init function and terminates.
inline caf::actor start_unmanaged_sender(caf::actor_system& sys,
                                         const caf::actor& dest, int id,
                                         int n) {
  return sys.spawn([=](caf::event_based_actor* self) {
    for (int i = 0; i < n; ++i)
      self->send(dest, id, i);
  });
}

/// Thread-safe list of strings in the order things happened.
class event_log {
public:
  void add(std::string x) {
    std::lock_guard<std::mutex> guard{mtx_};
    xs_.push_back(std::move(x));
  }
  std::vector<std::string> get() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return xs_;
  }
  std::size_t size() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return xs_.size();
  }
  /// Position of `x`, or -1.
  int index_of(const std::string& x) const {
    std::lock_guard<std::mutex> guard{mtx_};
    auto i = std::find(xs_.begin(), xs_.end(), x);
    return i == xs_.end() ? -1 : static_cast<int>(i - xs_.begin());
  }

private:
  mutable std::mutex mtx_;
  std::vector<std::string> xs_;
};

} // namespace sluice::test
