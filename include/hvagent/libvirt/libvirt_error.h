// libvirt errors as the project's Status, with libvirt's code and message kept.
#pragma once

#include <string_view>

#include "hvagent/common/status.h"

namespace hvagent::libvirt {

// The Status for libvirt's error code `vir_error_code` (a virErrorNumber).
absl::StatusCode StatusCodeForLibvirtError(int vir_error_code);

// The Status for the libvirt error `code`, from module `domain` (a
// virErrorDomain), with its `message` (may be null): the rules of
// LastLibvirtError, pure.
Status StatusOfLibvirtError(int code, int domain, const char* message, std::string_view context);

// Reads libvirt's thread-local last error. Call it right after the failing
// call: freeing any handle (e.g. a DomainHandle going out of scope) resets it.
// A hot-plug that finds no free PCI slot is RESOURCE_EXHAUSTED.
Status LastLibvirtError(std::string_view context);

// Makes libvirt log its errors through spdlog instead of printing them to
// stderr. Idempotent; called by Connection::Open.
void InstallErrorHandler();

}  // namespace hvagent::libvirt
