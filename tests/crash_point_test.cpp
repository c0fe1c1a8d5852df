// Proves KEEL_CRASH_AT arms the named crash point, kills the process with SIGKILL at the N-th
// pass through it and not before, leaves other points alone, and refuses a malformed value
// with a message naming it.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdlib>
#include <string>

#include "keel/engine/core/crash_point.hpp"

using namespace keel::engine;

namespace {

// Sets KEEL_CRASH_AT for one test and disarms every point afterwards.
struct CrashEnv {
    explicit CrashEnv(const char* value) { ::setenv("KEEL_CRASH_AT", value, 1); }
    ~CrashEnv() {
        ::unsetenv("KEEL_CRASH_AT");
        arm_crash_point(CrashPoint::none, 0);
    }
};

}  // namespace

TEST(CrashPoint, UnsetArmsNothing) {
    ::unsetenv("KEEL_CRASH_AT");
    EXPECT_FALSE(arm_crash_point_from_env().has_value());
    for (const CrashPoint p : kCrashPoints)
        crash_point(p);  // survives
}

TEST(CrashPoint, RefusesMalformedValuesNamingThem) {
    for (const char* bad : {"", "order_snt", "order_sent:", "order_sent:0", "order_sent:-1",
                            "order_sent:3x", "order_sent:99999999999999999999999"}) {
        const CrashEnv env(bad);
        const auto error = arm_crash_point_from_env();
        ASSERT_TRUE(error.has_value()) << "'" << bad << "'";
        EXPECT_NE(error->find("KEEL_CRASH_AT"), std::string::npos) << *error;
    }
    const CrashEnv env("order_snt:2");
    EXPECT_NE(arm_crash_point_from_env()->find("no crash point 'order_snt'"), std::string::npos);
}

#if KEEL_CRASH_POINTS
TEST(CrashPointDeathTest, KillsAtTheNthPassOfTheNamedPointOnly) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(
        {
            const CrashEnv env("venue_sent:3");
            if (arm_crash_point_from_env())
                std::exit(1);
            for (int i = 0; i < 100; ++i)
                crash_point(CrashPoint::order_sent);  // another point: passes
            crash_point(CrashPoint::venue_sent);
            crash_point(CrashPoint::venue_sent);
            std::fputs("two passes survived\n", stderr);
            crash_point(CrashPoint::venue_sent);
            std::exit(0);  // not reached
        },
        ::testing::KilledBySignal(SIGKILL),
        "two passes survived\nkeel: KEEL_CRASH_AT: killed at crash point venue_sent");
}
#else
TEST(CrashPoint, ABuildWithoutCrashPointsRefusesASetValue) {
    const CrashEnv env("order_sent");
    const auto error = arm_crash_point_from_env();
    ASSERT_TRUE(error.has_value());
    EXPECT_NE(error->find("this build has no crash points"), std::string::npos) << *error;
}
#endif
