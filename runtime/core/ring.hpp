// sluice::core::ring — a growable FIFO ring buffer of small slots.
//
// Contract: not thread-safe; the owner guards it (mailbox_core holds its
// mutex around every call). Pre-sized to the mailbox bound so steady-state
// pushes never allocate; it doubles only when something is admitted over
// the bound (self-sends, a capacity raised at run time).
// Cost: push/pop O(1), no allocation below the reserved size.
#pragma once

#include <cstddef>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

namespace sluice::core {

template <class Slot>
class ring {
public:
  explicit ring(std::size_t reserve = 16) : buf_(round_up(reserve)) {}

  bool empty() const noexcept {
    return size_ == 0;
  }

  std::size_t size() const noexcept {
    return size_;
  }

  std::size_t reserved() const noexcept {
    return buf_.size();
  }

  void push_back(Slot x) {
    if (size_ == buf_.size())
      grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = std::move(x);
    ++size_;
  }

  /// @pre !empty()
  Slot& front() noexcept {
    return buf_[head_];
  }

  /// @pre !empty()
  const Slot& front() const noexcept {
    return buf_[head_];
  }

  /// @pre !empty()
  Slot pop_front() noexcept {
    Slot x = std::move(buf_[head_]);
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
    return x;
  }

  /// Visits every slot from oldest to newest.
  template <class F>
  void for_each(F&& f) {
    for (std::size_t i = 0; i < size_; ++i)
      f(buf_[(head_ + i) & (buf_.size() - 1)]);
  }

  void swap(ring& other) noexcept {
    buf_.swap(other.buf_);
    std::swap(head_, other.head_);
    std::swap(size_, other.size_);
  }

private:
  static std::size_t round_up(std::size_t n) {
    // beyond the largest power of two, x <<= 1 would wrap to 0 and loop
    if (n > (std::numeric_limits<std::size_t>::max() >> 1) + 1)
      throw std::length_error("sluice::core::ring: reserve too large");
    std::size_t x = 16;
    while (x < n)
      x <<= 1;
    return x;
  }

  void grow() {
    std::vector<Slot> next(buf_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i)
      next[i] = std::move(buf_[(head_ + i) & (buf_.size() - 1)]);
    buf_.swap(next);
    head_ = 0;
  }

  std::vector<Slot> buf_; // size is a power of two
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

} // namespace sluice::core
