// Small pieces shared by the command groups: the common shapes of a command
// (get, list with paging, delete) so each group declares only what differs.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "hvagent/cli/command_spec.h"
#include "hvagent/cli/invocation.h"

namespace hvagent::cli {

inline PositionalSpec NameArg(const std::string& what) {
  return {"NAME", "the " + what + "'s name"};
}

// A request for the object named by the NAME argument.
template <typename Request>
Request NamedRequest(Invocation& inv) {
  Request request;
  request.set_name(inv.positional(0));
  return request;
}

// The same for a change: under a fresh request_id, so a retry is answered
// from the agent's replay log instead of acting twice.
template <typename Request>
Request NamedChangeRequest(Invocation& inv) {
  Request request = NamedRequest<Request>(inv);
  request.set_request_id(inv.NewRequestId());
  return request;
}

// Runs a unary call and prints the reply as an object.
template <typename Stub, typename Request, typename Response>
int CallAndShow(Invocation& inv,
                grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                const Request& request, int extra_seconds = 0) {
  Response response;
  const grpc::Status status = inv.Call(method, request, &response, extra_seconds);
  if (!status.ok()) return inv.Fail(status);
  inv.out().Object(response);
  return kExitOk;
}

// Runs a unary call whose reply is empty and prints `done` (text mode).
template <typename Stub, typename Request, typename Response>
int CallAndConfirm(Invocation& inv,
                   grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                   const Request& request, const std::string& done) {
  Response response;
  const grpc::Status status = inv.Call(method, request, &response);
  if (!status.ok()) return inv.Fail(status);
  inv.out().Done(response, done);
  return kExitOk;
}

// Gets the object named by NAME and prints it.
template <typename Stub, typename Request, typename Response>
int ShowNamed(Invocation& inv,
              grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*)) {
  return CallAndShow(inv, method, NamedRequest<Request>(inv));
}

// Deletes the `what` named by NAME and prints "<what> NAME deleted".
template <typename Stub, typename Request, typename Response>
int DeleteNamed(Invocation& inv,
                grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                const std::string& what) {
  return CallAndConfirm(inv, method, NamedChangeRequest<Request>(inv),
                        what + " " + inv.positional(0) + " deleted");
}

// Runs a unary list call and prints a table of `field`.
template <typename Stub, typename Request, typename Response>
int CallAndList(Invocation& inv,
                grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                const Request& request, const std::string& field,
                const std::vector<Column>& columns) {
  Response response;
  const grpc::Status status = inv.Call(method, request, &response);
  if (!status.ok()) return inv.Fail(status);
  inv.out().Table(response, field, columns);
  return kExitOk;
}

// Like CallAndList for calls with paging: follows next_page_token to the end
// and prints every item as one list.
template <typename Stub, typename Request, typename Response>
int CallAndListAllPages(
    Invocation& inv, grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
    Request request, const std::string& field, const std::vector<Column>& columns) {
  Response all;
  request.mutable_page()->set_page_size(1000);
  while (true) {
    Response page;
    const grpc::Status status = inv.Call(method, request, &page);
    if (!status.ok()) return inv.Fail(status);
    all.MergeFrom(page);  // appends the repeated items
    if (page.page().next_page_token().empty()) break;
    request.mutable_page()->set_page_token(page.page().next_page_token());
  }
  all.clear_page();
  inv.out().Table(all, field, columns);
  return kExitOk;
}

// The commands every named kind of object has, as table entries: `<kind>.get
// NAME`, `<kind>.list` and `<kind>.delete NAME`, each group giving only its
// words, its call and (for a list) its columns.
inline CommandSpec NamedCommand(std::string name, std::string summary, const std::string& what,
                                std::function<int(Invocation&)> run) {
  return {.name = std::move(name),
          .summary = std::move(summary),
          .positionals = {NameArg(what)},
          .run = std::move(run)};
}

template <typename Stub, typename Request, typename Response>
CommandSpec GetCommand(std::string name, std::string summary, const std::string& what,
                       grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                    Response*)) {
  return NamedCommand(std::move(name), std::move(summary), what,
                      [method](Invocation& inv) { return ShowNamed(inv, method); });
}

template <typename Stub, typename Request, typename Response>
CommandSpec DeleteCommand(std::string name, std::string summary, const std::string& what,
                          grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                       Response*)) {
  return NamedCommand(std::move(name), std::move(summary), what,
                      [method, what](Invocation& inv) { return DeleteNamed(inv, method, what); });
}

template <typename Stub, typename Request, typename Response>
CommandSpec ListCommand(std::string name, std::string summary,
                        grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&,
                                                     Response*),
                        std::string field, std::vector<Column> columns) {
  return {.name = std::move(name),
          .summary = std::move(summary),
          .run = [method, field = std::move(field), columns = std::move(columns)](Invocation& inv) {
            return CallAndList(inv, method, Request{}, field, columns);
          }};
}

}  // namespace hvagent::cli
