-- Question (feed): can watch time be predicted from user preferences and genre, and how well?
-- Answer: ml_model_metrics for the watch-time regression on its time-based test split, each
-- metric beside its baselines.
select
    model_name,
    dataset_type,
    metric,
    value,
    baseline_name,
    baseline_value
from {{ ref('ml_model_metrics') }}
where model_name like 'watch_time%' and dataset_type = 'test'
order by metric, baseline_name
