// A bounded in-memory ring of typed events behind EventService.Watch.
//
// The daemon must never wait on a Watch client: Publish only takes a short
// lock, overwrites the oldest event when the ring is full and pokes the
// subscribers. Each stream keeps its own cursor (the sequence of the last event
// it sent) and reads at its own pace; a client that falls more than a ring's
// worth behind is told so (ReadResult::gap) and must resync, instead of the
// ring growing or the publisher slowing down.
//
// Typical use by a gRPC server-stream reactor:
//
//   HVAGENT_ASSIGN_OR_RETURN(uint64_t cursor, ring.ResolveResumeToken(token));
//   handle = ring.Subscribe([this] { ScheduleWrite(); });  // before reading
//   ...on each write slot:
//   auto batch = ring.Read(cursor, 64, filter);
//   if (batch.gap) { ...tell the client to resync... }
//   for (auto& e : batch.events) { ...send *e.event with ring.ResumeToken(e.sequence)... }
//   cursor = batch.next_after;
//
// Subscribing before the first Read means no event can slip between the two:
// whatever the Read did not see will trigger a notify.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "hvagent/common/status.h"
#include "hvagent/events/resume_token.h"

namespace hvagent::events {

namespace detail {

struct Subscriber {
  // Held while notify runs, so that unsubscribing can wait for a call in
  // flight on another thread; recursive so that notify may drop its own handle.
  std::recursive_mutex mu;
  bool active = true;
  std::function<void()> notify;
};

// Outlives the ring while handles exist, so a handle may be dropped after the ring.
class SubscriberRegistry {
 public:
  using List = std::vector<std::shared_ptr<Subscriber>>;

  void Add(std::shared_ptr<Subscriber> subscriber) {
    std::lock_guard lock(mu_);
    auto next = std::make_shared<List>(*list_);
    next->push_back(std::move(subscriber));
    list_ = std::move(next);
  }

  void Remove(const Subscriber* subscriber) {
    std::lock_guard lock(mu_);
    auto next = std::make_shared<List>();
    next->reserve(list_->size());
    for (const auto& s : *list_) {
      if (s.get() != subscriber) {
        next->push_back(s);
      }
    }
    list_ = std::move(next);
  }

  // Copy-on-write: publishers take the current list in O(1) and call it
  // without holding any lock of the registry or the ring.
  void NotifyAll() const {
    std::shared_ptr<const List> list;
    {
      std::lock_guard lock(mu_);
      list = list_;
    }
    for (const auto& subscriber : *list) {
      std::lock_guard lock(subscriber->mu);
      if (subscriber->active) {
        subscriber->notify();
      }
    }
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const List> list_ = std::make_shared<List>();
};

}  // namespace detail

// Keeps a subscription alive; destroying or resetting it unsubscribes. Once
// that returns, notify is not running on another thread and will not be called
// again, so the reactor it points to may be freed. It may be destroyed from
// within its own notify, from any thread, and after the ring.
class [[nodiscard]] SubscriptionHandle {
 public:
  SubscriptionHandle() = default;
  ~SubscriptionHandle() { Reset(); }
  SubscriptionHandle(SubscriptionHandle&& other) noexcept
      : registry_(std::move(other.registry_)), subscriber_(std::move(other.subscriber_)) {}
  SubscriptionHandle& operator=(SubscriptionHandle&& other) noexcept {
    if (this != &other) {
      Reset();
      registry_ = std::move(other.registry_);
      subscriber_ = std::move(other.subscriber_);
    }
    return *this;
  }
  SubscriptionHandle(const SubscriptionHandle&) = delete;
  SubscriptionHandle& operator=(const SubscriptionHandle&) = delete;

  bool active() const { return subscriber_ != nullptr; }

  void Reset() {
    if (subscriber_ == nullptr) {
      return;
    }
    if (auto registry = registry_.lock()) {
      registry->Remove(subscriber_.get());
    }
    // A publisher may still hold the old list: flag the subscriber off, and
    // wait (through its mutex) for a notify running on another thread.
    {
      std::lock_guard lock(subscriber_->mu);
      subscriber_->active = false;
    }
    subscriber_.reset();
    registry_.reset();
  }

 private:
  template <typename T>
  friend class EventRing;
  SubscriptionHandle(std::weak_ptr<detail::SubscriberRegistry> registry,
                     std::shared_ptr<detail::Subscriber> subscriber)
      : registry_(std::move(registry)), subscriber_(std::move(subscriber)) {}

  std::weak_ptr<detail::SubscriberRegistry> registry_;
  std::shared_ptr<detail::Subscriber> subscriber_;
};

template <typename T>
class EventRing {
 public:
  static constexpr size_t kDefaultCapacity = 4096;

  struct Entry {
    uint64_t sequence = 0;
    std::shared_ptr<const T> event;
  };

  struct ReadResult {
    // In increasing sequence order; only the events that passed the filter.
    std::vector<Entry> events;
    // Events after the cursor were overwritten before this read: the reader
    // missed some and must resync. `events` then starts at the oldest retained.
    bool gap = false;
    // The cursor for the next Read: the last sequence examined, including
    // events the filter skipped, so they are not examined again.
    uint64_t next_after = 0;
    // The newest sequence in the ring when it was read (0: none published yet).
    uint64_t last_sequence = 0;
  };

  using Filter = std::function<bool(const T&)>;

  // `epoch` identifies this daemon run in resume tokens (see NewEpoch).
  // A capacity of 0 is taken as 1.
  explicit EventRing(size_t capacity = kDefaultCapacity, std::string epoch = NewEpoch())
      : capacity_(std::max<size_t>(capacity, 1)), epoch_(std::move(epoch)), slots_(capacity_) {}
  EventRing(const EventRing&) = delete;
  EventRing& operator=(const EventRing&) = delete;

  size_t capacity() const { return capacity_; }
  const std::string& epoch() const { return epoch_; }

  // Appends `event` and returns its sequence (1, 2, …). Never waits for readers.
  // Subscribers' notify functions run on the calling thread, after the ring's
  // lock is released: they must only schedule work, never block.
  uint64_t Publish(T event) {
    // Allocate before locking and free the evicted event after unlocking, so
    // the critical section is a counter bump and a pointer swap.
    auto entry = std::make_shared<const T>(std::move(event));
    std::shared_ptr<const T> evicted;
    uint64_t sequence = 0;
    bool wake_waiters = false;
    {
      std::lock_guard lock(mu_);
      sequence = ++last_;
      evicted = std::exchange(slots_[SlotOf(sequence)], std::move(entry));
      wake_waiters = waiters_ > 0;
    }
    if (wake_waiters) {
      published_.notify_all();
    }
    registry_->NotifyAll();
    return sequence;
  }

  // The newest sequence, or 0 before the first Publish.
  uint64_t LastSequence() const {
    std::lock_guard lock(mu_);
    return last_;
  }

  // The oldest sequence still held, or 0 before the first Publish.
  uint64_t OldestSequence() const {
    std::lock_guard lock(mu_);
    return OldestLocked();
  }

  // Up to `max_events` events with sequence > `after_sequence`.
  ReadResult Read(uint64_t after_sequence, size_t max_events) const {
    return Read(after_sequence, max_events, Filter());
  }

  // As Read, keeping only events for which `filter` is true (an empty filter
  // keeps all). The filter runs outside the ring's lock, on copies of the
  // entries, so a slow filter does not hold up publishers.
  ReadResult Read(uint64_t after_sequence, size_t max_events, const Filter& filter) const {
    ReadResult result;
    result.next_after = after_sequence;
    std::vector<std::shared_ptr<const T>> batch;
    for (bool first_batch = true, at_end = false; !at_end; first_batch = false) {
      uint64_t batch_start = 0;
      {
        std::lock_guard lock(mu_);
        result.last_sequence = last_;
        uint64_t from = result.next_after + 1;
        if (last_ == 0 || from > last_) {
          break;
        }
        const uint64_t oldest = OldestLocked();
        if (from < oldest) {
          // Overwritten while an earlier batch was being filtered: stop at a
          // contiguous prefix and let the next Read report the gap.
          if (!first_batch) {
            break;
          }
          result.gap = true;
          from = oldest;
        }
        const size_t wanted = max_events - result.events.size();
        if (wanted == 0) {
          break;
        }
        // With a filter, copy more than wanted: most may be skipped.
        const uint64_t count = std::min<uint64_t>(
            last_ - from + 1, filter ? std::max<size_t>(wanted, kFilterBatch) : wanted);
        batch.clear();
        batch.reserve(count);
        for (uint64_t s = from; s < from + count; ++s) {
          batch.push_back(slots_[SlotOf(s)]);
        }
        batch_start = from;
        at_end = from + count > last_;
      }
      for (size_t i = 0; i < batch.size() && result.events.size() < max_events; ++i) {
        const uint64_t sequence = batch_start + i;
        if (!filter || filter(*batch[i])) {
          result.events.push_back(Entry{sequence, std::move(batch[i])});
        }
        result.next_after = sequence;
      }
      at_end = at_end || result.events.size() >= max_events;
    }
    return result;
  }

  // As Read, first waiting up to `timeout` for an event after `after_sequence`.
  // For tests and simple consumers; a gRPC reactor must use Subscribe instead.
  ReadResult WaitAndRead(uint64_t after_sequence, size_t max_events,
                         std::chrono::milliseconds timeout) const {
    {
      std::unique_lock lock(mu_);
      ++waiters_;
      published_.wait_for(lock, timeout, [&] { return last_ > after_sequence; });
      --waiters_;
    }
    return Read(after_sequence, max_events);
  }

  // Calls `notify` after every Publish until the handle is dropped.
  SubscriptionHandle Subscribe(std::function<void()> notify) {
    auto subscriber = std::make_shared<detail::Subscriber>();
    subscriber->notify = std::move(notify);
    registry_->Add(subscriber);
    return SubscriptionHandle(registry_, std::move(subscriber));
  }

  // The token a client passes back to resume after the event `sequence`.
  std::string ResumeToken(uint64_t sequence) const { return MakeResumeToken(epoch_, sequence); }

  // The cursor to Read after: LastSequence() for an empty token ("from now"),
  // else the token's sequence (errors as ParseResumeToken). A sequence this run
  // has not reached is INVALID_ARGUMENT: no legitimate token names one. A
  // sequence already overwritten is accepted; the first Read reports the gap.
  StatusOr<uint64_t> ResolveResumeToken(std::string_view token) const {
    if (token.empty()) {
      return LastSequence();
    }
    HVAGENT_ASSIGN_OR_RETURN(const uint64_t sequence, ParseResumeToken(token, epoch_));
    const uint64_t last = LastSequence();
    if (sequence > last) {
      return absl::InvalidArgumentError(fmt::format(
          "resume_token names event {}, but this agent run has only reached {}", sequence, last));
    }
    return sequence;
  }

 private:
  // Entries a filtered Read copies per lock.
  static constexpr size_t kFilterBatch = 256;

  size_t SlotOf(uint64_t sequence) const { return (sequence - 1) % capacity_; }

  uint64_t OldestLocked() const {
    if (last_ == 0) {
      return 0;
    }
    return last_ > capacity_ ? last_ - capacity_ + 1 : 1;
  }

  const size_t capacity_;
  const std::string epoch_;
  const std::shared_ptr<detail::SubscriberRegistry> registry_ =
      std::make_shared<detail::SubscriberRegistry>();

  mutable std::mutex mu_;
  mutable std::condition_variable published_;
  mutable int waiters_ = 0;                      // guarded by mu_
  uint64_t last_ = 0;                            // guarded by mu_
  std::vector<std::shared_ptr<const T>> slots_;  // guarded by mu_; slot of s: SlotOf(s)
};

}  // namespace hvagent::events
