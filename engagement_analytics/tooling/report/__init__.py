"""`make report`: a static HTML readout of the published marts, charts as inline SVG.

Every section reads dbt analyses (analyses/<domain>/), the same queries the answer book quotes,
compiled and run through ``tooling.analyses``: on a read-only connection to the published
warehouse (it never blocks a build), with nothing needed from the network to display. A section
whose marts are not built says so instead of failing, so the page renders while marts land."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

import numpy as np
import pandas as pd

from engagement_analytics.tooling.analyses import AnalysisReader, MissingMartError, published_analyses
from engagement_analytics.tooling.report.svg import (
    MUTED,
    PALETTE,
    Marker,
    Series,
    bar_chart,
    empty_chart,
    interval_chart,
    xy_chart,
)
from engagement_analytics.tooling.verdicts import baseline_verdict, with_verdicts
from engagement_analytics.tooling.warehouse import BuildPaths, resolve_paths

# Colours of the highlighted series (the top genre drops), in rank order, and their line widths.
HIGHLIGHT_COLORS = (PALETTE[1], PALETTE[3], PALETTE[4])
HIGHLIGHT_LINE_WIDTH = 2.6
MUTED_LINE_WIDTH = 1.2
LOST_COLOR, WON_COLOR = PALETTE[1], PALETTE[2]
# Rows a table shows unless a section asks for more.
TABLE_ROWS = 12
LONG_TABLE_ROWS = 40
# Values at or above this are printed without decimals, with thousands separators.
THOUSANDS = 1000
# Normal captures drawn on the deviation scatter (a seeded sample), beside every anomaly.
NORMAL_CAPTURES_DRAWN = 2500
SAMPLE_SEED = 0
# Variance below this is drawn at this value on the log scale.
LOG_VARIANCE_FLOOR = 1e-12
SECONDS_PER_DAY = 86400
# Points drawn on the precision-recall curve, at most.
CURVE_POINTS = 600
# Exit status when there is no warehouse to read.
NO_WAREHOUSE = 2


@dataclass
class Section:
    key: str
    title: str
    question: str
    analyses: list[str]
    render: Callable[[AnalysisReader], str]


def table(frame: pd.DataFrame, rows: int = TABLE_ROWS) -> str:
    return frame.head(rows).to_html(index=False, classes="data", border=0, na_rep="", float_format=number)


def number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= THOUSANDS else f"{value:.4g}"


def _month_label(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m")


def highlight_color(rank_index: int) -> str:
    return HIGHLIGHT_COLORS[rank_index % len(HIGHLIGHT_COLORS)]


# --- sections ----------------------------------------------------------------------------


def genre_health(r: AnalysisReader) -> str:
    monthly = r.run("feed/genre_watch_time_trend").sort_values(["genre", "activity_month"])
    drops = r.run("feed/genre_drops")
    months = sorted(monthly["activity_month"].unique())
    index = {m: i for i, m in enumerate(months)}
    top_genres = list(drops["genre"])
    series, markers = [], []
    for genre, rows in monthly.groupby("genre"):
        is_top = genre in top_genres
        series.append(
            Series(
                genre,
                [index[m] for m in rows["activity_month"]],
                list(rows["fan_watch_time_seconds"]),
                color=highlight_color(top_genres.index(genre)) if is_top else MUTED,
                width=HIGHLIGHT_LINE_WIDTH if is_top else MUTED_LINE_WIDTH,
            )
        )
    series.sort(key=lambda s: s.color == MUTED)
    for _, row in drops.iterrows():
        month = pd.Timestamp(row["analysis_month"]).to_datetime64()
        x = index.get(month, index.get(row["analysis_month"]))
        if x is not None:
            markers.append(
                Marker(
                    x,
                    row["fan_watch_time_seconds"],
                    f"#{int(row['drop_rank'])} {row['genre']} {row['watch_time_delta_pct']:.0f}%",
                )
            )
    chart = xy_chart(
        series,
        title="Fan watch time per genre and month (top drops marked)",
        x_label="month of first click",
        y_label="fan watch time (s)",
        x_tick_labels={i: _month_label(m) for m, i in index.items()},
        markers=markers,
    )
    return chart + table(drops)


def top_contributors(r: AnalysisReader) -> str:
    rows = r.run("feed/genre_drop_drivers")[
        ["genre", "drop_rank", "user_id", "user_delta_seconds", "share_of_genre_drop", "contribution_rank"]
    ]
    genres = list(dict.fromkeys(rows["genre"]))
    chart = bar_chart(
        [f"{g} · user {u}" for g, u in zip(rows["genre"], rows["user_id"], strict=True)],
        list(rows["user_delta_seconds"]),
        colors=[highlight_color(genres.index(g)) for g in rows["genre"]],
        title="The fans with the largest declines behind each top drop",
        value_label="change in the fan's watch time of the genre (s)",
    )
    return chart + table(rows, len(rows))


def related_videos(r: AnalysisReader) -> str:
    matches = r.run("feed/video_top_matches")
    chart = bar_chart(
        [f"video {a} → {b}" for a, b in zip(matches["video_id"], matches["matched_video_id"], strict=True)],
        list(matches["correlation"]),
        title="The strongest co-view pairs",
        value_label="Pearson r of per-user watch time",
    )
    html = chart + table(matches)
    try:
        # User groups (cold start, with history) are disjoint, so their users add up per reason.
        reasons = (
            r.run("feed/recommendation_mix")
            .groupby("reason", as_index=False)
            .agg(recommendations=("slots", "sum"), users=("users_with_reason", "sum"))
            .sort_values(["recommendations", "reason"], ascending=[False, True])
        )
        html += bar_chart(
            list(reasons["reason"]),
            list(reasons["recommendations"]),
            title="Recommendations served, by reason",
            value_label="recommendations",
        )
        html += table(reasons)
    except MissingMartError as missing:
        html += missing_note(str(missing))
    try:
        html += "<h3>Offline evaluation</h3>" + table(r.run("feed/recommendation_quality"))
    except MissingMartError as missing:
        html += missing_note(str(missing))
    return html


def landmark_quality(r: AnalysisReader) -> str:
    consistency = r.run("face/landmark_consistency_by_user")
    period = _month_label(consistency["period_start"].iloc[0]) if len(consistency) else "-"
    # Log scale: a few unstable users sit orders of magnitude above the rest.
    log_variance = np.log10(consistency["mean_total_variance"].clip(lower=LOG_VARIANCE_FLOOR))
    curve = xy_chart(
        [Series("users", list(consistency["consistency_percentile"]), list(log_variance), kind="points")],
        title=f"Landmark consistency per user, {period}",
        x_label="consistency percentile among users",
        y_label="log10 mean total landmark variance",
    )
    captures = r.run("face/capture_deviations")
    start = captures["captured_at"].min()
    captures["day"] = (captures["captured_at"] - start).dt.total_seconds() / SECONDS_PER_DAY
    normal = captures[~captures["is_anomaly"]]
    normal = normal.sample(min(len(normal), NORMAL_CAPTURES_DRAWN), random_state=SAMPLE_SEED)
    flagged = captures[captures["is_anomaly"]]
    scatter = xy_chart(
        [
            Series(
                "normal capture (sample)",
                list(normal["day"]),
                list(normal["capture_deviation"]),
                kind="points",
                color=MUTED,
            ),
            Series(
                "anomaly", list(flagged["day"]), list(flagged["capture_deviation"]), kind="points", color=PALETTE[1]
            ),
        ],
        title="Capture deviation over time, anomalies in red",
        x_label=f"days since {pd.Timestamp(start).date()}",
        y_label="capture deviation",
    )
    reasons = r.run("face/capture_anomalies")
    bars = bar_chart(
        list(reasons["reason"].astype(str)),
        list(reasons["captures"].astype(float)),
        title="Anomalous captures by reason",
        value_label="captures",
        colors=[PALETTE[1]] * len(reasons),
    )
    return curve + scatter + bars


def forecasts(r: AnalysisReader) -> str:
    daily = r.run("face/daily_interaction_time")
    actual = daily[daily["series"] == "actual"]
    forecast = daily[daily["series"] == "forecast"]
    origin = pd.Timestamp(forecast["activity_date"].min()) - pd.Timedelta(days=1)

    def days(values) -> list[float]:
        return list((pd.to_datetime(pd.Series(values)) - origin).dt.days.astype(float))

    series = []
    for i, product in enumerate(sorted(set(daily["product"]))):
        color = PALETTE[i * 2 % len(PALETTE)]
        a = actual[actual["product"] == product]
        f = forecast[forecast["product"] == product]
        series.append(
            Series(f"{product} actual", days(a["activity_date"]), list(a["interaction_time_seconds"]), color=color)
        )
        series.append(
            Series(
                f"{product} forecast",
                days(f["activity_date"]),
                list(f["interaction_time_seconds"]),
                color=color,
                dashed=True,
            )
        )
        series.append(
            Series(
                f"{product} 80% band",
                days(f["activity_date"]),
                list(f["lower_80"]),
                kind="band",
                y2=list(f["upper_80"]),
                color=color,
            )
        )
    chart = xy_chart(
        series,
        title="Daily interaction time: the recent actuals, then the forecast",
        x_label=f"days after the last actual day ({origin.date()})",
        y_label="seconds, all users",
    )
    backtest = r.run("face/forecast_backtest")
    bars = bar_chart(
        list(backtest["model_name"]),
        list(backtest["mase"]),
        title="Rolling-origin backtest: forecasts against actuals (MASE, lower is better)",
        value_label="MASE (mean over horizons)",
    )
    return chart + bars + table(backtest)


def experiments(r: AnalysisReader) -> str:
    results = r.run("experiments/experiment_readouts")
    base = results["control_mean"].where(results["control_mean"].abs() > 0)
    labels = [
        f"{e} · {m} · {v}"
        for e, m, v in zip(results["experiment_id"], results["metric"], results["variant"], strict=True)
    ]
    chart = interval_chart(
        labels,
        list(results["lift_abs"] / base),
        list(results["ci_low"] / base),
        list(results["ci_high"] / base),
        highlight=list(results["decision"] == "ship"),
        title="Relative lift with 95% interval (Welch), ship decisions in red",
        value_label="lift relative to the control mean",
    )
    cuped = interval_chart(
        labels,
        list(results["cuped_lift_abs"] / base),
        list(results["cuped_ci_low"] / base),
        list(results["cuped_ci_high"] / base),
        highlight=list(results["decision"] == "ship"),
        title="The same lifts with CUPED (pre-period adjusted)",
        value_label="CUPED lift relative to the control mean",
    )
    shown = ["experiment_id", "metric", "variant", "users", "control_users", "lift_rel", "p_value", "srm_flag"]
    return chart + cuped + table(results[[*shown, "decision"]], LONG_TABLE_ROWS)


def precision_recall(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall at every score threshold (highest score first)."""
    order = np.argsort(-scores, kind="mergesort")
    hits = labels[order].astype(float)
    true_positives = np.cumsum(hits)
    precision = true_positives / np.arange(1, len(hits) + 1)
    recall = true_positives / max(hits.sum(), 1.0)
    return precision, recall


def moderation(r: AnalysisReader) -> str:
    test = r.run("moderation/claims_test_scores")
    title = "Claims classifier precision-recall on the test split"
    if test.empty:
        chart = empty_chart(title, "no labelled videos in the test split")
    else:
        precision, recall = precision_recall(
            (test["claim_status"] == "claim").to_numpy(), test["claim_probability"].to_numpy()
        )
        step = max(1, len(precision) // CURVE_POINTS)
        chart = xy_chart(
            [
                Series(
                    "claims classifier, test",
                    [0.0, *recall[::step], recall[-1]],
                    [1.0, *precision[::step], precision[-1]],
                    color=PALETTE[0],
                )
            ],
            title=title,
            x_label="recall",
            y_label="precision",
        )
    queue = r.run("moderation/review_queue_size")
    bars = bar_chart(
        list(queue["predicted_claim_status"].astype(str)),
        list(queue["videos"].astype(float)),
        title="Review queue: videos by predicted status",
        value_label="videos",
    )
    html = chart + bars
    try:
        html += table(with_verdicts(r.run("moderation/claims_classifier_quality")), LONG_TABLE_ROWS)
    except MissingMartError as missing:
        html += missing_note(str(missing))
    return html


def improvement_over_baseline(value: float, baseline: float, direction: str) -> float:
    """How far the model is better than its baseline, as a share of the larger of the two (in the
    metric's better direction): positive = beat it, 0 = a tie, negative = did not beat it."""
    gain = value - baseline if direction == "higher_is_better" else baseline - value
    scale = max(abs(value), abs(baseline))
    return gain / scale if scale > 0 else 0.0


def model_baselines(r: AnalysisReader) -> str:
    headline = r.run("ml/model_baselines")
    compared = headline[headline["beats_baseline"].notna()]
    lost = [not bool(beats) for beats in compared["beats_baseline"]]
    chart = bar_chart(
        list(compared["model_name"]),
        [
            improvement_over_baseline(v, b, d)
            for v, b, d in zip(compared["value"], compared["baseline_value"], compared["metric_direction"], strict=True)
        ],
        colors=[LOST_COLOR if did_lose else WON_COLOR for did_lose in lost],
        notes=[
            f"{metric}: {baseline_verdict(beats, name)}"
            for metric, beats, name in zip(
                compared["headline_metric"], compared["beats_baseline"], compared["baseline_name"], strict=True
            )
        ],
        title="Each model against its baseline on the test split (headline metric; red: did not beat it)",
        value_label="improvement over the baseline, share of the larger value (below 0: did not beat it)",
    )
    shown = with_verdicts(headline.drop(columns="metric_direction"))
    return chart + table(shown, LONG_TABLE_ROWS)


SECTIONS = [
    Section(
        "genre-health",
        "Genre health",
        "Which genres are losing their fans' watch time?",
        ["feed/genre_watch_time_trend", "feed/genre_drops"],
        genre_health,
    ),
    Section(
        "contributors",
        "Who drove the drops",
        "Which fans account for each top drop?",
        ["feed/genre_drop_drivers"],
        top_contributors,
    ),
    Section(
        "related-videos",
        "Related videos and recommendations",
        "Which videos are watched together; what do users get recommended?",
        ["feed/video_top_matches", "feed/recommendation_mix", "feed/recommendation_quality"],
        related_videos,
    ),
    Section(
        "face-tracking",
        "Face tracking quality",
        "How consistent are landmarks; which captures look like sensor errors?",
        ["face/landmark_consistency_by_user", "face/capture_deviations", "face/capture_anomalies"],
        landmark_quality,
    ),
    Section(
        "forecasts",
        "Interaction-time forecasts",
        "How long will users interact with FaceID and Animoji, and how good were past forecasts?",
        ["face/daily_interaction_time", "face/forecast_backtest"],
        forecasts,
    ),
    Section(
        "experiments",
        "Experiment readouts",
        "Which variants moved their metric, and can we trust the split?",
        ["experiments/experiment_readouts"],
        experiments,
    ),
    Section(
        "moderation",
        "Moderation queue",
        "How well does the classifier separate claims from opinions?",
        ["moderation/claims_test_scores", "moderation/review_queue_size", "moderation/claims_classifier_quality"],
        moderation,
    ),
    Section(
        "model-baselines",
        "Models against their baselines",
        "Did each model beat its baseline on the held-out test split?",
        ["ml/model_baselines"],
        model_baselines,
    ),
]


def missing_note(what: str) -> str:
    return (
        f'<p class="missing">Not built yet: <code>{escape(what)}</code>. Run <code>make build</code> once it lands.</p>'
    )


STYLE = """
body { font-family: sans-serif; margin: 24px auto; max-width: 900px; color: #222; }
h1 { margin-bottom: 4px; } .meta { color: #666; font-size: 13px; }
section { border-top: 1px solid #ddd; margin-top: 28px; padding-top: 8px; }
.question { color: #555; font-style: italic; } svg.chart { display: block; margin: 12px 0; background: #fff; }
table.data { border-collapse: collapse; font-size: 12px; margin: 8px 0; display: block; overflow-x: auto;
  max-width: 100%; }
table.data th, table.data td { border-bottom: 1px solid #eee; padding: 3px 8px; text-align: right; }
.missing { background: #fff4e5; border-left: 4px solid #ff9800; padding: 8px; }
nav a { margin-right: 12px; font-size: 13px; }
"""


def render(reader: AnalysisReader, source: str) -> tuple[str, dict[str, str]]:
    """The page, and each section's status (ok or missing: <marts>)."""
    body, status = [], {}
    for section in SECTIONS:
        try:
            content = section.render(reader)
            status[section.key] = "ok"
        except MissingMartError as missing:
            content = missing_note(str(missing))
            status[section.key] = f"missing: {missing}"
        analyses = ", ".join(f"<code>{key}</code>" for key in section.analyses)
        body.append(
            f'<section id="{section.key}" data-status="{escape(status[section.key])}">'
            f'<h2>{escape(section.title)}</h2><p class="question">{escape(section.question)}</p>'
            f'<p class="meta">Reads the analyses {analyses}.</p>{content}</section>'
        )
    nav = "".join(f'<a href="#{s.key}">{escape(s.title)}</a>' for s in SECTIONS)
    generated = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    html = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Engagement analytics readout'
        f"</title><style>{STYLE}</style></head><body><h1>Engagement analytics readout</h1>"
        f'<p class="meta">Generated {generated} from <code>{escape(source)}</code> (read-only). '
        f"Charts are inline SVG; the page needs no network.</p><nav>{nav}</nav>{''.join(body)}</body></html>"
    )
    return html, status


def render_report(out_dir: Path, paths: BuildPaths | None = None) -> int:
    """`make report`: write out_dir/index.html from the published warehouse (``paths``, default:
    WAREHOUSE_DB and the other documented settings)."""
    paths = paths or resolve_paths()
    if not paths.warehouse_db.exists():
        print(f"{paths.warehouse_db} does not exist: run `make build` first", file=sys.stderr)
        return NO_WAREHOUSE
    with published_analyses(paths, "report") as reader:
        html, status = render(reader, str(paths.warehouse_db))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "index.html").write_text(html, encoding="utf-8")
    for key, state in status.items():
        print(f"{key:16} {state}")
    print(f"report written to {out_dir / 'index.html'}")
    return 0
