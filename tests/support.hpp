// Test support: an actor system with a sluice runtime, polling with a
// deadline, a gate to hold a handler, and a payload that counts copies.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

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

} // namespace sluice::test
