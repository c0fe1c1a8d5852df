// The live sections fail closed (replay/session/live_config.hpp): a webhook or control API
// whose secret is missing, shorter than 16 characters or a shipped placeholder is a config error
// naming the key and the environment variable that sets it; the signature key counts for the
// webhook only with require_signature; a control API without a token must be asked for and
// binds loopback only; every secret the shipped configs hold is refused. And the operations
// sections (`shutdown`, `memory`) as keel run reads them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/engine/config/secrets.hpp"
#include "keel/replay/session/live_config.hpp"

using namespace keel;
namespace fs = std::filesystem;

namespace {

const fs::path kConfigDir = fs::path(KEEL_SOURCE_DIR) / "config";
constexpr const char* kStrongSecret = "KEEL__WEBHOOK__SECRET=0123456789abcdef0123";
constexpr const char* kStrongToken = "KEEL__CONTROL__TOKEN=fedcba9876543210fedc";

std::string read(const fs::path& file) {
    std::ifstream in(file);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A shipped config read as `keel run` reads it: env entries, then --set texts.
std::vector<engine::ConfigError> errors_of(const std::string& name, std::vector<std::string> env,
                                           const std::vector<std::string>& sets = {},
                                           engine::Config* config = nullptr) {
    std::vector<engine::ConfigOverride> overrides;
    for (const std::string& t : sets)
        overrides.push_back(*engine::parse_override(t));
    const fs::path file = kConfigDir / name;
    engine::ConfigResult r =
        engine::parse_config(read(file), file.string(), file.parent_path(), env, overrides);
    (void)replay::read_live_config(r.config, r.errors);
    if (config != nullptr)
        *config = r.config;
    return r.errors;
}

// The message of the error at path ("" when there is none).
std::string message_at(const std::vector<engine::ConfigError>& errors, const std::string& path) {
    for (const engine::ConfigError& e : errors) {
        if (e.path == path)
            return e.message;
    }
    return "";
}

std::string all(const std::vector<engine::ConfigError>& errors) {
    std::string out;
    for (const engine::ConfigError& e : errors)
        out += e.path + ": " + e.message + "\n";
    return out;
}

}  // namespace

TEST(SecretStrength, MissingShortAndPlaceholderSecretsAreWeakAndSaySo) {
    EXPECT_EQ(engine::weak_secret(""), "is missing");
    EXPECT_NE(engine::weak_secret("0123456789").find("10 characters long; at least 16"),
              std::string::npos);
    EXPECT_NE(engine::weak_secret("change-me: set KEEL__WEBHOOK__SECRET").find("placeholder"),
              std::string::npos);
    EXPECT_NE(engine::weak_secret("CHANGEME-0123456789abcdef").find("placeholder"),
              std::string::npos);
    EXPECT_EQ(engine::weak_secret("0123456789abcdef"), "");  // 16: strong enough
    // The message never quotes the value.
    EXPECT_EQ(engine::weak_secret("hunter2").find("hunter2"), std::string::npos);
}

TEST(SecretsFailClosed, PaperJsonWithoutSecretsInTheEnvironmentNamesBothKeysAndTheirVariables) {
    const auto errors = errors_of("paper.json", {});
    const std::string secret = message_at(errors, "webhook.secret");
    const std::string token = message_at(errors, "control.token");
    EXPECT_NE(secret.find("placeholder"), std::string::npos) << all(errors);
    EXPECT_NE(secret.find("KEEL__WEBHOOK__SECRET"), std::string::npos) << secret;
    EXPECT_NE(token.find("placeholder"), std::string::npos) << all(errors);
    EXPECT_NE(token.find("KEEL__CONTROL__TOKEN"), std::string::npos) << token;
    EXPECT_TRUE(errors_of("paper.json", {kStrongSecret, kStrongToken}).empty());
}

TEST(SecretsFailClosed, AbsentAndShortSecretsAreRefusedNamingTheKey) {
    const auto absent = errors_of("paper.json", {}, {"webhook.secret=null", "control.token=null"});
    EXPECT_NE(message_at(absent, "webhook.secret").find("is missing"), std::string::npos)
        << all(absent);
    EXPECT_NE(message_at(absent, "control.token").find("is missing"), std::string::npos)
        << all(absent);
    const auto short_ones = errors_of(
        "paper.json", {"KEEL__WEBHOOK__SECRET=abcdefghij", "KEEL__CONTROL__TOKEN=abcdefghij"});
    EXPECT_NE(message_at(short_ones, "webhook.secret").find("10 characters"), std::string::npos)
        << all(short_ones);
    EXPECT_NE(message_at(short_ones, "control.token").find("10 characters"), std::string::npos)
        << all(short_ones);
}

// No shipped config holds a secret that would authenticate anybody.
TEST(SecretsFailClosed, EverySecretInTheShippedConfigsIsRefused) {
    int secrets = 0;
    for (const fs::directory_entry& f : fs::directory_iterator(kConfigDir)) {
        if (f.path().extension() != ".json")
            continue;
        const engine::Json j = engine::Json::parse(read(f.path()));
        const engine::Json masked = engine::mask_secrets(j);
        // Every value mask_secrets replaces is a declared secret: each must be weak.
        for (const auto& [section, body] : j.items()) {
            if (!body.is_object())
                continue;
            for (const auto& [key, value] : body.items()) {
                if (masked[section][key] != "***" || !value.is_string())
                    continue;
                ++secrets;
                EXPECT_NE(engine::weak_secret(value.get<std::string>()), "")
                    << f.path() << ": " << section << "." << key;
            }
        }
    }
    EXPECT_GE(secrets, 2);  // paper.json's placeholders, at least
}

TEST(SecretsFailClosed, ASignatureKeyProtectsTheWebhookOnlyWhenSignaturesAreRequired) {
    const std::vector<std::string> env = {kStrongToken};
    const std::string key = "webhook.signature_secret=abcdef0123456789abcd";
    const auto unsigned_passes = errors_of("paper.json", env, {"webhook.secret=null", key});
    EXPECT_NE(message_at(unsigned_passes, "webhook.secret").find("require_signature"),
              std::string::npos)
        << all(unsigned_passes);
    EXPECT_TRUE(
        errors_of("paper.json", env, {"webhook.secret=null", key, "webhook.require_signature=true"})
            .empty());
    const auto weak_key = errors_of("paper.json", env,
                                    {"webhook.secret=null", "webhook.signature_secret=short-key",
                                     "webhook.require_signature=true"});
    EXPECT_NE(message_at(weak_key, "webhook.signature_secret").find("9 characters"),
              std::string::npos)
        << all(weak_key);
}

TEST(SecretsFailClosed, AControlApiWithoutATokenMustBeAskedForAndBindsLoopbackOnly) {
    const std::vector<std::string> env = {kStrongSecret};
    EXPECT_TRUE(errors_of("paper.json", env, {"control.token=null", "control.auth=none"}).empty());
    EXPECT_TRUE(errors_of("paper.json", env,
                          {"control.token=null", "control.auth=none", "control.host=::1"})
                    .empty());
    const auto exposed = errors_of(
        "paper.json", env, {"control.token=null", "control.auth=none", "control.host=0.0.0.0"});
    EXPECT_NE(message_at(exposed, "control.host").find("loopback"), std::string::npos)
        << all(exposed);
    const auto both = errors_of("paper.json", {kStrongSecret, kStrongToken}, {"control.auth=none"});
    EXPECT_NE(message_at(both, "control.token").find("auth is \"none\""), std::string::npos)
        << all(both);
    const auto unknown =
        errors_of("paper.json", {kStrongSecret, kStrongToken}, {"control.auth=basic"});
    EXPECT_NE(message_at(unknown, "control.auth").find("not one of token, none"), std::string::npos)
        << all(unknown);
}

TEST(OperationsConfig, ShutdownAndMemoryAreReadAndAStopPolicyNeedsALiveSession) {
    engine::Config c;
    const auto ok =
        errors_of("paper.json", {kStrongSecret, kStrongToken},
                  {"shutdown.flatten=true", "shutdown.deadline_ms=2000", "memory.lock=true"}, &c);
    EXPECT_TRUE(ok.empty()) << all(ok);
    EXPECT_TRUE(c.shutdown.flatten);
    EXPECT_FALSE(c.shutdown.cancel_open_orders);
    EXPECT_EQ(c.shutdown.deadline_ms, 2000);
    EXPECT_TRUE(c.memory.lock);
    const auto data = errors_of("backtest.json", {}, {"shutdown.cancel_open_orders=true"});
    EXPECT_NE(message_at(data, "shutdown").find("live session"), std::string::npos) << all(data);
    const auto unknown = errors_of("backtest.json", {}, {"memory.lok=true"});
    EXPECT_EQ(message_at(unknown, "memory.lok").rfind("unknown key", 0), 0u) << all(unknown);
}
