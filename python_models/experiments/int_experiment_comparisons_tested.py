"""Every treatment arm of every experiment against its control, metric by metric: Welch t-test,
CUPED, the sample-ratio chi-square over all arms and power (logic in
engagement_analytics.domains.experiments.stats)."""

from engagement_analytics.domains.experiments.stats import (
    ARM_COLUMNS,
    EXPERIMENT_COLUMNS,
    USER_METRIC_COLUMNS,
    compare_experiments,
    surface_metrics,
)


def model(dbt, session):
    alpha = float(dbt.config.get("experiment_alpha"))
    power = float(dbt.config.get("experiment_power"))
    target_lift = float(dbt.config.get("experiment_target_lift"))
    metrics_by_surface = surface_metrics(dbt.config.get("experiment_metrics"))
    user_metrics = (
        dbt.ref("int_experiment_user_metrics").order("experiment_id, metric, user_id").df()[USER_METRIC_COLUMNS]
    )
    arms = dbt.ref("int_experiment_arms_planned").order("experiment_id, variant").df()[ARM_COLUMNS]
    experiments = dbt.ref("stg_experiments__experiments").order("experiment_id").df()[EXPERIMENT_COLUMNS]
    return compare_experiments(
        user_metrics, arms, experiments, metrics_by_surface, alpha=alpha, power=power, target_lift=target_lift
    )
