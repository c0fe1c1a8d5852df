// fix_codec.hpp: keel's orders into FIX 4.4 application messages and the venue's execution
// reports back into keel's venue replies. Pure functions of their arguments: no socket, no
// thread, no QuickFIX (fix_session.hpp carries the messages). The FIX adapter's thread calls
// them: it encodes each order_sent, sends the message, decodes what comes back, finds the order
// it is about (by ClOrdID, or OrderID for a report the venue sent on its own) and posts the
// mapped events as venue replies.
//
// Numbers cross as exact decimal text, never through a double: prices and quantities are
// written from fixed point (engine::format_decimal: "101.25", "10") and read with
// engine::parse_decimal, so a value keel sends is the value it reads back.
//
// Decoding never throws and never trusts the counterparty: a missing required field or a
// malformed one is a DecodeError naming the tag and what is wrong, and the report is not
// mapped. Which tags an execution report must carry:
// - always: OrderID 37, ExecID 17, ExecType 150, OrdStatus 39, Side 54, CumQty 14, LeavesQty 151;
// - ClOrdID 11, except on a report the venue may send on its own initiative: 150 = I (order
//   status, which also answers a mass status request for orders keel may not know), D
//   (restated), 3 (done for day), C (expired) and 4 (canceled: a venue cancels unsolicited);
//   the adapter then finds the order by OrderID 37;
// - LastQty 32 (positive) and LastPx 31 when 150 = F (trade);
// - AvgPx 6 when 150 = I (reconciliation prices a missed fill from it);
// - quantities are never negative; prices may be (some instruments trade below zero).
//
// Mapping (map_execution_report): a decoded report onto the venue replies keel's gateway
// applies through its OrderBook (orders/order_state.hpp), in exactly the shapes SimVenue posts
// (adapters/src/sim_venue/sim_venue.cpp): source venue, header.symbol and header.aux (the
// owning strategy) from the known order, seq 0 (ingest assigns it), ts_ns given; the order
// payload carries the known order's terms. By ExecType (150):
// - 0 New: venue_ack, action new_order, status accepted.
// - A PendingNew, 6 PendingCancel, E PendingReplace: nothing; keel's pending states come from
//   its own requests (the order_sent it journaled), not from the venue's echo.
// - F Trade: venue_fill of LastQty at LastPx, fee = Commission 12 (taken as an absolute amount,
//   CommType 3) or 0, kFillFinal when OrdStatus is 2 (filled) or LeavesQty is 0 and the order
//   is not also ending otherwise. A trade whose OrdStatus is 4 (canceled) or C (expired), an
//   IOC's last fill that also ends it, is the fill without kFillFinal followed by the close
//   (below), unless the fill completes the order as keel knows it.
// - 4 Canceled: venue_cancel, status canceled, action cancel, reason canceled_on_request.
// - 5 Replaced: venue_ack, action replace, status accepted (what SimVenue's replace ack
//   carries; the book reports `replaced` itself), quantity from OrderQty 38, price from Price 44
//   and stop from StopPx 99 where the report has them, the known order's otherwise.
// - 8 Rejected: venue_reject, action new_order, status rejected, reason from OrdRejReason 103
//   (reason_from_ord_rej).
// - C Expired: the expiry close: venue_cancel, reason ioc_remainder (status canceled) for an
//   IOC order, fok_unfillable (status canceled) for FOK, else expired_day (status expired).
// - 3 DoneForDay: for a day order the expiry close (expired_day); other TIFs rest on: nothing.
// - D Restated: if OrdStatus is 4, C or 8, the close for that status; otherwise nothing (the note
//   names the restatement: OrdStatus, ExecRestatementReason 378, OrderQty, Price).
// - I OrderStatus (reconciliation): first, if CumQty is above what keel has journaled
//   (known.filled), one venue_fill of the difference priced so the order's average comes out at
//   AvgPx:
//       price = (CumQty * AvgPx - known.filled_notional) / (CumQty - known.filled)
//   in raw fixed point with 128-bit intermediates, rounded to the nearest raw unit (halves away
//   from zero), kFillFinal when OrdStatus is 2; fee 0 (a status report carries no per-fill
//   commission). Then, if OrdStatus is final without a fill (4, C, 8) the close for it. An order
//   keel holds pending_new that the venue reports New (0) with nothing filled is acked. Any
//   other report that matches keel's view gives nothing. A CumQty below keel's (the venue knows
//   fewer fills than keel journaled) cannot be undone by a reply: nothing, and the note says so.
// - 7 Stopped, 9 Suspended, B Calculated, L Triggered, G TradeCorrect, H TradeCancel: nothing;
//   keel has no event for them (a corrected or busted trade is for an operator): the note says.
// The close for an OrdStatus: 4 canceled: venue_cancel canceled_on_request; C expired: the
// expiry close by TIF; 8 rejected: venue_reject (action new_order, reason from 103) while keel
// holds the order pending_new or pending_cancel (where the state table takes a reject),
// otherwise venue_cancel with that reason (the venue no longer has an order keel thought
// working, e.g. 103 = 5 unknown order -> venue_unknown_order).
//
// map_cancel_reject: an OrderCancelReject (35=9) is venue_reject, status rejected, action
// cancel (434 = 1) or replace (434 = 2), reason from CxlRejReason 102 (reason_from_cxl_rej), as
// SimVenue refuses a cancel or replace: the book returns the order to where it was before the
// request. The payload carries the known order's current terms (for a replace, not the refused
// new ones: the book ignores them on a reject).
//
// An event the mapping produces may still be illegal for the order's state (a trade after a
// cancel): the gateway's OrderBook refuses it and keel journals an engine_alert, as for any
// venue. Duplicate reports (PossDup resends, a repeated ExecID) are the adapter's to drop.
//
// Thread: the FIX adapter's. Allocates (FIX messages are strings); not on keel's hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keel/adapters/fix/fix_session.hpp"
#include "keel/adapters/venue/fill_math.hpp"
#include "keel/engine/core/event.hpp"

namespace keel::adapters::fix {

// The FIX 4.4 tags keel reads or writes.
namespace tag {
inline constexpr int avg_px = 6;
inline constexpr int commission = 12;
inline constexpr int cl_ord_id = 11;
inline constexpr int cum_qty = 14;
inline constexpr int exec_id = 17;
inline constexpr int last_px = 31;
inline constexpr int last_qty = 32;
inline constexpr int msg_type = 35;
inline constexpr int order_id = 37;
inline constexpr int order_qty = 38;
inline constexpr int ord_status = 39;
inline constexpr int ord_type = 40;
inline constexpr int orig_cl_ord_id = 41;
inline constexpr int price = 44;
inline constexpr int side = 54;
inline constexpr int symbol = 55;
inline constexpr int text = 58;
inline constexpr int time_in_force = 59;
inline constexpr int transact_time = 60;
inline constexpr int stop_px = 99;
inline constexpr int cxl_rej_reason = 102;
inline constexpr int ord_rej_reason = 103;
inline constexpr int exec_type = 150;
inline constexpr int leaves_qty = 151;
inline constexpr int exec_restatement_reason = 378;
inline constexpr int cxl_rej_response_to = 434;
inline constexpr int mass_status_req_id = 584;
inline constexpr int mass_status_req_type = 585;
inline constexpr int tot_num_reports = 911;
inline constexpr int last_rpt_requested = 912;
}  // namespace tag

// The name of a tag keel knows ("ClOrdID"), "tag" otherwise; error texts use it.
[[nodiscard]] std::string_view tag_name(int tag) noexcept;

// MsgType (35) values keel sends and reads.
namespace msg {
inline constexpr std::string_view new_order_single = "D";
inline constexpr std::string_view order_cancel_request = "F";
inline constexpr std::string_view order_cancel_replace_request = "G";
inline constexpr std::string_view order_status_request = "H";
inline constexpr std::string_view order_mass_status_request = "AF";
inline constexpr std::string_view execution_report = "8";
inline constexpr std::string_view order_cancel_reject = "9";
}  // namespace msg

// FIX UTCTimestamp (TransactTime 60, SendingTime 52): YYYYMMDD-HH:MM:SS.sss, to the
// millisecond, from nanoseconds since the epoch; and back (any fraction; nullopt for text that
// is not one).
[[nodiscard]] std::string utc_timestamp(std::int64_t ns);
[[nodiscard]] std::optional<std::int64_t> parse_utc_timestamp(std::string_view text) noexcept;

// --- enums both ways: 0 (or nullopt) for what FIX 4.4 cannot say or keel does not know ---

// Side 54: '1' buy, '2' sell.
[[nodiscard]] char side_char(engine::Side side) noexcept;
[[nodiscard]] std::optional<engine::Side> side_from(char c) noexcept;
// OrdType 40: '1' market, '2' limit, '3' stop, '4' stop limit; trailing_stop has none.
[[nodiscard]] char ord_type_char(engine::OrderType type) noexcept;
[[nodiscard]] std::optional<engine::OrderType> ord_type_from(char c) noexcept;
// TimeInForce 59: '0' day, '1' good till cancel, '3' immediate or cancel, '4' fill or kill.
[[nodiscard]] char tif_char(engine::TimeInForce tif) noexcept;
[[nodiscard]] std::optional<engine::TimeInForce> tif_from(char c) noexcept;
// OrdRejReason 103: 2 exchange closed -> venue_closed, 5 unknown order -> venue_unknown_order,
// 6 duplicate order -> duplicate_order, 11 unsupported order characteristic ->
// unsupported_order_type, 13 incorrect quantity -> invalid_order, anything else (or absent, -1)
// -> venue_rejected.
[[nodiscard]] engine::Reason reason_from_ord_rej(int ord_rej_reason) noexcept;
// CxlRejReason 102: 1 unknown order -> venue_unknown_order, 6 duplicate ClOrdID ->
// duplicate_order, anything else (0 too late to cancel, 2 broker option, 3 already pending, ...)
// -> venue_rejected.
[[nodiscard]] engine::Reason reason_from_cxl_rej(int cxl_rej_reason) noexcept;

// --- encoding ---

// A message to send, or why keel refused to encode it (refused != none, message empty).
struct Encoded {
    FixMessage message;
    engine::Reason refused = engine::Reason::none;
    std::string why;
    [[nodiscard]] bool ok() const noexcept { return refused == engine::Reason::none; }
};

// NewOrderSingle (D) for a new order (an order_sent's payload): 11, 55, 54, 60, 38, 40, 44
// (limit, stop limit), 99 (stop, stop limit), 59. Refused: trailing_stop or an unknown type
// (unsupported_order_type: FIX 4.4 has no portable trailing stop); no side, an unknown TIF, a
// quantity that is not positive, a missing (not positive) limit or stop price, an empty id or
// symbol (invalid_order).
[[nodiscard]] Encoded encode_new_order(const engine::OrderPayload& order,
                                       std::string_view cl_ord_id, std::string_view symbol,
                                       std::string_view transact_time);
// OrderCancelRequest (F): 11 the cancel's own id, 41 the order's current ClOrdID (its first
// one, or the last accepted replace's), 55, 54, 38 the order's quantity, 60. `order` is the
// cancel's order_sent payload (it carries the order's side and quantity). Refused
// (invalid_order): no side, a quantity that is not positive, an empty id or symbol.
[[nodiscard]] Encoded encode_cancel(const engine::OrderPayload& order, std::string_view cl_ord_id,
                                    std::string_view orig_cl_ord_id, std::string_view symbol,
                                    std::string_view transact_time);
// OrderCancelReplaceRequest (G): 11 new, 41 current, 55, 54, 38 the new quantity, 40, 44 / 99
// as for a new order, 59, 60. `order` is the replace's order_sent payload (the new terms);
// refused as a new order is.
[[nodiscard]] Encoded encode_replace(const engine::OrderPayload& order, std::string_view cl_ord_id,
                                     std::string_view orig_cl_ord_id, std::string_view symbol,
                                     std::string_view transact_time);
// OrderStatusRequest (H): 11, 55, 54. Refused (invalid_order): no side, an empty id or symbol.
[[nodiscard]] Encoded encode_status_request(std::string_view cl_ord_id, std::string_view symbol,
                                            engine::Side side);
// OrderMassStatusRequest (AF): 584 the request's id, 585 = 7 (every order).
[[nodiscard]] FixMessage encode_mass_status_request(std::string_view mass_status_req_id);

// --- decoding ---

// What is wrong with a received message: the tag (35 for the wrong message type) and why.
struct DecodeError {
    int tag = 0;
    std::string what;
};

// An ExecutionReport (35=8). Strings are empty and numbers 0 when absent (the has_ flags say
// which optional ones were there); ints are -1 when absent.
struct ExecReport {
    char exec_type = 0;                      // 150
    char ord_status = 0;                     // 39
    std::string cl_ord_id;                   // 11
    std::string orig_cl_ord_id;              // 41
    std::string order_id;                    // 37: the venue's id
    std::string exec_id;                     // 17
    std::string symbol;                      // 55
    std::string text;                        // 58
    std::string transact_time;               // 60, as written
    engine::Side side = engine::Side::none;  // 54
    char ord_type = 0;              // 40, 0 when absent (not checked: keel never changes the type)
    char time_in_force = 0;         // 59, 0 when absent
    engine::Quantity order_qty{};   // 38
    engine::Price price{};          // 44
    engine::Price stop_px{};        // 99
    engine::Quantity last_qty{};    // 32
    engine::Price last_px{};        // 31
    engine::Quantity cum_qty{};     // 14
    engine::Quantity leaves_qty{};  // 151
    engine::Price avg_px{};         // 6
    engine::Money commission{};     // 12
    bool has_order_qty = false;
    bool has_price = false;
    bool has_stop_px = false;
    bool has_avg_px = false;
    bool has_commission = false;
    int ord_rej_reason = -1;           // 103
    int exec_restatement_reason = -1;  // 378
    std::string mass_status_req_id;    // 584: the mass status request this answers
    int tot_num_reports = -1;          // 911
    bool last_rpt_requested = false;   // 912 = Y: the last report of a mass status answer
};

// Decodes `message` into `out` (reset first); nullopt when it is a well-formed execution
// report, else the first problem found.
[[nodiscard]] std::optional<DecodeError> decode_execution_report(const FixMessage& message,
                                                                 ExecReport& out);

// An OrderCancelReject (35=9). Required: 11, 41, 37, 39, 434; optional: 102 (-1 absent), 58.
struct CancelReject {
    std::string cl_ord_id;       // 11: the refused cancel's or replace's own id
    std::string orig_cl_ord_id;  // 41: the order's current id
    std::string order_id;        // 37 (venues write NONE for an order they do not know)
    char ord_status = 0;         // 39: the order's status after the refusal
    int response_to = 0;         // 434: 1 cancel, 2 replace
    int cxl_rej_reason = -1;     // 102
    std::string text;            // 58
};

[[nodiscard]] std::optional<DecodeError> decode_cancel_reject(const FixMessage& message,
                                                              CancelReject& out);

// --- mapping onto keel's venue replies ---

// KnownOrder, Mapped and catch_up_price are shared with the other venue adapters
// (venue/fill_math.hpp); the names stay usable here so FIX code reads as before.
using adapters::catch_up_price;
using adapters::KnownOrder;
using adapters::Mapped;

[[nodiscard]] Mapped map_execution_report(const ExecReport& report, const KnownOrder& known,
                                          std::int64_t ts_ns);
[[nodiscard]] Mapped map_cancel_reject(const CancelReject& reject, const KnownOrder& known,
                                       std::int64_t ts_ns);

}  // namespace keel::adapters::fix
