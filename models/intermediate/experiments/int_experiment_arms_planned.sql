{#- The arms of every clean experiment with their planned share and clean assigned users: the
    declared arms when the experiment declares them (an arm nobody was assigned to counts 0);
    otherwise the control with 1 - treatment_share and every other variant seen among the clean
    assignments, which share treatment_share equally (see the experiment_arms docs). -#}
{#- A view: a few rows per experiment, read once, by int_experiment_comparisons_tested. -#}
{{ config(materialized='view') }}

with

experiments as (
    select * from {{ ref('stg_experiments__experiments') }}
),

assignments as (
    select * from {{ ref('stg_experiments__assignments') }}
),

declared_arms as (
    select * from {{ ref('stg_experiments__declared_arms') }}
),

assigned as (
    select
        experiment_id,
        variant,
        count(*) as assigned_users
    from assignments
    group by experiment_id, variant
),

seen_treatment_arms as (
    select
        assigned.experiment_id,
        assigned.variant,
        count(*) over (partition by assigned.experiment_id) as treatment_arms
    from assigned
    inner join experiments on assigned.experiment_id = experiments.experiment_id
    where
        not experiments.has_declared_arms
        and assigned.variant != experiments.control_variant
),

undeclared_arms as (
    select
        experiment_id,
        control_variant as variant,
        true as is_control,
        1 - treatment_share as planned_share
    from experiments
    where not has_declared_arms
    union all
    select
        seen_treatment_arms.experiment_id,
        seen_treatment_arms.variant,
        false as is_control,
        experiments.treatment_share / seen_treatment_arms.treatment_arms as planned_share
    from seen_treatment_arms
    inner join experiments on seen_treatment_arms.experiment_id = experiments.experiment_id
),

arms as (
    select
        experiment_id,
        variant,
        is_control,
        planned_share,
        true as is_declared
    from declared_arms
    union all
    select
        experiment_id,
        variant,
        is_control,
        planned_share,
        false as is_declared
    from undeclared_arms
),

final as (
    select
        arms.experiment_id,
        arms.variant,
        arms.is_control,
        arms.is_declared,
        arms.planned_share,
        coalesce(assigned.assigned_users, 0) as assigned_users
    from arms
    left join assigned
        on
            arms.experiment_id = assigned.experiment_id
            and arms.variant = assigned.variant
)

select * from final
