{#- The arms each clean experiment declares in `arms`, one row per arm, with the planned share
    normalised by the declared total (shares written as percentages become fractions).
    Experiments that do not declare arms have no row here: their arms are the variants seen
    (int_experiment_arms_planned). -#}

with

clean_experiments as (
    select * from {{ ref('base_experiments__experiments') }}
    where quarantine_reason is null and has_declared_arms
),

entries as (
    {{ experiment_arm_entries('clean_experiments', ['experiment_id', 'control_variant']) }}
),

normalised as (
    select
        experiment_id,
        variant,
        variant = control_variant as is_control,
        planned_share / sum(planned_share) over (partition by experiment_id) as planned_share
    from entries
),

final as (
    select * from normalised
)

select * from final
