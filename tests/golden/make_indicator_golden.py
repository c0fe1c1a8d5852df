#!/usr/bin/python3
"""Writes tests/golden/indicators_msft.csv and tests/golden/indicators_msft_bands.csv: reference
indicator values on the real MSFT daily bars (data/msft_daily.csv), computed with pandas
independently of the C++ code.

Definitions (the same as engine/include/keel/engine/indicators/*.hpp):
  sma10, sma30   rolling mean of close over 10 / 30 bars
  ema10          ewm(span=10, adjust=False) of close (alpha = 2/11, first value = first close),
                 reported once 10 closes were seen (min_periods=10)
  rsi14          Wilder: first averages = simple mean of the first 14 changes, then
                 avg = (avg*13 + x)/14; RSI = 100 - 100/(1 + gain/loss), 100 when loss == 0
  atr14          Wilder: TR = max(h-l, |h-prev_close|, |l-prev_close|), first TR = h-l;
                 first ATR = mean of the first 14 TRs, then atr = (atr*13 + tr)/14
  high20, low20  rolling max of high / rolling min of low over 20 bars
  vwap_month     sum(typical * volume) / sum(volume), typical = (h+l+c)/3, sessions = calendar
                 months (the sums restart on the first bar of each month)
In indicators_msft_bands.csv:
  macd, macd_signal, macd_hist
                 MACD 12/26/9: ema12 - ema26 of close (ewm(span, adjust=False), from the first
                 close), signal = ewm(span=9, adjust=False) of that line, hist = macd - signal;
                 reported once 26 + 9 - 1 = 34 closes were seen
  bb_mid, bb_upper, bb_lower
                 Bollinger 20, 2: rolling mean of close over 20 bars -/+ 2 population standard
                 deviations (rolling(20).std(ddof=0))
  dc_upper, dc_lower, dc_mid
                 Donchian 20: rolling max of high, rolling min of low, their mean
A value is empty while the indicator is not ready. Values are written with 17 significant
digits. Needs Debian's python3-pandas; run from anywhere:
    /usr/bin/python3 tests/golden/make_indicator_golden.py
"""
import math
import os

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SOURCE = os.path.join(ROOT, "data", "msft_daily.csv")
OUT = os.path.join(HERE, "indicators_msft.csv")
OUT_BANDS = os.path.join(HERE, "indicators_msft_bands.csv")


def wilder(first_values, n):
    """Wilder's smoothing: NaN until n values, then the simple mean of the first n, then
    avg = (avg*(n-1) + x)/n."""
    out = [math.nan] * len(first_values)
    avg = math.nan
    for i, x in enumerate(first_values):
        if i + 1 < n:
            continue
        if i + 1 == n:
            avg = sum(first_values[:n]) / n
        else:
            avg = (avg * (n - 1) + x) / n
        out[i] = avg
    return out


def rsi(close, n):
    changes = close.diff().tolist()[1:]  # the first close has no change
    gains = [c if c > 0 else 0.0 for c in changes]
    losses = [-c if c < 0 else 0.0 for c in changes]
    avg_gain = wilder(gains, n)
    avg_loss = wilder(losses, n)
    out = [math.nan]
    for g, l in zip(avg_gain, avg_loss):
        if math.isnan(g):
            out.append(math.nan)
        elif l == 0.0:
            out.append(100.0)
        else:
            out.append(100.0 - 100.0 / (1.0 + g / l))
    return pd.Series(out, index=close.index)


def atr(df, n):
    prev_close = df["close"].shift(1)
    tr = pd.concat(
        [
            df["high"] - df["low"],
            (df["high"] - prev_close).abs(),
            (df["low"] - prev_close).abs(),
        ],
        axis=1,
    ).max(axis=1)  # skipna: the first bar's TR is h - l
    return pd.Series(wilder(tr.tolist(), n), index=df.index)


def main():
    df = pd.read_csv(SOURCE)
    close = df["close"]
    out = pd.DataFrame({"date": df["date"]})
    out["sma10"] = close.rolling(10).mean()
    out["sma30"] = close.rolling(30).mean()
    out["ema10"] = close.ewm(span=10, adjust=False, min_periods=10).mean()
    out["rsi14"] = rsi(close, 14)
    out["atr14"] = atr(df, 14)
    out["high20"] = df["high"].rolling(20).max()
    out["low20"] = df["low"].rolling(20).min()
    typical = (df["high"] + df["low"] + df["close"]) / 3.0
    month = df["date"].str.slice(0, 7)
    pv = (typical * df["volume"]).groupby(month).cumsum()
    vol = df["volume"].groupby(month).cumsum()
    out["vwap_month"] = (pv / vol).where(vol > 0)

    write(out, OUT)
    write(bands(df), OUT_BANDS)


def bands(df):
    """MACD 12/26/9, Bollinger 20/2 and Donchian 20 (see the definitions above)."""
    close = df["close"]
    out = pd.DataFrame({"date": df["date"]})
    macd = close.ewm(span=12, adjust=False).mean() - close.ewm(span=26, adjust=False).mean()
    signal = macd.ewm(span=9, adjust=False).mean()
    ready = pd.Series(range(len(close)), index=close.index) >= 26 + 9 - 2
    out["macd"] = macd.where(ready)
    out["macd_signal"] = signal.where(ready)
    out["macd_hist"] = (macd - signal).where(ready)
    mid = close.rolling(20).mean()
    std = close.rolling(20).std(ddof=0)
    out["bb_mid"] = mid
    out["bb_upper"] = mid + 2 * std
    out["bb_lower"] = mid - 2 * std
    out["dc_upper"] = df["high"].rolling(20).max()
    out["dc_lower"] = df["low"].rolling(20).min()
    out["dc_mid"] = (out["dc_upper"] + out["dc_lower"]) / 2
    return out


def write(out, path):
    def fmt(v):
        return "" if isinstance(v, float) and math.isnan(v) else repr(float(f"{v:.17g}"))

    with open(path, "w", newline="\n") as f:
        f.write(",".join(out.columns) + "\n")
        for row in out.itertuples(index=False):
            f.write(",".join([row[0]] + [fmt(v) for v in row[1:]]) + "\n")


if __name__ == "__main__":
    main()
