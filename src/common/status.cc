#include "hvagent/common/status.h"

namespace hvagent {

Status Annotate(const Status& status, std::string_view context) {
  if (status.ok()) {
    return status;
  }
  return Status(status.code(), fmt::format("{}: {}", context, status.message()));
}

}  // namespace hvagent
