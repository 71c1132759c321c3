"""Watch-time regression: every interaction scored by the model and by both baselines.

Logic lives in engagement_analytics.domains.feed.watch_time; this model reads the point-in-time
features, calls the helper and returns one row per interaction_id.
"""

from engagement_analytics.domains.feed.watch_time import WatchTimeParams, score_interactions


def model(dbt, session):
    validation_fraction = dbt.config.get("validation_fraction")
    test_fraction = dbt.config.get("test_fraction")
    max_train_rows = dbt.config.get("max_train_rows")
    max_iter = dbt.config.get("max_iter")
    learning_rate = dbt.config.get("learning_rate")
    max_leaf_nodes = dbt.config.get("max_leaf_nodes")
    n_iter_no_change = dbt.config.get("n_iter_no_change")
    seed = dbt.config.get("seed")
    n_threads = dbt.config.get("n_threads")
    params = WatchTimeParams(
        validation_fraction=float(validation_fraction),
        test_fraction=float(test_fraction),
        max_train_rows=int(max_train_rows),
        max_iter=int(max_iter),
        learning_rate=float(learning_rate),
        max_leaf_nodes=int(max_leaf_nodes),
        n_iter_no_change=int(n_iter_no_change),
        seed=int(seed),
        n_threads=int(n_threads),
    )
    features = dbt.ref("int_interactions_featurised_for_watch_time").order("interaction_id").df()
    return score_interactions(features, params)
