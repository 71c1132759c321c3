{#- Per-user experiment metrics for BI: int_experiment_user_metrics, which the comparison model
    reads too, so the readout and this table never differ. -#}

with

user_metrics as (
    select * from {{ ref('int_experiment_user_metrics') }}
),

final as (
    select
        experiment_id,
        user_id,
        variant,
        metric,
        value,  -- noqa: RF04
        pre_value
    from user_metrics
)

select * from final
