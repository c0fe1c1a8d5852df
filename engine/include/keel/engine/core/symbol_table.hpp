// SymbolTable: interns instrument names into dense SymbolIds at start-up (cold path).
// Ids are assigned in first-seen order, so the mapping is deterministic for a given input.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/engine/core/symbol_id.hpp"

namespace keel::engine {

class SymbolTable {
  public:
    explicit SymbolTable(std::size_t capacity) : capacity_(capacity) { names_.reserve(capacity); }

    // Returns the id for name, adding it if new; nullopt when the table is full or the name is
    // empty or longer than kSymbolNameMax.
    [[nodiscard]] std::optional<SymbolId> intern(std::string_view name);
    [[nodiscard]] std::optional<SymbolId> find(std::string_view name) const;
    [[nodiscard]] std::string_view name(SymbolId id) const;
    [[nodiscard]] std::size_t size() const noexcept { return names_.size(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  private:
    std::size_t capacity_;
    std::vector<std::string> names_;
    std::map<std::string, SymbolId, std::less<>> ids_;  // ordered: no hash-order dependence
};

}  // namespace keel::engine
