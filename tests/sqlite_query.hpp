// Reading a SQLite database back in tests: every row of a query as text, NULL as "NULL".
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace keel::test {

using Rows = std::vector<std::vector<std::string>>;

// Every row of a query, NULL as "NULL"; a database or query that fails is a test failure.
inline Rows query(const std::filesystem::path& db_file, const std::string& sql) {
    sqlite3* db = nullptr;
    Rows rows;
    if (sqlite3_open_v2(db_file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << "cannot open " << db_file;
        sqlite3_close(db);
        return rows;
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
        sqlite3_close(db);
        return rows;
    }
    while (sqlite3_step(stmt) == SQLITE_ROW) {
        std::vector<std::string> row;
        for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
            const unsigned char* text = sqlite3_column_text(stmt, i);
            row.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "NULL");
        }
        rows.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return rows;
}

// The one value a query returns, or a text saying it returned something else.
inline std::string one(const std::filesystem::path& db_file, const std::string& sql) {
    const Rows rows = query(db_file, sql);
    return rows.size() == 1 && rows[0].size() == 1 ? rows[0][0] : "<" + sql + ": no single value>";
}

}  // namespace keel::test
