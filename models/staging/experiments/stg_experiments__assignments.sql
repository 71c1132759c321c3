with

clean_rows as (
    select * from {{ ref('base_experiments__assignments') }}
    where quarantine_reason is null
),

final as (
    select
        experiment_id,
        user_id,
        variant,
        assigned_at,
        is_control
    from clean_rows
)

select * from final
