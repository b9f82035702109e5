// A throwaway PKI for mutual-TLS tests, made with the openssl CLI in a
// directory of its own: CAs, and server and client certificates signed by
// them with the extensions gRPC's TLS checks (server: serverAuth for
// localhost and 127.0.0.1; client: clientAuth). Keys are P-256, valid 2 days.
#pragma once

#include <string>

namespace hvagent::testing {

class TestPki {
 public:
  enum class Kind { kServer, kClient };

  // Makes `dir` (emptied first) and its openssl.cnf.
  explicit TestPki(std::string dir);

  // A self-signed CA "<name>.pem"/"<name>.key" with subject CN=`cn`. Fails
  // the current test (and returns false) when openssl does.
  bool MakeCa(const std::string& name, const std::string& cn);
  // "<name>.pem"/"<name>.key", signed by the CA `ca`.
  bool MakeCert(const std::string& name, const std::string& cn, const std::string& ca, Kind kind);

  std::string Path(const std::string& file) const { return dir_ + "/" + file; }
  std::string Cert(const std::string& name) const { return Path(name + ".pem"); }
  std::string Key(const std::string& name) const { return Path(name + ".key"); }

 private:
  std::string dir_;
  int serial_ = 1;
};

}  // namespace hvagent::testing
