with

clean_rows as (
    select * from {{ ref('base_experiments__experiments') }}
    where quarantine_reason is null
),

final as (
    select
        experiment_id,
        surface,
        start_date,
        end_date,
        control_variant,
        treatment_share,
        arms,
        has_declared_arms
    from clean_rows
)

select * from final
