// The configuration's secrets, by declaration: every key path that holds one. The journaled
// copy of a config (session_start) and `keel config show` mask exactly these paths, whatever
// their keys are called, and nothing is guessed from key names. A reader takes a secret only
// through ConfigReader::secret, which refuses a path not declared here (a programmer error,
// caught by the first test that reads it), so a new secret cannot be read without being
// masked. A venue adapter that needs credentials (key ids, user names, passwords, client
// secrets) declares their paths here with its venue section.
#pragma once

#include <string_view>

#include "keel/engine/config/config.hpp"

namespace keel::engine {

// Dotted paths; "*" stands for every element of an array (e.g. "notify.*.url").
inline constexpr std::string_view kSecretPaths[] = {
    "webhook.secret",            // the TradingView alerts' shared secret
    "webhook.signature_secret",  // the HMAC key of signed alerts
    "control.token",             // the control API's bearer token
    // A venue's credentials (broker key ids and secrets, FIX and prop-firm user names and
    // passwords, OAuth client secrets), in the venue section and in each account's.
    "venue.key_id",
    "venue.secret_key",
    "venue.username",
    "venue.password",
    "venue.client_secret",
    "accounts.*.venue.key_id",
    "accounts.*.venue.secret_key",
    "accounts.*.venue.username",
    "accounts.*.venue.password",
    "accounts.*.venue.client_secret",
};

// Whether path (dotted, array indices as numbers, "accounts.1.venue.password", or in brackets as
// config errors name them, "accounts[1].venue.password") is one kSecretPaths declares.
[[nodiscard]] bool is_secret_path(std::string_view path) noexcept;

// The config with the value at every declared secret path (present and not null) replaced by
// "***".
[[nodiscard]] Json mask_secrets(const Json& config);

}  // namespace keel::engine
