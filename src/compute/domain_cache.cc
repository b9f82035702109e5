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

StatusOr<std::vector<CachedDomain>> DomainCache::ListUncached(const DomainWindow& window) {
  HVAGENT_ASSIGN_OR_RETURN(auto domains, hypervisor_.ListDomains());
  std::sort(domains.begin(), domains.end(),
            [](const auto& a, const auto& b) { return a->Name() < b->Name(); });
  std::vector<CachedDomain> read;
  for (std::unique_ptr<HypervisorDomain>& domain : domains) {
    if (read.size() == window.limit) break;
    const std::string name = domain->Name();
    if (!window.after.empty() && name <= window.after) continue;
    auto one = Read(std::move(domain));
    if (!one.ok()) {
      spdlog::debug("list: skipping domain '{}': {}", name, one.status());
      continue;
    }
    if (!window.wanted || window.wanted(one->config)) read.push_back(*std::move(one));
  }
  return read;
}

StatusOr<bool> DomainCache::CompleteEntries(
    std::map<std::string, std::unique_ptr<HypervisorDomain>>& listed) {
  std::unique_lock lock(mu_);
  if (!live_) return false;
  if (complete_) return true;
  const uint64_t epoch = epoch_;
  const uint64_t listing_starts = next_version_;
  lock.unlock();
  HVAGENT_ASSIGN_OR_RETURN(auto domains, hypervisor_.ListDomains());
  lock.lock();
  if (!live_ || epoch != epoch_) return false;  // the connection changed meanwhile
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
  return true;
}

Status DomainCache::ForEach(const std::function<bool(const VmConfig&)>& wanted,
                            const std::function<void(const VmConfig&)>& visit) {
  // A window that visits what it wants and keeps nothing: List's walk, with
  // its reads of what is not cached, and no copies.
  const DomainWindow visiting{.wanted = [&](const VmConfig& config) {
    if (!wanted || wanted(config)) visit(config);
    return false;
  }};
  return List(visiting).status();
}

StatusOr<std::vector<CachedDomain>> DomainCache::List(const DomainWindow& window) {
  // Handles from a full listing, for the domains it finds to be read.
  std::map<std::string, std::unique_ptr<HypervisorDomain>> listed;
  HVAGENT_ASSIGN_OR_RETURN(const bool live, CompleteEntries(listed));
  if (!live) return ListUncached(window);
  const auto wanted = [&window](const CachedDomain& domain) {
    return !window.wanted || window.wanted(domain.config);
  };
  // In rounds along the names: kept entries as they are, the others read,
  // until `limit` are found (a read one may turn out unwanted, or gone).
  std::vector<CachedDomain> result;
  std::string cursor = window.after;
  bool more = true;
  while (more && result.size() < window.limit) {
    std::vector<std::pair<std::string, Ticket>> to_read;
    more = false;
    {
      std::lock_guard lock(mu_);
      for (auto it = entries_.upper_bound(cursor); it != entries_.end(); ++it) {
        if (result.size() + to_read.size() >= window.limit) {
          more = true;
          break;
        }
        cursor = it->first;
        const Entry& entry = it->second;
        if (!entry.value) {
          to_read.emplace_back(it->first, Ticket{.epoch = epoch_, .version = entry.version});
        } else {
          ++stats_.hits;
          if (wanted(*entry.value)) result.push_back(*entry.value);
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
      if (wanted(*read)) result.push_back(*std::move(read));
    }
  }
  return SortedByName(std::move(result));
}

}  // namespace hvagent::compute
