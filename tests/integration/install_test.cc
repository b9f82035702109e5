// `cmake --install` into a temporary prefix: the binaries run, the unit passes
// `systemd-analyze verify` without a word about it, the default config lists
// every key the daemon knows and parses, and a staged /usr install (DESTDIR)
// ships the unit as written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "hvagent/daemon/config.h"
#include "hvagent_test/subprocess.h"
#include "hvagent_test/temp_dir.h"
#include "hvagent_test/testbed.h"

namespace hvagent::testing {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class InstallTest : public ::testing::Test {
 protected:
  // cmake --install of the build tree; `env` entries (NAME=VALUE) go first.
  ProcessResult Install(const std::string& prefix, std::vector<std::string> env = {}) {
    std::vector<std::string> argv{"env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {HVAGENT_CMAKE_COMMAND, "--install", BuildDir(), "--prefix", prefix});
    return RunProcess(argv, std::chrono::minutes(5));
  }

  TempDir root_{"hvagent-install"};
};

TEST_F(InstallTest, PlacesEverythingAndTheUnitVerifiesClean) {
  const fs::path prefix = root_ / "usr-local";
  const ProcessResult installed = Install(prefix);
  ASSERT_TRUE(installed.ok()) << installed.out << installed.err;
  const fs::path unit = prefix / "lib/systemd/system/hvagentd.service";
  for (const fs::path& file :
       {prefix / "sbin/hvagentd", prefix / "bin/hvctl", unit, prefix / "etc/hvagent/hvagent.toml",
        prefix / "share/man/man8/hvagentd.8", prefix / "share/man/man1/hvctl.1"}) {
    EXPECT_TRUE(fs::is_regular_file(file)) << file;
  }

  // The unit starts the installed binary with the installed config.
  const std::string text = Slurp(unit);
  EXPECT_THAT(text, HasSubstr("ExecStart=" + (prefix / "sbin/hvagentd").string() + " --config " +
                              (prefix / "etc/hvagent/hvagent.toml").string() + "\n"));

  // systemd-analyze checks directives, the ExecStart binary, and (through
  // man) the Documentation= pages, which MANPATH finds in the prefix. It
  // exits 0 even when it warns: any line naming the unit is a failure.
  const ProcessResult verified =
      RunProcess({"env", "MANPATH=" + (prefix / "share/man").string() + ":", "systemd-analyze",
                  "verify", unit.string()},
                 std::chrono::minutes(2));
  EXPECT_TRUE(verified.ok()) << verified.out << verified.err;
  std::istringstream lines(verified.out + "\n" + verified.err);
  for (std::string line; std::getline(lines, line);) {
    EXPECT_THAT(line, ::testing::Not(HasSubstr("hvagentd.service"))) << "systemd-analyze: " << line;
  }

  // The installed binaries run.
  const ProcessResult version = RunProcess({(prefix / "sbin/hvagentd").string(), "--version"});
  EXPECT_TRUE(version.ok()) << version.err;
  EXPECT_THAT(version.out, HasSubstr("0."));
  const ProcessResult help = RunProcess({(prefix / "bin/hvctl").string(), "--help"});
  EXPECT_TRUE(help.ok()) << help.err;
  EXPECT_THAT(help.out, HasSubstr("OBJECT.VERB"));
  const ProcessResult cli_version = RunProcess({(prefix / "bin/hvctl").string(), "--version"});
  EXPECT_TRUE(cli_version.ok()) << cli_version.err;
  EXPECT_EQ(cli_version.out, version.out);  // one version for the daemon and its CLI
  const ProcessResult man =
      RunProcess({"man", "-l", (prefix / "share/man/man8/hvagentd.8").string()});
  EXPECT_TRUE(man.ok()) << man.err;
  EXPECT_THAT(man.out, HasSubstr("hvagentd"));
}

// What the unit must say: notify with a watchdog, restarts, ordering after
// Debian's libvirtd and Open vSwitch units (which exist), and the hardening.
TEST_F(InstallTest, UnitDirectives) {
  const std::string unit = Slurp(fs::path(SourceDir()) / "systemd/hvagentd.service");
  for (const char* directive :
       {"Type=notify\n", "WatchdogSec=", "Restart=on-failure\n", "NotifyAccess=main\n",
        "ProtectSystem=strict\n", "PrivateTmp=yes\n", "ProtectHome=yes\n", "NoNewPrivileges=yes\n",
        "CapabilityBoundingSet=CAP_NET_ADMIN\n",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n",
        "SystemCallFilter=@system-service\n", "StateDirectory=hvagent\n",
        "RuntimeDirectory=hvagent\n", "DeviceAllow=/dev/net/tun rw\n"}) {
    EXPECT_THAT(unit, HasSubstr(directive));
  }
  // systemd's own score of the sandbox (0 best, 10 worst); 2.4 when written; 9.6 without the
  // hardening block.
  const ProcessResult security =
      RunProcess({"systemd-analyze", "security", "--offline=yes", "--no-pager",
                  SourceDir() + "/systemd/hvagentd.service"});
  std::smatch m;
  static const std::regex kExposure(R"(Overall exposure level for hvagentd\.service: ([0-9.]+))");
  ASSERT_TRUE(std::regex_search(security.out, m, kExposure)) << security.out << security.err;
  EXPECT_LE(std::stod(m[1]), 3.0) << security.out;
  for (const char* dependency : {"libvirtd.service", "openvswitch-switch.service"}) {
    EXPECT_THAT(unit, ::testing::ContainsRegex(std::string("\nWants=.*") + dependency));
    EXPECT_THAT(unit, ::testing::ContainsRegex(std::string("\nAfter=.*") + dependency));
    EXPECT_TRUE(fs::exists(fs::path("/lib/systemd/system") / dependency)) << dependency;
  }
}

// Every key the daemon has a flag for (its --help names them "section.key:")
// is in the default config; uncommented, the file parses.
TEST_F(InstallTest, DefaultConfigHasEveryKeyAndParses) {
  const std::string config = Slurp(fs::path(SourceDir()) / "systemd/hvagent.toml");
  const ProcessResult help = RunProcess({BuildDir() + "/src/daemon/hvagentd", "--help"});
  ASSERT_TRUE(help.ok()) << help.err;
  static const std::regex kKey(R"(\b([a-z]+)\.([a-z_]+): )");
  std::set<std::pair<std::string, std::string>> keys;
  for (auto it = std::sregex_iterator(help.out.begin(), help.out.end(), kKey);
       it != std::sregex_iterator(); ++it) {
    keys.insert({(*it)[1], (*it)[2]});
  }
  ASSERT_GE(keys.size(), 15u) << help.out;

  // Uncomment "#[section]" and "#key = value" lines; the prose stays a comment.
  std::string uncommented;
  std::string section;
  std::set<std::pair<std::string, std::string>> in_file;
  static const std::regex kSection(R"(^#\[([a-z]+)\]$)");
  static const std::regex kAssignment(R"(^#([a-z_]+) = .*$)");
  std::istringstream lines(config);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, kSection)) {
      section = m[1];
      line = line.substr(1);
    } else if (std::regex_match(line, m, kAssignment)) {
      in_file.insert({section, m[1]});
      line = line.substr(1);
    }
    uncommented += line + "\n";
  }
  for (const auto& [s, k] : keys) {
    EXPECT_TRUE(in_file.contains({s, k})) << s << "." << k << " is missing from hvagent.toml";
  }
  for (const auto& [s, k] : in_file) {
    EXPECT_TRUE(keys.contains({s, k})) << s << "." << k << " is in hvagent.toml but not a flag";
  }
  const auto parsed = daemon::ParseConfigToml(uncommented, "hvagent.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status() << "\n" << uncommented;
  EXPECT_TRUE(daemon::ValidateConfig(*parsed).ok());
  // As shipped (all commented) it is the defaults.
  const auto shipped = daemon::ParseConfigToml(config, "hvagent.toml");
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  // Spot checks that the values written are the defaults.
  const daemon::Config defaults;
  EXPECT_EQ(parsed->unix_socket, defaults.unix_socket);
  EXPECT_EQ(parsed->ovsdb_endpoint, defaults.ovsdb_endpoint);
  EXPECT_EQ(parsed->state_dir, defaults.state_dir);
  EXPECT_EQ(parsed->workers, defaults.workers);
  EXPECT_EQ(parsed->max_queued_calls, defaults.max_queued_calls);
  EXPECT_EQ(parsed->event_ring_capacity, defaults.event_ring_capacity);
  EXPECT_EQ(parsed->max_networks, defaults.max_networks);
  EXPECT_EQ(parsed->metrics_listen, defaults.metrics_listen);
  EXPECT_EQ(parsed->metrics_allow_remote, defaults.metrics_allow_remote);
  EXPECT_EQ(parsed->shutdown_grace_seconds, defaults.shutdown_grace_seconds);
}

// A package build: prefix /usr staged under DESTDIR. The unit is shipped as
// written, the config goes to /etc, and a second install keeps an edited config.
TEST_F(InstallTest, StagedUsrInstallKeepsAnEditedConfig) {
  const fs::path stage = root_ / "stage";
  const ProcessResult installed = Install("/usr", {"DESTDIR=" + stage.string()});
  ASSERT_TRUE(installed.ok()) << installed.out << installed.err;
  EXPECT_EQ(Slurp(stage / "usr/lib/systemd/system/hvagentd.service"),
            Slurp(fs::path(SourceDir()) / "systemd/hvagentd.service"));
  EXPECT_TRUE(fs::is_regular_file(stage / "usr/sbin/hvagentd"));
  const fs::path config = stage / "etc/hvagent/hvagent.toml";
  ASSERT_TRUE(fs::is_regular_file(config));

  std::ofstream(config) << "[log]\nlevel = \"debug\"\n";
  const ProcessResult again = Install("/usr", {"DESTDIR=" + stage.string()});
  ASSERT_TRUE(again.ok()) << again.out << again.err;
  EXPECT_EQ(Slurp(config), "[log]\nlevel = \"debug\"\n");
  EXPECT_EQ(Slurp(stage / "etc/hvagent/hvagent.toml.default"),
            Slurp(fs::path(SourceDir()) / "systemd/hvagent.toml"));
}

}  // namespace
}  // namespace hvagent::testing
