// RAII owners for libvirt's C handles. Raw vir*Free calls live here only:
// every handle is owned by one of these from the moment libvirt returns it.
#pragma once

#include <libvirt/libvirt.h>

#include <cstdlib>
#include <memory>

namespace hvagent::libvirt {

struct ConnectCloser {
  void operator()(virConnectPtr conn) const noexcept { virConnectClose(conn); }
};
struct DomainFreer {
  // Frees the handle only; the VM keeps running.
  void operator()(virDomainPtr dom) const noexcept { virDomainFree(dom); }
};
struct NodeDeviceFreer {
  void operator()(virNodeDevicePtr dev) const noexcept { virNodeDeviceFree(dev); }
};
struct MallocFreer {
  void operator()(void* p) const noexcept { std::free(p); }  // NOLINT(cppcoreguidelines-*)
};

// A typed-parameter list libvirt filled or the caller built with
// virTypedParamsAdd*: its items and strings go with it.
class TypedParams {
 public:
  TypedParams() = default;
  ~TypedParams() { virTypedParamsFree(params_, count_); }
  TypedParams(const TypedParams&) = delete;
  TypedParams& operator=(const TypedParams&) = delete;

  virTypedParameterPtr params() const { return params_; }
  int count() const { return count_; }
  // For libvirt calls that fill or extend the list.
  virTypedParameterPtr* params_out() { return &params_; }
  int* count_out() { return &count_; }
  int* capacity_out() { return &capacity_; }

 private:
  virTypedParameterPtr params_ = nullptr;
  int count_ = 0;
  int capacity_ = 0;
};

using ConnectHandle = std::unique_ptr<virConnect, ConnectCloser>;
using DomainHandle = std::unique_ptr<virDomain, DomainFreer>;
using NodeDeviceHandle = std::unique_ptr<virNodeDevice, NodeDeviceFreer>;
// A string libvirt allocated for the caller (XML descriptions, hostnames…).
using OwnedCString = std::unique_ptr<char, MallocFreer>;

}  // namespace hvagent::libvirt
