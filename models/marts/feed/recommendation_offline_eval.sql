{#- Offline evaluation of the recommendation strategies with a time-based holdout: one row per
    strategy and k. Every strategy is built from the evaluation fit window alone (fit 2). See the
    offline_evaluation docs. -#}
{%- set k_values = var('feed_eval_k') %}
{%- set k_max = k_values | max %}
{%- if k_max > var('feed_recommendations_per_user') %}
{{ exceptions.raise_compiler_error("feed_eval_k values must be at most feed_recommendations_per_user") }}
{%- endif %}
with

fits as (
    select * from {{ ref('int_recommendation_fits_defined') }}
    where fit_id = {{ feed_fit_id('evaluation') }}
),

fit_users as (
    select * from {{ ref('int_fit_users_profiled') }}
    where fit_id = {{ feed_fit_id('evaluation') }}
),

user_videos as (
    select * from {{ ref('int_fit_user_videos_aggregated') }}
    where fit_id = {{ feed_fit_id('evaluation') }}
),

pooled as (
    select * from {{ ref('int_fit_user_candidates_pooled') }}
    where fit_id = {{ feed_fit_id('evaluation') }}
),

neighbors as (
    select * from {{ ref('int_fit_video_neighbors_correlated') }}
),

interactions as (
    select * from {{ ref('stg_feed__interactions') }}
),

eval_user_videos as (
    select user_videos.*
    from user_videos
    inner join fit_users
        on user_videos.user_id = fit_users.user_id
),

co_view as (
    {{ feed_coview_source('eval_user_videos', 'neighbors') }}
),

candidates as (
    select * from pooled
    union all
    select * from co_view
),

{{ feed_blend_ctes('candidates', 'evaluation') }}

strategy_lists as (
    select
        case candidate_source
            when 'popular' then 'popularity'
            when 'genre_trending' then 'genre_trending'
            else 'co_view'
        end as strategy,
        user_id,
        video_id,
        source_rank as list_rank
    from candidates
    where candidate_source in ('popular', 'genre_trending', 'co_view') and source_rank <= {{ k_max }}
    union all
    select
        'blended' as strategy,
        user_id,
        video_id,
        recommendation_rank as list_rank
    from evaluation_blended
    where recommendation_rank <= {{ k_max }}
),

holdout_videos as (
    select distinct
        interactions.user_id,
        interactions.video_id
    from interactions
    inner join fits
        on
            interactions.first_clicked_at >= fits.fit_end_date
            and interactions.first_clicked_at < fits.holdout_end_date
),

relevant as (
    select
        holdout_videos.user_id,
        holdout_videos.video_id
    from holdout_videos
    left join user_videos
        on
            holdout_videos.user_id = user_videos.user_id
            and holdout_videos.video_id = user_videos.video_id
    where user_videos.video_id is null
),

relevant_counts as (
    select
        fit_users.user_id,
        count(relevant.video_id) as relevant_videos
    from fit_users
    left join relevant
        on fit_users.user_id = relevant.user_id
    group by fit_users.user_id
),

cutoffs as (
    {%- for k in k_values %}
    select {{ k }} as k
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

strategies as (
    select 'popularity' as strategy
    union all
    select 'genre_trending' as strategy
    union all
    select 'co_view' as strategy
    union all
    select 'blended' as strategy
),

positions as (
    {{ dbt.generate_series(k_max) }}
),

hits as (
    select
        strategy_lists.strategy,
        strategy_lists.user_id,
        strategy_lists.list_rank
    from strategy_lists
    inner join relevant
        on
            strategy_lists.user_id = relevant.user_id
            and strategy_lists.video_id = relevant.video_id
),

user_hits as (
    select
        hits.strategy,
        hits.user_id,
        cutoffs.k,
        count(*) as hit_count,
        sum(1.0 / (ln(hits.list_rank + 1) / ln(2))) as dcg
    from hits
    inner join cutoffs
        on hits.list_rank <= cutoffs.k
    group by hits.strategy, hits.user_id, cutoffs.k
),

ideal as (
    select
        relevant_counts.user_id,
        cutoffs.k,
        sum(1.0 / (ln(positions.generated_number + 1) / ln(2))) as ideal_dcg
    from relevant_counts
    cross join cutoffs
    inner join positions
        on positions.generated_number <= least(cutoffs.k, relevant_counts.relevant_videos)
    group by relevant_counts.user_id, cutoffs.k
),

user_metrics as (
    select
        strategies.strategy,
        cutoffs.k,
        relevant_counts.user_id,
        coalesce(user_hits.hit_count, 0) as hit_count,
        coalesce(user_hits.hit_count, 0) * 1.0 / cutoffs.k as precision_at_k,
        coalesce(coalesce(user_hits.hit_count, 0) * 1.0 / nullif(relevant_counts.relevant_videos, 0), 0)
            as recall_at_k,
        coalesce(coalesce(user_hits.dcg, 0) / nullif(ideal.ideal_dcg, 0), 0) as ndcg_at_k
    from relevant_counts
    cross join strategies
    cross join cutoffs
    left join user_hits
        on
            relevant_counts.user_id = user_hits.user_id
            and strategies.strategy = user_hits.strategy
            and cutoffs.k = user_hits.k
    left join ideal
        on
            relevant_counts.user_id = ideal.user_id
            and cutoffs.k = ideal.k
),

aggregated as (
    select
        strategy,
        k,
        count(*) as users_evaluated,
        avg(precision_at_k) as precision_at_k,
        avg(recall_at_k) as recall_at_k,
        avg(ndcg_at_k) as ndcg_at_k,
        avg(case when hit_count > 0 then 1.0 else 0.0 end) as hit_rate_at_k
    from user_metrics
    group by strategy, k
),

final as (
    select
        aggregated.strategy,
        cast(aggregated.k as {{ dbt.type_int() }}) as k,
        cast(aggregated.users_evaluated as {{ dbt.type_bigint() }}) as users_evaluated,
        cast(aggregated.precision_at_k as {{ type_double() }}) as precision_at_k,
        cast(aggregated.recall_at_k as {{ type_double() }}) as recall_at_k,
        cast(aggregated.ndcg_at_k as {{ type_double() }}) as ndcg_at_k,
        cast(aggregated.hit_rate_at_k as {{ type_double() }}) as hit_rate_at_k,
        cast({{ var('feed_holdout_days') }} as {{ dbt.type_int() }}) as holdout_days,
        fits.fit_end_date as holdout_start_date,
        cast({{ dbt.dateadd('day', -1, 'fits.holdout_end_date') }} as date) as holdout_end_date,
        'fit on interactions before holdout_start_date; evaluate on the last '
        || '{{ var("feed_holdout_days") }} days (holdout_start_date to holdout_end_date), over users with at '
        || 'least one holdout interaction; relevant = holdout videos not watched in the fit window'
            as holdout_rule
    from aggregated
    cross join fits
)

select * from final
