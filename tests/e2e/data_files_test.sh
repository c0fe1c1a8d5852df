#!/usr/bin/env bash
# Drives the real keel binary over data files as they come (issue 18): a vendor quote file with
# XDATE,DELAY,CONTRIBUTOR,BID,ASK,FLAG columns and times like 199706011928, read with `columns`
# and `time_format` and no preprocessing; its quotes carry no sizes, so market orders fill at the
# touch; ten symbols bought for 2.5% of a 10,000,000 account each are never refused for buying
# power (the venue's follows account.starting_cash). Then bad data: a row in another time format
# and a row out of order name file:line:column; with data.sort the row is sorted and counted.
set -u
. "$(dirname "$0")/lib.sh" "$@"

syms="S0 S1 S2 S3 S4 S5 S6 S7 S8 S9"
files="" alerts="time,symbol,action,notional,id"
for s in $syms; do
  files="$files{\"path\": \"$SRC/tests/data/xdate_quotes.csv\", \"symbol\": \"$s\",
     \"columns\": {\"time\": \"XDATE\", \"bid\": \"BID\", \"ask\": \"ASK\"},
     \"time_format\": \"%Y%m%d%H%M\"},"
  alerts="$alerts
1997-06-01T19:30:00Z,$s,buy,250000,$s"
done
echo "$alerts" >"$T/alerts.csv"
config() {  # config QUOTES_FILE EXTRA_DATA_KEYS
  cat <<JSON
{
  "session": {"name": "vendor"},
  "data": {"files": [$files {"path": "$T/alerts.csv"}] $2},
  "account": {"starting_cash": "10000000"},
  "strategies": [{"type": "alert_follower", "symbols": ["S0","S1","S2","S3","S4","S5","S6","S7","S8","S9"]}],
  "risk": {"max_order_qty": "1000000", "max_position": "1000000"},
  "venue": {"type": "sim", "mode": "ticks"}
}
JSON
}
config "" "" >"$T/vendor.json"
"$KEEL" backtest --config "$T/vendor.json" --journal "$T/j" >"$T/out" 2>&1
expect_rc 0 $? "vendor backtest"
expect_contains "$T/out" "10 orders sent (10 requested, 0 refused by risk, 0 by the venue), 10 fills" \
  "every 2.5% order filled at the touch, none refused for buying power"
expect_contains "$T/out" "NO SIZE   8 rows of $SRC/tests/data/xdate_quotes.csv without a size" \
  "the summary says the sizes were unknown"
"$KEEL" replay "$T/j" --verify >"$T/verify" 2>&1; expect_rc 0 $? "the journal verifies"

# A row in another time format names its line and column.
sed '4s/^199706011931/1997-06-01 19:31/' "$SRC/tests/data/xdate_quotes.csv" >"$T/bad.csv"
sed "s#$SRC/tests/data/xdate_quotes.csv#$T/bad.csv#g" "$T/vendor.json" >"$T/bad.json"
"$KEEL" backtest --config "$T/bad.json" >"$T/bad_out" 2>&1
expect_rc 2 $? "a row in another time format"
expect_contains "$T/bad_out" "$T/bad.csv:4:1: '1997-06-01 19:31' does not match time_format '%Y%m%d%H%M'" \
  "the row's file:line:column"

# A row out of time order: an error naming it, or with data.sort sorted and counted.
awk 'NR==3{held=$0; next} NR==4{print; print held; next} {print}' \
  "$SRC/tests/data/xdate_quotes.csv" >"$T/unsorted.csv"
sed "s#$SRC/tests/data/xdate_quotes.csv#$T/unsorted.csv#g" "$T/vendor.json" >"$T/unsorted.json"
"$KEEL" backtest --config "$T/unsorted.json" >"$T/unsorted_out" 2>&1
expect_rc 2 $? "a row out of time order"
expect_contains "$T/unsorted_out" "$T/unsorted.csv:4:1: row out of time order: before line 3" \
  "the row's file:line:column"
sed 's#"data": {"files": \[#"data": {"sort": true, "files": [#' "$T/unsorted.json" >"$T/sorted.json"
"$KEEL" backtest --config "$T/sorted.json" >"$T/sorted_out" 2>&1
expect_rc 0 $? "data.sort"
expect_contains "$T/sorted_out" "SORTED    1 row of $T/unsorted.csv out of time order" "the count"
echo "data files: ok"
