"""`make report`: a static HTML readout of the published marts, charts as inline SVG.

The page reads the published warehouse over a read-only connection (it never blocks a build)
and needs nothing from the network to display. A section whose mart is not built says so
instead of failing, so the page renders while marts land."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

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


class MissingMartError(Exception):
    """A mart the section reads is not in the warehouse."""


@dataclass
class Section:
    key: str
    title: str
    question: str
    marts: list[str]
    render: Callable[[Reader], str]


class Reader:
    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.tables = {
            f"{s}.{t}"
            for s, t in con.execute("select table_schema, table_name from information_schema.tables").fetchall()
        }

    def query(self, sql: str, *needs: str) -> pd.DataFrame:
        missing = [name for name in needs if name not in self.tables]
        if missing:
            raise MissingMartError(", ".join(missing))
        return self.con.execute(sql).df()


def table(frame: pd.DataFrame, rows: int = 12) -> str:
    return frame.head(rows).to_html(index=False, classes="data", border=0, na_rep="", float_format=number)


def number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _month_label(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m")


# --- sections ----------------------------------------------------------------------------


def genre_health(r: Reader) -> str:
    monthly = r.query(
        "select genre, activity_month, fan_watch_time_seconds from marts.genre_fan_watch_time_monthly "
        "order by genre, activity_month",
        "marts.genre_fan_watch_time_monthly",
    )
    drops = r.query(
        "select genre, analysis_month, previous_month, fan_watch_time_seconds, "
        "prev_month_fan_watch_time_seconds, watch_time_delta_seconds, watch_time_delta_pct, drop_rank "
        "from marts.genre_watch_time_drops order by drop_rank nulls last, genre",
        "marts.genre_watch_time_drops",
    )
    months = sorted(monthly["activity_month"].unique())
    index = {m: i for i, m in enumerate(months)}
    top = drops[drops["drop_rank"].notna() & (drops["drop_rank"] <= 3)]
    top_genres = list(top["genre"])
    series, markers = [], []
    for genre, rows in monthly.groupby("genre"):
        is_top = genre in top_genres
        color = PALETTE[[1, 3, 4][top_genres.index(genre)]] if is_top else MUTED
        series.append(
            Series(
                genre,
                [index[m] for m in rows["activity_month"]],
                list(rows["fan_watch_time_seconds"]),
                color=color,
                width=2.6 if is_top else 1.2,
            )
        )
    series.sort(key=lambda s: s.color == MUTED)
    for _, row in top.iterrows():
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
        title="Fan watch time per genre and month (top three drops marked)",
        x_label="month of first click",
        y_label="fan watch time (s)",
        x_tick_labels={i: _month_label(m) for m, i in index.items()},
        markers=markers,
    )
    return chart + table(drops)


def top_contributors(r: Reader) -> str:
    rows = r.query(
        "select genre, drop_rank, user_id, user_delta_seconds, share_of_genre_drop, contribution_rank "
        "from marts.genre_decline_contributors where contribution_rank <= 5 "
        "order by drop_rank, contribution_rank",
        "marts.genre_decline_contributors",
    )
    genres = list(dict.fromkeys(rows["genre"]))
    colors = [PALETTE[[1, 3, 4][genres.index(g) % 3]] for g in rows["genre"]]
    chart = bar_chart(
        [f"{g} · user {u}" for g, u in zip(rows["genre"], rows["user_id"], strict=True)],
        list(rows["user_delta_seconds"]),
        colors=colors,
        title="Top five fans behind each of the three largest drops",
        value_label="change in the fan's watch time of the genre (s)",
    )
    return chart + table(rows, 15)


def related_videos(r: Reader) -> str:
    matches = r.query(
        "select video_id, matched_video_id, correlation, co_viewers from marts.video_top_coview_match "
        "order by co_viewers desc, correlation desc, video_id limit 12",
        "marts.video_top_coview_match",
    )
    chart = bar_chart(
        [f"video {a} → {b}" for a, b in zip(matches["video_id"], matches["matched_video_id"], strict=True)],
        list(matches["correlation"]),
        title="Top co-view match of the most co-viewed videos",
        value_label="Pearson r of per-user watch time",
    )
    html = chart + table(matches)
    try:
        reasons = r.query(
            "select reason, count(*) as recommendations, count(distinct user_id) as users "
            "from marts.user_video_recommendations group by reason order by recommendations desc",
            "marts.user_video_recommendations",
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
        html += "<h3>Offline evaluation</h3>" + table(
            r.query(
                "select strategy, k, users_evaluated, precision_at_k, recall_at_k, ndcg_at_k, hit_rate_at_k "
                "from marts.recommendation_offline_eval order by k, ndcg_at_k desc",
                "marts.recommendation_offline_eval",
            )
        )
    except MissingMartError as missing:
        html += missing_note(str(missing))
    return html


def landmark_quality(r: Reader) -> str:
    consistency = r.query(
        "select user_id, period_start, captures, mean_total_variance, consistency_percentile "
        "from marts.user_landmark_consistency "
        "where period_start = (select max(period_start) from marts.user_landmark_consistency) "
        "order by consistency_percentile",
        "marts.user_landmark_consistency",
    )
    period = _month_label(consistency["period_start"].iloc[0]) if len(consistency) else "-"
    # Log scale: a few unstable users sit orders of magnitude above the rest.
    log_variance = np.log10(consistency["mean_total_variance"].clip(lower=1e-12))
    curve = xy_chart(
        [Series("users", list(consistency["consistency_percentile"]), list(log_variance), kind="points")],
        title=f"Landmark consistency per user, {period}",
        x_label="consistency percentile among users",
        y_label="log10 mean total landmark variance",
    )
    anomalies = r.query(
        "select captured_at, capture_deviation, is_anomaly, reason from marts.landmark_capture_anomalies",
        "marts.landmark_capture_anomalies",
    )
    start = anomalies["captured_at"].min()
    anomalies["day"] = (anomalies["captured_at"] - start).dt.total_seconds() / 86400
    normal = anomalies[~anomalies["is_anomaly"]]
    normal = normal.sample(min(len(normal), 2500), random_state=0)
    flagged = anomalies[anomalies["is_anomaly"]]
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
    reasons = flagged.groupby("reason").size().sort_values(ascending=False)
    bars = bar_chart(
        list(reasons.index.astype(str)),
        list(reasons.astype(float)),
        title="Anomalous captures by reason",
        value_label="captures",
        colors=[PALETTE[1]] * len(reasons),
    )
    return curve + scatter + bars


def forecasts(r: Reader) -> str:
    forecast = r.query(
        "select product, forecast_date, sum(forecast_seconds) as forecast_seconds, "
        "sum(lower_80) as lower_80, sum(upper_80) as upper_80 from marts.interaction_time_forecasts "
        "group by product, forecast_date order by product, forecast_date",
        "marts.interaction_time_forecasts",
    )
    actual = r.query(
        "select product, cast(started_at as date) as day, sum(interaction_time_seconds) as seconds "
        "from staging.stg_face__product_interactions group by product, day order by product, day",
        "staging.stg_face__product_interactions",
    )
    first = pd.Timestamp(forecast["forecast_date"].min())
    actual = actual[pd.to_datetime(actual["day"]) >= first - pd.Timedelta(days=56)]
    origin = first - pd.Timedelta(days=1)

    def days(values) -> list[float]:
        return list((pd.to_datetime(pd.Series(values)) - origin).dt.days.astype(float))

    series = []
    for i, product in enumerate(sorted(set(actual["product"]) | set(forecast["product"]))):
        color = PALETTE[i * 2 % len(PALETTE)]
        a = actual[actual["product"] == product]
        f = forecast[forecast["product"] == product]
        series.append(Series(f"{product} actual", days(a["day"]), list(a["seconds"]), color=color))
        series.append(
            Series(
                f"{product} forecast", days(f["forecast_date"]), list(f["forecast_seconds"]), color=color, dashed=True
            )
        )
        series.append(
            Series(
                f"{product} 80% band",
                days(f["forecast_date"]),
                list(f["lower_80"]),
                kind="band",
                y2=list(f["upper_80"]),
                color=color,
            )
        )
    chart = xy_chart(
        series,
        title="Daily interaction time: last 8 weeks of actuals, then the forecast",
        x_label=f"days after the last actual day ({origin.date()})",
        y_label="seconds, all users",
    )
    backtest = r.query(
        "select model_name, avg(mae) as mae, avg(smape) as smape, avg(mase) as mase, "
        "avg(interval_coverage_80) as interval_coverage_80 "
        "from marts.interaction_time_forecast_backtest group by model_name order by mase",
        "marts.interaction_time_forecast_backtest",
    )
    bars = bar_chart(
        list(backtest["model_name"]),
        list(backtest["mase"]),
        title="Rolling-origin backtest: forecasts against actuals (MASE, lower is better)",
        value_label="MASE (mean over horizons)",
    )
    return chart + bars + table(backtest)


def experiments(r: Reader) -> str:
    results = r.query(
        "select experiment_id, metric, variant, users, control_users, control_mean, lift_abs, lift_rel, "
        "ci_low, ci_high, p_value, cuped_lift_abs, cuped_ci_low, cuped_ci_high, srm_flag, decision "
        "from marts.experiment_results order by experiment_id, metric, variant",
        "marts.experiment_results",
    )
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
    return (
        chart
        + cuped
        + table(
            results[
                [
                    "experiment_id",
                    "metric",
                    "variant",
                    "users",
                    "control_users",
                    "lift_rel",
                    "p_value",
                    "srm_flag",
                    "decision",
                ]
            ],
            40,
        )
    )


def precision_recall(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall at every score threshold (highest score first)."""
    order = np.argsort(-scores, kind="mergesort")
    hits = labels[order].astype(float)
    true_positives = np.cumsum(hits)
    precision = true_positives / np.arange(1, len(hits) + 1)
    recall = true_positives / max(hits.sum(), 1.0)
    return precision, recall


def moderation(r: Reader) -> str:
    test = r.query(
        "select claim_probability, claim_status, predicted_claim_status from marts.claim_predictions "
        "where dataset_type = 'test' and claim_status is not null",
        "marts.claim_predictions",
    )
    title = "Claims classifier precision-recall on the test split"
    if test.empty:
        chart = empty_chart(title, "no labelled videos in the test split")
    else:
        precision, recall = precision_recall(
            (test["claim_status"] == "claim").to_numpy(), test["claim_probability"].to_numpy()
        )
        step = max(1, len(precision) // 600)
        chart = xy_chart(
            [
                Series(
                    "claims classifier, test",
                    [0.0] + list(recall[::step]) + [recall[-1]],
                    [1.0] + list(precision[::step]) + [precision[-1]],
                    color=PALETTE[0],
                )
            ],
            title=title,
            x_label="recall",
            y_label="precision",
        )
    queue = r.query(
        "select predicted_claim_status, count(*) as videos from marts.claim_predictions "
        "group by predicted_claim_status order by videos desc",
        "marts.claim_predictions",
    )
    bars = bar_chart(
        list(queue["predicted_claim_status"].astype(str)),
        list(queue["videos"].astype(float)),
        title="Review queue: videos by predicted status",
        value_label="videos",
    )
    html = chart + bars
    try:
        html += table(
            with_verdicts(
                r.query(
                    "select model_name, dataset_type, metric, value, baseline_name, baseline_value, beats_baseline "
                    "from marts.ml_model_metrics where domain = 'moderation' and dataset_type = 'test' "
                    "order by model_name, metric",
                    "marts.ml_model_metrics",
                )
            ),
            30,
        )
    except MissingMartError as missing:
        html += missing_note(str(missing))
    return html


def improvement_over_baseline(value: float, baseline: float, direction: str) -> float:
    """How far the model is better than its baseline, as a share of the larger of the two (in the
    metric's better direction): positive = beat it, 0 = a tie, negative = did not beat it."""
    gain = value - baseline if direction == "higher_is_better" else baseline - value
    scale = max(abs(value), abs(baseline))
    return gain / scale if scale > 0 else 0.0


def model_baselines(r: Reader) -> str:
    headline = r.query(
        "select domain, model_name, headline_metric, value, baseline_name, baseline_value, metric_direction, "
        "beats_baseline, metrics_beating_baseline, metrics_compared from marts.ml_model_headline_metrics "
        "where dataset_type = 'test' order by domain, model_name",
        "marts.ml_model_headline_metrics",
    )
    compared = headline[headline["beats_baseline"].notna()]
    lost = [not bool(beats) for beats in compared["beats_baseline"]]
    chart = bar_chart(
        list(compared["model_name"]),
        [
            improvement_over_baseline(v, b, d)
            for v, b, d in zip(compared["value"], compared["baseline_value"], compared["metric_direction"], strict=True)
        ],
        colors=[PALETTE[1] if did_lose else PALETTE[2] for did_lose in lost],
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
    return chart + table(shown, 40)


SECTIONS = [
    Section(
        "genre-health",
        "Genre health",
        "Which genres are losing their fans' watch time?",
        ["genre_fan_watch_time_monthly", "genre_watch_time_drops"],
        genre_health,
    ),
    Section(
        "contributors",
        "Who drove the drops",
        "Which fans account for each top drop?",
        ["genre_decline_contributors"],
        top_contributors,
    ),
    Section(
        "related-videos",
        "Related videos and recommendations",
        "Which videos are watched together; what do users get recommended?",
        ["video_top_coview_match", "user_video_recommendations", "recommendation_offline_eval"],
        related_videos,
    ),
    Section(
        "face-tracking",
        "Face tracking quality",
        "How consistent are landmarks; which captures look like sensor errors?",
        ["user_landmark_consistency", "landmark_capture_anomalies"],
        landmark_quality,
    ),
    Section(
        "forecasts",
        "Interaction-time forecasts",
        "How long will users interact with FaceID and Animoji, and how good were past forecasts?",
        ["interaction_time_forecasts", "interaction_time_forecast_backtest"],
        forecasts,
    ),
    Section(
        "experiments",
        "Experiment readouts",
        "Which variants moved their metric, and can we trust the split?",
        ["experiment_results"],
        experiments,
    ),
    Section(
        "moderation",
        "Moderation queue",
        "How well does the classifier separate claims from opinions?",
        ["claim_predictions", "ml_model_metrics"],
        moderation,
    ),
    Section(
        "model-baselines",
        "Models against their baselines",
        "Did each model beat its baseline on the held-out test split?",
        ["ml_model_headline_metrics"],
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
table.data { border-collapse: collapse; font-size: 12px; margin: 8px 0; display: block; overflow-x: auto; max-width: 100%; }
table.data th, table.data td { border-bottom: 1px solid #eee; padding: 3px 8px; text-align: right; }
.missing { background: #fff4e5; border-left: 4px solid #ff9800; padding: 8px; }
nav a { margin-right: 12px; font-size: 13px; }
"""


def render(con: duckdb.DuckDBPyConnection, source: str) -> tuple[str, dict[str, str]]:
    """The page, and each section's status (ok or missing: <marts>)."""
    reader = Reader(con)
    body, status = [], {}
    for section in SECTIONS:
        try:
            content = section.render(reader)
            status[section.key] = "ok"
        except MissingMartError as missing:
            content = missing_note(str(missing))
            status[section.key] = f"missing: {missing}"
        marts = ", ".join(f"<code>{m}</code>" for m in section.marts)
        body.append(
            f'<section id="{section.key}" data-status="{escape(status[section.key])}">'
            f'<h2>{escape(section.title)}</h2><p class="question">{escape(section.question)}</p>'
            f'<p class="meta">Reads {marts}.</p>{content}</section>'
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


def render_report(out_dir: Path, warehouse_db: Path | None = None) -> int:
    """`make report`: write out_dir/index.html from the published warehouse."""
    from engagement_analytics.tooling.warehouse import resolve_paths

    db = Path(warehouse_db or resolve_paths().warehouse_db)
    if not db.exists():
        print(f"{db} does not exist: run `make build` first", file=sys.stderr)
        return 2
    con = duckdb.connect(str(db), read_only=True)
    try:
        html, status = render(con, str(db))
    finally:
        con.close()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "index.html").write_text(html, encoding="utf-8")
    for key, state in status.items():
        print(f"{key:16} {state}")
    print(f"report written to {out_dir / 'index.html'}")
    return 0
