#include "hvagent/libvirt/libvirt_error.h"

#include <libvirt/virterror.h>

#include <mutex>
#include <string_view>

#include "spdlog/spdlog.h"

namespace hvagent::libvirt {

namespace {
constexpr std::string_view kNoPciSlotsText = "No more available PCI slots";
}  // namespace

absl::StatusCode StatusCodeForLibvirtError(int vir_error_code) {
  switch (vir_error_code) {
    case VIR_ERR_NO_DOMAIN:
    case VIR_ERR_NO_NETWORK:
    case VIR_ERR_NO_STORAGE_POOL:
    case VIR_ERR_NO_STORAGE_VOL:
    case VIR_ERR_NO_NODE_DEVICE:
    case VIR_ERR_NO_DOMAIN_SNAPSHOT: return absl::StatusCode::kNotFound;
    case VIR_ERR_OPERATION_INVALID: return absl::StatusCode::kFailedPrecondition;
    case VIR_ERR_INVALID_ARG:
    case VIR_ERR_XML_ERROR:
    case VIR_ERR_XML_DETAIL:
    case VIR_ERR_CONFIG_UNSUPPORTED: return absl::StatusCode::kInvalidArgument;
    case VIR_ERR_NO_SUPPORT:
    case VIR_ERR_OPERATION_UNSUPPORTED: return absl::StatusCode::kUnimplemented;
    case VIR_ERR_OPERATION_TIMEOUT: return absl::StatusCode::kDeadlineExceeded;
    case VIR_ERR_ACCESS_DENIED:
    case VIR_ERR_AUTH_FAILED:
    case VIR_ERR_AUTH_CANCELLED: return absl::StatusCode::kPermissionDenied;
    case VIR_ERR_OPERATION_ABORTED: return absl::StatusCode::kAborted;
    case VIR_ERR_RESOURCE_BUSY:
    case VIR_ERR_AGENT_UNRESPONSIVE:
    case VIR_ERR_NO_CONNECT:
    case VIR_ERR_RPC:
    case VIR_ERR_INVALID_CONN: return absl::StatusCode::kUnavailable;
    case VIR_ERR_DOM_EXIST: return absl::StatusCode::kAlreadyExists;
    default: return absl::StatusCode::kInternal;
  }
}

Status StatusOfLibvirtError(int code, int domain, const char* message, std::string_view context) {
  // Errors of libvirt's RPC layer ("client socket is closed", "End of file
  // while reading data") mean the daemon went away: retryable. So does a
  // call that failed without saying why (libvirt's generic "An error
  // occurred, but the cause is unknown": code INTERNAL_ERROR from no
  // module), which a call racing libvirtd's restart was seen to get (the
  // load suite's DeleteNic reading a domain's XML).
  const bool went_away =
      domain == VIR_FROM_RPC || (domain == VIR_FROM_NONE && code == VIR_ERR_INTERNAL_ERROR);
  absl::StatusCode status_code =
      went_away ? absl::StatusCode::kUnavailable : StatusCodeForLibvirtError(code);
  // A hot-plug that finds no free PCI slot is VIR_ERR_INTERNAL_ERROR with
  // this text: a resource that ran out, not a bug (seen on q35 without a
  // free pcie-root-port).
  if (message != nullptr &&
      std::string_view(message).find(kNoPciSlotsText) != std::string_view::npos) {
    status_code = absl::StatusCode::kResourceExhausted;
  }
  return Status(status_code, fmt::format("{}: {} (libvirt error {})", context,
                                         message != nullptr ? message : "", code));
}

Status LastLibvirtError(std::string_view context) {
  const virError* err = virGetLastError();
  if (err == nullptr || err->code == VIR_ERR_OK) {
    return absl::InternalError(fmt::format("{}: libvirt failed without an error", context));
  }
  return StatusOfLibvirtError(err->code, err->domain, err->message, context);
}

namespace {
void LogLibvirtError(void* /*user_data*/, virErrorPtr err) {
  // Callers turn errors into Status values; the log only helps tracing.
  if (err != nullptr && err->message != nullptr) {
    spdlog::debug("libvirt: {} (code {}, domain {})", err->message, err->code, err->domain);
  }
}
}  // namespace

void InstallErrorHandler() {
  static std::once_flag once;
  std::call_once(once, [] { virSetErrorFunc(nullptr, LogLibvirtError); });
}

}  // namespace hvagent::libvirt
