#include "hvagent/events/event_ring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "hvagent/events/resume_token.h"

namespace hvagent::events {
namespace {

using std::chrono::milliseconds;

struct TestEvent {
  std::string kind;
  int value = 0;
};
using Ring = EventRing<TestEvent>;

constexpr std::string_view kEpoch = "0123456789abcdef";

std::vector<uint64_t> SequencesOf(const Ring::ReadResult& result) {
  std::vector<uint64_t> sequences;
  for (const auto& entry : result.events) {
    sequences.push_back(entry.sequence);
  }
  return sequences;
}

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> range;
  for (uint64_t s = first; s <= last; ++s) {
    range.push_back(s);
  }
  return range;
}

TEST(EventRingTest, SequencesStartAtOneAndIncrease) {
  Ring ring(8, std::string(kEpoch));
  EXPECT_EQ(ring.LastSequence(), 0U);
  EXPECT_EQ(ring.OldestSequence(), 0U);
  EXPECT_EQ(ring.Publish({"vm", 1}), 1U);
  EXPECT_EQ(ring.Publish({"vm", 2}), 2U);
  EXPECT_EQ(ring.Publish({"vm", 3}), 3U);
  EXPECT_EQ(ring.LastSequence(), 3U);
  EXPECT_EQ(ring.OldestSequence(), 1U);
}

TEST(EventRingTest, ReadReturnsExactlyTheLaterEvents) {
  Ring ring(16, std::string(kEpoch));
  for (int i = 1; i <= 10; ++i) {
    ring.Publish({"vm", i});
  }
  const auto result = ring.Read(4, 100);
  EXPECT_FALSE(result.gap);
  EXPECT_EQ(SequencesOf(result), Range(5, 10));
  EXPECT_EQ(result.events.front().event->value, 5);
  EXPECT_EQ(result.next_after, 10U);
  EXPECT_EQ(result.last_sequence, 10U);

  const auto limited = ring.Read(0, 3);
  EXPECT_EQ(SequencesOf(limited), Range(1, 3));
  EXPECT_EQ(limited.next_after, 3U);

  const auto caught_up = ring.Read(10, 100);
  EXPECT_TRUE(caught_up.events.empty());
  EXPECT_FALSE(caught_up.gap);
  EXPECT_EQ(caught_up.next_after, 10U);
}

TEST(EventRingTest, EmptyRingReadsNothing) {
  Ring ring(4, std::string(kEpoch));
  const auto result = ring.Read(0, 10);
  EXPECT_TRUE(result.events.empty());
  EXPECT_FALSE(result.gap);
  EXPECT_EQ(result.next_after, 0U);
  EXPECT_EQ(result.last_sequence, 0U);
}

TEST(EventRingTest, OverflowGivesGapToStaleCursorOnly) {
  Ring ring(4, std::string(kEpoch));
  for (int i = 1; i <= 10; ++i) {
    ring.Publish({"vm", i});
  }
  EXPECT_EQ(ring.OldestSequence(), 7U);

  const auto stale = ring.Read(2, 100);
  EXPECT_TRUE(stale.gap);
  EXPECT_EQ(SequencesOf(stale), Range(7, 10));
  EXPECT_EQ(stale.next_after, 10U);

  // Cursor 6 needs 7 next, which is still held: nothing was missed.
  const auto fresh = ring.Read(6, 100);
  EXPECT_FALSE(fresh.gap);
  EXPECT_EQ(SequencesOf(fresh), Range(7, 10));

  const auto stale_without_room = ring.Read(2, 0);
  EXPECT_TRUE(stale_without_room.gap);
  EXPECT_TRUE(stale_without_room.events.empty());
}

TEST(EventRingTest, FilterAdvancesCursorPastSkippedEvents) {
  Ring ring(16, std::string(kEpoch));
  ring.Publish({"vm", 1});
  ring.Publish({"port", 2});
  ring.Publish({"port", 3});
  const auto only_vm = [](const TestEvent& e) { return e.kind == "vm"; };

  const auto result = ring.Read(0, 10, only_vm);
  EXPECT_EQ(SequencesOf(result), std::vector<uint64_t>{1});
  EXPECT_EQ(result.next_after, 3U);  // 2 and 3 were looked at and skipped

  const auto nothing_matches = ring.Read(1, 10, only_vm);
  EXPECT_TRUE(nothing_matches.events.empty());
  EXPECT_EQ(nothing_matches.next_after, 3U);

  // With a limit, the cursor stops at the last returned event: 5 is unexamined.
  ring.Publish({"vm", 4});
  ring.Publish({"vm", 5});
  const auto limited = ring.Read(0, 2, only_vm);
  EXPECT_EQ(SequencesOf(limited), (std::vector<uint64_t>{1, 4}));
  EXPECT_EQ(limited.next_after, 4U);
}

TEST(EventRingTest, FilterScansMoreThanOneBatch) {
  Ring ring(2000, std::string(kEpoch));
  for (int i = 1; i <= 1000; ++i) {
    ring.Publish({i == 900 ? "vm" : "port", i});
  }
  const auto result = ring.Read(0, 5, [](const TestEvent& e) { return e.kind == "vm"; });
  EXPECT_EQ(SequencesOf(result), std::vector<uint64_t>{900});
  EXPECT_EQ(result.next_after, 1000U);
}

TEST(ResumeTokenTest, RoundTrips) {
  const std::string token = MakeResumeToken(kEpoch, 42);
  EXPECT_EQ(token, "0123456789abcdef.42");
  const auto sequence = ParseResumeToken(token, kEpoch);
  ASSERT_TRUE(sequence.ok()) << sequence.status();
  EXPECT_EQ(*sequence, 42U);

  const auto max = ParseResumeToken(MakeResumeToken(kEpoch, UINT64_MAX), kEpoch);
  ASSERT_TRUE(max.ok()) << max.status();
  EXPECT_EQ(*max, UINT64_MAX);
}

TEST(ResumeTokenTest, NewEpochIsSixteenHexCharactersAndDiffers) {
  const std::string a = NewEpoch();
  const std::string b = NewEpoch();
  EXPECT_EQ(a.size(), 16U);
  EXPECT_TRUE(std::all_of(a.begin(), a.end(), [](char c) { return std::isxdigit(c) != 0; })) << a;
  EXPECT_NE(a, b);
  EXPECT_TRUE(ParseResumeToken(MakeResumeToken(a, 1), a).ok());
}

struct BadToken {
  std::string token;
  const char* rule;
};

class MalformedResumeTokenTest : public ::testing::TestWithParam<BadToken> {};

TEST_P(MalformedResumeTokenTest, IsInvalidArgumentNamingTheField) {
  const auto sequence = ParseResumeToken(GetParam().token, kEpoch);
  ASSERT_FALSE(sequence.ok());
  EXPECT_EQ(sequence.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(sequence.status().message().find("resume_token"), std::string::npos)
      << sequence.status();
  EXPECT_NE(sequence.status().message().find(GetParam().rule), std::string::npos)
      << sequence.status();
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MalformedResumeTokenTest,
    ::testing::Values(BadToken{"", "it is empty"}, BadToken{"0123456789abcdef", "'.' between"},
                      BadToken{".5", "the epoch is empty"},
                      BadToken{"0123456789abcdef.", "the sequence is empty"},
                      BadToken{"0123456789abcdef.12x", "must be a decimal number"},
                      BadToken{"0123456789abcdef.-1", "must be a decimal number"},
                      BadToken{"0123456789abcdef.+1", "must be a decimal number"},
                      BadToken{"0123456789abcdef. 1", "must be a decimal number"},
                      BadToken{"0123456789abcdef.18446744073709551616",
                               "at most 18446744073709551615"},
                      BadToken{"0123456789abcdef.99999999999999999999999", "at most"},
                      BadToken{"epoch with spaces.1", "letters and digits only"},
                      BadToken{std::string(200, 'a') + ".1", "at most 128 characters"}));

TEST(ResumeTokenTest, TokenFromAnotherRunNeedsResync) {
  const auto sequence = ParseResumeToken("fedcba9876543210.7", kEpoch);
  ASSERT_FALSE(sequence.ok());
  EXPECT_EQ(sequence.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(sequence.status().message(),
            "resume_token is from an earlier agent run; resync required");
}

TEST(ResumeTokenTest, RingResolvesTokens) {
  Ring ring(4, std::string(kEpoch));
  for (int i = 1; i <= 6; ++i) {
    ring.Publish({"vm", i});
  }
  // Empty: from now.
  const auto now = ring.ResolveResumeToken("");
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_EQ(*now, 6U);
  EXPECT_TRUE(ring.Read(*now, 10).events.empty());

  const auto resumed = ring.ResolveResumeToken(ring.ResumeToken(5));
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(SequencesOf(ring.Read(*resumed, 10)), std::vector<uint64_t>{6});

  // Overwritten since: accepted, and the read reports the gap.
  const auto old = ring.ResolveResumeToken(ring.ResumeToken(1));
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_TRUE(ring.Read(*old, 10).gap);

  const auto future = ring.ResolveResumeToken(ring.ResumeToken(7));
  EXPECT_EQ(future.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(future.status().message().find("resume_token"), std::string::npos);

  EXPECT_EQ(ring.ResolveResumeToken("fedcba9876543210.3").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(SubscriptionTest, NotifyFiresOnPublishAndStopsWhenHandleIsDropped) {
  Ring ring(4, std::string(kEpoch));
  std::atomic<int> calls = 0;
  std::optional<SubscriptionHandle> handle = ring.Subscribe([&] { ++calls; });
  ring.Publish({"vm", 1});
  ring.Publish({"vm", 2});
  EXPECT_EQ(calls, 2);
  handle.reset();
  ring.Publish({"vm", 3});
  EXPECT_EQ(calls, 2);
}

TEST(SubscriptionTest, HandleMayBeDroppedFromItsOwnNotify) {
  Ring ring(4, std::string(kEpoch));
  int calls = 0;
  SubscriptionHandle handle;
  handle = ring.Subscribe([&] {
    ++calls;
    handle.Reset();
  });
  ring.Publish({"vm", 1});
  ring.Publish({"vm", 2});
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(handle.active());
}

TEST(SubscriptionTest, HandleMayOutliveTheRing) {
  SubscriptionHandle handle;
  {
    Ring ring(4, std::string(kEpoch));
    handle = ring.Subscribe([] {});
    ring.Publish({"vm", 1});
  }
  handle.Reset();
  EXPECT_FALSE(handle.active());
}

TEST(SubscriptionTest, NoNotifyAfterUnsubscribeReturnsWhilePublishing) {
  Ring ring(64, std::string(kEpoch));
  std::atomic<bool> stop = false;
  std::thread publisher([&] {
    for (int i = 0; !stop; ++i) {
      ring.Publish({"vm", i});
    }
  });
  std::atomic<int> late_calls = 0;
  for (int round = 0; round < 200; ++round) {
    std::atomic<bool> unsubscribed = false;
    std::atomic<int> calls = 0;
    SubscriptionHandle handle = ring.Subscribe([&] {
      if (unsubscribed) {
        ++late_calls;
      }
      ++calls;
    });
    while (calls == 0) {
      std::this_thread::yield();
    }
    handle.Reset();
    unsubscribed = true;
  }
  stop = true;
  publisher.join();
  EXPECT_EQ(late_calls, 0);
}

// Counts live instances, to show the ring frees what it overwrites.
struct Tracked {
  static inline std::atomic<int> live = 0;
  Tracked() { ++live; }
  Tracked(const Tracked& /*other*/) { ++live; }
  Tracked(Tracked&& /*other*/) noexcept { ++live; }
  Tracked& operator=(const Tracked&) = default;
  Tracked& operator=(Tracked&&) = default;
  ~Tracked() { --live; }
};

TEST(EventRingTest, NeverReadingSubscriberDoesNotHoldUpPublishers) {
  constexpr int kEvents = 100000;
  EventRing<Tracked> ring(4096, std::string(kEpoch));
  std::atomic<int> notified = 0;
  // Remembers it is behind but never reads, like a stalled Watch client.
  SubscriptionHandle handle = ring.Subscribe([&] { ++notified; });
  for (int i = 0; i < kEvents; ++i) {
    ring.Publish(Tracked());
  }
  EXPECT_EQ(notified, kEvents);
  EXPECT_EQ(ring.LastSequence(), static_cast<uint64_t>(kEvents));
  EXPECT_EQ(ring.OldestSequence(), static_cast<uint64_t>(kEvents - 4096 + 1));
  EXPECT_LE(Tracked::live, 4096);
  const auto stale = ring.Read(0, 10);
  EXPECT_TRUE(stale.gap);
  EXPECT_EQ(stale.events.front().sequence, static_cast<uint64_t>(kEvents - 4096 + 1));
}

TEST(EventRingTest, ConcurrentPublishersGetUniqueSequencesAndReaderSeesThemInOrder) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 10000;
  constexpr uint64_t kTotal = uint64_t{kThreads} * kPerThread;
  // Small, so that the reader really does fall behind now and then.
  Ring ring(256, std::string(kEpoch));

  std::atomic<bool> reader_failed = false;
  uint64_t gaps = 0;
  uint64_t received = 0;
  std::thread reader([&] {
    uint64_t cursor = 0;
    while (cursor < kTotal) {
      const auto result = ring.WaitAndRead(cursor, 64, milliseconds(5000));
      if (result.events.empty()) {
        reader_failed = true;  // nothing within 5 s: publishers must be stuck
        return;
      }
      // No gap: the batch continues right after the cursor. Gap: something
      // was really skipped. Within a batch, sequences are consecutive.
      const uint64_t first = result.events.front().sequence;
      if (result.gap ? first <= cursor + 1 : first != cursor + 1) {
        reader_failed = true;
        return;
      }
      for (size_t i = 1; i < result.events.size(); ++i) {
        if (result.events[i].sequence != result.events[i - 1].sequence + 1) {
          reader_failed = true;
          return;
        }
      }
      gaps += result.gap ? 1 : 0;
      received += result.events.size();
      cursor = result.next_after;
    }
  });

  std::vector<std::vector<uint64_t>> sequences(kThreads);
  std::vector<std::thread> publishers;
  publishers.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    publishers.emplace_back([&ring, &mine = sequences[t], t] {
      mine.reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) {
        mine.push_back(ring.Publish({"vm", (t * kPerThread) + i}));
      }
    });
  }
  for (auto& publisher : publishers) {
    publisher.join();
  }
  reader.join();

  std::vector<uint64_t> all;
  for (const auto& mine : sequences) {
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, Range(1, kTotal));
  EXPECT_FALSE(reader_failed);
  EXPECT_LE(received, kTotal);
  // Missed events are exactly what the gap flags account for.
  EXPECT_EQ(received == kTotal, gaps == 0) << received << " events, " << gaps << " gaps";
}

TEST(EventRingTest, WaitAndReadReturnsOnPublish) {
  Ring ring(4, std::string(kEpoch));
  ring.Publish({"vm", 1});
  std::thread publisher([&] {
    std::this_thread::sleep_for(milliseconds(50));
    ring.Publish({"vm", 2});
  });
  const auto start = std::chrono::steady_clock::now();
  const auto result = ring.WaitAndRead(1, 10, milliseconds(10000));
  const auto waited = std::chrono::steady_clock::now() - start;
  publisher.join();
  EXPECT_EQ(SequencesOf(result), std::vector<uint64_t>{2});
  EXPECT_LT(waited, milliseconds(5000));
}

TEST(EventRingTest, WaitAndReadReturnsAtOnceWhenEventsAreWaiting) {
  Ring ring(4, std::string(kEpoch));
  ring.Publish({"vm", 1});
  const auto result = ring.WaitAndRead(0, 10, milliseconds(10000));
  EXPECT_EQ(SequencesOf(result), std::vector<uint64_t>{1});
}

TEST(EventRingTest, WaitAndReadTimesOutWhenNothingHappens) {
  Ring ring(4, std::string(kEpoch));
  ring.Publish({"vm", 1});
  const auto start = std::chrono::steady_clock::now();
  const auto result = ring.WaitAndRead(1, 10, milliseconds(100));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_TRUE(result.events.empty());
  EXPECT_FALSE(result.gap);
  EXPECT_EQ(result.next_after, 1U);
  EXPECT_GE(waited, milliseconds(100));
}

}  // namespace
}  // namespace hvagent::events
