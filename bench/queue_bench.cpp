// queue_bench — how sluice's ordinary lane compares with CAF's own mailbox,
// and what the candidate queues cost.
//
// Four parts, all in one run (ratios are only meaningful within one run):
//   lane: the ordinary lane alone against CAF's own mailbox type, the same
//      mailbox_elements, one producer and one consumer, paired runs;
//   raw: queues of plain nodes, 1P1C and 2P1C, never full:
//      sluice::core::mailbox_core, boost::lockfree::queue,
//      boost::lockfree::spsc_queue, std::mutex + std::deque, a Vyukov-style
//      MPSC list with a stub (written here), and replicas of the core's
//      slow-path layout (mutex + core::ring) with and without a timestamp;
//   e2e: end to end through actors (each case in its own child process, so
//      its peak RSS is its own): plain CAF actor vs sluice actors, a fast
//      handler, a deliberately slow one (busy-wait per message), and a
//      drain-only case (messages sent while the actor is held, then timed
//      from release: the consumer's cost alone);
//   now: the cost of the clocks and of an uncontended offer()/pop().
//
// Repetitions are interleaved (rep 1 of every candidate, then rep 2, ...) so
// a noisy neighbour hurts all candidates alike; the tables show medians.
//
// Usage: queue_bench [--reps=5] [--msgs=2000000] [--e2e-msgs=2000000]
//                    [--slow-msgs=1000000] [--slow-ns=1000]
//                    [--parts=lane,raw,e2e,now] [--cases=NAME,...]
//   --cases: only these end-to-end cases (and their CAF baselines), e.g.
//            --cases=sluice_big,sluice_drain
// Internal: queue_bench --case=NAME --n=N --slow-ns=NS  (one end-to-end case)
// Docs: docs/queue-choice.md.

#include <sluice.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <boost/lockfree/queue.hpp>
#include <boost/lockfree/spsc_queue.hpp>

#include <caf/all.hpp>

namespace {

using clk = std::chrono::steady_clock;

double seconds_since(clk::time_point t0) {
  return std::chrono::duration<double>(clk::now() - t0).count();
}

double median(std::vector<double> xs) {
  if (xs.empty())
    return 0;
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  return n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
}

/// What a set of paired ratios (sluice / CAF, one per repetition) says:
/// the median with a distribution-free 95% confidence interval (order
/// statistics of the binomial(n, 1/2) law: no assumption about the noise),
/// how many repetitions sluice was ahead, and the exact two-sided sign test
/// for "ahead as often as behind". A ratio of exactly 1 counts as neither.
struct paired_stats {
  std::size_t n = 0;
  double med = 0, lo = 0, hi = 0, min = 0, max = 0;
  bool has_ci = false; // needs n >= 6
  std::size_t ahead = 0, behind = 0;
  double p = 1.0;
};

/// P(X <= k) for X ~ binomial(n, 1/2).
double binom_half_cdf(std::size_t n, std::size_t k) {
  double sum = 0;
  for (std::size_t i = 0; i <= k && i <= n; ++i)
    sum += std::exp(std::lgamma(static_cast<double>(n) + 1)
                    - std::lgamma(static_cast<double>(i) + 1)
                    - std::lgamma(static_cast<double>(n - i) + 1)
                    - static_cast<double>(n) * std::log(2.0));
  return std::min(1.0, sum);
}

paired_stats paired_summary(std::vector<double> xs) {
  paired_stats s;
  std::sort(xs.begin(), xs.end());
  s.n = xs.size();
  if (xs.empty())
    return s;
  s.med = median(xs);
  s.min = xs.front();
  s.max = xs.back();
  // largest j with P(X < j) <= 2.5%: [x(j), x(n-j+1)] (1-based) covers the
  // median with probability >= 95%
  std::size_t j = 0;
  while (j + 1 <= s.n && binom_half_cdf(s.n, j) <= 0.025)
    ++j;
  if (j >= 1) {
    s.has_ci = true;
    s.lo = xs[j - 1];
    s.hi = xs[s.n - j];
  }
  for (auto x : xs) {
    s.ahead += x > 1.0 ? 1 : 0;
    s.behind += x < 1.0 ? 1 : 0;
  }
  auto m = s.ahead + s.behind;
  if (m > 0)
    s.p = std::min(1.0, 2 * binom_half_cdf(m, std::min(s.ahead, s.behind)));
  return s;
}

/// Polite waiting after an empty pop (or a full push): exponential pause
/// (1, 2, 4 ... 32 pauses) so a polling consumer does not hammer a lock the
/// producer needs, then yield: 3 threads share 2 cores in the 2P1C runs.
inline void backoff(unsigned& idle) {
  if (idle < 6) {
    for (unsigned i = 0; i < (1u << idle); ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    ++idle;
  } else {
    std::this_thread::yield();
  }
}

// -- part 1: raw queue candidates ----------------------------------------------

/// The message. `next` is used only by the intrusive candidate.
struct node {
  std::atomic<node*> next{nullptr};
  std::uint64_t value = 0;
};

/// Intrusive multi-producer single-consumer list in the style of Dmitry
/// Vyukov's: producers swap themselves in as the new head (one atomic
/// exchange, wait-free), the consumer walks from the tail. No allocation and
/// no capacity; what a lock-free lane with the link inside the mailbox
/// element (as CAF's own inbox does) would cost.
/// - push: any thread. pop: one consumer thread.
/// - pop may return nullptr while a push is half done (a producer swapped
///   the head but has not linked its predecessor yet); the caller retries.
class vyukov_mpsc {
public:
  vyukov_mpsc() : head_(&stub_), tail_(&stub_) {}

  void push(node* n) noexcept {
    // relaxed: n is published by the release exchange below
    n->next.store(nullptr, std::memory_order_relaxed);
    link(n);
  }

  node* pop() noexcept {
    node* tail = tail_;
    // acquire: pairs with the release store in link(), so *next is visible
    node* next = tail->next.load(std::memory_order_acquire);
    if (tail == &stub_) {
      if (next == nullptr)
        return nullptr; // empty
      tail_ = next;     // skip the stub
      tail = next;
      next = next->next.load(std::memory_order_acquire); // acquire: as above
    }
    if (next != nullptr) {
      tail_ = next;
      return tail;
    }
    // tail is the last linked node. If it is not the head, a producer is
    // between its exchange and its link: try again later.
    // acquire: pairs with the acq_rel exchange in link()
    if (tail != head_.load(std::memory_order_acquire))
      return nullptr;
    // Re-insert the stub behind tail so tail can be handed out.
    stub_.next.store(nullptr, std::memory_order_relaxed); // relaxed: as push
    link(&stub_);
    next = tail->next.load(std::memory_order_acquire); // acquire: as above
    if (next != nullptr) {
      tail_ = next;
      return tail;
    }
    return nullptr;
  }

private:
  void link(node* n) noexcept {
    // acq_rel: release publishes n's fields to the consumer; acquire orders
    // the store into prev after whoever linked prev
    node* prev = head_.exchange(n, std::memory_order_acq_rel);
    // release: the consumer's acquire load of prev->next sees n complete
    prev->next.store(n, std::memory_order_release);
  }

  alignas(64) std::atomic<node*> head_; // producers
  alignas(64) node* tail_;              // consumer only
  alignas(64) node stub_;
};

static_assert(alignof(vyukov_mpsc) >= 64,
              "producer and consumer ends must sit on separate cache lines");

/// The core links bench nodes through their atomic `next`.
struct node_link {
  static void set_next(node* x, node* n) noexcept {
    // relaxed: x is not visible to anyone else yet
    x->next.store(n, std::memory_order_relaxed);
  }
  static node* next_acquire(node* x) noexcept {
    return x->next.load(std::memory_order_acquire); // acquire: see the core
  }
  static void set_next_release(node* x, node* n) noexcept {
    x->next.store(n, std::memory_order_release); // release: see the core
  }
};

using core_lane
  = sluice::core::mailbox_core<node, int, std::default_delete<node>, node_link>;

/// The core's data layout without its counters, policy switch and waiter
/// logic: a std::mutex around a sluice::core::ring of the core's slot shape
/// (element, credit attribution, enqueue time). Splits the core's cost into
/// "mutex + ring", "+ clock" and "+ everything else".
enum class stamp { none, in_lock, before_lock };

template <stamp When>
class mutex_ring {
public:
  explicit mutex_ring(std::size_t capacity) : q_(capacity) {}

  bool push(node* n) {
    std::int64_t ts = 0;
    if constexpr (When == stamp::before_lock)
      ts = clk::now().time_since_epoch().count();
    std::lock_guard<std::mutex> guard{mtx_};
    if constexpr (When == stamp::in_lock)
      ts = clk::now().time_since_epoch().count();
    q_.push_back(slot{n, nullptr, ts});
    return true;
  }

  node* pop() {
    std::lock_guard<std::mutex> guard{mtx_};
    if (q_.empty())
      return nullptr;
    return q_.pop_front().elem;
  }

private:
  struct slot {
    node* elem = nullptr;
    void* from = nullptr;
    std::int64_t enq_ns = 0;
  };
  std::mutex mtx_;
  sluice::core::ring<slot> q_;
};

sluice::resolved_mailbox big_block(std::size_t capacity) {
  sluice::resolved_mailbox m;
  m.name = "bench";
  m.policy = sluice::policy::block;
  m.capacity = capacity;
  m.window = 64;
  m.block_timeout = std::chrono::seconds{5};
  m.park_limit = 64;
  m.overcommit = 0;
  return m;
}

/// One queue under test; run() builds it for nodes.size() messages (never
/// full) and returns messages/s for one transfer.
struct candidate {
  std::string name;
  bool multi_producer;
  std::function<double(std::vector<node>&, int producers)> run;
};

/// Runs one transfer of nodes.size() messages from `producers` threads to
/// one consumer; returns messages per second from release to the last pop.
template <class Queue, class Push, class Pop>
double transfer(Queue& q, std::vector<node>& nodes, int producers, Push push,
                Pop pop) {
  const std::size_t total = nodes.size();
  std::atomic<bool> go{false};
  std::uint64_t sum = 0;
  clk::time_point t0;
  clk::time_point t1;
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      while (!go.load(std::memory_order_acquire)) // acquire: start signal
        std::this_thread::yield();
      auto first = total * static_cast<std::size_t>(p)
                   / static_cast<std::size_t>(producers);
      auto last = total * static_cast<std::size_t>(p + 1)
                  / static_cast<std::size_t>(producers);
      for (auto i = first; i < last; ++i) {
        unsigned idle = 0;
        while (!push(q, &nodes[i]))
          backoff(idle); // full: never happens with the sizes used here
      }
    });
  }
  std::thread consumer([&] {
    while (!go.load(std::memory_order_acquire)) // acquire: start signal
      std::this_thread::yield();
    std::size_t got = 0;
    unsigned idle = 0;
    while (got < total) {
      if (node* n = pop(q)) {
        sum += n->value;
        ++got;
        idle = 0;
      } else {
        backoff(idle);
      }
    }
    t1 = clk::now();
  });
  t0 = clk::now();
  go.store(true, std::memory_order_release); // release: start signal
  for (auto& t : threads)
    t.join();
  consumer.join();
  auto expect = static_cast<std::uint64_t>(total) * (total - 1) / 2;
  if (sum != expect) {
    std::fprintf(stderr, "queue_bench: lost or duplicated messages\n");
    std::exit(1);
  }
  return static_cast<double>(total)
         / std::chrono::duration<double>(t1 - t0).count();
}

std::vector<candidate> raw_candidates() {
  std::vector<candidate> xs;
  xs.push_back({"sluice mailbox_core (fast path)", true,
                [](std::vector<node>& nodes, int producers) {
                  core_lane q{big_block(nodes.size())};
                  core_lane::effects fx;
                  // the actor's consumer protocol: a batch per lock, then
                  // start_one() per message
                  node* batch[16];
                  std::size_t pos = 0;
                  std::size_t len = 0;
                  bool counted = false;
                  return transfer(
                    q, nodes, producers,
                    [](core_lane& c, node* n) {
                      auto r
                        = c.offer(n, sluice::sender_kind::unmanaged, nullptr);
                      return sluice::core::taken(r.status);
                    },
                    [&](core_lane& c) -> node* {
                      if (pos == len) {
                        pos = 0;
                        len = c.pop_batch(batch, 16, &counted, fx);
                        if (len == 0)
                          return nullptr;
                      }
                      if (counted)
                        c.start_one();
                      return batch[pos++];
                    });
                }});
  auto ring = [](const char* name, auto tag) {
    using Q = mutex_ring<decltype(tag)::value>;
    return candidate{name, true, [](std::vector<node>& nodes, int producers) {
                       Q q{nodes.size()};
                       return transfer(
                         q, nodes, producers,
                         [](Q& r, node* n) { return r.push(n); },
                         [](Q& r) { return r.pop(); });
                     }};
  };
  xs.push_back(ring("  mutex+ring, now() in lock",
                    std::integral_constant<stamp, stamp::in_lock>{}));
  xs.push_back(ring("  mutex+ring, now() before lock",
                    std::integral_constant<stamp, stamp::before_lock>{}));
  xs.push_back(ring("  mutex+ring, no clock",
                    std::integral_constant<stamp, stamp::none>{}));
  xs.push_back({"std::mutex + std::deque", true,
                [](std::vector<node>& nodes, int producers) {
                  struct locked_deque {
                    std::mutex mtx;
                    std::deque<node*> q;
                  } q;
                  return transfer(
                    q, nodes, producers,
                    [](locked_deque& d, node* n) {
                      std::lock_guard<std::mutex> g{d.mtx};
                      d.q.push_back(n);
                      return true;
                    },
                    [](locked_deque& d) -> node* {
                      std::lock_guard<std::mutex> g{d.mtx};
                      if (d.q.empty())
                        return nullptr;
                      auto* n = d.q.front();
                      d.q.pop_front();
                      return n;
                    });
                }});
  xs.push_back({"boost::lockfree::queue (MPMC)", true,
                [](std::vector<node>& nodes, int producers) {
                  boost::lockfree::queue<node*> q(nodes.size());
                  return transfer(
                    q, nodes, producers,
                    [](boost::lockfree::queue<node*>& b, node* n) {
                      return b.bounded_push(n); // fixed: never allocates
                    },
                    [](boost::lockfree::queue<node*>& b) -> node* {
                      node* n = nullptr;
                      return b.pop(n) ? n : nullptr;
                    });
                }});
  xs.push_back({"boost::lockfree::spsc_queue", false,
                [](std::vector<node>& nodes, int producers) {
                  boost::lockfree::spsc_queue<node*> q(nodes.size());
                  return transfer(
                    q, nodes, producers,
                    [](boost::lockfree::spsc_queue<node*>& b, node* n) {
                      return b.push(n);
                    },
                    [](boost::lockfree::spsc_queue<node*>& b) -> node* {
                      node* n = nullptr;
                      return b.pop(n) ? n : nullptr;
                    });
                }});
  xs.push_back({"intrusive Vyukov MPSC (own)", true,
                [](std::vector<node>& nodes, int producers) {
                  auto q = std::make_unique<vyukov_mpsc>();
                  return transfer(
                    *q, nodes, producers,
                    [](vyukov_mpsc& v, node* n) {
                      v.push(n);
                      return true;
                    },
                    [](vyukov_mpsc& v) { return v.pop(); });
                }});
  return xs;
}

void print_rule(int width) {
  std::printf("%s\n",
              std::string(static_cast<std::size_t>(width), '-').c_str());
}

void run_raw(std::size_t msgs, int reps) {
  std::vector<node> nodes(msgs);
  for (std::size_t i = 0; i < msgs; ++i)
    nodes[i].value = i;
  auto cands = raw_candidates();
  for (int producers : {1, 2}) {
    std::map<std::string, std::vector<double>> results;
    for (int r = 0; r < reps; ++r)
      for (auto& c : cands)
        if (producers == 1 || c.multi_producer)
          results[c.name].push_back(c.run(nodes, producers));
    double base = median(results[cands[0].name]);
    std::printf("\nRaw queue, %dP1C, %zu messages, never full, median of %d "
                "(min..max), Mmsg/s\n",
                producers, msgs, reps);
    print_rule(86);
    std::printf("%-34s %10s %22s %10s %6s\n", "candidate", "median", "min..max",
                "ns/msg", "x core");
    print_rule(86);
    for (auto& c : cands) {
      auto i = results.find(c.name);
      if (i == results.end())
        continue;
      auto& v = i->second;
      auto med = median(v);
      char range[64];
      std::snprintf(range, sizeof(range), "%.2f..%.2f",
                    *std::min_element(v.begin(), v.end()) / 1e6,
                    *std::max_element(v.begin(), v.end()) / 1e6);
      std::printf("%-34s %10.2f %22s %10.1f %6.2f\n", c.name.c_str(), med / 1e6,
                  range, 1e9 / med, med / base);
    }
    std::fflush(stdout);
  }
}

// -- part 3: the clock -----------------------------------------------------------

/// Single-threaded push-then-pop of every node through one queue: the bare
/// cost of a push and a pop with no contention. Returns {push ns, pop ns}.
template <class Push, class Pop>
std::pair<double, double> one_thread(std::vector<node>& nodes, Push push,
                                     Pop pop) {
  auto n = static_cast<double>(nodes.size());
  auto t0 = clk::now();
  for (auto& x : nodes)
    push(&x);
  auto push_ns = seconds_since(t0) * 1e9 / n;
  t0 = clk::now();
  while (pop() != nullptr) {
  }
  return {push_ns, seconds_since(t0) * 1e9 / n};
}

void run_now(std::size_t msgs, int reps) {
  constexpr std::size_t calls = 10'000'000;
  std::map<std::string, std::vector<double>> v;
  std::vector<node> nodes(msgs);
  for (int r = 0; r < reps; ++r) {
    std::int64_t acc = 0;
    auto t0 = clk::now();
    for (std::size_t i = 0; i < calls; ++i)
      acc += clk::now().time_since_epoch().count();
    v["now"].push_back(seconds_since(t0) * 1e9 / calls);
    t0 = clk::now();
    for (std::size_t i = 0; i < calls; ++i) {
      timespec ts{};
      clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
      acc += ts.tv_nsec;
    }
    v["coarse"].push_back(seconds_since(t0) * 1e9 / calls);
    if (acc == 42)
      std::printf(" "); // keeps the loop from being optimised away
    {
      core_lane q{big_block(msgs)};
      core_lane::effects fx;
      auto [push, pop] = one_thread(
        nodes,
        [&](node* x) {
          (void)q.offer(x, sluice::sender_kind::unmanaged, nullptr);
        },
        [&] { return q.pop(fx); });
      v["core push"].push_back(push);
      v["core pop"].push_back(pop);
    }
    {
      mutex_ring<stamp::in_lock> q{msgs};
      auto [push, pop] = one_thread(
        nodes, [&](node* x) { q.push(x); }, [&] { return q.pop(); });
      v["ring+now push"].push_back(push);
      v["ring+now pop"].push_back(pop);
    }
    {
      mutex_ring<stamp::none> q{msgs};
      auto [push, pop] = one_thread(
        nodes, [&](node* x) { q.push(x); }, [&] { return q.pop(); });
      v["ring push"].push_back(push);
      v["ring pop"].push_back(pop);
    }
  }
  std::string src = "?";
  std::ifstream f{
    "/sys/devices/system/clocksource/clocksource0/current_clocksource"};
  if (f)
    f >> src;
  auto now = median(v["now"]);
  std::printf("\nClock cost and uncontended push/pop (one thread, %zu "
              "messages), clocksource %s, median of %d\n",
              msgs, src.c_str(), reps);
  print_rule(86);
  std::printf("%-44s %8.1f ns\n", "steady_clock::now()", now);
  timespec res{};
  clock_getres(CLOCK_MONOTONIC_COARSE, &res);
  std::printf("%-44s %8.1f ns (resolution %.1f ms)\n",
              "clock_gettime(CLOCK_MONOTONIC_COARSE)", median(v["coarse"]),
              static_cast<double>(res.tv_nsec) / 1e6);
  auto row = [&](const char* what, const char* key, bool stamps) {
    auto push = median(v[std::string{key} + " push"]);
    char share[32] = "";
    if (stamps)
      std::snprintf(share, sizeof(share), "(now() = %.0f%%)",
                    100.0 * now / push);
    std::printf("%-44s %8.1f ns push %-15s %6.1f ns pop\n", what, push, share,
                median(v[std::string{key} + " pop"]));
  };
  row("sluice mailbox_core offer/pop", "core", true);
  row("  mutex+ring, now() in lock", "ring+now", true);
  row("  mutex+ring, no clock", "ring", false);
  std::fflush(stdout);
}

// -- part 2: end to end through actors (one case per child process) ------------

long status_kb(const char* key) {
  std::ifstream f{"/proc/self/status"};
  std::string line;
  auto len = std::strlen(key);
  while (std::getline(f, line))
    if (line.compare(0, len, key) == 0)
      return std::atol(line.c_str() + len + 1);
  return -1;
}

inline std::int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline void busy_wait_ns(long ns) {
  if (ns <= 0)
    return;
  auto end = clk::now() + std::chrono::nanoseconds{ns};
  while (clk::now() < end) {
  }
}

struct case_spec {
  const char* name;
  const char* what;
  bool sluice;
  std::size_t capacity; // sluice only
  bool slow;
  /// Drain only: the n messages are sent while the actor is stuck in a
  /// first handler, then released; the time is the consumer's alone.
  bool prefill = false;
};

const case_spec cases[] = {
  {"caf", "plain CAF actor (unbounded)", false, 0, false},
  {"sluice_big", "sluice block(1<<22) (never full)", true, 1u << 22, false},
  {"sluice_1024", "sluice block(1024)", true, 1024, false},
  {"caf_slow", "plain CAF actor (unbounded)", false, 0, true},
  {"sluice_slow", "sluice block(1024)", true, 1024, true},
  {"sluice_big_slow", "sluice block(1<<22) (never full)", true, 1u << 22, true},
  {"caf_drain", "plain CAF actor (unbounded)", false, 0, false, true},
  {"sluice_drain", "sluice block(1<<22) (never full)", true, 1u << 22, false,
   true},
};

// -- the lane alone: sluice's ordinary lane vs CAF's native mailbox ------------
//
// The same pre-allocated mailbox_elements (an int each) go from one producer
// thread to one consumer thread, through (a) CAF's own mailbox type,
// scheduled_actor::mailbox_type, pushed as CAF's enqueue does and consumed
// with new_round(3, ...) as CAF's resume() does, and (b) sluice's core over
// mailbox_element, offered as sluice's enqueue does and consumed with
// pop_batch + start_one as sluice's drain does. No actor, no scheduler, no
// allocation while timed: what differs is the queue. The consumer reads each
// int (a real consumer touches every message) and deletes the element (CAF's
// queue does so after visiting it). Both consumers spin when empty.

using elem_ptrs = std::vector<caf::mailbox_element*>;

elem_ptrs make_elements(std::size_t n) {
  elem_ptrs xs;
  xs.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    xs.push_back(caf::make_mailbox_element(nullptr, caf::make_message_id(), {},
                                           static_cast<int>(i))
                   .release());
  return xs;
}

struct lane_sink {
  std::uint64_t sum = 0;
  std::size_t count = 0;
  void take(caf::mailbox_element& x) noexcept {
    sum += static_cast<std::uint64_t>(x.content().get_as<int>(0));
    ++count;
  }
};

struct caf_lane_visitor {
  lane_sink* sink;
  template <class... Ts>
  caf::intrusive::task_result operator()(Ts&&... xs) {
    // the element is the last argument whatever the nested queue
    auto& x = std::get<sizeof...(Ts) - 1>(std::forward_as_tuple(xs...));
    sink->take(x);
    return caf::intrusive::task_result::resume;
  }
};

/// Times one producer and one consumer; `push(elem)` and `consume(sink)`
/// (returns how many it took) define the lane.
template <class Push, class Consume>
double time_lane(elem_ptrs& xs, Push push, Consume consume) {
  std::atomic<bool> go{false};
  lane_sink sink;
  clk::time_point t1;
  std::thread consumer([&] {
    // acquire: pairs with the release below
    while (!go.load(std::memory_order_acquire)) {
    }
    while (sink.count < xs.size())
      if (consume(sink) == 0) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
      }
    t1 = clk::now();
  });
  auto t0 = clk::now();
  go.store(true, std::memory_order_release); // release: start signal
  for (auto* x : xs)
    push(x);
  consumer.join();
  auto n = static_cast<std::uint64_t>(xs.size());
  if (sink.sum != n * (n - 1) / 2) {
    std::fprintf(stderr, "queue_bench: lane lost or duplicated messages\n");
    std::exit(1);
  }
  return static_cast<double>(n)
         / std::chrono::duration<double>(t1 - t0).count();
}

double lane_caf(elem_ptrs& xs) {
  caf::scheduled_actor::mailbox_type mb{caf::unit, caf::unit, caf::unit,
                                        caf::unit, caf::unit};
  return time_lane(
    xs, [&](caf::mailbox_element* x) { mb.push_back(x); },
    [&](lane_sink& sink) {
      auto before = sink.count;
      caf_lane_visitor f{&sink};
      mb.new_round(3, f);
      return sink.count - before;
    });
}

double lane_sluice(elem_ptrs& xs) {
  sluice::detail::core_type core{big_block(1u << 22)};
  sluice::detail::core_type::effects fx;
  caf::mailbox_element* batch[16];
  return time_lane(
    xs,
    [&](caf::mailbox_element* x) {
      (void)core.offer(x, sluice::sender_kind::thread, nullptr);
    },
    [&](lane_sink& sink) {
      bool counted = false;
      auto k = core.pop_batch(batch, 16, &counted, fx);
      for (std::size_t i = 0; i < k; ++i) {
        if (counted)
          core.start_one();
        sink.take(*batch[i]);
        caf::mailbox_element_ptr done{batch[i]}; // deleted, as CAF's does
      }
      return k;
    });
}

void run_lane(std::size_t n, int reps) {
  std::vector<double> caf_rates, sluice_rates, ratios;
  for (int r = 0; r < reps; ++r) {
    // alternate which goes first: drift on the host hits both alike
    double c = 0, s = 0;
    for (int k = 0; k < 2; ++k) {
      auto xs = make_elements(n);
      if ((k == 0) == (r % 2 == 0))
        c = lane_caf(xs);
      else
        s = lane_sluice(xs);
    }
    caf_rates.push_back(c);
    sluice_rates.push_back(s);
    ratios.push_back(s / c);
  }
  std::printf("\nOrdinary lane alone, 1 producer, 1 consumer, %zu "
              "mailbox_elements, never full, %d paired runs\n",
              n, reps);
  print_rule(86);
  std::printf("%-44s %8s %17s\n", "lane", "Mmsg/s", "min..max");
  print_rule(86);
  auto row = [](const char* name, std::vector<double> v) {
    std::sort(v.begin(), v.end());
    std::printf("%-44s %8.2f %8.2f..%-8.2f\n", name, median(v) / 1e6,
                v.front() / 1e6, v.back() / 1e6);
  };
  row("CAF scheduled_actor::mailbox_type", caf_rates);
  row("sluice core (fast path, block(1<<22))", sluice_rates);
  auto st = paired_summary(ratios);
  std::printf("sluice / CAF, paired: median %.3f", st.med);
  if (st.has_ci)
    std::printf(" (95%% CI %.3f..%.3f)", st.lo, st.hi);
  std::printf(", min %.2f, max %.2f; sluice ahead in %zu of %zu "
              "(sign test p = %.2g)\n",
              st.min, st.max, st.ahead, st.n, st.p);
  std::fflush(stdout);
}

/// Runs one end-to-end case in this process and prints one result line.
int run_case(const std::string& name, std::size_t n, long slow_ns) {
  const case_spec* spec = nullptr;
  for (auto& c : cases)
    if (name == c.name)
      spec = &c;
  if (spec == nullptr) {
    std::fprintf(stderr, "queue_bench: unknown case %s\n", name.c_str());
    return 2;
  }
  alarm(60); // a hang kills this child, not the whole run
  long spin = spec->slow ? slow_ns : 0;
  double secs = 0;
  double sender_secs = 0;
  long rss_idle_kb = 0;
  std::uint64_t blocked = 0;
  std::uint64_t watermark = 0;
  long switches = 0; // context switches while sending and handling
  std::int64_t cpu_ns = 0;
  {
    sluice::config cfg;
    cfg.set("scheduler.max-threads", 2);
    caf::actor_system sys{cfg};
    sluice::runtime rt{sys};
    std::size_t count = 0; // the actor's thread only
    clk::time_point t_done;
    std::promise<void> done;
    std::atomic<int> gate{0}; // prefill: 1 = the actor waits, 2 = go
    // prefill: the consumer thread's CPU time for the drain (immune to
    // preemption, unlike the wall-clock rate); 0 if the actor moved threads
    std::int64_t cpu0 = 0;
    std::thread::id consumer;
    auto handler = [&, n, spin](int x) {
      if (x < 0) { // prefill: hold the actor until the mailbox is full
        // release/acquire: the sender's sends happen before the drain
        gate.store(1, std::memory_order_release);
        while (gate.load(std::memory_order_acquire) != 2) {
        }
        cpu0 = thread_cpu_ns();
        consumer = std::this_thread::get_id();
        return;
      }
      busy_wait_ns(spin);
      if (++count == n) {
        t_done = clk::now();
        if (consumer == std::this_thread::get_id())
          cpu_ns = thread_cpu_ns() - cpu0;
        done.set_value();
      }
    };
    caf::actor a;
    if (spec->sluice)
      a = sluice::spawn(
        sys, sluice::mailbox::block(spec->capacity).named("x"),
        [&](sluice::actor*) -> caf::behavior { return {handler}; });
    else
      a = sys.spawn(
        [&](caf::event_based_actor*) -> caf::behavior { return {handler}; });
    rss_idle_kb = status_kb("VmRSS:");
    rusage before{};
    getrusage(RUSAGE_SELF, &before); // all threads of this process
    auto fut = done.get_future();
    if (spec->prefill) {
      caf::anon_send(a, -1);
      // acquire: pairs with the handler's release (it is running now)
      while (gate.load(std::memory_order_acquire) != 1)
        std::this_thread::yield();
    }
    auto t0 = clk::now();
    for (std::size_t i = 0; i < n; ++i)
      caf::anon_send(a, static_cast<int>(i)); // main: a managed thread
    sender_secs = seconds_since(t0);
    if (spec->prefill) {
      t0 = clk::now();                          // the drain alone
      gate.store(2, std::memory_order_release); // see the handler
    }
    fut.wait();
    secs = std::chrono::duration<double>(t_done - t0).count();
    rusage after{};
    getrusage(RUSAGE_SELF, &after);
    switches = (after.ru_nvcsw - before.ru_nvcsw)
               + (after.ru_nivcsw - before.ru_nivcsw);
    if (auto st = sluice::stats(a)) {
      blocked = st->blocked_total;
      watermark = st->high_watermark;
    }
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  }
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("RESULT %s rate=%.0f sender_s=%.4f rss_idle_kb=%ld "
              "hwm_kb=%ld maxrss_kb=%ld blocked=%llu watermark=%llu csw=%ld "
              "cpu_ns_per_msg=%.1f\n",
              spec->name, static_cast<double>(n) / secs, sender_secs,
              rss_idle_kb, status_kb("VmHWM:"), ru.ru_maxrss,
              static_cast<unsigned long long>(blocked),
              static_cast<unsigned long long>(watermark), switches,
              static_cast<double>(cpu_ns) / static_cast<double>(n));
  return 0;
}

std::map<std::string, double> parse_result(const std::string& line) {
  std::map<std::string, double> kv;
  std::istringstream in{line};
  std::string tok;
  while (in >> tok) {
    auto eq = tok.find('=');
    if (eq != std::string::npos)
      kv[tok.substr(0, eq)] = std::atof(tok.c_str() + eq + 1);
  }
  return kv;
}

std::string self_exe() {
  char buf[4096];
  auto len = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (len <= 0)
    return "queue_bench";
  buf[len] = '\0';
  return buf;
}

/// Runs a case in a fresh process (its own heap, its own peak RSS).
std::map<std::string, double> spawn_case(const std::string& exe,
                                         const std::string& name, std::size_t n,
                                         long slow_ns) {
  auto cmd = "'" + exe + "' --case=" + name + " --n=" + std::to_string(n)
             + " --slow-ns=" + std::to_string(slow_ns);
  std::map<std::string, double> kv;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr)
    return kv;
  char buf[512];
  while (std::fgets(buf, sizeof(buf), p) != nullptr)
    if (std::strncmp(buf, "RESULT ", 7) == 0)
      kv = parse_result(buf);
  if (pclose(p) != 0)
    kv.clear();
  return kv;
}

const char* base_case(const case_spec& c) {
  return c.slow ? "caf_slow" : c.prefill ? "caf_drain" : "caf";
}

void run_e2e(std::size_t n_fast, std::size_t n_slow, long slow_ns, int reps,
             const std::string& only) {
  auto exe = self_exe();
  constexpr std::size_t n_cases = sizeof(cases) / sizeof(cases[0]);
  // --cases=a,b: those cases and the CAF baselines they are compared with
  auto selected = [&](const char* name) {
    if (only.empty())
      return true;
    auto listed = [&](const std::string& x) {
      return ("," + only + ",").find("," + x + ",") != std::string::npos;
    };
    if (listed(name))
      return true;
    for (auto& c : cases)
      if (listed(c.name) && std::string{base_case(c)} == name)
        return true;
    return false;
  };
  std::map<std::string, std::vector<std::map<std::string, double>>> res;
  for (int r = 0; r < reps; ++r)
    for (std::size_t k = 0; k < n_cases; ++k) {
      // rotate the order each rep: no case always runs first or last
      auto& c = cases[(k + static_cast<std::size_t>(r)) % n_cases];
      if (!selected(c.name))
        continue;
      res[c.name].push_back(
        spawn_case(exe, c.name, c.slow ? n_slow : n_fast, slow_ns));
    }
  auto col = [&](const char* name, const char* key) {
    std::vector<double> v;
    for (auto& kv : res[name])
      if (!kv.empty())
        v.push_back(kv[key]);
    return v;
  };
  // Rate over the base case's rate in the same rep: host drift between reps
  // cancels out.
  auto paired = [&](const case_spec& c) {
    std::vector<double> v;
    auto& xs = res[c.name];
    auto& bs = res[base_case(c)];
    for (std::size_t i = 0; i < xs.size() && i < bs.size(); ++i)
      if (!xs[i].empty() && !bs[i].empty() && bs[i]["rate"] > 0)
        v.push_back(xs[i]["rate"] / bs[i]["rate"]);
    std::sort(v.begin(), v.end());
    return v;
  };
  auto print = [&](int group) {
    if (std::none_of(std::begin(cases), std::end(cases), [&](auto& c) {
          return (c.slow ? 2 : c.prefill ? 1 : 0) == group && selected(c.name);
        }))
      return;
    if (group == 0)
      std::printf("\nEnd to end, %zu ints, 1 sender thread (anon_send), "
                  "max-threads=2, %d reps\n",
                  n_fast, reps);
    else if (group == 1)
      std::printf("\nDrain only: %zu ints queued while the actor is held, "
                  "timed from release (the consumer alone), %d reps\n",
                  n_fast, reps);
    else
      std::printf("\nEnd to end, slow handler (%ld ns busy-wait), %zu ints, "
                  "1 sender thread, %d reps\n",
                  slow_ns, n_slow, reps);
    print_rule(148);
    std::printf("%-15s %-34s %7s %6s %11s %7s %7s %9s %9s %8s %9s\n", "case",
                "receiver", "Mmsg/s", "x CAF", "95% CI", "ahead", "p", "send s",
                "peak RSS", "blocked", "max depth");
    print_rule(148);
    for (auto& c : cases) {
      int g = c.slow ? 2 : c.prefill ? 1 : 0;
      if (g != group || !selected(c.name))
        continue;
      auto rate = col(c.name, "rate");
      if (rate.size() != static_cast<std::size_t>(reps))
        std::printf("%-15s (%zu of %d runs failed)\n", c.name,
                    static_cast<std::size_t>(reps) - rate.size(), reps);
      if (rate.empty())
        continue;
      auto ratios = paired(c);
      char ci[32] = "";
      char ahead[48] = "";
      char p[16] = "";
      double x = 1.0;
      if (!ratios.empty() && std::string{c.name} != base_case(c)) {
        auto st = paired_summary(ratios);
        x = st.med;
        if (st.has_ci)
          std::snprintf(ci, sizeof(ci), "%.2f..%.2f", st.lo, st.hi);
        std::snprintf(ahead, sizeof(ahead), "%zu/%zu", st.ahead, st.n);
        std::snprintf(p, sizeof(p), "%.2g", st.p);
      }
      std::printf(
        "%-15s %-34s %7.3f %6.2f %11s %7s %7s %7.3f %5.0f MiB %8.0f %9.0f\n",
        c.name, c.what, median(rate) / 1e6, x, ci, ahead, p,
        median(col(c.name, "sender_s")), median(col(c.name, "hwm_kb")) / 1024,
        median(col(c.name, "blocked")), median(col(c.name, "watermark")));
    }
    std::printf("x CAF: median over reps of (rate / CAF's rate in the same "
                "rep), with a distribution-free 95%% CI; ahead: reps where "
                "it was above 1; p: two-sided sign test\n");
    std::fflush(stdout);
  };
  print(0);
  print(1);
  print(2);
}

struct options {
  int reps = 5;
  std::size_t msgs = 2'000'000;
  std::size_t e2e_msgs = 2'000'000;
  std::size_t slow_msgs = 1'000'000;
  long slow_ns = 1000;
  std::string parts = "lane,raw,e2e,now";
  std::string cases; // e2e cases to run (empty: all)
  std::string case_name;
  std::size_t n = 0;
};

bool take(const char* arg, const char* key, std::string& out) {
  auto len = std::strlen(key);
  if (std::strncmp(arg, key, len) != 0 || arg[len] != '=')
    return false;
  out = arg + len + 1;
  return true;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string v;
    if (take(argv[i], "--reps", v))
      o.reps = std::max(1, std::atoi(v.c_str()));
    else if (take(argv[i], "--msgs", v))
      o.msgs = std::strtoull(v.c_str(), nullptr, 10);
    else if (take(argv[i], "--e2e-msgs", v))
      o.e2e_msgs = std::strtoull(v.c_str(), nullptr, 10);
    else if (take(argv[i], "--slow-msgs", v))
      o.slow_msgs = std::strtoull(v.c_str(), nullptr, 10);
    else if (take(argv[i], "--slow-ns", v))
      o.slow_ns = std::atol(v.c_str());
    else if (take(argv[i], "--parts", v))
      o.parts = v;
    else if (take(argv[i], "--cases", v))
      o.cases = v;
    else if (take(argv[i], "--case", v))
      o.case_name = v;
    else if (take(argv[i], "--n", v))
      o.n = std::strtoull(v.c_str(), nullptr, 10);
    else {
      std::fprintf(stderr,
                   "usage: %s [--reps=5] [--msgs=2000000] "
                   "[--e2e-msgs=2000000] [--slow-msgs=1000000] "
                   "[--slow-ns=1000] [--parts=lane,raw,e2e,now] "
                   "[--cases=NAME,...]\n",
                   argv[0]);
      std::exit(2);
    }
  }
  return o;
}

} // namespace

int main(int argc, char** argv) {
  auto o = parse(argc, argv);
  if (!o.case_name.empty())
    return run_case(o.case_name, o.n, o.slow_ns);
  std::printf("queue_bench: %u hardware threads; all numbers from one run\n",
              std::thread::hardware_concurrency());
  auto has
    = [&](const char* part) { return o.parts.find(part) != std::string::npos; };
  auto t0 = clk::now();
  // End to end first: the children's peak RSS then owes nothing to ours.
  if (has("e2e"))
    run_e2e(o.e2e_msgs, o.slow_msgs, o.slow_ns, o.reps, o.cases);
  if (has("lane"))
    run_lane(o.msgs, o.reps);
  if (has("raw"))
    run_raw(o.msgs, o.reps);
  if (has("now"))
    run_now(o.msgs, o.reps);
  std::printf("\ntotal %.1f s\n", seconds_since(t0));
  return 0;
}
