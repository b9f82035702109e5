#include "hvagent/daemon/intent_resumer.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/support/byte_buffer.h>

#include <chrono>
#include <future>

#include "spdlog/spdlog.h"

namespace hvagent::daemon {

namespace {

constexpr int kAttempts = 30;  // with a backend away, about a minute
constexpr int kSecondsBetween = 2;
constexpr int kCallDeadlineSeconds = 300;  // a PowerOn or Shutdown may take minutes

}  // namespace

bool IntentResumer::Resumes(std::string_view method) {
  return !method.ends_with("/MigrateVm") && !method.ends_with("/CancelMigration") &&
         !method.starts_with("/hvagent.v1.MigrationPeerService/");
}

IntentResumer::IntentResumer(std::vector<store::RequestRecord> intents,
                             std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)) {
  thread_ =
      std::thread([this, intents = std::move(intents)]() mutable { Run(std::move(intents)); });
}

IntentResumer::~IntentResumer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (call_ != nullptr) call_->TryCancel();
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool IntentResumer::Wait(int seconds) {
  std::unique_lock lock(mu_);
  return !stop_cv_.wait_for(lock, std::chrono::seconds(seconds), [this] { return stopping_; });
}

void IntentResumer::Run(std::vector<store::RequestRecord> intents) {
  grpc::GenericStub stub(channel_);
  for (const store::RequestRecord& intent : intents) {
    if (!Resumes(intent.method)) continue;
    for (int attempt = 1; attempt <= kAttempts; ++attempt) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() +
                           std::chrono::seconds(kCallDeadlineSeconds));
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        call_ = &context;
      }
      grpc::Slice slice(intent.request);
      grpc::ByteBuffer request(&slice, 1);
      grpc::ByteBuffer response;
      std::promise<grpc::Status> done;
      stub.UnaryCall(&context, intent.method, grpc::StubOptions(), &request, &response,
                     [&done](grpc::Status s) { done.set_value(std::move(s)); });
      const grpc::Status status = done.get_future().get();
      {
        std::lock_guard lock(mu_);
        call_ = nullptr;
      }
      if (status.error_code() != grpc::StatusCode::UNAVAILABLE) {
        spdlog::info("{}: request_id '{}' cut short at the last end, resumed: {}", intent.method,
                     intent.request_id, status.ok() ? std::string("OK") : status.error_message());
        break;
      }
      spdlog::warn("{}: request_id '{}' cannot be resumed yet ({}); again in {} s", intent.method,
                   intent.request_id, status.error_message(), kSecondsBetween);
      if (!Wait(kSecondsBetween)) return;
    }
  }
}

}  // namespace hvagent::daemon
