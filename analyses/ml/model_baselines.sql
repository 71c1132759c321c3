-- Question (ml): did each model beat its baseline on the held-out test split?
-- Answer: ml_model_headline_metrics on the test split: each model's headline metric beside its
-- baseline on the same rows and the metric's direction (higher or lower is better), whether the
-- model beat it, and on how many of its compared metrics it did. A model that lost says "did not
-- beat <baseline>" in the answer book.
select
    domain,
    model_name,
    headline_metric,
    value,
    baseline_name,
    baseline_value,
    metric_direction,
    beats_baseline,
    metrics_beating_baseline,
    metrics_compared
from {{ ref('ml_model_headline_metrics') }}
where dataset_type = 'test'
order by domain, model_name
