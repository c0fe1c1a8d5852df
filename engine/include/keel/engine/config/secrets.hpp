// The configuration's secrets, by declaration: every key path that holds one. The journaled
// copy of a config (session_start) and `keel config show` mask exactly these paths, whatever
// their keys are called, and nothing is guessed from key names. A reader takes a secret only
// through ConfigReader::secret, which refuses a path not declared here (a programmer error,
// caught by the first test that reads it), so a new secret cannot be read without being
// masked. A venue adapter that needs credentials (key ids, user names, passwords, client
// secrets) declares their paths here with its venue section.
#pragma once

#include <string>
#include <string_view>

#include "keel/engine/config/config.hpp"

namespace keel::engine {

// Dotted paths; "*" stands for every element of an array (e.g. "notify.*.url").
inline constexpr std::string_view kSecretPaths[] = {
    "webhook.secret",            // the TradingView alerts' shared secret
    "webhook.signature_secret",  // the HMAC key of signed alerts
    "control.token",             // the control API's bearer token
    // Notification targets: a webhook URL (Discord's and Slack's hold their token in the
    // path) and a Telegram bot's token.
    "notify.*.url",
    "notify.*.token",
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

// The least length of a secret that authenticates a caller (the webhook's secret and signature
// key, the control API's token): 16 characters, what `openssl rand -hex 8` gives; guessing one
// of them over HTTP is out of reach, and `openssl rand -hex 16` is cheap.
inline constexpr std::size_t kMinSecretLength = 16;

// Text that is public because keel ships or documents it (config/*.json and the README): it
// authenticates nobody, whatever its length. Compared exactly; any value that starts with
// "change-me" or "changeme" (any case) is treated as a placeholder too.
inline constexpr std::string_view kPlaceholderSecrets[] = {
    "change-me: set KEEL__WEBHOOK__SECRET",
    "change-me: set KEEL__CONTROL__TOKEN",
};

// Why value cannot authenticate a caller ("is missing", "is 10 characters long; ...", "is the
// placeholder text of the shipped configs"); empty when it can. Never quotes the value.
[[nodiscard]] std::string weak_secret(std::string_view value);

// Whether path (dotted, array indices as numbers, "accounts.1.venue.password", or in brackets as
// config errors name them, "accounts[1].venue.password") is one kSecretPaths declares.
[[nodiscard]] bool is_secret_path(std::string_view path) noexcept;

// The config with the value at every declared secret path (present and not null) replaced by
// "***".
[[nodiscard]] Json mask_secrets(const Json& config);

}  // namespace keel::engine
