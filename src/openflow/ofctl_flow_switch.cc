#include "hvagent/openflow/ofctl_flow_switch.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include "hvagent/common/errno_message.h"
#include "hvagent/common/names.h"
#include "hvagent/common/program_runner.h"

namespace hvagent::openflow {

namespace {

// A flow file of the agent's own, removed when this goes.
class FlowFile {
 public:
  static StatusOr<FlowFile> Write(const std::string& dir, const std::string& text) {
    std::string path = dir + "/hvagent-flows-XXXXXX";
    const int fd = mkstemp(path.data());
    if (fd < 0) {
      return absl::InternalError(
          fmt::format("cannot make a flow file in {}: {}", dir, ErrnoMessage(errno)));
    }
    FlowFile file(path);
    size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = write(fd, text.data() + written, text.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int error = errno;
        close(fd);
        return absl::InternalError(fmt::format("write {}: {}", path, ErrnoMessage(error)));
      }
      written += static_cast<size_t>(n);
    }
    close(fd);
    return file;
  }
  FlowFile(FlowFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  FlowFile& operator=(FlowFile&&) = delete;
  FlowFile(const FlowFile&) = delete;
  FlowFile& operator=(const FlowFile&) = delete;
  ~FlowFile() {
    if (!path_.empty()) unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  explicit FlowFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

Status Failed(const std::string& what, const std::string& bridge, const ProgramResult& result) {
  std::string output = result.output;
  while (!output.empty() && output.back() == '\n') output.pop_back();
  // No management socket: the bridge is not there (or not yet).
  if (output.find("No such file or directory") != std::string::npos ||
      output.find("is not a bridge") != std::string::npos) {
    return absl::FailedPreconditionError(
        fmt::format("bridge '{}' does not exist on this host ({})", bridge, output));
  }
  return absl::UnavailableError(
      fmt::format("ovs-ofctl {} on {}: exit {}: {}", what, bridge, result.exit_code, output));
}

}  // namespace

std::string RundirOfOvsdbEndpoint(const std::string& endpoint) {
  if (endpoint.rfind("unix:", 0) != 0) return "";
  return std::filesystem::path(endpoint.substr(5)).parent_path().string();
}

std::string OfctlFlowSwitch::Target(const std::string& bridge) const {
  return fmt::format("unix:{}/{}.mgmt", options_.rundir, bridge);
}

StatusOr<std::vector<Flow>> OfctlFlowSwitch::DumpAgentFlows(const std::string& bridge) {
  HVAGENT_RETURN_IF_ERROR(ValidateInterfaceName("bridge", bridge));
  HVAGENT_ASSIGN_OR_RETURN(
      const ProgramResult result,
      RunProgram({options_.ovs_ofctl, "--no-names", "--no-stats", "dump-flows", Target(bridge),
                  fmt::format("cookie={:#x}/{:#x}", kCookiePrefix, kCookiePrefixMask)},
                 options_.timeout));
  if (result.exit_code != 0) return Failed("dump-flows", bridge, result);
  std::vector<Flow> flows;
  size_t start = 0;
  while (start < result.output.size()) {
    size_t end = result.output.find('\n', start);
    if (end == std::string::npos) end = result.output.size();
    const std::string_view line(result.output.data() + start, end - start);
    start = end + 1;
    if (line.find("cookie=") == std::string_view::npos) continue;  // a reply header
    HVAGENT_ASSIGN_OR_RETURN(Flow flow, ParseDumpLine(line));
    flows.push_back(std::move(flow));
  }
  std::sort(flows.begin(), flows.end());
  return flows;
}

Status OfctlFlowSwitch::Apply(const std::string& bridge, const FlowChanges& changes) {
  HVAGENT_RETURN_IF_ERROR(ValidateInterfaceName("bridge", bridge));
  if (changes.empty()) return absl::OkStatus();
  // Deletions first: a flow moving to another cookie is deleted under its
  // old cookie, then added under its new one, in the same bundle.
  std::string text;
  for (const Flow& flow : changes.remove) {
    if (!IsAgentCookie(flow.cookie)) {
      return absl::InvalidArgumentError(
          fmt::format("flow '{}' is not the agent's (cookie)", DumpLine(flow)));
    }
    text += DeleteStrictLine(flow) + "\n";
  }
  for (const Flow& flow : changes.add) {
    if (!IsAgentCookie(flow.cookie)) {
      return absl::InvalidArgumentError(
          fmt::format("flow '{}' is not the agent's (cookie)", DumpLine(flow)));
    }
    text += AddFlowLine(flow) + "\n";
  }
  HVAGENT_ASSIGN_OR_RETURN(const FlowFile file, FlowFile::Write(options_.scratch_dir, text));
  HVAGENT_ASSIGN_OR_RETURN(
      const ProgramResult result,
      RunProgram({options_.ovs_ofctl, "--bundle", "add-flows", Target(bridge), file.path()},
                 options_.timeout));
  if (result.exit_code != 0) return Failed("--bundle add-flows", bridge, result);
  return absl::OkStatus();
}

}  // namespace hvagent::openflow
