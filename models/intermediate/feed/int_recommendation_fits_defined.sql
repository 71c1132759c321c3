{#- The two fit windows the recommendation strategies are computed on: fit 1 `serving` holds
    every interaction (the lists user_video_recommendations serves); fit 2 `evaluation` holds the
    interactions before the holdout, the last feed_holdout_days days (recommendation_offline_eval). -#}
{#- A view: two rows. -#}
{{ config(materialized='view') }}
with

interactions as (
    select * from {{ ref('stg_feed__interactions') }}
),

data_days as (
    select cast({{ dbt.dateadd('day', 1, 'cast(max(first_clicked_at) as date)') }} as date) as end_date
    from interactions
),

-- No interactions, no fit windows.
data_end as (
    select end_date from data_days
    where end_date is not null
),

fits as (
    select
        {{ feed_fit_id('serving') }} as fit_id,
        'serving' as fit_name,
        end_date as fit_end_date,
        cast(null as date) as holdout_end_date
    from data_end
    union all
    select
        {{ feed_fit_id('evaluation') }} as fit_id,
        'evaluation' as fit_name,
        cast({{ dbt.dateadd('day', -var('feed_holdout_days'), 'end_date') }} as date) as fit_end_date,
        end_date as holdout_end_date
    from data_end
),

final as (
    select
        cast(fit_id as {{ dbt.type_int() }}) as fit_id,
        fit_name,
        fit_end_date,
        holdout_end_date,
        cast({{ dbt.dateadd('day', -var('feed_fresh_days'), 'fit_end_date') }} as date) as fresh_start_date,
        cast({{ dbt.dateadd('day', -var('feed_trending_days'), 'fit_end_date') }} as date) as trending_start_date
    from fits
)

select * from final
