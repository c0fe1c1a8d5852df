#include "keel/engine/core/symbol_table.hpp"

#include "keel/assert.hpp"

namespace keel::engine {

std::optional<SymbolId> SymbolTable::intern(std::string_view name) {
    if (auto found = find(name))
        return found;
    if (name.empty() || name.size() > kSymbolNameMax || names_.size() >= capacity_) {
        return std::nullopt;
    }
    const auto id = static_cast<SymbolId>(names_.size());
    names_.emplace_back(name);
    ids_.emplace(std::string(name), id);
    return id;
}

std::optional<SymbolId> SymbolTable::find(std::string_view name) const {
    const auto it = ids_.find(name);
    if (it == ids_.end())
        return std::nullopt;
    return it->second;
}

std::string_view SymbolTable::name(SymbolId id) const {
    KEEL_ASSERT(id < names_.size(), "unknown symbol id");
    return names_[id];
}

}  // namespace keel::engine
