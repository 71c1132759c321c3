-- Question (moderation): how well can claims be told from opinions?
-- Answer: ml_model_metrics for the claims classifier on its held-out test split, each metric
-- beside its baseline and whether the classifier beat it.
select
    model_name,
    dataset_type,
    metric,
    value,
    baseline_name,
    baseline_value,
    beats_baseline
from {{ ref('ml_model_metrics') }}
where model_name like 'claims%' and dataset_type = 'test'
order by model_name, metric
