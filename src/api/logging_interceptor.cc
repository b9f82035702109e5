#include "hvagent/api/logging_interceptor.h"

#include <grpcpp/server_context.h>

#include <chrono>

#include "spdlog/spdlog.h"

namespace hvagent::api {

namespace {

spdlog::level::level_enum LevelFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::DATA_LOSS: return spdlog::level::err;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::DEADLINE_EXCEEDED: return spdlog::level::warn;
    default: return spdlog::level::debug;
  }
}

class LoggingInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit LoggingInterceptor(grpc::experimental::ServerRpcInfo* info)
      : info_(info), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - start_)
                              .count();
      const auto level = LevelFor(status.error_code());
      if (spdlog::should_log(level)) {
        spdlog::log(level, "rpc {} peer={} took={}us status={}{}{}", info_->method(),
                    info_->server_context()->peer(), micros, static_cast<int>(status.error_code()),
                    status.ok() ? "" : " ", status.error_message());
      }
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

grpc::experimental::Interceptor* LoggingInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new LoggingInterceptor(info);
}

}  // namespace hvagent::api
