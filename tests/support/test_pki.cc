#include "hvagent_test/test_pki.h"

#include <filesystem>
#include <fstream>

#include "hvagent_test/subprocess.h"

namespace hvagent::testing {

namespace {

// The subject comes from -subj; [dn] only keeps `openssl req` from prompting.
constexpr const char* kOpensslConfig = R"(
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
)";

}  // namespace

TestPki::TestPki(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  std::filesystem::create_directories(dir_, ec);
  std::ofstream(Path("openssl.cnf")) << kOpensslConfig;
}

bool TestPki::MakeCa(const std::string& name, const std::string& cn) {
  return RunOrFail({"openssl",
                    "req",
                    "-x509",
                    "-config",
                    Path("openssl.cnf"),
                    "-extensions",
                    "ca_ext",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:prime256v1",
                    "-nodes",
                    "-keyout",
                    Key(name),
                    "-out",
                    Cert(name),
                    "-days",
                    "2",
                    "-subj",
                    "/CN=" + cn})
      .ok();
}

bool TestPki::MakeCert(const std::string& name, const std::string& cn, const std::string& ca,
                       Kind kind) {
  if (!RunOrFail({"openssl", "req", "-new", "-config", Path("openssl.cnf"), "-newkey", "ec",
                  "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", Key(name),
                  "-out", Path(name + ".csr"), "-subj", "/CN=" + cn})
           .ok()) {
    return false;
  }
  return RunOrFail({"openssl", "x509", "-req", "-in", Path(name + ".csr"), "-CA", Cert(ca),
                    "-CAkey", Key(ca), "-set_serial", std::to_string(++serial_), "-days", "2",
                    "-extfile", Path("openssl.cnf"), "-extensions",
                    kind == Kind::kServer ? "server_ext" : "client_ext", "-out", Cert(name)})
      .ok();
}

}  // namespace hvagent::testing
