{#- The readout: one row per experiment, metric and treatment arm (a null arm when the
    experiment has none), with the statistics computed in int_experiment_comparisons_tested and
    the decision rules of the experiment_decision docs applied here. -#}

with

comparisons as (
    select * from {{ ref('int_experiment_comparisons_tested') }}
),

experiments as (
    select * from {{ ref('stg_experiments__experiments') }}
),

primary_metrics as (
    {%- for surface, metric in var('experiment_primary_metrics').items() %}
    select
        '{{ surface }}' as surface,
        '{{ metric }}' as metric
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

signed as (
    select
        comparisons.*,
        case when comparisons.metric = 'landmark_jitter' then -1 else 1 end as better_sign
    from comparisons
),

verdicts as (
    select
        signed.*,
        primary_metrics.metric is not null as is_primary_metric,
        coalesce(signed.srm_p_value < {{ var('experiment_srm_alpha') }}, false) as srm_flag,
        case
            when signed.cuped_p_value < {{ var('experiment_alpha') }} and signed.better_sign * signed.cuped_lift_abs > 0
                then 'better'
            when signed.cuped_p_value < {{ var('experiment_alpha') }} and signed.better_sign * signed.cuped_lift_abs < 0
                then 'worse'
            else 'flat'
        end as verdict
    from signed
    inner join experiments on signed.experiment_id = experiments.experiment_id
    left join primary_metrics
        on
            experiments.surface = primary_metrics.surface
            and signed.metric = primary_metrics.metric
),

arms as (
    select
        experiment_id,
        variant,
        max(case when is_primary_metric then verdict end) as primary_verdict,
        max(case when not is_primary_metric and verdict = 'worse' then 1 else 0 end) as has_guardrail_harm,
        max(case when srm_flag then 1 else 0 end) as has_srm,
        max(assigned_users) as assigned_users,
        max(assigned_control_users) as assigned_control_users
    from verdicts
    group by experiment_id, variant
),

decided as (
    select
        verdicts.experiment_id,
        verdicts.metric,
        verdicts.variant,
        verdicts.users,
        verdicts.control_users,
        verdicts.mean,
        verdicts.control_mean,
        verdicts.lift_abs,
        verdicts.lift_rel,
        verdicts.ci_low,
        verdicts.ci_high,
        verdicts.p_value,
        verdicts.cuped_lift_abs,
        verdicts.cuped_ci_low,
        verdicts.cuped_ci_high,
        verdicts.cuped_p_value,
        verdicts.variance_reduction,
        verdicts.srm_p_value,
        verdicts.srm_flag,
        verdicts.planned_share,
        verdicts.control_planned_share,
        verdicts.assigned_users,
        verdicts.assigned_control_users,
        case
            when arms.variant is null or arms.assigned_users = 0 then 'no_treatment_arm'
            when arms.assigned_control_users = 0 then 'no_control_arm'
            when arms.has_srm = 1 then 'invalid_srm'
            when arms.primary_verdict = 'worse' or arms.has_guardrail_harm = 1 then 'no_ship'
            when arms.primary_verdict = 'better' then 'ship'
            else 'inconclusive'
        end as decision
    from verdicts
    inner join arms
        on
            verdicts.experiment_id = arms.experiment_id
            and coalesce(verdicts.variant, '') = coalesce(arms.variant, '')
),

final as (
    select * from decided
)

select * from final
