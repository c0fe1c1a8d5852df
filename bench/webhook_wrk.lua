-- wrk script for bench/webhook_wrk.sh: POSTs a typical TradingView alert with a unique id per
-- request (thread number and counter), so every request is a new alert, not a duplicate.
local next_thread = 0
function setup(thread)
    thread:set("tid", next_thread)
    next_thread = next_thread + 1
end

local counter = 0
request = function()
    counter = counter + 1
    local body = string.format(
        '{"ticker":"AAPL","action":"buy","quantity":"10","price":"187.30","strategy":"tv",' ..
        '"timeframe":"5","time":"2024-01-02T15:30:00Z","id":"w%d-%d","secret":"bench-webhook-secret-5d1e"}',
        tid, counter)
    return wrk.format("POST", "/webhook/tradingview", {["Content-Type"] = "text/plain"}, body)
end
