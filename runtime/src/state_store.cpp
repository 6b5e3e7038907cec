#include "tether/state_store.hpp"

#include <cstring>

namespace tether {
inline namespace v1 {

namespace {

void put_str(std::string& out, std::string_view s) {
  auto n = static_cast<std::uint32_t>(s.size());
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>((n >> (8 * i)) & 0xFFu);
  out.append(b, 4);
  out.append(s);
}

bool get_str(std::string_view& in, std::string_view& out) {
  if (in.size() < 4) return false;
  std::uint32_t n = 0;
  for (int i = 0; i < 4; ++i) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  in.remove_prefix(4);
  if (in.size() < n) return false;
  out = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

bool in_scope(std::string_view scope, std::string_view candidate) {
  if (candidate == scope) return true;
  return candidate.size() > scope.size() && candidate.compare(0, scope.size(), scope) == 0 &&
         candidate[scope.size()] == '/';
}

}  // namespace

state_store::state_store() = default;
state_store::~state_store() = default;

result<std::shared_ptr<state_store>> state_store::open_durable(const std::string& path,
                                                               journal_options opts) {
  auto j = journal::open(path, opts);
  if (!j) return std::move(j).error();
  auto store = std::make_shared<state_store>();
  std::lock_guard lk(store->mu_);
  for (const auto& rec : (*j)->recovered()) {
    if (rec.empty() || (rec[0] != 'P' && rec[0] != 'E' && rec[0] != 'S'))
      return error(errc::corrupt, "state journal '" + path + "' holds an undecodable record");
    store->apply(rec);
  }
  store->journal_ = std::move(*j);
  return store;
}

void state_store::apply(std::string_view rec) {
  char op = rec[0];
  rec.remove_prefix(1);
  std::string_view scope, key, value;
  if (!get_str(rec, scope)) return;
  if (op == 'P') {
    while (!rec.empty()) {
      if (!get_str(rec, key) || !get_str(rec, value)) return;
      data_[std::string(scope)][std::string(key)] = std::string(value);
    }
  } else if (op == 'E') {
    if (!get_str(rec, key)) return;
    auto it = data_.find(scope);
    if (it != data_.end()) {
      it->second.erase(std::string(key));
      if (it->second.empty()) data_.erase(it);
    }
  } else if (op == 'S') {
    for (auto it = data_.begin(); it != data_.end();) {
      if (in_scope(scope, it->first)) it = data_.erase(it);
      else ++it;
    }
  }
}

result<void> state_store::log(std::string record, const detail::write_fence* fence) {
  if (fence && fence->released.load(std::memory_order_acquire))
    return error(errc::shutdown, "state scope released: this child incarnation was abandoned by its supervisor");
  if (journal_) {
    auto r = journal_->append(record);
    if (!r) return std::move(r).error();
  }
  apply(record);
  return ok();
}

void state_store::release(detail::write_fence& fence) {
  std::lock_guard lk(mu_);
  fence.released.store(true, std::memory_order_release);
}

result<void> state_store::put(std::string_view scope, std::string_view key, std::string_view value) {
  return put_fenced(scope, key, value, nullptr);
}

result<void> state_store::put_fenced(std::string_view scope, std::string_view key, std::string_view value,
                                     const detail::write_fence* fence) {
  std::string rec(1, 'P');
  put_str(rec, scope);
  put_str(rec, key);
  put_str(rec, value);
  std::lock_guard lk(mu_);
  return log(std::move(rec), fence);
}

result<void> state_store::put_many(std::string_view scope,
                                   const std::vector<std::pair<std::string, std::string>>& kvs) {
  return put_many_fenced(scope, kvs, nullptr);
}

result<void> state_store::put_many_fenced(std::string_view scope,
                                          const std::vector<std::pair<std::string, std::string>>& kvs,
                                          const detail::write_fence* fence) {
  std::string rec(1, 'P');
  put_str(rec, scope);
  for (const auto& [k, v] : kvs) {
    put_str(rec, k);
    put_str(rec, v);
  }
  std::lock_guard lk(mu_);
  return log(std::move(rec), fence);
}

std::optional<std::string> state_store::get(std::string_view scope, std::string_view key) const {
  std::lock_guard lk(mu_);
  auto it = data_.find(scope);
  if (it == data_.end()) return std::nullopt;
  auto kit = it->second.find(std::string(key));
  if (kit == it->second.end()) return std::nullopt;
  return kit->second;
}

result<void> state_store::erase(std::string_view scope, std::string_view key) {
  return erase_fenced(scope, key, nullptr);
}

result<void> state_store::erase_fenced(std::string_view scope, std::string_view key,
                                       const detail::write_fence* fence) {
  std::string rec(1, 'E');
  put_str(rec, scope);
  put_str(rec, key);
  std::lock_guard lk(mu_);
  return log(std::move(rec), fence);
}

result<void> state_store::erase_scope(std::string_view scope) {
  std::string rec(1, 'S');
  put_str(rec, scope);
  std::lock_guard lk(mu_);
  bool any = false;
  for (const auto& [s, m] : data_) any = any || in_scope(scope, s);
  if (!any) return ok();
  return log(std::move(rec));
}

std::map<std::string, std::string> state_store::entries(std::string_view scope) const {
  std::lock_guard lk(mu_);
  auto it = data_.find(scope);
  if (it == data_.end()) return {};
  return it->second;
}

std::vector<std::string> state_store::scopes() const {
  std::lock_guard lk(mu_);
  std::vector<std::string> out;
  for (const auto& [s, m] : data_) out.push_back(s);
  return out;
}

result<void> state_store::compact() {
  std::lock_guard lk(mu_);
  if (!journal_) return ok();
  std::vector<std::string> recs;
  for (const auto& [scope, m] : data_) {
    std::string rec(1, 'P');
    put_str(rec, scope);
    for (const auto& [k, v] : m) {
      put_str(rec, k);
      put_str(rec, v);
    }
    recs.push_back(std::move(rec));
  }
  return journal_->rewrite(recs);
}

result<void> state_handle::put(std::string_view key, std::string_view value) const {
  if (!store_) return error(errc::invalid_argument, "empty state handle");
  return store_->put_fenced(scope_, key, value, fence_.get());
}
result<void> state_handle::put_many(const std::vector<std::pair<std::string, std::string>>& kvs) const {
  if (!store_) return error(errc::invalid_argument, "empty state handle");
  return store_->put_many_fenced(scope_, kvs, fence_.get());
}
std::optional<std::string> state_handle::get(std::string_view key) const {
  if (!store_ || released()) return std::nullopt;
  return store_->get(scope_, key);
}
std::string state_handle::get_or(std::string_view key, std::string_view fallback) const {
  auto v = get(key);
  return v ? *v : std::string(fallback);
}
result<void> state_handle::erase(std::string_view key) const {
  if (!store_) return error(errc::invalid_argument, "empty state handle");
  return store_->erase_fenced(scope_, key, fence_.get());
}
std::map<std::string, std::string> state_handle::entries() const {
  if (!store_ || released()) return {};
  return store_->entries(scope_);
}

}  // namespace v1
}  // namespace tether
