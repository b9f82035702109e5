#include "hvagent/api/undecodable_request_interceptor.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <string>

#include "fmt/format.h"

namespace hvagent::api {

namespace {

// "hvagent.v1.CreateVmRequest" for "/hvagent.v1.VmService/CreateVm"; the
// method path itself when the generated pool does not know it.
std::string RequestTypeOf(const char* method) {
  std::string name = method != nullptr ? method : "";
  if (name.starts_with('/')) name.erase(0, 1);
  std::replace(name.begin(), name.end(), '/', '.');
  const google::protobuf::MethodDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(name);
  return descriptor != nullptr ? descriptor->input_type()->full_name()
                               : fmt::format("{}'s request", name);
}

class UndecodableRequestInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit UndecodableRequestInterceptor(grpc::experimental::ServerRpcInfo* info)
      : info_(info),
        // On a client or bidi stream "no message" is also the stream's end
        // (reflection's is one): only a one-request call can tell the two apart.
        one_request_(info->type() == grpc::experimental::ServerRpcInfo::Type::UNARY ||
                     info->type() == grpc::experimental::ServerRpcInfo::Type::SERVER_STREAMING) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    // A request that failed to decode arrives as no message at all.
    if (one_request_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE) &&
        methods->GetRecvMessage() == nullptr) {
      undecodable_ = true;
    }
    if (undecodable_ &&
        methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      methods->ModifySendStatus(
          grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                       fmt::format("request: the bytes sent do not decode as {}",
                                   RequestTypeOf(info_->method()))));
    }
    methods->Proceed();
  }

 private:
  grpc::experimental::ServerRpcInfo* info_;
  const bool one_request_;
  bool undecodable_ = false;
};

}  // namespace

grpc::experimental::Interceptor* UndecodableRequestInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new UndecodableRequestInterceptor(info);
}

}  // namespace hvagent::api
