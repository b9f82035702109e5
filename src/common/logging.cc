#include "hvagent/common/logging.h"

#include <cstdlib>
#include <memory>
#include <string>

#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/sinks/systemd_sink.h"
#include "spdlog/spdlog.h"

namespace hvagent {

StatusOr<int> ParseLogLevel(std::string_view name) {
  const spdlog::level::level_enum level = spdlog::level::from_str(std::string(name));
  // from_str answers "off" for anything it does not know.
  if (level == spdlog::level::off && name != "off") {
    return absl::InvalidArgumentError(fmt::format(
        "log level '{}' is not one of trace, debug, info, warn, error, critical, off", name));
  }
  return static_cast<int>(level);
}

void ConfigureLogging(int level) {
  // systemd sets JOURNAL_STREAM when stderr is the journal: log to it natively
  // so levels become journal priorities.
  std::shared_ptr<spdlog::logger> logger;
  // Read once at start-up, before any thread that could change the environment.
  if (std::getenv("JOURNAL_STREAM") != nullptr) {  // NOLINT(concurrency-mt-unsafe)
    logger = std::make_shared<spdlog::logger>(
        "hvagent", std::make_shared<spdlog::sinks::systemd_sink_mt>("hvagentd"));
    logger->set_pattern("%v");
  } else {
    logger = std::make_shared<spdlog::logger>("hvagent",
                                              std::make_shared<spdlog::sinks::stderr_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v");
  }
  spdlog::set_default_logger(logger);
  SetLogLevel(level);
}

void SetLogLevel(int level) { spdlog::set_level(static_cast<spdlog::level::level_enum>(level)); }

}  // namespace hvagent
