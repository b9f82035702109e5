#include "hvagent/api/event_service.h"

#include <algorithm>
#include <deque>
#include <mutex>

#include "hvagent/api/grpc_status.h"

namespace hvagent::api {

namespace {

// Events read from the ring per batch; one is written at a time.
constexpr size_t kBatch = 64;

class WatchReactor final : public grpc::ServerWriteReactor<v1::Event> {
 public:
  WatchReactor(EventHub& hub, const v1::WatchRequest& request, uint64_t after)
      : hub_(hub), request_(request), after_(after) {}

  // Subscribes and starts writing; separate from the constructor so that a
  // notification can never reach a half-built reactor.
  void Begin(const std::string& resync_reason) {
    std::lock_guard lock(mu_);
    if (!resync_reason.empty()) QueueResyncLocked(resync_reason);
    subscription_ = hub_.ring().Subscribe([this] { Pump(); });
    PumpLocked();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mu_);
    writing_ = false;
    if (!ok) {  // the client went away
      FinishLocked(grpc::Status::CANCELLED);
      return;
    }
    outbox_.pop_front();
    PumpLocked();
  }

  void OnCancel() override {
    std::lock_guard lock(mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    // Unsubscribe before the memory goes: a Publish on another thread may be
    // about to call Pump.
    subscription_.Reset();
    delete this;
  }

 private:
  void Pump() {
    std::lock_guard lock(mu_);
    PumpLocked();
  }

  bool Wanted(const v1::Event& event) const {
    if (request_.kinds_size() > 0 && std::find(request_.kinds().begin(), request_.kinds().end(),
                                               event.kind()) == request_.kinds().end()) {
      return false;
    }
    return request_.object_name().empty() || request_.object_name() == event.object_name();
  }

  void QueueResyncLocked(const std::string& reason) {
    v1::Event resync;
    resync.set_kind(v1::EVENT_KIND_RESYNC_REQUIRED);
    resync.mutable_resync_required()->set_reason(reason);
    // Resuming after it continues from where the stream now stands.
    resync.set_sequence(after_);
    resync.set_resume_token(hub_.ring().ResumeToken(after_));
    outbox_.push_back(std::move(resync));
  }

  void PumpLocked() {
    if (finished_) return;
    if (outbox_.empty()) {
      auto read =
          hub_.ring().Read(after_, kBatch, [this](const v1::Event& e) { return Wanted(e); });
      if (read.gap) {
        QueueResyncLocked("events were dropped before this client read them");
      }
      for (const auto& entry : read.events) {
        v1::Event event = *entry.event;
        event.set_sequence(entry.sequence);
        event.set_resume_token(hub_.ring().ResumeToken(entry.sequence));
        outbox_.push_back(std::move(event));
      }
      after_ = read.next_after;
    }
    if (!writing_ && !outbox_.empty()) {
      writing_ = true;
      StartWrite(&outbox_.front());
    }
  }

  void FinishLocked(const grpc::Status& status) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  EventHub& hub_;
  const v1::WatchRequest request_;
  std::mutex mu_;
  uint64_t after_;
  bool writing_ = false;
  bool finished_ = false;
  std::deque<v1::Event> outbox_;  // front() is being written while writing_
  events::SubscriptionHandle subscription_;
};

class RejectedWatch final : public grpc::ServerWriteReactor<v1::Event> {
 public:
  explicit RejectedWatch(const Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<v1::Event>* EventServiceImpl::Watch(
    grpc::CallbackServerContext* /*context*/, const v1::WatchRequest* request) {
  for (const int kind : request->kinds()) {
    if (!v1::EventKind_IsValid(kind) || kind == v1::EVENT_KIND_UNSPECIFIED) {
      return new RejectedWatch(
          absl::InvalidArgumentError(fmt::format("kinds: {} is not an EventKind", kind)));
    }
  }
  std::string resync_reason;
  uint64_t after = hub_.ring().LastSequence();
  auto resolved = hub_.ring().ResolveResumeToken(request->resume_token());
  if (resolved.ok()) {
    after = *resolved;
  } else if (resolved.status().code() == absl::StatusCode::kFailedPrecondition) {
    // A token from an earlier agent run: the client must resync, then follow on.
    resync_reason = MessageOf(resolved.status());
  } else {
    return new RejectedWatch(resolved.status());
  }
  // gRPC owns reactors: WatchReactor deletes itself in OnDone.
  // NOLINTNEXTLINE(cppcoreguidelines-owning-memory)
  auto* reactor = new WatchReactor(hub_, *request, after);
  reactor->Begin(resync_reason);
  return reactor;
}

}  // namespace hvagent::api
