# Every dependency comes from Debian's packages (scripts/deps.sh installs them).
# Nothing is downloaded at build time.
find_package(Threads REQUIRED)
find_package(Boost 1.74 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(SQLite3 REQUIRED)  # keel journal export (replay/); journal_bench's peer
find_package(simdjson 3.0 REQUIRED)  # webhook bodies, market-data messages, alert order details
find_package(OpenSSL REQUIRED)  # HMAC-SHA256 webhook signatures (adapters/)
find_package(date CONFIG REQUIRED)  # date::date-tz: session time zones over the system tzdata

find_path(KEEL_CONCURRENTQUEUE_INCLUDE concurrentqueue/concurrentqueue.h REQUIRED)
find_path(KEEL_READERWRITERQUEUE_INCLUDE readerwriterqueue/readerwriterqueue.h REQUIRED)

if(KEEL_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(KEEL_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
