#include "hvagent/compute/domain_cache.h"

#include <algorithm>

#include "hvagent/compute/domain_xml.h"
#include "hvagent/compute/runtime_metadata.h"
#include "spdlog/spdlog.h"

namespace hvagent::compute {

namespace {

std::vector<CachedDomain> SortedByName(std::vector<CachedDomain> domains) {
  std::sort(domains.begin(), domains.end(), [](const CachedDomain& a, const CachedDomain& b) {
    return a.config.name < b.config.name;
  });
  return domains;
}

}  // namespace

void DomainCache::SetLive(bool live) {
  std::lock_guard lock(mu_);
  live_ = live;
  ++epoch_;
  complete_ = false;
  entries_.clear();
}

bool DomainCache::live() const {
  std::lock_guard lock(mu_);
  return live_;
}

void DomainCache::DomainChanged(const std::string& name) {
  std::lock_guard lock(mu_);
  if (!live_) return;
  // Kept as an entry to be read, so that a new domain is listed.
  Entry& entry = entries_[name];
  entry.version = ++next_version_;
  entry.value.reset();
}

DomainCache::Stats DomainCache::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

StatusOr<CachedDomain> ReadDomain(const HypervisorDomain& domain) {
  HVAGENT_ASSIGN_OR_RETURN(const std::string xml, domain.PersistentXml());
  HVAGENT_ASSIGN_OR_RETURN(VmConfig config, ParseDomainXml(xml));
  HVAGENT_ASSIGN_OR_RETURN(const DomainState state, domain.State());
  CachedDomain read{.domain = nullptr, .config = std::move(config), .state = state};
  if (IsActive(state)) {
    if (auto runtime = domain.LiveMetadata(std::string(kRuntimeNamespace));
        runtime.ok() && runtime->has_value()) {
      if (auto parsed = ParseRuntimeMetadataXml(**runtime); parsed.ok()) {
        read.started_unix_ms = parsed->started_unix_ms;
      }
    }
  }
  return read;
}

StatusOr<CachedDomain> DomainCache::Read(std::unique_ptr<HypervisorDomain> domain) {
  {
    std::lock_guard lock(mu_);
    ++stats_.reads;
  }
  HVAGENT_ASSIGN_OR_RETURN(CachedDomain read, ReadDomain(*domain));
  read.domain = std::move(domain);
  return read;
}

DomainCache::Ticket DomainCache::TicketLocked(const std::string& name) {
  auto [it, made] = entries_.try_emplace(name);
  if (made) it->second.version = ++next_version_;
  return {.epoch = epoch_, .version = it->second.version};
}

void DomainCache::KeepLocked(const std::string& name, const Ticket& ticket,
                             const StatusOr<CachedDomain>& read) {
  if (!live_ || ticket.epoch != epoch_) return;
  const auto it = entries_.find(name);
  if (it == entries_.end() || it->second.version != ticket.version) return;
  if (read.ok()) {
    it->second.value = *read;
  } else if (read.status().code() == absl::StatusCode::kNotFound) {
    entries_.erase(it);  // gone, and no change since says otherwise
  }
}

StatusOr<CachedDomain> DomainCache::Get(const std::string& name) {
  Ticket ticket;
  {
    std::lock_guard lock(mu_);
    if (live_) {
      const auto it = entries_.find(name);
      if (it != entries_.end() && it->second.value) {
        ++stats_.hits;
        return *it->second.value;
      }
      if (it == entries_.end() && complete_) {
        // Every domain has an entry while complete: a name without one is
        // none (as libvirt would answer).
        ++stats_.hits;
        return absl::NotFoundError(fmt::format("no domain named '{}'", name));
      }
      ticket = TicketLocked(name);
    }
  }
  auto domain = hypervisor_.LookupDomain(name);
  StatusOr<CachedDomain> read =
      domain.ok() ? Read(*std::move(domain)) : StatusOr<CachedDomain>(domain.status());
  std::lock_guard lock(mu_);
  KeepLocked(name, ticket, read);
  return read;
}

StatusOr<std::vector<CachedDomain>> DomainCache::ListUncached() {
  HVAGENT_ASSIGN_OR_RETURN(auto domains, hypervisor_.ListDomains());
  std::vector<CachedDomain> read;
  for (std::unique_ptr<HypervisorDomain>& domain : domains) {
    const std::string name = domain->Name();
    auto one = Read(std::move(domain));
    if (!one.ok()) {
      spdlog::debug("list: skipping domain '{}': {}", name, one.status());
      continue;
    }
    read.push_back(*std::move(one));
  }
  return SortedByName(std::move(read));
}

StatusOr<std::vector<CachedDomain>> DomainCache::List() {
  // Handles from a full listing, for the domains it finds to be read.
  std::map<std::string, std::unique_ptr<HypervisorDomain>> listed;
  {
    std::unique_lock lock(mu_);
    if (!live_) {
      lock.unlock();
      return ListUncached();
    }
    if (!complete_) {
      const uint64_t epoch = epoch_;
      const uint64_t listing_starts = next_version_;
      lock.unlock();
      HVAGENT_ASSIGN_OR_RETURN(auto domains, hypervisor_.ListDomains());
      lock.lock();
      if (!live_ || epoch != epoch_) {
        lock.unlock();
        return ListUncached();  // the connection changed meanwhile
      }
      for (auto& domain : domains) {
        const std::string name = domain->Name();
        TicketLocked(name);
        listed.emplace(name, std::move(domain));
      }
      // What the listing did not find is gone, unless a change since says
      // otherwise (a domain defined while it ran).
      std::erase_if(entries_, [&](const auto& item) {
        return item.second.version <= listing_starts && !listed.contains(item.first);
      });
      complete_ = true;
    }
  }
  // Every entry: kept ones as they are, the others read now.
  std::vector<CachedDomain> result;
  std::vector<std::pair<std::string, Ticket>> to_read;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, entry] : entries_) {
      if (entry.value) {
        ++stats_.hits;
        result.push_back(*entry.value);
      } else {
        to_read.emplace_back(name, Ticket{.epoch = epoch_, .version = entry.version});
      }
    }
  }
  for (const auto& [name, ticket] : to_read) {
    std::unique_ptr<HypervisorDomain> domain;
    if (auto it = listed.find(name); it != listed.end()) {
      domain = std::move(it->second);
    } else {
      auto looked_up = hypervisor_.LookupDomain(name);
      if (!looked_up.ok()) {
        std::lock_guard lock(mu_);
        KeepLocked(name, ticket, looked_up.status());
        continue;
      }
      domain = *std::move(looked_up);
    }
    auto read = Read(std::move(domain));
    {
      std::lock_guard lock(mu_);
      KeepLocked(name, ticket, read);
    }
    if (!read.ok()) {
      spdlog::debug("list: skipping domain '{}': {}", name, read.status());
      continue;
    }
    result.push_back(*std::move(read));
  }
  return SortedByName(std::move(result));
}

}  // namespace hvagent::compute
