// NetworkService: service chains. A chain is kept in the store and its flows
// made so before the call returns; every chain change runs under one worker
// key (a chain is checked against every other), as does the daemon's
// reconcile of the flows.
#include "hvagent/api/network_service.h"

#include "fmt/ranges.h"
#include "hvagent/api/service_chain_convert.h"
#include "hvagent/common/names.h"
#include "hvagent/common/unix_clock.h"
#include "hvagent/common/uuid.h"
#include "hvagent/common/worker_keys.h"
#include "spdlog/spdlog.h"

namespace hvagent::api {

Status NetworkServiceImpl::CheckChainFits(const v1::ServiceChain& chain) {
  if (!chain.network().empty()) {
    if (auto network = networks_.Get(chain.network()); !network.ok()) {
      if (network.status().code() != absl::StatusCode::kNotFound) return network.status();
      return absl::NotFoundError(
          fmt::format("chain.network: network '{}' does not exist", chain.network()));
    }
  }
  HVAGENT_ASSIGN_OR_RETURN(const auto records, chain_records_.List());
  std::vector<openflow::ChainSpec> others;
  for (const store::ServiceChainRecord& record : records) {
    HVAGENT_ASSIGN_OR_RETURN(const v1::ServiceChain other, ChainToProto(record, {}));
    others.push_back(ChainSpecFromProto(other));
  }
  const Status fits = openflow::CheckNoOverlap(ChainSpecFromProto(chain), others);
  if (fits.ok()) return fits;
  return Status(fits.code(), fmt::format("chain.{}", MessageOf(fits)));
}

Status NetworkServiceImpl::CheckNoChainUses(const std::string& network) {
  HVAGENT_ASSIGN_OR_RETURN(const auto records, chain_records_.List());
  std::vector<std::string> users;
  for (const store::ServiceChainRecord& record : records) {
    HVAGENT_ASSIGN_OR_RETURN(const v1::ServiceChain chain, ChainToProto(record, {}));
    if (chain.network() == network) users.push_back("'" + chain.name() + "'");
  }
  if (users.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      fmt::format("name: network '{}' is used by service chain {}; delete the chain or change "
                  "it first",
                  network, fmt::join(users, ", ")));
}

Status NetworkServiceImpl::ApplyChains(const std::function<Status()>& undo) {
  auto applied = managers_.service_chains.Reconcile();
  if (applied.ok()) return absl::OkStatus();
  if (Status undone = undo(); !undone.ok()) {
    spdlog::error("service chains: cannot undo a change the switch refused: {}", undone);
  } else if (auto again = managers_.service_chains.Reconcile(); !again.ok()) {
    spdlog::warn("service chains: flows not made so after an undo: {}", again.status());
  }
  return Annotate(applied.status(), "the switch did not take the chain's flows; nothing changed");
}

Status NetworkServiceImpl::AnswerStoredChain(const std::string& name, v1::ServiceChain* response) {
  HVAGENT_ASSIGN_OR_RETURN(const store::ServiceChainRecord record, chain_records_.Get(name));
  HVAGENT_ASSIGN_OR_RETURN(*response, ChainToProto(record, managers_.service_chains.Statuses()));
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* NetworkServiceImpl::CreateServiceChain(
    grpc::CallbackServerContext* context, const v1::CreateServiceChainRequest* request,
    v1::ServiceChain* response) {
  return rpc_.Change(
      context, __func__, *request, response, worker_keys::kServiceChains,
      ValidateServiceChain(request->chain()), [this, request, response](Intent& intent) -> Status {
        HVAGENT_ASSIGN_OR_RETURN(const std::string uuid, intent.Generate("uuid", NewUuid));
        if (intent.resuming()) {
          // The cut-short call's chain is the one with the UUID it generated;
          // its flows are made again (ApplyChains is idempotent).
          auto made = chain_records_.Get(request->chain().name());
          if (made.ok() && made->uuid == uuid) {
            HVAGENT_RETURN_IF_ERROR(ApplyChains([] { return absl::OkStatus(); }));
            HVAGENT_ASSIGN_OR_RETURN(*response,
                                     ChainToProto(*made, managers_.service_chains.Statuses()));
            return absl::OkStatus();
          }
        }
        HVAGENT_RETURN_IF_ERROR(CheckChainFits(request->chain()));
        store::ServiceChainRecord record{.name = request->chain().name(),
                                         .uuid = uuid,
                                         .cookie_id = 0,
                                         .spec_json = SpecJson(request->chain()),
                                         .created_unix_ms = NowUnixMs(),
                                         .generation = 0};
        record.cookie_id = openflow::ChainIdFromUuid(record.uuid);
        HVAGENT_RETURN_IF_ERROR(chain_records_.Insert(record));
        HVAGENT_RETURN_IF_ERROR(ApplyChains([&] { return chain_records_.Delete(record.name); }));
        return AnswerStoredChain(record.name, response);
      });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::GetServiceChain(
    grpc::CallbackServerContext* context, const v1::GetServiceChainRequest* request,
    v1::ServiceChain* response) {
  return rpc_.Read(
      context, ValidateResourceName("name", request->name()),
      [this, request, response] { return AnswerStoredChain(request->name(), response); });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::ListServiceChains(
    grpc::CallbackServerContext* context, const v1::ListServiceChainsRequest* /*request*/,
    v1::ListServiceChainsResponse* response) {
  return rpc_.Read(context, absl::OkStatus(), [this, response]() -> Status {
    HVAGENT_ASSIGN_OR_RETURN(const auto records, chain_records_.List());
    const auto status = managers_.service_chains.Statuses();
    for (const store::ServiceChainRecord& record : records) {
      HVAGENT_ASSIGN_OR_RETURN(*response->add_chains(), ChainToProto(record, status));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::UpdateServiceChain(
    grpc::CallbackServerContext* context, const v1::UpdateServiceChainRequest* request,
    v1::ServiceChain* response) {
  Status valid = ValidateServiceChain(request->chain());
  valid.Update(ValidateExpectedGeneration(request->expected_generation()));
  return rpc_.Change(
      context, __func__, *request, response, worker_keys::kServiceChains, valid,
      [this, request, response](Intent& intent) -> Status {
        HVAGENT_ASSIGN_OR_RETURN(store::ServiceChainRecord before,
                                 chain_records_.Get(request->chain().name()));
        // Its flows are made again (idempotent): the kill may have cut them short.
        if (FindsItsChangeStored(intent, before.spec_json == SpecJson(request->chain()),
                                 request->expected_generation(), before.generation)) {
          HVAGENT_RETURN_IF_ERROR(ApplyChains([] { return absl::OkStatus(); }));
          return AnswerStoredChain(before.name, response);
        }
        HVAGENT_RETURN_IF_ERROR(CheckChainFits(request->chain()));
        const int64_t expected = request->expected_generation() != 0
                                     ? request->expected_generation()
                                     : before.generation;
        HVAGENT_RETURN_IF_ERROR(
            chain_records_.Update(before.name, SpecJson(request->chain()), expected));
        HVAGENT_RETURN_IF_ERROR(ApplyChains([&]() -> Status {
          HVAGENT_ASSIGN_OR_RETURN(const auto now, chain_records_.Get(before.name));
          return chain_records_.Update(before.name, before.spec_json, now.generation);
        }));
        return AnswerStoredChain(before.name, response);
      });
}

grpc::ServerUnaryReactor* NetworkServiceImpl::DeleteServiceChain(
    grpc::CallbackServerContext* context, const v1::DeleteServiceChainRequest* request,
    v1::DeleteServiceChainResponse* response) {
  return rpc_.Change(context, __func__, *request, response, worker_keys::kServiceChains,
                     ValidateResourceName("name", request->name()), [this, request]() -> Status {
                       HVAGENT_RETURN_IF_ERROR(chain_records_.Delete(request->name()));
                       // Gone from the store: the next pass (periodic) retries
                       // flows the switch did not take now.
                       if (auto applied = managers_.service_chains.Reconcile(); !applied.ok()) {
                         spdlog::warn(
                             "service chain '{}' deleted; its flows stay until the "
                             "next reconcile: {}",
                             request->name(), applied.status());
                       }
                       return absl::OkStatus();
                     });
}

}  // namespace hvagent::api
