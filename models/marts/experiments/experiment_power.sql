{#- Design aids per experiment, metric and treatment arm: the minimum detectable effect of
    the assigned sample and the users needed for the target lift, with and without CUPED. -#}

with

comparisons as (
    select * from {{ ref('int_experiment_comparisons_tested') }}
),

final as (
    select
        experiment_id,
        metric,
        variant,
        users,
        control_users,
        control_mean,
        mde_abs,
        mde_rel,
        cuped_mde_abs,
        cuped_mde_rel,
        target_lift_rel,
        cast(users_needed as {{ dbt.type_bigint() }}) as users_needed,
        cast(cuped_users_needed as {{ dbt.type_bigint() }}) as cuped_users_needed
    from comparisons
)

select * from final
