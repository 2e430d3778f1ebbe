// The policy matrix scenario: source -> stage -> sink, all sluice actors,
// the sink slower than the source, run once per policy with identical load.
// Shared by samples/policy_matrix.cpp and tests/policy_matrix_test.cpp.
//
// What each run measures (nothing here is hard-coded per policy):
// - lost: messages refused, evicted or dead-lettered anywhere on the way
//   (stage and sink mailbox counters, plus refusals handed back to a sender
//   that did not retry them);
// - producer_blocked_ms: time the source spent suspended (parked) or blocked;
// - stage_blocked_ms: time the stage spent suspended because the sink was
//   full (a cascading stall).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sluice.hpp>

namespace policy_matrix {

using namespace std::chrono_literals;

struct params {
  std::size_t messages = 20000;
  std::size_t capacity = 64;
  std::size_t sink_delay_us = 50;
  std::size_t batch = 32; ///< messages the source sends per handler call
  std::vector<sluice::policy> policies{
    sluice::policy::block, sluice::policy::drop_newest,
    sluice::policy::drop_oldest, sluice::policy::credit};
  std::chrono::seconds timeout{120};
};

struct result {
  sluice::policy policy = sluice::policy::block;
  std::uint64_t sent = 0;
  std::uint64_t delivered = 0;
  std::uint64_t lost = 0;
  std::uint64_t producer_blocked_ms = 0;
  std::uint64_t stage_blocked_ms = 0;
  bool upstream_stalled = false;
  std::uint64_t stage_max_depth = 0;
  std::uint64_t stage_capacity = 0;
  std::uint64_t sink_max_depth = 0;
  std::uint64_t no_credit_pauses = 0; ///< credit: sends refused, then resent
  std::uint64_t duration_ms = 0;

  bool loses() const noexcept {
    return lost > 0;
  }
  bool sender_stalls() const noexcept {
    return producer_blocked_ms > 0;
  }
};

/// Parses "block,drop-newest,...". Throws std::invalid_argument naming the
/// bad entry.
inline std::vector<sluice::policy> parse_policies(const std::string& str) {
  std::vector<sluice::policy> result;
  std::stringstream in{str};
  std::string item;
  while (std::getline(in, item, ',')) {
    auto p = sluice::parse_policy(item);
    if (!p)
      throw std::invalid_argument(
        "--policies: unknown policy '" + item
        + "' (expected block, drop-newest, drop-oldest or credit)");
    result.push_back(*p);
  }
  if (result.empty())
    throw std::invalid_argument("--policies: no policy given");
  return result;
}

namespace detail {

using go_atom = caf::atom_constant<caf::atom("mx_go")>;
using next_atom = caf::atom_constant<caf::atom("mx_next")>;

struct shared {
  std::atomic<std::uint64_t> source_done{0}; ///< 1 when all were offered
  std::atomic<std::uint64_t> source_lost{0}; ///< handed back, not retried
                                             ///< (drops are counted by the
                                             ///< receiving mailbox instead)
  std::atomic<std::uint64_t> pauses{0};
  std::atomic<std::uint64_t> sink_handled{0};
  std::atomic<std::uint64_t> stage_buffered{0};
};

inline void busy_wait(std::chrono::microseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    // emulate work; a sleep would hand the core to the other actors
  }
}

inline sluice::mailbox mailbox_for(sluice::policy p, std::size_t capacity,
                                   const char* name, bool manual) {
  switch (p) {
    case sluice::policy::block:
      return sluice::mailbox::block(capacity).named(name);
    case sluice::policy::drop_newest:
      return sluice::mailbox::drop_newest(capacity).named(name);
    case sluice::policy::drop_oldest:
      return sluice::mailbox::drop_oldest(capacity).named(name);
    case sluice::policy::credit: {
      auto m = sluice::mailbox::credit(capacity,
                                       std::max<std::size_t>(1, capacity / 2))
                 .named(name);
      return manual ? m.with_manual_credit() : m;
    }
  }
  throw std::logic_error("unknown policy");
}

// relaxed everywhere below: these counters are read by the measuring thread
// after it observed completion through the mailbox counters; exactness is
// only needed at quiescence.
inline void bump(std::atomic<std::uint64_t>& x, std::uint64_t n = 1) {
  x.fetch_add(n, std::memory_order_relaxed);
}

/// Sink: slow consumer.
inline caf::behavior sink_impl(sluice::actor*, std::shared_ptr<shared> sh,
                               std::chrono::microseconds delay) {
  return {[=](std::uint64_t) {
    busy_wait(delay);
    bump(sh->sink_handled);
  }};
}

struct stage_state {
  sluice::endpoint out;               // credit only
  std::deque<std::uint64_t> buffered; // credit only: waiting for sink credit
};

/// Stage: forwards to the sink. Under credit it forwards through an
/// endpoint in manual mode and grants upstream only what it forwarded, so
/// while the sink has no credit for it, the source gets none either.
inline caf::behavior stage_impl(sluice::stateful_actor<stage_state>* self,
                                caf::actor sink, sluice::policy p,
                                std::shared_ptr<shared> sh) {
  if (p == sluice::policy::credit) {
    self->state.out = sluice::connect(self, sink);
    auto flush = [self, sh] {
      auto& st = self->state;
      while (!st.buffered.empty()) {
        auto r = st.out.send(st.buffered.front());
        if (!r.taken())
          return; // still no credit: wait for the next writable
        st.buffered.pop_front();
        sh->stage_buffered.fetch_sub(1, std::memory_order_relaxed);
        self->grant(1);
      }
    };
    self->state.out.on_writable(flush);
    return {[self, sh, flush](std::uint64_t x) {
      auto& st = self->state;
      st.buffered.push_back(x);
      bump(sh->stage_buffered);
      flush();
    }};
  }
  return {[self, sink, sh](std::uint64_t x) {
    auto r = sluice::send(self, sink, x);
    if (!r.taken() && r.status() != sluice::send_status::dropped)
      bump(sh->source_lost); // dropped ones are counted by the sink's mailbox
  }};
}

struct source_state {
  std::uint64_t next = 0;
  sluice::endpoint out; // credit only
};

/// Source: offers `n` messages, `batch` per handler call, continuing with a
/// self-send so its control lane stays responsive.
inline caf::behavior source_impl(sluice::stateful_actor<source_state>* self,
                                 caf::actor stage, sluice::policy p,
                                 std::uint64_t n, std::size_t batch,
                                 std::shared_ptr<shared> sh) {
  bool credit = p == sluice::policy::credit;
  if (credit)
    self->state.out = sluice::connect(self, stage);
  auto pump = [=] {
    auto& st = self->state;
    for (std::size_t i = 0; i < batch && st.next < n; ++i) {
      if (credit) {
        auto r = st.out.send(st.next);
        if (r.status() == sluice::send_status::no_credit) {
          bump(sh->pauses); // paused by the signal; resumed by writable
          return;
        }
        ++st.next;
        continue;
      }
      auto r = sluice::send(self, stage, st.next++);
      if (!r.taken() && r.status() != sluice::send_status::dropped)
        bump(sh->source_lost); // dropped ones are counted by the stage
      if (r.status() == sluice::send_status::parked)
        break; // suspended: the rest of the handler still runs, then we wait
    }
    if (st.next < n)
      self->send(self, next_atom::value);
    else
      sh->source_done.store(1, std::memory_order_release); // pairs: reader
  };
  if (credit)
    self->state.out.on_writable(pump);
  return {
    [=](go_atom) { pump(); },
    [=](next_atom) { pump(); },
  };
}

} // namespace detail

/// Runs the pipeline once for policy `p`. Needs a system with a runtime.
inline result run_one(caf::actor_system& sys, sluice::policy p,
                      const params& ps) {
  using namespace detail;
  auto sh = std::make_shared<shared>();
  auto delay = std::chrono::microseconds(ps.sink_delay_us);
  auto sink = sluice::spawn(sys, mailbox_for(p, ps.capacity, "sink", false),
                            sink_impl, sh, delay);
  auto stage = sluice::spawn(sys, mailbox_for(p, ps.capacity, "stage", true),
                             stage_impl, sink, p, sh);
  // The source's own mailbox only holds its continuation self-sends.
  auto source = sluice::spawn(
    sys, sluice::mailbox::block(ps.capacity).named("source"), source_impl,
    stage, p, static_cast<std::uint64_t>(ps.messages), ps.batch, sh);
  auto start = std::chrono::steady_clock::now();
  caf::anon_send(source, go_atom::value);
  // Done when every message is accounted for: delivered or lost.
  auto lost_now = [&] {
    auto s1 = sluice::stats(stage);
    auto s2 = sluice::stats(sink);
    return sh->source_lost.load(std::memory_order_relaxed)
           + (s1 ? s1->lost() : 0) + (s2 ? s2->lost() : 0);
  };
  auto deadline = start + ps.timeout;
  for (;;) {
    auto handled = sh->sink_handled.load(std::memory_order_relaxed);
    if (sh->source_done.load(std::memory_order_acquire) == 1
        && handled + lost_now() >= ps.messages)
      break;
    if (std::chrono::steady_clock::now() > deadline) {
      // stop the pipeline first: the runtime's destructor waits for it
      for (auto& a : {source, stage, sink})
        caf::anon_send_exit(a, caf::exit_reason::kill);
      throw std::runtime_error(
        "policy_matrix: " + std::string{to_string(p)}
        + " run did not finish within " + std::to_string(ps.timeout.count())
        + " s (stuck: " + sluice::to_string(*sluice::stats(stage)) + ")");
    }
    std::this_thread::sleep_for(200us);
  }
  auto end = std::chrono::steady_clock::now();
  result r;
  r.policy = p;
  r.sent = ps.messages;
  r.delivered = sh->sink_handled.load(std::memory_order_relaxed);
  r.lost = lost_now();
  auto src = *sluice::stats(source);
  auto stg = *sluice::stats(stage);
  auto snk = *sluice::stats(sink);
  r.producer_blocked_ms = src.suspended_ns / 1000000;
  r.stage_blocked_ms = stg.suspended_ns / 1000000;
  r.upstream_stalled = r.stage_blocked_ms > 0;
  r.stage_max_depth = stg.high_watermark;
  r.stage_capacity = stg.capacity;
  r.sink_max_depth = snk.high_watermark;
  r.no_credit_pauses = sh->pauses.load(std::memory_order_relaxed);
  r.duration_ms = static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::milliseconds>(end - start).count());
  for (auto& a : {source, stage, sink})
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  return r;
}

inline std::vector<result> run_all(caf::actor_system& sys, const params& ps) {
  std::vector<result> rs;
  for (auto p : ps.policies)
    rs.push_back(run_one(sys, p, ps));
  return rs;
}

inline std::string yes_no(bool x) {
  return x ? "yes" : "no";
}

/// The seed's table, every cell derived from `rs`.
inline std::string to_text(const std::vector<result>& rs, const params& ps) {
  std::ostringstream out;
  out << "policy matrix: source -> stage -> sink, " << ps.messages
      << " messages, capacity " << ps.capacity << ", sink " << ps.sink_delay_us
      << " us/message\n\n";
  out << "| policy      | message loss | sender stalls | cascading stalls |\n"
      << "|-------------|--------------|---------------|------------------|\n";
  for (auto& r : rs) {
    char line[160];
    std::snprintf(line, sizeof(line), "| %-11s | %-12s | %-13s | %-16s |\n",
                  std::string{to_string(r.policy)}.c_str(),
                  yes_no(r.loses()).c_str(), yes_no(r.sender_stalls()).c_str(),
                  yes_no(r.upstream_stalled).c_str());
    out << line;
  }
  out << "\nmeasured:\n";
  for (auto& r : rs) {
    out << "  " << to_string(r.policy) << ": sent=" << r.sent
        << " delivered=" << r.delivered << " lost=" << r.lost
        << " producer_blocked_ms=" << r.producer_blocked_ms
        << " stage_blocked_ms=" << r.stage_blocked_ms
        << " stage_max_depth=" << r.stage_max_depth << "/" << r.stage_capacity
        << " no_credit_pauses=" << r.no_credit_pauses
        << " duration_ms=" << r.duration_ms << "\n";
  }
  return out.str();
}

inline std::string to_json(const std::vector<result>& rs) {
  std::ostringstream out;
  out << "[";
  bool first = true;
  for (auto& r : rs) {
    out << (first ? "\n" : ",\n") << "  {\"policy\": \"" << to_string(r.policy)
        << "\", \"sent\": " << r.sent << ", \"delivered\": " << r.delivered
        << ", \"lost\": " << r.lost
        << ", \"producer_blocked_ms\": " << r.producer_blocked_ms
        << ", \"stage_blocked_ms\": " << r.stage_blocked_ms
        << ", \"upstream_stalled\": " << (r.upstream_stalled ? "true" : "false")
        << ", \"stage_max_depth\": " << r.stage_max_depth
        << ", \"stage_capacity\": " << r.stage_capacity
        << ", \"sink_max_depth\": " << r.sink_max_depth
        << ", \"no_credit_pauses\": " << r.no_credit_pauses
        << ", \"duration_ms\": " << r.duration_ms << "}";
    first = false;
  }
  out << "\n]\n";
  return out.str();
}

} // namespace policy_matrix
