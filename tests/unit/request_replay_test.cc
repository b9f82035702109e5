// RequestReplay over a real SQLite store in a private temporary directory.
#include "hvagent/api/request_replay.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "hvagent/common/uuid.h"
#include "hvagent/store/database.h"
#include "hvagent/store/request_log.h"
#include "hvagent/v1/network.pb.h"
#include "hvagent_test/database.h"
#include "hvagent_test/temp_dir.h"

namespace hvagent::api {
namespace {

using ::testing::HasSubstr;

constexpr char kCreate[] = "/hvagent.v1.NetworkService/CreateNetwork";

v1::CreateNetworkRequest CreateRequest(const std::string& request_id, const std::string& name,
                                       uint32_t vlan_id) {
  v1::CreateNetworkRequest request;
  request.set_request_id(request_id);
  request.set_name(name);
  request.set_bridge("br0");
  request.set_vlan_id(vlan_id);
  return request;
}

class RequestReplayTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  // Closes the store (if open) and opens it again from the same file.
  void Reopen() {
    log_.reset();
    db_.reset();
    db_ = hvagent::testing::OpenDatabaseOrFail((dir_ / "agent.db").string());
    ASSERT_NE(db_, nullptr);
    log_ = std::make_unique<store::RequestLog>(*db_);
  }

  // Runs a CreateNetwork through the replay; the action counts its runs and
  // answers a Network named after the request, with `uuid`.
  Status Create(const v1::CreateNetworkRequest& request, v1::Network* response,
                const std::string& uuid = "uuid-1", Status outcome = absl::OkStatus()) {
    RequestReplay replay(*log_);
    return replay.Run(kCreate, request.request_id(), request, response, [&]() -> Status {
      ++runs_;
      if (!outcome.ok()) return outcome;
      response->set_name(request.name());
      response->set_uuid(uuid);
      response->set_bridge(request.bridge());
      response->set_vlan_id(request.vlan_id());
      response->set_generation(1);
      return absl::OkStatus();
    });
  }

  struct Answers {
    v1::Network first;
    v1::Network second;
  };
  // Runs `request` through the replay twice, `between` in between: the
  // action would answer uuid-1 the first time and uuid-2 the second. Both
  // calls must succeed.
  Answers CreateTwice(
      const v1::CreateNetworkRequest& request, const std::function<void()>& between = [] {}) {
    Answers answers;
    const Status first = Create(request, &answers.first, "uuid-1");
    EXPECT_TRUE(first.ok()) << first;
    between();
    const Status second = Create(request, &answers.second, "uuid-2");
    EXPECT_TRUE(second.ok()) << second;
    return answers;
  }

  // `status` refuses a request_id reused for another call (INVALID_ARGUMENT
  // naming request_id), and the action ran for the first call only.
  void ExpectReuseRefused(const Status& status) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    EXPECT_THAT(MessageOf(status), HasSubstr("request_id"));
    EXPECT_EQ(runs_, 1);
  }

  hvagent::testing::TempDir dir_{"hvagent-replay-test"};  // outlives the store
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::RequestLog> log_;
  int runs_ = 0;
};

TEST_F(RequestReplayTest, EmptyRequestIdAlwaysRuns) {
  const Answers answers = CreateTwice(CreateRequest("", "vlan.10", 10));
  EXPECT_EQ(runs_, 2);
  EXPECT_EQ(answers.second.uuid(), "uuid-2");
}

TEST_F(RequestReplayTest, RetryWithTheSameIdReturnsTheFirstResponseWithoutRunning) {
  // Were the action to run again, it would answer uuid-2.
  const Answers answers =
      CreateTwice(CreateRequest("req-1", "vlan.10", 10), [&] { EXPECT_EQ(runs_, 1); });
  EXPECT_EQ(runs_, 1);
  EXPECT_EQ(answers.second.SerializeAsString(), answers.first.SerializeAsString());
  EXPECT_EQ(answers.second.uuid(), "uuid-1");
  EXPECT_EQ(answers.second.name(), "vlan.10");
  EXPECT_EQ(answers.second.vlan_id(), 10u);
}

TEST_F(RequestReplayTest, SameIdForADifferentRequestIsInvalidArgument) {
  v1::Network first;
  ASSERT_TRUE(Create(CreateRequest("req-1", "vlan.10", 10), &first).ok());
  v1::Network second;
  const Status status = Create(CreateRequest("req-1", "vlan.20", 20), &second);
  ExpectReuseRefused(status);
}

TEST_F(RequestReplayTest, SameIdForADifferentMethodIsInvalidArgument) {
  const auto request = CreateRequest("req-1", "vlan.10", 10);
  v1::Network first;
  ASSERT_TRUE(Create(request, &first).ok());
  RequestReplay replay(*log_);
  v1::Network second;
  const Status status =
      replay.Run("/hvagent.v1.NetworkService/UpdateNetwork", "req-1", request, &second, [&] {
        ++runs_;
        return absl::OkStatus();
      });
  ExpectReuseRefused(status);
}

TEST_F(RequestReplayTest, ARefusalIsNotKeptAndItsRetryRunsAfresh) {
  const auto request = CreateRequest("req-1", "vlan.10", 10);
  v1::Network failed;
  const Status status =
      Create(request, &failed, "uuid-1", absl::FailedPreconditionError("no bridge br0"));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_EQ(runs_, 1);
  auto kept = log_->Find("req-1");
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_FALSE(kept->has_value());

  v1::Network retried;
  ASSERT_TRUE(Create(request, &retried, "uuid-2").ok());
  EXPECT_EQ(runs_, 2);
  EXPECT_EQ(retried.uuid(), "uuid-2");
}

// A wait that ran out and a lost generation race are final answers: nothing
// stays for the agent to finish on its own.
TEST_F(RequestReplayTest, DeadlineExceededAndAbortedLeaveNoPendingIntent) {
  v1::Network response;
  EXPECT_EQ(Create(CreateRequest("req-1", "vlan.10", 10), &response, "uuid-1",
                   absl::DeadlineExceededError("the guest ignored ACPI"))
                .code(),
            absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(Create(CreateRequest("req-2", "vlan.10", 10), &response, "uuid-1",
                   absl::AbortedError("generation 3, expected 2"))
                .code(),
            absl::StatusCode::kAborted);
  auto pending = log_->Pending();
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
}

// The intent is in the store before the act runs: a kill during the act
// leaves it there, with the request to resume it by.
TEST_F(RequestReplayTest, TheIntentIsRecordedBeforeTheActRuns) {
  const auto request = CreateRequest("req-1", "vlan.10", 10);
  RequestReplay replay(*log_);
  v1::Network response;
  std::optional<store::RequestRecord> during;
  ASSERT_TRUE(replay
                  .Run(kCreate, "req-1", request, &response,
                       [&]() -> Status {
                         auto found = log_->Find("req-1");
                         if (found.ok()) during = *found;
                         return absl::OkStatus();
                       })
                  .ok());
  ASSERT_TRUE(during.has_value());
  EXPECT_TRUE(during->pending);
  EXPECT_EQ(during->method, kCreate);
  v1::CreateNetworkRequest recorded;
  ASSERT_TRUE(recorded.ParseFromString(during->request));
  EXPECT_EQ(recorded.name(), "vlan.10");
  auto after = log_->Find("req-1");
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_FALSE((*after)->pending);
  auto pending = log_->Pending();
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
}

// A call cut short (here: a backend lost midway) stays pending; its retry
// resumes it with the values it generated, even across a reopened store.
TEST_F(RequestReplayTest, ARetryOfACallCutShortResumesItWithItsGeneratedValues) {
  const auto request = CreateRequest("req-1", "vlan.10", 10);
  std::vector<std::string> uuids;
  std::vector<bool> resumed;
  auto run = [&](Status outcome) {
    RequestReplay replay(*log_);
    v1::Network response;
    return replay.Run(kCreate, "req-1", request, &response,
                      RequestReplay::Act([&](Intent& intent) -> Status {
                        auto uuid = intent.Generate("uuid", [] { return NewUuid(); });
                        if (!uuid.ok()) return uuid.status();
                        uuids.push_back(*uuid);
                        resumed.push_back(intent.resuming());
                        return outcome;
                      }));
  };
  EXPECT_EQ(run(absl::UnavailableError("ovsdb lost midway")).code(),
            absl::StatusCode::kUnavailable);
  auto pending = log_->Pending();
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 1U);
  EXPECT_EQ((*pending)[0].request_id, "req-1");
  Reopen();
  ASSERT_TRUE(run(absl::OkStatus()).ok());
  ASSERT_EQ(uuids.size(), 2U);
  EXPECT_EQ(uuids[0], uuids[1]);
  EXPECT_THAT(resumed, ::testing::ElementsAre(false, true));
  ASSERT_TRUE(run(absl::OkStatus()).ok());
  EXPECT_EQ(uuids.size(), 2U);  // answered: replayed, not run
}

// A delete cut short after it deleted: its resumed retry finds nothing, and
// that is its success.
TEST_F(RequestReplayTest, AResumedDeleteThatFindsItsObjectGoneAnswersOk) {
  v1::DeleteNetworkRequest request;
  request.set_request_id("req-del");
  request.set_name("vlan.10");
  constexpr char kDelete[] = "/hvagent.v1.NetworkService/DeleteNetwork";
  RequestReplay replay(*log_);
  v1::DeleteNetworkResponse response;
  EXPECT_EQ(replay
                .Run(kDelete, "req-del", request, &response,
                     [] { return absl::InternalError("ovsdb-server went away"); })
                .code(),
            absl::StatusCode::kInternal);
  EXPECT_TRUE(replay
                  .Run(kDelete, "req-del", request, &response,
                       [] { return absl::NotFoundError("no network 'vlan.10'"); })
                  .ok());
  // A first call that finds nothing is still NOT_FOUND.
  request.set_request_id("req-del-2");
  EXPECT_EQ(replay
                .Run(kDelete, "req-del-2", request, &response,
                     [] { return absl::NotFoundError("no network 'vlan.10'"); })
                .code(),
            absl::StatusCode::kNotFound);
}

// A store that cannot record the intent: the call is refused before it acts.
TEST_F(RequestReplayTest, AnIntentTheStoreCannotRecordRefusesTheCallBeforeItActs) {
  ASSERT_TRUE(db_->Write("read-only", "PRAGMA query_only = ON").ok());
  v1::Network response;
  const Status status = Create(CreateRequest("req-1", "vlan.10", 10), &response);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("nothing was changed"));
  EXPECT_EQ(runs_, 0);
}

TEST_F(RequestReplayTest, KeptResultSurvivesReopeningTheStore) {
  const Answers answers = CreateTwice(CreateRequest("req-1", "vlan.10", 10), [&] { Reopen(); });
  EXPECT_EQ(runs_, 1);
  EXPECT_EQ(answers.second.uuid(), "uuid-1");
}

TEST(RequestReplayFingerprintTest, StableForEqualMessagesAndDifferentOtherwise) {
  const auto a = CreateRequest("req-1", "vlan.10", 10);
  // Equal content, fields set in another order.
  v1::CreateNetworkRequest b;
  b.set_vlan_id(10);
  b.set_bridge("br0");
  b.set_name("vlan.10");
  b.set_request_id("req-1");
  const std::string fingerprint = RequestReplay::Fingerprint(a);
  EXPECT_FALSE(fingerprint.empty());
  EXPECT_EQ(RequestReplay::Fingerprint(a), fingerprint);
  EXPECT_EQ(RequestReplay::Fingerprint(b), fingerprint);
  EXPECT_NE(RequestReplay::Fingerprint(CreateRequest("req-1", "vlan.10", 11)), fingerprint);
  EXPECT_NE(RequestReplay::Fingerprint(CreateRequest("req-1", "vlan.11", 10)), fingerprint);
  EXPECT_NE(RequestReplay::Fingerprint(v1::CreateNetworkRequest()), fingerprint);
}

}  // namespace
}  // namespace hvagent::api

namespace hvagent::api {
namespace {

// Two calls with one request_id at the same time: one acts, the other
// replays its result (they are not both run).
TEST(RequestReplayConcurrencyTest, SimultaneousRetriesActOnce) {
  const hvagent::testing::TempDir dir("hvagent-replay-race");
  auto db = store::Database::Open((dir / "agent.db").string());
  ASSERT_TRUE(db.ok());
  store::RequestLog log(**db);
  RequestReplay replay(log);
  std::atomic<int> runs{0};
  v1::CreateNetworkRequest request;
  request.set_request_id("same-id");
  request.set_name("vlan.10");
  auto call = [&](v1::Network* out) {
    return replay.Run("/m", "same-id", request, out, [&]() -> Status {
      const int n = ++runs;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      out->set_uuid("run-" + std::to_string(n));
      return absl::OkStatus();
    });
  };
  v1::Network a;
  v1::Network b;
  Status sa;
  Status sb;
  std::thread t1([&] { sa = call(&a); });
  std::thread t2([&] { sb = call(&b); });
  t1.join();
  t2.join();
  EXPECT_TRUE(sa.ok() && sb.ok());
  EXPECT_EQ(runs.load(), 1);
  EXPECT_EQ(a.uuid(), b.uuid());
}

}  // namespace
}  // namespace hvagent::api
