#include "runtime/mailbox.hpp"

#include <sstream>

namespace sluice {

std::string_view to_string(policy x) noexcept {
  switch (x) {
    case policy::block:
      return "block";
    case policy::drop_newest:
      return "drop-newest";
    case policy::drop_oldest:
      return "drop-oldest";
    case policy::credit:
      return "credit";
  }
  return "invalid-policy";
}

std::string_view to_string(credit_mode x) noexcept {
  switch (x) {
    case credit_mode::automatic:
      return "automatic";
    case credit_mode::manual:
      return "manual";
  }
  return "invalid-credit-mode";
}

std::optional<policy> parse_policy(std::string_view str) noexcept {
  for (auto p : {policy::block, policy::drop_newest, policy::drop_oldest,
                 policy::credit})
    if (to_string(p) == str)
      return p;
  return std::nullopt;
}

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw invalid_mailbox("sluice mailbox: " + what);
}

} // namespace

mailbox mailbox::blank() {
  return mailbox{};
}

mailbox mailbox::block(std::size_t capacity) {
  mailbox x;
  x.set_policy(policy::block).set_capacity(capacity);
  return x;
}

mailbox mailbox::drop_newest(std::size_t capacity) {
  mailbox x;
  x.set_policy(policy::drop_newest).set_capacity(capacity);
  return x;
}

mailbox mailbox::drop_oldest(std::size_t capacity) {
  mailbox x;
  x.set_policy(policy::drop_oldest).set_capacity(capacity);
  return x;
}

mailbox mailbox::credit(std::size_t capacity, std::size_t window) {
  mailbox x;
  x.set_policy(policy::credit).set_capacity(capacity).set_window(window);
  x.validate();
  return x;
}

mailbox mailbox::defaults() {
  return mailbox{};
}

mailbox mailbox::named(std::string name) const {
  if (name.empty())
    fail("name must not be empty");
  auto x = *this;
  x.name_ = std::move(name);
  return x;
}

mailbox mailbox::with_block_timeout(duration timeout) const {
  auto x = *this;
  x.set_block_timeout(timeout);
  return x;
}

mailbox mailbox::with_park_limit(std::size_t limit) const {
  auto x = *this;
  x.set_park_limit(limit);
  return x;
}

mailbox mailbox::with_overcommit(std::size_t allowance) const {
  auto x = *this;
  x.set_overcommit(allowance);
  return x;
}

mailbox mailbox::with_manual_credit() const {
  auto x = *this;
  x.set_credit_mode(credit_mode::manual);
  return x;
}

mailbox& mailbox::set_policy(sluice::policy x) {
  policy_ = x;
  return *this;
}

mailbox& mailbox::set_capacity(std::size_t x) {
  if (x == 0)
    fail("capacity must be at least 1, got 0");
  if (x > (std::size_t{1} << 30))
    fail("capacity " + std::to_string(x) + " exceeds the maximum 2^30");
  capacity_ = x;
  return *this;
}

mailbox& mailbox::set_window(std::size_t x) {
  if (x == 0)
    fail("credit window must be at least 1, got 0");
  window_ = x;
  return *this;
}

mailbox& mailbox::set_block_timeout(duration x) {
  if (x.count() <= 0)
    fail("block timeout must be positive, got " + std::to_string(x.count())
         + "ns");
  block_timeout_ = x;
  return *this;
}

mailbox& mailbox::set_park_limit(std::size_t x) {
  if (x == 0)
    fail("park limit must be at least 1, got 0");
  park_limit_ = x;
  return *this;
}

mailbox& mailbox::set_overcommit(std::size_t x) {
  overcommit_ = x;
  return *this;
}

mailbox& mailbox::set_credit_mode(sluice::credit_mode x) {
  credit_mode_ = x;
  return *this;
}

void mailbox::validate() const {
  if (capacity_ && window_ && *window_ > *capacity_)
    fail("credit window " + std::to_string(*window_) + " exceeds capacity "
         + std::to_string(*capacity_));
}

mailbox mailbox::merged_over(const mailbox& fallback) const {
  auto x = *this;
  if (x.name_.empty())
    x.name_ = fallback.name_;
  auto fill = [](auto& dst, const auto& src) {
    if (!dst)
      dst = src;
  };
  fill(x.policy_, fallback.policy_);
  fill(x.capacity_, fallback.capacity_);
  fill(x.window_, fallback.window_);
  fill(x.block_timeout_, fallback.block_timeout_);
  fill(x.park_limit_, fallback.park_limit_);
  fill(x.overcommit_, fallback.overcommit_);
  fill(x.credit_mode_, fallback.credit_mode_);
  return x;
}

mailbox mailbox::overridden_by(const mailbox& overrides) const {
  auto x = overrides.merged_over(*this);
  if (!name_.empty())
    x.name_ = name_;
  x.validate();
  return x;
}

bool operator==(const mailbox& x, const mailbox& y) noexcept {
  return x.name_ == y.name_ && x.policy_ == y.policy_
         && x.capacity_ == y.capacity_ && x.window_ == y.window_
         && x.block_timeout_ == y.block_timeout_
         && x.park_limit_ == y.park_limit_ && x.overcommit_ == y.overcommit_
         && x.credit_mode_ == y.credit_mode_;
}

resolved_mailbox resolve(const mailbox& x, const mailbox& defaults) {
  auto m = x.merged_over(defaults);
  auto need = [&](const auto& field, const char* what) {
    if (!field)
      fail(std::string{"no value for "} + what + " in mailbox '" + m.name()
           + "' nor in the runtime defaults");
    return *field;
  };
  resolved_mailbox r;
  r.name = m.name();
  r.policy = need(m.policy(), "policy");
  r.capacity = need(m.capacity(), "capacity");
  r.block_timeout = need(m.block_timeout(), "block-timeout");
  r.park_limit = need(m.park_limit(), "park-limit");
  r.overcommit = need(m.overcommit(), "overcommit");
  r.credit_mode = need(m.credit_mode(), "credit-mode");
  // The default window is capped to the capacity: a small credit mailbox with
  // the default window still works. An explicit window > capacity is an error.
  if (x.window()) {
    r.window = *x.window();
  } else {
    r.window = need(m.window(), "credit-window");
    if (r.window > r.capacity)
      r.window = r.capacity;
  }
  if (r.window > r.capacity)
    fail("credit window " + std::to_string(r.window) + " exceeds capacity "
         + std::to_string(r.capacity) + " in mailbox '" + r.name + "'");
  return r;
}

std::string to_string(const resolved_mailbox& x) {
  std::ostringstream out;
  out << "mailbox(" << (x.name.empty() ? "<unnamed>" : x.name) << ", "
      << to_string(x.policy) << ", capacity=" << x.capacity;
  if (x.policy == policy::credit)
    out << ", window=" << x.window << ", " << to_string(x.credit_mode);
  out << ")";
  return out.str();
}

} // namespace sluice
