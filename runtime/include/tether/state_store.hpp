// tether/state_store.hpp - state that survives restarts (OTP's ETS heir).
//
// Purpose
//   A key/value store owned by a supervisor tree and keyed by child id, so
//   that a restarted child reads back in its init what its previous
//   incarnation saved. Each child sees its own scope through a state_handle
//   (child_context::state()); the scope of a child is its path in the tree,
//   "<supervisor>/<child id>", so nested supervisors never collide.
//   Values are byte strings (std::string); encode structured data yourself.
//
//   Two backends:
//   * in memory (default constructor): survives child and nested-supervisor
//     restarts, dies with the process;
//   * durable (open_durable): every mutation is appended to a
//     tether::journal and fdatasync'ed before the call returns, and the
//     store is rebuilt from the journal on open, so acknowledged writes
//     survive the OS process being killed (SIGKILL, crash, power loss).
//
//   A child incarnation that its supervisor abandons (it did not stop within
//   its shutdown timeout and became a straggler) loses its scope at that
//   moment: writes through its state_handle fail with errc::shutdown and
//   reads see nothing, so a straggler can never overwrite what the next
//   incarnation of the same child id reads or writes. The release is
//   linearized with writes (it takes the store's mutex): a write either
//   completed before the release or is refused.
//
//   A supervisor erases a child's scope when the child is finished for good
//   (a temporary child exits, a transient child exits normally, or a dynamic
//   child is terminated with terminate_child); it keeps it across restarts
//   and across the supervisor's own shutdown (so a durable store resumes).
//
// Lifetime
//   Shared through std::shared_ptr by the supervisors that use it; a
//   state_handle holds a shared_ptr to its store and may outlive the child.
//
// Thread-safety
//   All member functions are safe to call concurrently (one internal mutex).
//   Each call is atomic; there are no multi-call transactions except
//   put_many.
//
// Blocking behaviour
//   In memory: the mutex only. Durable: mutations block on write+fdatasync
//   while holding the mutex (so durable writers are serialized).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tether/error.hpp"
#include "tether/journal.hpp"

namespace tether {
inline namespace v1 {

class state_handle;

namespace detail {
/// The revocable write right of one child incarnation on its scope
/// (runtime-internal; see "abandons" above).
struct write_fence {
  std::atomic<bool> released{false};
};
}  // namespace detail

class state_store {
 public:
  /// An in-memory store.
  state_store();
  ~state_store();
  state_store(const state_store&) = delete;
  state_store& operator=(const state_store&) = delete;

  /// Opens (or creates) a durable store backed by the journal at `path` and
  /// replays it. Errors: io_error (journal open failed), corrupt (a record
  /// that passed its checksum does not decode; should not happen).
  static result<std::shared_ptr<state_store>> open_durable(const std::string& path,
                                                           journal_options opts = {});

  /// Stores value under (scope, key). Errors (durable only): io_error - the
  /// write is then not applied in memory either.
  result<void> put(std::string_view scope, std::string_view key, std::string_view value);
  /// Stores several keys atomically in one journal record. Errors: io_error.
  result<void> put_many(std::string_view scope,
                        const std::vector<std::pair<std::string, std::string>>& kvs);
  /// The value, or nullopt if absent.
  std::optional<std::string> get(std::string_view scope, std::string_view key) const;
  /// Removes (scope, key); absent keys are not an error. Errors: io_error.
  result<void> erase(std::string_view scope, std::string_view key);
  /// Removes the scope and every nested scope ("scope/..."). Errors: io_error.
  result<void> erase_scope(std::string_view scope);
  /// All keys of one scope.
  std::map<std::string, std::string> entries(std::string_view scope) const;
  /// All non-empty scopes.
  std::vector<std::string> scopes() const;

  bool durable() const noexcept { return journal_ != nullptr; }
  /// Rewrites the journal with only the live entries. Errors: io_error.
  /// No-op for the in-memory backend.
  result<void> compact();

  /// Runtime-internal: releases `fence` under the store's mutex; every later
  /// write through a handle carrying it fails with errc::shutdown.
  void release(detail::write_fence& fence);

 private:
  friend class state_handle;
  result<void> put_fenced(std::string_view scope, std::string_view key, std::string_view value,
                          const detail::write_fence* fence);
  result<void> put_many_fenced(std::string_view scope,
                               const std::vector<std::pair<std::string, std::string>>& kvs,
                               const detail::write_fence* fence);
  result<void> erase_fenced(std::string_view scope, std::string_view key, const detail::write_fence* fence);
  // requires mu_ held; refuses the write if `fence` was released
  result<void> log(std::string record, const detail::write_fence* fence = nullptr);
  void apply(std::string_view record);   // requires mu_ held
  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, std::string>, std::less<>> data_;  // guarded by mu_
  std::unique_ptr<journal> journal_;  // set once by open_durable; appends guarded by mu_
};

/// A view of one scope of a store; what a child gets from its context.
/// Copyable; thread-safe like the store. An empty handle (valid()==false)
/// returns nullopt for reads and invalid_argument for writes. A released
/// handle (the child incarnation holding it was abandoned as a straggler)
/// returns nullopt / empty for reads and errc::shutdown for writes.
class state_handle {
 public:
  state_handle() = default;
  state_handle(std::shared_ptr<state_store> store, std::string scope)
      : store_(std::move(store)), scope_(std::move(scope)) {}
  /// Runtime-internal: a handle whose writes stop when `fence` is released.
  state_handle(std::shared_ptr<state_store> store, std::string scope,
               std::shared_ptr<detail::write_fence> fence)
      : store_(std::move(store)), scope_(std::move(scope)), fence_(std::move(fence)) {}

  bool valid() const noexcept { return store_ != nullptr; }
  /// True once the incarnation holding this handle was abandoned.
  bool released() const noexcept { return fence_ && fence_->released.load(std::memory_order_acquire); }
  const std::string& scope() const noexcept { return scope_; }
  /// Errors: io_error (durable), invalid_argument (empty handle), shutdown (released).
  result<void> put(std::string_view key, std::string_view value) const;
  /// Errors: io_error (durable), invalid_argument (empty handle), shutdown (released).
  result<void> put_many(const std::vector<std::pair<std::string, std::string>>& kvs) const;
  std::optional<std::string> get(std::string_view key) const;
  std::string get_or(std::string_view key, std::string_view fallback) const;
  /// Errors: io_error (durable), invalid_argument (empty handle), shutdown (released).
  result<void> erase(std::string_view key) const;
  std::map<std::string, std::string> entries() const;
  const std::shared_ptr<state_store>& store() const noexcept { return store_; }

 private:
  std::shared_ptr<state_store> store_;
  std::string scope_;
  std::shared_ptr<detail::write_fence> fence_;
};

}  // namespace v1
}  // namespace tether
