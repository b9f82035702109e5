// The one shape of every unary RPC (the model is hvctl's CallAndShow): checks
// first, on the gRPC thread (cheap, never blocking); then the work on the
// agent's worker pool. A change also runs under its object's worker key and
// through request_id replay, keyed by the method's full name, which comes from
// the generated service descriptor: a handler passes its own name (__func__).
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/support/server_callback.h>

#include <functional>
#include <string>
#include <string_view>
#include <type_traits>

#include "hvagent/api/access_policy.h"
#include "hvagent/api/request_replay.h"
#include "hvagent/api/unary_call.h"
#include "hvagent/api/validation.h"
#include "hvagent/common/worker_pool.h"

namespace hvagent::api {

// The agent's workers as the RPCs use them: changes on one pool, reads on one
// of their own, so that a read never queues behind changes holding every
// worker (a shutdown waits minutes for its guest, a NIC for ovs-vswitchd).
// Changes under a port's key (worker_keys::Port) go to `port_changes` when
// given: each waits for ovs-vswitchd, and with many waiting at once the OVSDB
// client puts them in one transaction, where 8 workers let ~4 share one.
// A key always maps to one pool, so its changes stay in order.
struct RpcWorkers {
  WorkerPool& changes;
  WorkerPool& reads;
  WorkerPool* port_changes = nullptr;
};

class RpcRunner {
 public:
  // `service` is the generated service's full name (e.g.
  // v1::VmService::service_full_name()), looked up in the generated pool.
  // `access` decides who may change.
  RpcRunner(std::string_view service, RpcWorkers workers, RequestReplay& replay,
            const AccessPolicy& access);

  // A read: `valid` not OK finishes the call at once; else `read` runs on a
  // read worker, unordered.
  grpc::ServerUnaryReactor* Read(grpc::CallbackServerContext* context, const Status& valid,
                                 std::function<Status()> read);

  // A read of one object (every Get handler): `get()` gives it (or the
  // error the call answers), `show(object, response)` shows it.
  template <typename Get, typename Show, typename Response>
  grpc::ServerUnaryReactor* ReadOne(grpc::CallbackServerContext* context, const Status& valid,
                                    Get get, Show show, Response* response) {
    return Read(context, valid, [get = std::move(get), show, response]() -> Status {
      HVAGENT_ASSIGN_OR_RETURN(const auto object, get());
      show(object, response);
      return absl::OkStatus();
    });
  }

  // A read of everything `source.List()` returns (every unpaged List
  // handler): each item is shown by `show` into a new element that
  // (response->*add)() appends.
  template <typename Source, typename Show, typename Response, typename Element>
  grpc::ServerUnaryReactor* ReadList(grpc::CallbackServerContext* context, Source& source,
                                     Show show, Response* response, Element* (Response::*add)()) {
    return Read(context, absl::OkStatus(), [&source, show, response, add]() -> Status {
      HVAGENT_ASSIGN_OR_RETURN(const auto items, source.List());
      for (const auto& item : items) show(item, (response->*add)());
      return absl::OkStatus();
    });
  }

  // A change to the object under `key`: the caller's right to change, the
  // request's request_id, then `valid`, are checked; `act` (which fills
  // `response`) then runs on a worker under `key`, at most once per
  // request_id, through its intent (RequestReplay). `act` takes an Intent&
  // when it generates values or must know that it resumes a cut-short call.
  template <typename Request, typename ActFn>
  grpc::ServerUnaryReactor* Change(grpc::CallbackServerContext* context, std::string_view method,
                                   const Request& request, google::protobuf::Message* response,
                                   std::string_view key, const Status& valid, ActFn act) {
    Status checked = ValidateRequestId(request.request_id());
    checked.Update(valid);
    RequestReplay::Act with_intent;
    if constexpr (std::is_invocable_v<ActFn&, Intent&>) {
      with_intent = std::move(act);
    } else {
      with_intent = [act = std::move(act)](Intent&) mutable -> Status { return act(); };
    }
    return RunChange(context, method, request.request_id(), request, response, key, checked,
                     std::move(with_intent));
  }

  // "/hvagent.v1.VmService/CreateVm" for "CreateVm"; INTERNAL when the
  // service has no such method (a handler passing the wrong name).
  StatusOr<std::string> MethodPath(std::string_view method) const;

 private:
  grpc::ServerUnaryReactor* RunChange(grpc::CallbackServerContext* context, std::string_view method,
                                      const std::string& request_id,
                                      const google::protobuf::Message& request,
                                      google::protobuf::Message* response, std::string_view key,
                                      const Status& valid, RequestReplay::Act act);

  const std::string service_name_;
  const google::protobuf::ServiceDescriptor* const service_;  // null: not a generated service
  const RpcWorkers workers_;
  RequestReplay& replay_;
  const AccessPolicy& access_;
};

// How many items a page of `page_size` shows (0: the default, 100).
constexpr uint32_t PageLimit(uint32_t page_size) { return page_size == 0 ? 100 : page_size; }

// The page of `items` after `page_token` (items sorted by their name, which
// is unique): at most `page_size` (0: 100) items are passed to `add`, and the
// next page's token (the last name shown) is returned when more remain.
template <typename Item, typename NameOf, typename Add>
std::string Paginate(const std::vector<Item>& items, uint32_t page_size,
                     const std::string& page_token, NameOf name_of, Add add) {
  const uint32_t limit = PageLimit(page_size);
  uint32_t shown = 0;
  std::string last;
  for (const Item& item : items) {
    const std::string& name = name_of(item);
    if (!page_token.empty() && name <= page_token) continue;
    if (shown == limit) return last;
    add(item);
    last = name;
    ++shown;
  }
  return "";
}

}  // namespace hvagent::api
