"""Every treatment arm of every experiment against its control, metric by metric: Welch t-test,
CUPED, the sample-ratio chi-square and power (logic in engagement_analytics.experiments.stats)."""

from engagement_analytics.experiments.stats import USER_METRIC_COLUMNS, compare_experiments


def model(dbt, session):
    alpha = float(dbt.config.get("experiment_alpha"))
    power = float(dbt.config.get("experiment_power"))
    target_lift = float(dbt.config.get("experiment_target_lift"))
    user_metrics = dbt.ref("experiment_user_metrics").order("experiment_id, metric, user_id").df()[USER_METRIC_COLUMNS]
    experiments = dbt.ref("stg_experiments__experiments").order("experiment_id").df()[
        ["experiment_id", "control_variant", "treatment_share"]]
    return compare_experiments(user_metrics, experiments, alpha=alpha, power=power, target_lift=target_lift)
