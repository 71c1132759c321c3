{#- Clean assignments with their experiment's window and the equally long pre-period just
    before it, the periods every experiment metric is measured over. -#}
{#- A view: each assignment joined to its experiment's dates, cheap beside the tables that read it. -#}
{{ config(materialized='view') }}

with

assignments as (
    select * from {{ ref('stg_experiments__assignments') }}
),

experiments as (
    select * from {{ ref('stg_experiments__experiments') }}
),

sized as (
    select
        experiment_id,
        surface,
        start_date,
        end_date,
        1 + {{ dbt.datediff(
            'start_date',
            'end_date',
            'day'
        ) }} as window_days
    from experiments
),

windowed as (
    select
        assignments.experiment_id,
        sized.surface,
        assignments.user_id,
        assignments.variant,
        assignments.is_control,
        sized.start_date,
        sized.end_date,
        sized.window_days,
        cast(
            {{ dbt.dateadd('day', '-sized.window_days', 'sized.start_date') }} as date
        ) as pre_start_date,
        cast({{ dbt.dateadd('day', -1, 'sized.start_date') }} as date) as pre_end_date
    from assignments
    inner join sized on assignments.experiment_id = sized.experiment_id
),

final as (
    select * from windowed
)

select * from final
